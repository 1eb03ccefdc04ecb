//! Property tests (quickcheck): the agreement of every SIMD kernel with its
//! reference twin (through the shared checker), and, stamped by one macro
//! onto the SIMD kernels and the reference alike (memchr style), the
//! properties each implementation must have on its own: agreement with an
//! f64 evaluation of the same formula, softmax summing to 1, invariance
//! under adding a constant, losses and gradients matching docs/SEMANTICS.md.

mod common;

use common::check::{self, FLUSH_ABS, GRAD_EPS, LOG_EPS, SOFTMAX_ULP, close};
use common::f64ref;
use common::inputs::{Labelled, Row};
use quickcheck::{Arbitrary, Gen, QuickCheck, TestResult};

const EPS: f64 = f32::EPSILON as f64;

fn qc() -> QuickCheck {
    QuickCheck::new().tests(if cfg!(miri) { 3 } else { 300 })
}

fn quick_row(f: fn(Row) -> TestResult) {
    qc().quickcheck(f);
}
fn quick_row_c(f: fn(Row, i16) -> TestResult) {
    qc().quickcheck(f);
}
fn quick_labelled(f: fn(Labelled) -> TestResult) {
    qc().quickcheck(f);
}

/// `got` equals `want` (NaN, inf included) or is within `tol` of it.
fn near(got: f32, want: f64, tol: f64) -> bool {
    got as f64 == want || (got.is_nan() && want.is_nan()) || ((got as f64) - want).abs() <= tol
}

fn res(r: Result<(), String>) -> TestResult {
    match r {
        Ok(()) => TestResult::passed(),
        Err(e) => TestResult::error(e),
    }
}

#[test]
fn agree_exp() {
    qc().quickcheck((|r: Row| res(check::check_exp(&r.x))) as fn(Row) -> TestResult);
}

/// exp on its whole finite range, both signs.
#[test]
fn agree_exp_full_range() {
    #[derive(Clone, Debug)]
    struct Wide(Vec<f32>);
    impl Arbitrary for Wide {
        fn arbitrary(g: &mut Gen) -> Self {
            let n = common::inputs::len(g);
            Wide(
                (0..n)
                    .map(|_| 200.0 * ((u32::arbitrary(g) >> 8) as f32 / 16777216.0) - 100.0)
                    .collect(),
            )
        }
    }
    qc().quickcheck((|w: Wide| res(check::check_exp(&w.0))) as fn(Wide) -> TestResult);
}

#[test]
fn agree_reduce() {
    qc().quickcheck((|r: Row| res(check::check_reduce(&r.x))) as fn(Row) -> TestResult);
}

#[test]
fn agree_softmax() {
    qc().quickcheck((|r: Row| res(check::check_softmax(&r.x))) as fn(Row) -> TestResult);
}

#[test]
fn agree_dense_xent() {
    qc().quickcheck((|l: Labelled| res(check::check_dense_xent(&l.row.x, &l.y))) as fn(Labelled) -> TestResult);
}

#[test]
fn agree_sparse_xent() {
    qc().quickcheck((|l: Labelled| res(check::check_sparse_xent(&l.row.x, l.label))) as fn(Labelled) -> TestResult);
}

