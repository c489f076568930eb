#!/usr/bin/env bash
# Builds hqld and the five bundled scorer plugins for production: with
# profile-guided optimisation (PGO), then, where LLVM's BOLT is installed,
# post-link optimised with a second profile.
#
# PGO: an instrumented build is driven by the load harness in every mode
# (Qualify, Explain, QualifyBatch, QualifyStream) over the seeded synthetic
# leads, and the release build is then compiled with that profile. The profile
# covers the server, the plugins and every crate they link (tonic, hyper, h2,
# prost): the compiler lays out the hot paths together and inlines where the
# calls actually go.
#
# BOLT: the PGO build's binaries (linked with their relocations kept) are
# instrumented by llvm-bolt, driven by the same load, and rewritten with that
# profile: hot code of every function grouped into a few pages, blocks
# ordered so the usual path falls through, cold parts split off. The
# compiler cannot do this across the whole program (thin LTO), and on two
# cores shared with the transport's code it is what a call loses to cache
# misses. Figures: docs/performance.md, "A profile-guided build" and "A
# post-link optimised build (BOLT)".
#
# Usage: deploy/pgo-build.sh
# Output: target/pgo/dist/hqld and target/pgo/dist/libhql_*.so (the BOLT
#         output, or the PGO build when BOLT is off), checked at the end by a
#         short load run in every mode that must answer every call. Cargo's
#         own output stays in target/pgo/release.
# Needs: the Rust toolchain's llvm-profdata (installed with
#        `rustup component add llvm-tools` when missing); for BOLT, llvm-bolt
#        (Debian: `apt-get install bolt-19`; any release from 16 on).
# PGO_SECONDS: seconds of load per mode while training (default 8).
# PGO_LOAD_PROFILE: the cargo profile the load harness is built with (default
#        release; CI passes dev to reuse its test build).
# PGO_BOLT: auto (default: BOLT when llvm-bolt is found), 1 (BOLT, fail
#        without llvm-bolt), 0 (PGO only).
# LLVM_BOLT: the llvm-bolt to use (default: llvm-bolt or llvm-bolt-NN on the
#        PATH, else the newest /usr/lib/llvm-NN/bin/llvm-bolt).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=lib/listening.sh
source deploy/lib/listening.sh
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

seconds="${PGO_SECONDS:-8}"
load_profile="${PGO_LOAD_PROFILE:-release}"
case "$load_profile" in
    dev) load="target/debug/hql-load" ;;
    *) load="target/$load_profile/hql-load" ;;
esac
plugins=(bant icp_fit intent product_usage trust_nurture)
packages=(-p hql-server)
for plugin in "${plugins[@]}"; do
    packages+=(-p "hql-${plugin//_/-}")
done
work="$PWD/target/pgo-profile"
instrumented="target/pgo-instrumented/release"
optimised="target/pgo/release"
dist="target/pgo/dist"

step() { printf '\n==> %s\n' "$*"; }

# The files this script builds: hqld and the plugin libraries, by name.
artifacts() {
    echo hqld
    for plugin in "${plugins[@]}"; do
        echo "libhql_${plugin}.so"
    done
}

# train DIR: serves the load harness in every mode from DIR's hqld and
# plugins for $seconds each, then stops hqld with SIGTERM: a clean exit is
# what makes every instrumented binary write its profile. Metrics are on, as
# they are by default in production, so the code recording them is trained
# too (on a free loopback port; nothing scrapes it).
train() {
    local dir="$1"
    start_listening "$work/hqld.out" "$dir/hqld" --policy policies/default.toml \
        --plugin-dir "$dir" --listen 127.0.0.1:0 --metrics-listen 127.0.0.1:0 --log-level warn
    trap 'kill "$pid" 2>/dev/null || true' EXIT
    for mode in unary explain batch stream; do
        "$load" run --mode "$mode" --target "http://$address" --warmup 1s --duration "${seconds}s" |
            grep -E 'throughput|errors'
    done
    kill -TERM "$pid"
    wait "$pid"
    trap - EXIT
}

# The llvm-bolt to use, or nothing. Symbolic links are resolved: llvm-bolt
# finds its instrumentation runtime (libbolt_rt_instr.a) relative to its own
# path, which Debian's /usr/bin/llvm-bolt-NN link is not.
find_bolt() {
    local found="${LLVM_BOLT:-}"
    if [ -z "$found" ]; then
        found="$(compgen -c llvm-bolt | grep -E '^llvm-bolt(-[0-9]+)?$' | sort -t- -k3,3n | tail -1 || true)"
        [ -n "$found" ] && found="$(command -v "$found")"
    fi
    if [ -z "$found" ]; then
        found="$(find /usr/lib -maxdepth 3 -path '/usr/lib/llvm-*/bin/llvm-bolt' 2>/dev/null | sort -V | tail -1)"
    fi
    [ -n "$found" ] && readlink -f "$found"
    return 0
}

