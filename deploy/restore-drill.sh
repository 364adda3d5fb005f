#!/usr/bin/env bash
# Backup and restore drill: seed a registry, back it up (pg_dump + blob copy),
# restore into a fresh database and blob folder, and prove the copy serves the
# same bytes. Usage: deploy/restore-drill.sh [path/to/sema-pkg]
set -euo pipefail
BIN=${1:-./target/release/sema-pkg}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
WORK=$(mktemp -d)
SRC_DB=sema_pkg_drill_src DST_DB=sema_pkg_drill_dst
cleanup() { if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; fi; for d in $SRC_DB $DST_DB; do psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $d WITH (FORCE)"; done; rm -rf "$WORK"; }
trap cleanup EXIT
cleanup; WORK=$(mktemp -d)
export RUST_LOG=warn

echo "== seed the source registry"
DATABASE_URL=$PG/$SRC_DB BLOB_DIR=$WORK/src-blobs "$BIN" seed

echo "== back up: pg_dump (custom format) and the blob folder"
pg_dump -Fc -d "$PG/$SRC_DB" -f "$WORK/registry.dump"
tar -C "$WORK/src-blobs" -czf "$WORK/blobs.tar.gz" sha256
stat -c '%s %n' "$WORK/registry.dump" "$WORK/blobs.tar.gz"

echo "== restore into a new database and blob folder"
psql "$PG/postgres" -qc "CREATE DATABASE $DST_DB"
pg_restore --no-owner -d "$PG/$DST_DB" "$WORK/registry.dump"
mkdir -p "$WORK/dst-blobs" && tar -C "$WORK/dst-blobs" -xzf "$WORK/blobs.tar.gz"

echo "== the copy is healthy and complete"
DATABASE_URL=$PG/$DST_DB BLOB_DIR=$WORK/dst-blobs "$BIN" doctor
diff <(DATABASE_URL=$PG/$SRC_DB BLOB_DIR=$WORK/src-blobs "$BIN" stats | grep -v sessions) \
     <(DATABASE_URL=$PG/$DST_DB BLOB_DIR=$WORK/dst-blobs "$BIN" stats | grep -v sessions) && echo "stats identical"

echo "== the restored registry serves every tarball byte-identically"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
DATABASE_URL=$PG/$DST_DB BLOB_DIR=$WORK/dst-blobs PORT=$PORT "$BIN" serve & SERVER=$!
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.2; done
n=0
while IFS='|' read -r name version checksum; do
  got=$(curl -fs "http://127.0.0.1:$PORT/api/v1/packages/$name/$version/download" | sha256sum | cut -d' ' -f1)
  [ "$got" = "$checksum" ] || { echo "MISMATCH $name@$version"; exit 1; }
  n=$((n + 1))
done < <(psql "$PG/$DST_DB" -Atc "SELECT p.name, v.version, v.checksum FROM versions v JOIN packages p ON p.id = v.package_id")
echo "$n tarballs verified by sha256"
echo "== drill passed"
