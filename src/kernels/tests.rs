//! The long-row structures against the 3-pass ones, on the backend the
//! build runs (CI runs the unit tests once per backend).

extern crate std;
use crate::dispatch;
use std::vec;
use std::vec::Vec;

const LOG_SUM_ONE_PASS_FROM: usize = crate::plan::crossovers::<crate::lanes::Portable>().log_sum_one_pass_from;

fn softmax(x: &[f32], out: &mut [f32]) {
    let _ = dispatch::softmax_blocked(x, out);
}

fn softmax_in_place(x: &mut [f32]) {
    dispatch::softmax_in_place_blocked(x);
}

/// The row's max, NaN ignored.
fn row_max(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// `log1p(S - 1)` of a row whose max is 0, by the one-pass form.
fn one_pass_l(x: &[f32]) -> f32 {
    dispatch::logsumexp_one_pass(x)
}

fn lcg(n: usize, seed: u32, scale: f32) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((s >> 8) as f32 / (1u32 << 24) as f32 - 0.5) * scale
        })
        .collect()
}

fn ulps(a: f32, b: f32) -> u32 {
    (a.to_bits() as i64 - b.to_bits() as i64).unsigned_abs() as u32
}

/// Blocked and 3-pass agree, and blocked in place equals blocked out of
/// place. Both round the argument of exp, `x - M` for 3-pass and
/// `x - r_seg` for blocked, so they may differ by `|x - M| u` relative
/// on top of a few ULP; values below the flush threshold are equal.
fn agree(x: &[f32]) {
    let mut want = vec![0.0; x.len()];
    let _ = dispatch::softmax_three_pass(x, &mut want);
    let mut got = vec![0.0; x.len()];
    softmax(x, &mut got);
    let mut inplace = x.to_vec();
    softmax_in_place(&mut inplace);
    let m = row_max(x);
    for (i, ((&g, &w), &p)) in got.iter().zip(&want).zip(&inplace).enumerate() {
        assert!(
            g.to_bits() == p.to_bits() || g.is_nan() && p.is_nan(),
            "in place differs at {i}"
        );
        let d = (x[i] - m).abs() as f64;
        let tol = (6.0 + 2.0 * d) * (f32::EPSILON as f64 / 2.0) * w as f64;
        let ok = (g.is_nan() && w.is_nan())
            || g == w
            || ulps(g, w) <= 4
            || (g as f64 - w as f64).abs() <= tol
            || (g.abs() < f32::MIN_POSITIVE && w.abs() < f32::MIN_POSITIVE);
        assert!(ok, "n = {}, i = {i}: blocked {g:e}, 3-pass {w:e}", x.len());
    }
    let two = dispatch::logsumexp_two_pass(x);
    let one = dispatch::logsumexp_one_pass(x);
    let tol = 4.0 * f32::EPSILON * (two.abs() + 1.0);
    assert!(
        (one.is_nan() && two.is_nan()) || one == two || (one - two).abs() <= tol,
        "n = {}: one pass {one:e}, two pass {two:e}",
        x.len()
    );
}

#[test]
fn blocked_matches_three_pass() {
    let lengths: &[usize] = if cfg!(miri) {
        &[0, 1, 7, 257, 600]
    } else {
        &[0, 1, 7, 255, 256, 257, 1000, 4099, 70_001]
    };
    for &n in lengths {
        agree(&lcg(n, n as u32, 20.0));
    }
}

#[test]
#[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
fn a_growing_max_runs_out_of_segments() {
    // Ascending: every block raises the max, far beyond `SEGMENTS`.
    let x: Vec<f32> = (0..40_000).map(|i| i as f32 * 1e-3).collect();
    agree(&x);
    let x: Vec<f32> = (0..40_000).map(|i| i as f32 * 0.01 - 200.0).collect();
    agree(&x);
    // Descending then a late jump.
    let mut x: Vec<f32> = (0..20_000).map(|i| -(i as f32) * 1e-3).collect();
    x[19_999] = 30.0;
    agree(&x);
}

