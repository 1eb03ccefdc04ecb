//! Inputs that cargo-fuzz found (fuzz/ targets), minimised and replayed
//! through the shared checker, so a fix stays fixed without nightly.
//! Each test names the target that found it; the checker's message is the
//! failure.

mod common;

use common::check;
use softmax_simd::{Error, reference};

/// The dense loss of `x` with labels `y`: SIMD with a gradient, SIMD
/// without, and the reference.
fn dense_losses(x: &[f32], y: &[f32]) -> [f32; 3] {
    let mut g = vec![0.0; x.len()];
    [
        softmax_simd::softmax_cross_entropy_with_logits(x, y, Some(&mut g)).unwrap(),
        softmax_simd::softmax_cross_entropy_with_logits(x, y, None).unwrap(),
        reference::softmax_cross_entropy_with_logits(x, y, None).unwrap(),
    ]
}

/// `reduce`: one term below exp's flush threshold. The SIMD kernel flushes
/// exp(-103.97) to 0, libm keeps the subnormal 1e-45; docs/SEMANTICS.md allows
/// exactly that difference.
#[test]
fn logsumexp_with_one_flushed_term() {
    check::check_reduce(&[-103.971_886, 0.0]).unwrap();
}

/// `xent_sparse`: 241 terms just below the flush threshold. Each may differ by
/// up to `f32::MIN_POSITIVE`, so the loss and the label's gradient may differ by
/// up to `n` times that.
#[test]
fn sparse_xent_with_many_flushed_terms() {
    let mut x = vec![-87.337_07f32; 241];
    x[0] = 0.0;
    check::check_sparse_xent(&x, 0).unwrap();
}

/// `softmax`: the same row through log_softmax (a sum of flushed terms in
/// `log1p(S - 1)`).
#[test]
fn log_softmax_with_many_flushed_terms() {
    let mut x = vec![-87.337_07f32; 241];
    x[0] = 0.0;
    check::check_softmax(&x).unwrap();
}

/// `xent_dense`: an infinite label on a finite logit that is not the
/// maximum. `y * (lse - x) = inf * ln 2 = +inf`: the reference gives `+inf`,
/// the SIMD kernel gave NaN.
#[test]
fn dense_xent_infinite_label() {
    check::check_dense_xent(&[0.0, 0.0], &[f32::INFINITY, 0.0]).unwrap();
    // The checker leaves label sums beyond f32::MAX to these explicit values.
    for loss in [
        softmax_simd::softmax_cross_entropy_with_logits(&[0.0, 0.0], &[f32::INFINITY, 0.0], None).unwrap(),
        softmax_simd::reference::softmax_cross_entropy_with_logits(&[0.0, 0.0], &[f32::INFINITY, 0.0], None).unwrap(),
    ] {
        assert_eq!(loss, f32::INFINITY);
    }
}

