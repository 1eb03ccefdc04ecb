#!/usr/bin/env bash
# ci: background
# Miri step: the scalar reference and the portable SSE2 lane path (the
# default x86-64 target: wide::f32x4 on SSE2 intrinsics, which Miri
# emulates) under `cargo +nightly miri test`, over a reduced-size subset of
# the main tests. The tests shrink their sizes under cfg(miri) (rows of at
# most 40 values, 3 quickcheck cases per property). Chosen so the step stays
# under 4 minutes on 2 cores:
#   special_values: every row of the special-value table, on SIMD and reference;
#   properties:     agreement of every kernel with the reference and the f64 oracle.
# Left out: lengths (every row length and class count: over 7 minutes under
# Miri even when shrunk), the unit tests of the blocked long-row variants
# (--lib: 138 s under Miri for the two it does not ignore), exp_exhaustive
# (skipped in debug builds anyway), no_alloc and the quantized suites.
set -euo pipefail

started=$SECONDS
source firmware/ci/lib.sh
ensure_nightly
rustup component add miri rust-src --toolchain nightly
# Builds Miri's sysroot once (about a minute on 2 cores; cached afterwards).
cargo +nightly miri setup
# No benches: criterion's dependency tree stays unbuilt (Cargo.toml).
RUSTFLAGS="--cfg softmax_simd_no_bench" cargo +nightly miri test --test special_values --test properties
echo "miri: step took $((SECONDS - started)) s"
