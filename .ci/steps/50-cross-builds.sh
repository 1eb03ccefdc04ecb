#!/usr/bin/env bash
# Cortex-M builds of the library (thumbv7em: M4F/M7, thumbv8m.main: M33),
# the declared MSRV, and the bare-metal example with its flash-size table.
set -euo pipefail
source firmware/ci/lib.sh

ensure_apt binutils-arm-none-eabi
ensure_target thumbv7em-none-eabihf thumbv8m.main-none-eabihf

for t in thumbv7em-none-eabihf thumbv8m.main-none-eabihf; do
    section "cargo build --lib --release --target $t"
    cargo build --lib --release --target "$t"
done

msrv="$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)"
section "MSRV $msrv: cargo +$msrv check --lib"
if rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal; then
    # Its own target dir: a different compiler would invalidate the shared one.
    CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/msrv" cargo "+$msrv" check --lib
else
    echo "MSRV NOT TESTED: toolchain $msrv cannot be installed on this machine" >&2
fi

section "firmware example (thumbv7em-none-eabihf, no allocator) and flash sizes"
(cd firmware && cargo build --release -p softmax-simd-firmware-example)
bash firmware/ci/flash-sizes.sh