/// `xent_dense` (CI, AVX2 lanes, long structure, n = 6299): an infinite
/// label on the max, every other logit over 101 below it. The kernels'
/// exps flush those terms to 0, so `log1p(S - 1)` rounded to `0` and the
/// term-by-term loss took `inf * 0 = NaN` with a gradient (two passes)
/// but `+inf` without one (the one-pass log-sum kept `S - 1` a subnormal).
/// The loss is `inf * (S - 1) = +inf`: `S - 1 > 0` whenever another entry is
/// finite, whatever the flush.
#[test]
fn dense_xent_infinite_label_on_the_max_with_flushed_terms() {
    let mut x = vec![-102.0f32; 6299];
    x[3166] = 0.0;
    let mut y = vec![-1.0e5f32; 6299];
    y[3166] = f32::INFINITY;
    for row in [
        (&x[..], &y[..]),
        (&[0.0, -102.0, -103.0][..], &[f32::INFINITY, 1.0, 1.0][..]),
    ] {
        let mut g = vec![0.0; row.0.len()];
        let with = softmax_simd::softmax_cross_entropy_with_logits(row.0, row.1, Some(&mut g)).unwrap();
        let without = softmax_simd::softmax_cross_entropy_with_logits(row.0, row.1, None).unwrap();
        let reference = reference::softmax_cross_entropy_with_logits(row.0, row.1, None).unwrap();
        assert_eq!([with, without, reference], [f32::INFINITY; 3], "n = {}", row.0.len());
        // The training API's term-by-term loss takes the same path.
        let n = row.0.len();
        let opts = softmax_simd::CrossEntropy::default();
        let rows = softmax_simd::cross_entropy_rows_dense(row.0, row.1, n, &opts, None, Some(&mut g)).unwrap();
        let rows_ref = reference::cross_entropy_rows_dense(row.0, row.1, n, &opts, None, None).unwrap();
        assert_eq!([rows, rows_ref], [f32::INFINITY; 2], "rows, n = {n}");
    }
    // One entry: `S - 1 = 0` exactly, and the term is `inf * 0`.
    let one = softmax_simd::softmax_cross_entropy_with_logits(&[0.0], &[f32::INFINITY], None).unwrap();
    let one_ref = reference::softmax_cross_entropy_with_logits(&[0.0], &[f32::INFINITY], None).unwrap();
    assert!(one.is_nan() && one_ref.is_nan(), "{one} {one_ref}");
}

/// `softmax` (CI, SSE2 lanes, long structure): 8657 logits at -68.8125 and
/// the max 3.3e-6 above them. The one-pass log-sum rescales by
/// `exp(r - m)` in f64 where the reference rounds `d_i` to f32 first, so
/// `log1p(S - 1) = 1.13e-26` differed by 45 ULP, `68.8 eps / 2` relative:
/// inherent to the structure, beyond the checker's two-pass bound. The
/// checker now allows `eps sum p_i |d_i|` where the one-pass may run
/// (`one_pass_log_sum_tol`; meaningful in CI's forced-long run).
#[test]
fn log_softmax_one_pass_rounds_the_exponents_apart() {
    let mut x = vec![-68.8125f32; 8659];
    x[3] = -f32::MAX;
    x[8046] = -3.295_252e-6;
    check::check_softmax(&x).unwrap();
    check::check_reduce(&x).unwrap();
}

/// `xent_dense` (CI, SSE2 lanes, long structure): logits `f32::MAX` and
/// `-4.06e31` in one row, so `x_i - m` overflows f32 to `-inf` on an entry
/// with a negative label: the contract's loss is `-inf` (the reference and
/// the two-pass kernel), but the one-pass loss (no gradient) shifted its
/// sums in f64 and gave `4.3e37`. It now leaves such rows to the two-pass
/// form.
#[test]
fn dense_xent_logits_more_than_f32_max_apart() {
    // The overflowing entry in an earlier block than the max (blocks of
    // 256): its `x_i - r` is then finite.
    let mut x = vec![1.6377e-41f32; 1000];
    x[700] = f32::MAX;
    x[200] = -4.056_482e31;
    let mut y = vec![0.0f32; 1000];
    (y[0], y[200]) = (1.0, -0.5);
    check::check_dense_xent(&x, &y).unwrap();
    assert_eq!(dense_losses(&x, &y), [f32::NEG_INFINITY; 3]);
}

/// Dense loss terms near `f32::MAX` of either sign whose f32 running sum
/// overflows although the loss is finite: `(0.5 + 0.5 + 0.5 - 0.5) (l +
/// f32::MAX)` with `l = 0` is `f32::MAX`. The kernels' term-by-term path
/// and the reference sum the terms in f64 (both gave `+inf` in f32).
#[test]
fn dense_xent_terms_near_f32_max() {
    let x = [f32::MAX, 0.0, 0.0, 0.0, 0.0];
    let y = [0.0f32, 0.5, 0.5, 0.5, -0.5];
    assert_eq!(dense_losses(&x, &y), [f32::MAX; 3]);
}

