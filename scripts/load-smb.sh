#!/usr/bin/env bash
# Load test of lwiod and of Samba's smbd, side by side (not in the test command: it takes
# minutes and a release build).
#
# usage: scripts/load-smb.sh [CLIENTS] [SECONDS] [SESSIONS] [ROUNDS]
#        (defaults: 1000 clients for 60 s; 10000 idle sessions, 100 open-close rounds)
#
# For each server, with the load client examples/load_smb.rs (SMB 3.0.2, signed):
# - CLIENTS concurrent connections doing mixed work for SECONDS (logon, tree connect,
#   create, write and read 64 KiB, list a directory, lock and unlock, close, logoff):
#   requests/s, p50 and p99 latency of a request, errors (must be 0), peak memory of the
#   server (the sum over its processes: smbd forks one per connection; PSS counts pages
#   they share once);
# - SESSIONS idle authenticated sessions (250 per connection), then ROUNDS rounds in which
#   each opens and closes a file: memory per session, and growth over the rounds.
# smbd runs from a private configuration on a loopback port (root needed to add its test
# user), in a session of its own; lwiod from a private configuration too. Installs samba if
# missing. LOAD_SERVERS (default "lwiod smbd") and LOAD_MODES (default "mixed idle") pick
# what runs.
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${1:-1000}
SECONDS_RUN=${2:-60}
SESSIONS=${3:-10000}
ROUNDS=${4:-100}
USER_NAME=lwioload
PASS='L0ad!pass'

command -v smbd >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y samba >/dev/null
export PATH="/usr/sbin:/sbin:$PATH"
# Both the servers and the client hold a descriptor per connection.
ulimit -n "$(ulimit -Hn)"

work=$(mktemp -d /tmp/lwio-load.XXXXXX)
# smbd opens the shares as the test user: it must reach them.
chmod 0755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 scripts/lib/free-port.py; }
wait_port() {
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "load: nothing listens on port $1" >&2
    return 1
}

echo "== building lwiod and the load client (release)"
cargo build -q --release --bin lwiod --example load_smb
bin=${CARGO_TARGET_DIR:-target}/release
load="$bin/examples/load_smb"

start_smbd() { # SHARE -> sets SMBD_PID SMBD_PORT
    local d=$work/smbd
    mkdir -p "$d"/{private,lock,state,cache,pid,log,ncalrpc}
    chmod 0777 "$1"
    id "$USER_NAME" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$USER_NAME"
    SMBD_PORT=$(free_port)
    cat >"$d/smb.conf" <<EOF
[global]
  server role = standalone server
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = $SMBD_PORT
  private dir = $d/private
  lock directory = $d/lock
  state directory = $d/state
  cache directory = $d/cache
  pid directory = $d/pid
  ncalrpc dir = $d/ncalrpc
  log file = $d/log/log.%m
  log level = 0
  passdb backend = tdbsam:$d/private/passdb.tdb
  disable spoolss = yes
  load printers = no
  server min protocol = SMB2_02
[share]
  path = $1
  read only = no
  guest ok = no
EOF
    printf '%s\n%s\n' "$PASS" "$PASS" | smbpasswd -c "$d/smb.conf" -s -a "$USER_NAME" >/dev/null
    # Its own session: smbd signals its process group when it stops.
    setsid smbd --foreground --no-process-group -s "$d/smb.conf" >"$d/log/stdout" 2>&1 &
    SMBD_PID=$!
    pids+=("$SMBD_PID")
    wait_port "$SMBD_PORT"
}

start_lwiod() { # SHARE -> sets LWIOD_PID LWIOD_PORT
    LWIOD_PORT=$(free_port)
    cat >"$work/lwiod.toml" <<EOF
listen = "127.0.0.1:$LWIOD_PORT"
[[share]]
name = "share"
path = "$1"
[[user]]
name = "$USER_NAME"
password = "$PASS"
EOF
    RUST_LOG=warn "$bin/lwiod" --config "$work/lwiod.toml" --no-state-dir >"$work/lwiod.log" 2>&1 &
    LWIOD_PID=$!
    pids+=("$LWIOD_PID")
    wait_port "$LWIOD_PORT"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

run() { # NAME PID PORT MODE ARGS...
    local name=$1 pid=$2 port=$3
    shift 3
    "$load" --addr "127.0.0.1:$port" --user "$USER_NAME" --password "$PASS" --share share \
        --pid "$pid" --name "$name" "$@" 2>"$work/$name.err" || {
        echo "load: the client failed against $name:" >&2
        tail -5 "$work/$name.err" >&2
        return 1
    }
    local errs
    errs=$(wc -l <"$work/$name.err")
    if [ "$errs" -gt 0 ]; then
        echo "load: $errs client errors against $name, the first:" >&2
        head -3 "$work/$name.err" >&2
    fi
}

results=$work/results.txt
for server in ${LOAD_SERVERS:-lwiod smbd}; do
    for mode in ${LOAD_MODES:-mixed idle}; do
        share=$work/share-$server-$mode
        mkdir -p "$share"
        if [ "$server" = lwiod ]; then
            start_lwiod "$share"; pid=$LWIOD_PID; port=$LWIOD_PORT
        else
            start_smbd "$share"; pid=$SMBD_PID; port=$SMBD_PORT
        fi
        echo "== $server: $mode"
        if [ "$mode" = mixed ]; then
            run "$server" "$pid" "$port" mixed --clients "$CLIENTS" --seconds "$SECONDS_RUN" | tee -a "$results"
        else
            run "$server" "$pid" "$port" idle --sessions "$SESSIONS" --rounds "$ROUNDS" | tee -a "$results"
        fi
        stop "$pid"
    done
done
echo "== summary"
cat "$results"
