# Shared helpers for the firmware CI steps (.ci/steps/50, 55, 60, 65).
# Sourced, not run. Every install is idempotent: a fresh CI machine gets
# what it lacks, a machine that has it pays nothing.

# ensure_apt PKG...: install the Debian packages that are missing.
ensure_apt() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        echo "installing: ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# ensure_target [--toolchain T] TRIPLE...: add rustup targets that are missing.
ensure_target() {
    local tc=()
    if [[ "${1:-}" == --toolchain ]]; then
        tc=(--toolchain "$2")
        shift 2
    fi
    local installed
    installed="$(rustup target list --installed "${tc[@]}")"
    local t
    for t in "$@"; do
        grep -qx "$t" <<<"$installed" || rustup target add "${tc[@]}" "$t"
    done
}

# ensure_nightly: install the nightly toolchain if it is missing (Miri and
# cargo-fuzz need it).
ensure_nightly() {
    rustup run nightly rustc --version >/dev/null 2>&1 || rustup toolchain install nightly --profile minimal
}

# section TITLE: a visible marker in the CI log.
section() {
    printf '\n==== %s ====\n' "$*"
}
