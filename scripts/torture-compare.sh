#!/usr/bin/env bash
# Runs smbtorture suites against lwiod and against Samba's smbd side by side, and prints per
# suite how many subtests pass and fail on each, and the subtests that pass on smbd and fail
# on lwiod (issue 13: every suite at or above smbd's count). Not part of the test command.
#
# usage: scripts/torture-compare.sh [SUITE...]    (default: tests/knownfail/suites.txt)
# env:   TORTURE_TIMEOUT  seconds per suite and server (default 180; smb2.lease and
#                         smb2.notify get at least 360)
#        COMPARE_KEEP=1   keep the work directory (logs, configurations) and print its path
#
# Set-up, as scripts/torture.sh gives lwiod: one share "share" (a fresh temp directory for
# each server), the user torture (password T0rture!pass) and the administrator tadmin
# (T0rture!admin); rpc.* suites and smb2.create log on as tadmin, the rest as torture.
# smbd runs privately (scripts/lib/private-smbd.sh: its own smb.conf, state and passdb in a
# temp directory, 127.0.0.1 on a free port below 32768; root is needed to add the Unix
# accounts), configured as a Windows-like file server: NT ACLs and DOS attributes in xattrs
# (acl_xattr), named streams (streams_xattr), no kernel oplocks or share modes; tadmin is
# mapped to root (username map), Samba's administrator. Both servers run each suite at the
# same time, one smbtorture process each. Subtests in tests/knownfail/hangs.txt are not run
# on either server and count as failed on lwiod. Unlike scripts/torture.sh, each suite is
# one smbtorture run: smb2.create.gentest and smb2.acls.SDFLAGSVSCHOWN run with their suite's
# account and options, so their lwiod results may differ from scripts/torture.sh's.
#
# Figures (2026-12-07, the shared 2-core test VM, Samba 4.17.12-Debian): lwiod 432 passed,
# 72 failed, 96 skipped; smbd 430/119/51 over suites.txt; per suite in docs/torture-compare.md.
set -u
cd "$(dirname "$0")/.."

HANGS=tests/knownfail/hangs.txt
if [ $# -gt 0 ]; then
    suites=("$@")
else
    mapfile -t suites < <(grep -v '^\s*#' tests/knownfail/suites.txt | grep -v '^\s*$')
fi
TIMEOUT=${TORTURE_TIMEOUT:-180}
USER_NAME=torture USER_PASS='T0rture!pass'
ADMIN_NAME=tadmin ADMIN_PASS='T0rture!admin'

for tool in smbtorture smbd smbpasswd; do
    if ! command -v "$tool" >/dev/null 2>&1 && ! [ -x "/usr/sbin/$tool" ]; then
        echo "torture-compare: $tool is missing (Debian packages samba, samba-testsuite)" >&2
        exit 1
    fi
done
export PATH="/usr/sbin:/sbin:$PATH"

work=$(mktemp -d /tmp/lwio-compare.XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
    for p in "${pids[@]}"; do
        if kill -0 "$p" 2>/dev/null; then
            kill "$p" 2>/dev/null
            wait "$p" 2>/dev/null
        fi
    done
    if [ "${COMPARE_KEEP:-0}" = 1 ]; then
        echo "torture-compare: work directory kept: $work" >&2
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT

cargo build -q --bin lwiod || exit 1
bin=${CARGO_TARGET_DIR:-target}/debug/lwiod

wait_port() {
    for _ in $(seq 1 300); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# --- lwiod, as scripts/torture.sh starts it ---
lport=$(python3 scripts/lib/free-port.py)
mkdir -p "$work/lwiod/share" "$work/client"
chmod 0777 "$work/lwiod/share"
"$bin" --listen "127.0.0.1:$lport" --share "share=$work/lwiod/share" \
    --user "$USER_NAME:$USER_PASS" --admin "$ADMIN_NAME:$ADMIN_PASS" --allow-guest \
    --anonymous-pipes --no-signing-required --state-dir "$work/lwiod/state" --rpcecho \
    >"$work/lwiod/lwiod.log" 2>&1 &
pids+=($!)
wait_port "$lport" || { echo "torture-compare: lwiod did not listen" >&2; exit 1; }

# --- smbd, private, Windows-like ---
mkdir -p "$work/smbd"
printf 'root = %s\n' "$ADMIN_NAME" >"$work/smbd/usermap"
extra="  username map = $work/smbd/usermap
  vfs objects = acl_xattr streams_xattr
  store dos attributes = yes
  map hidden = no
  map system = no
  map readonly = no
  kernel oplocks = no
  kernel share modes = no
  kernel change notify = no
  posix locking = no
  ea support = yes
  server multi channel support = yes"
# smbd signals its process group when it stops: give it its own (setsid).
SMBD_EXTRA=$extra setsid bash scripts/lib/private-smbd.sh "$work/smbd" "$USER_NAME" \
    "$USER_PASS" "$work/smbd/share" >"$work/smbd/port" 2>"$work/smbd/start.err" &
pids+=($!)
for _ in $(seq 1 100); do
    [ -s "$work/smbd/port" ] && break
    sleep 0.1
done
sport=$(head -1 "$work/smbd/port")
[ -n "$sport" ] || { echo "torture-compare: smbd did not start:" >&2; cat "$work/smbd/start.err" >&2; exit 1; }
printf '%s\n%s\n' "$ADMIN_PASS" "$ADMIN_PASS" |
    smbpasswd -c "$work/smbd/smb.conf" -s -a root >/dev/null ||
    { echo "torture-compare: smbpasswd root failed" >&2; exit 1; }
wait_port "$sport" || { echo "torture-compare: smbd did not listen" >&2; exit 1; }

# A private client configuration, so the host's smb.conf and state stay out of the run.
conf=$work/client/smb.conf
printf '[global]\n  lock directory = %s\n  cache directory = %s\n  state directory = %s\n  private dir = %s\n  pid directory = %s\n  ncalrpc dir = %s/ncalrpc\n' \
    "$work/client" "$work/client" "$work/client" "$work/client" "$work/client" "$work/client" >"$conf"

# run_suite SERVER PORT SUITE TEST...: one smbtorture run; its results, one per line
# ("success NAME" / "failure NAME" / "skip NAME"), go to $work/SERVER/SUITE.results.
run_suite() {
    local server=$1 port=$2 suite=$3 target creds limit rc log
    shift 3
    case "$suite" in
        rpc.*) target="ncacn_np:127.0.0.1[port=$port]" creds="$ADMIN_NAME%$ADMIN_PASS" ;;
        smb2.create) target="//127.0.0.1/share" creds="$ADMIN_NAME%$ADMIN_PASS" ;;
        *) target="//127.0.0.1/share" creds="$USER_NAME%$USER_PASS" ;;
    esac
    limit=$TIMEOUT
    case "$suite" in smb2.lease | smb2.notify) [ "$limit" -lt 360 ] && limit=360 ;; esac
    log=$work/$server/$suite.log
    timeout "$limit" smbtorture -s "$conf" "$target" -p "$port" -U "$creds" "$@" >"$log" 2>&1
    rc=$?
    {
        grep -E '^(success|failure|error|skip): ' "$log" | while read -r kind rest; do
            name=${rest%\[}
            name=${name%"${name##*[![:space:]]}"}
            name=${name// /_}
            case "$kind" in
                success:) echo "success $suite.$name" ;;
                skip:) echo "skip $suite.$name" ;;
                *) echo "failure $suite.$name" ;;
            esac
        done
        [ $rc -eq 124 ] && echo "failure $suite.(timeout)"
        grep -qE '^(success|failure|error|skip): ' "$log" || echo "failure $suite.(no_subtest_ran)"
    } >"$work/$server/$suite.results"
}

