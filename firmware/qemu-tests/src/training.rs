//! The training API (temperature, backward passes, `cross_entropy_rows`,
//! `LogSumExp`, `argmax`) on the Cortex-M4F: the SIMD kernels against
//! `softmax_simd::reference` on fixed pseudo-random rows of the finite
//! distributions, within twice the host suite's bounds
//! (tests/common/check_training.rs gives their derivation: both
//! implementations are within one bound of f64, so within two of each
//! other); the special values of docs/SEMANTICS.md; and every bad argument
//! an `Err` with nothing written, for both implementations.

use crate::agree::Bufs;
use crate::tally::{Case, Tally};
use softmax_simd::{self as simd, CrossEntropy, Error, Reduction, reference};
use softmax_simd_checker::{Bits, Dist, EPS, FLUSH, GRAD_EPS, LOG_EPS, SOFTMAX_ULP, XorShift32, close, value};

/// Longest row: past 4 accumulators of one lane and a few groups (the
/// buffers are `agree`'s).
const MAX_N: usize = 300;
const LENS: [usize; 9] = [1, 2, 3, 5, 10, 17, 64, 129, MAX_N];
/// The finite distributions (the special rows have their own cases below).
const DISTS: [Dist; 5] = [
    Dist::Moderate,
    Dist::Tiny,
    Dist::NearTie,
    Dist::WideSpread,
    Dist::Offset,
];
const BETAS: [f32; 3] = [0.01, 0.7, 100.0];

pub fn run(t: &mut Tally, bufs: &mut Bufs) {
    let mut rng = XorShift32(0x2545_F491);
    for dist in DISTS {
        for n in LENS {
            let base = 10.0 * rng.sym();
            for v in &mut bufs.x[..n] {
                *v = value(&mut rng, dist, base);
            }
            for v in &mut bufs.y[..n] {
                *v = rng.sym();
            }
            t.case("training: simd vs reference", dist.name(), |c| {
                for beta in BETAS {
                    scaled(c, bufs, n, beta);
                }
                backward(c, bufs, n);
                streaming(c, bufs, n);
                cross_entropy(c, bufs, n, &mut rng);
                let x = &bufs.x[..n];
                c.expect(
                    simd::argmax(x) == reference::argmax(x),
                    format_args!("argmax {:?} vs {:?}", simd::argmax(x), reference::argmax(x)),
                );
                if !c.ok() {
                    c.fail(format_args!("(row of {n} values from {dist:?})"));
                }
            });
        }
    }
    t.case("training", "special values", special);
    t.case("simd", "training: bad arguments", errors_simd);
    t.case("reference", "training: bad arguments", errors_reference);
}

/// `|a - b| <= tol`, NaN equal to NaN, infinities equal.
fn near(c: &mut Case<'_>, what: &str, i: usize, a: f32, b: f32, tol: f64) {
    let ok = a == b || (a.is_nan() && b.is_nan()) || ((a as f64) - (b as f64)).abs() <= tol;
    c.expect(ok, format_args!("{what}[{i}]: {a:e} vs {b:e} (tol {tol:e})"));
}

/// `m = max(x)` and `l = log1p(S - 1)` of `beta * x` from the reference.
fn normaliser(x: &[f32], beta: f32) -> (f32, f64) {
    let m = reference::max(x);
    let lse = reference::logsumexp_scaled(x, beta).unwrap_or(f32::NAN);
    (m, (lse as f64 - beta as f64 * m as f64).abs())
}

fn scaled(c: &mut Case<'_>, b: &mut Bufs, n: usize, beta: f32) {
    let x = &b.x[..n];
    let (m, l) = normaliser(x, beta);
    let ok = simd::softmax_scaled(x, beta, &mut b.a[..n]).is_ok()
        && reference::softmax_scaled(x, beta, &mut b.b[..n]).is_ok();
    c.expect(ok, format_args!("softmax_scaled Err (beta {beta})"));
    for i in 0..n {
        // Both within SOFTMAX_ULP of f64, or below the flush threshold.
        let ok = close(b.a[i], b.b[i], 2 * SOFTMAX_ULP, 2.0 * FLUSH);
        c.expect(
            ok,
            format_args!("softmax_scaled[{i}] beta {beta}: {:e} vs {:e}", b.a[i], b.b[i]),
        );
    }
    let ok = simd::log_softmax_scaled(x, beta, &mut b.a[..n]).is_ok()
        && reference::log_softmax_scaled(x, beta, &mut b.b[..n]).is_ok();
    c.expect(ok, format_args!("log_softmax_scaled Err (beta {beta})"));
    for (i, &v) in x.iter().enumerate() {
        let t = (beta as f64 * (v - m) as f64).abs();
        near(
            c,
            "log_softmax_scaled",
            i,
            b.a[i],
            b.b[i],
            2.0 * LOG_EPS * EPS * (t + l) + FLUSH,
        );
    }
    let (la, lb) = (simd::logsumexp_scaled(x, beta), reference::logsumexp_scaled(x, beta));
    match (la, lb) {
        (Ok(la), Ok(lb)) => {
            let tol = 2.0 * LOG_EPS * EPS * ((beta as f64 * m as f64).abs() + l) + FLUSH;
            near(c, "logsumexp_scaled", 0, la, lb, tol);
        }
        r => c.fail(format_args!("logsumexp_scaled beta {beta}: {r:?}")),
    }
}

