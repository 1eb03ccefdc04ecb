#!/usr/bin/env bash
# Run-time dispatch vs a compile-time choice: benches/dispatch.rs in a
# default build (lanes detected at run time) and in a -C target-cpu=native
# build, one after the other on one core, then the ratio table. Also the
# AVX2 case on this CPU: both builds forced to avx2+fma (the second
# compiled for x86-64-v3), as an AVX2-only CPU would run them.
# Usage: bash scripts/dispatch-bench.sh   (from the crate root; ~4 minutes)
set -euo pipefail
core="${CORE:-1}"
run() { # baseline-name rustflags target-dir
    RUSTFLAGS="$2" CARGO_TARGET_DIR="$3" taskset -c "$core" \
        cargo bench --bench dispatch -- --save-baseline "$1" --noplot >/dev/null
}
crit="$PWD/target/dispatch-criterion"
rm -rf "$crit"
mkdir -p "$crit"
for pass in 1 2; do
    run "default$pass" "" target/dispatch-default
    run "native$pass" "-C target-cpu=native" target/dispatch-native
done
cp -r target/dispatch-default/criterion/. "$crit/"
cp -r target/dispatch-native/criterion/dispatch/. "$crit/dispatch/" 2>/dev/null || true
if grep -qw avx2 /proc/cpuinfo; then
    for pass in 1 2; do
        run "avx2-default$pass" '--cfg softmax_simd_backend="avx2+fma"' target/dispatch-avx2-default
        run "avx2-native$pass" '--cfg softmax_simd_backend="avx2+fma" -C target-cpu=x86-64-v3' target/dispatch-avx2-native
    done
    cp -r target/dispatch-avx2-default/criterion/dispatch/. "$crit/dispatch/"
    cp -r target/dispatch-avx2-native/criterion/dispatch/. "$crit/dispatch/"
fi
python3 scripts/dispatch_table.py "$crit/dispatch"
