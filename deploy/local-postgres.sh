#!/usr/bin/env bash
# The Postgres that `make run` and `make test` use when no URL is given: the
# machine's own if one answers on 127.0.0.1:$PG_SYSTEM_PORT (5432), else a cluster
# of the project's own under data/postgres on $PG_LOCAL_PORT (54329), made with
# the system's initdb/pg_ctl. Messages go to stderr; `url` prints only the URL.
#
#   deploy/local-postgres.sh url [DB]   start what is needed, print its URL for DB
#   deploy/local-postgres.sh stop       stop the project-local cluster
#   deploy/local-postgres.sh clean      stop it and delete data/ (asks first; FORCE=1 does not)
set -euo pipefail
cd "$(dirname "$0")/.."
SYSTEM_PORT=${PG_SYSTEM_PORT:-5432}
LOCAL_PORT=${PG_LOCAL_PORT:-54329}
DATA=${PG_LOCAL_DIR:-$PWD/data/postgres}

say() { echo "local-postgres: $*" >&2; }

answers() { # PORT
    if command -v pg_isready >/dev/null; then
        pg_isready -q -h 127.0.0.1 -p "$1"
    else
        (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
    fi
}

# The newest installed server's programs (Debian keeps them off PATH).
server_bin() {
    local dirs
    dirs=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V)
    if [ -n "$dirs" ] && [ -x "${dirs##*$'\n'}/initdb" ]; then
        echo "${dirs##*$'\n'}"
    elif command -v initdb >/dev/null; then
        dirname "$(command -v initdb)"
    fi
}

install_server() {
    if [ "$(id -u)" != 0 ]; then
        say "no PostgreSQL server programs (initdb, pg_ctl) are installed."
        say "install them, e.g. 'sudo apt-get install postgresql' on Debian or Ubuntu,"
        say "or set DATABASE_URL to a Postgres you already have."
        exit 1
    fi
    say "installing Debian's postgresql package (initdb and pg_ctl for a project-local cluster)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
}

# Postgres refuses to run as root: as root, its programs run as the postgres user.
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

ensure_cluster() {
    local bin
    bin=$(server_bin)
    if [ -z "$bin" ]; then
        install_server
        bin=$(server_bin)
    fi
    if [ ! -s "$DATA/PG_VERSION" ]; then
        mkdir -p "$DATA"
        if [ "$(id -u)" = 0 ]; then
            chown postgres: "$DATA"
            runuser -u postgres -- test -w "$DATA" || {
                say "the postgres user cannot reach $DATA (a parent folder is private);"
                say "set PG_LOCAL_DIR to a folder it can reach, or set DATABASE_URL."
                exit 1
            }
        fi
        say "creating a project-local cluster in $DATA"
        as_pg "$bin/initdb" -D "$DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! as_pg "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        # TCP on loopback only; no Unix socket, whose folder may not exist here.
        as_pg "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
            -o "-p $LOCAL_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=''" \
            start >/dev/null
    fi
    say "using the project-local Postgres in $DATA on 127.0.0.1:$LOCAL_PORT" \
        "(make stop stops it, make clean removes it)"
}

stop_cluster() {
    local bin
    bin=$(server_bin)
    if [ -n "$bin" ] && [ -s "$DATA/PG_VERSION" ] &&
        as_pg "$bin/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
        say "stopped the project-local Postgres in $DATA"
    fi
}

case "${1:-}" in
url)
    db=${2:-sema_pkg}
    if answers "$SYSTEM_PORT"; then
        echo "postgres://postgres@127.0.0.1:$SYSTEM_PORT/$db"
    else
        ensure_cluster
        echo "postgres://postgres@127.0.0.1:$LOCAL_PORT/$db"
    fi
    ;;
stop) stop_cluster ;;
clean)
    say "this deletes data/: the project-local Postgres (every package, user and token in it),"
    say "the filesystem blob store (data/blobs) and the kept SESSION_SECRET."
    if [ -z "${FORCE:-}" ]; then
        if [ ! -t 0 ]; then
            say "not a terminal: run 'make clean FORCE=1' to confirm"
            exit 1
        fi
        read -r -p "Type 'yes' to delete data/: " answer
        [ "$answer" = yes ] || { say "nothing deleted"; exit 1; }
    fi
    stop_cluster
    rm -rf data
    say "deleted data/"
    ;;
*)
    echo "usage: $0 url [DB] | stop | clean" >&2
    exit 2
    ;;
esac
