#!/usr/bin/env bash
# Runs every test of the workspace: formatting, clippy, the fuzz targets' build, unit, integration,
# property and doc tests, and each benchmark once in test mode. It is the README's test
# command and the whole of CI. Later issues add interop tests against Samba's tools here;
# this script installs what they need, and a missing peer is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

# The interop tests talk to Samba's own tools over loopback. Install them when missing (as
# root apt-get works; otherwise say what to install). A missing peer fails those tests.
need=()
command -v smbclient >/dev/null 2>&1 || need+=(smbclient)
command -v smbtorture >/dev/null 2>&1 || need+=(samba-testsuite)
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

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets -- -D warnings

echo "== every fuzz target, a few seconds each from its seed corpus (cargo-fuzz on stable)"
./scripts/fuzz.sh "${FUZZ_SECONDS:-4}"

echo "== tests: lib, integration, examples, benches in test mode"
cargo test --workspace --exclude lwio-fuzz --all-targets --no-fail-fast

echo "== the main example, end to end"
cargo run -q --example memfs

echo "== smbtorture against lwiod, compared with tests/knownfail/smbtorture.txt"
./scripts/torture.sh

echo "== doc tests"
cargo test --workspace --exclude lwio-fuzz --doc --no-fail-fast
