#!/usr/bin/env bash
# Runs every cargo-fuzz target of umqtt-core for SECONDS each (default 20).
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Stable Rust only: cargo-fuzz needs nightly flags (-Zsanitizer=address), so
# RUSTC_BOOTSTRAP=1 lets the pinned stable toolchain accept them. cargo-fuzz
# itself is installed by ./ports-build.sh deps (pinned there). The committed seed
# corpus (fuzz/corpus/<target>/) is only read; what libFuzzer finds goes to a
# scratch corpus under fuzz/target/corpus/<target>/ (kept between runs, not
# committed), crashes to fuzz/artifacts/<target>/. Exits non-zero on the
# first target that crashes, leaks, times out or fails to build.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-20}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(decode decode_v5 framing session client)
export RUSTC_BOOTSTRAP=1
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz is missing: ./ports-build.sh deps installs it" >&2
    exit 2
fi
cargo fuzz build -O >/dev/null
for t in "${targets[@]}"; do
    work="target/corpus/$t"
    mkdir -p "$work" "artifacts/$t"
    echo "== fuzz $t for ${secs}s"
    # -timeout: one input running over 10 s is a hang; -rss_limit_mb: 2 GB.
    if ! cargo fuzz run -O "$t" "$work" "corpus/$t" -- \
            -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 2>"target/fuzz-$t.log"; then
        tail -40 "target/fuzz-$t.log"
        echo "FAIL: fuzz target $t (artifacts in fuzz/artifacts/$t/)"
        exit 1
    fi
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|Done [0-9]+ runs" "target/fuzz-$t.log" | sed "s/^/   $t: /"
done
echo "fuzz: ${#targets[@]} targets, ${secs}s each, no crash"
