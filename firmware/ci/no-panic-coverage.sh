#!/usr/bin/env bash
# Every `pub fn` under src/ (kernels, reference, quantized) must carry the
# no-panic attribute and be taken as a root in firmware/no-panic/roots.rs,
# so a kernel added later cannot silently escape the proof. Run from the
# repo root.
set -euo pipefail
python3 - <<'PY'
import pathlib, re, sys

ATTR = "#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]"
roots = pathlib.Path("firmware/no-panic/roots.rs").read_text()
missing = []
count = 0
for path in sorted(pathlib.Path("src").rglob("*.rs")):
    rel = path.relative_to("src").parts
    # How roots.rs names an item of this file.
    prefix = ("q::" if rel[0] == "quantized" else "k::") + ("reference::" if "reference" in rel else "")
    lines = path.read_text().splitlines()
    impl = None
    for i, line in enumerate(lines):
        m = re.match(r"impl(?:<[^>]*>)? (\w+)\s*\{", line)
        if m:
            impl = m.group(1)
        elif line.startswith("}"):
            impl = None
        m = re.match(r"(\s*)pub fn (\w+)", line)
        if not m:
            continue
        count += 1
        indent, name = m.groups()
        j = i - 1
        attrs = []
        while j >= 0 and lines[j].strip().startswith(("#[", "///")):
            attrs.append(lines[j].strip())
            j -= 1
        where = f"{path}:{i + 1} {name}"
        if ATTR not in attrs:
            missing.append(f"{where}: no {ATTR}")
        # Re-exported at the crate (or quantized) root, or reached through
        # a public module path: `k::name`, `k::blocked::name`, `q::Type::name`.
        item = f"{impl}::{name}" if indent and impl else name
        root = f"{prefix}{item}"
        if not re.search(re.escape(prefix) + r"(?:(?!reference::)\w+::)*" + re.escape(item) + r"\b", roots):
            missing.append(f"{where}: `{root}` is not a root in firmware/no-panic/roots.rs")
if missing:
    print("\n".join(missing))
    sys.exit(1)
print(f"{count} public functions carry #[no_panic] and are roots")
PY
