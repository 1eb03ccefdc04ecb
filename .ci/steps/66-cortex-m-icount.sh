#!/usr/bin/env bash
# Instructions per call of every kernel on an emulated Cortex-M4F (QEMU
# mps2-an386 with -icount shift=0: one instruction per nanosecond of virtual
# time, read from the CMSDK timer), beside plain libm::expf loops measured in
# the same run; prints the Markdown tables of docs/firmware-speed.md. Fails
# if the calibration loop (K x subs; bne = 2K instructions) is off or a
# plain loop disagrees with its kernel.
set -euo pipefail
source firmware/ci/lib.sh

ensure_apt qemu-system-arm
ensure_target thumbv7em-none-eabihf

section "firmware/bench: instructions per call on qemu-system-arm -machine mps2-an386 -icount shift=0"
cd firmware
cargo build --release -p softmax-simd-bench
target_dir="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
# A hung guest must fail the step, not eat CI's time (a run takes seconds).
timeout 300 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -icount shift=0 -semihosting-config enable=on,target=native \
    -kernel "$target_dir/thumbv7em-none-eabihf/release/softmax-simd-bench"
