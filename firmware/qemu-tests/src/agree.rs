//! SIMD kernels against `softmax_simd::reference` on fixed pseudo-random
//! rows, with the bounds of tests/common/check.rs (the host's agreement
//! tester, which needs std): `exp` within `EXP_ULP`; softmax within
//! `SOFTMAX_ULP` or below the flush threshold; log-space outputs and losses
//! within `LOG_EPS * eps * scale`; gradients within
//! `GRAD_EPS * eps * (|Y p_i| + |y_i|)`; in-place and row-batched forms
//! bit-identical to the single-row kernels.

use crate::tally::{Case, Tally};
use softmax_simd::{self as simd, Error, reference};

const EXP_ULP: u32 = 2;
const SOFTMAX_ULP: u32 = 8;
const LOG_EPS: f64 = 8.0;
const GRAD_EPS: f64 = 8.0;
const FLUSH: f64 = f32::MIN_POSITIVE as f64;
const EPS: f64 = f32::EPSILON as f64;

/// Longest row tested: past 4 lanes x 4 accumulators x 64 groups.
pub const MAX_N: usize = 1040;
/// Row lengths: every tail of 4 lanes and a 16-value group, and a few long.
const LENS: [usize; 22] = [
    1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 130, 257, 1000, MAX_N,
];

/// The value distributions of tests/common/inputs.rs.
#[derive(Clone, Copy, Debug)]
enum Dist {
    Moderate,
    Tiny,
    Huge,
    Subnormal,
    NearTie,
    WideSpread,
    Offset,
    Specials,
    Masked,
}
const DISTS: [Dist; 9] = [
    Dist::Moderate,
    Dist::Tiny,
    Dist::Huge,
    Dist::Subnormal,
    Dist::NearTie,
    Dist::WideSpread,
    Dist::Offset,
    Dist::Specials,
    Dist::Masked,
];

/// xorshift32 with a fixed seed: the same vectors on every run.
struct Rng(u32);
impl Rng {
    fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
    fn unit(&mut self) -> f32 {
        (self.next() >> 8) as f32 / (1u32 << 24) as f32
    }
    fn sym(&mut self) -> f32 {
        2.0 * self.unit() - 1.0
    }
    fn value(&mut self, dist: Dist, base: f32) -> f32 {
        match dist {
            Dist::Moderate => 10.0 * self.sym(),
            Dist::Tiny => 1e-30 * self.sym(),
            Dist::Huge => 1e30 * self.sym(),
            Dist::Subnormal => f32::from_bits((self.next() % 0x0080_0000) | (self.next() & 0x8000_0000)),
            Dist::NearTie => f32::from_bits(base.to_bits().wrapping_add(self.next() % 4)),
            Dist::WideSpread => 120.0 * self.sym(),
            Dist::Offset => 1e4 + 5.0 * self.sym(),
            Dist::Specials => match self.next() % 40 {
                0 => f32::NAN,
                1 => f32::INFINITY,
                2..=4 => f32::NEG_INFINITY,
                5 => -0.0,
                6 => f32::from_bits(self.next()),
                _ => 10.0 * self.sym(),
            },
            Dist::Masked => {
                if self.next().is_multiple_of(16) {
                    10.0 * self.sym()
                } else {
                    f32::NEG_INFINITY
                }
            }
        }
    }
    /// Dense labels: one-hot, a probability vector, labels that do not sum
    /// to 1, or mixed signs and zeros.
    fn labels(&mut self, y: &mut [f32]) {
        y.fill(0.0);
        let n = y.len();
        match self.next() % 4 {
            0 => y[self.next() as usize % n] = 1.0,
            1 => {
                y.iter_mut().for_each(|v| *v = self.unit());
                let s: f32 = y.iter().sum();
                if s > 0.0 {
                    y.iter_mut().for_each(|v| *v /= s);
                }
            }
            2 => y.iter_mut().for_each(|v| {
                *v = if self.next().is_multiple_of(3) {
                    2.0 * self.unit()
                } else {
                    0.0
                }
            }),
            _ => y.iter_mut().for_each(|v| {
                *v = if self.next().is_multiple_of(2) {
                    3.0 * self.sym()
                } else {
                    0.0
                }
            }),
        }
    }
}

