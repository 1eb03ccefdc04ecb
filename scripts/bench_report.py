#!/usr/bin/env python3
"""Turn criterion's saved results into docs/speed.md's tables and plot.

Reads every `<criterion dir>/<group>/<impl>/<length>/new/{benchmark,estimates}.json`
(written by `cargo bench --bench kernels` and `cargo bench -p softmax-simd-peers`),
takes the time per call (`best_ns`: the fastest of the longer samples by
default), divides by the element count, and writes:

- a Markdown file: one table per group (ns per element per implementation
  and row length, then the ratio of each baseline's time to softmax_simd's:
  > 1 means softmax_simd is faster), and a table of softmax_simd's figures
  in every build given (e.g. native beside the default x86-64/SSE2 build);
- a PNG: ns per element against row length, log-log, one line per
  implementation, one panel per group.

Usage (the exact commands: docs/speed.md, "Reproduce"):
    python3 scripts/bench_report.py --build native=/work/target-bench/criterion \
        --build sse2=/work/target-bench-sse2/criterion --md docs/bench.md --png docs/bench.png
The first --build is the one the per-group tables and the plot show.
"""

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

OURS = "softmax_simd"
STAT = "min"
# Groups shown in the plot (all groups get a table).
PLOT_GROUPS = ["exp", "logsumexp", "softmax", "softmax_in_place", "log_softmax", "xent_sparse"]