fn backward(c: &mut Case<'_>, b: &mut Bufs, n: usize) {
    let (x, dy) = (&b.x[..n], &b.y[..n]);
    let ok = reference::softmax(x, &mut b.c[..n]).is_ok() && reference::log_softmax(x, &mut b.d[..n]).is_ok();
    c.expect(ok, format_args!("forward Err"));
    let (y, z) = (&b.c[..n], &b.d[..n]);
    let ok = simd::softmax_backward(y, dy, &mut b.a[..n]).is_ok()
        && reference::softmax_backward(y, dy, &mut b.b[..n]).is_ok();
    c.expect(ok, format_args!("softmax_backward Err"));
    let dot: f64 = y.iter().zip(dy).map(|(&y, &d)| (y as f64 * d as f64).abs()).sum();
    for i in 0..n {
        let tol = 2.0 * GRAD_EPS * EPS * (y[i] as f64).abs() * ((dy[i] as f64).abs() + dot) + FLUSH;
        near(c, "softmax_backward", i, b.a[i], b.b[i], tol);
    }
    let ok = simd::log_softmax_backward(z, dy, &mut b.a[..n]).is_ok()
        && reference::log_softmax_backward(z, dy, &mut b.b[..n]).is_ok();
    c.expect(ok, format_args!("log_softmax_backward Err"));
    let sum: f64 = dy.iter().map(|&d| (d as f64).abs()).sum();
    for i in 0..n {
        let e = exp_of(z[i]);
        let tol = 2.0 * GRAD_EPS * EPS * ((dy[i] as f64).abs() + e * sum) + FLUSH * (1.0 + sum);
        near(c, "log_softmax_backward", i, b.a[i], b.b[i], tol);
    }
}

/// `exp(z)` for a bound only: the reference's `exp` of one value, in f64.
fn exp_of(z: f32) -> f64 {
    let mut e = [0.0f32];
    let _ = reference::exp(&[z], &mut e);
    e[0] as f64
}

/// The row in three chunks, updated in order and merged as a tree:
/// `finish()` and the chunks' softmax against the whole-row reference.
fn streaming(c: &mut Case<'_>, b: &mut Bufs, n: usize) {
    let x = &b.x[..n];
    let (k1, k2) = (n / 3, 2 * n / 3);
    let mut first = simd::LogSumExp::new();
    first.update(&x[..k1]);
    let mut rest = simd::LogSumExp::new();
    rest.update(&x[k1..k2]);
    let mut last = simd::LogSumExp::new();
    last.update(&x[k2..]);
    rest.merge(&last);
    first.merge(&rest);
    let mut in_order = simd::LogSumExp::new();
    for part in [&x[..k1], &x[k1..k2], &x[k2..]] {
        in_order.update(part);
    }
    let want = reference::logsumexp(x);
    let (m, l) = normaliser(x, 1.0);
    // The chunks round `x_i - m_chunk`: up to `eps |d_i|` more per term.
    let spread: f64 = x.iter().map(|&v| ((v - m) as f64).abs()).fold(0.0, f64::max);
    let tol = 2.0 * LOG_EPS * EPS * ((m as f64).abs() + l) + EPS * spread + FLUSH;
    near(c, "LogSumExp tree", 0, first.finish(), want, tol);
    near(c, "LogSumExp in order", 0, in_order.finish(), want, tol);
    let ok = reference::softmax(x, &mut b.c[..n]).is_ok();
    c.expect(ok, format_args!("softmax Err"));
    for (lo, hi) in [(0, k1), (k1, k2), (k2, n)] {
        let ok = first.softmax_chunk(&x[lo..hi], &mut b.a[lo..hi]).is_ok();
        c.expect(ok, format_args!("softmax_chunk Err"));
    }
    for (i, &v) in x.iter().enumerate() {
        let (a, p) = (b.a[i], b.c[i]);
        let extra = EPS * (p as f64) * ((v - m) as f64).abs();
        let ok = close(a, p, 2 * SOFTMAX_ULP, 2.0 * FLUSH + 2.0 * extra);
        c.expect(ok, format_args!("softmax_chunk[{i}]: {a:e} vs {p:e}"));
    }
}

