#!/usr/bin/env bash
# Start-up time and idle memory of a release hqld with the five bundled
# plugins and the default policy: from exec to the "hqld listening on" line
# (printed once the policy and every plugin are loaded and validated and the
# listener is bound; health answers SERVING from then on), then VmRSS after a
# second of idling. Prints each run and the median.
# Usage: benches/startup.sh [RUNS]   (after cargo build --release --workspace)
# STARTUP_DIR: the directory of hqld and the plugins (default target/release;
#              target/pgo/dist after deploy/pgo-build.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${1:-10}"
DIR="${STARTUP_DIR:-target/release}"
HQLD="$DIR/hqld"
[ -x "$HQLD" ] || { echo "build first: cargo build --release --workspace (no $HQLD)" >&2; exit 2; }
times=()
rss=()
for _ in $(seq "$RUNS"); do
    start=$(date +%s%N)
    coproc HQLD_PROC { exec "$HQLD" --listen 127.0.0.1:0 --metrics-listen off \
        --policy policies/default.toml --plugin-dir "$DIR" --log-level warn 2>/dev/null; }
    pid=$HQLD_PROC_PID
    read -r line <&"${HQLD_PROC[0]}"
    end=$(date +%s%N)
    case "$line" in "hqld listening on "*) ;; *) echo "unexpected: $line" >&2; exit 1 ;; esac
    sleep 1
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    kill -TERM "$pid"
    wait "$pid" || true
    ms=$(( (end - start) / 1000000 ))
    times+=("$ms")
    rss+=("$kb")
    echo "start to listening: ${ms} ms, idle RSS: $((kb / 1024)).$(( (kb % 1024) * 10 / 1024 )) MiB"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_ms=$(median "${times[@]}")
m_kb=$(median "${rss[@]}")
echo "median over $RUNS runs: start to listening ${m_ms} ms, idle RSS $((m_kb / 1024)).$(( (m_kb % 1024) * 10 / 1024 )) MiB"
