#!/usr/bin/env bash
# Restore a backup made by ops/backup.sh into a NEW, empty database and media folder.
#
#   ops/restore.sh /backups/portal-20261130T210000Z postgres://postgres@db:5432/portal_restored /srv/media-restored
#
# Refuses a database that already has tables or a media folder that is not empty: a restore
# never overwrites. Afterwards point DATABASE_URL / MEDIA_ROOT at them (and run
# `manage.py migrate` if the code is newer than the backup).
set -euo pipefail
backup=${1:?usage: ops/restore.sh <backup dir> <new database URL> <new media dir>}
database_url=${2:?new database URL}
media_root=${3:?new media directory}

(cd "$backup" && sha256sum --check --quiet SHA256SUMS)

database=${database_url##*/}
database=${database%%\?*}
server_url=${database_url%/*}/postgres
if ! psql "$server_url" -tAc "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
  psql "$server_url" -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$database\""
fi
tables=$(psql "$database_url" -tAc "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
if [ "$tables" != "0" ]; then
  echo "refusing: $database already has $tables tables" >&2
  exit 1
fi
pg_restore --no-owner --no-privileges --exit-on-error --jobs=2 \
  --dbname="$database_url" "$backup/portal.dump"

mkdir -p "$media_root"
if [ -n "$(ls -A "$media_root")" ]; then
  echo "refusing: $media_root is not empty" >&2
  exit 1
fi
tar -C "$media_root" -xzf "$backup/media.tar.gz"
echo "restored into $database and $media_root"