/// Sparse labels (some rows ignored with `-100`), class weights and
/// smoothing, `Mean`, with per-row losses and the gradient, on rows of a
/// divisor of `n` classes.
fn cross_entropy(c: &mut Case<'_>, b: &mut Bufs, n: usize, rng: &mut XorShift32) {
    let classes = [10usize, 7, 5, 3, 2]
        .into_iter()
        .find(|k| n.is_multiple_of(*k))
        .unwrap_or(n);
    let rows = n / classes;
    let mut labels = [0i64; MAX_N];
    for l in &mut labels[..rows] {
        *l = if rng.bits().is_multiple_of(5) {
            -100
        } else {
            (rng.bits() as usize % classes) as i64
        };
    }
    let mut weights = [0.0f32; MAX_N];
    for w in &mut weights[..classes] {
        *w = 0.25 + 2.0 * rng.unit();
    }
    let (x, labels, weights) = (&b.x[..n], &labels[..rows], &weights[..classes]);
    for smoothing in [0.0, 0.1] {
        let options = CrossEntropy {
            weights: Some(weights),
            ignore_index: Some(-100),
            label_smoothing: smoothing,
            reduction: Reduction::Mean,
        };
        let (mut la, mut lb) = ([0.0f32; MAX_N], [0.0f32; MAX_N]);
        let ra = simd::cross_entropy_rows(x, labels, classes, &options, Some(&mut la[..rows]), Some(&mut b.a[..n]));
        let rb =
            reference::cross_entropy_rows(x, labels, classes, &options, Some(&mut lb[..rows]), Some(&mut b.b[..n]));
        let (&Ok(ma), &Ok(mb)) = (&ra, &rb) else {
            c.fail(format_args!("cross_entropy_rows: {ra:?} vs {rb:?}"));
            return;
        };
        // Per row: the loss within 2 LOG_EPS eps sum_c |coef_c| (|d_c| + l)
        // (`coef` bounded by the label's weight plus the smoothing part);
        // the gradient within 2 GRAD_EPS eps of the same weights over the
        // denominator.
        let (mut div, mut total_tol, mut total) = (0.0f64, 0.0f64, 0.0f64);
        let wsum: f64 = weights.iter().map(|&w| w as f64).sum();
        for (r, &label) in labels.iter().enumerate() {
            if label < 0 {
                continue;
            }
            let row = &x[r * classes..(r + 1) * classes];
            let (m, l) = normaliser(row, 1.0);
            let spread: f64 = row.iter().map(|&v| ((v - m) as f64).abs()).fold(0.0, f64::max);
            let w = weights[label as usize] as f64;
            let coefs = w + smoothing as f64 / classes as f64 * wsum;
            let tol = 2.0 * LOG_EPS * EPS * coefs * (spread + l) + FLUSH;
            near(c, "cross_entropy_rows loss", r, la[r], lb[r], tol);
            div += w;
            total_tol += tol;
            total += (lb[r] as f64).abs();
        }
        let div = if div > 0.0 { div } else { 1.0 };
        near(
            c,
            "cross_entropy_rows mean",
            0,
            ma,
            mb,
            (total_tol + 4.0 * EPS * total) / div,
        );
        let wmax = weights.iter().fold(0.0f32, |a, &w| a.max(w)) as f64;
        let g_tol = 2.0 * GRAD_EPS * EPS * 2.0 * (wmax + smoothing as f64 * wsum) / div + FLUSH;
        for i in 0..n {
            near(c, "cross_entropy_rows grad", i, b.a[i], b.b[i], g_tol);
        }
    }
}

