#!/usr/bin/env bash
# Flash footprint of each kernel on thumbv7em-none-eabihf (Cortex-M4F):
# the firmware example built with that kernel alone, minus the same program
# with no kernel (vector table, cortex-m-rt start-up, the static logits).
# Flash = .vector_table + .text + .rodata + .data (its load image), from
# `arm-none-eabi-size -A`. Prints a Markdown table; run from the repo root.
set -euo pipefail

size_tool="${SIZE:-arm-none-eabi-size}"
target_dir="$(cd firmware && cargo metadata --format-version 1 --no-deps |
    sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
bin=softmax-simd-firmware-example

flash() { # profile dir -> bytes of flash of the last build
    "$size_tool" -A "$target_dir/thumbv7em-none-eabihf/$1/$bin" |
        awk '$1 ~ /^\.(vector_table|text|rodata|data)$/ { s += $2 } END { print s }'
}

build() { # profile features...
    local profile="$1"
    shift
    (cd firmware && cargo build -q --profile "$profile" -p "$bin" --no-default-features "$@")
}

kernels=(softmax softmax_in_place log_softmax logsumexp sparse_xent dense_xent softmax_rows
    softmax_s8 softmax_s8_s16 softmax_s16 log_softmax_s8)
declare -A size
for profile in release release-size; do
    build "$profile"
    size[$profile,none]="$(flash "$profile")"
    for k in "${kernels[@]}" default; do
        if [[ $k == default ]]; then
            build "$profile" --features softmax,log_softmax,sparse_xent
        else
            build "$profile" --features "$k"
        fi
        size[$profile,$k]="$(flash "$profile")"
    done
done

echo "| kernel (example feature) | flash added, opt-level=3 (bytes) | flash added, opt-level=\"s\" (bytes) |"
echo "|---|---:|---:|"
for k in "${kernels[@]}" default; do
    label="$k"
    [[ $k == default ]] && label="softmax + log_softmax + sparse_xent (the example as shipped)"
    echo "| $label | $((size[release,$k] - size[release,none])) | $((size[release-size,$k] - size[release-size,none])) |"
done
echo "| (program without kernels: vectors, start-up, logits) | ${size[release,none]} total | ${size[release-size,none]} total |"
