//! Issue 12's training API (temperature, backward passes, PyTorch's
//! cross-entropy options, streaming logsumexp): held to the PyTorch goldens
//! of tests/data/training/, to the f64 oracle by quickcheck, to every bad
//! argument of docs/SEMANTICS.md, and to the special values.
//!
//! One macro, `training_suite!`, stamps the same suite onto an
//! implementation of `common::check::Training` (memchr style): the
//! reference now, the SIMD kernels with one more line once they exist.

mod common;

use common::check_training::{self as check, Ref, Targets, Training};
use softmax_simd::{CrossEntropy, Error, Label, Reduction};

use common::inputs::{self, Row};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};
use std::collections::HashMap;

const EPS: f64 = f32::EPSILON as f64;
const FLUSH: f64 = f32::MIN_POSITIVE as f64;
/// PyTorch's own float64 rounding, in the goldens' tolerances.
const TORCH: f64 = 8.0 * f64::EPSILON;

fn qc() -> QuickCheck {
    QuickCheck::new().tests(if cfg!(miri) { 3 } else { 200 })
}

fn res(r: Result<(), String>) -> TestResult {
    match r {
        Ok(()) => TestResult::passed(),
        Err(e) => TestResult::error(e),
    }
}

// ------------------------------------------------------------------ goldens

/// One `case ... end` block: each keyword's lines of tokens.
struct Case(HashMap<String, Vec<Vec<String>>>);

impl Case {
    fn lines(&self, key: &str) -> &[Vec<String>] {
        self.0.get(key).map_or(&[], |v| v.as_slice())
    }
    fn one(&self, key: &str) -> &str {
        &self.lines(key)[0][0]
    }
    fn f32s(&self, key: &str) -> Vec<f32> {
        self.lines(key)
            .iter()
            .flatten()
            .map(|t| t.parse::<f32>().unwrap())
            .collect()
    }
    fn f64s(&self, key: &str) -> Vec<f64> {
        self.lines(key)
            .iter()
            .flatten()
            .map(|t| t.parse::<f64>().unwrap())
            .collect()
    }
    fn usize(&self, key: &str) -> usize {
        self.one(key).parse().unwrap()
    }
}

/// The cases of one golden file, compiled in (so the tests need no file
/// system: wasm32-wasip1 and qemu runs included).
fn goldens(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut cur: Option<HashMap<String, Vec<Vec<String>>>> = None;
    let mut declared = 0;
    for line in text.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut t = line.split_whitespace().map(str::to_owned);
        let key = t.next().unwrap();
        match key.as_str() {
            "cases" => declared = t.next().unwrap().parse().unwrap(),
            "case" => cur = Some(HashMap::new()),
            "end" => cases.push(Case(cur.take().unwrap())),
            _ => {
                if let Some(c) = cur.as_mut() {
                    c.entry(key).or_default().push(t.collect());
                }
            }
        }
    }
    assert_eq!(cases.len(), declared, "a golden file declares {declared} cases");
    assert!(declared > 0);
    cases
}

/// The worst error seen, as a fraction of its tolerance, and in units of
/// `eps` of the output's own magnitude where that is at least 1e-3
/// (printed with `--nocapture`).
#[derive(Default)]
struct Worst {
    ratio: f64,
    rel_eps: f64,
    checked: usize,
}

impl Worst {
    fn check(&mut self, what: &str, got: f32, want: f64, tol: f64) {
        self.checked += 1;
        if (got as f64) == want || (got.is_nan() && want.is_nan()) {
            return;
        }
        let err = (got as f64 - want).abs();
        assert!(
            err <= tol,
            "{what}: {got:e} vs PyTorch {want:e}, error {err:e} > tolerance {tol:e}"
        );
        self.ratio = self.ratio.max(err / tol);
        if want.abs() >= 1e-3 {
            self.rel_eps = self.rel_eps.max(err / want.abs() / EPS);
        }
    }
    fn report(&self, what: &str) {
        assert!(self.checked > 0);
        println!(
            "{what}: {} values, worst error {:.3} of its tolerance, {:.2} eps relative (outputs >= 1e-3)",
            self.checked, self.ratio, self.rel_eps
        );
    }
}

/// `sum_j p_j |t_j|` of a row (`t = beta * (x - max)` exact): how much the
/// f32 roundings of `x_i - m` (and of `beta * d_i`) may move the normaliser,
/// the inherent error of every f32 implementation that the f64 goldens do
/// not share.
fn inherent(t: &[f64]) -> f64 {
    let m = t.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = t.iter().map(|v| (v - m).exp()).sum();
    t.iter()
        .filter(|v| v.is_finite())
        .map(|v| (v - m).exp() / s * (v - m).abs())
        .sum()
}

use common::check::{GRAD_EPS, LOG_EPS, SOFTMAX_ULP};