# Columns: passed/failed/skipped on each server (a subtest skips itself when the server
# lacks what it tests, e.g. sparse files or compression), then the subtests that pass on
# smbd and fail on lwiod, and those that pass on smbd and skip on lwiod (marked "(skip)").
printf '%-32s %17s %17s  %s\n' SUITE 'lwiod ok/fail/skip' 'smbd ok/fail/skip' 'pass on smbd, not on lwiod'
tot_l=0 tot_lf=0 tot_ls=0 tot_s=0 tot_sf=0 tot_ss=0
for suite in "${suites[@]}"; do
    # The suite's subtests less those that hang against lwiod.
    tests=("$suite")
    hangs=$(grep -E "^$(printf '%s' "$suite" | sed 's/[.[\*^$()+?{|]/\\&/g')\.[^ ]+" "$HANGS" 2>/dev/null | cut -d' ' -f1)
    hung=()
    if [ -n "$hangs" ]; then
        tests=()
        while read -r full; do
            sub=${full#"$suite".}
            sub=$suite.${sub%%.*}
            if printf '%s\n' "$hangs" | grep -qxF "$sub"; then hung+=("$sub"); else tests+=("$sub"); fi
        done < <(smbtorture --list "$suite" 2>/dev/null | grep -F "$suite.")
    fi
    run_suite lwiod "$lport" "$suite" "${tests[@]}" &
    a=$!
    run_suite smbd "$sport" "$suite" "${tests[@]}" &
    b=$!
    wait $a $b
    for h in "${hung[@]}"; do echo "failure $h" >>"$work/lwiod/$suite.results"; done
    lr=$work/lwiod/$suite.results sr=$work/smbd/$suite.results
    lok=$(grep -c '^success ' "$lr") lf=$(grep -c '^failure ' "$lr") ls=$(grep -c '^skip ' "$lr")
    sok=$(grep -c '^success ' "$sr") sf=$(grep -c '^failure ' "$sr") ss=$(grep -c '^skip ' "$sr")
    worse=$(comm -12 <(grep '^success ' "$sr" | cut -d' ' -f2 | sort -u) \
        <(grep '^failure ' "$lr" | cut -d' ' -f2 | sort -u) | sed "s/^$suite\.//" | tr '\n' ' ')
    skipped=$(comm -12 <(grep '^success ' "$sr" | cut -d' ' -f2 | sort -u) \
        <(grep '^skip ' "$lr" | cut -d' ' -f2 | sort -u) | sed "s/^$suite\.//; s/$/(skip)/" | tr '\n' ' ')
    printf '%-32s %5s/%5s/%5s %5s/%5s/%5s  %s\n' "$suite" "$lok" "$lf" "$ls" "$sok" "$sf" "$ss" "$worse$skipped"
    tot_l=$((tot_l + lok)) tot_lf=$((tot_lf + lf)) tot_ls=$((tot_ls + ls))
    tot_s=$((tot_s + sok)) tot_sf=$((tot_sf + sf)) tot_ss=$((tot_ss + ss))
done
printf '%-32s %5s/%5s/%5s %5s/%5s/%5s\n' TOTAL "$tot_l" "$tot_lf" "$tot_ls" "$tot_s" "$tot_sf" "$tot_ss"
