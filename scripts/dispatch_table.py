#!/usr/bin/env python3
"""Ratio table of scripts/dispatch-bench.sh: for each kernel and length,
the default build's time over the native build's (the better of two
passes each, criterion's mean point estimate in ns per call).
Usage: dispatch_table.py target/dispatch-criterion/dispatch"""
import json
import os
import sys

root = sys.argv[1]


def ns(kernel, n, base):
    best = None
    for p in (1, 2):
        f = os.path.join(root, kernel, str(n), f"{base}{p}", "estimates.json")
        if os.path.exists(f):
            with open(f) as fh:
                v = json.load(fh)["mean"]["point_estimate"]
            best = v if best is None else min(best, v)
    return best


kernels = ["softmax", "logsumexp", "sparse_xent_grad"]
lengths = [16, 100, 1000, 4096, 65536]
for pair, title in ((("default", "native"), "run-time (default build) vs compile-time (native build)"),
                    (("avx2-default", "avx2-native"), "AVX2 forced: default build vs x86-64-v3 build")):
    if ns(kernels[0], lengths[0], pair[0]) is None:
        continue
    print(f"\n{title}: ns per call, default / native")
    print("| kernel | " + " | ".join(f"n = {n}" for n in lengths) + " |")
    print("|---|" + "---|" * len(lengths))
    worst = 0.0
    for k in kernels:
        cells = []
        for n in lengths:
            d, v = ns(k, n, pair[0]), ns(k, n, pair[1])
            if d is None or v is None:
                cells.append("n/a")
                continue
            r = d / v
            limit = 1.05 if n == 16 else 1.10
            worst = max(worst, r / limit)
            cells.append(f"{d:.1f} / {v:.1f} = {r:.3f}{'' if r <= limit else ' (over)'}")
        print(f"| {k} | " + " | ".join(cells) + " |")
    print(f"worst ratio over its limit (1.05 at n = 16, 1.10 elsewhere): {worst:.3f} ({'PASS' if worst <= 1 else 'FAIL'})")