/// A golden cross-entropy case's options and targets, for both reductions.
fn golden_xent<K: Training>(c: &Case, worst: &mut [Worst; 3]) {
    let (rows, classes) = (c.usize("rows"), c.usize("classes"));
    let x = c.f32s("x");
    let weights = (c.one("weights") != "none").then(|| c.f32s("weights"));
    let ignore_index = (c.one("ignore_index") != "none").then(|| c.one("ignore_index").parse::<i64>().unwrap());
    let e: f32 = c.one("smoothing").parse().unwrap();
    let index = c.one("targets") == "index";
    let labels: Vec<i64> = if index {
        c.lines("labels")[0].iter().map(|t| t.parse().unwrap()).collect()
    } else {
        vec![]
    };
    let y = c.f32s("y");
    let (loss_none, loss_sum, loss_mean) = (c.f64s("loss_none"), c.f64s("loss_sum")[0], c.f64s("loss_mean")[0]);
    let (grad_sum, grad_mean, div) = (c.f64s("grad_sum"), c.f64s("grad_mean"), c.f64s("mean_div")[0]);
    // The tolerances, from the exact rows and PyTorch's coefficients.
    let (mut row_tol, mut grad_tol) = (vec![0.0; rows], vec![0.0; rows * classes]);
    for r in 0..rows {
        let xr: Vec<f64> = x[r * classes..(r + 1) * classes].iter().map(|&v| v as f64).collect();
        let ignored = index && ignore_index == Some(labels[r]);
        if ignored || xr.iter().all(|v| *v == f64::NEG_INFINITY) {
            continue;
        }
        let m = xr.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        // Masked entries (-inf, probability 0, coefficient 0) count 0 in
        // the tolerances.
        let d: Vec<f64> = xr.iter().map(|v| if v.is_finite() { v - m } else { -1e300 }).collect();
        let s: f64 = d.iter().map(|v| v.exp()).sum();
        let (l, inh) = (s.ln(), inherent(&xr));
        let p: Vec<f64> = d.iter().map(|v| v.exp() / s).collect();
        let w = |k: usize| weights.as_ref().map_or(1.0, |w| w[k] as f64);
        let ef = e as f64;
        let (hot, spread): (Option<(usize, f64)>, Vec<f64>) = if index {
            let t = labels[r] as usize;
            (
                Some((t, (1.0 - ef) * w(t))),
                (0..classes).map(|k| ef / classes as f64 * w(k)).collect(),
            )
        } else {
            let yr = &y[r * classes..(r + 1) * classes];
            (
                None,
                (0..classes)
                    .map(|k| w(k) * ((1.0 - ef) * yr[k] as f64 + ef / classes as f64))
                    .collect(),
            )
        };
        let coef = |k: usize| spread[k] + hot.filter(|h| h.0 == k).map_or(0.0, |h| h.1);
        // PyTorch's own float64 roundings (log of a sum near 1, x - lse) are
        // about f64::EPSILON absolute per unit of coefficient.
        row_tol[r] = (0..classes)
            .filter(|&k| coef(k) != 0.0)
            .map(|k| coef(k).abs() * (LOG_EPS * EPS * (d[k].abs() + l + inh) + TORCH * (1.0 + d[k].abs() + l)))
            .sum::<f64>()
            + FLUSH;
        let spread_abs: f64 = spread.iter().map(|v| v.abs()).sum();
        for j in 0..classes {
            let (hot_mag, spread_d) = match hot {
                Some((t, h)) if t == j => {
                    let others: f64 = (0..classes).filter(|&k| k != t).map(|k| p[k]).sum();
                    let avg =
                        (0..classes).filter(|&k| k != t).map(|k| p[k] * d[k].abs()).sum::<f64>() / others.max(1e-300);
                    (h.abs() * others * (1.0 + avg + inh), 0.0)
                }
                Some((_, h)) => (h.abs() * p[j] * (1.0 + d[j].abs() + inh), 0.0),
                None => (0.0, 0.0),
            };
            grad_tol[r * classes + j] =
                GRAD_EPS * EPS * (hot_mag + spread_abs * p[j] * (1.0 + d[j].abs() + inh) + spread[j].abs() + spread_d)
                    + TORCH * (hot.map_or(0.0, |h| h.1.abs()) + spread_abs)
                    + FLUSH;
        }
    }
    for reduction in [Reduction::Sum, Reduction::Mean] {
        let options = CrossEntropy {
            weights: weights.as_deref(),
            ignore_index,
            label_smoothing: e,
            reduction,
        };
        let (mut losses, mut grad) = (vec![f32::NAN; rows], vec![f32::NAN; rows * classes]);
        let total = if !index {
            K::cross_entropy_rows_dense(&x, &y, classes, &options, Some(&mut losses), Some(&mut grad))
        } else if c.one("label_type") == "i64" {
            K::cross_entropy_rows(&x, &labels, classes, &options, Some(&mut losses), Some(&mut grad))
        } else {
            let l: Vec<usize> = labels.iter().map(|&v| v as usize).collect();
            K::cross_entropy_rows(&x, &l, classes, &options, Some(&mut losses), Some(&mut grad))
        }
        .unwrap();
        for r in 0..rows {
            worst[0].check(
                &format!("{} row {r} loss", K::NAME),
                losses[r],
                loss_none[r],
                row_tol[r],
            );
        }
        let sum_tol: f64 = row_tol.iter().sum::<f64>() + EPS * loss_none.iter().map(|v| v.abs()).sum::<f64>();
        let (want, tol, d, want_grad) = match reduction {
            Reduction::Sum => (loss_sum, sum_tol, 1.0, grad_sum.clone()),
            Reduction::Mean if grad_mean.is_empty() => (
                loss_mean,
                (sum_tol + 3.0 * EPS * loss_sum.abs()) / div,
                div,
                grad_sum.iter().map(|g| g / div).collect(),
            ),
            Reduction::Mean => (
                loss_mean,
                (sum_tol + 3.0 * EPS * loss_sum.abs()) / div,
                div,
                grad_mean.clone(),
            ),
        };
        if div == 0.0 && reduction == Reduction::Mean {
            // Nothing counted: PyTorch's 0 / 0; ignored rows' gradient zero,
            // counted rows' (weight 0) NaN.
            assert!(
                want.is_nan() && total.is_nan(),
                "zero denominator: {total}, PyTorch {want}"
            );
            let same = |(&g, &w): (&f32, &f64)| g as f64 == w || (g.is_nan() && w.is_nan());
            assert!(
                grad.iter().zip(&want_grad).all(same),
                "zero denominator: {grad:?}, PyTorch {want_grad:?}"
            );
            continue;
        }
        worst[1].check(&format!("{} {reduction:?}", K::NAME), total, want, tol);
        for (i, (&g, &w)) in grad.iter().zip(&want_grad).enumerate() {
            worst[2].check(
                &format!("{} {reduction:?} grad[{i}]", K::NAME),
                g,
                w,
                grad_tol[i] / d.abs(),
            );
        }
    }
}

// ------------------------------------------------------------ quickcheck inputs

/// A `beta` from 0.01 to 100 (log-uniform), now and then 1 exactly or an
/// invalid one (0, negative, NaN, infinite).
#[derive(Clone, Copy, Debug)]
struct Beta(f32);

impl Arbitrary for Beta {
    fn arbitrary(g: &mut Gen) -> Self {
        let u = (u32::arbitrary(g) >> 8) as f32 / (1u32 << 24) as f32;
        Beta(match u32::arbitrary(g) % 16 {
            0 => *g
                .choose(&[0.0, -1.0, f32::NAN, f32::INFINITY, -0.0, f32::NEG_INFINITY])
                .unwrap(),
            1 => 1.0,
            _ => 10f32.powf(4.0 * u - 2.0),
        })
    }
}

