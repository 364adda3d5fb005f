#!/usr/bin/env bash
# `make bench`: the install path measured against a static-file ceiling.
#
# Seeds a registry (`sema-pkg seed --packages N --users U --versions 20`), serves
# the release build and, in the same run, nginx serving the very same bytes as
# static files; loads both with wrk (same threads, connections and duration) and
# writes bench/install.md, bench/report.json and the Install section of
# bench/REPORT.md. P3 (search) is bench/search.sh at 100k packages.
#
#   P1  GET /api/v1/packages/{name}, a package with 20 versions
#   P2  GET …/{version}/download of a 100 KiB tarball (and with If-None-Match)
#   P3  search (bench/search.sh)
#   P4  500 publishes in sequence; one 50 MB upload (peak RSS before/after)
#   P5  GET /packages/{name} HTML
#   P6  idle RSS, and RSS under P1
#   P7  GET /api/v1/packages/{name} over up to 60,000 distinct packages at
#       32 connections, so most requests miss the per-instance cache (the
#       uncached metadata path); target ≥ 25% of P1's rate, p99 ≤ 20 ms
#
# BENCH_SMOKE=1 is a seconds-long version for CI: tiny corpus, debug build,
# results in a temporary folder, no search run. Needs wrk, nginx, psql, curl.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh

SMOKE=${BENCH_SMOKE:-}
if [ -n "$SMOKE" ]; then
    N=${BENCH_PACKAGES:-300}
    DURATION=${BENCH_DURATION:-1s}
    PUBLISHES=${BENCH_PUBLISHES:-5}
    BIG_MB=${BENCH_BIG_MB:-2}
    BIN=${BENCH_BIN:-./target/debug/sema-pkg}
    OUT_DIR=$(mktemp -d)
else
    N=${BENCH_PACKAGES:-100000}
    DURATION=${BENCH_DURATION:-10s}
    PUBLISHES=${BENCH_PUBLISHES:-500}
    BIG_MB=${BENCH_BIG_MB:-50}
    BIN=${BENCH_BIN:-./target/release/sema-pkg}
    OUT_DIR=bench
