#!/usr/bin/env bash
# Runs every cargo-fuzz target (or those named) for SECONDS each (default 5), starting
# from the seed corpus kept in fuzz/corpus/TARGET. A crash, a panic or a timeout fails
# the script and leaves the input in fuzz/artifacts/TARGET.
#
# usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#        FUZZ_GROW=1 scripts/fuzz.sh 600    also adds the new inputs to fuzz/corpus (a long
#                                           run whose findings are worth keeping; minimise
#                                           with `cargo fuzz cmin` before committing)
#
# cargo-fuzz runs on the stable toolchain with RUSTC_BOOTSTRAP=1 (it needs -Z flags). The
# sanitizer is off: the code forbids `unsafe`, so AddressSanitizer finds nothing a panic
# would not, and the build is twice as fast.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-5}
[ $# -gt 0 ] && shift
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked >/dev/null 2>&1 || { echo "fuzz: cannot install cargo-fuzz" >&2; exit 1; }
fi
if [ $# -gt 0 ]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
fi
cargo fuzz build -s none >/dev/null
scratch=$(mktemp -d /tmp/lwio-fuzz.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failed=0
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "$scratch/$t"
    if [ "${FUZZ_GROW:-0}" = 1 ]; then corpora=("fuzz/corpus/$t"); else corpora=("$scratch/$t" "fuzz/corpus/$t"); fi
    if cargo fuzz run -s none "$t" "${corpora[@]}" -- -max_total_time="$secs" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 >"$scratch/$t.log" 2>&1; then
        execs=$(grep -m1 'stat::number_of_executed_units' "$scratch/$t.log" | awk '{print $2}')
        echo "fuzz: $t ok (${execs:-?} runs in ${secs}s)"
    else
        echo "fuzz: $t FAILED; the end of its log:" >&2
        tail -30 "$scratch/$t.log" >&2
        failed=1
    fi
done
exit $failed