#[test]
#[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
fn special_values_anywhere() {
    let base = lcg(5000, 3, 10.0);
    for pos in [0usize, 100, 255, 256, 2600, 4999] {
        for v in [f32::NAN, f32::INFINITY] {
            let mut x = base.clone();
            x[pos] = v;
            agree(&x);
            let mut p = vec![0.0; x.len()];
            softmax(&x, &mut p);
            if v.is_nan() {
                assert!(p.iter().all(|q| q.is_nan()));
            } else {
                assert_eq!(p[pos], 1.0);
                assert_eq!(p.iter().sum::<f32>(), 1.0);
            }
        }
    }
    // Two +inf in different blocks share the mass.
    let mut x = base.clone();
    x[10] = f32::INFINITY;
    x[3000] = f32::INFINITY;
    let mut p = vec![0.0; x.len()];
    softmax(&x, &mut p);
    assert_eq!((p[10], p[3000], p[11]), (0.5, 0.5, 0.0));
    // A NaN hidden among -inf, and masked blocks before finite ones.
    let mut x = vec![f32::NEG_INFINITY; 3000];
    x[700] = f32::NAN;
    agree(&x);
    let mut x = vec![f32::NEG_INFINITY; 3000];
    x[2900] = 1.0;
    x[2901] = 1.0;
    agree(&x);
    let mut p = vec![0.0; x.len()];
    softmax(&x, &mut p);
    assert_eq!((p[2900], p[2901], p[0]), (0.5, 0.5, 0.0));
    agree(&[f32::NEG_INFINITY; 600]);
}

#[test]
fn tiny_tail_survives_one_pass() {
    // S - 1 = exp(-20) from a later block than the max.
    let mut x = vec![f32::NEG_INFINITY; 1000];
    x[0] = 0.0;
    x[900] = -20.0;
    let l = one_pass_l(&x);
    assert!((l - 2.0611537e-9).abs() < 1e-15, "{l:e}");
    // And when the max comes after the tail (the tail is rescaled).
    x[0] = -20.0;
    x[900] = 0.0;
    let l = one_pass_l(&x);
    assert!((l - 2.0611537e-9).abs() < 1e-15, "{l:e}");
}

#[test]
#[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
fn one_pass_losses_match_two_pass() {
    // A row long enough for the one-pass losses, its max late (so the
    // label sums are shifted), labels with zeros on -inf logits.
    let n = LOG_SUM_ONE_PASS_FROM + 77;
    let mut x = lcg(n, 11, 30.0);
    let mut y: Vec<f32> = (0..n).map(|i| if i % 5 == 0 { 0.0 } else { 1.0 / n as f32 }).collect();
    x[n - 10] = 40.0;
    x[5] = f32::NEG_INFINITY;
    y[5] = 0.0;
    let mut g = vec![0.0; n];
    // With a gradient the two-pass path runs: it is the yardstick.
    let want = dispatch::dense_row(&x, &y, Some(&mut g)).unwrap();
    let got = dispatch::dense_row(&x, &y, None).unwrap();
    assert!((got - want).abs() <= 8.0 * f32::EPSILON * want.abs(), "{got} vs {want}");
    for label in [0usize, n - 10, n / 2] {
        let want = dispatch::sparse_row(&x, label, Some(&mut g)).unwrap();
        let got = dispatch::sparse_row(&x, label, None).unwrap();
        let tol = 8.0 * f32::EPSILON * (want.abs() + 1.0);
        assert!((got - want).abs() <= tol, "label {label}: {got} vs {want}");
    }
    // Special rows fall back to the two-pass rules.
    x[7] = f32::INFINITY;
    assert_eq!(dispatch::sparse_row(&x, 7, None), Ok(0.0));
    assert_eq!(dispatch::sparse_row(&x, 8, None), Ok(f32::INFINITY));
    x[9] = f32::NAN;
    assert!(dispatch::dense_row(&x, &y, None).unwrap().is_nan());
}

#[test]
#[cfg_attr(miri, ignore = "long rows: too slow under Miri")]
fn long_sum_keeps_its_bound() {
    // 2^22 equal terms after a growing max: S must be n within 2^-20.
    let n = 1usize << 22;
    let mut x = vec![0.0f32; n];
    x[0] = -1.0;
    x[300] = -0.5;
    let mut p = vec![0.0; n];
    softmax(&x, &mut p);
    let want = 1.0 / (n as f64 - 2.0 + (-1.0f64).exp() + (-0.5f64).exp());
    let got = p[n - 1] as f64;
    assert!(
        ((got - want) / want).abs() < 1.0 / (1u64 << 20) as f64,
        "{got:e} vs {want:e}"
    );
}

