#!/usr/bin/env python3
"""Ratios and gates of benches/training.rs (issue 12, "Speed") from
criterion's estimates (medians, both sides of each ratio from the same run).
Usage: training_report.py [CRITERION_DIR]   (default: target/criterion)
Exit status 1 if a gate fails."""
import json
import os
import sys

root = sys.argv[1] if len(sys.argv) > 1 else "target/criterion"


def est(group, fn, n):
    f = os.path.join(root, group, fn, str(n), "new", "estimates.json")
    if not os.path.exists(f):
        return None
    with open(f) as fh:
        return json.load(fh)["median"]["point_estimate"]


fails = []


def gate(group, fast, slow, ids, need, what):
    print(f"\n{group}: {what}")
    for n in ids:
        a, b = est(group, fast, n), est(group, slow, n)
        if a is None or b is None:
            print(f"  {n}: n/a")
            continue
        r = b / a
        ok = need is None or r >= need
        if not ok:
            fails.append(f"{group}@{n} ({r:.3f} < {need})")
        print(f"  {n}: {a:.1f} / {b:.1f} ns -> {r:.3f}{'' if ok else ' *'}")


for k in ("softmax", "log_softmax", "logsumexp"):
    # unscaled / scaled time >= 1 / 1.05: scaled within 5% of unscaled.
    gate(f"scaled_{k}", "scaled", "unscaled", [10, 100, 4096, 65536], 1 / 1.05,
         "scaled / unscaled ns, ratio unscaled/scaled (gate >= 0.952, scaled within 5%)")
for k in ("softmax", "log_softmax"):
    gate(f"backward_{k}", "softmax_simd", "std_loop", [100, 4096, 65536], None,
         "simd / std loop ns, speed-up (gate >= 4 at 4096)")
    a, b = est(f"backward_{k}", "softmax_simd", 4096), est(f"backward_{k}", "std_loop", 4096)
    if a is not None and b is not None and b / a < 4:
        fails.append(f"backward_{k}@4096 ({b / a:.2f} < 4)")
gate("cross_entropy_rows", "softmax_simd", "std_loop", ["256x10", "64x1000"], 3,
     "simd / per-row std loop ns, speed-up (gate >= 3)")
print("\nFAIL: " + ", ".join(fails) if fails else "\nall gates pass")
sys.exit(1 if fails else 0)
