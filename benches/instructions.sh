#!/usr/bin/env bash
# Instructions per lead in the in-process pipeline, counted by callgrind.
#
# On a shared two-core VM the pipeline benchmark's time moves by 10-30 %
# between runs of the same binary, so a change worth 2-4 % cannot be seen in
# it without many alternated rounds. An instruction count does not move:
# this runs the pipeline benchmark under valgrind's callgrind and prints,
# per call, the instructions of the decision's parts (each function with
# what it calls), the same from run to run within about 0.3 %. Fewer
# instructions is not the same as less time (cache misses, branch
# mispredictions and the allocator's locks are not counted), so a change
# that this shows as a gain is then timed as well; what it settles is
# whether a change does less work, and where.
#
# Usage: benches/instructions.sh [BENCH [FILTER]]
#   BENCH: `pipeline` (default; the engine alone, `cargo bench -p hql-benches
#          --bench pipeline`) or `request` (one call as a decision thread of
#          hqld makes it, request bytes in and answer bytes out, `cargo bench
#          -p hql-server --bench request`); or `overhead`: the pipeline's
#          qualify/dynamic and qualify/static both, then what dynamic loading
#          costs (`Pipeline::evaluate` dynamic over static, the performance
#          issue's "dynamic-plugin overhead") and the functions that make
#          the difference, per lead, largest first.
#   FILTER: one of its benchmarks (default `qualify/dynamic` for pipeline,
#           `request/qualify` for request).
# INSTRUCTIONS_SECONDS: criterion's --profile-time under valgrind (default 3
#                       for pipeline, about 5,000 leads on a 2 GHz core, each
#                       of its 256 leads about 20 times; 12 for request, whose
#                       1,024 leads differ more in size: a 3-second run reaches
#                       a different share of them as the code gets faster, and
#                       its per-call counts moved by a quarter for one build).
# INSTRUCTIONS_OUT: where callgrind's output goes (default target/instructions).
# Needs: valgrind (Debian: apt-get install valgrind). Under valgrind the CPU
# has no SHA extensions, so SHA-256 runs in software and the decision id
# counts several times what it costs natively; the other rows are unaffected.
# Figures and reading: docs/performance.md, "Instructions per lead".
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

which="${1:-pipeline}"
if [ "$which" = overhead ]; then
    out="${INSTRUCTIONS_OUT:-target/instructions}"
    evaluate() { awk '$1 == "Pipeline::evaluate" { print $2, $3 }'; }
    read -r dyn_leads dyn_per < <("$0" pipeline qualify/dynamic | evaluate) || true
    read -r sta_leads sta_per < <("$0" pipeline qualify/static | evaluate) || true
    # A count that failed has said why on stderr; do not divide what is missing.
    [ -n "${dyn_per:-}" ] && [ -n "${sta_per:-}" ] ||
        { echo "instructions: a count failed; nothing to compare" >&2; exit 1; }
    awk -v d="$dyn_per" -v s="$sta_per" 'BEGIN {
        printf "Pipeline::evaluate per lead: dynamic %d, static %d, overhead %+.1f %% (%d)\n", d, s, (d / s - 1) * 100, d - s }'
    # Self instructions per function, each run divided by its leads; the
    # largest differences (callgrind merges a function of the same name
    # across the libraries, which is what is wanted here).
    self_per_lead() {
        callgrind_annotate --inclusive=no --threshold=100 "$1" 2>/dev/null | awk -v leads="$2" -v side="$3" '
            /^ *[0-9,]+ \( *[0-9.]+%\) +[^ ]/ && !/PROGRAM TOTALS/ {
                ir = $1; gsub(",", "", ir)
                name = $0; sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "", name); sub(/ \[.*\]$/, "", name); sub(/^[^:]*:/, "", name)
                print side "\t" name "\t" ir / leads
            }'
    }
    { self_per_lead "$out/callgrind.pipeline.qualify-dynamic.out" "$dyn_leads" d
      self_per_lead "$out/callgrind.pipeline.qualify-static.out" "$sta_leads" s; } | awk -F '\t' '
        { v[$2, $1] += $3; names[$2] = 1 }
        END {
            for (n in names) { diff = v[n, "d"] - v[n, "s"]; if (diff > 150 || diff < -150) printf "%8.0f %8.0f %+8.0f  %s\n", v[n, "d"], v[n, "s"], diff, substr(n, 1, 90) }
        }' | grep -v 'sha2::' | sort -k3,3 -g -r | { echo "  dynamic   static  difference  (self instructions per lead; SHA-256 left out: software under valgrind)"; cat; }
    exit 0
