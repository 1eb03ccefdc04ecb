#!/usr/bin/env python3
"""Golden values for issue 12's training API, computed by PyTorch in float64.

Writes tests/data/training/{cross_entropy,backward,scaled}.txt (format:
tests/data/README.md). Every input is an f32 value, written as the shortest
decimal that reads back as that f32; PyTorch computes on those values widened
to float64, and the expected outputs are written with 12 significant digits.

    pip install torch    # the CPU build is enough; any release of major version 2
    python3 tests/data/make_training_goldens.py

Deterministic: a fixed seed, no dependency on numpy.
"""

import math
import pathlib
import random
import struct

import torch
import torch.nn.functional as F

OUT = pathlib.Path(__file__).resolve().parent / "training"
rng = random.Random(12)
torch.set_default_dtype(torch.float64)


def f32(v):
    """v rounded to the nearest f32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", v))[0]


def f32s(v):
    """The shortest decimal that reads back as the f32 v."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    for p in range(1, 10):
        s = "%.*g" % (p, v)
        if f32(float(s)) == v:
            return s
    raise AssertionError(v)


def f64s(v):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "%.12g" % v


def line(key, values, fmt):
    return key + " " + " ".join(fmt(v) for v in values)


def logit_row(n, dist):
    if dist == "normal":
        v = [rng.gauss(0.0, 3.0) for _ in range(n)]
    elif dist == "wide":
        v = [rng.uniform(-60.0, 60.0) for _ in range(n)]
    elif dist == "offset":  # a large common offset: must cost no accuracy
        v = [1e4 + rng.uniform(-5.0, 5.0) for _ in range(n)]
    elif dist == "peaked":  # one confident class
        v = [rng.gauss(0.0, 1.0) for _ in range(n)]
        v[rng.randrange(n)] += 25.0
    elif dist == "small":
        v = [rng.uniform(-1e-3, 1e-3) for _ in range(n)]
    else:
        raise AssertionError(dist)
    return [f32(x) for x in v]


DISTS = ["normal", "wide", "offset", "peaked", "small"]


def header(f, what, count, keys):
    f.write(f"# {what}: golden values from PyTorch {torch.__version__} in float64\n")
    f.write("# made by tests/data/make_training_goldens.py; format: tests/data/README.md\n")
    f.write("format training-golden-v1\n")
    f.write(f"case_keys {keys}\n")
    f.write(f"cases {count}\n")


# ---------------------------------------------------------------- cross-entropy
def xent_cases():
    kinds = ["index", "index_ignore_usize", "index_i64_minus100", "probabilities"]
    cases = []
    for rows, classes in [(1, 1), (1, 2), (2, 3), (4, 5)]:
        for kind in kinds:
            for weighted in (False, True):
                for e in (0.0, 0.1, 0.37):
                    cases.append((rows, classes, kind, weighted, e, None))
    # Longer rows: fewer option sets, to keep the files small.
    for rows, classes in [(3, 10), (8, 4)]:
        for kind in kinds:
            cases += [(rows, classes, kind, False, 0.1, None), (rows, classes, kind, True, 0.37, None)]
    for i, kind in enumerate(kinds):
        cases.append((5, 37, kind, i % 2 == 1, [0.0, 0.1, 0.37, 0.1][i], None))
    cases += [
        (2, 1000, "index_i64_minus100", True, 0.37, None),
        (2, 1000, "probabilities", False, 0.1, None),
    ]
    # Every row ignored: Mean is 0/0 = NaN, the gradient zero.
    cases += [(3, 4, "index_i64_minus100", False, 0.0, "all_ignored"),
              (2, 5, "index_ignore_usize", True, 0.1, "all_ignored")]
    # Masked logits (-inf) off the labels, no smoothing: PyTorch is finite there.
    cases += [(3, 6, "index", False, 0.0, "masked"), (2, 6, "index", True, 0.0, "masked")]
    return cases


