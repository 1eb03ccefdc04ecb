#!/usr/bin/env python3
"""Reads insn_profile.so's "address count" lines for one bench measurement
and prints where the instructions of one call go: per innermost (inlined)
function and per source line, from the ELF's line tables
(arm-none-eabi-addr2line -i), divided by the number of calls.

Usage: report.py ELF COUNTS CALLS [TOP]"""
import collections
import os
import re
import subprocess
import sys

elf, counts_path, calls = sys.argv[1], sys.argv[2], int(sys.argv[3])
top = int(sys.argv[4]) if len(sys.argv) > 4 else 25
counts = {}
for line in open(counts_path):
    addr, n = line.split()
    counts[int(addr, 16)] = int(n)

out = subprocess.run(
    ["arm-none-eabi-addr2line", "-e", elf, "-a", "-f", "-i", "-C"],
    input="".join(f"{a:#x}\n" for a in counts),
    capture_output=True, text=True, check=True,
).stdout.splitlines()
# The crate's own sources: frames there name the kernel step an instruction
# belongs to (wide's lane operations and core's iterators are inlined into it).
crate_src = os.path.realpath(os.path.join(os.path.dirname(__file__), "../../../src")) + "/"
frames = {}  # address -> [(function, file:line), ...], innermost first
addr = None
i = 0
while i < len(out):
    if out[i].startswith("0x"):
        addr = int(out[i], 16)
        frames[addr] = []
        i += 1
        continue
    func, loc = out[i], out[i + 1] if i + 1 < len(out) else "??:0"
    func = re.sub(r"::h[0-9a-f]{16}$", "", func)
    loc = re.sub(r" \(discriminator \d+\)", "", loc)
    frames[addr].append((func, loc))
    i += 2


def short(func):
    """`a::b::c<T>::{{closure}}` -> `c::{{closure}}`-like, generics dropped."""
    depth, plain = 0, ""
    for ch in func:
        depth += ch == "<"
        if depth == 0:
            plain += ch
        depth -= ch == ">"
    parts = [p for p in plain.split("::") if p]
    keep = parts[-2:] if parts and parts[-1].startswith("{") else parts[-1:]
    return "::".join(keep) or func


def step(fs):
    """The innermost frame in the crate's src/, else the outermost frame:
    (function, src-relative file:line)."""
    for func, loc in fs:
        # The crate's paths are absolute; dependencies' are relative to
        # their own directories (wide's src/..., core's library/...).
        path = loc.rsplit(":", 1)[0]
        if path.startswith(crate_src):
            return short(func), "src/" + path[len(crate_src):] + ":" + loc.rsplit(":", 1)[1]
    func, loc = fs[-1] if fs else ("??", "??")
    return short(func), "/".join(loc.split("/")[-2:])


total = sum(counts.values())
by_func = collections.Counter()
by_line = collections.Counter()
by_symbol = collections.Counter()
for a, n in counts.items():
    fs = frames.get(a) or [("??", "??")]
    func, loc = step(fs)
    by_func[func] += n
    by_line[f"{loc} ({func})"] += n
    by_symbol[short(fs[-1][0])] += n

# Instruction classes, from the disassembly: what the lanes cost in memory
# traffic on a target whose "vectors" are arrays.
mnemonic = {}
dis = subprocess.run(["arm-none-eabi-objdump", "-d", "--no-show-raw-insn", elf],
                     capture_output=True, text=True, check=True).stdout
for line in dis.splitlines():
    m = re.match(r"\s+([0-9a-f]+):\s+([a-z][a-z0-9.]*)", line)
    if m:
        mnemonic[int(m.group(1), 16)] = m.group(2).split(".")[0]


def kind(op):
    if op.startswith(("ldr", "ldm", "pop", "vldr", "vldm", "vpop")):
        return "load"
    if op.startswith(("str", "stm", "push", "vstr", "vstm", "vpush")):
        return "store"
    if op == "vmov":
        return "vmov (register moves)"
    if op.startswith("v"):
        return "float (VFP arithmetic, compare, convert)"
    if op in ("b", "bl", "bx", "blx", "cbz", "cbnz", "tbb", "tbh") or re.fullmatch(r"b(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le)", op):
        return "branch"
    if op in ("it", "ite", "itt", "itete", "ittt", "itet", "itee", "ittee", "iteee", "itttt"):
        return "it (predication)"
    return "integer / other"


by_kind = collections.Counter()
for a, n in counts.items():
    by_kind[kind(mnemonic.get(a, "?"))] += n

print(f"{total / calls:.1f} instructions per call ({total} over {calls} calls, markers and loop included)\n")
for title, c in [
    ("instruction class", by_kind),
    ("function (in the ELF)", by_symbol),
    ("kernel step (innermost softmax-simd function)", by_func),
    ("softmax-simd source line", by_line),
]:
    print(f"| {title} | instructions per call | share |")
    print("|---|---:|---:|")
    for k, n in c.most_common(top):
        print(f"| `{k}` | {n / calls:.1f} | {100 * n / total:.1f}% |")
    print()