fi
USERS=${BENCH_USERS:-$((N / 100 + 10))}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
THREADS=${BENCH_THREADS:-2}
ADMIN_URL=${BENCH_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}
DB=${BENCH_INSTALL_DB:-sema_pkg_bench_install}
DB_URL=${ADMIN_URL%/*}/$DB
PORT=${BENCH_PORT:-3998}
NGINX_PORT=${BENCH_NGINX_PORT:-3997}
WORK=$(mktemp -d)
chmod 755 "$WORK" # nginx workers read the static copies
SERVER=
NGINX=
cleanup() {
    if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; fi
    if [ -n "$NGINX" ]; then kill "$NGINX" 2>/dev/null || true; fi
    rm -rf "$WORK"
    [ -n "$SMOKE" ] && rm -rf "$OUT_DIR"
    return 0
}
trap cleanup EXIT
for tool in wrk nginx psql curl bc; do
    command -v "$tool" >/dev/null || { echo "bench: $tool is required (make bench installs it)" >&2; exit 1; }
done
[ -x "$BIN" ] || { echo "bench: $BIN is missing (make build)" >&2; exit 1; }

export DATABASE_URL=$DB_URL BLOB_DIR=$WORK/blobs RUST_LOG=warn
sema_pkg() { "$BIN" "$@"; }

echo "== seeding $N packages, $USERS users, up to 20 versions into $DB"
psql "$ADMIN_URL" -Xqc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
seed_start=$(date +%s.%N)
sema_pkg seed --packages "$N" --users "$USERS" --versions 20 --tarballs 50 | tee "$WORK/seed.log"
seed_secs=$(printf '%.0f' "$(echo "$(date +%s.%N) - $seed_start" | bc)")
counts=$(psql "$DB_URL" -XAtF' ' -c "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM packages),
    (SELECT count(*) FROM versions), (SELECT count(*) FROM dependencies), (SELECT count(*) FROM version_downloads)")

# Subjects: the most downloaded package with 20 versions (P1, P5), and the
# seeded tarball closest to 100 KiB (P2).
P1_NAME=$(psql "$DB_URL" -XAtc "SELECT p.name FROM packages p JOIN versions v ON v.package_id = p.id
    JOIN package_downloads d ON d.package_id = p.id
    GROUP BY p.id, d.downloads ORDER BY abs(count(*) - 20), d.downloads DESC LIMIT 1")
P1_VERSIONS=$(psql "$DB_URL" -XAtc "SELECT count(*) FROM versions v JOIN packages p ON p.id = v.package_id WHERE p.name = '$P1_NAME'")
# One awk keeps the closest: no reader that closes the pipe early (pipefail, SIGPIPE).
P2_SUM=$(find "$BLOB_DIR/sha256" -name '*.tar.gz' -printf '%s %f\n' |
    awk '{ d = $1 - 102400; if (d < 0) d = -d; if (best == "" || d < min) { min = d; best = $2 } } END { print best }')
read -r P2_NAME P2_VERSION P2_SIZE < <(psql "$DB_URL" -XAtF' ' -c "SELECT p.name, v.version, v.size_bytes
    FROM versions v JOIN packages p ON p.id = v.package_id WHERE v.checksum = '${P2_SUM%.tar.gz}' LIMIT 1")
echo "P1/P5: $P1_NAME ($P1_VERSIONS versions); P2: $P2_NAME@$P2_VERSION ($P2_SIZE bytes)"

rss() { awk -v k="$2:" '$1 == k { print int($2 / 1024) }' "/proc/$1/status"; }

start_server() { # [PACKAGE_CACHE value]
    # Limits are raised so the load measures serving, not the 429 path; no
    # per-request log line (nginx below has access_log off too).
    PACKAGE_CACHE=${1:-on} PORT=$PORT HOST=127.0.0.1 RATE_LIMIT_READS_PER_SECOND=100000000 \
        RATE_LIMIT_WRITES_PER_MINUTE=100000000 MAX_TARBALL_BYTES=$(((BIG_MB + 8) * 1024 * 1024)) \
        "$BIN" serve >"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 150); do
        curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    cat "$WORK/server.log" >&2
    exit 1
}
stop_server() {
    kill "$SERVER"
    wait "$SERVER" 2>/dev/null || true
    SERVER=
}
start_server
sleep 2
IDLE_RSS=$(rss "$SERVER" VmRSS)
echo "P6 idle RSS: $IDLE_RSS MiB"

API=http://127.0.0.1:$PORT
P1_URL=$API/api/v1/packages/$P1_NAME
P2_URL=$API/api/v1/packages/$P2_NAME/$P2_VERSION/download
P5_URL=$API/packages/$P1_NAME

# The ceiling: nginx serves what the registry answered, byte for byte.
mkdir -p "$WORK/static" "$WORK/nginx-tmp"
curl -fsS "$P1_URL" -o "$WORK/static/p1.json"
curl -fsS "$P2_URL" -o "$WORK/static/p2.tar.gz"
curl -fsS "$P5_URL" -o "$WORK/static/p5.html"
[ "$(stat -c %s "$WORK/static/p2.tar.gz")" = "$P2_SIZE" ] || { echo "bench: download size mismatch" >&2; exit 1; }
chmod -R a+rX "$WORK/static"
cat >"$WORK/nginx.conf" <<NGINX_CONF
user root;
worker_processes auto;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path $WORK/nginx-tmp;
    types { application/json json; application/gzip gz; text/html html; }
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $WORK/static;
    }
}
NGINX_CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" -g 'daemon off;' &
NGINX=$!
NG=http://127.0.0.1:$NGINX_PORT
for _ in $(seq 1 50); do curl -fs "$NG/p1.json" >/dev/null 2>&1 && break; sleep 0.1; done
etag() { curl -fsI "$1" | awk 'tolower($1) == "etag:" { print $2 }' | tr -d '\r'; }
OUR_ETAG=$(etag "$P2_URL")
NGINX_ETAG=$(etag "$NG/p2.tar.gz")

# wrk with a summary line: requests/s, p50 ms, p99 ms, socket errors, bad statuses.
LUA=$WORK/report.lua
cat >"$LUA" <<'WRK_LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %.1f %.3f %.3f %d %d\n", summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.timeout, e.status))
end
WRK_LUA
declare -A R
load() { # key url [header]; the result line lands in $WORK/<key>
    curl -fs -o /dev/null ${3:+-H "$3"} "$2" # warm, and fail loudly on a bad URL
    local args=(-t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" -s "$LUA")
    [ -n "${3:-}" ] && args+=(-H "$3")
    wrk "${args[@]}" "$2" | awk '/^RESULT/ { print $2, $3, $4, $5, $6 }' >"$WORK/$1"
}
run() { # key url [header]
    load "$@"
    R[$1]=$(cat "$WORK/$1")
    echo "$1: ${R[$1]}"
}
db_writes() {
    psql "$ADMIN_URL" -XAtc "SELECT tup_inserted + tup_updated + tup_deleted FROM pg_stat_database WHERE datname = '$DB'"
}

echo "== P4: one $BIG_MB MB upload, then $PUBLISHES publishes in sequence"
SEMA_PKG_PASSWORD=bench-password sema_pkg admin create-user bencher bencher@bench.example >/dev/null
TOKEN=$(sema_pkg admin token-create bencher --name bench | tail -1)
pkgdir=$WORK/pkg
mkdir -p "$pkgdir"
make_tarball() { # name version out [big-MB]
    rm -rf "${pkgdir:?}"/*
    printf '[package]\nname = "%s"\nversion = "%s"\ndescription = "bench"\nentrypoint = "package.sema"\n\n[deps]\n' "$1" "$2" >"$pkgdir/sema.toml"
    echo "(define (hello) \"$1 $2\")" >"$pkgdir/package.sema"
    if [ -n "${4:-}" ]; then head -c "$(($4 * 1024 * 1024))" /dev/urandom >"$pkgdir/data.bin"; fi
    tar czf "$3" -C "$pkgdir" .
}
publish() { # name version tarball → seconds
    curl -fsS -o /dev/null -w '%{time_total}\n' -X PUT -H "Authorization: Bearer $TOKEN" \
        -F 'metadata={"description":"bench","repository_url":null,"sema_version_req":null}' \
        -F "tarball=@$3;type=application/gzip;filename=package.tar.gz" \
        "$API/api/v1/packages/$1/$2"
}
make_tarball bench-big 1.0.0 "$WORK/big.tar.gz" "$BIG_MB"
BIG_BYTES=$(stat -c %s "$WORK/big.tar.gz")
HWM_BEFORE=$(rss "$SERVER" VmHWM)
BIG_SECS=$(publish bench-big 1.0.0 "$WORK/big.tar.gz")
HWM_AFTER=$(rss "$SERVER" VmHWM)
echo "big upload: $BIG_BYTES bytes in $BIG_SECS s; peak RSS $HWM_BEFORE → $HWM_AFTER MiB"
for i in $(seq 1 "$PUBLISHES"); do make_tarball bench-small "1.0.$i" "$WORK/small-$i.tar.gz"; done
: >"$WORK/publish-times"
for i in $(seq 1 "$PUBLISHES"); do publish bench-small "1.0.$i" "$WORK/small-$i.tar.gz" >>"$WORK/publish-times"; done
read -r PUB_P50 PUB_P99 PUB_MEAN < <(sort -n "$WORK/publish-times" | awk '{ a[NR] = $1 * 1000; s += $1 * 1000 }
    END { i = int(NR * 0.50 + 0.5); j = int(NR * 0.99 + 0.5); if (i < 1) i = 1; if (j < 1) j = 1;
          printf "%.2f %.2f %.2f\n", a[i], a[j], s / NR }')
echo "publish: p50 $PUB_P50 ms, p99 $PUB_P99 ms, mean $PUB_MEAN ms"

echo "== P1: metadata, $CONNECTIONS connections, $DURATION (RSS sampled under load)"
load p1 "$P1_URL" &
wrk_pid=$!
P1_RSS=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    r=$(rss "$SERVER" VmRSS)
    [ "$r" -gt "$P1_RSS" ] && P1_RSS=$r
    sleep 0.5
done
wait "$wrk_pid"
R[p1]=$(cat "$WORK/p1")
echo "p1: ${R[p1]}; RSS under load ≤ $P1_RSS MiB"
run p1_nginx "$NG/p1.json"

echo "== P7: metadata of many distinct packages (most miss the cache), 32 connections"
psql "$DB_URL" -XAtc "SELECT '/api/v1/packages/' || name FROM packages ORDER BY md5(name) LIMIT 60000" >"$WORK/p7.txt"
P7_DISTINCT=$(wc -l <"$WORK/p7.txt")
{
    echo 'local paths = {}'
    echo "for line in io.lines(\"$WORK/p7.txt\") do paths[#paths + 1] = line end"
    echo 'local n = 0'
    echo 'function setup(thread) n = n + 1; thread:set("id", n) end'
    echo 'function init(args) i = (id or 1) * 30011 end'
    echo 'function request() i = i + 1; return wrk.format("GET", paths[(i % #paths) + 1]) end'
    cat "$LUA"
} >"$WORK/p7.lua"
many() { # key: P7's load, result in R[key]
    wrk -t"$THREADS" -c32 -d"$DURATION" -s "$WORK/p7.lua" "$API" | awk '/^RESULT/ { print $2, $3, $4, $5, $6 }' >"$WORK/$1"
    R[$1]=$(cat "$WORK/$1")
    echo "$1: ${R[$1]}"
}
many p7

echo "== P2: download"
writes_before=$(db_writes)
run p2 "$P2_URL"
sleep 2 # the download counters' flush
writes_after=$(db_writes)
P2_REQUESTS=$(awk -v d="${DURATION%s}" '{ printf "%d", $1 * d }' <<<"${R[p2]}")
P2_WRITES=$((writes_after - writes_before))
run p2_nginx "$NG/p2.tar.gz"
run p2_304 "$P2_URL" "If-None-Match: $OUR_ETAG"
run p2_304_nginx "$NG/p2.tar.gz" "If-None-Match: $NGINX_ETAG"

echo "== P5: package page"
run p5 "$P5_URL"
run p5_nginx "$NG/p5.html"
# The framework's floor: an empty handler behind the same middleware stack.
run floor "$API/healthz"
stop_server

# Before/after for the cache: the same reads with every answer from Postgres.
echo "== P1, P2, P5 again with PACKAGE_CACHE=off"
start_server off
run p1_off "$P1_URL"
run p2_off "$P2_URL"
run p5_off "$P5_URL"
many p7_off
stop_server

# P3 is the search benchmark's own run and report.
if [ -z "$SMOKE" ] && [ -z "${BENCH_SKIP_SEARCH:-}" ]; then
    N=100000 BENCH_DROP=1 bash bench/search.sh
fi
P3=$(sed -n '/^| class/,/^$/p' bench/search-100k.md 2>/dev/null |
    awk -F'|' 'NR > 2 && NF > 7 && $4 ~ /8/ { gsub(/ |\*/, "", $2); v = $7; gsub(/ ms| /, "", v); printf "%s%s %s", sep, $2, v; sep = ", " }')