def xent(f, n, case):
    rows, classes, kind, weighted, e, special = case
    e = f32(e)
    x = [logit_row(classes, DISTS[(n + r) % len(DISTS)]) for r in range(rows)]
    w = None
    if weighted:
        w = [f32(rng.uniform(0.1, 3.0)) for _ in range(classes)]
        if classes > 2:
            w[rng.randrange(classes)] = 0.0
    ignore = None
    labels = None
    y = None
    if kind == "probabilities":
        y = []
        for r in range(rows):
            style = (n + r) % 3 if classes < 1000 else 2 * r  # long rows: one-hot, sparse
            if style == 0:
                row = [0.0] * classes
                row[rng.randrange(classes)] = 1.0
            elif style == 1:
                row = [rng.random() for _ in range(classes)]
                s = sum(row)
                row = [v / s for v in row]
            else:  # need not sum to 1
                row = [rng.random() * 2.0 if rng.random() < 0.5 else 0.0 for _ in range(classes)]
            y.append([f32(v) for v in row])
    else:
        labels = [rng.randrange(classes) for _ in range(rows)]
        if kind == "index_ignore_usize":
            ignore = rng.randrange(classes)
            if rows > 1:
                labels[rng.randrange(rows)] = ignore
        elif kind == "index_i64_minus100":
            ignore = -100
            if rows > 1:
                labels[rng.randrange(rows)] = -100
        if special == "all_ignored":
            labels = [ignore] * rows
    if special == "masked":
        for r in range(rows):
            for c in range(classes):
                if c != labels[r] and rng.random() < 0.4:
                    x[r][c] = -math.inf

    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w) if w is not None else None
    if labels is not None:
        tt = torch.tensor(labels, dtype=torch.long)
        kw = dict(weight=wt, label_smoothing=e, ignore_index=ignore if ignore is not None else -100)
    else:
        tt = torch.tensor(y)
        kw = dict(weight=wt, label_smoothing=e)
    out = {}
    for red in ("none", "sum", "mean"):
        loss = F.cross_entropy(xt, tt, reduction=red, **kw)
        out[red] = loss.detach()
        if red != "none":
            (g,) = torch.autograd.grad(loss, xt)
            out["grad_" + red] = g
    # Mean's denominator, as PyTorch forms it.
    if labels is not None:
        kept = [t for t in labels if t != ignore]
        div = sum(w[t] if w is not None else 1.0 for t in kept)
    else:
        div = float(rows)

    f.write(f"\ncase {n}\n")
    f.write(f"targets {'index' if labels is not None else 'probabilities'}\n")
    f.write(f"label_type {'i64' if kind == 'index_i64_minus100' else 'usize'}\n")
    f.write(f"rows {rows}\nclasses {classes}\n")
    f.write(("weights none\n") if w is None else line("weights", w, f32s) + "\n")
    f.write(f"ignore_index {'none' if ignore is None else ignore}\n")
    f.write(f"smoothing {f32s(e)}\n")
    for r in range(rows):
        f.write(line("x", x[r], f32s) + "\n")
    if labels is not None:
        f.write("labels " + " ".join(str(t) for t in labels) + "\n")
    else:
        for r in range(rows):
            f.write(line("y", y[r], f32s) + "\n")
    f.write(line("loss_none", out["none"].tolist(), f64s) + "\n")
    f.write(f"loss_sum {f64s(out['sum'].item())}\n")
    f.write(f"loss_mean {f64s(out['mean'].item())}\n")
    f.write(f"mean_div {f64s(div)}\n")
    for r in range(rows):
        f.write(line("grad_sum", out["grad_sum"][r].tolist(), f64s) + "\n")
    if rows * classes <= 100:
        for r in range(rows):
            f.write(line("grad_mean", out["grad_mean"][r].tolist(), f64s) + "\n")
    f.write("end\n")


# ---------------------------------------------------------------- backward passes
def backward_cases():
    cases = []
    for op in ("softmax", "log_softmax"):
        for n in (1, 2, 3, 5, 8, 17, 64, 100, 300):
            cases.append((op, n))
    return cases


def backward(f, n, case):
    op, size = case
    x = torch.tensor(logit_row(size, DISTS[n % len(DISTS)]), requires_grad=True)
    dy = [f32(rng.gauss(0.0, 1.0)) for _ in range(size)]
    if n % 4 == 3:  # a cross-entropy-like upstream gradient
        dy = [0.0] * size
        dy[rng.randrange(size)] = -1.0
    dyt = torch.tensor(dy)
    fwd = torch.softmax if op == "softmax" else torch.log_softmax
    bwd = torch.ops.aten._softmax_backward_data if op == "softmax" else torch.ops.aten._log_softmax_backward_data
    # autograd of the forward in float64 is exactly the backward op at the exact output ...
    out = fwd(x, -1)
    (g,) = torch.autograd.grad(out, x, dyt)
    assert torch.allclose(g, bwd(dyt, out.detach(), -1, torch.float64), rtol=1e-13, atol=1e-300)
    # ... which the goldens evaluate at the forward output rounded to f32: the
    # input the crate's backward pass gets.
    y = [f32(v) for v in out.detach().tolist()]
    dx = bwd(dyt, torch.tensor(y), -1, torch.float64)
    f.write(f"\ncase {n}\nop {op}\nn {size}\n")
    f.write(line("y", y, f32s) + "\n")
    f.write(line("dy", dy, f32s) + "\n")
    f.write(line("dx", dx.tolist(), f64s) + "\n")
    f.write("end\n")


# ---------------------------------------------------------------- temperature
def scaled_cases():
    betas = [0.01, 0.1, 0.5, 1.0, 1.7, 10.0, 100.0]
    lengths = [1, 2, 3, 7, 16, 33, 100, 257]
    cases = []
    for i, beta in enumerate(betas):
        for j in range(4):
            cases.append((f32(beta), lengths[(3 * i + 2 * j) % len(lengths)]))
    return cases


def scaled(f, n, case):
    beta, size = case
    x = logit_row(size, DISTS[n % len(DISTS)])
    xt = torch.tensor(x)
    bx = beta * xt
    p = torch.softmax(bx, -1)
    z = torch.log_softmax(bx, -1)
    lse = torch.logsumexp(bx, -1).item()
    f.write(f"\ncase {n}\nbeta {f32s(beta)}\nn {size}\n")
    f.write(line("x", x, f32s) + "\n")
    f.write(line("softmax", p.tolist(), f64s) + "\n")
    f.write(line("log_softmax", z.tolist(), f64s) + "\n")
    f.write(f"logsumexp {f64s(lse)}\n")
    f.write("end\n")


def write(name, what, keys, cases, fn):
    OUT.mkdir(exist_ok=True)
    with open(OUT / name, "w") as f:
        header(f, what, len(cases), keys)
        for n, case in enumerate(cases):
            fn(f, n, case)


write("cross_entropy.txt", "torch.nn.functional.cross_entropy, gradients by torch.autograd.grad",
      "targets label_type rows classes weights ignore_index smoothing x labels|y loss_none loss_sum loss_mean mean_div grad_sum grad_mean end",
      xent_cases(), xent)
write("backward.txt", "torch.ops.aten._softmax_backward_data / _log_softmax_backward_data (checked against torch.autograd.grad)",
      "op n y dy dx end", backward_cases(), backward)
write("scaled.txt", "torch.softmax / log_softmax / logsumexp of beta * x",
      "beta n x softmax log_softmax logsumexp end", scaled_cases(), scaled)
