#!/usr/bin/env bash
# Where a call's CPU goes under load, in hqld and in the transport floor:
# both servers are loaded the same way by the load harness, each is sampled
# with `perf record --call-graph dwarf` while it serves, and for each one
# this writes
#   OUT/<server>-<mode>.folded   collapsed stacks (inferno-collapse-perf),
#   OUT/<server>-<mode>.svg      a flame graph of them (inferno-flamegraph),
# and prints a table: the server's CPU per lead (as the harness measured it
# over the same run) split by component (scorer plugins, decision id, the
# engine's own work, hqld's request reading and answer encoding, the
# floor's protobuf decoding and encoding, HTTP/2 and gRPC, the tokio runtime, the kernel, the allocator), each
# sample counted once, under the first component its stack passes through.
# Figures and reading: docs/performance.md, "Where a call's CPU goes under
# load".
#
# Usage: benches/profile.sh [MODE...]   modes: unary (default) explain batch stream
# PROFILE_DIR: directory holding hqld and the libhql_*.so plugins to profile
#              (default target/release; target/pgo/dist after
#              deploy/pgo-build.sh).
# PROFILE_SECONDS: seconds sampled per server and mode (default 5).
# PROFILE_HZ: samples per second (default 999).
# PROFILE_OUT: where the folded stacks and flame graphs go (default
#              target/profile).
# Needs: perf (Debian: linux-perf) allowed to sample other processes of the
# same user (kernel.perf_event_paranoid <= 1, or root); inferno, installed
# into target/tools by `cargo install` when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=../deploy/lib/listening.sh
source deploy/lib/listening.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

dir="${PROFILE_DIR:-target/release}"
seconds="${PROFILE_SECONDS:-5}"
hz="${PROFILE_HZ:-999}"
out="${PROFILE_OUT:-target/profile}"
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(unary)
for mode in "${modes[@]}"; do
    case "$mode" in
        unary | explain | batch | stream) ;;
        *) echo "profile: unknown mode '$mode' (unary, explain, batch, stream)" >&2; exit 2 ;;
    esac
done

step() { printf '\n==> %s\n' "$*" >&2; }

command -v perf >/dev/null || { echo "profile: needs perf (Debian: apt-get install linux-perf)" >&2; exit 2; }
[ -x "$dir/hqld" ] || { echo "profile: no $dir/hqld: cargo build --release --workspace" >&2; exit 2; }
export PATH="$PWD/target/tools/bin:$PATH"
if ! command -v inferno-collapse-perf >/dev/null || ! command -v inferno-flamegraph >/dev/null; then
    step "cargo install inferno (into target/tools)"
    cargo install inferno --locked --version 0.12.8 --root target/tools
fi
step "the load harness"
cargo build --release -p hql-load
load=target/release/hql-load

mkdir -p "$out"
work="$(mktemp -d)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

step "hqld from $dir and the floor (answers captured from it)"
start_listening "$work/hqld.out" "$dir/hqld" --policy policies/default.toml --plugin-dir "$dir" \
    --listen 127.0.0.1:0 --metrics-listen off --log-level warn
pids+=("$pid")
hqld_pid=$pid
hqld_address=$address
start_listening "$work/floor.out" "$load" floor --listen 127.0.0.1:0 --capture-from "http://$hqld_address"
pids+=("$pid")
floor_pid=$pid
floor_address=$address

# The server CPU per lead the harness measured, from its JSON report.
us_per_lead() {
    sed -n '/"server_cpu"/,/}/s/.*"us_per_lead": \([0-9.]*\).*/\1/p' "$1" | head -n 1
}

