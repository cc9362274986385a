#!/usr/bin/env bash
# Runs Samba's smbd privately: its own smb.conf, state and passdb under DIR, loopback
# only, on a free port below 32768, with one user. Prints the port on the first line of
# stdout, then becomes smbd (exec), so the caller's child PID is smbd's and killing it
# stops the server. Nothing under /etc/samba or /var/lib/samba is read or written.
#
# usage: scripts/lib/private-smbd.sh DIR USER PASSWORD [SHARE_DIR]
#        (SHARE_DIR defaults to DIR/share; it is exported as [share], writable)
# env:   SMBD_EXTRA  extra [global] lines (e.g. "server smb encrypt = required")
#
# The user is created as a Unix account when missing (useradd -M; root needed), then added
# to the private passdb with `smbpasswd -c CONF -s -a`.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 DIR USER PASSWORD [SHARE_DIR]" >&2; exit 2; }
dir=$1 user=$2 pass=$3 share=${4:-$1/share}
export PATH="/usr/sbin:/sbin:$PATH"
command -v smbd >/dev/null || { echo "private-smbd: smbd is not installed" >&2; exit 1; }
mkdir -p "$dir"/{private,lock,state,cache,pid,log,ncalrpc} "$share"
chmod 0755 "$dir" "$dir/lock" "$dir/pid"
chmod 0777 "$share"
port=$(python3 "$(dirname "$0")/free-port.py")
cat >"$dir/smb.conf" <<CONF
[global]
  server role = standalone server
  workgroup = LWIOTEST
  interfaces = 127.0.0.1
  bind interfaces only = yes
  disable netbios = yes
  smb ports = $port
  private dir = $dir/private
  lock directory = $dir/lock
  state directory = $dir/state
  cache directory = $dir/cache
  pid directory = $dir/pid
  ncalrpc dir = $dir/ncalrpc
  log file = $dir/log/log.%m
  passdb backend = tdbsam:$dir/private/passdb.tdb
  map to guest = never
  load printers = no
  printing = bsd
  printcap name = /dev/null
  disable spoolss = yes
  server min protocol = SMB2_02
${SMBD_EXTRA:-}
[share]
  path = $share
  read only = no
  guest ok = no
CONF
id "$user" >/dev/null 2>&1 || useradd -M -s /usr/sbin/nologin "$user"
printf '%s\n%s\n' "$pass" "$pass" | smbpasswd -c "$dir/smb.conf" -s -a "$user" >/dev/null
echo "$port"
exec smbd --foreground --no-process-group -s "$dir/smb.conf" </dev/null >"$dir/log/smbd.out" 2>&1