/// Labels of a random integer type (all seven `Label` types).
#[derive(Clone, Debug)]
enum AnyLabels {
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    Usize(Vec<usize>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

/// A batch for the cross-entropies: logits, `classes`, labels of a random
/// type (some ignored, now and then a bad one), probability targets, and
/// random options (weights, smoothing now and then invalid, ignore_index,
/// reduction), now and then a length wrong.
#[derive(Clone)]
struct Batch {
    x: Vec<f32>,
    classes: usize,
    labels: AnyLabels,
    y: Vec<f32>,
    weights: Option<Vec<f32>>,
    ignore_index: Option<i64>,
    smoothing: f32,
    reduction: Reduction,
    /// Keep `ignore_index` for the probability targets too (an `Err` there).
    dense_ignore: bool,
}

impl core::fmt::Debug for Batch {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let head: Vec<f32> = self.x.iter().copied().take(12).collect();
        write!(
            f,
            "Batch {{ n = {}, classes {}, x[..12] {head:?}, labels {:?}, weights {:?}, ignore {:?}, e {}, {:?} }}",
            self.x.len(),
            self.classes,
            self.labels,
            self.weights.as_ref().map(|w| &w[..w.len().min(8)]),
            self.ignore_index,
            self.smoothing,
            self.reduction
        )
    }
}

impl Arbitrary for Batch {
    fn arbitrary(g: &mut Gen) -> Self {
        let row = Row::arbitrary(g);
        let classes = match u32::arbitrary(g) % 10 {
            0 => 0,
            1 => 1 + usize::arbitrary(g) % 1100,
            2 => 1,
            _ => 1 + usize::arbitrary(g) % 40,
        };
        let mut x = row.x;
        if classes > 0 && u32::arbitrary(g) % 8 != 0 {
            x.truncate(x.len() - x.len() % classes);
        }
        let rows = x.len().checked_div(classes).unwrap_or(0);
        let c = classes.max(1) as i64;
        let ignore_index = match u32::arbitrary(g) % 4 {
            0 => None,
            1 => Some(-100),
            _ => Some(i64::arbitrary(g).rem_euclid(c)),
        };
        let mut vals: Vec<i64> = (0..rows)
            .map(|_| match u32::arbitrary(g) % 6 {
                0 => ignore_index.unwrap_or(0),
                _ => i64::arbitrary(g).rem_euclid(c),
            })
            .collect();
        match u32::arbitrary(g) % 16 {
            0 if rows > 0 => vals[rows - 1] = c + i64::arbitrary(g).rem_euclid(3),
            1 if rows > 0 => vals[0] = -1 - i64::arbitrary(g).rem_euclid(200),
            2 => vals.push(0),
            _ => {}
        }
        // Values that a type cannot hold become its max (an out-of-range label).
        fn conv<T: TryFrom<i64> + Copy>(v: &[i64], max: T) -> Vec<T> {
            v.iter().map(|&v| T::try_from(v).unwrap_or(max)).collect()
        }
        let labels = match u32::arbitrary(g) % 7 {
            0 => AnyLabels::U8(conv(&vals, u8::MAX)),
            1 => AnyLabels::U16(conv(&vals, u16::MAX)),
            2 => AnyLabels::U32(conv(&vals, u32::MAX)),
            3 => AnyLabels::U64(conv(&vals, u64::MAX)),
            4 => AnyLabels::Usize(conv(&vals, usize::MAX)),
            5 => AnyLabels::I32(conv(&vals, i32::MAX)),
            _ => AnyLabels::I64(vals),
        };
        let mut y = inputs::labels(g, x.len());
        if u32::arbitrary(g) % 16 == 0 {
            y.push(0.5);
        }
        let weights = match u32::arbitrary(g) % 4 {
            0 | 1 => None,
            2 => Some(
                (0..classes)
                    .map(|_| (u32::arbitrary(g) % 1000) as f32 / 250.0)
                    .collect(),
            ),
            _ => Some(
                (0..classes + usize::from(u32::arbitrary(g) % 8 == 0))
                    .map(|_| 1.0 + (u32::arbitrary(g) % 7) as f32)
                    .collect(),
            ),
        };
        let smoothing = match u32::arbitrary(g) % 12 {
            0..=3 => 0.0,
            4 => 1.0,
            5 => *g.choose(&[-0.25, 1.5, f32::NAN, f32::INFINITY]).unwrap(),
            _ => (u32::arbitrary(g) % 1000) as f32 / 1000.0,
        };
        let reduction = if bool::arbitrary(g) {
            Reduction::Sum
        } else {
            Reduction::Mean
        };
        Batch {
            x,
            classes,
            labels,
            y,
            weights,
            ignore_index,
            smoothing,
            reduction,
            dense_ignore: u32::arbitrary(g) % 4 == 0,
        }
    }
}

impl Batch {
    fn options(&self) -> CrossEntropy<'_> {
        CrossEntropy {
            weights: self.weights.as_deref(),
            ignore_index: self.ignore_index,
            label_smoothing: self.smoothing,
            reduction: self.reduction,
        }
    }
    fn check_index<K: Training>(&self) -> Result<(), String> {
        fn go<K: Training, L: Label>(b: &Batch, l: &[L]) -> Result<(), String> {
            check::check_xent::<K, L>(&b.x, &Targets::Labels(l), b.classes, &b.options())
        }
        match &self.labels {
            AnyLabels::U8(l) => go::<K, _>(self, l),
            AnyLabels::U16(l) => go::<K, _>(self, l),
            AnyLabels::U32(l) => go::<K, _>(self, l),
            AnyLabels::U64(l) => go::<K, _>(self, l),
            AnyLabels::Usize(l) => go::<K, _>(self, l),
            AnyLabels::I32(l) => go::<K, _>(self, l),
            AnyLabels::I64(l) => go::<K, _>(self, l),
        }
    }
    fn check_dense<K: Training>(&self) -> Result<(), String> {
        let mut o = self.options();
        if !self.dense_ignore {
            o.ignore_index = None; // mostly valid: ignore_index is an Err here
        }
        check::check_xent::<K, u8>(&self.x, &Targets::Dense(&self.y), self.classes, &o)
    }
}

