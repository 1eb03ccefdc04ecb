#!/usr/bin/env bash
# Everything the steps in .ci/steps/ need that a fresh machine lacks, in one
# go: one apt-get update for every package, the rustup targets, the MSRV
# and nightly toolchains with Miri. .ci/run starts this in the background
# at its start (downloads and unpacking, beside the first builds) and
# waits for it before the first step. Each step still ensures what it
# needs itself, so that it runs alone too; here that finds all in place.
set -euo pipefail
source firmware/ci/lib.sh

ensure_apt binutils-arm-none-eabi qemu-user qemu-system-arm gcc-aarch64-linux-gnu libc6-dev-arm64-cross
command -v node >/dev/null || ensure_apt nodejs
ensure_target thumbv7em-none-eabihf thumbv8m.main-none-eabihf aarch64-unknown-linux-gnu wasm32-wasip1

msrv="$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)"
# A machine that cannot install it says so in step 50.
rustup toolchain list | grep -q "^$msrv" || rustup toolchain install "$msrv" --profile minimal || true

ensure_nightly
rustup component add miri rust-src --toolchain nightly
echo "tools: in place"
