#!/usr/bin/env bash
# Builds hqld and the five bundled scorer plugins with profile-guided
# optimisation (PGO): an instrumented build is driven by the load harness in
# every mode (Qualify, Explain, QualifyBatch, QualifyStream) over the seeded
# synthetic leads, and the release build is then compiled with that profile.
# The profile covers the server, the plugins and every crate they link
# (tonic, hyper, h2, prost): the compiler lays out the hot paths together and
# inlines where the calls actually go. Figures: docs/performance.md,
# "A profile-guided build".
#
# Usage: deploy/pgo-build.sh
# Output: target/pgo/release/hqld and target/pgo/release/libhql_*.so, checked
#         at the end by a short load run that must answer every call.
# Needs: the Rust toolchain's llvm-profdata (installed with
#        `rustup component add llvm-tools` when missing).
# PGO_SECONDS: seconds of load per mode while training (default 8).
# PGO_LOAD_PROFILE: the cargo profile the load harness is built with (default
#        release; CI passes dev to reuse its test build).
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
packages=(-p hql-server -p hql-bant -p hql-icp-fit -p hql-intent -p hql-product-usage -p hql-trust-nurture)
work="$PWD/target/pgo-profile"
instrumented="target/pgo-instrumented/release"
optimised="target/pgo/release"

step() { printf '\n==> %s\n' "$*"; }

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
start_listening "$work/hqld.out" "$instrumented/hqld" --policy policies/default.toml \
    --plugin-dir "$instrumented" --listen 127.0.0.1:0 --metrics-listen off --log-level warn
trap 'kill "$pid" 2>/dev/null || true' EXIT
for mode in unary explain batch stream; do
    "$load" run --mode "$mode" --target "http://$address" --warmup 1s --duration "${seconds}s" |
        grep -E 'throughput|errors'
done
# A clean exit writes the profiles (one per library and one for hqld).
kill -TERM "$pid"
wait "$pid"
trap - EXIT
"$profdata" merge -o "$work/merged.profdata" "$work"/raw/*.profraw

step "optimised build with the profile"
RUSTFLAGS="-Cprofile-use=$work/merged.profdata" CARGO_TARGET_DIR=target/pgo \
    cargo build --release "${packages[@]}"

step "check: the optimised hqld answers every call"
"$load" run --hqld "$optimised/hqld" --policy policies/default.toml \
    --plugin-dir "$optimised" --mode unary --warmup 1s --duration 2s | grep -E 'throughput|errors'
echo
echo "built: $optimised/hqld and its plugins ($optimised/libhql_*.so)"