/// A row, cuts into chunks, and a merge-tree seed.
#[derive(Clone, Debug)]
struct Split {
    row: Row,
    cuts: Vec<usize>,
    seed: u64,
}

impl Arbitrary for Split {
    fn arbitrary(g: &mut Gen) -> Self {
        let row = Row::arbitrary(g);
        let n = row.x.len();
        let k = usize::arbitrary(g) % if u32::arbitrary(g) % 4 == 0 { 200 } else { 9 };
        let cuts = (0..k).map(|_| usize::arbitrary(g) % (n + 1)).collect();
        Split {
            row,
            cuts,
            seed: u64::arbitrary(g),
        }
    }
}

// ------------------------------------------------------------------ the suite

/// Sentinel-filled buffers, an `Err` expected, nothing written.
fn assert_xent_err<K: Training, L: Label>(
    what: &str,
    logits: &[f32],
    targets: Targets<'_, L>,
    classes: usize,
    o: &CrossEntropy<'_>,
    (losses, grad): (usize, usize),
    want: Error,
) {
    let (mut l, mut g) = (vec![7.0f32; losses], vec![7.0f32; grad]);
    let r = check::run_xent::<K, L>(logits, &targets, classes, o, Some(&mut l), Some(&mut g));
    assert_eq!(r, Err(want.clone()), "{what} ({})", K::NAME);
    assert!(l.iter().chain(&g).all(|&v| v == 7.0), "{what}: written before the Err");
    let r = check::run_xent::<K, L>(logits, &targets, classes, o, None, None);
    // Without outputs, an error about an output's length cannot arise.
    if !matches!(what, "losses" | "grad") {
        assert_eq!(r, Err(want), "{what} without outputs ({})", K::NAME);
    }
}

