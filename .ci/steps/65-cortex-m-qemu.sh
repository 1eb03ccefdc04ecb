#!/usr/bin/env bash
# Agreement and special-value checks executed on an emulated Cortex-M4F
# (QEMU mps2-an386, plain [f32; 4] lanes), output and exit status through
# semihosting. firmware/.cargo/config.toml sets the target and the runner.
set -euo pipefail
source firmware/ci/lib.sh

ensure_apt qemu-system-arm
ensure_target thumbv7em-none-eabihf

section "firmware/qemu-tests on qemu-system-arm -machine mps2-an386"
cd firmware
cargo build --release -p softmax-simd-qemu-tests
# A hung guest (a fault loop) must fail the step, not eat CI's time.
timeout 300 cargo run --release -p softmax-simd-qemu-tests