#[test]
fn agree_rows() {
    #[derive(Clone, Debug)]
    struct Batch {
        x: Vec<f32>,
        classes: usize,
        y: Vec<f32>,
        labels: Vec<usize>,
    }
    impl Arbitrary for Batch {
        fn arbitrary(g: &mut Gen) -> Self {
            let row = Row::arbitrary(g);
            let classes = match u32::arbitrary(g) % 8 {
                0 => 0,
                1 => 1 + usize::arbitrary(g) % 300,
                _ => 1 + usize::arbitrary(g) % 40,
            };
            let mut x = row.x;
            if classes > 0 && u32::arbitrary(g) % 4 != 0 {
                x.truncate(x.len() - x.len() % classes);
            }
            let rows = x.len().checked_div(classes).unwrap_or(0);
            let mut y = common::inputs::labels(g, x.len());
            if u32::arbitrary(g) % 10 == 0 {
                y.push(0.0);
            }
            let mut labels: Vec<usize> = (0..rows).map(|_| usize::arbitrary(g) % classes.max(1)).collect();
            match u32::arbitrary(g) % 10 {
                0 if rows > 0 => labels[rows - 1] = classes + usize::arbitrary(g) % 3,
                1 => labels.push(0),
                _ => {}
            }
            Batch { x, classes, y, labels }
        }
    }
    qc().quickcheck((|b: Batch| res(check::check_rows(&b.x, b.classes, &b.y, &b.labels))) as fn(Batch) -> TestResult);
}