/// `xent_dense` (by hand, seed 11): labels up to `4e31` on logits
/// `f32::MAX` apart. One `d_i` overflows to `-inf` (its term is `+inf`),
/// the others' terms overflow f32 to `+inf` and `-inf` although they are
/// finite: the loss is `+inf`. The reference formed its terms in f32 and
/// gave NaN; it now forms and sums them in f64, as the kernels do.
#[test]
fn dense_xent_terms_beyond_f32_with_one_infinite() {
    let x = [f32::MAX, -7.707_316e32, -7.159_936e29, -7.159_936e29];
    let y = [0.0f32, 1.517_042_4e26, -4.056_482e31, 1.517_042_4e26];
    assert_eq!(dense_losses(&x, &y), [f32::INFINITY; 3]);
    check::check_dense_xent(&x, &y).unwrap();
}

/// `xent_dense`: all logits `+inf`. The loss is `ln 6` (finite), but the
/// checker's scale is not finite, and the SIMD and reference sums differ by
/// 1 ULP.
#[test]
fn dense_xent_all_plus_inf_short() {
    check::check_dense_xent(&[f32::INFINITY; 6], &[1.0 / 6.0; 6]).unwrap();
}

/// `xent_dense`: all logits `+inf` on a longer row. The loss is
/// `sum y_i ln n`. The SIMD kernel summed the terms in a naive f32 chain, which
/// was 13 ULP off at n = 100 and 716 ULP at n = 7049 (the reference is within
/// 1 ULP of exact), against docs/SEMANTICS.md's "no naive long f32 running sum".
#[test]
fn dense_xent_all_plus_inf_long() {
    check::check_dense_xent(&[f32::INFINITY; 100], &[250.0 / 255.0; 100]).unwrap();
    let exact = f64::from(250.0f32 / 255.0) * 7049.0 * 7049f64.ln();
    let loss =
        softmax_simd::softmax_cross_entropy_with_logits(&[f32::INFINITY; 7049], &[250.0 / 255.0; 7049], None).unwrap();
    let rel = (f64::from(loss) - exact).abs() / exact;
    assert!(rel < 1e-6, "loss {loss}, exact {exact}, relative error {rel:e}");
}

/// `xent_dense`: the same naive sum on the `+inf` path shows in the gradient.
/// With uniform labels `1/n` and all logits `+inf`, `grad = Y/n - 1/n` is 0
/// (the reference). The SIMD kernel gave 4.97e-9 at n = 9593, against a
/// tolerance of 2e-10.
#[test]
fn dense_xent_all_plus_inf_gradient() {
    let n = 9593;
    check::check_dense_xent(&vec![f32::INFINITY; n], &vec![1.0 / n as f32; n]).unwrap();
}

/// `xent_dense`: huge negative labels whose sum `Y` overflows to `-inf`, on a
/// row with one dominant logit, so that `log1p(S - 1) = 0`. Every term is
/// `-inf` or 0, and the reference sums them to `-inf`. The SIMD kernel gave NaN,
/// which looks like `Y * log1p(S - 1) = -inf * 0`.
#[test]
fn dense_xent_overflowing_labels() {
    let mut x = vec![0.0f32; 2118];
    x[1088] = 2810.0 * 2f32.powi(42);
    let y = [f32::from_bits(0xfa00_0300); 2118];
    check::check_dense_xent(&x, &y).unwrap();
    assert_eq!(
        softmax_simd::softmax_cross_entropy_with_logits(&x, &y, None),
        Ok(f32::NEG_INFINITY)
    );
    assert_eq!(
        softmax_simd::reference::softmax_cross_entropy_with_logits(&x, &y, None),
        Ok(f32::NEG_INFINITY)
    );
}