# ---- report ----
f() { awk -v i="$2" '{ print $i }' <<<"${R[$1]}"; }
ratio() { awk -v a="$(f "$1" 1)" -v b="$(f "$2" 1)" 'BEGIN { printf "%.0f", (b > 0 ? 100 * a / b : 0) }'; }
verdict() { # VALUE -ge|-le LIMIT
    local ok
    case $2 in -ge) ok=$(($1 >= $3)) ;; *) ok=$(($1 <= $3)) ;; esac
    if ((ok)); then echo "met"; else echo "**missed**"; fi
}
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
DIRTY=""
[ -z "$(git status --porcelain 2>/dev/null)" ] || DIRTY=" (with uncommitted changes)"
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
WHEN=$(date -u +%Y-%m-%dT%H:%MZ)
read -r C_USERS C_PACKAGES C_VERSIONS C_DEPS C_DLROWS <<<"$counts"
BIG_ADDED=$((HWM_AFTER - HWM_BEFORE))
P1_BYTES=$(stat -c %s "$WORK/static/p1.json")
P5_BYTES=$(stat -c %s "$WORK/static/p5.html")
row() { # label key nginx-key [target-pct]
    local r target=""
    r=$(ratio "$2" "$3")
    [ -n "${4:-}" ] && target="≥ $4%: $(verdict "$r" -ge "$4")"
    echo "| $1 | $(f "$2" 1) | $(f "$2" 2) | $(f "$2" 3) | $(f "$2" 4)/$(f "$2" 5) | $(f "$3" 1) | $(f "$3" 2) | $(f "$3" 3) | **$r%** | $target |"
}
TABLE=$WORK/install-table.md
{
    echo "## Install path (P1–P6) against nginx"
    echo
    echo "Run $WHEN on commit \`$COMMIT\`$DIRTY, $(nproc) cores ($CPU), $(free -g | awk '/Mem:/{print $2}') GB RAM,"
    echo "PostgreSQL $(psql "$ADMIN_URL" -XAtc 'SHOW server_version' | cut -d' ' -f1) and $(nginx -v 2>&1 | sed 's/.*: //') on the same machine as the load generator."
    echo "Command: \`make bench\`. Load: \`wrk -t$THREADS -c$CONNECTIONS -d$DURATION\` against the release build and against nginx"
    echo "(\`worker_processes auto\`, sendfile, \`access_log off\`) serving the very bytes the registry returned. The registry runs"
    echo "with \`RUST_LOG=warn\` (no per-request log line) and rate limits raised."
    echo "Corpus: \`sema-pkg seed --packages $N --users $USERS --versions 20 --tarballs 50\` in $seed_secs s:"
    echo "$C_USERS users, $C_PACKAGES packages, $C_VERSIONS versions, $C_DEPS dependencies, $C_DLROWS daily download rows."
    echo "P1/P5 subject: \`$P1_NAME\` ($P1_VERSIONS versions; $P1_BYTES bytes of JSON, $P5_BYTES bytes of HTML); P2: \`$P2_NAME@$P2_VERSION\` ($P2_SIZE bytes)."
    echo
    echo "| scenario | req/s | p50 ms | p99 ms | socket errors/bad status | nginx req/s | nginx p50 | nginx p99 | ratio | target |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    row "P1 metadata JSON" p1 p1_nginx 50
    row "P2 download 100 KiB" p2 p2_nginx 70
    row "P2 with If-None-Match (304)" p2_304 p2_304_nginx 70
    row "P5 package page HTML" p5 p5_nginx 30
    echo "| \`/healthz\` (an empty handler: the middleware floor) | $(f floor 1) | $(f floor 2) | $(f floor 3) | $(f floor 4)/$(f floor 5) | | | | | |"
    echo "| P7 metadata JSON, $P7_DISTINCT distinct packages, 32 connections (the uncached path) | $(f p7 1) | $(f p7 2) | $(f p7 3) | $(f p7 4)/$(f p7 5) | P1: $(f p1 1) | | | **$(ratio p7 p1)% of P1** | ≥ 25% of P1: $(verdict "$(ratio p7 p1)" -ge 25); p99 ≤ 20 ms: $(verdict "$(f p7 3 | cut -d. -f1)" -lt 20) |"
    echo "| P7 with PACKAGE_CACHE=off (every request a miss) | $(f p7_off 1) | $(f p7_off 2) | $(f p7_off 3) | $(f p7_off 4)/$(f p7_off 5) | P1: $(f p1 1) | | | $(ratio p7_off p1)% of P1 | |"
    row "before: P1 without the cache" p1_off p1_nginx
    row "before: P2 without the cache" p2_off p2_nginx
    row "before: P5 without the cache" p5_off p5_nginx
    echo
    echo "- P2 database writes: $P2_WRITES row writes during ~$P2_REQUESTS downloads (counters are flushed in batches, not per request)."
    echo "- P3 search p99 by class at 100k, 8 connections (ms; target ≤ 20): ${P3:-not run}. See the Search section."
    echo "- P4 publish: $PUBLISHES small publishes in sequence: p50 $PUB_P50 ms, p99 $PUB_P99 ms, mean $PUB_MEAN ms."
    echo "  One $BIG_MB MB upload ($BIG_BYTES bytes, ${BIG_SECS} s): peak RSS $HWM_BEFORE → $HWM_AFTER MiB (+$BIG_ADDED MiB; target ≤ 32: $(verdict "$BIG_ADDED" -le 32))."
    echo "- P6 RSS: idle $IDLE_RSS MiB (target ≤ 40: $(verdict "$IDLE_RSS" -le 40)); under P1 at most $P1_RSS MiB (target ≤ 150: $(verdict "$P1_RSS" -le 150))."
} >"$TABLE"

