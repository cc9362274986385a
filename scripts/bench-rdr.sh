#!/usr/bin/env bash
# Measures the redirector (`lwio cp`) against Samba's smbclient (get and put) on the same
# file and the same private smbd, in the same run, over loopback.
#
# usage: scripts/bench-rdr.sh [SIZE_MIB] [RUNS]      (defaults: 1024 MiB, 5 runs)
# env:   ENCRYPT=1  both clients encrypt (smbclient --client-protection=encrypt,
#                   `lwio --encrypt`; AES-128-GCM at 3.1.1)
#        LWIO_BIN=PATH  measure this `lwio` binary (an older build, to compare) instead of
#                   building the release one
#        LWIO_BASE=PATH  also measure this older `lwio` binary in the same rounds (the
#                   three clients take turns), to report the change against it
#        BENCH_DIR=DIR  where the share and the files live (default a directory under
#                   /dev/shm: tmpfs, so the disk is not what is measured)
#        TREE=N     also time `lwio cp -r` of a tree of N small files (default 1000; 0:
#                   skip) to the share and back, medians of the same runs
#        PERF=1     also record `perf record -g` of one more put and get by each client
#                   (perf.lwio.put.data, perf.lwio.get.data, perf.smbclient.data in the
#                   directory the script was started from)
#
# Each run puts the file to the share and gets it back with smbclient, then with
# `lwio cp` (release build); the clients take turns within each run. Both sign at SMB
# 3.1.1 (smbclient is told to; lwio always signs) and neither encrypts unless ENCRYPT=1. Prints MB/s
# (medians) and the lwio/smbclient ratios, and the load average before and after (other
# work on the machine skews the figures). smbd runs from scripts/lib/private-smbd.sh
# (root needed to add its test user). Installs samba and smbclient if missing.
set -euo pipefail
start_dir=$PWD
cd "$(dirname "$0")/.."

SIZE_MIB=${1:-1024}
RUNS=${2:-5}
smb_protect=()
lwio_protect=()
if [ "${ENCRYPT:-0}" = 1 ]; then
    smb_protect=(--client-protection=encrypt)
    lwio_protect=(--encrypt)
fi
USER_NAME=lwiobench
PASS='B3nch!pass'

need=()
command -v smbd >/dev/null 2>&1 || [ -x /usr/sbin/smbd ] || need+=(samba)
command -v smbclient >/dev/null 2>&1 || need+=(smbclient)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi

base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] || base=/tmp
work=$(mktemp -d "$base/lwio-bench-rdr.XXXXXX")
smbd_pid=
cleanup() {
    if [ -n "$smbd_pid" ]; then
        kill "$smbd_pid" 2>/dev/null || true
        wait "$smbd_pid" 2>/dev/null || true
    fi
    # smbd's children may still be leaving their state files for a moment.
    for _ in $(seq 1 50); do rm -rf "$work" 2>/dev/null && break; sleep 0.1; done
}
trap cleanup EXIT
mkdir -p "$work"/{client,data}
chmod 0755 "$work"

# smbd in its own process group: it signals its whole group when it stops.
setsid bash scripts/lib/private-smbd.sh "$work/smbd" "$USER_NAME" "$PASS" >"$work/smbd.port" &
smbd_pid=$!
for _ in $(seq 1 100); do [ -s "$work/smbd.port" ] && break; sleep 0.1; done
port=$(head -1 "$work/smbd.port")
[ -n "$port" ] || { echo "bench-rdr: smbd did not start" >&2; exit 1; }
for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done

if [ -n "${LWIO_BIN:-}" ]; then
    lwio_bin=$LWIO_BIN
else
    cargo build -q --release --bin lwio
    lwio_bin="${CARGO_TARGET_DIR:-target}/release/lwio"
fi
lwio_bin=$(realpath "$lwio_bin")
printf 'username = %s\npassword = %s\n' "$USER_NAME" "$PASS" >"$work/client/creds"
chmod 0600 "$work/client/creds"
printf '[global]\n  lock directory = %s\n  cache directory = %s\n  state directory = %s\n  private dir = %s\n  client signing = required\n' \
    "$work/client" "$work/client" "$work/client" "$work/client" >"$work/client/smb.conf"
smbclient_do() { # COMMANDS
    if ! smbclient -s "$work/client/smb.conf" "//127.0.0.1/share" -p "$port" -U "$USER_NAME%$PASS" \
        -m SMB3_11 "${smb_protect[@]}" -c "$1" >"$work/client.log" 2>&1; then
        echo "bench-rdr: smbclient failed:" >&2
        tail -5 "$work/client.log" >&2
        return 1
    fi
}
lwio_cp() { # BIN SRC DST
    local bin=$1
    shift
    "$bin" --memfs --credentials "$work/client/creds" "${lwio_protect[@]}" cp "$1" "$2" >"$work/lwio.log" 2>&1 ||
        { echo "bench-rdr: lwio cp failed:" >&2; tail -5 "$work/lwio.log" >&2; return 1; }
}
lwio_cp_r() { # BIN SRC DST
    local bin=$1
    shift
    "$bin" --memfs --credentials "$work/client/creds" "${lwio_protect[@]}" cp -r "$1" "$2" >"$work/lwio.log" 2>&1 ||
        { echo "bench-rdr: lwio cp -r failed:" >&2; tail -5 "$work/lwio.log" >&2; return 1; }
}
remote="//127.0.0.1:$port/share"

dd if=/dev/urandom of="$work/data/big" bs=1M count="$SIZE_MIB" status=none