/// `rows`: two problems at once (a label past the end and a gradient of the
/// wrong length). The SIMD kernel reported the label and the reference the
/// gradient. Both must return the same `Err`.
#[test]
fn sparse_rows_error_precedence() {
    let x = [0.0f32; 2];
    let (mut la, mut ga) = ([0.0f32; 1], [0.0f32; 1]);
    let simd = softmax_simd::sparse_softmax_cross_entropy_with_logits_rows(&x, &[5], 2, &mut la, Some(&mut ga));
    let (mut lb, mut gb) = ([0.0f32; 1], [0.0f32; 1]);
    let refr = reference::sparse_softmax_cross_entropy_with_logits_rows(&x, &[5], 2, &mut lb, Some(&mut gb));
    assert!(
        matches!(simd, Err(Error::LabelOutOfRange { .. } | Error::LengthMismatch { .. })),
        "{simd:?}"
    );
    assert_eq!(simd, refr);
}

/// `xent_dense`: labels in the subnormal range make subnormal gradients
/// (`Y p_i - y_i`). Each operation there is exact only to 2^-149, so SIMD and
/// reference differ by a few of those, which is far below a tolerance scaled
/// by `sum |y|`.
#[test]
fn dense_xent_gradient_in_the_subnormal_range() {
    let x: Vec<f32> = (0..8).map(|i| (i % 7) as f32 * 0.01).collect();
    check::check_dense_xent(&x, &[f32::from_bits(1000); 8]).unwrap();
}

/// `xent_dense`: a NaN logit with all-zero labels. docs/SEMANTICS.md says any NaN
/// logit makes the loss and the gradient NaN. The term-by-term sum (6a637c2)
/// gave a loss of 0, because a zero label's term is 0, while the reference
/// gave NaN.
#[test]
fn dense_xent_nan_logit_zero_labels() {
    check::check_dense_xent(&[1.0, f32::NAN], &[0.0, 0.0]).unwrap();
    check::check_dense_xent(&[f32::NAN, 1.0], &[0.0, 0.0]).unwrap();
}

/// F15 (`xent_dense`, CI fuzz run): `+inf` logits with huge labels, and a
/// negative label on a finite logit (its term is `-inf`). The finite terms
/// `y ln k` overflowed the compensated sum to `+inf` before the `-inf` term
/// came, giving NaN (SIMD) where the real sum is `-inf` (reference). Both
/// sums now let infinite terms decide, whatever the finite ones do.
#[test]
fn dense_xent_infinite_term_beats_overflowing_finite_terms() {
    let mut x = vec![f32::INFINITY; 8];
    x.push(0.0);
    let mut y = vec![4e37f32; 8];
    y.push(-1.0);
    check::check_dense_xent(&x, &y).unwrap();
    let simd = softmax_simd::softmax_cross_entropy_with_logits(&x, &y, None).unwrap();
    let refr = softmax_simd::reference::softmax_cross_entropy_with_logits(&x, &y, None).unwrap();
    assert_eq!((simd, refr), (f32::NEG_INFINITY, f32::NEG_INFINITY));
}

/// xent_options fuzz finding: class weights near 0 (subnormal) make the
/// `Mean` denominator subnormal, and `1 / div` overflowed f32 in the SIMD
/// gradient (inf) where dividing gives a finite value.
#[test]
fn subnormal_mean_denominator_keeps_a_finite_gradient() {
    use softmax_simd::{CrossEntropy, Reduction};
    let w = [-7.0e-44f32, 1.0, 2.0];
    let options = CrossEntropy {
        weights: Some(&w),
        reduction: Reduction::Mean,
        ..Default::default()
    };
    let logits = [0.5f32, -1.0, 2.0];
    let (mut ga, mut gb) = ([0.0f32; 3], [0.0f32; 3]);
    let la = softmax_simd::cross_entropy_rows(&logits, &[0u32], 3, &options, None, Some(&mut ga)).unwrap();
    let lb = softmax_simd::reference::cross_entropy_rows(&logits, &[0u32], 3, &options, None, Some(&mut gb)).unwrap();
    assert_eq!(la.to_bits(), lb.to_bits(), "loss {la} vs {lb}");
    for (i, (&a, &b)) in ga.iter().zip(&gb).enumerate() {
        assert!(a.is_finite() && b.is_finite(), "[{i}] {a} vs {b}");
        assert!((a - b).abs() <= 8.0 * f32::EPSILON * b.abs(), "[{i}] {a} vs {b}");
    }
}