macro_rules! training_suite {
    ($name:ident, $k:ty) => {
        mod $name {
            use super::*;
            type K = $k;

            #[test]
            fn golden_cross_entropy() {
                let mut worst: [Worst; 3] = Default::default();
                for c in goldens(include_str!("data/training/cross_entropy.txt")) {
                    golden_xent::<K>(&c, &mut worst);
                }
                worst[0].report("cross-entropy per-row losses vs PyTorch");
                worst[1].report("cross-entropy Sum/Mean vs PyTorch");
                worst[2].report("cross-entropy gradients vs PyTorch");
            }

            #[test]
            fn golden_backward() {
                let mut worst = Worst::default();
                for c in goldens(include_str!("data/training/backward.txt")) {
                    let (y, dy, dx) = (c.f32s("y"), c.f32s("dy"), c.f64s("dx"));
                    let mut got = vec![0.0; y.len()];
                    let softmax = c.one("op") == "softmax";
                    let f = if softmax {
                        K::softmax_backward
                    } else {
                        K::log_softmax_backward
                    };
                    f(&y, &dy, &mut got).unwrap();
                    let dot: f64 = y
                        .iter()
                        .zip(&dy)
                        .map(|(&a, &b)| (a as f64 * b as f64).abs())
                        .sum();
                    let dsum: f64 = dy.iter().map(|&b| (b as f64).abs()).sum();
                    for i in 0..y.len() {
                        let scale = if softmax {
                            (y[i] as f64).abs() * ((dy[i] as f64).abs() + dot)
                        } else {
                            (dy[i] as f64).abs() + (y[i] as f64).exp() * dsum
                        };
                        let tol = (check::BACKWARD_EPS * EPS + TORCH) * scale + FLUSH;
                        worst.check(&format!("{} {} [{i}]", K::NAME, c.one("op")), got[i], dx[i], tol);
                    }
                }
                worst.report("backward passes vs PyTorch");
            }

            #[test]
            fn golden_scaled() {
                let mut worst: [Worst; 3] = Default::default();
                for c in goldens(include_str!("data/training/scaled.txt")) {
                    let x = c.f32s("x");
                    let beta: f32 = c.one("beta").parse().unwrap();
                    let n = x.len();
                    let (mut p, mut z) = (vec![0.0; n], vec![0.0; n]);
                    K::softmax_scaled(&x, beta, &mut p).unwrap();
                    K::log_softmax_scaled(&x, beta, &mut z).unwrap();
                    let lse = K::logsumexp_scaled(&x, beta).unwrap();
                    let (wp, wz, wl) = (c.f64s("softmax"), c.f64s("log_softmax"), c.f64s("logsumexp")[0]);
                    // t = beta (x - max) exactly; the f32 roundings of x - m and
                    // beta * d are inherent (up to eps |t_i| relative in exp).
                    let bx: Vec<f64> = x.iter().map(|&v| beta as f64 * v as f64).collect();
                    let m = bx.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let inh = inherent(&bx);
                    let l = wl - m;
                    for i in 0..n {
                        let t = (bx[i] - m).abs();
                        let tol_p = EPS * wp[i] * (2.0 * SOFTMAX_ULP as f64 + t + inh) + TORCH * wp[i] + FLUSH;
                        worst[0].check("softmax_scaled", p[i], wp[i], tol_p);
                        let tol_z = LOG_EPS * EPS * (t + l + inh) + TORCH * (1.0 + t + l) + FLUSH;
                        worst[1].check("log_softmax_scaled", z[i], wz[i], tol_z);
                    }
                    worst[2].check(
                        "logsumexp_scaled",
                        lse,
                        wl,
                        LOG_EPS * EPS * (m.abs() + l + inh) + FLUSH,
                    );
                }
                worst[0].report("softmax_scaled vs torch.softmax(beta * x)");
                worst[1].report("log_softmax_scaled vs torch");
                worst[2].report("logsumexp_scaled vs torch");
            }

            #[test]
            fn scaled_matches_f64() {
                qc().quickcheck(
                    (|r: Row, b: Beta| res(check::check_scaled::<K>(&r.x, b.0))) as fn(Row, Beta) -> TestResult,
                );
            }

            #[test]
            fn scaled_rows_match_single_rows() {
                fn prop(r: Row, c: u16, b: Beta) -> TestResult {
                    let classes = usize::from(c % 50);
                    let mut x = r.x;
                    if classes > 0 && c % 3 != 0 {
                        x.truncate(x.len() - x.len() % classes);
                    }
                    res(check::check_scaled_rows::<K>(&x, classes, b.0))
                }
                qc().quickcheck(prop as fn(Row, u16, Beta) -> TestResult);
            }

            #[test]
            fn backward_matches_f64() {
                fn prop(r: Row, d: Row, c: u16, as_softmax: bool) -> TestResult {
                    let n = r.x.len();
                    // The forward output, or arbitrary values.
                    let mut y = r.x.clone();
                    if as_softmax {
                        let _ = softmax_simd::reference::softmax_in_place(&mut y);
                    }
                    let mut dy: Vec<f32> = d.x.iter().copied().cycle().take(n).collect();
                    if d.x.is_empty() {
                        dy = vec![1.0; n];
                    }
                    if c % 17 == 0 {
                        dy.push(0.0);
                    }
                    let classes = usize::from(c % 40);
                    res(check::check_backward::<K>(&y, &dy, classes))
                }
                qc().quickcheck(prop as fn(Row, Row, u16, bool) -> TestResult);
                // log_softmax outputs as z.
                fn prop_log(r: Row, d: Row) -> TestResult {
                    let mut z = r.x.clone();
                    softmax_simd::reference::log_softmax_in_place(&mut z);
                    let dz: Vec<f32> = d.x.iter().copied().cycle().take(z.len()).collect();
                    if dz.len() != z.len() {
                        return TestResult::discard();
                    }
                    res(check::check_backward::<K>(&z, &dz, 1))
                }
                qc().quickcheck(prop_log as fn(Row, Row) -> TestResult);
            }

            #[test]
            fn cross_entropy_index_matches_f64() {
                qc().quickcheck((|b: Batch| res(b.check_index::<K>())) as fn(Batch) -> TestResult);
            }

            #[test]
            fn cross_entropy_dense_matches_f64() {
                qc().quickcheck((|b: Batch| res(b.check_dense::<K>())) as fn(Batch) -> TestResult);
            }

            #[test]
            fn streaming_any_split_any_merge_tree() {
                qc().quickcheck(
                    (|s: Split| res(check::check_streaming::<K>(&s.row.x, &s.cuts, s.seed))) as fn(Split) -> TestResult,
                );
            }

            #[test]
            fn argmax_first_max() {
                qc().quickcheck((|r: Row| res(check::check_argmax::<K>(&r.x))) as fn(Row) -> TestResult);
                assert_eq!(K::argmax(&[]), None);
                assert_eq!(K::argmax(&[f32::NEG_INFINITY, f32::NEG_INFINITY]), Some(0));
                assert_eq!(K::argmax(&[0.0, f32::INFINITY, f32::INFINITY]), Some(1));
                assert_eq!(K::argmax(&[-0.0, 0.0]), Some(0));
                assert_eq!(K::argmax(&[3.0, f32::NAN, 4.0]), None);
            }

            // ---- docs/SEMANTICS.md's bad arguments, one test a row, both targets.

            const X: [f32; 6] = [1.0, 2.0, 3.0, 0.5, -1.0, 0.0];
            const Y: [f32; 6] = [0.0, 1.0, 0.0, 0.25, 0.25, 0.5];

            #[test]
            fn err_no_classes() {
                let o = CrossEntropy::default();
                assert_xent_err::<K, usize>(
                    "no classes",
                    &X,
                    Targets::Labels(&[0, 1]),
                    0,
                    &o,
                    (2, 6),
                    Error::NoClasses,
                );
                assert_xent_err::<K, u8>(
                    "no classes",
                    &X,
                    Targets::Dense(&Y),
                    0,
                    &o,
                    (2, 6),
                    Error::NoClasses,
                );
                assert_xent_err::<K, u8>(
                    "no classes",
                    &[],
                    Targets::Dense(&[]),
                    0,
                    &o,
                    (0, 0),
                    Error::NoClasses,
                );
            }

            #[test]
            fn err_not_whole_rows() {
                let o = CrossEntropy::default();
                let e = Error::NotMultipleOfClasses { len: 6, classes: 4 };
                assert_xent_err::<K, usize>(
                    "not whole rows",
                    &X,
                    Targets::Labels(&[0]),
                    4,
                    &o,
                    (1, 6),
                    e.clone(),
                );
                assert_xent_err::<K, u8>("not whole rows", &X, Targets::Dense(&Y), 4, &o, (1, 6), e);
            }

            #[test]
            fn err_labels_length() {
                let o = CrossEntropy::default();
                let e = Error::LengthMismatch {
                    expected: 2,
                    found: 3,
                };
                assert_xent_err::<K, u32>("labels", &X, Targets::Labels(&[0, 1, 2]), 3, &o, (2, 6), e);
            }

            #[test]
            fn err_targets_length() {
                let o = CrossEntropy::default();
                let e = Error::LengthMismatch {
                    expected: 6,
                    found: 5,
                };
                assert_xent_err::<K, u8>("targets", &X, Targets::Dense(&Y[..5]), 3, &o, (2, 6), e);
            }

            #[test]
            fn err_weights_length() {
                let w = [1.0f32; 4];
                let o = CrossEntropy {
                    weights: Some(&w),
                    ..CrossEntropy::default()
                };
                let e = Error::LengthMismatch {
                    expected: 3,
                    found: 4,
                };
                assert_xent_err::<K, i32>("weights", &X, Targets::Labels(&[0, 1]), 3, &o, (2, 6), e.clone());
                assert_xent_err::<K, u8>("weights", &X, Targets::Dense(&Y), 3, &o, (2, 6), e);
            }

            #[test]
            fn err_losses_length() {
                let o = CrossEntropy::default();
                let e = Error::LengthMismatch {
                    expected: 2,
                    found: 3,
                };
                assert_xent_err::<K, u16>("losses", &X, Targets::Labels(&[0, 1]), 3, &o, (3, 6), e.clone());
                assert_xent_err::<K, u8>("losses", &X, Targets::Dense(&Y), 3, &o, (3, 6), e);
            }

            #[test]
            fn err_grad_length() {
                let o = CrossEntropy::default();
                let e = Error::LengthMismatch {
                    expected: 6,
                    found: 5,
                };
                assert_xent_err::<K, u64>("grad", &X, Targets::Labels(&[0, 1]), 3, &o, (2, 5), e.clone());
                assert_xent_err::<K, u8>("grad", &X, Targets::Dense(&Y), 3, &o, (2, 5), e);
            }

            #[test]
            fn err_label_out_of_range() {
                let o = CrossEntropy {
                    ignore_index: Some(-100),
                    ..CrossEntropy::default()
                };
                let e = Error::LabelOutOfRange { label: 3, classes: 3 };
                assert_xent_err::<K, usize>(
                    "label >= C",
                    &X,
                    Targets::Labels(&[0, 3]),
                    3,
                    &o,
                    (2, 6),
                    e.clone(),
                );
                assert_xent_err::<K, u8>("label >= C", &X, Targets::Labels(&[3, 0]), 3, &o, (2, 6), e);
                // The ignore_index itself is no error, in range or not.
                for ignore in [5i64, 1] {
                    let o = CrossEntropy {
                        ignore_index: Some(ignore),
                        ..o
                    };
                    let l = [ignore as u64, 0];
                    assert!(K::cross_entropy_rows(&X, &l, 3, &o, None, None).is_ok());
                }
            }

            #[test]
            fn err_negative_label() {
                let o = CrossEntropy {
                    ignore_index: Some(-100),
                    ..CrossEntropy::default()
                };
                let e = Error::NegativeLabel {
                    label: -1,
                    classes: 3,
                };
                assert_xent_err::<K, i64>("negative label", &X, Targets::Labels(&[0, -1]), 3, &o, (2, 6), e);
                let o = CrossEntropy::default();
                let e = Error::NegativeLabel {
                    label: -100,
                    classes: 3,
                };
                assert_xent_err::<K, i32>(
                    "-100 not ignored",
                    &X,
                    Targets::Labels(&[-100, 0]),
                    3,
                    &o,
                    (2, 6),
                    e,
                );
            }

            #[test]
            fn err_label_smoothing() {
                for e in [
                    -0.1f32,
                    1.0000001,
                    2.0,
                    f32::NAN,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                ] {
                    let o = CrossEntropy {
                        label_smoothing: e,
                        ..CrossEntropy::default()
                    };
                    let want = Error::InvalidLabelSmoothing;
                    assert_xent_err::<K, usize>(
                        "smoothing",
                        &X,
                        Targets::Labels(&[0, 1]),
                        3,
                        &o,
                        (2, 6),
                        want.clone(),
                    );
                    assert_xent_err::<K, u8>("smoothing", &X, Targets::Dense(&Y), 3, &o, (2, 6), want);
                }
                for e in [0.0f32, 1.0] {
                    let o = CrossEntropy {
                        label_smoothing: e,
                        ..CrossEntropy::default()
                    };
                    assert!(K::cross_entropy_rows(&X, &[0usize, 1], 3, &o, None, None).is_ok());
                }
            }

            #[test]
            fn err_ignore_index_with_probabilities() {
                let o = CrossEntropy {
                    ignore_index: Some(-100),
                    ..CrossEntropy::default()
                };
                let e = Error::IgnoreIndexWithProbabilities;
                assert_xent_err::<K, u8>("dense ignore_index", &X, Targets::Dense(&Y), 3, &o, (2, 6), e);
            }

            #[test]
            fn err_invalid_beta() {
                for beta in [0.0f32, -0.0, -1.0, f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                    check::check_scaled::<K>(&X, beta).unwrap();
                    check::check_scaled::<K>(&[], beta).unwrap();
                    check::check_scaled_rows::<K>(&X, 3, beta).unwrap();
                    check::check_scaled_rows::<K>(&X, 0, beta).unwrap();
                }
            }

            #[test]
            fn err_backward_lengths() {
                let y = [0.25f32, 0.75, 0.5, 0.5];
                for dy_len in [3, 5] {
                    let dy = vec![1.0f32; dy_len];
                    check::check_backward::<K>(&y, &dy, 2).unwrap();
                }
                type F = fn(&[f32], &[f32], &mut [f32]) -> Result<(), Error>;
                type R = fn(&[f32], &[f32], usize, &mut [f32]) -> Result<(), Error>;
                for f in [K::softmax_backward as F, K::log_softmax_backward] {
                    let mut dx = [7.0f32; 3];
                    assert_eq!(
                        f(&y, &y, &mut dx),
                        Err(Error::LengthMismatch {
                            expected: 4,
                            found: 3
                        })
                    );
                    assert_eq!(dx, [7.0; 3]);
                }
                for f in [K::softmax_backward_rows as R, K::log_softmax_backward_rows] {
                    let mut dx = [7.0f32; 4];
                    assert_eq!(
                        f(&y, &y, 3, &mut dx),
                        Err(Error::NotMultipleOfClasses { len: 4, classes: 3 })
                    );
                    assert_eq!(f(&y, &y, 0, &mut dx), Err(Error::NoClasses));
                    assert_eq!(
                        f(&y, &y[..2], 2, &mut dx),
                        Err(Error::LengthMismatch {
                            expected: 4,
                            found: 2
                        })
                    );
                    assert_eq!(
                        f(&y, &y, 2, &mut dx[..3]),
                        Err(Error::LengthMismatch {
                            expected: 4,
                            found: 3
                        })
                    );
                    assert_eq!(dx, [7.0; 4]);
                }
            }

            #[test]
            fn err_streaming_chunk_length() {
                let mut s = K::lse_new();
                K::lse_update(&mut s, &X);
                let mut out = [7.0f32; 5];
                assert_eq!(
                    K::lse_softmax_chunk(&s, &X, &mut out),
                    Err(Error::LengthMismatch {
                        expected: 6,
                        found: 5
                    })
                );
                assert_eq!(
                    K::lse_log_softmax_chunk(&s, &X, &mut out),
                    Err(Error::LengthMismatch {
                        expected: 6,
                        found: 5
                    })
                );
                assert_eq!(out, [7.0; 5]);
            }

            // ---- Special values (docs/SEMANTICS.md).

            #[test]
            fn scaled_special_values() {
                let inf = f32::INFINITY;
                let mut p = [0.0f32; 3];
                K::softmax_scaled(&[inf, inf, 0.0], 0.01, &mut p).unwrap();
                assert_eq!(p, [0.5, 0.5, 0.0]);
                K::log_softmax_scaled(&[inf, 0.0, -inf], 30.0, &mut p).unwrap();
                assert_eq!(p, [0.0, -inf, -inf]);
                K::softmax_scaled(&[-inf, -inf, -inf], 2.0, &mut p).unwrap();
                assert_eq!(p, [0.0; 3]);
                K::softmax_scaled(&[f32::NAN, 0.0, 1.0], 2.0, &mut p).unwrap();
                assert!(p.iter().all(|v| v.is_nan()));
                assert_eq!(K::logsumexp_scaled(&[], 3.0), Ok(-inf));
                assert_eq!(K::logsumexp_scaled(&[inf, -inf], 3.0), Ok(inf));
                assert!(K::logsumexp_scaled(&[f32::NAN, inf], 3.0).unwrap().is_nan());
                // The S - 1 form: exp(-20) survives next to 1.
                assert_eq!(K::logsumexp_scaled(&[0.0, -20.0], 1.0), Ok(2.0611537e-9));
                assert_eq!(K::logsumexp_scaled(&[0.0, -10.0], 2.0), Ok(2.0611537e-9));
                // A large offset never meets beta in a rounding.
                let mut q = [0.0f32; 2];
                K::softmax_scaled(&[1e4 + 1.0, 1e4], 0.5, &mut q).unwrap();
                let want = 1.0 / (1.0 + (-0.5f64).exp());
                assert!(((q[0] as f64) - want).abs() < 2e-7, "{q:?}");
            }

            #[test]
            fn cross_entropy_special_values() {
                let (inf, ln2) = (f32::INFINITY, core::f32::consts::LN_2);
                let o = CrossEntropy {
                    reduction: Reduction::Sum,
                    ..CrossEntropy::default()
                };
                let mut g = [0.0f32; 3];
                // Dense, 0 * inf := 0.
                let l = K::cross_entropy_rows_dense(&[-inf, 0.0, 0.0], &[0.0, 1.0, 0.0], 3, &o, None, Some(&mut g));
                assert_eq!((l, g), (Ok(ln2), [0.0, -0.5, 0.5]));
                // Sparse, label on a -inf logit.
                let l = K::cross_entropy_rows(&[-inf, 0.0, 0.0], &[0u8], 3, &o, None, Some(&mut g));
                assert_eq!((l, g), (Ok(inf), [-1.0, 0.5, 0.5]));
                // A fully masked row.
                let l = K::cross_entropy_rows(&[-inf, -inf, -inf], &[1i32], 3, &o, None, Some(&mut g));
                assert_eq!((l, g), (Ok(inf), [0.0, -1.0, 0.0]));
                // +inf: the limit.
                let mut g2 = [0.0f32; 2];
                assert_eq!(
                    K::cross_entropy_rows(&[inf, 0.0], &[0usize], 2, &o, None, Some(&mut g2)),
                    Ok(0.0)
                );
                assert_eq!(g2, [0.0, 0.0]);
                assert_eq!(
                    K::cross_entropy_rows(&[inf, 0.0], &[1usize], 2, &o, None, None),
                    Ok(inf)
                );
                assert_eq!(
                    K::cross_entropy_rows_dense(&[inf, 0.0], &[0.5, 0.5], 2, &o, None, None),
                    Ok(inf)
                );
                // NaN: that row's loss and gradient NaN, the other row untouched by it.
                let mut losses = [0.0f32; 2];
                let mut g4 = [0.0f32; 4];
                let l = K::cross_entropy_rows(
                    &[f32::NAN, 0.0, 0.0, 0.0],
                    &[1u16, 0],
                    2,
                    &o,
                    Some(&mut losses),
                    Some(&mut g4),
                );
                assert!(l.unwrap().is_nan() && losses[0].is_nan() && g4[..2].iter().all(|v| v.is_nan()));
                assert_eq!((losses[1], &g4[2..]), (ln2, &[-0.5f32, 0.5][..]));
                // ... unless ignored: no loss, no gradient.
                let oi = CrossEntropy {
                    ignore_index: Some(1),
                    ..o
                };
                let l = K::cross_entropy_rows(
                    &[f32::NAN, 0.0, 0.0, 0.0],
                    &[1u16, 0],
                    2,
                    &oi,
                    Some(&mut losses),
                    Some(&mut g4),
                );
                assert_eq!((l, losses, g4), (Ok(ln2), [0.0, ln2], [0.0, 0.0, -0.5, 0.5]));
                // Smoothing spreads onto a -inf class: +inf, as PyTorch.
                let os = CrossEntropy {
                    label_smoothing: 0.1,
                    ..o
                };
                assert_eq!(
                    K::cross_entropy_rows(&[-inf, 0.0, 0.0], &[1u8], 3, &os, None, None),
                    Ok(inf)
                );
                // ... unless that class weighs 0.
                let w = [0.0f32, 1.0, 1.0];
                let ow = CrossEntropy {
                    weights: Some(&w),
                    ..os
                };
                assert!(
                    K::cross_entropy_rows(&[-inf, 0.0, 0.0], &[1u8], 3, &ow, None, None)
                        .unwrap()
                        .is_finite()
                );
            }

            /// PyTorch's Mean over rows that are all ignored is 0 / 0: NaN,
            /// with a zero gradient; no rows at all: NaN too (Sum: 0).
            #[test]
            fn mean_over_nothing_is_nan() {
                let o = CrossEntropy {
                    ignore_index: Some(-100),
                    ..CrossEntropy::default()
                };
                let mut g = [7.0f32; 6];
                let l = K::cross_entropy_rows(&X, &[-100i64, -100], 3, &o, None, Some(&mut g)).unwrap();
                assert!(l.is_nan());
                assert_eq!(g, [0.0; 6]);
                assert!(
                    K::cross_entropy_rows::<usize>(&[], &[], 3, &CrossEntropy::default(), None, None)
                        .unwrap()
                        .is_nan()
                );
                let d = CrossEntropy::default();
                assert!(
                    K::cross_entropy_rows_dense(&[], &[], 3, &d, None, None)
                        .unwrap()
                        .is_nan()
                );
                let s = CrossEntropy {
                    reduction: Reduction::Sum,
                    ..o
                };
                assert_eq!(
                    K::cross_entropy_rows(&X, &[-100i64, -100], 3, &s, None, None),
                    Ok(0.0)
                );
                assert_eq!(
                    K::cross_entropy_rows::<usize>(&[], &[], 3, &s, None, None),
                    Ok(0.0)
                );
            }

            /// The worst case for carrying `S - 1` across chunks: a rising
            /// max in every one of thousands of single-value chunks, then
            /// the same row falling, and merged pairwise as a balanced tree.
            #[test]
            fn streaming_rising_max_one_value_a_chunk() {
                let n = common::MAX_LEN;
                let rising: Vec<f32> = (0..n).map(|i| i as f32 * 1e-3).collect();
                let falling: Vec<f32> = rising.iter().rev().copied().collect();
                for x in [&rising, &falling] {
                    let cuts: Vec<usize> = (1..n).collect();
                    check::check_streaming::<K>(x, &cuts, 1).unwrap();
                    // A balanced tree of the single-value states.
                    let mut level: Vec<_> = x
                        .iter()
                        .map(|v| {
                            let mut s = K::lse_new();
                            K::lse_update(&mut s, core::slice::from_ref(v));
                            s
                        })
                        .collect();
                    while level.len() > 1 {
                        level = level
                            .chunks(2)
                            .map(|p| {
                                let mut a = p[0].clone();
                                if let Some(b) = p.get(1) {
                                    K::lse_merge(&mut a, b);
                                }
                                a
                            })
                            .collect();
                    }
                    let s = common::f64ref::split(x).unwrap();
                    let got = K::lse_finish(&level[0]) as f64;
                    assert!(
                        (got - s.lse()).abs() <= check::LSE_TOL_EPS * EPS * (s.m.abs() + s.l()),
                        "{got} vs {}",
                        s.lse()
                    );
                }
            }

            #[test]
            fn streaming_special_states() {
                let (inf, nan) = (f32::INFINITY, f32::NAN);
                let run = |chunks: &[&[f32]]| {
                    let mut s = K::lse_new();
                    for c in chunks {
                        let mut t = K::lse_new();
                        K::lse_update(&mut t, c);
                        K::lse_merge(&mut s, &t);
                    }
                    s
                };
                // [0] and [-20] as two chunks, both merge orders.
                assert_eq!(K::lse_finish(&run(&[&[0.0], &[-20.0]])), 2.0611537e-9);
                assert_eq!(K::lse_finish(&run(&[&[-20.0], &[0.0]])), 2.0611537e-9);
                // Empty and masked: -inf, softmax chunks of zeros.
                for s in [K::lse_new(), run(&[&[], &[-inf, -inf], &[]])] {
                    assert_eq!(K::lse_finish(&s), -inf);
                    let mut p = [7.0f32; 2];
                    K::lse_softmax_chunk(&s, &[-inf, -inf], &mut p).unwrap();
                    assert_eq!(p, [0.0, 0.0]);
                    K::lse_log_softmax_chunk(&s, &[-inf, -inf], &mut p).unwrap();
                    assert_eq!(p, [-inf, -inf]);
                }
                // +inf in one chunk: the limit over the whole row.
                let s = run(&[&[1.0, inf], &[inf, 0.0]]);
                assert_eq!(K::lse_finish(&s), inf);
                let mut p = [0.0f32; 2];
                K::lse_softmax_chunk(&s, &[1.0, inf], &mut p).unwrap();
                assert_eq!(p, [0.0, 0.5]);
                K::lse_log_softmax_chunk(&s, &[inf, 0.0], &mut p).unwrap();
                assert_eq!(p, [-core::f32::consts::LN_2, -inf]);
                // NaN in any chunk: NaN everywhere.
                let s = run(&[&[1.0], &[nan], &[inf]]);
                assert!(K::lse_finish(&s).is_nan());
                K::lse_softmax_chunk(&s, &[1.0, 2.0], &mut p).unwrap();
                assert!(p.iter().all(|v| v.is_nan()));
                // Merging an empty state changes nothing.
                let mut a = run(&[&[1.0, 2.0]]);
                let before = K::lse_finish(&a);
                K::lse_merge(&mut a, &K::lse_new());
                assert_eq!(K::lse_finish(&a), before);
            }
        }
    };
}