fi
case "$which" in
    pipeline) package=hql-benches; default_filter=qualify/dynamic; default_seconds=3 ;;
    request) package=hql-server; default_filter=request/qualify; default_seconds=12 ;;
    *) echo "instructions: unknown benchmark '$which' (pipeline, request, overhead)" >&2; exit 2 ;;
esac
filter="${2:-$default_filter}"
seconds="${INSTRUCTIONS_SECONDS:-$default_seconds}"
out="${INSTRUCTIONS_OUT:-target/instructions}"
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null ||
    { echo "instructions: needs valgrind (Debian: apt-get install valgrind)" >&2; exit 2; }

# The benchmark builds the plugin libraries itself when it starts (natively:
# valgrind does not follow it into cargo).
bench="$(cargo bench -p "$package" --bench "$which" --no-run 2>&1 |
    sed -n 's/.*Executable .*(\(.*\)).*/\1/p' | tail -1)"
[ -x "$bench" ] || { echo "instructions: the pipeline benchmark did not build" >&2; exit 2; }

mkdir -p "$out"
file="$out/callgrind.$which.$(echo "$filter" | tr '/' '-').out"
valgrind --tool=callgrind --callgrind-out-file="$file" "$bench" --bench --profile-time "$seconds" "$filter" \
    >/dev/null 2>"$out/valgrind.log" || { cat "$out/valgrind.log" >&2; exit 1; }

# callgrind_annotate's caller tree lists, for each function, the calls into
# it from each caller ("< caller (Nx)") and then the function with its
# inclusive count ("* function"): calls are summed over its callers.
callgrind_annotate --tree=caller --inclusive=yes "$file" 2>/dev/null | awk '
    BEGIN {
        n = split("calls::qualify |calls::qualify_batch |calls::explain |calls::lead_in |convert::wire::single|convert::wire::batch|LeadBytes::read|convert::lead::lead_and_as_of|convert::lead::batch_lead|convert::encode::qualify_response|convert::encode::put_decided_result|convert::encode::explain_response|Pipeline::decision |Pipeline::evaluate |Pipeline::evaluate_view |AbiInstance::copy_wanted|export::emit|IntentScorer as|TrustNurtureScorer as|IcpFitScorer as|BantScorer as|ProductUsageScorer as|digest::decision_id", rows, "|")
        for (i = 1; i <= n; i++) label[i] = rows[i]
    }
    /^ *[0-9,]+ \( *[0-9.]+%\) +< / {
        if (match($0, /\(([0-9,]+)x\)/)) { c = substr($0, RSTART + 1, RLENGTH - 3); gsub(",", "", c); pending += c }
        next
    }
    /^ *[0-9,]+ \( *[0-9.]+%\) +\* / {
        ir = $1; gsub(",", "", ir)
        for (i = 1; i <= n; i++) if (index($0, label[i])) { calls[i] += pending; incl[i] += ir }
        pending = 0; next
    }
    /^ *$/ { pending = 0 }
    END {
        printf "%-40s %10s %16s\n", "function (with what it calls)", "calls", "instructions/call"
        for (i = 1; i <= n; i++) if (calls[i] > 0)
            printf "%-40s %10d %16.0f\n", label[i], calls[i], incl[i] / calls[i]
    }'
echo "callgrind output: $file (callgrind_annotate $file)"
