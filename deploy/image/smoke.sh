#!/usr/bin/env bash
# Builds the image, runs it, and makes a real health check and Qualify call
# against it, then stops the container by its id. Needs podman and runc
# (Debian packages; installed here when missing and running as root).
# Usage: deploy/image/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v podman >/dev/null || ! command -v runc >/dev/null; then
    apt-get install -y -qq podman runc >/dev/null
fi
PODMAN=(podman --storage-driver=vfs)
TAG="hqld:smoke"
deploy/image/build.sh "$TAG"
cid="$("${PODMAN[@]}" run -d --runtime=runc --cgroup-manager=cgroupfs --network=host \
    --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --read-only "localhost/$TAG" \
    --listen=127.0.0.1:50091 --metrics-listen=127.0.0.1:9491 --policy=/etc/hql/policy/policy.toml \
    --plugin-dir=/opt/hql/plugins)"
trap '"${PODMAN[@]}" stop -t 10 "$cid" >/dev/null; "${PODMAN[@]}" rm "$cid" >/dev/null' EXIT
for _ in $(seq 50); do
    "${PODMAN[@]}" logs "$cid" 2>/dev/null | grep -q "hqld listening on" && break
    sleep 0.2
done
cargo run -q --release -p hql-tests --bin hql-smoke -- 127.0.0.1:50091
curl -fsS http://127.0.0.1:9491/metrics | grep -q '^hql_decisions_total'
echo "image $TAG: ListScorers and Qualify answered, /metrics served"
