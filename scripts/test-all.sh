#!/usr/bin/env bash
# Runs every test of the workspace: formatting, the fuzz targets' build, unit, integration,
# property and doc tests, and each benchmark once in test mode. It is the README's test
# command and the whole of CI. Later issues add interop tests against Samba's tools here;
# this script installs what they need, and a missing peer is a failure.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== build the fuzz targets (stable toolchain, no sanitizer; cargo fuzz runs them)"
cargo build -p lwio-fuzz --bins

echo "== tests: lib, integration, examples, benches in test mode"
cargo test --workspace --exclude lwio-fuzz --all-targets --no-fail-fast

echo "== the main example, end to end"
cargo run -q --example memfs

echo "== doc tests"
cargo test --workspace --exclude lwio-fuzz --doc --no-fail-fast
