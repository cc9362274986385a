#!/usr/bin/env bash
# Runs Samba's smbtorture against lwiod and compares each subtest with the knownfail list.
#
# usage: scripts/torture.sh [--update] [SUITE...]
#
# Starts TORTURE_JOBS (default 4) lwiods (built by cargo), each on a free loopback port with
# a fresh share and users, and runs each SUITE (default: the list in
# tests/knownfail/suites.txt) with one smbtorture process per suite, as many at once as there
# are lwiods (see the lanes below; TORTURE_JOBS=1 runs them one after the other), each
# bounded by TORTURE_TIMEOUT seconds (default 120). It reads each suite's "success:" /
# "failure:" / "error:" / "skip:" lines. A subtest that fails and is not in
# tests/knownfail/smbtorture.txt is a regression; a listed subtest that now passes must be
# taken off the list (the list only shrinks). Both make the script fail. It ends with the
# line "N passed, N failed" over the subtests it ran.
#
# --update rewrites the knownfail list from this run, keeping the reasons already written
# and marking new entries "untriaged" (review them before committing).
#
# A subtest listed in tests/knownfail/hangs.txt (each with its reason) waits forever
# against lwiod (smbtorture has no per-subtest time limit), so it is not run: its suite
# runs as the list of its other subtests (smbtorture runs them one after the other in one
# process), and the hanging one counts as failed and must be in the knownfail list too.
set -u
cd "$(dirname "$0")/.."

update=no
if [ "${1:-}" = "--update" ]; then
    update=yes
    shift
fi
KNOWNFAIL=tests/knownfail/smbtorture.txt
HANGS=tests/knownfail/hangs.txt
if [ $# -gt 0 ]; then
    suites=("$@")
else
    mapfile -t suites < <(grep -v '^\s*#' tests/knownfail/suites.txt | grep -v '^\s*$')
fi
TIMEOUT=${TORTURE_TIMEOUT:-120}

if ! command -v smbtorture >/dev/null 2>&1; then
    echo "torture: smbtorture is missing: install the Debian package samba-testsuite" >&2
    echo "0 passed, 1 failed"
    exit 1
fi

# Suites whose subtests block a client's own TCP transport (to make lwiod time a break out
# or lose a channel) do it with iptables, as smbtorture's torture:use_iptables asks: 4.17
# adds a chain SMBTORTURE_OUTPUT (jumped to from OUTPUT) and one SMBTORTURE_<transport> per
# blocked transport that DROPs what the client sends from its local port (so the server's
# breaks arrive and the client's acknowledgments do not), and removes the rules afterwards;
# other releases name them SAMBA_INPUT and SAMBA_INPUT_<transport>. Without a working iptables those subtests cannot run: fail.
# TORTURE_IPTABLES names another iptables command (default /usr/sbin/iptables).
IPTABLES=${TORTURE_IPTABLES:-/usr/sbin/iptables}
iptables_suite() {
    case "$1" in
        smb2.oplock | smb2.oplock.* | smb2.multichannel | smb2.multichannel.* | smb2.replay | smb2.replay.*) return 0 ;;
    esac
    return 1
}
# The subtests of SUITE that block transports (a glob over its first-level subtest names), when
# the rest of the suite does not: those run in lane 0 with iptables (see the lanes below), the
# rest on the common queue without. Taken from the subtests whose logs say "blocking".
iptables_part() {
    case "$1" in
        smb2.oplock) echo 'batch22b' ;;
        smb2.replay) echo 'dhv2-pending3*' ;;
    esac
}
samba_chains() { "$IPTABLES" -S 2>/dev/null | sed -En 's/^-N ((SAMBA|SMBTORTURE)_[A-Za-z0-9_]*)$/\1/p'; }
chains_before=
for suite in "${suites[@]}"; do
    iptables_suite "$suite" || continue
    if ! err=$("$IPTABLES" -L -n 2>&1 >/dev/null); then
        echo "torture: $suite blocks TCP transports with iptables, and '$IPTABLES -L' fails" >&2
        echo "torture: ($err); install the Debian package iptables and run as root" >&2
        echo "0 passed, 1 failed"
        exit 1
    fi
    chains_before=$(samba_chains)
    use_iptables=yes
    break