/// The scratch buffers, allocated once on the stack.
pub struct Bufs {
    x: [f32; MAX_N],
    y: [f32; MAX_N],
    a: [f32; MAX_N],
    b: [f32; MAX_N],
    c: [f32; MAX_N],
    d: [f32; MAX_N],
    labels: [usize; MAX_N],
}

impl Bufs {
    pub const fn new() -> Self {
        Bufs {
            x: [0.0; MAX_N],
            y: [0.0; MAX_N],
            a: [0.0; MAX_N],
            b: [0.0; MAX_N],
            c: [0.0; MAX_N],
            d: [0.0; MAX_N],
            labels: [0; MAX_N],
        }
    }
}

/// check.rs's `close`: equal (NaN == NaN), or within `ulps` ULP, or `abs`.
fn close(a: f32, b: f32, ulps: u32, abs: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    ((a as f64) - (b as f64)).abs() <= abs || crate::tally::ulps(a, b) <= ulps
}

fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

fn has_nan(x: &[f32]) -> bool {
    x.iter().any(|v| v.is_nan())
}
fn inf_count(x: &[f32]) -> usize {
    x.iter().filter(|&&v| v == f32::INFINITY).count()
}
fn max_f32(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

enum Special {
    Nan,
    Inf(usize),
    Masked,
}
fn special(x: &[f32]) -> Option<Special> {
    if has_nan(x) {
        Some(Special::Nan)
    } else if inf_count(x) > 0 {
        Some(Special::Inf(inf_count(x)))
    } else if x.iter().all(|&v| v == f32::NEG_INFINITY) {
        Some(Special::Masked)
    } else {
        None
    }
}

/// Runs every fixed row through every check.
pub fn run(t: &mut Tally, bufs: &mut Bufs) {
    let mut rng = Rng(0x9E37_79B9);
    for dist in DISTS {
        for n in LENS {
            let base = 10.0 * rng.sym();
            for v in &mut bufs.x[..n] {
                *v = rng.value(dist, base);
            }
            rng.labels(&mut bufs.y[..n]);
            let label = rng.next() as usize % n;
            t.case("simd vs reference", name(dist), |c| {
                row(c, bufs, n, label);
                if !c.ok() {
                    c.fail(format_args!("(row of {n} values from {dist:?}, label {label})"));
                }
            });
        }
    }
}

fn name(d: Dist) -> &'static str {
    match d {
        Dist::Moderate => "moderate rows",
        Dist::Tiny => "tiny rows",
        Dist::Huge => "huge rows",
        Dist::Subnormal => "subnormal rows",
        Dist::NearTie => "near-tie rows",
        Dist::WideSpread => "wide-spread rows",
        Dist::Offset => "offset 1e4 rows",
        Dist::Specials => "rows with NaN/inf",
        Dist::Masked => "masked rows",
    }
}

fn row(c: &mut Case<'_>, bufs: &mut Bufs, n: usize, label: usize) {
    softmax(c, bufs, n);
    let x = &bufs.x[..n];
    reduce(c, x);
    exp(c, x, &mut bufs.a[..n], &mut bufs.b[..n]);
    dense(c, x, &bufs.y[..n], &mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n]);
    sparse(c, bufs, n, label);
    // Row-batched: split the buffer into rows of a divisor of n (or one row).
    let classes = [7usize, 5, 4, 3, 2]
        .into_iter()
        .find(|k| n.is_multiple_of(*k) && n > *k)
        .unwrap_or(n);
    rows(c, bufs, n, classes);
}

