#!/usr/bin/env bash
# ci: background
# Link-time proof that no public kernel can panic (as libm does, under a cfg
# of our own: libm's `assert_no_panic` would switch on libm's attributes
# too, and libm has no no-panic dependency here). With
# `--cfg softmax_simd_no_panic` every public kernel carries `#[no_panic]`,
# whose guard references an undefined symbol on any unwinding path that
# survives optimisation, so the release test binary fails to link,
# naming the function, if a kernel can panic.
# firmware/no-panic/roots.rs links every kernel's general body into that
# binary; firmware/ci/no-panic-coverage.sh checks that none is missed.
set -euo pipefail
source firmware/ci/lib.sh

section "every public function carries #[no_panic] and is a root"
bash firmware/ci/no-panic-coverage.sh

# Fat LTO and one codegen unit: LLVM then sees every callee (libm, wide,
# the crate's own helpers) and knows which cannot unwind; across codegen
# units or crates a call that cannot panic still counts as one that may.
# A target dir of its own: the cfg changes every fingerprint.
section "no-panic proof (cargo test --release --lib, lanes: host default)"
CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/no-panic" \
    CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 \
    RUSTFLAGS="--cfg softmax_simd_no_panic --cfg softmax_simd_no_bench" \
    cargo test --release --lib