# Component of each folded stack (first match wins), summed and scaled to
# the measured CPU per lead. Kernel frames carry "_[k]" (--kernel).
components() {
    awk -v us="$2" '
        function component(stack, leaf) {
            if (stack ~ /hql_plugin_api::export::score|hql_(bant|icp_fit|intent|product_usage|trust_nurture)::/)
                return "scorer plugins (with their host callbacks)"
            if (stack ~ /hql_qualifier::digest|sha2::/) return "decision id (layout, SHA-256)"
            if (stack ~ /hql_qualifier::|hql_plugin_api::/) return "engine: view, gates, reasons"
            if (stack ~ /hql_server::/) {
                if (stack ~ /hql_server::convert::encode|encode_varint|encoded_len/) return "hqld: answer encoded"
                if (stack ~ /hql_server::convert::|hql_server::validate|prost::/)
                    return "hqld: request read, validated, converted"
                return "hqld: handler, hop to a decision thread"
            }
            if (stack ~ /prost::/) {
                if (stack ~ /[Dd]ecode|merge/) return "floor: protobuf decoded (prost)"
                return "floor: protobuf encoded (prost)"
            }
            if (stack ~ /hql_load::/) return "floor: handler"
            if (leaf ~ /_\[k\]$/) return "kernel"
            if (stack ~ /(^|;)(<)?(h2|hyper|hyper_util|tonic|tower|http|http_body|http_body_util)::/)
                return "HTTP/2 and gRPC (h2, hyper, tonic)"
            if (stack ~ /tokio::/) return "runtime (tokio)"
            if (leaf ~ /^(_?mi_|malloc|free|realloc|calloc|_int_|cfree)/) return "allocator"
            return "other"
        }
        {
            count = $NF
            stack = $0
            sub(/ [0-9]+$/, "", stack)
            n = split(stack, frames, ";")
            c = component(stack, frames[n])
            sum[c] += count
            total += count
        }
        END {
            for (c in sum) printf "%s\t%.2f\n", c, us * sum[c] / total
        }
    ' "$1"
}

for mode in "${modes[@]}"; do
    for server in hqld floor; do
        if [ "$server" = hqld ]; then pid=$hqld_pid address=$hqld_address; else pid=$floor_pid address=$floor_address; fi
        step "$server, $mode: ${seconds}s sampled inside $((seconds + 3))s of load"
        "$load" run --mode "$mode" --target "http://$address" --server-pid "$pid" --warmup 1s \
            --duration "$((seconds + 3))s" --json >"$work/$server-$mode.json" &
        loader=$!
        sleep 2
        perf record -q -F "$hz" --call-graph dwarf,16384 -p "$pid" -o "$work/perf.data" -- sleep "$seconds" \
            >"$work/perf.log" 2>&1 || true
        wait "$loader"
        if [ ! -s "$work/perf.data" ]; then
            echo "profile: perf recorded nothing (kernel.perf_event_paranoid is" \
                "$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo unknown); it needs 1 or less, or root):" >&2
            cat "$work/perf.log" >&2
            exit 1
        fi
        grep -q '"error_total": 0' "$work/$server-$mode.json" ||
            { echo "profile: $server answered $mode calls with errors" >&2; exit 1; }
        perf script -i "$work/perf.data" 2>/dev/null | inferno-collapse-perf --kernel >"$out/$server-$mode.folded"
        rm -f "$work/perf.data"
        inferno-flamegraph --title "$server, $mode (CPU under closed-loop load)" --hash --minwidth 0.1 \
            <"$out/$server-$mode.folded" >"$out/$server-$mode.svg"
    done
    hqld_us="$(us_per_lead "$work/hqld-$mode.json")"
    floor_us="$(us_per_lead "$work/floor-$mode.json")"
    components "$out/hqld-$mode.folded" "$hqld_us" >"$work/hqld.components"
    components "$out/floor-$mode.folded" "$floor_us" >"$work/floor.components"
    printf '\n%s: server CPU per lead, by component (us)\n' "$mode"
    printf '%-44s %8s %8s\n' component hqld floor
    # Joined on the component, largest in hqld first.
    awk -F'\t' '
        FNR == NR { h[$1] = $2; seen[$1] = 1; next }
        { f[$1] = $2; seen[$1] = 1 }
        END { for (c in seen) printf "%s\t%s\t%s\n", c, (c in h) ? h[c] : "-", (c in f) ? f[c] : "-" }
    ' "$work/hqld.components" "$work/floor.components" | sort -t$'\t' -k2,2 -gr |
        awk -F'\t' '{ printf "%-44s %8s %8s\n", $1, $2, $3 }'
    printf '%-44s %8.2f %8.2f\n' total "$hqld_us" "$floor_us"
    printf 'flame graphs: %s/hqld-%s.svg, %s/floor-%s.svg\n' "$out" "$mode" "$out" "$mode"
done
