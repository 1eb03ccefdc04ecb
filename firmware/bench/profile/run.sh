#!/usr/bin/env bash
# Where the instructions of one bench measurement go, per inlined function
# and per source line: `bash firmware/bench/profile/run.sh softmax@10`
# (LABEL@N: a kernel row of the bench, e.g. softmax, log_softmax,
# sparse, softmax_s8, and a row length it measures: 10, 100, 1000).
# Builds the TCG plugin (host gcc), the bench with line tables and the
# markers around that measurement's timed loop, runs it under
# qemu-system-arm with the plugin and prints report.py's tables.
set -euo pipefail
spec="$1"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.." # firmware/
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

gcc -shared -fPIC -O2 -Wall -o "$work/insn_profile.so" "$here/insn_profile.c"
target_dir="$(cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/profile"
SOFTMAX_SIMD_BENCH_PROFILE="$spec" CARGO_PROFILE_RELEASE_DEBUG=line-tables-only \
    cargo build -q --release -p softmax-simd-bench --target-dir "$target_dir"
elf="$target_dir/thumbv7em-none-eabihf/release/softmax-simd-bench"
# Thumb function symbols carry bit 0; the plugin sees even addresses.
addr() { printf '0x%x' $((0x$(arm-none-eabi-nm "$elf" | awk -v s="$1" '$3 == s { print $1 }') & ~1)); }
timeout 600 qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic \
    -icount shift=0 -semihosting-config enable=on,target=native \
    -plugin "$work/insn_profile.so,on=$(addr bench_profile_on),off=$(addr bench_profile_off),out=$work/counts.txt" \
    -kernel "$elf" >"$work/bench.txt"
calls="$(sed -n 's/^profile: .*: \([0-9]*\) calls between the markers/\1/p' "$work/bench.txt")"
if [[ -z "$calls" ]]; then
    echo "no bench measurement is labelled $spec" >&2
    exit 1
fi
python3 "$here/report.py" "$elf" "$work/counts.txt" "$calls" "${TOP:-25}"
