#!/usr/bin/env bash
# CI's proof of the first run on a laptop with no Postgres: `make run`'s path with
# the probe pointed at a port where nothing listens, so it must make a cluster of
# its own, migrate, seed and serve. /healthz and a seeded package must answer;
# the cluster is stopped and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

WORK=$(mktemp -d)
chmod 755 "$WORK" # the postgres user must reach the cluster folder
export PG_SYSTEM_PORT PG_LOCAL_PORT PG_LOCAL_DIR=$WORK/postgres
PG_SYSTEM_PORT=$(free_port)
PG_LOCAL_PORT=$(free_port)
PORT=$(free_port)
SERVER=
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
    deploy/local-postgres.sh stop || true
    rm -rf "$WORK"
}
trap cleanup EXIT

env -u DATABASE_URL SESSION_SECRET=first-run-check-secret-first-run-check \
    PORT="$PORT" HOST=127.0.0.1 BLOB_DIR="$WORK/blobs" RUST_LOG=warn \
    SEMA_PKG_BIN="${SEMA_PKG_BIN:-./target/debug/sema-pkg}" deploy/run.sh >"$WORK/run.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
    curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || break
    sleep 0.2
done
fail() { echo "first-run check: $*" >&2; cat "$WORK/run.log" >&2; exit 1; }
curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null || fail "/healthz did not answer"
[ -s "$PG_LOCAL_DIR/PG_VERSION" ] || fail "no cluster was made in $PG_LOCAL_DIR"
grep -q "project-local Postgres in $PG_LOCAL_DIR" "$WORK/run.log" || fail "it did not say where the cluster is"
grep -q "sign in as alice" "$WORK/run.log" || fail "it did not print the URL and demo sign-in"
body=$(curl -fs "http://127.0.0.1:$PORT/api/v1/packages/json") || fail "the demo package json is not served"
[[ $body == *'"name":"json"'* ]] || fail "unexpected metadata for json: $body"
kill "$SERVER"
wait "$SERVER" 2>/dev/null || true
SERVER=
deploy/local-postgres.sh stop
if pg_isready -q -h 127.0.0.1 -p "$PG_LOCAL_PORT"; then fail "the cluster still answers after stop"; fi
echo "first-run check: a project-local cluster came up, migrated, seeded and served /healthz; stopped again"
