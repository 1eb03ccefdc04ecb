#!/usr/bin/env python3
"""The unsafe audit of issue 10: `#![deny(unsafe_code)]` (or forbid) at the
crate root, `unsafe` code in at most two files under src/, and every
`unsafe` block or fn with a `SAFETY:` comment within the three lines above
it. Comments and doc text that merely mention the word do not count.
Exits 1 with the offending lines."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parent.parent
lib = (root / "src/lib.rs").read_text()
problems = []
if not re.search(r"^#!\[(deny|forbid)\(unsafe_code\)\]", lib, re.M):
    problems.append("src/lib.rs: no #![deny(unsafe_code)] or #![forbid(unsafe_code)]")
files = set()
blocks = 0
for path in sorted((root / "src").rglob("*.rs")):
    lines = path.read_text().splitlines()
    for i, line in enumerate(lines):
        code = line.split("//", 1)[0]
        if not re.search(r"\bunsafe\s*(\{|fn\b|impl\b)", code):
            continue
        rel = path.relative_to(root)
        files.add(str(rel))
        blocks += 1
        above = lines[max(0, i - 3):i]
        if not any("SAFETY:" in a for a in above):
            problems.append(f"{rel}:{i + 1}: unsafe without a SAFETY: comment in the 3 lines above")
if len(files) > 2:
    problems.append(f"unsafe code in {len(files)} files (at most 2): {', '.join(sorted(files))}")
if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"unsafe audit: {blocks} unsafe blocks in {len(files)} files ({', '.join(sorted(files))}), each with SAFETY:")