bolt=""
case "${PGO_BOLT:-auto}" in
    0) ;;
    1 | auto)
        bolt="$(find_bolt)"
        if [ -n "$bolt" ] && [ ! -x "$bolt" ]; then
            echo "llvm-bolt '$bolt' (LLVM_BOLT) is not an executable file" >&2
            exit 1
        fi
        if [ -z "$bolt" ] && [ "${PGO_BOLT:-auto}" = 1 ]; then
            echo "PGO_BOLT=1 but no llvm-bolt found (Debian: apt-get install bolt-19; or set LLVM_BOLT)" >&2
            exit 1
        fi
        ;;
    *)
        echo "PGO_BOLT must be auto, 1 or 0 (is '${PGO_BOLT}')" >&2
        exit 2
        ;;
esac

# llvm-profdata must match rustc's LLVM: the one shipped with the toolchain.
host="$(rustc -vV | sed -n 's/^host: //p')"
profdata="$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata"
if [ ! -x "$profdata" ]; then
    step "rustup component add llvm-tools (for llvm-profdata)"
    rustup component add llvm-tools
fi

step "the load harness (a plain $load_profile build: it drives the server, it is not trained)"
cargo build --profile "$load_profile" -p hql-load

step "instrumented build of hqld and the bundled plugins"
rm -rf "$work"
mkdir -p "$work"
RUSTFLAGS="-Cprofile-generate=$work/raw" CARGO_TARGET_DIR=target/pgo-instrumented \
    cargo build --release "${packages[@]}"
# Build scripts ran instrumented too; only the server's run is the profile.
rm -rf "$work/raw"

step "training: ${seconds}s of load per mode on the instrumented hqld"
train "$instrumented"
"$profdata" merge -o "$work/merged.profdata" "$work"/raw/*.profraw

step "optimised build with the profile"
# Relocations are kept in the binaries (sections that are never loaded, so
# no memory at run time): BOLT needs them to move code.
RUSTFLAGS="-Cprofile-use=$work/merged.profdata -Clink-arg=-Wl,--emit-relocs" CARGO_TARGET_DIR=target/pgo \
    cargo build --release "${packages[@]}"
rm -rf "$dist"
mkdir -p "$dist"

if [ -n "$bolt" ]; then
    step "BOLT: instrumenting the optimised binaries ($bolt, $("$bolt" --version | grep -m1 -oE 'LLVM version [0-9.]+'))"
    mkdir -p "$work/bolt-instrumented" "$work/bolt"
    for file in $(artifacts); do
        "$bolt" "$optimised/$file" -o "$work/bolt-instrumented/$file" -instrument \
            -instrumentation-file="$work/bolt/$file.fdata" >"$work/bolt/$file.instrument.log" 2>&1 ||
            { cat "$work/bolt/$file.instrument.log" >&2; exit 1; }
    done

    step "BOLT training: ${seconds}s of load per mode on the instrumented binaries"
    train "$work/bolt-instrumented"

    step "BOLT: rewriting the binaries with their profiles"
    for file in $(artifacts); do
        [ -s "$work/bolt/$file.fdata" ] || { echo "no BOLT profile was written for $file" >&2; exit 1; }
        # Code is laid out for 4 KiB pages and the hot code goes back into
        # the old .text where it fits: without these, BOLT aligns new code to
        # 2 MiB and a plugin library grows from under 1 MB to over 4 MB,
        # which hqld then reads to hash at every start.
        "$bolt" "$optimised/$file" -o "$dist/$file" -data="$work/bolt/$file.fdata" \
            -reorder-blocks=ext-tsp -reorder-functions=cdsort -split-functions -split-all-cold \
            -split-eh -icf=1 -use-gnu-stack -no-huge-pages -use-old-text -dyno-stats \
            >"$work/bolt/$file.optimise.log" 2>&1 ||
            { cat "$work/bolt/$file.optimise.log" >&2; exit 1; }
        # What the profile says changed, e.g. "taken branches (-64.4%)".
        printf '  %-26s %s\n' "$file" "$(grep -m1 -oE 'taken branches \([^)]*\)' \
            "$work/bolt/$file.optimise.log" || echo 'rewritten')"
    done
else
    if [ "${PGO_BOLT:-auto}" = 0 ]; then
        step "BOLT: skipped (PGO_BOLT=0)"
    else
        step "BOLT: skipped (no llvm-bolt found: apt-get install bolt-19, or set LLVM_BOLT)"
    fi
    for file in $(artifacts); do
        cp "$optimised/$file" "$dist/$file"
    done
fi

step "check: the built hqld answers every call in every mode"
for mode in unary explain batch stream; do
    "$load" run --hqld "$dist/hqld" --policy policies/default.toml --plugin-dir "$dist" \
        --mode "$mode" --warmup 1s --duration 2s >"$work/check-$mode.out" 2>&1 ||
        { cat "$work/check-$mode.out" >&2; exit 1; }
    grep -E 'throughput|errors' "$work/check-$mode.out"
done
echo
echo "built: $dist/hqld and its plugins ($dist/libhql_*.so)"
