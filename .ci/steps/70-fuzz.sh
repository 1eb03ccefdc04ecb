#!/usr/bin/env bash
# ci: background
# Fuzz step: every cargo-fuzz target in fuzz/ runs for a bounded time
# (FUZZ_SECONDS each, default 25, less if the build was slow: see
# FUZZ_BUDGET below) on a copy of its committed seed corpus;
# any finding (a disagreement with the reference, a broken contract, a
# panic, a timeout or an OOM) fails CI, and the failing input is printed.
# Budget: under 6 minutes with the build, on 2 cores.
set -euo pipefail

FUZZ_SECONDS="${FUZZ_SECONDS:-25}"
# A fixed seed makes CI's runs repeatable (a finding replays the same way);
# the open-ended exploration is the long runs by hand (docs/fuzzing.md). Set
# FUZZ_SEED=0 for a random seed.
FUZZ_SEED="${FUZZ_SEED:-20261125}"
started=$SECONDS

# Nightly (cargo-fuzz needs -Z flags and sanitizer instrumentation).
source firmware/ci/lib.sh
ensure_nightly
# cargo-fuzz itself: compiled from crates.io when missing (about 65 s on
# this machine's 2 cores).
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
fi
echo "fuzz: $(rustup run nightly rustc --version), $(cargo fuzz --version)"

# Build every target once (release with debug assertions and overflow
# checks; no sanitizer: the crate forbids unsafe code, so an out-of-bounds
# access is a panic already, and ASan would cost 4x the executions); each
# `cargo fuzz run` below then reuses the build (the same flags, or it
# rebuilds). cargo-fuzz's one codegen unit stays: 16 built no faster here
# (217 s against 202 s for the tools and the build).
FLAGS=(-O -s none)
cargo +nightly fuzz build "${FLAGS[@]}"
echo "fuzz: tools and build took $((SECONDS - started)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
failed=()
# Every target, the training API's included (F23, F24 settled the last
# open finding, docs/fuzzing.md).
targets="$(cargo +nightly fuzz list)"
[ -n "$targets" ] || { echo "fuzz: no targets listed"; exit 1; }
# Keep the whole step inside FUZZ_BUDGET seconds (default 260, under 5
# minutes, for CI's 25): on a slow (loaded) build each target gets less than
# FUZZ_SECONDS, but never less than 10 s. Each run adds about 2 s of startup.
set -- $targets
left=$((${FUZZ_BUDGET:-260} - (SECONDS - started)))
per=$((left / $# - 2))
if [ "$per" -lt "$FUZZ_SECONDS" ]; then
    FUZZ_SECONDS=$((per > 10 ? per : 10))
fi
for target in $targets; do
    # New inputs go to a scratch corpus (the first directory); the committed
    # seeds are read only.
    mkdir -p "$work/$target" "fuzz/corpus/$target"
    log="$work/$target.log"
    echo "fuzz: $target for ${FUZZ_SECONDS}s"
    if cargo +nightly fuzz run "${FLAGS[@]}" "$target" "$work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$FUZZ_SECONDS" -seed="$FUZZ_SEED" -timeout=20 -rss_limit_mb=4096 \
        -print_final_stats=1 >"$log" 2>&1; then
        # The closing status line and the run's totals.
        grep -E '^(#[0-9]+.*DONE|Done [0-9]+ runs)|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
    else
        echo "fuzz: FINDING in $target:"
        # The checker's message (the panic), then the end of the run.
        grep -E -A2 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | head -n 20 || true
        echo "fuzz: log tail:"
        tail -n 25 "$log"
        for artifact in fuzz/artifacts/"$target"/*; do
            [ -f "$artifact" ] || continue
            echo "fuzz: input $artifact (hex):"
            # At most 640 bytes, read whole by od: no SIGPIPE under pipefail.
            head -c 640 "$artifact" | od -A x -t x1z -v
            echo "fuzz: input as the target decodes it:"
            cargo +nightly fuzz fmt "${FLAGS[@]}" "$target" "$artifact" 2>&1 | tail -n 40 || true
        done
        failed+=("$target")
    fi
done

echo "fuzz: step took $((SECONDS - started)) s"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: findings in: ${failed[*]}"
    exit 1
fi
echo "fuzz: no findings"
