#!/usr/bin/env python3
"""Tables and gates of benches/short.rs from criterion's estimates.
Usage: short_report.py CRITERION_DIR [BASELINE] [--png FILE]   (default baseline: new)
--png draws ns per call against n, the kernels beside their std loops
(needs matplotlib).
ns per call (an iteration is one call on each of 257 rows for short_rows,
one batch for small_batches)."""
import json
import os
import sys

args = sys.argv[1:]
png = None
if "--png" in args:
    i = args.index("--png")
    png = args[i + 1]
    del args[i : i + 2]
root, base = args[0], (args[1] if len(args) > 1 else "new")
ROWS = 257


def est(group, fn, n):
    f = os.path.join(root, group, fn, str(n), base, "estimates.json")
    if not os.path.exists(f):
        return None
    with open(f) as fh:
        return json.load(fh)["median"]["point_estimate"]


lengths = list(range(1, 34)) + [48, 63, 64, 65, 100, 127, 128, 129, 255, 256, 1000, 1001, 1024]
fails = []
print("short_rows, ns per call: simd / std (ratio std/simd)")
print("| n | softmax | logsumexp | sparse xent + grad |")
print("|---|---|---|---|")
per = {}
for n in lengths:
    cells = []
    for k in ("softmax", "logsumexp", "sparse_xent"):
        s, t = est("short_rows", f"{k}_simd", n), est("short_rows", f"{k}_std", n)
        if s is None or t is None:
            cells.append("n/a")
            continue
        s, t = s / ROWS, t / ROWS
        per[(k, n)] = s
        r = t / s
        need = 1.0 if n <= 7 else (2.0 if n <= 1024 else 0)
        ok = r >= need
        if not ok:
            fails.append(f"{k}@{n}({r:.2f}x<{need}x)")
        cells.append(f"{s:.1f} / {t:.1f} ({r:.2f}x){'' if ok else ' *'}")
    print(f"| {n} | " + " | ".join(cells) + " |")
print("\ntail penalty: ns(n) <= 1.25 ns(ceil64(n)) + 3 for n >= 16")
for (k, n), s in sorted(per.items()):
    if n < 16:
        continue
    up = -(-n // 64) * 64
    if (k, up) in per and not s <= 1.25 * per[(k, up)] + 3:
        fails.append(f"tail:{k}@{n}({s:.1f}>{1.25 * per[(k, up)] + 3:.1f})")
print("\nsmall_batches, ns per batch: softmax_rows / per-row std loop")
need = {"256x2": 1, "256x3": 1, "256x10": 2, "256x17": 2, "128x100": 3, "32x1000": 3}
for id_, want in need.items():
    s, t = est("small_batches", "softmax_rows", id_), est("small_batches", "std_per_row", id_)
    if s is None or t is None:
        print(f"{id_}: n/a")
        continue
    r = t / s
    print(f"{id_}: {s:.0f} / {t:.0f} ns = {r:.2f}x (gate {want}x){'' if r >= want else ' *'}")
    if r < want:
        fails.append(f"batch:{id_}({r:.2f}x<{want}x)")
if png:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), sharey=True)
    for ax, k in zip(axes, ("softmax", "logsumexp", "sparse_xent")):
        for impl, style in (("simd", "-o"), ("std", "--s")):
            pts = [(n, est("short_rows", f"{k}_{impl}", n)) for n in lengths]
            pts = [(n, t / ROWS) for n, t in pts if t is not None]
            if pts:
                ax.plot(*zip(*pts), style, markersize=3, label=f"softmax_simd::{k}" if impl == "simd" else "std loop")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(k)
        ax.set_xlabel("n (values per row)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    axes[0].set_ylabel("ns per call (one call per row)")
    fig.tight_layout()
    fig.savefig(png, dpi=80)
print("\nshort: " + ("PASS" if not fails else "FAIL: " + " ".join(fails)))
