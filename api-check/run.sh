#!/usr/bin/env bash
# `make api-check`: Schemathesis, an independent API fuzzer, against the server's own
# OpenAPI document. Installs the pinned Schemathesis (requirements.txt) into
# .venv-api-check/, serves sema-pkg on a fresh database and port with the demo data
# and rate limits raised for the run, makes a user and a token with every scope, and
# runs every check (stateful phase included) with a fixed seed. Fails on any failure.
# Reports land in api-check/artifacts/.
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(cd .. && pwd)
VENV="$ROOT/.venv-api-check"
SEED=${API_CHECK_SEED:-20240917}
EXAMPLES=${API_CHECK_EXAMPLES:-100}

if [ -z "${SEMA_PKG_BIN:-}" ]; then
  (cd "$ROOT" && cargo build --locked --bin sema-pkg)
  SEMA_PKG_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/debug/sema-pkg"
fi

# The virtualenv is rebuilt whenever the pins change.
if ! cmp -s requirements.txt "$VENV/requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r requirements.txt
  cp requirements.txt "$VENV/requirements.txt"
fi

ADMIN_URL=${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}
# Named like the Rust tests' databases, so `make clean-test-dbs` sweeps a killed run's.
DB=sema_pkg_test_apicheck_$(date +%s)_$$
DB_URL="${ADMIN_URL%/*}/$DB"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
WORK=$(mktemp -d)
rm -rf artifacts
mkdir -p artifacts

cleanup() {
  if [ -n "${SERVER_PID:-}" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export DATABASE_URL="$DB_URL" BLOB_DIR="$WORK/blobs"
# The demo data gives the reads real packages (the document's examples name them).
"$SEMA_PKG_BIN" migrate >"artifacts/setup.log" 2>&1
"$SEMA_PKG_BIN" seed >>"artifacts/setup.log" 2>&1
for user in api-check api-check-web; do
  SEMA_PKG_PASSWORD=api-check-password "$SEMA_PKG_BIN" admin create-user "$user" "$user@example.com" >>"artifacts/setup.log" 2>&1
done
token_of() {
  local out
  out=$("$SEMA_PKG_BIN" admin token-create "$1" --name api-check 2>>"artifacts/setup.log")
  [[ $out =~ (sema_pat_[A-Za-z0-9_-]+) ]] || { echo "api-check: no token for $1:" >&2; cat artifacts/setup.log >&2; exit 1; }
  echo "${BASH_REMATCH[1]}"
}
# Every scope; the fuzzed calls go out with it.
API_CHECK_TOKEN=$(token_of api-check)
ALICE_TOKEN=$(token_of alice)
# shellcheck disable=SC2097,SC2098 # PORT is the shell's too; the server gets the same value.
HOST=127.0.0.1 PORT="$PORT" BASE_URL="http://127.0.0.1:$PORT" \
  SESSION_SECRET="api-check-session-secret-api-check-session-secret" \
  RATE_LIMIT_READS_PER_SECOND=100000 RATE_LIMIT_WRITES_PER_MINUTE=100000 RUST_LOG=warn \
  "$SEMA_PKG_BIN" serve >"artifacts/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "api-check: the server did not start:" >&2; cat artifacts/server.log >&2; exit 1; }
  sleep 0.2
done

API="http://127.0.0.1:$PORT/api/v1"
# The token's user co-owns the demo package json (invited by alice, accepted), so
# writes on the document's example reach the handlers instead of stopping at 403.
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $ALICE_TOKEN" -H 'content-type: application/json' \
  -d '{"username": "api-check"}' "$API/packages/json/owners"
curl -fsS -o /dev/null -X POST -H "Authorization: Bearer $API_CHECK_TOKEN" "$API/me/invitations/json/accept"
# Token management takes a session (a token may not mint tokens): another user's,
# so no call can revoke the token the run uses.
headers=$(curl -fsS -D - -o /dev/null -H 'content-type: application/json' \
  -d '{"username": "api-check-web", "password": "api-check-password"}' "$API/auth/login")
[[ $headers =~ [Ss]et-[Cc]ookie:\ session=([^;]+) ]] || { echo "api-check: no session cookie: $headers" >&2; exit 1; }
export API_CHECK_TOKEN API_CHECK_SESSION="${BASH_REMATCH[1]}"

"$VENV/bin/schemathesis" --config-file schemathesis.toml run "http://127.0.0.1:$PORT/api/openapi.json" \
  --checks all --phases examples,coverage,fuzzing,stateful \
  --seed "$SEED" --max-examples "$EXAMPLES" --generation-database none --workers 2 \
  --report junit,ndjson --report-dir artifacts --no-color
