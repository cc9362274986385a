#!/usr/bin/env bash
# Counts what lwiod does per small file, independently of the machine's load: one
# smbclient session does, per file, `put` (4 KiB), `allinfo` and `del` (the small-files
# workload of scripts/bench-smb.sh), and this prints lwiod's context switches per file
# (all its threads, from /proc/PID/task/*/status) and, with `strace`, its system calls
# per file by name (strace -f -c; strace slows the server, so the switch counts of such
# a run are not comparable with those of a plain one).
#
# usage: scripts/count-smallfiles.sh N [LWIOD_BIN] [strace]
#        (LWIOD_BIN defaults to target/release/lwiod, which must exist)
# The share lives under ${BENCH_DIR:-/dev/shm}. The counts include the session's
# negotiate, session setup, tree connect and logoff (a few dozen calls: use N >= 100).
set -uo pipefail
cd "$(dirname "$0")/.."
N=${1:?usage: $0 N [LWIOD_BIN] [strace]}
BIN=${2:-target/release/lwiod}
MODE=${3:-}
USER_NAME=lwiobench PASS='B3nch!pass'
work=$(mktemp -d "${BENCH_DIR:-/dev/shm}/lwio-count.XXXXXX")
mkdir -p "$work"/{share,client,data}
chmod 0755 "$work"
chmod 0777 "$work/share"
head -c 4096 /dev/urandom >"$work/data/small"
printf '[global]\n  lock directory = %s\n  cache directory = %s\n  state directory = %s\n  private dir = %s\n' \
    "$work/client" "$work/client" "$work/client" "$work/client" >"$work/client/smb.conf"
port=$(python3 scripts/lib/free-port.py)
"$BIN" --listen "127.0.0.1:$port" --share "share=$work/share" --user "$USER_NAME:$PASS" \
    --no-state-dir >"$work/lwiod.log" 2>&1 &
pid=$!
st=
cleanup() {
    [ -n "$st" ] && kill "$st" 2>/dev/null
    kill "$pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
cmds=""
for i in $(seq 1 "$N"); do cmds+="put $work/data/small s$i; allinfo s$i; del s$i;"; done
switches() {
    cat /proc/"$pid"/task/*/status |
        awk '/^voluntary_ctxt_switches/{a+=$2} /^nonvoluntary_ctxt_switches/{b+=$2} END{print a, b}'
}
if [ "$MODE" = strace ]; then
    strace -f -c -o "$work/strace.out" -p "$pid" 2>/dev/null &
    st=$!
    sleep 2
fi
read -r v1 n1 < <(switches)
t1=$(date +%s.%N)
smbclient -s "$work/client/smb.conf" //127.0.0.1/share -p "$port" -U "$USER_NAME%$PASS" \
    -m SMB3_11 -c "$cmds" >"$work/client.log" 2>&1 || { tail -3 "$work/client.log" >&2; exit 1; }
t2=$(date +%s.%N)
read -r v2 n2 < <(switches)
python3 -c "print(f'files {$N}: voluntary switches/file {($v2-$v1)/$N:.1f}, involuntary/file {($n2-$n1)/$N:.1f}, files/s {$N/($t2-$t1):.0f}')"
if [ -n "$st" ]; then
    kill -INT "$st"
    wait "$st" 2>/dev/null
    st=
    awk -v n="$N" '$NF ~ /^[a-z_0-9]+$/ && $4 ~ /^[0-9]+$/ && $NF != "total" {printf "  %-16s %8.1f/file\n", $NF, $4/n}' "$work/strace.out"
    awk -v n="$N" '$NF == "total" {printf "  %-16s %8.1f/file\n", "all", $4/n}' "$work/strace.out"
fi