/// Bitwise equality, NaN equal to NaN.
fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || a.is_nan() && b.is_nan()
}

#[test]
fn registers_match_three_pass() {
    // Rows of one or two vectors run on registers (`passes::registers`);
    // their results must be the 3-pass structure's bit for bit, ties,
    // masked entries and special values included.
    use crate::lanes::{Lanes, Portable};
    let lanes = match dispatch::current() {
        #[cfg(target_arch = "x86_64")]
        dispatch::Backend::Avx512 => 16,
        #[cfg(target_arch = "x86_64")]
        dispatch::Backend::Avx2 => 8,
        _ => <Portable as Lanes>::LANES,
    };
    for n in 1..=2 * lanes {
        let mut rows = vec![lcg(n, n as u32 + 7, 30.0), vec![1.5; n]];
        let mut tied = lcg(n, n as u32, 4.0);
        tied[n / 2] = 9.0;
        tied[n - 1] = 9.0;
        rows.push(tied);
        for v in [f32::NEG_INFINITY, f32::INFINITY, f32::NAN, -200.0] {
            let mut r = lcg(n, 3 * n as u32, 10.0);
            r[(n * 2) / 3] = v;
            rows.push(r);
        }
        rows.push(vec![f32::NEG_INFINITY; n]);
        for x in &rows {
            let mut want = vec![0.0; n];
            let _ = dispatch::softmax_three_pass(x, &mut want);
            let mut got = vec![0.0; n];
            let _ = dispatch::softmax(x, &mut got);
            let mut inplace = x.clone();
            dispatch::softmax_in_place(&mut inplace);
            for i in 0..n {
                assert!(
                    same(got[i], want[i]),
                    "softmax n = {n}, i = {i}: {} vs {}",
                    got[i],
                    want[i]
                );
                assert!(same(inplace[i], want[i]), "in place n = {n}, i = {i}");
            }
            let (lse, two) = (dispatch::logsumexp(x), dispatch::logsumexp_two_pass(x));
            assert!(same(lse, two), "logsumexp n = {n}: {lse:e} vs {two:e}");
        }
    }
}

#[test]
fn register_cross_entropy_matches_row_pass() {
    // The register form of the one-hot cross-entropy against the row pass
    // it replaces on rows of one or two vectors, bit for bit: loss and
    // gradient, with and without weights, at and off the max, on the
    // portable lanes (the kernels are generic; CI runs this per target).
    use crate::lanes::{Lanes, Portable};
    use crate::passes::registers::xent_hot;
    use crate::passes::training::{Target, Xent, xent_row};
    let lanes = <Portable as Lanes>::LANES;
    let weights: Vec<f32> = (0..2 * lanes).map(|i| 0.25 + i as f32 * 0.5).collect();
    for n in 1..=2 * lanes {
        let mut x = lcg(n, 5 * n as u32, 16.0);
        x[n - 1] = 9.0;
        for w in [None, Some(&weights[..n])] {
            let o = Xent {
                weights: w,
                keep: 1.0,
                e_c: 0.0,
                inv_div: 1.0 / 3.0,
                pre_div: 1.0,
                div: 3.0,
                spread: false,
            };
            for t in 0..n {
                let (mut g1, mut g2) = (vec![0.0; n], vec![0.0; n]);
                let want = if w.is_some() {
                    xent_row::<Portable, 1, true, false, false>(&x, Target::Index(t), &o, Some(&mut g1))
                } else {
                    xent_row::<Portable, 1, false, false, false>(&x, Target::Index(t), &o, Some(&mut g1))
                };
                let got = if n <= lanes {
                    xent_hot::<Portable, 1>(&x, Target::Index(t), &o, Some(&mut g2))
                } else {
                    xent_hot::<Portable, 2>(&x, Target::Index(t), &o, Some(&mut g2))
                };
                assert!(same(got, want), "n = {n}, t = {t}: loss {got:e} vs {want:e}");
                for i in 0..n {
                    assert!(
                        same(g1[i], g2[i]),
                        "n = {n}, t = {t}, i = {i}: {:e} vs {:e}",
                        g2[i],
                        g1[i]
                    );
                }
            }
        }
    }
}
