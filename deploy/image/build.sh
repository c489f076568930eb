#!/usr/bin/env bash
# Builds the hqld image with podman (no Docker daemon or registry needed):
# release binaries from this checkout, copied with their shared libraries
# into a FROM-scratch image. The server and the plugins are the
# profile-guided build, post-link optimised with BOLT where llvm-bolt is
# installed (deploy/pgo-build.sh, see docs/performance.md); --no-pgo takes a
# plain release build instead.
# Usage: deploy/image/build.sh [--no-pgo] [TAG]
set -euo pipefail
cd "$(dirname "$0")/../.."
pgo=1
if [ "${1:-}" = "--no-pgo" ]; then
    pgo=0
    shift
fi
TAG="${1:-hqld:$(cargo pkgid -p hql-server | sed 's/.*[#@]//')}"
PODMAN=(podman --storage-driver=vfs)

if [ "$pgo" = 1 ]; then
    deploy/pgo-build.sh
    built=target/pgo/dist
else
    cargo build --release --workspace --lib --bins
    built=target/release
fi

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
root="$stage/rootfs"
mkdir -p "$root/opt/hql/bin" "$root/opt/hql/plugins" "$root/etc/hql/policy" "$root/tmp"
cp "$built/hqld" "$root/opt/hql/bin/"
for plugin in bant icp_fit intent product_usage trust_nurture; do
    cp "$built/libhql_${plugin}.so" "$root/opt/hql/plugins/"
done
cp policies/default.toml "$root/etc/hql/policy/policy.toml"
chmod -R go-w "$root/opt/hql"

# Every shared library the server and the plugins load, at the same path.
for file in "$root/opt/hql/bin/hqld" "$root"/opt/hql/plugins/*.so; do
    ldd "$file" | grep -o '/[^ ]*' | while read -r lib; do
        mkdir -p "$root$(dirname "$lib")"
        cp -L -n "$lib" "$root$lib"
    done
done

echo "hql:x:65532:65532:hql:/opt/hql:/sbin/nologin" > "$root/etc/passwd"
echo "hql:x:65532:" > "$root/etc/group"

"${PODMAN[@]}" build -t "$TAG" -f deploy/image/Containerfile "$stage"
"${PODMAN[@]}" image ls "$TAG"