training_suite!(reference, Ref);

// The SIMD kernels at the crate root, on the backend and structure this
// build runs (CI forces each through `--cfg softmax_simd_backend` and
// `--cfg softmax_simd_structure`); their checks also hold them to the
// reference.
training_impl!(Simd, softmax_simd, false);
training_suite!(simd, Simd);

/// `$k`'s scaled forms with `beta = 1` are its unscaled forms, bit for bit
/// (`1 * d == d`): the reference has one code path for both; the SIMD
/// kernels instantiate the same passes with and without the multiply.
macro_rules! beta_one_is_unscaled {
    ($name:ident, $k:path) => {
        #[test]
        fn $name() {
            use $k as r;
            qc().quickcheck(
                (|row: Row| {
                    let x = &row.x;
                    let (mut a, mut b) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                    r::softmax_scaled(x, 1.0, &mut a).unwrap();
                    r::softmax(x, &mut b).unwrap();
                    let (mut c, mut d) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                    r::log_softmax_scaled(x, 1.0, &mut c).unwrap();
                    r::log_softmax(x, &mut d).unwrap();
                    let bits = |p: &[f32], q: &[f32]| {
                        p.iter()
                            .zip(q)
                            .all(|(u, v)| u.to_bits() == v.to_bits() || u.is_nan() && v.is_nan())
                    };
                    let l = (r::logsumexp_scaled(x, 1.0).unwrap(), r::logsumexp(x));
                    TestResult::from_bool(bits(&a, &b) && bits(&c, &d) && bits(&[l.0], &[l.1]))
                }) as fn(Row) -> TestResult,
            );
        }
    };
}

beta_one_is_unscaled!(reference_beta_one_is_unscaled, softmax_simd::reference);
beta_one_is_unscaled!(simd_beta_one_is_unscaled, softmax_simd);
