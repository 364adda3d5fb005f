#!/usr/bin/env bash
# `make run` after the build: a Postgres (DATABASE_URL as given, else the machine's,
# else a project-local cluster), the schema, demo data on the first run, the server.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${SEMA_PKG_BIN:-./target/release/sema-pkg}

if [ -z "${DATABASE_URL:-}" ]; then
    DATABASE_URL=$(deploy/local-postgres.sh url sema_pkg)
fi
export DATABASE_URL

# A kept secret, so a restart does not sign everyone out.
if [ -z "${SESSION_SECRET:-}" ]; then
    mkdir -p data
    if [ ! -s data/session-secret ]; then
        (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >data/session-secret)
    fi
    SESSION_SECRET=$(cat data/session-secret)
    export SESSION_SECRET
fi

"$BIN" migrate
"$BIN" seed
echo "sema-pkg: open ${BASE_URL:-http://localhost:${PORT:-3000}} and sign in as alice" \
    "(password sema-demo-password); Ctrl-C stops the server"
exec "$BIN" serve