jr() { # key → JSON object
    echo "{\"rps\": $(f "$1" 1), \"p50_ms\": $(f "$1" 2), \"p99_ms\": $(f "$1" 3), \"socket_errors\": $(f "$1" 4), \"bad_status\": $(f "$1" 5)}"
}
cat >"$OUT_DIR/report.json" <<JSON
{
  "when": "$WHEN", "commit": "$COMMIT", "cores": $(nproc), "cpu": "$CPU",
  "load": {"tool": "wrk", "threads": $THREADS, "connections": $CONNECTIONS, "duration": "$DURATION"},
  "corpus": {"users": $C_USERS, "packages": $C_PACKAGES, "versions": $C_VERSIONS, "dependencies": $C_DEPS, "seed_seconds": $seed_secs},
  "p1": {"registry": $(jr p1), "nginx": $(jr p1_nginx), "ratio_pct": $(ratio p1 p1_nginx), "package": "$P1_NAME", "versions": $P1_VERSIONS, "bytes": $P1_BYTES},
  "p2": {"registry": $(jr p2), "nginx": $(jr p2_nginx), "ratio_pct": $(ratio p2 p2_nginx), "bytes": $P2_SIZE, "db_row_writes": $P2_WRITES, "requests": $P2_REQUESTS},
  "p2_not_modified": {"registry": $(jr p2_304), "nginx": $(jr p2_304_nginx), "ratio_pct": $(ratio p2_304 p2_304_nginx)},
  "p3_p99_ms": "$P3",
  "p4": {"publishes": $PUBLISHES, "p50_ms": $PUB_P50, "p99_ms": $PUB_P99, "mean_ms": $PUB_MEAN,
         "big_upload_bytes": $BIG_BYTES, "peak_rss_before_mib": $HWM_BEFORE, "peak_rss_after_mib": $HWM_AFTER},
  "p5": {"registry": $(jr p5), "nginx": $(jr p5_nginx), "ratio_pct": $(ratio p5 p5_nginx), "bytes": $P5_BYTES},
  "healthz_floor": $(jr floor),
  "without_cache": {"p1": $(jr p1_off), "p2": $(jr p2_off), "p5": $(jr p5_off)},
  "p6": {"idle_rss_mib": $IDLE_RSS, "p1_rss_mib": $P1_RSS},
  "p7": {"registry": $(jr p7), "without_cache": $(jr p7_off), "distinct_packages": $P7_DISTINCT, "pct_of_p1": $(ratio p7 p1)}
}
JSON
cat "$TABLE"
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT_DIR/report.json"
psql "$ADMIN_URL" -Xqc "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
if [ -n "$SMOKE" ]; then
    # The smoke run proves every scenario ran and was answered without errors.
    for k in p1 p1_nginx p2 p2_nginx p2_304 p2_304_nginx p5 p5_nginx floor p1_off p2_off p5_off p7 p7_off; do
        if [ "$(f "$k" 4)" != 0 ] || [ "$(f "$k" 5)" != 0 ]; then echo "bench smoke: $k: ${R[$k]}" >&2; exit 1; fi
    done
    echo "bench smoke ok"
    exit 0
fi

# REPORT.md: replace only the Install section (between the markers).
REPORT=bench/REPORT.md
section=$WORK/section.md
{
    echo "<!-- install:begin (bench/run.sh writes this section) -->"
    cat "$TABLE"
    if [ -f bench/install-notes.md ]; then echo; cat bench/install-notes.md; fi
    echo "<!-- install:end -->"
} >"$section"
replace_section install "$section"
echo "updated $REPORT and $OUT_DIR/report.json"