fn special(c: &mut Case<'_>) {
    const INF: f32 = f32::INFINITY;
    let mut out = [7.0f32; 3];
    let _ = simd::softmax_scaled(&[INF, 0.0, INF], 0.5, &mut out);
    c.expect(
        out == [0.5, 0.0, 0.5],
        format_args!("softmax_scaled([inf, 0, inf]) = {out:?}"),
    );
    let _ = simd::softmax_scaled(&[-INF, -INF, -INF], 3.0, &mut out);
    c.expect(out == [0.0; 3], format_args!("softmax_scaled(masked) = {out:?}"));
    let _ = simd::log_softmax_scaled(&[f32::NAN, 0.0, 1.0], 2.0, &mut out);
    c.expect(
        out.iter().all(|v| v.is_nan()),
        format_args!("log_softmax_scaled(NaN row) = {out:?}"),
    );
    let mut s = simd::LogSumExp::new();
    c.expect(s.finish() == -INF, format_args!("empty LogSumExp {}", s.finish()));
    s.update(&[0.0]);
    let mut t = simd::LogSumExp::new();
    t.update(&[-20.0]);
    s.merge(&t);
    c.expect(
        s.finish() == 2.061_153_7e-9,
        format_args!("[0] + [-20]: {:e}", s.finish()),
    );
    c.expect(
        simd::argmax(&[]).is_none() && simd::argmax(&[1.0, f32::NAN]).is_none(),
        format_args!("argmax of an empty or NaN row is None"),
    );
    c.expect(
        simd::argmax(&[1.0, 3.0, 3.0]) == Some(1),
        format_args!("argmax takes the first max"),
    );
}

/// Every bad argument of the training API: an `Err`, nothing written.
macro_rules! errors {
    ($name:ident, $k:path) => {
        fn $name(c: &mut Case<'_>) {
            use $k as k;
            let x = [1.0f32, 2.0, 3.0, 4.0];
            let mut out = [7.0f32; 4];
            for beta in [0.0, -1.0, f32::NAN, f32::INFINITY] {
                c.expect(
                    k::softmax_scaled(&x, beta, &mut out) == Err(Error::InvalidBeta),
                    format_args!("beta {beta}"),
                );
                c.expect(
                    k::log_softmax_scaled(&x, beta, &mut out) == Err(Error::InvalidBeta),
                    format_args!("beta {beta}"),
                );
                c.expect(
                    k::logsumexp_scaled(&x, beta) == Err(Error::InvalidBeta),
                    format_args!("beta {beta}"),
                );
            }
            let short = Err(Error::LengthMismatch {
                expected: 4,
                found: 3,
            });
            c.expect(
                k::softmax_scaled(&x, 1.0, &mut out[..3]) == short,
                format_args!("softmax_scaled length"),
            );
            c.expect(
                k::softmax_backward(&x, &x[..3], &mut out) == short,
                format_args!("softmax_backward dy"),
            );
            c.expect(
                k::log_softmax_backward(&x, &x, &mut out[..3]) == short,
                format_args!("log_softmax_backward dx"),
            );
            let plain = CrossEntropy::default();
            let r = k::cross_entropy_rows(&x, &[0u32, 2], 2, &plain, None, None);
            c.expect(
                r == Err(Error::LabelOutOfRange { label: 2, classes: 2 }),
                format_args!("label 2 of 2: {r:?}"),
            );
            let r = k::cross_entropy_rows(&x, &[0i64, -1], 2, &plain, None, None);
            c.expect(
                matches!(r, Err(Error::NegativeLabel { .. })),
                format_args!("label -1: {r:?}"),
            );
            let bad = CrossEntropy {
                label_smoothing: 1.5,
                ..plain
            };
            let r = k::cross_entropy_rows(&x, &[0u32, 1], 2, &bad, None, Some(&mut out));
            c.expect(
                r == Err(Error::InvalidLabelSmoothing),
                format_args!("smoothing 1.5: {r:?}"),
            );
            let r = k::cross_entropy_rows(&x, &[0u32], 3, &plain, None, None);
            c.expect(
                matches!(r, Err(Error::NotMultipleOfClasses { .. })),
                format_args!("4 values, 3 classes: {r:?}"),
            );
            let ignore = CrossEntropy {
                ignore_index: Some(-100),
                ..plain
            };
            let r = k::cross_entropy_rows_dense(&x, &x, 2, &ignore, None, None);
            c.expect(
                r == Err(Error::IgnoreIndexWithProbabilities),
                format_args!("dense ignore_index: {r:?}"),
            );
            let mut s = k::LogSumExp::new();
            s.update(&x);
            c.expect(
                s.softmax_chunk(&x, &mut out[..3]) == short,
                format_args!("softmax_chunk length"),
            );
            c.expect(out == [7.0; 4], format_args!("an Err wrote {out:?}"));
        }
    };
}

errors!(errors_simd, softmax_simd);
errors!(errors_reference, softmax_simd::reference);
