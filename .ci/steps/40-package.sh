#!/usr/bin/env bash
# The published package: what `cargo package` ships (Cargo.toml `include`),
# its compressed size, and `cargo publish --dry-run` without warnings.
# Fails if the list holds a path that must not ship (CI, scripts, fuzzing,
# firmware, plots, test data), lacks a licence, or if a shipped source
# file pulls in (`include_str!`, `include_bytes!`, `#[path]`) a file that
# does not ship; if the .crate exceeds 300 KiB; if the dry run warns about
# anything but the test targets left out on purpose; or if the library,
# examples and benches do not build from the unpacked .crate.
set -euo pipefail
source firmware/ci/lib.sh

MAX_KIB=300
name="$(sed -n 's/^name *= *"\(.*\)"/\1/p' Cargo.toml | head -1)"
version="$(sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -1)"
target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
crate="$target_dir/package/$name-$version.crate"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# --allow-dirty: the check is about what would ship from this tree,
# committed or not (a worktree with local edits runs it too).
# --no-verify: the last section below checks the library, its examples
# and its benches from the unpacked .crate; the dry run's own build of the
# library would repeat that (40 s of CI).
section "cargo publish --dry-run"
cargo publish --dry-run --allow-dirty --no-verify 2>&1 | tee "$work/publish.log"
# tests/ does not ship (Cargo.toml says why), and cargo names each test
# target it drops; every other warning fails the step.
grep -E '^warning' "$work/publish.log" |
    grep -vE '^warning: ignoring test `[A-Za-z0-9_]+` as `tests/[A-Za-z0-9_]+\.rs` is not included in the published package$' |
    grep -v '^warning: aborting upload due to dry run$' >"$work/warnings" || true
if [ -s "$work/warnings" ]; then
    echo "package: cargo publish --dry-run warned:"
    cat "$work/warnings"
    exit 1
fi

section "cargo package --list"
cargo package --list --allow-dirty 2>/dev/null >"$work/list"
cat "$work/list"
failed=0
forbidden='^(\.ci/|scripts/|fuzz/|firmware/|target/|tests/data/|benches/peers/)|\.(png|svg|jpg|gif)$'
if grep -E "$forbidden" "$work/list" >"$work/bad"; then
    echo "package: these paths must not ship:"
    cat "$work/bad"
    failed=1
fi
for f in LICENSE-MIT LICENSE-APACHE README.md Cargo.toml src/lib.rs; do
    grep -qx "$f" "$work/list" || { echo "package: $f is missing from the package"; failed=1; }
done

# Files that a shipped .rs file compiles in, resolved from its directory.
# firmware/no-panic/roots.rs is compiled only under
# `--cfg softmax_simd_no_panic` (.ci/steps/55-no-panic.sh), in this repo.
while IFS= read -r rs; do
    dir="$(dirname "$rs")"
    { grep -oE '(include_str!|include_bytes!)\("[^"]+"\)|#\[path *= *"[^"]+"\]' "$rs" || true; } |
        sed -E 's/.*"([^"]+)".*/\1/' |
        while IFS= read -r rel; do
            path="$(realpath -m --relative-to=. "$dir/$rel")"
            [ "$path" = firmware/no-panic/roots.rs ] && continue
            grep -qx "$path" "$work/list" || echo "$rs needs $path, which does not ship"
        done
done < <(grep -E '\.rs$' "$work/list") >"$work/missing"
if [ -s "$work/missing" ]; then
    cat "$work/missing"
    failed=1
fi

section "size of $(basename "$crate")"
rm -f "$crate"
cargo package --allow-dirty --no-verify 2>/dev/null
[ -f "$crate" ] || { echo "package: $crate was not written"; exit 1; }
bytes="$(stat -c %s "$crate")"
echo "package: $(grep -c . "$work/list") files, $bytes bytes ($((bytes / 1024)) KiB compressed, limit $MAX_KIB KiB)"
if [ "$bytes" -gt $((MAX_KIB * 1024)) ]; then
    echo "package: the .crate exceeds $MAX_KIB KiB"
    failed=1
fi
[ "$failed" -eq 0 ] || exit 1

# The library, the examples and the benches, checked from the unpacked
# .crate, outside this workspace, with the Cargo.lock it carries.
section "library, examples and benches build from the unpacked .crate"
tar -xzf "$crate" -C "$work"
(cd "$work/$name-$version" && CARGO_TARGET_DIR="$target_dir/package-check" cargo check --locked --examples --benches)
echo "package: ok"
