#!/usr/bin/env bash
# Measures SAMR on lwiod against Samba's smbd in the same run, over loopback, with
# impacket's SAMR client (tests/samr_client.py) driving both.
#
# usage: scripts/bench-samr.sh [USERS]        (default 1000)
#
# For each server: create USERS users with SamrCreateUser2InDomain (one call each, its
# handle closed), enumerate them all (SamrEnumerateUsersInDomain, 64 KiB pages), and
# resolve each by name (SamrLookupNamesInDomain, one call each). Prints the seconds and
# operations per second of each phase and the lwiod/smbd ratio of the rates.
#
# lwiod keeps its SAM in a fresh state directory. smbd runs standalone from a private
# configuration (tdbsam) on a loopback port; SAMR creates on smbd make real Unix users
# (its "add user script" is useradd), so the script needs root and deletes those users
# (named lwb<pid>_N) when it ends. Installs samba and smbclient if missing; the Python
# with impacket is $LWIO_PYTHON or target/pyenv/bin/python (scripts/test-all.sh makes it).
set -euo pipefail
cd "$(dirname "$0")/.."

USERS=${1:-1000}
ADMIN_PASS='B3nch!admin'
PREFIX="lwb$$_"
PY=${LWIO_PYTHON:-target/pyenv/bin/python}
"$PY" -c 'import impacket' 2>/dev/null || { echo "bench-samr: $PY lacks impacket (run scripts/test-all.sh)" >&2; exit 1; }

need=()
command -v smbd >/dev/null 2>&1 || need+=(samba)
command -v smbpasswd >/dev/null 2>&1 || need+=(samba-common-bin)
if [ ${#need[@]} -gt 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi
export PATH="/usr/sbin:/sbin:$PATH"

work=$(mktemp -d /tmp/lwio-bench-samr.XXXXXX)
pids=()
smbd_group=
cleanup() {
    set +e
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    wait "${pids[@]}" 2>/dev/null
    if [ -n "${smbd_group:-}" ]; then
        kill -TERM -- "-$smbd_group" 2>/dev/null
        sleep 1
        kill -KILL -- "-$smbd_group" 2>/dev/null
    fi
    # samba-dcerpcd and its rpcd_* workers start sessions of their own; they are the
    # processes that name this run's private configuration.
    for p in $(pgrep -f -- "$work/smbd/smb.conf"); do kill "$p" 2>/dev/null; done
    # The Unix users smbd's add user script made.
    local left
    left=$(cut -d: -f1 /etc/passwd | grep "^$PREFIX")
    for u in $left; do
        userdel "$u" >/dev/null 2>&1
    done
    if cut -d: -f1 /etc/passwd | grep -q "^$PREFIX"; then
        echo "bench-samr: could not delete every $PREFIX* Unix user" >&2
    fi
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 "$(dirname "$0")/lib/free-port.py"; }
wait_port() {
    for _ in $(seq 1 150); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    echo "bench-samr: nothing listens on port $1" >&2
    return 1
}

mkdir -p "$work"/{share,smbd/{private,lock,state,cache,pid,log,ncalrpc}}
SMBD_PORT=$(free_port)
cat >"$work/smbd/smb.conf" <<CONF
[global]
  server role = standalone server
  interfaces = 127.0.0.1
  bind interfaces only = yes
  smb ports = $SMBD_PORT
  private dir = $work/smbd/private
  lock directory = $work/smbd/lock
  state directory = $work/smbd/state
  cache directory = $work/smbd/cache
  pid directory = $work/smbd/pid
  ncalrpc dir = $work/smbd/ncalrpc
  log file = $work/smbd/log/log.%m
  passdb backend = tdbsam:$work/smbd/private/passdb.tdb
  add user script = /usr/sbin/useradd -M -N -s /usr/sbin/nologin %u
  delete user script = /usr/sbin/userdel %u
  disable spoolss = yes
  load printers = no
  server min protocol = SMB2_02
[share]
  path = $work/share
  read only = no
CONF
printf '%s\n%s\n' "$ADMIN_PASS" "$ADMIN_PASS" | smbpasswd -c "$work/smbd/smb.conf" -s -a root >/dev/null
# In a session of its own: smbd signals its whole process group when it stops, and its
# group also holds the samba-dcerpcd helpers it starts, which cleanup ends with it.
setsid smbd --foreground --no-process-group -s "$work/smbd/smb.conf" >"$work/smbd/log/stdout" 2>&1 &
smbd_group=$!
wait_port "$SMBD_PORT"

cargo build -q --release --bin lwiod
LWIOD_PORT=$(free_port)
"${CARGO_TARGET_DIR:-target}/release/lwiod" --listen "127.0.0.1:$LWIOD_PORT" \
    --share "share=$work/share" --state-dir "$work/lwiod-state" \
    --admin "root:$ADMIN_PASS" >"$work/lwiod.log" 2>&1 &
pids+=($!)
wait_port "$LWIOD_PORT"

run() { # PORT NAME-PREFIX -> "create enumerate lookup seen"
    "$PY" tests/samr_client.py "$1" root "$ADMIN_PASS" bench "$USERS" "$2" |
        awk '/^create/ {print $2, $4, $6, $8}'
}
read -r s_create s_enum s_lookup s_seen < <(run "$SMBD_PORT" "${PREFIX}")
read -r l_create l_enum l_lookup l_seen < <(run "$LWIOD_PORT" "${PREFIX}")
[ "$s_seen" -ge "$USERS" ] && [ "$l_seen" -ge "$USERS" ] ||
    { echo "bench-samr: enumeration saw $s_seen (smbd) / $l_seen (lwiod) of $USERS" >&2; exit 1; }

rate() { python3 -c "print(f'{$USERS/$1:.1f}')"; }
ratio() { python3 -c "print(f'{$2/$1:.2f}')"; }
printf '%-34s %10s %10s %10s %10s %10s\n' "$USERS users" "smbd s" "lwiod s" "smbd /s" "lwiod /s" "lwiod/smbd"
for phase in create enum lookup; do
    s=s_$phase l=l_$phase
    printf '%-34s %10.2f %10.2f %10s %10s %10s\n' "$phase" "${!s}" "${!l}" \
        "$(rate "${!s}")" "$(rate "${!l}")" "$(ratio "${!l}" "${!s}")"
done
