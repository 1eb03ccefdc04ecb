#!/usr/bin/env bash
# The unsafe audit (issue 10, check 3): deny(unsafe_code) at the root,
# unsafe in at most two files, a SAFETY: comment above every block.
set -euo pipefail
python3 scripts/check-unsafe.py