fn reduce(c: &mut Case<'_>, x: &[f32]) {
    let (m, mr) = (simd::max(x), reference::max(x));
    let want = if has_nan(x) { f32::NAN } else { max_f32(x) };
    c.expect(
        close(m, want, 0, 0.0) && close(mr, want, 0, 0.0),
        format_args!("max: simd {m}, reference {mr}, want {want}"),
    );
    let (l, lr) = (simd::logsumexp(x), reference::logsumexp(x));
    match special(x) {
        Some(s) => {
            let w = match s {
                Special::Nan => f32::NAN,
                Special::Inf(_) => f32::INFINITY,
                Special::Masked => f32::NEG_INFINITY,
            };
            c.expect(
                close(l, w, 0, 0.0) && close(lr, w, 0, 0.0),
                format_args!("logsumexp: simd {l}, reference {lr}, want {w}"),
            );
        }
        None => {
            let tol = LOG_EPS * EPS * ((want as f64).abs() + ((lr - want) as f64).abs());
            c.expect(
                close(l, lr, 0, tol),
                format_args!("logsumexp: simd {l:e}, reference {lr:e}, tolerance {tol:e}"),
            );
        }
    }
}

fn exp(c: &mut Case<'_>, x: &[f32], a: &mut [f32], b: &mut [f32]) {
    let ok = simd::exp(x, a).is_ok() && reference::exp(x, b).is_ok();
    c.expect(ok, format_args!("exp returned Err"));
    for (i, ((&v, &p), &q)) in x.iter().zip(&*a).zip(&*b).enumerate() {
        let good = if v.is_nan() {
            p.is_nan() && q.is_nan()
        } else if v > 88.72283 {
            p == f32::INFINITY
        } else if v < -87.33654 {
            p.to_bits() == 0
        } else {
            close(p, q, EXP_ULP, 0.0)
        };
        if !good {
            c.fail(format_args!("exp x[{i}] = {v:e}: simd {p:e}, reference {q:e}"));
            return;
        }
    }
}

fn softmax(c: &mut Case<'_>, bufs: &mut Bufs, n: usize) {
    let x = &bufs.x[..n];
    let (a, b, la, lb) = (&mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n], &mut bufs.d[..n]);
    let mut inplace = [0f32; MAX_N];
    let ip = &mut inplace[..n];
    c.expect(
        simd::softmax(x, a).is_ok() && reference::softmax(x, b).is_ok(),
        format_args!("softmax Err"),
    );
    c.expect(
        simd::log_softmax(x, la).is_ok() && reference::log_softmax(x, lb).is_ok(),
        format_args!("log_softmax Err"),
    );
    type InPlace = fn(&mut [f32]);
    let forms: [(&str, InPlace, &[f32]); 4] = [
        ("softmax_in_place", simd::softmax_in_place, a),
        ("reference::softmax_in_place", reference::softmax_in_place, b),
        ("log_softmax_in_place", simd::log_softmax_in_place, la),
        ("reference::log_softmax_in_place", reference::log_softmax_in_place, lb),
    ];
    for (what, f, want) in forms {
        ip.copy_from_slice(x);
        f(ip);
        c.expect(
            same_bits(ip, want),
            format_args!("{what} differs from the out-of-place kernel"),
        );
    }
    match special(x) {
        Some(s) => {
            for (i, &v) in x.iter().enumerate() {
                let (p, lp) = match s {
                    Special::Nan => (f32::NAN, f32::NAN),
                    Special::Masked => (0.0, f32::NEG_INFINITY),
                    Special::Inf(k) if v == f32::INFINITY => (1.0 / k as f32, -libm::logf(k as f32)),
                    Special::Inf(_) => (0.0, f32::NEG_INFINITY),
                };
                let got = [a[i], b[i], la[i], lb[i]];
                let want = [p, p, lp, lp];
                if !got.iter().zip(&want).all(|(&g, &w)| close(g, w, 1, 0.0)) {
                    c.fail(format_args!(
                        "special row [{i}]: softmax simd/ref, log_softmax simd/ref {got:?}, want {want:?}"
                    ));
                    return;
                }
            }
        }
        None => {
            let m = max_f32(x);
            let l = log_normaliser(x);
            for i in 0..n {
                if !close(a[i], b[i], SOFTMAX_ULP, FLUSH) {
                    let d = crate::tally::ulps(a[i], b[i]);
                    c.fail(format_args!(
                        "softmax [{i}]: simd {:e}, reference {:e}, {d} ULP",
                        a[i], b[i]
                    ));
                    return;
                }
                let tol = LOG_EPS * EPS * (((x[i] - m) as f64).abs() + l.abs()) + FLUSH;
                if !close(la[i], lb[i], 0, tol) {
                    c.fail(format_args!(
                        "log_softmax [{i}]: simd {:e}, reference {:e}, tolerance {tol:e}",
                        la[i], lb[i]
                    ));
                    return;
                }
            }
            let sum: f64 = a.iter().map(|&v| v as f64).sum();
            let bound = (SOFTMAX_ULP + 2) as f64 * EPS;
            c.expect((sum - 1.0).abs() <= bound, format_args!("softmax sums to {sum}"));
        }
    }
}

