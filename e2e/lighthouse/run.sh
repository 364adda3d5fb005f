#!/usr/bin/env bash
# `make lighthouse`: serves sema-pkg on a fresh database with the demo data and
# scores /, /search, a package page and /account with Lighthouse in Debian's
# Chromium (score.mjs). Not part of `make test`.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd ../.. && pwd)

if [ -z "${SEMA_PKG_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --locked --bin sema-pkg)
  SEMA_PKG_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sema-pkg"
fi
[ -x /usr/bin/chromium ] || { echo "lighthouse: /usr/bin/chromium is missing (apt-get install -y chromium)" >&2; exit 1; }
[ -d node_modules/lighthouse ] || npm ci --no-audit --no-fund

ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=sema_pkg_test_lighthouse_$(date +%s)_$$
DB_URL="${ADMIN_URL%/*}/$DB"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
mkdir -p ../artifacts/lighthouse

cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="$DB_URL" BLOB_DIR="$WORK/blobs"
"$SEMA_PKG_BIN" migrate >"$WORK/seed.log" 2>&1
"$SEMA_PKG_BIN" seed >>"$WORK/seed.log" 2>&1
# shellcheck disable=SC2097,SC2098 # PORT is the shell's too; the server gets the same value.
HOST=127.0.0.1 PORT="$PORT" BASE_URL="http://127.0.0.1:$PORT" RUST_LOG=warn \
  SESSION_SECRET="lighthouse-session-secret-lighthouse-session" \
  "$SEMA_PKG_BIN" serve >"../artifacts/lighthouse/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "lighthouse: the server did not start" >&2; cat ../artifacts/lighthouse/server.log >&2; exit 1; }
  sleep 0.2
done

E2E_BASE="http://127.0.0.1:$PORT" node score.mjs