load_before=$(cut -d" " -f1-3 /proc/loadavg)
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
secs() { python3 -c 'import time; print(time.monotonic())'; }
rate() { python3 -c "print($SIZE_MIB*1.048576/($2-$1))"; }

declare -A bins=([lwio]=$lwio_bin)
lwios=(lwio)
clients=(smbclient lwio)
if [ -n "${LWIO_BASE:-}" ]; then
    bins[base]=$(realpath "$LWIO_BASE")
    lwios+=(base)
    clients+=(base)
fi
declare -A P G
for run in $(seq 1 "$RUNS"); do
    # Each round starts with another client.
    n=${#clients[@]}
    order=()
    for i in $(seq 0 $((n - 1))); do order+=("${clients[$(((run + i) % n))]}"); done
    for client in "${order[@]}"; do
        rm -f "$work/data/back" "$work/smbd/share/big"
        if [ "$client" = smbclient ]; then
            t0=$(secs); smbclient_do "put $work/data/big big"; t1=$(secs)
            smbclient_do "get big $work/data/back"; t2=$(secs)
        else
            t0=$(secs); lwio_cp "${bins[$client]}" "$work/data/big" "$remote/big"; t1=$(secs)
            lwio_cp "${bins[$client]}" "$remote/big" "$work/data/back"; t2=$(secs)
        fi
        cmp -s "$work/data/big" "$work/data/back" || { echo "bench-rdr: $client copied different bytes" >&2; exit 1; }
        P[$client]+="$(rate "$t0" "$t1") "
        G[$client]+="$(rate "$t1" "$t2") "
    done
done
declare -A put get
for client in "${clients[@]}"; do
    put[$client]=$(printf '%s\n' ${P[$client]} | median)
    get[$client]=$(printf '%s\n' ${G[$client]} | median)
done
TREE=${TREE:-1000}
if [ "$TREE" -gt 0 ]; then
    for i in $(seq 0 $((TREE - 1))); do
        d="$work/data/tree/d$((i % 8))/e$((i % 5))"
        mkdir -p "$d"
        head -c $((i % 40 * 100 + 10)) "$work/data/big" >"$d/f$i.txt"
    done
    declare -A TP TG
    for run in $(seq 1 "$RUNS"); do
        for client in "${lwios[@]}"; do
            rm -rf "$work/smbd/share/tree" "$work/data/tree-back"
            t0=$(secs); lwio_cp_r "${bins[$client]}" "$work/data/tree" "$remote/tree"; t1=$(secs)
            lwio_cp_r "${bins[$client]}" "$remote/tree" "$work/data/tree-back"; t2=$(secs)
            diff -r "$work/data/tree" "$work/data/tree-back" >/dev/null ||
                { echo "bench-rdr: the tree came back different ($client)" >&2; exit 1; }
            TP[$client]+="$(python3 -c "print($t1-$t0)") " TG[$client]+="$(python3 -c "print($t2-$t1)") "
        done
    done
    for client in "${lwios[@]}"; do
        printf '%s cp -r of %s files, median of %s runs: put %.2f s, get %.2f s\n' "$client" "$TREE" "$RUNS" \
            "$(printf '%s\n' ${TP[$client]} | median)" "$(printf '%s\n' ${TG[$client]} | median)"
    done
fi
if [ "${PERF:-0}" = 1 ]; then
    rm -f "$work/smbd/share/big"
    # In the directory the script was started from, not the repository.
    cd "$start_dir"
    perf record -g -o perf.smbclient.data -- smbclient -s "$work/client/smb.conf" "//127.0.0.1/share" \
        -p "$port" -U "$USER_NAME%$PASS" -m SMB3_11 "${smb_protect[@]}" \
        -c "put $work/data/big big; get big $work/data/back" >/dev/null 2>&1
    rm -f "$work/smbd/share/big"
    perf record -g -o perf.lwio.put.data -- "$lwio_bin" --memfs --credentials "$work/client/creds" \
        "${lwio_protect[@]}" cp "$work/data/big" "$remote/big" >/dev/null 2>&1
    perf record -g -o perf.lwio.get.data -- "$lwio_bin" --memfs --credentials "$work/client/creds" \
        "${lwio_protect[@]}" cp "$remote/big" "$work/data/back" >/dev/null 2>&1
fi
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf '%-28s %12s %12s %16s\n' "median of $RUNS runs" smbclient "lwio cp" "lwio/smbclient"
printf '%-28s %12.1f %12.1f %16s\n' "put ${SIZE_MIB} MiB (MB/s)" "${put[smbclient]}" "${put[lwio]}" "$(ratio "${put[lwio]}" "${put[smbclient]}")"
printf '%-28s %12.1f %12.1f %16s\n' "get ${SIZE_MIB} MiB (MB/s)" "${get[smbclient]}" "${get[lwio]}" "$(ratio "${get[lwio]}" "${get[smbclient]}")"
if [ -n "${LWIO_BASE:-}" ]; then
    printf '%-28s %12s %12s %16s\n' "" "base lwio" "lwio cp" "lwio/base"
    printf '%-28s %12.1f %12.1f %16s\n' "put ${SIZE_MIB} MiB (MB/s)" "${put[base]}" "${put[lwio]}" "$(ratio "${put[lwio]}" "${put[base]}")"
    printf '%-28s %12.1f %12.1f %16s\n' "get ${SIZE_MIB} MiB (MB/s)" "${get[base]}" "${get[lwio]}" "$(ratio "${get[lwio]}" "${get[base]}")"
fi