/// `log1p(S - 1)` of a row, as check.rs takes it: minus the reference
/// log_softmax at the arg-max.
fn log_normaliser(x: &[f32]) -> f64 {
    let mut ls = [0f32; MAX_N];
    let ls = &mut ls[..x.len()];
    if reference::log_softmax(x, ls).is_err() {
        return f64::NAN;
    }
    let m = max_f32(x);
    x.iter().position(|&v| v == m).map_or(0.0, |arg| -(ls[arg] as f64))
}

/// `sum |y_i| (|L| + |d_i|)` over the labelled terms: the loss's scale.
fn loss_scale(x: &[f32], y: impl Fn(usize) -> f32) -> f64 {
    let m = max_f32(x);
    let l = log_normaliser(x);
    let mut s = 0.0;
    for (i, &v) in x.iter().enumerate() {
        let yi = y(i);
        if yi != 0.0 {
            s += (yi as f64).abs() * (l.abs() + ((v - m) as f64).abs());
        }
    }
    s
}

fn dense(c: &mut Case<'_>, x: &[f32], y: &[f32], ga: &mut [f32], gb: &mut [f32], p: &mut [f32]) {
    let r = (
        simd::softmax_cross_entropy_with_logits(x, y, None),
        reference::softmax_cross_entropy_with_logits(x, y, None),
        simd::softmax_cross_entropy_with_logits(x, y, Some(ga)),
        reference::softmax_cross_entropy_with_logits(x, y, Some(gb)),
    );
    let (Ok(l1), Ok(l2), Ok(l3), Ok(l4)) = r else {
        c.fail(format_args!("dense xent Err: {r:?}"));
        return;
    };
    c.expect(
        close(l1, l3, 0, 0.0) && close(l2, l4, 0, 0.0),
        format_args!("dense loss depends on grad"),
    );
    let scale = loss_scale(x, |i| y[i]);
    let tol = if scale.is_finite() {
        LOG_EPS * EPS * scale + FLUSH
    } else {
        0.0
    };
    c.expect(
        close(l1, l2, 0, tol),
        format_args!("dense loss: simd {l1:e}, reference {l2:e}, tolerance {tol:e}"),
    );
    // Y = sum(y) is itself only as accurate as sum |y|.
    let y_abs: f64 = y.iter().map(|&v| (v as f64).abs()).sum();
    let _ = reference::softmax(x, p);
    for i in 0..x.len() {
        let tol = GRAD_EPS * EPS * (y_abs * p[i] as f64 + (y[i] as f64).abs()) + FLUSH * y_abs;
        let tol = if tol.is_finite() { tol } else { 0.0 };
        if !close(ga[i], gb[i], 0, tol) {
            c.fail(format_args!(
                "dense grad [{i}]: simd {:e}, reference {:e}, tolerance {tol:e}",
                ga[i], gb[i]
            ));
            return;
        }
    }
}

