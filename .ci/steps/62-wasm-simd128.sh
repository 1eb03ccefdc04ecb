#!/usr/bin/env bash
# The whole test suite of the main crate on wasm32-wasip1 with simd128
# (wide::f32x4 on wasm simd128), run by Node's WASI through
# .ci/wasi-runner.mjs as cargo's runner: the unit tests, every tests/*.rs,
# the doctests (rustdoc runs them through the same runner), then both
# examples; the softmax example must name the simd128 lanes, so a build
# that fell back to the scalar lanes fails here. No test is skipped.
# Measured on the shared 2-core machine (load average 5 to 7): 55-67 s from
# a cold target dir (38 s of CPU; the build alone 42-52 s, criterion being
# no wasm dev-dependency: with it, 4 min), 15-17 s warm. Node 18 (Debian
# 12's nodejs) and Node 20 both pass.
set -euo pipefail
source firmware/ci/lib.sh

# Node >= 20 runs WASI without a flag; Debian 12's nodejs (18) needs it.
command -v node >/dev/null || ensure_apt nodejs
ensure_target wasm32-wasip1

# Its own target dir: the RUSTFLAGS differ from every other build.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/wasm32-simd128"
export RUSTFLAGS="-C target-feature=+simd128"
export RUSTDOCFLAGS="-C target-feature=+simd128"
export CARGO_TARGET_WASM32_WASIP1_RUNNER="node --experimental-wasi-unstable-preview1 $PWD/.ci/wasi-runner.mjs"
# The exhaustive exp test checks every k-th f32 bit pattern, on one thread
# (wasm32-wasip1 has none to spawn): an odd stride still walks every binade
# and, coprime to 2^j, every pattern of the low mantissa bits. Stride 1
# (all 2^32 patterns) took 32 s, stride 7 5 s; CI takes stride 3 (about
# 11 s) within its time budget: simd128's f32x4 exp is the SSE2 one's
# arithmetic (no FMA in either), and the x86 runs check that at stride 1.
export SOFTMAX_SIMD_EXP_STRIDE="${SOFTMAX_SIMD_EXP_STRIDE:-3}"

section "cargo test --release --target wasm32-wasip1, +simd128 (Node $(node --version) WASI, exp stride $SOFTMAX_SIMD_EXP_STRIDE)"
# --nocapture: wasm32-wasip1 aborts on a panic, which loses libtest's
# captured output; uncaptured, the failing test's name and message are in
# the log. A hung test must fail the step, not eat CI's time.
timeout 600 cargo test --release --target wasm32-wasip1 -- --nocapture

section "examples under the runner (the lanes must be simd128)"
out="$(cargo run -q --release --target wasm32-wasip1 --example softmax -- 2 1 0.1 --label 0)"
printf '%s\n' "$out"
if ! grep -q '^lanes: .*simd128' <<<"$out"; then
    echo "error: the wasm32-wasip1 +simd128 build does not run the simd128 lanes" >&2
    exit 1
fi
cargo run -q --release --target wasm32-wasip1 --example accuracy -- 20
