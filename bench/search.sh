#!/usr/bin/env bash
# Search benchmark: seeds N synthetic packages (100k; LARGE=1: 1M) into its own
# database, serves the release build, generates a long tail of distinct
# queries from the corpus' own vocabulary (bench/search-queries.py: every
# class, filters, sorts, pages, per_page=50), times each once, loads each class
# and the whole mix with wrk at 1 and 8 connections, and writes
# bench/search-<size>.md (percentiles and throughput per class and overall,
# the 20 slowest queries with EXPLAIN (ANALYZE, BUFFERS)); bench/REPORT.md's
# Search section is regenerated from those files.
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
DURATION=${BENCH_DURATION:-8s}
MIX_DURATION=${BENCH_MIX_DURATION:-20s}
PER_CLASS=${BENCH_PER_CLASS:-700}
BIN=${BENCH_BIN:-./target/release/sema-pkg}
OUT=bench/search-$SIZE.md
WORK=$(mktemp -d)
SERVER=
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
    psql "$ADMIN_URL" -Xqc "ALTER DATABASE $DB RESET ALL" 2>/dev/null || true
    # A 1M-package database is several GB: BENCH_DROP=1 removes it when done.
    if [ -n "${BENCH_DROP:-}" ]; then
        psql "$ADMIN_URL" -Xqc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

ORDER="exact prefix typo common rare multi filter browse deep"

