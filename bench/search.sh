#!/usr/bin/env bash
# Search benchmark: seeds N synthetic packages (100k; LARGE=1: 1M) into its own
# database, serves the release build, loads fixed queries per class with wrk,
# and writes bench/search-<size>.md (latencies, throughput, EXPLAIN ANALYZE
# plans); bench/REPORT.md's Search section is regenerated from those files.
# Not part of `make test`. Needs: target/release/sema-pkg, wrk, psql.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

LARGE=${LARGE:-}
N=${N:-$([ -n "$LARGE" ] && echo 1000000 || echo 100000)}
SIZE=$([ "$N" -ge 1000000 ] && echo "$((N / 1000000))m" || echo "$((N / 1000))k")
ADMIN_URL=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=${BENCH_DB:-sema_pkg_bench}
DB_URL=${ADMIN_URL%/*}/$DB
PORT=${BENCH_PORT:-3999}
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=${BENCH_CONNECTIONS:-8}
BIN=${BENCH_BIN:-./target/release/sema-pkg}
OUT=bench/search-$SIZE.md
WORK=$(mktemp -d)
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
    psql "$ADMIN_URL" -Xqc "ALTER DATABASE $DB RESET ALL" 2>/dev/null || true
    # A 1M-package database is several GB: BENCH_DROP=1 removes it when done.
    [ -n "${BENCH_DROP:-}" ] && psql "$ADMIN_URL" -Xqc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

# Fixed queries per class (q only; each entry is a query string after `?`).
declare -A CLASSES
CLASSES[exact]="q=json q=http q=csv q=regex q=markdown q=sqlite"
CLASSES[prefix]="q=ht q=js q=pars q=sq q=mark q=acme%2Fjs"
CLASSES[typo]="q=jsno q=htpp q=rgex q=markdwn q=sqlit q=postgers"
CLASSES[common]="q=parser q=library q=fast q=client q=sema q=stream"
CLASSES[rare]="q=vorlax q=quendith q=zylorra q=mabumbe q=thraix q=pevondo"
CLASSES[multi]="q=json%20parser q=http%20client q=fast%20csv q=async%20stream%20queue q=sqlite%20client%20library q=cache%20pool"
CLASSES[browse]="q= q=&sort=recent-downloads q=&sort=updated q=keyword%3Ajson q=ns%3Aacme q=parser&sort=downloads"
ORDER="exact prefix typo common rare multi browse"

start_server() {
    # The per-IP read limit would answer most of the load with 429s.
    DATABASE_URL=$DB_URL PORT=$PORT HOST=127.0.0.1 RUST_LOG=warn DATABASE_MAX_CONNECTIONS=8 \
        RATE_LIMIT_READS_PER_SECOND=1000000 \
        "$BIN" serve >"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    cat "$WORK/server.log" >&2
    exit 1
}
stop_server() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
}

# BENCH_REPORT_ONLY=1 only rebuilds REPORT.md's section from existing files.
if [ -z "${BENCH_REPORT_ONLY:-}" ]; then
if [ -n "${BENCH_REUSE:-}" ]; then
    # Query changes only: load against the database a previous run seeded
    # (the server still applies pending migrations on start).
    echo "== reusing $DB"
    seed_note="not reseeded (BENCH_REUSE=1; the seed time is in the previous run's notes)"
else
    echo "== seeding $N packages into $DB"
    psql "$ADMIN_URL" -Xqc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    seed_start=$(date +%s.%N)
    DATABASE_URL=$DB_URL RUST_LOG=warn "$BIN" seed --packages "$N" | tee "$WORK/seed.log"
    seed_secs=$(echo "$(date +%s.%N) - $seed_start" | bc)
    seed_note="took ${seed_secs%.*} s"
fi
sizes=$(psql "$DB_URL" -XAtF' | ' -c "SELECT pg_size_pretty(pg_total_relation_size('packages')),
    pg_size_pretty(pg_relation_size('package_search')), pg_size_pretty(pg_relation_size('package_search_document')),
    pg_size_pretty(pg_total_relation_size('package_name_parts')), pg_size_pretty(pg_relation_size('packages_canonical_trgm')),
    (SELECT count(*) FROM versions), (SELECT count(*) FROM version_downloads)")

start_server
# Warm the caches once per query, as a long-running registry would be.
for class in $ORDER; do
    for qs in ${CLASSES[$class]}; do curl -fs "http://127.0.0.1:$PORT/api/v1/search?$qs" >/dev/null; done
done

echo "== load: $CONNECTIONS connections, $DURATION per class"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$WORK/results.md"
{
    echo "| class | queries | p50 | p90 | p99 | max | requests/s | errors |"
    echo "|---|---|---|---|---|---|---|---|"
} >"$results"
for class in $ORDER; do
    lua="$WORK/$class.lua"
    {
        echo "local paths = {"
        for qs in ${CLASSES[$class]}; do echo "  \"/api/v1/search?$qs\","; done
        echo "}"
        echo 'local i = 0'
        echo 'request = function() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end'
        echo 'done = function(summary, latency, requests)'
        echo '  io.write(string.format("RESULT %.2f %.2f %.2f %.2f %.1f %d\n", latency:percentile(50)/1000, latency:percentile(90)/1000, latency:percentile(99)/1000, latency.max/1000, summary.requests/(summary.duration/1e6), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))'
        echo 'end'
    } >"$lua"
    line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -s "$lua" "http://127.0.0.1:$PORT" | grep '^RESULT')
    read -r _ p50 p90 p99 max rps errors <<<"$line"
    queries=$(for qs in ${CLASSES[$class]}; do printf '`%s` ' "$(printf '%b' "${qs//%/\\x}")"; done)
    echo "| $class | $queries | ${p50} ms | ${p90} ms | ${p99} ms | ${max} ms | $rps | $errors |" | tee -a "$results"
done
stop_server

echo "== plans"
# auto_explain for this database only, while one request per class runs alone.
psql "$ADMIN_URL" -Xq -c "ALTER DATABASE $DB SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $DB SET auto_explain.log_min_duration = 0" \
    -c "ALTER DATABASE $DB SET auto_explain.log_analyze = on" \
    -c "ALTER DATABASE $DB SET auto_explain.log_buffers = on"
LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
plans="$WORK/plans.md"
: >"$plans"
start_server
for qs in "q=json" "q=ht" "q=jsno" "q=parser" "q=sema" "q=vorlax" "q=json%20parser" "q=acme%2Fjs" "q=" "q=keyword%3Ajson"; do
    curl -fs "http://127.0.0.1:$PORT/api/v1/search?$qs" >/dev/null # warm
    before=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    curl -fs "http://127.0.0.1:$PORT/api/v1/search?$qs" >/dev/null
    sleep 0.3
    {
        echo "### \`$(printf '%b' "${qs//%/\\x}")\`"
        echo
        echo '```'
        # The statement's plan: the LOG line of this database, up to the next log line.
        tail -c +"$((before + 1))" "$LOG" 2>/dev/null | awk -v db="@$DB " '
            /^[0-9]{4}-[0-9]{2}-[0-9]{2} / { on = (index($0, db) && index($0, "duration:") && !index($0, "SET pg_trgm")) }
            on' | grep -v "Query Text: SET" | sed -n '1,200p'
        echo '```'
        echo
    } >>"$plans"
done
stop_server
psql "$ADMIN_URL" -Xqc "ALTER DATABASE $DB RESET ALL"

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
    echo "## Search at $SIZE packages"
    echo
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GB RAM, $(psql "$ADMIN_URL" -XAtc 'SHOW server_version' | cut -d' ' -f1) with default settings (shared_buffers $(psql "$ADMIN_URL" -XAtc 'SHOW shared_buffers'))."
    echo "Seed: \`sema-pkg seed --packages $N\` $seed_note; packages (total) | package_search heap | document GIN | name parts (with index) | trigram GIN | versions | download rows: $sizes."
    echo "Load average when the load started: $load_before (2 cores, shared with other builds: latencies under load are inflated accordingly; the single-request plans below are the cleaner evidence)."
    echo "Load: wrk, $CONNECTIONS connections, $DURATION per class, the class's queries in rotation against \`GET /api/v1/search\` on the release build (server and Postgres on the same machine). Command: \`make bench-search${LARGE:+ LARGE=1}\`."
    echo
    cat "$results"
    echo
    echo "### Plans (EXPLAIN ANALYZE, BUFFERS via auto_explain, warm cache)"
    echo
    cat "$plans"
} >"$OUT"
echo "wrote $OUT"
fi

# REPORT.md: replace only the Search section (between the markers).
REPORT=bench/REPORT.md
section="$WORK/section.md"
{
    echo "<!-- search:begin (bench/search.sh writes this section) -->"
    echo "## Search"
    echo
    echo "\`make bench-search\` (100k packages) and \`make bench-search LARGE=1\` (1M). Full reports with plans:"
    for f in bench/search-[0-9]*.md bench/search-notes.md; do [ -f "$f" ] && echo "[$(basename "$f")]($(basename "$f"))"; done | paste -sd' ' | sed 's/ / · /g'
    echo
    for f in bench/search-[0-9]*.md; do
        echo "### $(head -1 "$f" | sed 's/^## //')"
        echo
        sed -n '/^| class/,/^$/p' "$f"
    done
    [ -f bench/search-notes.md ] && cat bench/search-notes.md
    echo "<!-- search:end -->"
} >"$section"
replace_section search "$section"
echo "updated $REPORT"
