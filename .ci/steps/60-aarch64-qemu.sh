#!/usr/bin/env bash
# The whole test suite of the main crate on aarch64-unknown-linux-gnu (NEON
# f32x4 lanes) under qemu-aarch64, linked by Debian's cross gcc.
set -euo pipefail
source firmware/ci/lib.sh

ensure_apt qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross
ensure_target aarch64-unknown-linux-gnu

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
# No benches here: criterion's dependency tree stays unbuilt (Cargo.toml).
export RUSTFLAGS="--cfg softmax_simd_no_bench"
# The exhaustive exp test checks every k-th f32 bit pattern under emulation:
# an odd stride still walks every binade and, coprime to 2^j, every pattern
# of the low mantissa bits.
export SOFTMAX_SIMD_EXP_STRIDE="${SOFTMAX_SIMD_EXP_STRIDE:-97}"

# One test walks rows of 2^24 values through the kernels and an f64
# oracle: minutes under emulation. It is skipped here only; the x86 runs
# (SSE2 f32x4, AVX2 f32x8) execute it, and the same generic lane code
# serves NEON's f32x4.
LONG_ROW_TESTS=(--skip long_row_normaliser_is_accurate)

section "cargo test --release --target aarch64-unknown-linux-gnu (qemu-aarch64, exp stride $SOFTMAX_SIMD_EXP_STRIDE)"
cargo test --release --target aarch64-unknown-linux-gnu -- "${LONG_ROW_TESTS[@]}"