done

work=$(mktemp -d /tmp/lwio-torture.XXXXXX)
# Removes the SMBTORTURE_* and SAMBA_* chains smbtorture made during this run (those there
# before stay): the jumps to them first, then their rules, then the chains.
iptables_cleanup() {
    local chain made=()
    for chain in $(samba_chains); do
        printf '%s\n' "$chains_before" | grep -qxF "$chain" || made+=("$chain")
    done
    [ ${#made[@]} -gt 0 ] || return 0
    for chain in "${made[@]}"; do
        "$IPTABLES" -S 2>/dev/null | grep -E -- "^-A [A-Za-z0-9_]+ .*-j $chain\$" |
            while read -r _ rule; do
                # shellcheck disable=SC2086 # the rule's words are iptables arguments
                "$IPTABLES" -D $rule
            done
    done
    for chain in "${made[@]}"; do "$IPTABLES" -F "$chain"; done
    for chain in "${made[@]}"; do "$IPTABLES" -X "$chain"; done
}
lane_pids=() server_pids=()
cleanup() {
    local pid
    for pid in "${lane_pids[@]}" "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [ "${use_iptables:-no}" = yes ] && iptables_cleanup
    # TORTURE_LOGS=DIR keeps each suite's smbtorture output and lwiod's log there.
    if [ -n "${TORTURE_LOGS:-}" ]; then
        mkdir -p "$TORTURE_LOGS" && cp "$work"/*.log "$TORTURE_LOGS"/ 2>/dev/null
    fi
    rm -rf "$work"
}
trap cleanup EXIT

cargo build -q --bin lwiod || { echo "0 passed, 1 failed"; exit 1; }
bin=${CARGO_TARGET_DIR:-target}/debug/lwiod

# One lwiod per lane (see the lanes below), each with its own port, shares, state directory
# and log, so that suites running side by side share nothing but the machine.
# The accounts do not own the share root (lwiod's own files are no account's): open it to
# everyone, as a Windows test share gives Everyone full control.
# Signing is relaxed (lwiod requires it by default): smb2.session-id and smb2.tcon send
# signed requests naming a session id that does not exist and want the unsigned
# STATUS_USER_SESSION_DELETED they get, which smbtorture's client drops (and with it the
# connection) once the server has required signing. tests/logon_smb.rs covers signing.
# The accounts live in a SAM in a state directory of the run's own (so \pipe\samr is
# served and the default state directory stays untouched); --user and --admin seed it.
# --rpcecho serves the RPC test interface rpc.echo, rpc.bind and rpc.handles call.
# "hideunread" is the share with access-based enumeration that smb2.acls.ACCESSBASED
# connects to (Samba's test environment has one by that name).
ports=()
start_server() {
    local lane=$1 dir=$work/lane$1 port
    mkdir -p "$dir/share" "$dir/hideunread" "$dir/client"
    chmod 0777 "$dir/share" "$dir/hideunread"
    # A free port: let the kernel pick one, then hand it to lwiod.
    port=$(python3 scripts/lib/free-port.py)
    "$bin" --listen "127.0.0.1:$port" --share "share=$dir/share" --user 'torture:T0rture!pass' \
        --share "hideunread=$dir/hideunread" --abe-share hideunread \
        --admin 'tadmin:T0rture!admin' --allow-guest --anonymous-pipes --no-signing-required \
        --state-dir "$dir/state" --rpcecho \
        >"$work/lwiod-lane$lane.log" 2>&1 &
    server_pids[lane]=$!
    ports[lane]=$port
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        sleep 0.1
    done
    # A private client configuration, so the host's smb.conf and state stay out of the run.
    printf '[global]\n  lock directory = %s\n  cache directory = %s\n  state directory = %s\n  private dir = %s\n  pid directory = %s\n  ncalrpc dir = %s/ncalrpc\n' \
        "$dir/client" "$dir/client" "$dir/client" "$dir/client" "$dir/client" "$dir/client" >"$dir/client/smb.conf"
}

# Runs one suite (or part of one) against the lane's lwiod; its results go to
# $work/results/SUITE.PART, the seconds it took to $work/times/SUITE.PART.
# PART is "all" (the whole suite), "ipt" (the subtests iptables_part names) or "rest" (the
# others).
run_suite() {
    local suite=$1 part=$2 lane=$3
    local port=${ports[lane]} conf=$work/lane$lane/client/smb.conf
    local results=$work/results/$suite.$part began=$SECONDS glob seen=" "
    local target creds solo tests hangs full sub all t limit opts rc entry one one_creds one_opts n log
    glob=$(iptables_part "$suite")
    local label=$suite
    [ "$part" = all ] || label="$suite ($part)"
    : >"$results"
    case "$suite" in
        # The RPC suites log on as an administrator, as Samba's own test environment does:
        # several operations (srvsvc share paths, wkssvc transports and alternate names)
        # are for administrators only. Their anonymous subtests make their own connections
        # (hence --allow-guest --anonymous-pipes: the anonymous logon works and may read
        # what Windows' RestrictAnonymous=0 allows; unit tests cover the refusing default).
        rpc.*) target="ncacn_np:127.0.0.1[port=$port]" creds='tadmin%T0rture!admin' ;;
        # smb2.create's aclfile and acldir give new files the owner Everyone, which Windows
        # lets only a caller with SeRestorePrivilege do (Everyone carries no SE_GROUP_OWNER;
        # MS-DTYP / MS-FSA 2.1.5.16, STATUS_INVALID_OWNER otherwise): as against Windows,
        # the suite runs as an administrator. Its other subtests answer the same either way.
        smb2.create) target="//127.0.0.1/share" creds='tadmin%T0rture!admin' ;;
        *) target="//127.0.0.1/share" creds='torture%T0rture!pass' ;;
    esac
    # Subtests run on their own, after the rest of their suite, each as the account (and
    # with the options) its expectations of Windows were taken with: "NAME CREDS [OPTION]".
    # - smb2.create.gentest checks Windows Server 2008's answers unless told the target is
    #   Windows 7 or later (torture:win7), which grant an open for SYNCHRONIZE alone, as
    #   lwiod does (smb2.getinfo.getinfo_access needs it granted); and it wants
    #   ACCESS_SYSTEM_SECURITY refused (STATUS_PRIVILEGE_NOT_HELD), which only a caller
    #   without SeSecurityPrivilege gets: the plain user, not the administrator the rest
    #   of smb2.create runs as.
    # - smb2.acls.SDFLAGSVSCHOWN gives a file an owner outside the caller's token, which
    #   Windows allows only with SeRestorePrivilege (STATUS_INVALID_OWNER otherwise): as
    #   against Windows, it runs as an administrator.
    solo=()
    case "$suite" in
        smb2.create) solo=("smb2.create.gentest torture%T0rture!pass --option=torture:win7=yes") ;;
        smb2.acls) solo=("smb2.acls.SDFLAGSVSCHOWN tadmin%T0rture!admin") ;;
    esac
    log=$work/$suite.log
    [ "$part" = all ] || log=$work/$suite.$part.log
    # The suite's subtests less those that hang (see the top of this script), and of a part
    # of a suite, the subtests of that part.
    tests=("$suite")
    hangs=$(grep -E "^$(printf '%s' "$suite" | sed 's/[.[\*^$()+?{|]/\\&/g')\.[^ ]+" "$HANGS" 2>/dev/null | cut -d' ' -f1)
    if [ -n "$hangs" ] || [ "$part" != all ]; then
        tests=()
        while read -r full; do
            sub=${full#"$suite".}
            sub=${sub%%.*}
            # A nested suite lists each of its tests: run each first-level subtest once.
            [[ "$seen" == *" $sub "* ]] && continue
            seen+="$sub "
            # shellcheck disable=SC2254 # the glob is a pattern
            case "$part" in
                ipt) case "$sub" in $glob) ;; *) continue ;; esac ;;
                rest) case "$sub" in $glob) continue ;; esac ;;
            esac
            if printf '%s\n' "$hangs" | grep -qxF "$suite.$sub"; then
                echo "failure $suite.$sub" >>"$results"
            else
                tests+=("$suite.$sub")
            fi
        done < <(smbtorture --list "$suite" 2>/dev/null | grep -F "$suite.")
    fi
    if [ ${#solo[@]} -gt 0 ]; then
        all=()
        if [ "${tests[*]}" = "$suite" ]; then
            while read -r full; do
                sub=${full#"$suite".}
                all+=("$suite.${sub%%.*}")
            done < <(smbtorture --list "$suite" 2>/dev/null | grep -F "$suite.")
        else
            all=("${tests[@]}")
        fi
        tests=()
        for t in "${all[@]}"; do
            printf '%s\n' "${solo[@]}" | cut -d' ' -f1 | grep -qxF "$t" || tests+=("$t")
        done
    fi
    limit=$TIMEOUT
    # smb2.lease waits out lease-break timeouts (35 s each, as Windows): about three
    # minutes here.
    [ "$suite" = smb2.lease ] && [ "$limit" -lt 360 ] && limit=360
    # smb2.notify's mask subtest waits 200 ms for each of 32 filter bits in each of 12
    # operations, as Windows needs (about 90 s here); the suite takes about two minutes.
    [ "$suite" = smb2.notify ] && [ "$limit" -lt 240 ] && limit=240
    # smb2.replay's multichannel subtests (run since lwiod offers multichannel) wait for
    # oplock and lease breaks on four channels each, and with iptables the dhv2-pending3*
    # ones block a channel: about four minutes here.
    [ "$suite" = smb2.replay ] && [ "$limit" -lt 420 ] && limit=420
    # With iptables, smb2.oplock's batch22b and smb2.multichannel's oplocks.test3_* and
    # leases.test2/test4 each wait out a 35 s break timeout on a blocked transport.
    [ "$suite" = smb2.oplock ] && [ "$limit" -lt 240 ] && limit=240
    [ "$suite" = smb2.multichannel ] && [ "$limit" -lt 360 ] && limit=360
    opts=()
    iptables_suite "$suite" && [ "$part" != rest ] &&
        opts=(--option=torture:use_iptables=yes "--option=torture:iptables_command=$IPTABLES")
    timeout "$limit" smbtorture -s "$conf" "${opts[@]}" "$target" -p "$port" -U "$creds" \
        "${tests[@]}" >"$log" 2>&1
    rc=$?
    for entry in "${solo[@]}"; do
        read -r one one_creds one_opts <<<"$entry"
        timeout "$limit" smbtorture -s "$conf" "${opts[@]}" ${one_opts:+"$one_opts"} "//127.0.0.1/share" \
            -p "$port" -U "$one_creds" "$one" >>"$log" 2>&1
    done
    n=$(grep -cE '^(success|failure|error|skip): ' "$log")
    if [ "$n" -eq 0 ]; then
        # The suite did not get as far as one subtest (connection refused, timeout, ...).
        echo "failure $suite" >>"$results"
        echo "torture: $suite ran no subtest (exit $rc); see its log:" >&2
        tail -5 "$log" >&2
        echo "$((SECONDS - began)) $label" >"$work/times/$suite.$part"
        return
    fi
    # "failure: NAME [" (the reason follows on later lines); NAME may hold spaces, as in
    # "srvsvc (admin access).NetSrvGetInfo": keep all of it, spaces as underscores.
    grep -E '^(success|failure|error|skip): ' "$log" | while read -r kind rest; do
        kind=${kind%:}
        name=${rest%\[}
        name=${name%"${name##*[![:space:]]}"}
        name=${name// /_}
        case "$kind" in
            success) echo "success $suite.$name" ;;
            skip) echo "skip $suite.$name" ;;
            *) echo "failure $suite.$name" ;;
        esac
    done >>"$results"
    if [ $rc -eq 124 ]; then
        echo "failure $suite.(timeout)" >>"$results"
    fi
    echo "$((SECONDS - began)) $label" >"$work/times/$suite.$part"
}

# Lanes: TORTURE_JOBS (default 4) loops, each taking the next suite from a queue and running
# it against a lwiod of its own. Most of a suite's time is spent waiting (break timeouts,
# notify delays), not computing, so lanes overlap the waits. The suites that block TCP
# transports with iptables share smbtorture's fixed chain names (and count the packets those
# chains dropped), so they never run side by side: lane 0 takes them one after the other,
# first, then joins the others on the common queue. The common queue is in the order of
# tests/knownfail/suites.txt, which lists the longest suites first.
jobs=${TORTURE_JOBS:-4}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
mkdir -p "$work/results" "$work/times"
: >"$work/queue.iptables"
: >"$work/queue.common"
for suite in "${suites[@]}"; do
    if [ -n "$(iptables_part "$suite")" ]; then
        echo "$suite ipt" >>"$work/queue.iptables"
        echo "$suite rest" >>"$work/queue.common"
    elif iptables_suite "$suite"; then
        echo "$suite all" >>"$work/queue.iptables"
    else
        echo "$suite all" >>"$work/queue.common"
    fi
done
# Prints the first suite of queue $1 and removes it, under a lock the lanes share.
next_suite() {
    local queue=$work/queue.$1 first
    {
        flock 9
        first=$(head -n 1 "$queue")
        [ -n "$first" ] && sed -i 1d "$queue"
    } 9>"$work/queue.lock"
    [ -n "$first" ] && printf '%s\n' "$first"
}
lane_pids=()
for ((lane = 0; lane < jobs; lane++)); do
    start_server "$lane"
    (
        if [ "$lane" -eq 0 ]; then
            while item=$(next_suite iptables); do run_suite $item "$lane"; done
        fi
        while item=$(next_suite common); do run_suite $item "$lane"; done
    ) &
    lane_pids+=($!)
done
for pid in "${lane_pids[@]}"; do wait "$pid"; done

results=$work/results.txt
: >"$results"
for suite in "${suites[@]}"; do
    cat "$work/results/$suite".* >>"$results" 2>/dev/null || echo "failure $suite" >>"$results"
done
echo "torture: the longest suites (seconds, $jobs lanes):"
cat "$work"/times/* 2>/dev/null | sort -rn | head -8 | sed 's/^/  /'

known() { grep -E "^$(printf '%s' "$1" | sed 's/[.[\*^$()+?{|]/\\&/g')(\s|$)" "$KNOWNFAIL" >/dev/null 2>&1; }

flaky() { grep -E "^$(printf '%s' "$1" | sed 's/[.[\*^$()+?{|]/\\&/g')\s+# flaky:" "$KNOWNFAIL" >/dev/null 2>&1; }

passed=0 failed=0 regressions=0 fixed=0
while read -r kind name; do
    case "$kind" in
        success)
            passed=$((passed + 1))
            if known "$name" && ! flaky "$name"; then
                echo "now passes (remove from $KNOWNFAIL): $name"
                fixed=$((fixed + 1))
            fi
            ;;
        failure)
            failed=$((failed + 1))
            if ! known "$name"; then
                echo "REGRESSION (not in $KNOWNFAIL): $name"
                regressions=$((regressions + 1))
            fi
            ;;
    esac
done <"$results"

if [ "$update" = yes ]; then
    tmp=$work/knownfail.new
    {
        grep '^#' "$KNOWNFAIL" 2>/dev/null
        grep '^failure ' "$results" | cut -d' ' -f2 | sort -u | while read -r name; do
            line=$(grep -E "^$(printf '%s' "$name" | sed 's/[.[\*^$()+?{|]/\\&/g')(\s|$)" "$KNOWNFAIL" 2>/dev/null | head -1)
            echo "${line:-$name  # untriaged}"
        done
    } >"$tmp"
    mkdir -p "$(dirname "$KNOWNFAIL")"
    mv "$tmp" "$KNOWNFAIL"
    echo "torture: rewrote $KNOWNFAIL"
fi

echo "torture: $regressions regressions, $fixed known failures that now pass"
echo "$passed passed, $failed failed"
if [ "$update" = no ] && { [ $regressions -gt 0 ] || [ $fixed -gt 0 ]; }; then
    exit 1
fi
exit 0
