#!/usr/bin/env bash
# Measures lwiod against Samba's smbd on the same machine, in the same run, over loopback,
# with Samba's smbclient as the client of both.
#
# usage: scripts/bench-smb.sh [SIZE_MIB] [SMALL_FILES] [RUNS]
#        (defaults: 1024 MiB, 1000 small files, 3 runs)
# environment: BENCH_DIR, the directory the share and the data go under (default /tmp;
#        /dev/shm measures both servers on tmpfs, without the disk's page cache behind it);
#        LWIOD, an lwiod binary to measure instead of building this tree's (for a
#        before/after comparison in one run of the script each).
#
# For each server: put and get of one SIZE_MIB file, signed (--client-protection=sign: smbd
# does not require signing and smbclient leaves messages to it unsigned otherwise, while
# lwiod requires it), RUNS times (MB/s, median), and
# SMALL_FILES small files each created, written (4 KiB), closed, stat'ed (allinfo) and
# deleted in one smbclient session (files/s; signed by lwiod only), and the put and get again encrypted
# (--client-protection=encrypt: SMB 3.1.1 with AES-128-GCM against both servers). Prints
# the lwiod/smbd ratios, and for each server what encryption costs (encrypted/signed), and
# the CPU seconds each server spent per GiB of put and get (signed and encrypted; user and
# system time of lwiod, of smbd and its connection processes: a figure the machine's load
# bends far less than MB/s). Both servers
# share one directory on the same file system; smbd runs from a private configuration on a
# loopback port (scripts/lib/private-smbd.sh; root needed to add its test user). Installs
# samba and smbclient if missing.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB=${1:-1024}
SMALL=${2:-1000}
RUNS=${3:-3}
USER_NAME=lwiobench
PASS='B3nch!pass'

need=()
command -v smbd >/dev/null 2>&1 || need+=(samba)
command -v smbclient >/dev/null 2>&1 || need+=(smbclient)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi
export PATH="/usr/sbin:/sbin:$PATH"

work=$(mktemp -d "${BENCH_DIR:-/tmp}/lwio-bench.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait "${pids[@]}" 2>/dev/null || true
    # smbd's children may still be leaving their state files for a moment.
    for _ in $(seq 1 50); do rm -rf "$work" 2>/dev/null && break; sleep 0.1; done
}
trap cleanup EXIT

free_port() {
    python3 "$(dirname "$0")/lib/free-port.py"
}
wait_port() {
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench: nothing listens on port $1" >&2
    return 1
}

mkdir -p "$work"/{share,client,data}
chmod 0755 "$work"

# --- smbd, private configuration (scripts/lib/private-smbd.sh adds the user), in a
# process group of its own: smbd signals its whole group when it stops ---
setsid bash scripts/lib/private-smbd.sh "$work/smbd" "$USER_NAME" "$PASS" "$work/share" \
    >"$work/smbd.port" &
pids+=($!)
SMBD_PID=$!
for _ in $(seq 1 100); do [ -s "$work/smbd.port" ] && break; sleep 0.1; done
SMBD_PORT=$(head -1 "$work/smbd.port")
[ -n "$SMBD_PORT" ] || { echo "bench: smbd did not start" >&2; exit 1; }
wait_port "$SMBD_PORT"

# --- lwiod over the same directory ---
LWIOD_BIN=${LWIOD:-}
if [ -z "$LWIOD_BIN" ]; then
    cargo build -q --release --bin lwiod
    LWIOD_BIN="${CARGO_TARGET_DIR:-target}/release/lwiod"
fi
LWIOD_PORT=$(free_port)
"$LWIOD_BIN" --listen "127.0.0.1:$LWIOD_PORT" \
    --share "share=$work/share" --user "$USER_NAME:$PASS" --no-state-dir >"$work/lwiod.log" 2>&1 &
pids+=($!)
LWIOD_PID=$!
wait_port "$LWIOD_PORT"

