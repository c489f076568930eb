# Sourced by the scripts that start a server of this workspace and then need
# its address: hqld and `hql-load floor` both print "... listening on ADDR"
# on stdout once they serve (the floor after capturing hqld's answers).
#
# start_listening LOG COMMAND [ARG...]
#   Starts COMMAND in the background with stdout to LOG and stderr to
#   LOG.err, and waits up to 30 s for that line. Sets $pid and $address.
#   A server that exits first, or does not listen in time, is reported with
#   its stderr (and stopped), and the calling script exits 1.
start_listening() {
    local log="$1"
    shift
    # The log exists before the server starts: the background job opens it
    # only when it is scheduled, and a read of a missing file would end a
    # `set -e` script.
    : >"$log"
    "$@" >"$log" 2>"$log.err" &
    pid=$!
    address=""
    for _ in $(seq 300); do
        address="$(sed -n 's/^.* listening on //p' "$log")"
        [ -n "$address" ] && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null || true
    echo "$1 did not start:" >&2
    cat "$log.err" >&2
    exit 1
}
