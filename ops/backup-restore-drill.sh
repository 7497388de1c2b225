#!/usr/bin/env bash
# The backup drill: back up the portal's database and media, restore them into a fresh
# database and folder, and check that the copy holds and serves the same records (the
# fingerprints of ops/backup.sh and of the restored copy are equal). Drops the copy after.
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/portal MEDIA_ROOT=var/media ops/backup-restore-drill.sh
set -euo pipefail
: "${DATABASE_URL:?set DATABASE_URL}"
: "${MEDIA_ROOT:?set MEDIA_ROOT}"
here=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$here/.venv/bin/python}
work=$(mktemp -d)
copy_db="${DATABASE_URL##*/}_drill_$$"
copy_url="${DATABASE_URL%/*}/$copy_db"
cleanup() {
  psql "${DATABASE_URL%/*}/postgres" -qc "DROP DATABASE IF EXISTS \"$copy_db\"" || true
  rm -rf "$work"
}
trap cleanup EXIT

backup=$("$here/ops/backup.sh" "$work/backups")
"$here/ops/restore.sh" "$backup" "$copy_url" "$work/media"
(cd "$here" && DATABASE_URL="$copy_url" MEDIA_ROOT="$work/media" "$python" manage.py portal_fingerprint) \
  > "$work/restored.json"
if diff -u "$backup/fingerprint.json" "$work/restored.json"; then
  "$python" - "$work/restored.json" <<'PY'
import json, sys
f = json.load(open(sys.argv[1]))
rows = sum(t["rows"] for t in f["tables"].values())
print(f"drill passed: {len(f['tables'])} tables, {rows} rows, {f['media']['files']} media files, "
      f"{f['api_enterprise_details']['served']} enterprise details served identically")
PY
else
  echo "drill FAILED: the restored copy differs (above)" >&2
  exit 1
fi