/// One implementation's properties, stamped onto `softmax_simd` and
/// `softmax_simd::reference` below.
macro_rules! properties {
    ($name:ident, $k:path) => {
        mod $name {
            use super::*;
            use $k as k;

            #[test]
            fn softmax_matches_f64_and_sums_to_one() {
                quick_row(|r: Row| {
                    let Some(s) = f64ref::split(&r.x) else {
                        return TestResult::discard();
                    };
                    let mut p = vec![0.0; r.x.len()];
                    k::softmax(&r.x, &mut p).unwrap();
                    for (i, (&got, &want)) in p.iter().zip(&s.softmax()).enumerate() {
                        let tol = FLUSH_ABS.max(check::blocked_softmax_tol(r.x.len(), s.d[i].abs(), want));
                        if !close(got, want as f32, SOFTMAX_ULP, tol) {
                            return TestResult::error(format!("[{i}] {got:e} vs f64 {want:e} ({:?})", r.dist));
                        }
                    }
                    let sum: f64 = p.iter().map(|&v| v as f64).sum();
                    if (sum - 1.0).abs() > (SOFTMAX_ULP + 1) as f64 * EPS {
                        return TestResult::error(format!("sum {sum}"));
                    }
                    TestResult::passed()
                });
            }

            #[test]
            fn log_softmax_and_logsumexp_match_f64() {
                quick_row(|r: Row| {
                    let Some(s) = f64ref::split(&r.x) else {
                        return TestResult::discard();
                    };
                    let mut out = vec![0.0; r.x.len()];
                    k::log_softmax(&r.x, &mut out).unwrap();
                    let l = s.l();
                    for (i, (&got, &want)) in out.iter().zip(&s.log_softmax()).enumerate() {
                        let tol = LOG_EPS * EPS * (s.d[i].abs() + l) + check::flushed(r.x.len());
                        if !near(got, want, tol) {
                            return TestResult::error(format!("[{i}] {got:e} vs f64 {want:e}, tol {tol:e}"));
                        }
                    }
                    let lse = k::logsumexp(&r.x);
                    let tol = LOG_EPS * EPS * (s.m.abs() + l) + check::flushed(r.x.len());
                    if !near(lse as f32, s.lse(), tol) {
                        return TestResult::error(format!("logsumexp {lse:e} vs f64 {:e}", s.lse()));
                    }
                    TestResult::passed()
                });
            }

            /// Adding a constant that keeps every `x_i + c` exact leaves
            /// every `x_i - max` unchanged, so the outputs are bit-identical.
            #[test]
            fn invariant_to_adding_a_constant() {
                quick_row_c(|r: Row, c: i16| {
                    // Snap to multiples of 2^-10 within +-2^10: x + c is exact.
                    let x: Vec<f32> =
                        r.x.iter()
                            .map(|v| (v.clamp(-1000.0, 1000.0) * 1024.0).round() / 1024.0)
                            .collect();
                    let shifted: Vec<f32> = x.iter().map(|v| v + (c % 1000) as f32).collect();
                    let (mut a, mut b) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                    k::softmax(&x, &mut a).unwrap();
                    k::softmax(&shifted, &mut b).unwrap();
                    let (mut la, mut lb) = (vec![0.0; x.len()], vec![0.0; x.len()]);
                    k::log_softmax(&x, &mut la).unwrap();
                    k::log_softmax(&shifted, &mut lb).unwrap();
                    let same = |p: &[f32], q: &[f32]| {
                        p.iter()
                            .zip(q)
                            .all(|(a, b)| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()))
                    };
                    TestResult::from_bool(same(&a, &b) && same(&la, &lb))
                });
            }

            #[test]
            fn dense_xent_matches_f64() {
                quick_labelled(|l: Labelled| {
                    let Some(s) = f64ref::split(&l.row.x) else {
                        return TestResult::discard();
                    };
                    let mut g = vec![0.0; l.y.len()];
                    let loss = k::softmax_cross_entropy_with_logits(&l.row.x, &l.y, Some(&mut g)).unwrap() as f64;
                    let (want, want_g) = s.dense(&l.y);
                    let lv = s.l();
                    // Y = sum(y) is itself only as accurate as sum |y|.
                    let y_abs: f64 = l.y.iter().map(|&y| (y as f64).abs()).sum();
                    let scale: f64 =
                        s.d.iter()
                            .zip(&l.y)
                            .filter(|&(_, &y)| y != 0.0)
                            .map(|(d, &y)| (y as f64).abs() * (lv + d.abs()))
                            .sum();
                    if !near(
                        loss as f32,
                        want,
                        LOG_EPS * EPS * scale + check::flushed(l.y.len()) * (1.0 + y_abs),
                    ) {
                        return TestResult::error(format!("loss {loss:e} vs f64 {want:e}, scale {scale:e}"));
                    }
                    let p = s.softmax();
                    for i in 0..g.len() {
                        let tol = GRAD_EPS * EPS * (y_abs * p[i] + (l.y[i] as f64).abs()) + FLUSH_ABS * (1.0 + y_abs);
                        if !near(g[i], want_g[i], tol) {
                            return TestResult::error(format!("grad[{i}] {:e} vs f64 {:e}", g[i], want_g[i]));
                        }
                    }
                    TestResult::passed()
                });
            }

            #[test]
            fn sparse_xent_matches_f64() {
                quick_labelled(|l: Labelled| {
                    let Some(s) = f64ref::split(&l.row.x) else {
                        return TestResult::discard();
                    };
                    let n = l.row.x.len();
                    let mut g = vec![0.0; n];
                    let loss =
                        k::sparse_softmax_cross_entropy_with_logits(&l.row.x, l.label, Some(&mut g)).unwrap() as f64;
                    let want = s.l() - s.d[l.label];
                    if !near(
                        loss as f32,
                        want,
                        LOG_EPS * EPS * (s.l() + s.d[l.label].abs()) + check::flushed(n),
                    ) {
                        return TestResult::error(format!("loss {loss:e} vs f64 {want:e}"));
                    }
                    let p = s.softmax();
                    let s_total = 1.0 + s.rest;
                    for i in 0..n {
                        let want = if i == l.label {
                            // softmax - 1 = -(sum over j != label of e_j) / S,
                            // summed directly (S - e_label cancels even in f64).
                            let others: f64 =
                                s.d.iter()
                                    .enumerate()
                                    .filter(|&(j, _)| j != i)
                                    .map(|(_, d)| d.exp())
                                    .sum();
                            -others / s_total
                        } else {
                            p[i]
                        };
                        if !close(g[i], want as f32, SOFTMAX_ULP, check::flushed(n)) {
                            return TestResult::error(format!(
                                "grad[{i}] {:e} vs f64 {want:e} (label {})",
                                g[i], l.label
                            ));
                        }
                    }
                    TestResult::passed()
                });
            }
        }
    };
}

properties!(simd, softmax_simd);
properties!(reference, softmax_simd::reference);
