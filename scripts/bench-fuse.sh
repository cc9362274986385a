#!/usr/bin/env bash
# Measures `lwio mount` against `lwio cp` on the same file and the same lwiod, in the same
# run, over loopback: sequential write and read of one file through the FUSE mount (dd,
# 1 MiB blocks, the write ending with fsync) and the same file put and got with `lwio cp`.
#
# usage: scripts/bench-fuse.sh [SIZE_MIB] [RUNS]      (defaults: 256 MiB, 3 runs)
#
# Release builds of lwio and lwiod; lwiod serves a temporary directory. Prints MB/s
# (medians) and the mount/cp ratios. Needs /dev/fuse and fusermount3 (installs fuse3 if
# missing, as root). The mount is unmounted with fusermount -u, and the script checks that
# `lwio mount` then exits 0.
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE_MIB=${1:-256}
RUNS=${2:-3}

command -v fusermount3 >/dev/null 2>&1 ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y fuse3 >/dev/null

cargo build -q --release --bin lwio --bin lwiod
bin="${CARGO_TARGET_DIR:-target}/release"

# The share and the files on tmpfs (BENCH_DIR to choose), so the disk is not what is measured.
base=${BENCH_DIR:-/dev/shm}
[ -d "$base" ] || base=/tmp
work=$(mktemp -d "$base/lwio-bench-fuse.XXXXXX")
lwiod_pid=
mount_pid=
cleanup() {
    if [ -n "$mount_pid" ]; then
        fusermount3 -uz "$work/mnt" 2>/dev/null || true
        kill "$mount_pid" 2>/dev/null || true
        wait "$mount_pid" 2>/dev/null || true
    fi
    if [ -n "$lwiod_pid" ]; then
        kill "$lwiod_pid" 2>/dev/null || true
        wait "$lwiod_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work"/{share,mnt,data}
chmod 0777 "$work/share"

port=$(python3 scripts/lib/free-port.py)
"$bin/lwiod" --listen "127.0.0.1:$port" --share "share=$work/share" --user bench:bench \
    --no-state-dir >"$work/lwiod.log" 2>&1 &
lwiod_pid=$!
for _ in $(seq 1 150); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    sleep 0.1
done
printf 'username = bench\npassword = bench\n' >"$work/creds"
chmod 0600 "$work/creds"
remote="//127.0.0.1:$port/share"

"$bin/lwio" --credentials "$work/creds" mount "$remote" "$work/mnt" >"$work/mount.log" 2>&1 &
mount_pid=$!
for _ in $(seq 1 100); do
    grep -q " $work/mnt " /proc/self/mounts && break
    sleep 0.1
done
grep -q " $work/mnt " /proc/self/mounts || { echo "bench-fuse: not mounted:" >&2; cat "$work/mount.log" >&2; exit 1; }

lwio_cp() { # SRC DST
    "$bin/lwio" --memfs --credentials "$work/creds" cp "$1" "$2" >"$work/cp.log" 2>&1 ||
        { echo "bench-fuse: lwio cp failed:" >&2; tail -5 "$work/cp.log" >&2; return 1; }
}

dd if=/dev/urandom of="$work/data/big" bs=1M count="$SIZE_MIB" status=none

load_before=$(cut -d" " -f1-3 /proc/loadavg)
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
secs() { python3 -c 'import time; print(time.monotonic())'; }
rate() { python3 -c "print($SIZE_MIB*1.048576/($2-$1))"; }

declare -A W R
for run in $(seq 1 "$RUNS"); do
    order=(mount cp)
    [ $((run % 2)) -eq 0 ] && order=(cp mount)
    for how in "${order[@]}"; do
        rm -f "$work/data/back" "$work/share/big"
        if [ "$how" = mount ]; then
            t0=$(secs); dd if="$work/data/big" of="$work/mnt/big" bs=1M conv=fsync status=none; t1=$(secs)
            dd if="$work/mnt/big" of="$work/data/back" bs=1M status=none; t2=$(secs)
        else
            t0=$(secs); lwio_cp "$work/data/big" "$remote/big"; t1=$(secs)
            lwio_cp "$remote/big" "$work/data/back"; t2=$(secs)
        fi
        cmp -s "$work/data/big" "$work/data/back" || { echo "bench-fuse: $how copied different bytes" >&2; exit 1; }
        W[$how]+="$(rate "$t0" "$t1") "
        R[$how]+="$(rate "$t1" "$t2") "
    done
done

fusermount3 -u "$work/mnt"
status=0
wait "$mount_pid" || status=$?
mount_pid=
[ "$status" = 0 ] || { echo "bench-fuse: lwio mount exited $status after fusermount -u" >&2; exit 1; }

declare -A write read
for how in mount cp; do
    write[$how]=$(printf '%s\n' ${W[$how]} | median)
    read[$how]=$(printf '%s\n' ${R[$how]} | median)
done
echo "load average before: $load_before, after: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
printf '%-28s %12s %12s %12s\n' "median of $RUNS runs" "mount" "lwio cp" "mount/cp"
printf '%-28s %12.1f %12.1f %12s\n' "write ${SIZE_MIB} MiB (MB/s)" "${write[mount]}" "${write[cp]}" "$(ratio "${write[mount]}" "${write[cp]}")"
printf '%-28s %12.1f %12.1f %12s\n' "read ${SIZE_MIB} MiB (MB/s)" "${read[mount]}" "${read[cp]}" "$(ratio "${read[mount]}" "${read[cp]}")"
echo "lwio mount exited 0 after fusermount -u"