start_server() {
    # The per-IP read limit would answer most of the load with 429s.
    DATABASE_URL=$DB_URL PORT=$PORT HOST=127.0.0.1 RUST_LOG=warn DATABASE_MAX_CONNECTIONS=${BENCH_POOL:-8} \
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

# The corpus' own words, for the query generator.
export_vocabulary() {
    local v=$WORK/vocab q="psql $DB_URL -XAtq -c"
    mkdir -p "$v"
    $q "SELECT canonical_name FROM packages ORDER BY md5(canonical_name) LIMIT 3000" >"$v/names.txt"
    $q "SELECT DISTINCT part FROM package_name_parts ORDER BY 1" >"$v/parts.txt"
    $q "SELECT DISTINCT unnest(keywords) FROM packages ORDER BY 1" >"$v/keywords.txt"
    $q "SELECT name FROM namespaces ORDER BY md5(name) LIMIT 200" >"$v/namespaces.txt"
    $q "SELECT username FROM users ORDER BY md5(username) LIMIT 200" >"$v/owners.txt"
    $q "SELECT description FROM packages ORDER BY md5(canonical_name) LIMIT 20000" >"$v/descriptions.txt"
    python3 bench/search-queries.py "$v" "$WORK" "$PER_CLASS"
}

# run_wrk FILE CONNECTIONS DURATION: prints "p50 p90 p99 max rps errors".
run_wrk() {
    local file=$1 c=$2 d=$3 lua threads
    lua="$WORK/load.lua"
    threads=$([ "$c" -ge 2 ] && echo 2 || echo 1)
    cat >"$lua" <<LUA
local paths = {}
for line in io.lines("$file") do paths[#paths + 1] = line end
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
function init(args) i = (id or 1) * 7919 end
function request() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end
function done(summary, latency, requests)
  io.write(string.format("RESULT %.2f %.2f %.2f %.2f %.1f %d\n", latency:percentile(50)/1000,
    latency:percentile(90)/1000, latency:percentile(99)/1000, latency.max/1000,
    summary.requests/(summary.duration/1e6), summary.errors.status + summary.errors.connect
    + summary.errors.read + summary.errors.write + summary.errors.timeout))
end
LUA
    wrk -t"$threads" -c"$c" -d"$d" -s "$lua" "http://127.0.0.1:$PORT" | grep '^RESULT' | cut -d' ' -f2-
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

start_server
sizes=$(psql "$DB_URL" -XAt -c "SELECT string_agg(format('%s %s', relname, pg_size_pretty(pg_total_relation_size(oid))), ', ' ORDER BY relname)
    FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace
    AND (relname LIKE 'package%' OR relname LIKE 'search%')")
export_vocabulary
total_queries=$(wc -l <"$WORK/all.txt")

echo "== one pass over all $total_queries queries, one at a time (timings, and a warm cache)"
awk -v base="http://127.0.0.1:$PORT" '{ printf "url = \"%s%s\"\noutput = \"/dev/null\"\n", base, $0 }' \
    "$WORK/all.txt" >"$WORK/curl.cfg"
curl -s -K "$WORK/curl.cfg" -w '%{time_total} %{http_code} %{url}\n' >"$WORK/pass.txt"
bad=$(awk '$2 != 200' "$WORK/pass.txt" | wc -l)

echo "== load: per class and the whole mix, 1 and 8 connections"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results="$WORK/results.md"
{
    echo "| class | distinct queries | c | p50 | p90 | p99 | max | requests/s | errors |"
    echo "|---|---|---|---|---|---|---|---|---|"
} >"$results"
for class in $ORDER all; do
    d=$([ "$class" = all ] && echo "$MIX_DURATION" || echo "$DURATION")
    for c in 1 8; do
        read -r p50 p90 p99 max rps errors <<<"$(run_wrk "$WORK/$class.txt" "$c" "$d")"
        label=$([ "$class" = all ] && echo "**all (mix)**" || echo "$class")
        echo "| $label | $(wc -l <"$WORK/$class.txt") | $c | ${p50} ms | ${p90} ms | ${p99} ms | ${max} ms | $rps | $errors |" | tee -a "$results"
    done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
stop_server

echo "== plans of the 20 slowest single requests"
slowest="$WORK/slowest.txt"
sort -rn "$WORK/pass.txt" >"$WORK/pass-sorted.txt"
head -20 "$WORK/pass-sorted.txt" >"$slowest"
# auto_explain for this database only, while each slow request runs alone again.
psql "$ADMIN_URL" -Xq -c "ALTER DATABASE $DB SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $DB SET auto_explain.log_min_duration = 0" \
    -c "ALTER DATABASE $DB SET auto_explain.log_analyze = on" \
    -c "ALTER DATABASE $DB SET auto_explain.log_buffers = on"
LOG=${BENCH_PG_LOG:-/var/log/postgresql/postgresql-15-main.log}
plans="$WORK/plans.md"
: >"$plans"
start_server
while read -r secs _ url; do
    before=$(stat -c %s "$LOG" 2>/dev/null || echo 0)
    again=$(curl -s -o /dev/null -w '%{time_total}' "$url")
    sleep 0.3
    {
        echo "### \`$(python3 -c 'import sys, urllib.parse; print(urllib.parse.unquote(sys.argv[1]))' "${url#*search\?}")\`"
        echo
        echo "$(echo "$secs * 1000" | bc | cut -d. -f1) ms in the pass, $(echo "$again * 1000" | bc | cut -d. -f1) ms alone again:"
        echo
        echo '```'
        # The statement's plan: the LOG lines of this database, up to the next log line.
        # (The pool's `SELECT 1` health checks are left out.)
        tail -c +"$((before + 1))" "$LOG" 2>/dev/null | awk -v db="@$DB " '
            function flush() { if (buf != "" && buf !~ /Query Text: SELECT 1\n/) printf "%s", buf; buf = "" }
            /^[0-9]{4}-[0-9]{2}-[0-9]{2} / { flush(); on = (index($0, db) && index($0, "duration:")) }
            on { buf = buf $0 "\n" }
            END { flush() }' | sed -n '1,160p'
        echo '```'
        echo
    } >>"$plans"
done <"$slowest"
stop_server
psql "$ADMIN_URL" -Xqc "ALTER DATABASE $DB RESET ALL"

pass_stats=$(sort -n "$WORK/pass.txt" | awk '{ t[NR] = $1 * 1000 } END {
    printf "p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms", t[int(NR*0.5)], t[int(NR*0.9)], t[int(NR*0.99)], t[NR] }')
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
{
    echo "## Search at $SIZE packages"
    echo
    echo "Run $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores ($cpu), $(free -g | awk '/Mem:/{print $2}') GB RAM, $(psql "$ADMIN_URL" -XAtc 'SHOW server_version' | cut -d' ' -f1) with default settings (shared_buffers $(psql "$ADMIN_URL" -XAtc 'SHOW shared_buffers'))."
    echo "Seed: \`sema-pkg seed --packages $N\` $seed_note. Tables with indexes: $sizes."
    echo "**Load average** (1/5/15 min; 2 cores shared with four other engineers' builds and tests): $load_before when the load started, $load_after when it ended."
    echo "Queries: $total_queries distinct (bench/search-queries.py over the corpus' own names, parts, keywords, namespaces, owners and description words; 20% with a non-relevance sort, 30% per_page=50, pages 2–6 in \`deep\` and 10% elsewhere)."
    echo "One pass, one request at a time, each query once: $pass_stats; non-200 answers: $bad."
    echo "Load: wrk against \`GET /api/v1/search\` on the release build (server and Postgres on this machine), each class's queries in rotation for $DURATION, the whole mix for $MIX_DURATION; each query repeats only a few times. Command: \`make bench-search${LARGE:+ LARGE=1}\`."
    echo
    cat "$results"
    echo
    echo "### The 20 slowest queries of the pass (EXPLAIN ANALYZE, BUFFERS via auto_explain)"
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
        # Numbers under load mean little without the load next to them.
        grep -m1 '^\*\*Load average' "$f" && echo
        sed -n '/^| class/,/^$/p' "$f"
    done
    [ -f bench/search-notes.md ] && cat bench/search-notes.md
    echo "<!-- search:end -->"
} >"$section"
replace_section search "$section"
echo "updated $REPORT"