fn sparse(c: &mut Case<'_>, bufs: &mut Bufs, n: usize, label: usize) {
    let x = &bufs.x[..n];
    let (ga, gb, gd, onehot) = (&mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n], &mut bufs.d[..n]);
    let r = (
        simd::sparse_softmax_cross_entropy_with_logits(x, label, None),
        reference::sparse_softmax_cross_entropy_with_logits(x, label, None),
        simd::sparse_softmax_cross_entropy_with_logits(x, label, Some(ga)),
        reference::sparse_softmax_cross_entropy_with_logits(x, label, Some(gb)),
    );
    let (Ok(l1), Ok(l2), Ok(l3), Ok(l4)) = r else {
        c.fail(format_args!("sparse xent Err: {r:?}"));
        return;
    };
    c.expect(
        close(l1, l3, 0, 0.0) && close(l2, l4, 0, 0.0),
        format_args!("sparse loss depends on grad"),
    );
    let scale = loss_scale(x, |i| if i == label { 1.0 } else { 0.0 });
    let tol = if scale.is_finite() {
        LOG_EPS * EPS * scale + FLUSH
    } else {
        0.0
    };
    c.expect(
        close(l1, l2, 0, tol),
        format_args!("sparse loss: simd {l1:e}, reference {l2:e}, tolerance {tol:e}"),
    );
    // The sparse gradient is the dense one with one-hot labels.
    onehot.fill(0.0);
    onehot[label] = 1.0;
    match simd::softmax_cross_entropy_with_logits(x, onehot, Some(gd)) {
        Ok(ld) => c.expect(
            close(ld, l1, 0, tol),
            format_args!("sparse loss {l1:e}, dense one-hot {ld:e}"),
        ),
        Err(e) => c.fail(format_args!("dense one-hot Err({e:?})")),
    }
    for i in 0..n {
        if !close(ga[i], gb[i], SOFTMAX_ULP, FLUSH) || !close(ga[i], gd[i], 0, GRAD_EPS * EPS + FLUSH) {
            c.fail(format_args!(
                "sparse grad [{i}]: simd {:e}, reference {:e}, dense one-hot {:e}",
                ga[i], gb[i], gd[i]
            ));
            return;
        }
    }
}

