#!/usr/bin/env bash
# Back up the portal: the PostgreSQL database (pg_dump custom format) and the media folder
# (uploaded materials, documents), with a fingerprint to check a restore against.
#
#   DATABASE_URL=postgres://... MEDIA_ROOT=/app/var/media ops/backup.sh /backups
#
# Writes <dir>/portal-<UTC stamp>/{portal.dump, media.tar.gz, fingerprint.json, SHA256SUMS}.
# Key material (CA_KEY_PASSPHRASE, SECRET_KEY) is NOT in here: back it up separately
# (docs/operations.md, "Key material"). The stored CA key is inside the dump, encrypted.
set -euo pipefail
target_root=${1:?usage: ops/backup.sh <backup directory>}
: "${DATABASE_URL:?set DATABASE_URL}"
: "${MEDIA_ROOT:?set MEDIA_ROOT}"
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="$target_root/portal-$stamp"
mkdir -p "$target"
chmod 700 "$target"

# One consistent snapshot of the database (pg_dump runs in a single transaction); no owner
# or privileges, so it restores into any role's database.
pg_dump --format=custom --no-owner --no-privileges --compress=6 \
  --file="$target/portal.dump" "$DATABASE_URL"
# Media after the dump: a file uploaded in between is then in media but not referenced,
# which the nightly orphan sweep removes; never the reverse (a record without its file).
tar -C "$MEDIA_ROOT" -czf "$target/media.tar.gz" .
(cd "$here" && "$python" manage.py portal_fingerprint) > "$target/fingerprint.json"
(cd "$target" && sha256sum portal.dump media.tar.gz fingerprint.json > SHA256SUMS)
echo "$target"