def best_ns(est: Path):
    """Time per call: the fastest sample among the longer half of the samples.

    On a machine shared with builds and fuzzers, interference only ever adds
    time, so the minimum is the estimate least biased by it (the argument of
    Julia's BenchmarkTools for its default `minimum`); taking it among the
    longer half of criterion's samples keeps the fixed cost of reading the
    clock out of it. With --stat median/slope, criterion's own estimates.
    """
    if STAT != "min":
        e = json.loads(est.read_text())
        return (e.get(STAT) or e["median"])["point_estimate"]
    s = json.loads(est.with_name("sample.json").read_text())
    pairs = sorted(zip(s["iters"], s["times"]))
    longer = pairs[len(pairs) // 2 :]
    return min(t / i for i, t in longer)


def load(root: Path):
    """{group: {impl: {length: ns per element}}} from one criterion dir."""
    data = defaultdict(lambda: defaultdict(dict))
    for est in root.glob("**/new/estimates.json"):
        meta_path = est.with_name("benchmark.json")
        if not meta_path.exists():
            continue
        meta = json.loads(meta_path.read_text())
        tp = meta.get("throughput") or {}
        n = tp.get("Elements")
        if not n:
            continue
        length = int(meta["value_str"])
        data[meta["group_id"]][meta["function_id"]][length] = best_ns(est) / n
    return data


def fmt(v):
    if v is None:
        return "-"
    return f"{v:.3f}" if v < 10 else f"{v:.1f}"


def impl_order(impls):
    rest = sorted(i for i in impls if i != OURS)
    return ([OURS] if OURS in impls else []) + rest


def group_table(group, impls):
    names = impl_order(impls)
    lengths = sorted({n for i in impls.values() for n in i})
    baselines = [i for i in names if i != OURS]
    head = ["length"] + [f"{i} ns/el" for i in names] + [f"{b}/ours" for b in baselines if OURS in impls]
    out = [f"#### `{group}`", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for n in lengths:
        row = [str(n)] + [fmt(impls[i].get(n)) for i in names]
        ours = impls.get(OURS, {}).get(n)
        if OURS in impls:
            for b in baselines:
                t = impls[b].get(n)
                row.append(f"{t / ours:.2f}x" if t and ours else "-")
        out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


def builds_table(builds):
    """softmax_simd (and tract, where measured) in every build, side by side."""
    labels = [b for b, _ in builds]
    groups = sorted({g for _, d in builds for g in d})
    head = ["group", "length"] + [f"{b} ns/el" for b in labels]
    if len(labels) > 1:
        head.append(f"{labels[1]}/{labels[0]}")
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for g in groups:
        lengths = sorted({n for _, d in builds for n in d.get(g, {}).get(OURS, {})})
        for n in lengths:
            vals = [d.get(g, {}).get(OURS, {}).get(n) for _, d in builds]
            row = [f"`{g}`", str(n)] + [fmt(v) for v in vals]
            if len(labels) > 1:
                row.append(f"{vals[1] / vals[0]:.2f}x" if vals[0] and vals[1] else "-")
            out.append("| " + " | ".join(row) + " |")
    return "\n".join(out) + "\n"


SUMMARY = [
    ("exp", ["softmax_simd", "std_exp", "wide_exp", "reference"]),
    ("logsumexp", ["softmax_simd", "floor", "two_pass", "one_pass", "std_exp"]),
    ("softmax", ["softmax_simd", "three_pass", "blocked", "std_exp", "wide_exp", "reference"]),
    ("softmax_in_place", ["softmax_simd", "three_pass", "blocked", "tract_linalg"]),
    ("log_softmax", ["softmax_simd", "std_exp"]),
    ("xent_sparse", ["softmax_simd", "reference"]),
    ("xent_dense", ["softmax_simd", "reference"]),
]
# One colour per implementation in every panel.
COLORS = {
    "softmax_simd": "black",
    "reference": "tab:blue",
    "std_exp": "tab:orange",
    "wide_exp": "tab:green",
    "three_pass": "tab:red",
    "blocked": "tab:purple",
    "two_pass": "tab:brown",
    "one_pass": "tab:pink",
    "floor": "tab:olive",
    "tract_linalg": "tab:cyan",
    "std_fold": "tab:gray",
}
SUMMARY_LENGTHS = [1000, 4096, 65536, 1 << 20, 1 << 24]


def summary_tables(builds):
    """The two compact tables: main figures of the first build, and
    softmax_simd in every build."""
    label, data = builds[0]
    out = ["| kernel | implementation | 1000 | 4096 | 65536 | 2^20 | 2^24 |", "|---|---|---|---|---|---|---|"]
    for g, impls in SUMMARY:
        for i in impls:
            vals = data.get(g, {}).get(i)
            if vals:
                out.append(f"| `{g}` | {i} | " + " | ".join(fmt(vals.get(n)) for n in SUMMARY_LENGTHS) + " |")
    out += ["", "| kernel | build | 1000 | 4096 | 65536 | 2^20 | 2^24 |", "|---|---|---|---|---|---|---|"]
    for g, _ in SUMMARY:
        for b, d in builds:
            vals = d.get(g, {}).get(OURS)
            if vals:
                out.append(f"| `{g}` | {b} | " + " | ".join(fmt(vals.get(n)) for n in SUMMARY_LENGTHS) + " |")
    return "\n".join(out) + "\n"


def plot(data, png, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in PLOT_GROUPS if g in data]
    cols = 3
    rows = (len(groups) + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.0 * rows), squeeze=False)
    for ax, g in zip(axes.flat, groups):
        for name in impl_order(data[g]):
            pts = sorted(data[g][name].items())
            style = dict(linewidth=2.6 if name == OURS else 1.3, color=COLORS.get(name, "grey"))
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o", markersize=3, label=name, **style)
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_title(g)
        ax.set_xlabel("row length")
        ax.set_ylabel("ns per element")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in list(axes.flat)[len(groups):]:
        ax.axis("off")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(png, dpi=90)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", action="append", required=True, help="LABEL=criterion dir")
    ap.add_argument("--md", required=True)
    ap.add_argument("--png")
    ap.add_argument("--stat", choices=["min", "median", "slope", "mean"], default="min")
    ap.add_argument("--title", default="softmax-simd vs baselines (ns per element, best sample)")
    args = ap.parse_args()
    global STAT
    STAT = args.stat
    builds = []
    for b in args.build:
        label, _, path = b.partition("=")
        d = load(Path(path))
        if not d:
            sys.exit(f"no criterion results under {path}")
        builds.append((label, d))
    label, data = builds[0]
    md = ["### Summary (ns per element)", "", summary_tables(builds)]
    md += [f"### Per kernel ({label} build)", ""]
    md += [group_table(g, data[g]) for g in sorted(data)]
    md += [f"### softmax_simd per build ({', '.join(b for b, _ in builds)})", "", builds_table(builds)]
    Path(args.md).write_text("\n".join(md))
    if args.png:
        plot(data, args.png, f"{args.title}, {label} build")


if __name__ == "__main__":
    main()