/// Row-batched kernels: every row bit-identical to the single-row kernel.
fn rows(c: &mut Case<'_>, bufs: &mut Bufs, n: usize, classes: usize) {
    let rows = n / classes;
    let x = &bufs.x[..n];
    for (k, l) in bufs.labels[..rows].iter_mut().enumerate() {
        *l = (k * 3) % classes;
    }
    type OutFn = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
    type InFn = fn(&mut [f32], usize) -> Result<(), Error>;
    type RowFn = fn(&mut [f32]);
    let forms: [(&str, OutFn, InFn, RowFn); 4] = [
        (
            "softmax_rows",
            simd::softmax_rows,
            simd::softmax_rows_in_place,
            simd::softmax_in_place,
        ),
        (
            "log_softmax_rows",
            simd::log_softmax_rows,
            simd::log_softmax_rows_in_place,
            simd::log_softmax_in_place,
        ),
        (
            "reference::softmax_rows",
            reference::softmax_rows,
            reference::softmax_rows_in_place,
            reference::softmax_in_place,
        ),
        (
            "reference::log_softmax_rows",
            reference::log_softmax_rows,
            reference::log_softmax_rows_in_place,
            reference::log_softmax_in_place,
        ),
    ];
    for (what, out_fn, in_fn, row_fn) in forms {
        let (out, inp, want) = (&mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n]);
        inp.copy_from_slice(x);
        want.copy_from_slice(x);
        want.chunks_exact_mut(classes).for_each(row_fn);
        let ok = out_fn(x, classes, out).is_ok() && in_fn(inp, classes).is_ok();
        c.expect(
            ok && same_bits(out, want) && same_bits(inp, want),
            format_args!("{what} ({classes} classes) differs from the single-row kernel"),
        );
    }
    type Lse = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
    for (what, f, single) in [
        (
            "logsumexp_rows",
            simd::logsumexp_rows as Lse,
            simd::logsumexp as fn(&[f32]) -> f32,
        ),
        (
            "reference::logsumexp_rows",
            reference::logsumexp_rows,
            reference::logsumexp,
        ),
    ] {
        let out = &mut bufs.a[..rows];
        let ok = f(x, classes, out).is_ok();
        let same = x
            .chunks_exact(classes)
            .zip(out.iter())
            .all(|(r, &o)| same_bits(&[single(r)], &[o]));
        c.expect(ok && same, format_args!("{what} differs from logsumexp"));
    }
    type Dense = fn(&[f32], &[f32], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
    type DenseRow = fn(&[f32], &[f32], Option<&mut [f32]>) -> Result<f32, Error>;
    let dense: [(&str, Dense, DenseRow); 2] = [
        (
            "xent_rows",
            simd::softmax_cross_entropy_with_logits_rows,
            simd::softmax_cross_entropy_with_logits,
        ),
        (
            "reference::xent_rows",
            reference::softmax_cross_entropy_with_logits_rows,
            reference::softmax_cross_entropy_with_logits,
        ),
    ];
    let y = &bufs.y[..n];
    for (what, f, single) in dense {
        let (losses, grad, g) = (&mut bufs.a[..rows], &mut bufs.b[..n], &mut bufs.c[..classes]);
        if let Err(e) = f(x, y, classes, losses, Some(grad)) {
            c.fail(format_args!("{what}: Err({e:?})"));
            continue;
        }
        for (k, (xr, yr)) in x.chunks_exact(classes).zip(y.chunks_exact(classes)).enumerate() {
            let l = single(xr, yr, Some(&mut g[..])).unwrap_or(f32::NAN);
            if !same_bits(&[l], &[losses[k]]) || !same_bits(g, &grad[k * classes..(k + 1) * classes]) {
                c.fail(format_args!("{what} row {k} differs from the single-row kernel"));
                break;
            }
        }
    }
    type Sparse = fn(&[f32], &[usize], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
    type SparseRow = fn(&[f32], usize, Option<&mut [f32]>) -> Result<f32, Error>;
    let sparse: [(&str, Sparse, SparseRow); 2] = [
        (
            "sparse_xent_rows",
            simd::sparse_softmax_cross_entropy_with_logits_rows,
            simd::sparse_softmax_cross_entropy_with_logits,
        ),
        (
            "reference::sparse_xent_rows",
            reference::sparse_softmax_cross_entropy_with_logits_rows,
            reference::sparse_softmax_cross_entropy_with_logits,
        ),
    ];
    let labels = &bufs.labels[..rows];
    for (what, f, single) in sparse {
        let (losses, grad, g) = (&mut bufs.a[..rows], &mut bufs.b[..n], &mut bufs.c[..classes]);
        if let Err(e) = f(x, labels, classes, losses, Some(grad)) {
            c.fail(format_args!("{what}: Err({e:?})"));
            continue;
        }
        for (k, (xr, &lab)) in x.chunks_exact(classes).zip(labels).enumerate() {
            let l = single(xr, lab, Some(&mut g[..])).unwrap_or(f32::NAN);
            if !same_bits(&[l], &[losses[k]]) || !same_bits(g, &grad[k * classes..(k + 1) * classes]) {
                c.fail(format_args!("{what} row {k} differs from the single-row kernel"));
                break;
            }
        }
    }
}
