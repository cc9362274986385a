#!/usr/bin/env bash
# What a logon costs end to end over SMB: lwiod with its accounts in memory
# (--no-state-dir) against lwiod with the same account in its SAM (a state directory,
# SQLite), both release builds on loopback, driven alike by impacket (NEGOTIATE, NTLMv2
# SESSION_SETUP, LOGOFF on a new connection each time), interleaved in rounds.
#
# usage: scripts/bench-logon.sh [ROUNDS] [PER_ROUND]     (default 15 rounds of 20)
#
# Prints each server's median logon time and the SAM/memory ratio. The Python with
# impacket is $LWIO_PYTHON or target/pyenv/bin/python (scripts/test-all.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${1:-15}
PER_ROUND=${2:-20}
USER=bench PASS='B3nch!logon'
PY=${LWIO_PYTHON:-target/pyenv/bin/python}
"$PY" -c 'import impacket' 2>/dev/null || { echo "bench-logon: $PY lacks impacket (run scripts/test-all.sh)" >&2; exit 1; }

work=$(mktemp -d /tmp/lwio-bench-logon.XXXXXX)
pids=()
cleanup() {
    set +e
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait "${pids[@]}" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

cargo build -q --release --bin lwiod
lwiod="${CARGO_TARGET_DIR:-target}/release/lwiod"
mkdir -p "$work/share"
start() { # NAME PORT ARGS...
    local name=$1 port=$2
    shift 2
    "$lwiod" --listen "127.0.0.1:$port" --share "share=$work/share" --failed-logon-delay-ms 0 \
        --user "$USER:$PASS" "$@" >"$work/$name.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 100); do
        if "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $port), 1)" 2>/dev/null; then
            return
        fi
        sleep 0.1
    done
    echo "bench-logon: lwiod ($name) did not listen; its log:" >&2
    cat "$work/$name.log" >&2
    exit 1
}
mem_port=$(python3 scripts/lib/free-port.py)
start memory "$mem_port" --no-state-dir
sam_port=$(python3 scripts/lib/free-port.py)
start sam "$sam_port" --state-dir "$work/state"

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
"$PY" scripts/lib/logon_rounds.py "$ROUNDS" "$PER_ROUND" "$USER" "$PASS" \
    "memory=$mem_port" "sam=$sam_port"