/// The SIMD kernels as the training checker's implementation.
mod training {
    use crate::common::check_training::Training;
    use softmax_simd::{CrossEntropy, Reduction};
    crate::training_impl!(Simd, softmax_simd, false);

    /// The options with `weights`, for `Sum` and for `Mean`.
    pub fn both(weights: Option<&[f32]>) -> [CrossEntropy<'_>; 2] {
        [Reduction::Sum, Reduction::Mean].map(|reduction| CrossEntropy {
            weights,
            reduction,
            ..Default::default()
        })
    }
}

/// xent_options fuzz finding F23: a row of `+inf` logits with probability
/// targets of opposite signs. Its loss `sum_c y_c ln 2` cancels; the SIMD
/// special-row path rounded each `y_c ln 2` to f32 before summing (2 ULP
/// from the reference here, more with deeper cancellation), where the
/// reference forms and sums the terms in f64.
#[test]
fn xent_limit_row_terms_cancel() {
    use common::check_training::{Targets, check_xent};
    let x = [f32::INFINITY; 2];
    let y = [0.3f32, -0.3001];
    for o in training::both(None) {
        check_xent::<training::Simd, u8>(&x, &Targets::Dense(&y), 2, &o).unwrap();
        let simd = softmax_simd::cross_entropy_rows_dense(&x, &y, 2, &o, None, None).unwrap();
        let refr = reference::cross_entropy_rows_dense(&x, &y, 2, &o, None, None).unwrap();
        assert_eq!(simd.to_bits(), refr.to_bits(), "{simd:e} vs {refr:e}");
    }
}

/// xent_options fuzz finding F24 (the checker's): probability targets near
/// `f32::MAX / 4` make `sum_c |y_c| (|d_c| + l)` pass f32's range while the
/// loss stays finite. The SIMD kernel's regrouped `A l - sum(y d)` and the
/// reference's f64 terms are both within the row bound
/// `8 eps sum_c |y_c| (|d_c| + l)` of the f64 loss, here 7 ULP apart; the
/// checker held such rows to 1 ULP, as the limit rows.
#[test]
fn xent_targets_near_f32_max_finite_loss() {
    use common::check_training::{Targets, check_xent};
    use softmax_simd::{CrossEntropy, Reduction};
    let x = [-1.731_958_7f32, -3.453_608_3, -4.072_165];
    let y = [-7.04e37f32, 6.39e37, -5.01e37];
    for o in training::both(None) {
        check_xent::<training::Simd, u8>(&x, &Targets::Dense(&y), 3, &o).unwrap();
    }
    let o = CrossEntropy {
        reduction: Reduction::Sum,
        ..Default::default()
    };
    let simd = softmax_simd::cross_entropy_rows_dense(&x, &y, 3, &o, None, None).unwrap();
    let refr = reference::cross_entropy_rows_dense(&x, &y, 3, &o, None, None).unwrap();
    // Both finite, and apart by more than 1 ULP (what the checker used to allow).
    assert!(simd.is_finite() && refr.is_finite());
    assert!(simd.to_bits().abs_diff(refr.to_bits()) > 1, "{simd:e} vs {refr:e}");
}

