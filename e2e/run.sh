#!/usr/bin/env bash
# Browser tests: builds sema-pkg, serves it on a fresh database and port, runs
# the Node suite in Debian's headless Chromium, then stops the server and drops
# the database. Screenshots land in e2e/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)

if [ -z "${SEMA_PKG_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --locked --bin sema-pkg)
  SEMA_PKG_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sema-pkg"
fi
[ -x /usr/bin/chromium ] || { echo "e2e: /usr/bin/chromium is missing (apt-get install -y chromium)" >&2; exit 1; }
if [ ! -d node_modules/playwright-core ] || [ ! -d node_modules/axe-core ]; then npm ci --no-audit --no-fund; fi

ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Named like the Rust tests' databases, so `make clean-test-dbs` sweeps a killed run's.
DB=sema_pkg_test_e2e_$(date +%s)_$$
DB_URL="${ADMIN_URL%/*}/$DB"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
mkdir -p artifacts

cleanup() {
  if [ -n "${GITHUB_PID:-}" ]; then kill "$GITHUB_PID" 2>/dev/null || true; fi
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The stand-in GitHub for "Sign in with GitHub".
node fake-github.mjs >"$WORK/github.port" 2>"artifacts/fake-github.log" &
GITHUB_PID=$!
for _ in $(seq 1 50); do [ -s "$WORK/github.port" ] && break; sleep 0.1; done
GH="http://127.0.0.1:$(cat "$WORK/github.port")"

# The demo data (alice owns json, …) for the page audits; the other suites publish their own.
DATABASE_URL="$DB_URL" BLOB_DIR="$WORK/blobs" "$SEMA_PKG_BIN" migrate >"artifacts/seed.log" 2>&1
DATABASE_URL="$DB_URL" BLOB_DIR="$WORK/blobs" "$SEMA_PKG_BIN" seed >>"artifacts/seed.log" 2>&1
DATABASE_URL="$DB_URL" "$SEMA_PKG_BIN" admin promote sema >>"artifacts/seed.log" 2>&1

# shellcheck disable=SC2097,SC2098 # PORT is the shell's too; the server gets the same value.
GITHUB_CLIENT_ID=e2e-client GITHUB_CLIENT_SECRET=e2e-secret \
  GITHUB_AUTH_URL="$GH/login/oauth/authorize" GITHUB_TOKEN_URL="$GH/login/oauth/access_token" GITHUB_API_URL="$GH" \
DATABASE_URL="$DB_URL" BLOB_DIR="$WORK/blobs" HOST=127.0.0.1 PORT="$PORT" \
  BASE_URL="http://127.0.0.1:$PORT" SESSION_SECRET="e2e-session-secret-e2e-session-secret-e2e" \
  DOWNLOAD_FLUSH_SECS=1 RUST_LOG=warn \
  "$SEMA_PKG_BIN" serve >"artifacts/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "e2e: the server did not start:" >&2; cat artifacts/server.log >&2; exit 1; }
  sleep 0.2
done

E2E_BASE="http://127.0.0.1:$PORT" E2E_GITHUB="$GH" node --test --test-concurrency=1 --test-reporter=spec tests/
