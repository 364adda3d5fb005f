# shellcheck shell=bash
# Shared by the benchmark scripts (sourced, not run).

# replace_section NAME FILE: puts FILE (which starts with `<!-- NAME:begin` and
# ends with `<!-- NAME:end -->`) into bench/REPORT.md in place of the old
# section, or appends it; the other sections stay as they are.
replace_section() {
    local name=$1 section=$2 report=bench/REPORT.md tmp
    [ -f "$report" ] || printf '# Benchmarks\n' >"$report"
    if grep -q "<!-- $name:begin" "$report"; then
        tmp=$(mktemp)
        awk -v f="$section" -v b="<!-- $name:begin" -v e="<!-- $name:end -->" '
            index($0, b) == 1 { while ((getline l < f) > 0) print l; skip = 1; next }
            index($0, e) == 1 { skip = 0; next }
            !skip' "$report" >"$tmp" && cp "$tmp" "$report"
        rm -f "$tmp"
    else
        { echo; cat "$section"; } >>"$report"
    fi
}
