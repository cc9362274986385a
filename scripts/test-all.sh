#!/usr/bin/env bash
# Runs every test of the workspace: formatting, clippy, the fuzz targets' build, unit, integration,
# property and doc tests, and each benchmark once in test mode. It is the README's test
# command and the whole of CI. Later issues add interop tests against Samba's tools here;
# this script installs what they need, and a missing peer is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# Each step says how long the one before it took, so that the suite's time (CI's target is
# 30 minutes on 2 cores) can be kept in view step by step.
started=$SECONDS
step_started=$SECONDS
step() {
    local now=$SECONDS
    [ -n "${step_name:-}" ] && echo "   ($step_name: $((now - step_started)) s)"
    step_name=$1
    step_started=$now
    echo "== $1"
}
trap 'rc=$?; [ -n "${step_name:-}" ] && echo "   ($step_name: $((SECONDS - step_started)) s; total $((SECONDS - started)) s, exit $rc)"' EXIT

# The interop tests talk to Samba's own tools over loopback. Install them when missing (as
# root apt-get works; otherwise say what to install). A missing peer fails those tests.
need=()
command -v smbclient >/dev/null 2>&1 || need+=(smbclient)
command -v smbtorture >/dev/null 2>&1 || need+=(samba-testsuite)
command -v net >/dev/null 2>&1 || need+=(samba-common-bin)
command -v smbd >/dev/null 2>&1 || PATH="/usr/sbin:$PATH" command -v smbd >/dev/null 2>&1 || need+=(samba)
# `lwio mount` tests: fusermount3 mounts /dev/fuse without libfuse; git runs in the mount.
command -v fusermount3 >/dev/null 2>&1 || command -v fusermount >/dev/null 2>&1 || need+=(fuse3)
command -v git >/dev/null 2>&1 || need+=(git)
# smbtorture's transport-blocking subtests (smb2.oplock, smb2.multichannel, smb2.replay) block
# a client's TCP port with iptables (scripts/torture.sh).
PATH="/usr/sbin:$PATH" command -v iptables >/dev/null 2>&1 || need+=(iptables)
if [ ${#need[@]} -gt 0 ]; then
    echo "== installing ${need[*]} (Debian packages for the interop tests)"
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get install -y "${need[@]}" >/dev/null 2>&1 ||
            { apt-get update >/dev/null 2>&1 && apt-get install -y "${need[@]}" >/dev/null; } ||
            echo "warning: could not install ${need[*]}; the interop tests will fail"
    else
        echo "warning: run as root or install ${need[*]}; the interop tests will fail"
    fi
fi

# Python peers (impacket, smbprotocol) live in a virtual environment beside the build; the
# tests find its interpreter through LWIO_PYTHON. A missing package fails those tests.
venv=${LWIO_VENV:-$PWD/target/pyenv}
if ! "$venv/bin/python" -c 'import impacket, smbprotocol' >/dev/null 2>&1; then
    echo "== installing impacket and smbprotocol (PyPI) into $venv"
    if ! python3 -m venv "$venv" >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        apt-get install -y python3-venv >/dev/null 2>&1 && python3 -m venv "$venv"
    fi
    "$venv/bin/pip" install -q impacket smbprotocol ||
        echo "warning: could not install impacket/smbprotocol; the tests that use them will fail"
fi
export LWIO_PYTHON="$venv/bin/python"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

step "feature combinations of lwio and lwio-srv (cargo clippy: check with lints, warnings are errors)"
# Not a powerset: the core alone, each driver alone, the tool, RPC, a server with neither
# named pipes nor RPC, a server with IPC$ but no RPC. One shared target directory.
for features in "" memfs pvfs npfs tool rpc samr rdr fuse srv,pvfs srv,npfs; do
    cargo clippy -q -p lwio --no-default-features ${features:+--features "$features"} -- -D warnings
done
cargo clippy -q -p lwio-srv --no-default-features -- -D warnings
# The appliance example: PVFS and the SMB server only, its own account store.
cargo clippy -q -p lwio --no-default-features --features srv,pvfs --example appliance -- -D warnings
# The core links no async runtime; a server built without `rpc` links no RPC code.
if cargo tree -p lwio --no-default-features -e normal | grep -qE '(^| )tokio v'; then
    echo "lwio --no-default-features depends on tokio" >&2
    exit 1
fi
if cargo tree -p lwio --no-default-features --features srv,pvfs -e normal | grep -qE 'lwio-(rpc|npfs) v'; then
    echo "lwio --no-default-features --features srv,pvfs links lwio-rpc or lwio-npfs" >&2
    exit 1
fi
# The codecs build on lwio-types alone, and RPC reaches pipes only through the I/O manager.
for codec in lwio-fscc lwio-smb2; do
    if cargo tree -p "$codec" -e normal | grep -qE 'lwio-core v'; then
        echo "$codec depends on lwio-core" >&2
        exit 1
    fi
done
if cargo tree -p lwio-rpc -e normal | grep -qE 'lwio-npfs v'; then
    echo "lwio-rpc depends on lwio-npfs" >&2
    exit 1
fi

step "every crate packages and builds from its package (cargo package --workspace)"
# One command packages the publishable crates in dependency order and verifies each
# against its siblings' packages (a local registry), as crates.io would see them.
# Cargo treats a registry crate of a given version as immutable: it unpacks it once under
# CARGO_HOME and never rebuilds it. Our packages keep their version while their code
# changes, so drop what an earlier run left (the unpacked sources, and the fingerprints in
# the verification's own target directory), or a crate is verified against a sibling's
# stale build.
rm -rf "${CARGO_HOME:-$HOME/.cargo}"/registry/src/-*/lwio-* target/package-check/debug/.fingerprint/lwio*
CARGO_TARGET_DIR=target/package-check cargo package --workspace --exclude lwio-fuzz --allow-dirty --quiet

step "every fuzz target, a few seconds each from its seed corpus (cargo-fuzz on stable)"
./scripts/fuzz.sh "${FUZZ_SECONDS:-4}"

step "tests: lib, integration, examples, benches in test mode (every crate, lwiod's too)"
# tests/examples.rs runs the server examples against smbclient.
cargo test --workspace --exclude lwio-fuzz --all-targets --no-fail-fast

step "the main example, end to end"
cargo run -q --example memfs

step "smbtorture against lwiod, compared with tests/knownfail/smbtorture.txt"
./scripts/torture.sh

step "doc tests"
cargo test --workspace --exclude lwio-fuzz --doc --no-fail-fast