/// xent_options fuzz finding F25 (the reference's; docs/training.md's open
/// finding (1)): class weights near `f32::MIN` whose f32 sum overflows to
/// `-inf`, without smoothing. The reference formed the smoothing part's
/// `A = (e / C) sum_c w_c` as `0 * -inf = NaN`, so every gradient entry
/// was NaN where the gradient is `w_t (p - onehot) / div` (the SIMD
/// kernel's, and PyTorch's). `A` is now formed in f64.
#[test]
fn xent_weights_whose_sum_overflows_without_smoothing() {
    use common::check_training::{Targets, check_xent};
    use softmax_simd::CrossEntropy;
    let w = [-2.6e38f32, 6.1e5, -2.6e38];
    let x = [0.0f32, 0.5, -1.0, 0.0, 0.0, 0.0];
    let labels = [1u8, 1];
    for o in training::both(Some(&w)) {
        check_xent::<training::Simd, u8>(&x, &Targets::Labels(&labels), 3, &o).unwrap();
        let (mut ga, mut gb) = ([0.0f32; 6], [0.0f32; 6]);
        softmax_simd::cross_entropy_rows(&x, &labels, 3, &o, None, Some(&mut ga)).unwrap();
        reference::cross_entropy_rows(&x, &labels, 3, &o, None, Some(&mut gb)).unwrap();
        for (i, (&a, &b)) in ga.iter().zip(&gb).enumerate() {
            assert!(a.is_finite() && b.is_finite(), "[{i}] {a} vs {b}");
            assert!((a - b).abs() <= 4.0 * f32::EPSILON * b.abs(), "[{i}] {a} vs {b}");
        }
    }
    // The same weights on a `+inf` row (the SIMD kernel's scalar special path).
    let x = [f32::INFINITY, 0.0, 0.0];
    let o = CrossEntropy {
        weights: Some(&w),
        ..Default::default()
    };
    check_xent::<training::Simd, u8>(&x, &Targets::Labels(&[1u8]), 3, &o).unwrap();
    let mut g = [0.0f32; 3];
    softmax_simd::cross_entropy_rows(&x, &[1u8], 3, &o, None, Some(&mut g)).unwrap();
    assert_eq!(g, [1.0, -1.0, 0.0]);
}

/// xent_options fuzz finding F26 (the checker's): a `Mean` denominator of
/// about `-1e11` (weights `-3.4e10` on half the rows) divides the
/// gradient of the rows whose label weighs `2.6e-29` down to subnormals
/// (`-1.6409e-41`). The kernel's entry was the correctly rounded f32, but
/// the checker's bound, divided by the denominator too, had fallen below
/// f32's subnormal spacing (`2^-149`), which it now adds.
#[test]
fn xent_gradient_divided_into_subnormals() {
    use common::check_training::{Targets, check_xent};
    use softmax_simd::CrossEntropy;
    let w: Vec<f32> = (0..16)
        .map(|c| f32::from_bits(if c % 2 == 0 { 268_829_186 } else { 3_506_044_814 }))
        .collect();
    let x = [0.0f32; 96];
    let labels = [14usize, 11, 14, 11, 14, 11];
    let o = CrossEntropy {
        weights: Some(&w),
        ..Default::default()
    };
    check_xent::<training::Simd, usize>(&x, &Targets::Labels(&labels), 16, &o).unwrap();
    let mut g = [0.0f32; 96];
    softmax_simd::cross_entropy_rows(&x, &labels, 16, &o, None, Some(&mut g)).unwrap();
    assert!(g[0] != 0.0 && g[0].abs() < f32::MIN_POSITIVE, "{:e}", g[0]);
}

/// xent_options fuzz finding F27 (the checker's): subnormal probability
/// targets (`-5.94e-43`) times a weight of `-0.00093` give a coefficient
/// of `5.5e-46`, which f32 rounds to 0 (both implementations form the
/// coefficients in f32, as docs/SEMANTICS.md says), on a logit `1.8e30`
/// below the max: the f64 oracle's loss keeps its `1e-15`. The checker now
/// allows each coefficient's absolute subnormal rounding.
#[test]
fn xent_coefficient_underflows_on_a_far_logit() {
    use common::check_training::{Targets, check_xent};
    let w = [-0.001f32, 0.002, -0.000_93];
    let x = [0.0f32, 0.346_573_65, -1.782_633_7e30];
    let y = [-5.94e-43f32; 3];
    for o in training::both(Some(&w)) {
        check_xent::<training::Simd, u8>(&x, &Targets::Dense(&y), 3, &o).unwrap();
    }
}