printf '[global]\n  lock directory = %s\n  cache directory = %s\n  state directory = %s\n  private dir = %s\n' \
    "$work/client" "$work/client" "$work/client" "$work/client" >"$work/client/smb.conf"
client() { # PORT COMMANDS [SMBCLIENT OPTIONS...]
    local port=$1 cmds=$2
    shift 2
    if ! smbclient -s "$work/client/smb.conf" "//127.0.0.1/share" -p "$port" -U "$USER_NAME%$PASS" \
        -m SMB3_11 "$@" -c "$cmds" >"$work/client.log" 2>&1; then
        echo "bench: smbclient against port $port failed:" >&2
        tail -5 "$work/client.log" >&2
        return 1
    fi
}

dd if=/dev/urandom of="$work/data/big" bs=1M count="$SIZE_MIB" status=none
head -c 4096 /dev/urandom >"$work/data/small"
small_cmds=""
for i in $(seq 1 "$SMALL"); do
    small_cmds+="put $work/data/small s$i; allinfo s$i; del s$i;"
done

# CPU ticks a server has used: its own, its live children's (smbd's helpers and
# connection processes) and those of the children it has reaped. The pause lets the
# connection process of the smbclient run that just ended exit and be reaped.
ticks() { # PID
    sleep 0.5
    local t=0 c
    for c in $(pgrep -P "$1"); do
        t=$((t + $(awk '{print $14+$15}' "/proc/$c/stat" 2>/dev/null || echo 0)))
    done
    echo $((t + $(awk '{print $14+$15+$16+$17}' "/proc/$1/stat")))
}
cpu_per_gib() { # TICKS_BEFORE TICKS_AFTER
    python3 -c "print(($2-$1)/$(getconf CLK_TCK)/($SIZE_MIB/1024))"
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
secs() { python3 -c 'import time; print(time.monotonic())'; }

# The servers take turns within each run (smbd first in odd runs, lwiod first in even
# ones), so a drift of the machine's speed during the benchmark weighs on both alike.
declare -A put get small eput eget cput cget ceput ceget
declare -A P G S EP EG CP CG CEP CEG
for run in $(seq 1 "$RUNS"); do
    order=(smbd lwiod)
    [ $((run % 2)) -eq 0 ] && order=(lwiod smbd)
    for server in "${order[@]}"; do
        port=$SMBD_PORT
        [ "$server" = lwiod ] && port=$LWIOD_PORT
        pid=$SMBD_PID
        [ "$server" = lwiod ] && pid=$LWIOD_PID
        k0=$(ticks "$pid")
        t0=$(secs); client "$port" "put $work/data/big big" --client-protection=sign; t1=$(secs)
        k1=$(ticks "$pid"); t1b=$(secs)
        client "$port" "get big $work/data/back" --client-protection=sign; t2=$(secs)
        k2=$(ticks "$pid")
        cmp -s "$work/data/big" "$work/data/back" || { echo "bench: $server returned different bytes" >&2; exit 1; }
        rm -f "$work/data/back" "$work/share/big"
        t2b=$(secs); client "$port" "$small_cmds"; t3=$(secs)
        k3=$(ticks "$pid"); t3b=$(secs)
        client "$port" "put $work/data/big big" --client-protection=encrypt; t4=$(secs)
        k4=$(ticks "$pid"); t4b=$(secs)
        client "$port" "get big $work/data/back" --client-protection=encrypt; t5=$(secs)
        k5=$(ticks "$pid")
        cmp -s "$work/data/big" "$work/data/back" || { echo "bench: $server returned different bytes encrypted" >&2; exit 1; }
        rm -f "$work/data/back" "$work/share/big"
        P[$server]+="$(python3 -c "print($SIZE_MIB*1.048576/($t1-$t0))") "
        G[$server]+="$(python3 -c "print($SIZE_MIB*1.048576/($t2-$t1b))") "
        S[$server]+="$(python3 -c "print($SMALL/($t3-$t2b))") "
        EP[$server]+="$(python3 -c "print($SIZE_MIB*1.048576/($t4-$t3b))") "
        EG[$server]+="$(python3 -c "print($SIZE_MIB*1.048576/($t5-$t4b))") "
        CP[$server]+="$(cpu_per_gib "$k0" "$k1") "
        CG[$server]+="$(cpu_per_gib "$k1" "$k2") "
        CEP[$server]+="$(cpu_per_gib "$k3" "$k4") "
        CEG[$server]+="$(cpu_per_gib "$k4" "$k5") "
    done
done
for server in smbd lwiod; do
    put[$server]=$(printf '%s\n' ${P[$server]} | median)
    get[$server]=$(printf '%s\n' ${G[$server]} | median)
    small[$server]=$(printf '%s\n' ${S[$server]} | median)
    eput[$server]=$(printf '%s\n' ${EP[$server]} | median)
    eget[$server]=$(printf '%s\n' ${EG[$server]} | median)
    cput[$server]=$(printf '%s\n' ${CP[$server]} | median)
    cget[$server]=$(printf '%s\n' ${CG[$server]} | median)
    ceput[$server]=$(printf '%s\n' ${CEP[$server]} | median)
    ceget[$server]=$(printf '%s\n' ${CEG[$server]} | median)
done

ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf '%-28s %12s %12s %8s\n' "median of $RUNS runs" smbd lwiod "lwiod/smbd"
printf '%-28s %12.1f %12.1f %8s\n' "signed put ${SIZE_MIB} MiB (MB/s)" "${put[smbd]}" "${put[lwiod]}" "$(ratio "${put[lwiod]}" "${put[smbd]}")"
printf '%-28s %12.1f %12.1f %8s\n' "signed get ${SIZE_MIB} MiB (MB/s)" "${get[smbd]}" "${get[lwiod]}" "$(ratio "${get[lwiod]}" "${get[smbd]}")"
printf '%-28s %12.1f %12.1f %8s\n' "small files (files/s)" "${small[smbd]}" "${small[lwiod]}" "$(ratio "${small[lwiod]}" "${small[smbd]}")"
printf '%-28s %12.1f %12.1f %8s\n' "encrypted put (MB/s)" "${eput[smbd]}" "${eput[lwiod]}" "$(ratio "${eput[lwiod]}" "${eput[smbd]}")"
printf '%-28s %12.1f %12.1f %8s\n' "encrypted get (MB/s)" "${eget[smbd]}" "${eget[lwiod]}" "$(ratio "${eget[lwiod]}" "${eget[smbd]}")"
printf '%-28s %12s %12s\n' "encrypted/signed" smbd lwiod
printf '%-28s %12s %12s\n' "  put" "$(ratio "${eput[smbd]}" "${put[smbd]}")" "$(ratio "${eput[lwiod]}" "${put[lwiod]}")"
printf '%-28s %12s %12s\n' "  get" "$(ratio "${eget[smbd]}" "${get[smbd]}")" "$(ratio "${eget[lwiod]}" "${get[lwiod]}")"
printf '%-28s %12s %12s %8s\n' "server CPU s/GiB" smbd lwiod "lwiod/smbd"
printf '%-28s %12.2f %12.2f %8s\n' "  signed put" "${cput[smbd]}" "${cput[lwiod]}" "$(ratio "${cput[lwiod]}" "${cput[smbd]}")"
printf '%-28s %12.2f %12.2f %8s\n' "  signed get" "${cget[smbd]}" "${cget[lwiod]}" "$(ratio "${cget[lwiod]}" "${cget[smbd]}")"
printf '%-28s %12.2f %12.2f %8s\n' "  encrypted put" "${ceput[smbd]}" "${ceput[lwiod]}" "$(ratio "${ceput[lwiod]}" "${ceput[smbd]}")"
printf '%-28s %12.2f %12.2f %8s\n' "  encrypted get" "${ceget[smbd]}" "${ceget[lwiod]}" "$(ratio "${ceget[lwiod]}" "${ceget[smbd]}")"
uptime
