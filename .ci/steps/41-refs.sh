#!/usr/bin/env bash
# No dangling file reference: every repository file that a doc, a comment
# or the README names exists (scripts/check-refs.py says what counts as a
# reference and where it resolves). Paths out of the repository (../shared,
# absolute paths to project files) fail too: a user's clone has none.
set -euo pipefail
source firmware/ci/lib.sh

section "file references in *.md, *.rs, *.sh, *.toml, *.py"
python3 scripts/check-refs.py
