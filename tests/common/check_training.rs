//! The agreement checks of issue 12's API (temperature, backward passes,
//! cross-entropy options, streaming), beside `check.rs` (whose helpers and
//! bounds they use): a file of their own because the existing fuzz targets
//! include `check.rs` alone, without the f64 oracle these need. A fuzz
//! target for the new families includes `check.rs`, `f64ref.rs` and this
//! file as sibling modules.
#![allow(dead_code)]

// ---------------------------------------------------------------------------
// Issue 12: temperature, backward passes, cross-entropy options, streaming.
//
// Each `check_*` below is generic over an implementation of [`Training`]
// (the reference now; the SIMD kernels once they exist, through
// `training_impl!`), holds it to the f64 oracle (`f64ref`), to the
// special-value and error contracts of docs/SEMANTICS.md, and to the
// identities between its forms (in place, row-batched: bit for bit), and,
// for an implementation other than the reference, to `reference` itself.
//
// Bounds, on top of the inherent roundings that the oracle shares (it
// computes from the same f32 `d_i = x_i - m` and `t_i = beta * d_i`):
// - scaled softmax: SOFTMAX_ULP of the f64 `exp(t_i) / S`; scaled
//   log-softmax and logsumexp: LOG_EPS * eps * (|t_i| + log1p(S - 1)),
//   resp. (|beta m| + log1p(S - 1)) (the unscaled bounds with `t` for `d`).
// - backward passes, BACKWARD_EPS: `softmax_backward`:
//   `8 eps |y_i| (|dy_i| + sum_j |y_j dy_j|)`; `log_softmax_backward`:
//   `8 eps (|dz_i| + exp(z_i) sum_j |dz_j|)` (each output's own terms plus
//   the compensated dot product's or sum's magnitude), plus the flush
//   allowance (`f32::MIN_POSITIVE`, times `1 + sum_j |dz_j|` for the
//   log-softmax pass: an `exp(z_i)` below it may be flushed to 0, as the
//   kernels' exp does).
// - cross-entropy rows: a row's loss within LOG_EPS * eps *
//   `sum_c |coef_c| (|d_c| + log1p(S - 1))`; `Sum` within the rows' bounds
//   summed plus eps of the sum of |losses|; `Mean` that plus 3 eps of the
//   sum of |losses|, divided by |denominator|. Gradient entries within
//   GRAD_EPS * eps * `(|h| |p_j - [j == t]| + sum_c |spread_c| p_j +
//   |spread_j|) / |denominator|` (`h = (1 - e) w[t]`, `spread_c` the
//   smoothing / probability part `(e / C) w[c]` or `w[c] y'[c]`;
//   `|p_t - 1|` taken as the sum of the other classes' `p`). Every
//   `|coef_c|` and `|spread_c|` is the magnitude of the terms that form it
//   (`|w| ((1 - e) |y| + e / C)`), since `y'` may cancel after f32 has
//   rounded its terms. Plus the flush allowance of subnormal exps, as
//   everywhere. A `Mean` whose denominator is zero is NaN, with NaN
//   gradients on the counted rows (weights >= 0; PyTorch's `0 / 0`).
// - an implementation other than the reference: also within twice these
//   bounds of the reference (both are within them of f64), special rows
//   within 1 ULP.
// - streaming: `finish()` within the whole-row logsumexp bound plus
//   `eps * sum_i p_i |d_i|`, the chunk softmax / log-softmax within the
//   whole-row bounds plus the same term (times `p_i` for the softmax): each
//   chunk rounds `x_i - m_chunk` where the whole row rounds `x_i - m`, one
//   more inherent rounding of at most `eps/2 |d_i|` relative per term.
// ---------------------------------------------------------------------------

use softmax_simd::{CrossEntropy, Error, Label, Reduction, reference};

use super::check::{
    EPS, FLUSH, GRAD_EPS, LOG_EPS, SOFTMAX_ULP, Special, blocked_softmax_tol, close, fail, flushed, has_nan, inf_count,
    max_f32, one_pass_may_differ, same_bits, special,
};
use super::f64ref;

/// Backward passes: in units of `eps` times the magnitudes above.
pub const BACKWARD_EPS: f64 = 8.0;
/// `LogSumExp::finish()` of any split and merge tree against the f64
/// logsumexp of the whole row: `LSE_TOL_EPS * eps * (|m| + log1p(S - 1))`,
/// the whole-row bound, where the chunks' own roundings are negligible.
pub const LSE_TOL_EPS: f64 = super::check::LOG_EPS;

/// One implementation of issue 12's API, as the generic checks call it.
pub trait Training {
    const NAME: &'static str;
    /// Whether this is `softmax_simd::reference` (else it is also held to it).
    const IS_REFERENCE: bool;
    type Lse: Clone + core::fmt::Debug;
    fn softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error>;
    fn softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error>;
    fn log_softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error>;
    fn log_softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error>;
    fn logsumexp_scaled(x: &[f32], beta: f32) -> Result<f32, Error>;
    fn softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error>;
    fn softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error>;
    fn log_softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error>;
    fn log_softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error>;
    fn logsumexp_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error>;
    fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<(), Error>;
    fn softmax_backward_in_place(y: &[f32], dy: &mut [f32]) -> Result<(), Error>;
    fn softmax_backward_rows(y: &[f32], dy: &[f32], classes: usize, dx: &mut [f32]) -> Result<(), Error>;
    fn softmax_backward_rows_in_place(y: &[f32], dy: &mut [f32], classes: usize) -> Result<(), Error>;
    fn log_softmax_backward(z: &[f32], dz: &[f32], dx: &mut [f32]) -> Result<(), Error>;
    fn log_softmax_backward_in_place(z: &[f32], dz: &mut [f32]) -> Result<(), Error>;
    fn log_softmax_backward_rows(z: &[f32], dz: &[f32], classes: usize, dx: &mut [f32]) -> Result<(), Error>;
    fn log_softmax_backward_rows_in_place(z: &[f32], dz: &mut [f32], classes: usize) -> Result<(), Error>;
    fn cross_entropy_rows<L: Label>(
        logits: &[f32],
        labels: &[L],
        classes: usize,
        options: &CrossEntropy<'_>,
        losses: Option<&mut [f32]>,
        grad: Option<&mut [f32]>,
    ) -> Result<f32, Error>;
    fn cross_entropy_rows_dense(
        logits: &[f32],
        targets: &[f32],
        classes: usize,
        options: &CrossEntropy<'_>,
        losses: Option<&mut [f32]>,
        grad: Option<&mut [f32]>,
    ) -> Result<f32, Error>;
    fn argmax(x: &[f32]) -> Option<usize>;
    fn lse_new() -> Self::Lse;
    fn lse_update(s: &mut Self::Lse, x: &[f32]);
    fn lse_merge(s: &mut Self::Lse, other: &Self::Lse);
    fn lse_finish(s: &Self::Lse) -> f32;
    fn lse_softmax_chunk(s: &Self::Lse, x: &[f32], out: &mut [f32]) -> Result<(), Error>;
    fn lse_log_softmax_chunk(s: &Self::Lse, x: &[f32], out: &mut [f32]) -> Result<(), Error>;
}

/// `training_impl!(Name, path, is_reference)`: [`Training`] (which must be
/// in scope) for the module at `path` (`softmax_simd::reference`, later
/// `softmax_simd`).
#[macro_export]
macro_rules! training_impl {
    ($name:ident, $k:path, $is_ref:expr) => {
        pub struct $name;
        const _: () = {
            use softmax_simd::{CrossEntropy, Error, Label};
            use $k as k;
            impl Training for $name {
                const NAME: &'static str = stringify!($k);
                const IS_REFERENCE: bool = $is_ref;
                type Lse = k::LogSumExp;
                fn softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> {
                    k::softmax_scaled(x, beta, out)
                }
                fn softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> {
                    k::softmax_scaled_in_place(x, beta)
                }
                fn log_softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> {
                    k::log_softmax_scaled(x, beta, out)
                }
                fn log_softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> {
                    k::log_softmax_scaled_in_place(x, beta)
                }
                fn logsumexp_scaled(x: &[f32], beta: f32) -> Result<f32, Error> {
                    k::logsumexp_scaled(x, beta)
                }
                fn softmax_rows_scaled(x: &[f32], c: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
                    k::softmax_rows_scaled(x, c, beta, out)
                }
                fn softmax_rows_scaled_in_place(x: &mut [f32], c: usize, beta: f32) -> Result<(), Error> {
                    k::softmax_rows_scaled_in_place(x, c, beta)
                }
                fn log_softmax_rows_scaled(x: &[f32], c: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
                    k::log_softmax_rows_scaled(x, c, beta, out)
                }
                fn log_softmax_rows_scaled_in_place(x: &mut [f32], c: usize, beta: f32) -> Result<(), Error> {
                    k::log_softmax_rows_scaled_in_place(x, c, beta)
                }
                fn logsumexp_rows_scaled(x: &[f32], c: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> {
                    k::logsumexp_rows_scaled(x, c, beta, out)
                }
                fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) -> Result<(), Error> {
                    k::softmax_backward(y, dy, dx)
                }
                fn softmax_backward_in_place(y: &[f32], dy: &mut [f32]) -> Result<(), Error> {
                    k::softmax_backward_in_place(y, dy)
                }
                fn softmax_backward_rows(y: &[f32], dy: &[f32], c: usize, dx: &mut [f32]) -> Result<(), Error> {
                    k::softmax_backward_rows(y, dy, c, dx)
                }
                fn softmax_backward_rows_in_place(y: &[f32], dy: &mut [f32], c: usize) -> Result<(), Error> {
                    k::softmax_backward_rows_in_place(y, dy, c)
                }
                fn log_softmax_backward(z: &[f32], dz: &[f32], dx: &mut [f32]) -> Result<(), Error> {
                    k::log_softmax_backward(z, dz, dx)
                }
                fn log_softmax_backward_in_place(z: &[f32], dz: &mut [f32]) -> Result<(), Error> {
                    k::log_softmax_backward_in_place(z, dz)
                }
                fn log_softmax_backward_rows(z: &[f32], dz: &[f32], c: usize, dx: &mut [f32]) -> Result<(), Error> {
                    k::log_softmax_backward_rows(z, dz, c, dx)
                }
                fn log_softmax_backward_rows_in_place(z: &[f32], dz: &mut [f32], c: usize) -> Result<(), Error> {
                    k::log_softmax_backward_rows_in_place(z, dz, c)
                }
                fn cross_entropy_rows<L: Label>(
                    logits: &[f32],
                    labels: &[L],
                    classes: usize,
                    options: &CrossEntropy<'_>,
                    losses: Option<&mut [f32]>,
                    grad: Option<&mut [f32]>,
                ) -> Result<f32, Error> {
                    k::cross_entropy_rows(logits, labels, classes, options, losses, grad)
                }
                fn cross_entropy_rows_dense(
                    logits: &[f32],
                    targets: &[f32],
                    classes: usize,
                    options: &CrossEntropy<'_>,
                    losses: Option<&mut [f32]>,
                    grad: Option<&mut [f32]>,
                ) -> Result<f32, Error> {
                    k::cross_entropy_rows_dense(logits, targets, classes, options, losses, grad)
                }
                fn argmax(x: &[f32]) -> Option<usize> {
                    k::argmax(x)
                }
                fn lse_new() -> k::LogSumExp {
                    k::LogSumExp::new()
                }
                fn lse_update(s: &mut k::LogSumExp, x: &[f32]) {
                    s.update(x)
                }
                fn lse_merge(s: &mut k::LogSumExp, other: &k::LogSumExp) {
                    s.merge(other)
                }
                fn lse_finish(s: &k::LogSumExp) -> f32 {
                    s.finish()
                }
                fn lse_softmax_chunk(s: &k::LogSumExp, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
                    s.softmax_chunk(x, out)
                }
                fn lse_log_softmax_chunk(s: &k::LogSumExp, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
                    s.log_softmax_chunk(x, out)
                }
            }
        };
    };
}

training_impl!(Ref, softmax_simd::reference, true);

/// `got` equals `want` (NaN, infinities included) or is within `tol`.
pub fn near(got: f32, want: f64, tol: f64) -> bool {
    // An exact value beyond f32's range rounds to the infinity of its sign
    // (`beta * m` can overflow where `m` does not).
    let overflow = want.abs() > f32::MAX as f64 && got.is_infinite() && (got > 0.0) == (want > 0.0);
    overflow || got as f64 == want || (got.is_nan() && want.is_nan()) || ((got as f64) - want).abs() <= tol
}

/// The docs/SEMANTICS.md limit row of `x` (softmax, log-softmax, logsumexp) when
/// its max is not finite: NaN, `+inf` (`k` share `1/k`), masked.
fn limit(x: &[f32]) -> Option<(Vec<f32>, Vec<f32>, f32)> {
    let s = special(x)?;
    let k = inf_count(x);
    let each = |v: f32| match s {
        Special::Nan => (f32::NAN, f32::NAN),
        Special::Masked => (0.0, f32::NEG_INFINITY),
        Special::Inf(_) if v == f32::INFINITY => (1.0 / k as f32, 0.0 - (k as f32).ln()), // +0 for k = 1
        Special::Inf(_) => (0.0, f32::NEG_INFINITY),
    };
    let lse = match s {
        Special::Nan => f32::NAN,
        Special::Inf(_) => f32::INFINITY,
        Special::Masked => f32::NEG_INFINITY,
    };
    Some((
        x.iter().map(|&v| each(v).0).collect(),
        x.iter().map(|&v| each(v).1).collect(),
        lse,
    ))
}

/// The limit values within 1 ULP (`ln k` from `libm::logf` or std's), NaN
/// equal to NaN.
fn limit_eq(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(&x, &y)| close(x, y, 1, 0.0))
}

fn want_err<T: core::fmt::Debug>(what: &str, x: &[f32], r: Result<T, Error>, e: &Error) -> Result<(), String> {
    match r {
        Err(ref got) if got == e => Ok(()),
        other => fail(what, x, format!("want Err({e:?}), got {other:?}")),
    }
}

fn untouched(what: &str, x: &[f32], out: &[f32], sentinel: f32) -> Result<(), String> {
    if out.iter().all(|v| v.to_bits() == sentinel.to_bits()) {
        Ok(())
    } else {
        fail(what, x, "an output was written before an Err".into())
    }
}

/// The scaled single-row forms on one row and one `beta`.
pub fn check_scaled<K: Training>(x: &[f32], beta: f32) -> Result<(), String> {
    let n = x.len();
    let s7 = 7.0f32;
    let (mut p, mut z) = (vec![s7; n], vec![s7; n]);
    let (rp, rz, rl) = (
        K::softmax_scaled(x, beta, &mut p),
        K::log_softmax_scaled(x, beta, &mut z),
        K::logsumexp_scaled(x, beta),
    );
    let (mut pi, mut zi) = (x.to_vec(), x.to_vec());
    let (rpi, rzi) = (
        K::softmax_scaled_in_place(&mut pi, beta),
        K::log_softmax_scaled_in_place(&mut zi, beta),
    );
    if !(beta.is_finite() && beta > 0.0) {
        let e = Error::InvalidBeta;
        want_err("softmax_scaled", x, rp, &e)?;
        want_err("log_softmax_scaled", x, rz, &e)?;
        want_err("logsumexp_scaled", x, rl, &e)?;
        want_err("softmax_scaled_in_place", x, rpi, &e)?;
        want_err("log_softmax_scaled_in_place", x, rzi, &e)?;
        untouched("softmax_scaled", x, &p, s7)?;
        untouched("log_softmax_scaled", x, &z, s7)?;
        if !same_bits(&pi, x) || !same_bits(&zi, x) {
            return fail("scaled in place", x, "written before InvalidBeta".into());
        }
        return Ok(());
    }
    let lse = rl.map_err(|e| format!("{}: logsumexp_scaled: {e}", K::NAME))?;
    for r in [rp, rz, rpi, rzi] {
        r.map_err(|e| format!("{}: scaled: {e}", K::NAME))?;
    }
    if !same_bits(&p, &pi) || !same_bits(&z, &zi) {
        return fail("scaled", x, format!("{}: in place differs from out of place", K::NAME));
    }
    let bad = K::softmax_scaled(x, beta, &mut vec![0.0; n + 1]);
    want_err(
        "softmax_scaled",
        x,
        bad,
        &Error::LengthMismatch {
            expected: n,
            found: n + 1,
        },
    )?;
    let bad = K::log_softmax_scaled(x, beta, &mut vec![0.0; n + 1]);
    want_err(
        "log_softmax_scaled",
        x,
        bad,
        &Error::LengthMismatch {
            expected: n,
            found: n + 1,
        },
    )?;
    if let Some((lp, lz, ll)) = limit(x) {
        if n > 0 && (!limit_eq(&p, &lp) || !limit_eq(&z, &lz)) {
            return fail(
                "scaled special",
                x,
                format!("beta {beta}: {p:?} / {z:?}, want {lp:?} / {lz:?}"),
            );
        }
        if !close(lse, ll, 0, 0.0) {
            return fail("logsumexp_scaled special", x, format!("{lse}, want {ll}"));
        }
        return Ok(());
    }
    let Some(s) = f64ref::split_scaled(x, beta) else {
        return Ok(());
    };
    let l = s.l();
    // Where the one-pass log-sum may run (SIMD only), its `beta (x_i - r)`
    // and f64 rescaling round apart from the f32 `t_i = beta d_i` of the
    // oracle: `log1p(S - 1)` within `eps sum p_i |t_i|` more, as the
    // unscaled checker allows (`one_pass_log_sum_tol`).
    let one_pass = if !K::IS_REFERENCE && one_pass_may_differ(n) {
        EPS * s
            .softmax()
            .iter()
            .zip(&s.d)
            .filter(|&(&p, _)| p > 0.0)
            .map(|(p, t)| p * t.abs())
            .sum::<f64>()
    } else {
        0.0
    };
    for (i, (&got, &want)) in p.iter().zip(&s.softmax()).enumerate() {
        // The blocked structure's argument rounds as `beta (x - r)`.
        let tol = FLUSH.max(blocked_softmax_tol(n, s.d[i].abs(), want));
        if !close(got, want as f32, SOFTMAX_ULP, tol) {
            return fail(
                "softmax_scaled",
                x,
                format!("beta {beta}, [{i}] {got:e} vs f64 {want:e}"),
            );
        }
    }
    let sum: f64 = p.iter().map(|&v| v as f64).sum();
    if (sum - 1.0).abs() > (SOFTMAX_ULP + 2) as f64 * EPS {
        return fail("softmax_scaled", x, format!("beta {beta}: sums to {sum}"));
    }
    for (i, (&got, &want)) in z.iter().zip(&s.log_softmax()).enumerate() {
        let tol = LOG_EPS * EPS * (s.d[i].abs() + l) + flushed(n) + one_pass;
        if !near(got, want, tol) {
            return fail(
                "log_softmax_scaled",
                x,
                format!("beta {beta}, [{i}] {got:e} vs f64 {want:e}, tol {tol:e}"),
            );
        }
    }
    let tol = LOG_EPS * EPS * (s.m.abs() + l) + flushed(n) + one_pass;
    if !near(lse, s.lse(), tol) {
        return fail(
            "logsumexp_scaled",
            x,
            format!("beta {beta}: {lse:e} vs f64 {:e}", s.lse()),
        );
    }
    if !K::IS_REFERENCE {
        let mut pr = vec![0.0; n];
        reference::softmax_scaled(x, beta, &mut pr).unwrap();
        let (mut zr, lr) = (vec![0.0; n], reference::logsumexp_scaled(x, beta).unwrap());
        reference::log_softmax_scaled(x, beta, &mut zr).unwrap();
        let tol = 2.0 * (LOG_EPS * EPS * (s.m.abs() + l) + flushed(n)) + one_pass;
        if !close(lse, lr, 0, tol) {
            return fail("logsumexp_scaled", x, format!("{lse:e} vs reference {lr:e}"));
        }
        let tz = |i: usize| 2.0 * (LOG_EPS * EPS * (s.d[i].abs() + l) + flushed(n)) + one_pass;
        let tp = |i: usize| FLUSH.max(blocked_softmax_tol(n, s.d[i].abs(), pr[i] as f64));
        if let Some(i) = (0..n).find(|&i| !close(p[i], pr[i], SOFTMAX_ULP, tp(i)) || !close(z[i], zr[i], 0, tz(i))) {
            return fail(
                "softmax_scaled",
                x,
                format!("[{i}] {:e} / {:e} vs reference {:e} / {:e}", p[i], z[i], pr[i], zr[i]),
            );
        }
    }
    Ok(())
}

/// The shape error of a buffer of `n` values in rows of `classes`.
pub fn shape_error(n: usize, classes: usize) -> Option<Error> {
    match n.checked_rem(classes) {
        None => Some(Error::NoClasses),
        Some(0) => None,
        Some(_) => Some(Error::NotMultipleOfClasses { len: n, classes }),
    }
}

/// Row-batched scaled forms: the same `Err` (nothing written), or every row
/// bit for bit the single-row result.
pub fn check_scaled_rows<K: Training>(x: &[f32], classes: usize, beta: f32) -> Result<(), String> {
    let n = x.len();
    let shape = if !(beta.is_finite() && beta > 0.0) {
        Some(Error::InvalidBeta)
    } else {
        shape_error(n, classes)
    };
    let rows = n.checked_div(classes).unwrap_or(0);
    let s7 = 7.0f32;
    type Out = fn(&[f32], usize, f32, &mut [f32]) -> Result<(), Error>;
    type In = fn(&mut [f32], usize, f32) -> Result<(), Error>;
    type One = fn(&mut [f32], f32) -> Result<(), Error>;
    let forms: [(&str, Out, In, One); 2] = [
        (
            "softmax_rows_scaled",
            K::softmax_rows_scaled,
            K::softmax_rows_scaled_in_place,
            K::softmax_scaled_in_place,
        ),
        (
            "log_softmax_rows_scaled",
            K::log_softmax_rows_scaled,
            K::log_softmax_rows_scaled_in_place,
            K::log_softmax_scaled_in_place,
        ),
    ];
    for (what, out_fn, in_fn, one) in forms {
        let mut out = vec![s7; n];
        let r = out_fn(x, classes, beta, &mut out);
        let mut inp = x.to_vec();
        let ri = in_fn(&mut inp, classes, beta);
        if let Some(e) = &shape {
            want_err(what, x, r, e)?;
            want_err(what, x, ri, e)?;
            untouched(what, x, &out, s7)?;
            if !same_bits(&inp, x) {
                return fail(what, x, "in place: written before an Err".into());
            }
            continue;
        }
        r.map_err(|e| format!("{what}: {e}"))?;
        ri.map_err(|e| format!("{what}: {e}"))?;
        let mut want = x.to_vec();
        for row in want.chunks_exact_mut(classes) {
            one(row, beta).map_err(|e| e.to_string())?;
        }
        if !same_bits(&out, &want) || !same_bits(&inp, &want) {
            return fail(
                what,
                x,
                format!("classes {classes}: rows differ from the single-row form"),
            );
        }
        let bad = out_fn(x, classes, beta, &mut vec![0.0; n + 1]);
        want_err(
            what,
            x,
            bad,
            &Error::LengthMismatch {
                expected: n,
                found: n + 1,
            },
        )?;
    }
    let mut out = vec![s7; rows];
    let r = K::logsumexp_rows_scaled(x, classes, beta, &mut out);
    if let Some(e) = &shape {
        want_err("logsumexp_rows_scaled", x, r, e)?;
        return untouched("logsumexp_rows_scaled", x, &out, s7);
    }
    r.map_err(|e| e.to_string())?;
    let want: Vec<f32> = x
        .chunks_exact(classes)
        .map(|r| K::logsumexp_scaled(r, beta).unwrap())
        .collect();
    if !same_bits(&out, &want) {
        return fail("logsumexp_rows_scaled", x, "rows differ from logsumexp_scaled".into());
    }
    let bad = K::logsumexp_rows_scaled(x, classes, beta, &mut vec![0.0; rows + 1]);
    want_err(
        "logsumexp_rows_scaled",
        x,
        bad,
        &Error::LengthMismatch {
            expected: rows,
            found: rows + 1,
        },
    )
}

/// Both backward passes on `(y, dy)` (and `(z, dz)` = the same slices read
/// as a log-softmax output): lengths, in place, rows of `classes`, f64.
pub fn check_backward<K: Training>(y: &[f32], dy: &[f32], classes: usize) -> Result<(), String> {
    let n = y.len();
    let s7 = 7.0f32;
    type Out = fn(&[f32], &[f32], &mut [f32]) -> Result<(), Error>;
    type In = fn(&[f32], &mut [f32]) -> Result<(), Error>;
    type Rows = fn(&[f32], &[f32], usize, &mut [f32]) -> Result<(), Error>;
    type RowsIn = fn(&[f32], &mut [f32], usize) -> Result<(), Error>;
    type Oracle = fn(&[f32], &[f32]) -> Vec<f64>;
    let forms: [(&str, Out, In, Rows, RowsIn, Oracle); 2] = [
        (
            "softmax_backward",
            K::softmax_backward,
            K::softmax_backward_in_place,
            K::softmax_backward_rows,
            K::softmax_backward_rows_in_place,
            f64ref::softmax_backward,
        ),
        (
            "log_softmax_backward",
            K::log_softmax_backward,
            K::log_softmax_backward_in_place,
            K::log_softmax_backward_rows,
            K::log_softmax_backward_rows_in_place,
            f64ref::log_softmax_backward,
        ),
    ];
    for (k, (what, out_fn, in_fn, rows_fn, rows_in_fn, oracle)) in forms.into_iter().enumerate() {
        let mut dx = vec![s7; n];
        let r = out_fn(y, dy, &mut dx);
        let mut d = dy.to_vec();
        let ri = in_fn(y, &mut d);
        if dy.len() != n {
            let e = Error::LengthMismatch {
                expected: n,
                found: dy.len(),
            };
            want_err(what, y, r, &e)?;
            want_err(what, y, ri, &e)?;
            untouched(what, y, &dx, s7)?;
            if !same_bits(&d, dy) {
                return fail(what, y, "in place: written before an Err".into());
            }
            continue;
        }
        r.map_err(|e| format!("{what}: {e}"))?;
        ri.map_err(|e| format!("{what}: {e}"))?;
        if !same_bits(&dx, &d) {
            return fail(what, y, "in place differs from out of place".into());
        }
        let bad = out_fn(y, dy, &mut vec![0.0; n + 1]);
        want_err(
            what,
            y,
            bad,
            &Error::LengthMismatch {
                expected: n,
                found: n + 1,
            },
        )?;
        // Rows: the same as each row alone, or the shape error.
        let mut rows_out = vec![s7; n];
        let rr = rows_fn(y, dy, classes, &mut rows_out);
        let mut rows_in = dy.to_vec();
        let rri = rows_in_fn(y, &mut rows_in, classes);
        match shape_error(n, classes) {
            Some(e) => {
                want_err(what, y, rr, &e)?;
                want_err(what, y, rri, &e)?;
                untouched(what, y, &rows_out, s7)?;
            }
            None => {
                rr.map_err(|e| format!("{what} rows: {e}"))?;
                rri.map_err(|e| format!("{what} rows: {e}"))?;
                let mut want = dy.to_vec();
                for (yr, dr) in y.chunks_exact(classes).zip(want.chunks_exact_mut(classes)) {
                    in_fn(yr, dr).map_err(|e| e.to_string())?;
                }
                if !same_bits(&rows_out, &want) || !same_bits(&rows_in, &want) {
                    return fail(
                        what,
                        y,
                        format!("classes {classes}: rows differ from the single-row form"),
                    );
                }
            }
        }
        // f64: NaN anywhere in the dot product or sum makes every output
        // NaN; otherwise within the bound, where nothing overflows.
        if y.iter().chain(dy).any(|v| !v.is_finite()) {
            continue;
        }
        let want = oracle(y, dy);
        let (sum_abs, scale): (f64, Box<dyn Fn(usize) -> f64>) = if k == 0 {
            let s: f64 = y.iter().zip(dy).map(|(&a, &b)| (a as f64 * b as f64).abs()).sum();
            (s, Box::new(move |i| (y[i] as f64).abs() * ((dy[i] as f64).abs() + s)))
        } else {
            let s: f64 = dy.iter().map(|&b| (b as f64).abs()).sum();
            (s, Box::new(move |i| (dy[i] as f64).abs() + (y[i] as f64).exp() * s))
        };
        // The flush allowance of a subnormal exp(z_i), times what it
        // multiplies; for the softmax pass, the products `y_j dy_j` that
        // underflow f32 (each off by up to 2^-149), times `|y_i|`.
        let tiny = f64::from(f32::from_bits(1));
        let flush = |i: usize| {
            if k == 0 {
                FLUSH + (y[i] as f64).abs() * n as f64 * tiny
            } else {
                FLUSH * (1.0 + sum_abs)
            }
        };
        if sum_abs > f32::MAX as f64 / 4.0 {
            continue;
        }
        for i in 0..n {
            let tol = BACKWARD_EPS * EPS * scale(i) + flush(i);
            // Beyond f32's range (exp(z) of a z > 88 that no log-softmax
            // gives, or magnitudes near f32::MAX) an f32 intermediate is an
            // infinity: nothing to compare.
            // (For the softmax pass `dy_i - <dy, y>` itself may overflow.)
            let diff = (dy[i] as f64).abs() + sum_abs;
            if !tol.is_finite()
                || scale(i) > f32::MAX as f64 / 4.0
                || (k == 0 && diff > f32::MAX as f64 / 4.0)
                || (k == 1 && y[i] > 88.0)
            {
                continue;
            }
            if !near(dx[i], want[i], tol) {
                return fail(what, y, format!("[{i}] {:e} vs f64 {:e}, tol {tol:e}", dx[i], want[i]));
            }
        }
        if !K::IS_REFERENCE {
            let mut dr = vec![0.0; n];
            [reference::softmax_backward, reference::log_softmax_backward][k](y, dy, &mut dr).unwrap();
            for i in 0..n {
                let tol = BACKWARD_EPS * EPS * scale(i) + flush(i);
                if !close(dx[i], dr[i], 0, tol) {
                    return fail(what, y, format!("[{i}] {:e} vs reference {:e}", dx[i], dr[i]));
                }
            }
        }
    }
    Ok(())
}

/// `argmax`: the first index of the max, `None` for empty or any NaN.
pub fn check_argmax<K: Training>(x: &[f32]) -> Result<(), String> {
    let want = if x.is_empty() || has_nan(x) {
        None
    } else {
        let m = max_f32(x);
        x.iter().position(|&v| v == m)
    };
    let got = K::argmax(x);
    if got != want {
        return fail("argmax", x, format!("{got:?}, want {want:?}"));
    }
    Ok(())
}

/// The targets of a cross-entropy check.
pub enum Targets<'a, L> {
    Labels(&'a [L]),
    Dense(&'a [f32]),
}

/// The `Err` docs/SEMANTICS.md's list (in the documented order) asks of these
/// arguments, `None` if they are valid.
pub fn xent_error<L: Label>(
    logits: usize,
    targets: &Targets<'_, L>,
    classes: usize,
    o: &CrossEntropy<'_>,
    losses: Option<usize>,
    grad: Option<usize>,
) -> Option<Error> {
    let mismatch =
        |expected: usize, found: usize| (expected != found).then_some(Error::LengthMismatch { expected, found });
    if let Some(e) = shape_error(logits, classes) {
        return Some(e);
    }
    let rows = logits / classes;
    let e = o.label_smoothing;
    if e.is_nan() || !(0.0..=1.0).contains(&e) {
        return Some(Error::InvalidLabelSmoothing);
    }
    if matches!(targets, Targets::Dense(_)) && o.ignore_index.is_some() {
        return Some(Error::IgnoreIndexWithProbabilities);
    }
    let lengths = [
        o.weights.and_then(|w| mismatch(classes, w.len())),
        match targets {
            Targets::Labels(l) => mismatch(rows, l.len()),
            Targets::Dense(y) => mismatch(logits, y.len()),
        },
        losses.and_then(|l| mismatch(rows, l)),
        grad.and_then(|g| mismatch(logits, g)),
    ];
    if let Some(e) = lengths.into_iter().flatten().next() {
        return Some(e);
    }
    let Targets::Labels(labels) = targets else {
        return None;
    };
    labels.iter().find_map(|&l| {
        let v = l.value();
        if o.ignore_index.is_some_and(|i| i as i128 == v) {
            None
        } else if v < 0 {
            Some(Error::NegativeLabel {
                label: v as i64,
                classes,
            })
        } else if v >= classes as i128 {
            Some(Error::LabelOutOfRange {
                label: usize::try_from(v).unwrap_or(usize::MAX),
                classes,
            })
        } else {
            None
        }
    })
}

pub fn run_xent<K: Training, L: Label>(
    logits: &[f32],
    targets: &Targets<'_, L>,
    classes: usize,
    o: &CrossEntropy<'_>,
    losses: Option<&mut [f32]>,
    grad: Option<&mut [f32]>,
) -> Result<f32, Error> {
    match targets {
        Targets::Labels(l) => K::cross_entropy_rows(logits, l, classes, o, losses, grad),
        Targets::Dense(y) => K::cross_entropy_rows_dense(logits, y, classes, o, losses, grad),
    }
}

/// Both cross-entropies with PyTorch's options: the error contract (every
/// bad argument an `Err`, nothing written), the loss independent of which
/// outputs are asked for, and each row, the reduction and the gradient
/// against the f64 oracle.
pub fn check_xent<K: Training, L: Label>(
    logits: &[f32],
    targets: &Targets<'_, L>,
    classes: usize,
    o: &CrossEntropy<'_>,
) -> Result<(), String> {
    let n = logits.len();
    let rows = n.checked_div(classes).unwrap_or(0);
    let s7 = 7.0f32;
    let (mut losses, mut grad) = (vec![s7; rows], vec![s7; n]);
    let r_full = run_xent::<K, L>(logits, targets, classes, o, Some(&mut losses), Some(&mut grad));
    let r_none = run_xent::<K, L>(logits, targets, classes, o, None, None);
    let what = K::NAME;
    if let Some(e) = xent_error(n, targets, classes, o, Some(rows), Some(n)) {
        want_err(what, logits, r_full, &e)?;
        want_err(what, logits, r_none, &e)?;
        untouched(what, logits, &losses, s7)?;
        return untouched(what, logits, &grad, s7);
    }
    let total = r_full.map_err(|e| format!("{what}: unexpected {e:?}"))?;
    let total2 = r_none.map_err(|e| format!("{what}: unexpected {e:?}"))?;
    if !same_bits(&[total], &[total2]) {
        return fail(
            what,
            logits,
            format!("loss depends on the outputs asked for: {total} / {total2}"),
        );
    }
    // Wrong output lengths.
    for (dl, dg) in [(1, 0), (0, 1)] {
        let (mut l2, mut g2) = (vec![s7; rows + dl], vec![s7; n + dg]);
        let r = run_xent::<K, L>(logits, targets, classes, o, Some(&mut l2), Some(&mut g2));
        let e = xent_error(n, targets, classes, o, Some(rows + dl), Some(n + dg)).unwrap();
        want_err(what, logits, r, &e)?;
        untouched(what, logits, &l2, s7)?;
        untouched(what, logits, &g2, s7)?;
    }
    // The f64 oracle, row by row.
    let detail = |r: usize| {
        let t = match targets {
            Targets::Dense(y) => format!("y {:?}", &y[r * classes..(r + 1) * classes]),
            Targets::Labels(l) => format!("label {}", l[r].value()),
        };
        format!("x {:?}, {t}, {o:?}", &logits[r * classes..(r + 1) * classes])
    };
    let e = o.label_smoothing;
    let mut sum = 0.0f64;
    let (mut sum_tol, mut sum_abs) = (0.0f64, 0.0f64);
    let mut div = 0.0f64;
    let mut all_finite = true;
    let mut row_grads: Vec<Option<(Vec<f64>, Vec<f64>)>> = Vec::new();
    // Each finite counted row's loss tolerance (`None`: special or ignored).
    let mut row_tols: Vec<Option<f64>> = vec![None; rows];
    // Rows whose magnitudes reach f32's range, and among them those whose
    // coefficients' magnitudes sum beyond it (their gradient bounds).
    let mut huge = vec![false; rows];
    let mut wide_coefs: Vec<Option<Vec<f64>>> = vec![None; rows];
    for (r, x) in logits.chunks_exact(classes).enumerate() {
        let row = match targets {
            Targets::Labels(l) => {
                let v = l[r].value();
                let t = if o.ignore_index.is_some_and(|i| i as i128 == v) {
                    None
                } else {
                    Some(v as usize)
                };
                if let Some(t) = t {
                    div += o.weights.map_or(1.0, |w| w[t] as f64);
                }
                f64ref::XentRow::index(t, classes, o.weights, e)
            }
            Targets::Dense(y) => {
                div += 1.0;
                Some(f64ref::XentRow::dense(&y[r * classes..(r + 1) * classes], o.weights, e))
            }
        };
        let g = &grad[r * classes..(r + 1) * classes];
        let Some(row) = row else {
            // Ignored: no loss, no gradient.
            if losses[r] != 0.0 || g.iter().any(|&v| v != 0.0) {
                return fail(
                    what,
                    logits,
                    format!("ignored row {r}: loss {}, grad not zero", losses[r]),
                );
            }
            row_grads.push(None);
            continue;
        };
        if has_nan(x) {
            if !losses[r].is_nan() || !g.iter().all(|v| v.is_nan()) {
                return fail(what, logits, format!("NaN row {r}: loss {}, grad not NaN", losses[r]));
            }
            all_finite = false;
            row_grads.push(None);
            continue;
        }
        let Some(s) = f64ref::split(x) else {
            all_finite = false;
            row_grads.push(None);
            continue;
        };
        let (want, want_g) = row.eval(&s);
        let l = s.l();
        // |coef_c| before any cancellation inside it.
        let mag = |c: usize| row.spread_abs[c] + row.hot.filter(|h| h.0 == c).map_or(0.0, |h| h.1.abs());
        let coef_abs: f64 = (0..classes).map(mag).sum();
        let scale: f64 = (0..classes)
            .filter(|&c| row.coef[c] != 0.0)
            .map(|c| mag(c) * (s.d[c].abs() + l))
            .sum();
        // F27: the coefficients are formed in f32 (as docs/SEMANTICS.md and
        // both implementations form them), the oracle's in f64; where an
        // f32 product lands among the subnormals (or below them, at 0) its
        // rounding is absolute, up to half of 2^-149 per product (two per
        // coefficient: `(1 - e) y` or `(e / C)`, then times `w`), which no
        // relative bound covers (a coefficient of 5.5e-46 on a logit
        // 1.8e30 below the max: 1e-15 of loss that f32 cannot keep).
        let sub = f64::from(f32::from_bits(1));
        let under = |c: usize| sub * (1.0 + o.weights.map_or(1.0, |w| f64::from(w[c]).abs()));
        let under_scale: f64 = (0..classes)
            .filter(|&c| row.coef[c] != 0.0)
            .map(|c| under(c) * (s.d[c].abs() + l))
            .sum();
        let under_all: f64 = (0..classes).map(under).sum();
        let p = s.softmax();
        let spread_abs: f64 = row.spread_abs.iter().sum();
        let others: f64 = row
            .hot
            .map_or(0.0, |(t, _)| (0..classes).filter(|&k| k != t).map(|k| p[k]).sum());
        let gtol: Vec<f64> = (0..classes)
            .map(|j| {
                // |p_j - [j == t]|, the target's from the other classes (no cancellation).
                let hot = row
                    .hot
                    .map_or(0.0, |(t, h)| h.abs() * if t == j { others } else { p[j] });
                GRAD_EPS * EPS * (hot + spread_abs * p[j] + row.spread_abs[j])
                    + FLUSH * (1.0 + coef_abs)
                    + under(j)
                    + under_all * p[j]
            })
            .collect();
        let tol = LOG_EPS * EPS * scale + flushed(classes) * (1.0 + coef_abs) + under_scale;
        if scale > f32::MAX as f64 / 4.0 || coef_abs > f32::MAX as f64 / 4.0 {
            // Magnitudes at the edge of f32: an infinite loss (a coefficient
            // on a -inf logit: `scale` infinite), or terms, coefficients and
            // partial sums that may overflow f32 in one order of summation
            // and not in another. Such a row stays out of the total's check,
            // and an infinite loss out of every comparison; a finite loss is
            // an ordinary one, within the row bound of the oracle (and twice
            // it of the reference, below), not within 1 ULP as the limit rows
            // (the open finding of docs/fuzzing.md, now F24: a loss of
            // -2.1e38 from the regrouped `A l - sum(coef d)`, 2 ULP from the
            // reference's f64 terms, well inside the bound). The gradient is
            // ordinary too; where the coefficients' magnitudes pass f32::MAX
            // their sum `A` may overflow in one implementation only, so there
            // only entries finite in both are compared.
            all_finite = false;
            huge[r] = true;
            if scale.is_finite() {
                if losses[r].is_finite() && !near(losses[r], want, tol) {
                    return fail(
                        what,
                        logits,
                        format!(
                            "row {r} (magnitudes near f32::MAX): loss {:e} vs f64 {want:e}, tol {tol:e}; {}",
                            losses[r],
                            detail(r)
                        ),
                    );
                }
                row_tols[r] = Some(tol);
            }
            if coef_abs > f32::MAX as f64 / 4.0 {
                wide_coefs[r] = Some(gtol);
                row_grads.push(None);
            } else {
                row_grads.push(Some((want_g, gtol)));
            }
            continue;
        }
        if !near(losses[r], want, tol) {
            return fail(
                what,
                logits,
                format!(
                    "row {r}: loss {:e} vs f64 {want:e}, tol {tol:e}; {}",
                    losses[r],
                    detail(r)
                ),
            );
        }
        sum += want;
        sum_tol += tol;
        sum_abs += want.abs();
        row_grads.push(Some((want_g, gtol)));
        row_tols[r] = Some(tol);
    }
    let (want_total, mut tol, d) = match o.reduction {
        Reduction::Sum => (sum, sum_tol + EPS * sum_abs, 1.0),
        Reduction::Mean => (sum / div, (sum_tol + 3.0 * EPS * sum_abs) / div.abs(), div),
    };
    let nonneg = o.weights.is_none_or(|w| w.iter().all(|&v| v >= 0.0));
    if o.reduction == Reduction::Mean && div == 0.0 {
        // PyTorch's 0 / 0: nothing counted (every row ignored, no rows, only
        // rows of weight 0). The ignored rows' gradient is zero (checked
        // above), the counted rows' NaN.
        let counted_nan = row_grads
            .iter()
            .enumerate()
            .filter(|(_, g)| g.is_some())
            .all(|(r, _)| grad[r * classes..(r + 1) * classes].iter().all(|v| v.is_nan()));
        if nonneg && (!total.is_nan() || !counted_nan) {
            return fail(
                what,
                logits,
                format!("Mean of nothing counted: {total}, want NaN (and NaN gradients)"),
            );
        }
        return Ok(());
    }
    // An f32 sum of the losses beyond f32's range overflows (in every
    // implementation): nothing to compare.
    if sum.abs() > f32::MAX as f64 / 2.0 {
        all_finite = false;
    }
    if all_finite {
        tol += FLUSH;
        if !near(total, want_total, tol) {
            return fail(
                what,
                logits,
                format!("{:?}: {total:e} vs f64 {want_total:e}, tol {tol:e}", o.reduction),
            );
        }
        for (r, rg) in row_grads.iter().enumerate() {
            let Some((want_g, gtol)) = rg else { continue };
            for j in 0..classes {
                let got = grad[r * classes + j];
                // Plus one step of f32's subnormal spacing (2^-149): a large
                // Mean denominator can take a gradient, and the bound divided
                // by it, below f32's normal range, where the output's own
                // rounding is absolute (F26).
                let t = gtol[j] / d.abs() + f64::from(f32::from_bits(1));
                if !near(got, want_g[j] / d, t) {
                    return fail(
                        what,
                        logits,
                        format!(
                            "grad[{r}][{j}] {got:e} vs f64 {:e}, tol {t:e}; {}",
                            want_g[j] / d,
                            detail(r)
                        ),
                    );
                }
            }
        }
    }
    if !K::IS_REFERENCE {
        // Both within their bounds of f64, so within twice of each other;
        // special rows (limits, NaN) the same within 1 ULP.
        let (mut lr, mut gr) = (vec![0.0; rows], vec![0.0; n]);
        let want = run_xent::<Ref, L>(logits, targets, classes, o, Some(&mut lr), Some(&mut gr)).unwrap();
        if all_finite && !close(total, want, 0, 2.0 * tol) {
            return fail(what, logits, format!("{total:e} vs reference {want:e}"));
        }
        for r in 0..rows {
            // F16 (xent_options fuzz run): an infinite probability target
            // on a class whose `-log p` is 0 in the SIMD kernel (the other
            // exps flushed below -87.33654) but a subnormal in the
            // reference (libm keeps it) makes `inf * 0 = NaN` against
            // `inf * tiny = inf`: the documented flush decides. Such rows
            // are left to the contract checks above, as F12 and F14 are.
            // Likewise a row whose loss is infinite: its gradient meets the
            // same `inf * 0` against `inf * tiny`.
            let infinite_target = matches!(targets, Targets::Dense(y)
                if y.get(r * classes..(r + 1) * classes).is_some_and(|t| t.iter().any(|v| v.is_infinite())));
            if infinite_target || lr[r].is_infinite() {
                continue;
            }
            let (g, gw) = (
                &grad[r * classes..(r + 1) * classes],
                &gr[r * classes..(r + 1) * classes],
            );
            let lt = row_tols[r].map_or(0.0, |t| 2.0 * t);
            let gt: Vec<f64> = match (&row_grads[r], &wide_coefs[r]) {
                (Some((_, gtol)), _) | (None, Some(gtol)) => gtol.iter().map(|t| 2.0 * t / d.abs()).collect(),
                (None, None) => vec![0.0; classes],
            };
            // A Mean's gradient is divided by the denominator each
            // implementation sums on its own (compensated, each within 1 ULP
            // of exact): 3 ULP between them on the special rows.
            let g_ulps = if o.reduction == Reduction::Mean { 3 } else { 1 };
            let both_finite = |a: f32, b: f32| a.is_finite() && b.is_finite();
            let loss_ok = (huge[r] && !both_finite(losses[r], lr[r])) || close(losses[r], lr[r], 1, lt);
            let grad_ok =
                |j: usize| (wide_coefs[r].is_some() && !both_finite(g[j], gw[j])) || close(g[j], gw[j], g_ulps, gt[j]);
            if !loss_ok || !(0..classes).all(grad_ok) {
                return fail(
                    what,
                    logits,
                    format!(
                        "row {r}: loss {:e} / grad {g:?} vs reference {:e} / {gw:?}",
                        losses[r], lr[r]
                    ),
                );
            }
        }
    }
    Ok(())
}

/// Splits `x` at `cuts` (sorted or not, clamped), feeds the chunks to
/// `LogSumExp` states in order and through a merge tree chosen by `seed`,
/// and holds `finish()` and the chunks' softmax / log-softmax to the f64
/// oracle of the whole row (and the special states to docs/SEMANTICS.md).
pub fn check_streaming<K: Training>(x: &[f32], cuts: &[usize], seed: u64) -> Result<(), String> {
    let n = x.len();
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(n)).collect();
    cuts.push(0);
    cuts.push(n);
    cuts.sort_unstable();
    let chunks: Vec<&[f32]> = cuts.windows(2).map(|w| &x[w[0]..w[1]]).collect();
    // In order, one state.
    let mut seq = K::lse_new();
    for c in &chunks {
        K::lse_update(&mut seq, c);
    }
    // A state per chunk, merged in a random tree.
    let mut states: Vec<K::Lse> = chunks
        .iter()
        .map(|c| {
            let mut s = K::lse_new();
            K::lse_update(&mut s, c);
            s
        })
        .collect();
    let mut rng = seed | 1;
    let mut next = |m: usize| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        (rng % m as u64) as usize
    };
    while states.len() > 1 {
        let i = next(states.len());
        let a = states.swap_remove(i);
        let j = next(states.len());
        K::lse_merge(&mut states[j], &a);
    }
    let tree = states.pop().unwrap();
    let what = "LogSumExp";
    for (how, s) in [("in order", &seq), ("merged", &tree)] {
        let lse = K::lse_finish(s);
        let mut p = vec![0.0f32; n];
        let mut z = vec![0.0f32; n];
        for (w, c) in cuts.windows(2).zip(&chunks) {
            K::lse_softmax_chunk(s, c, &mut p[w[0]..w[1]]).map_err(|e| e.to_string())?;
            K::lse_log_softmax_chunk(s, c, &mut z[w[0]..w[1]]).map_err(|e| e.to_string())?;
        }
        let bad = K::lse_softmax_chunk(s, x, &mut vec![0.0; n + 1]);
        want_err(
            what,
            x,
            bad,
            &Error::LengthMismatch {
                expected: n,
                found: n + 1,
            },
        )?;
        if let Some((lp, lz, ll)) = limit(x) {
            if !close(lse, ll, 0, 0.0) || (n > 0 && (!limit_eq(&p, &lp) || !limit_eq(&z, &lz))) {
                return fail(
                    what,
                    x,
                    format!("{how}, {} chunks: special row gave {lse}", chunks.len()),
                );
            }
            continue;
        }
        if n == 0 {
            if lse != f32::NEG_INFINITY {
                return fail(what, x, format!("empty: {lse}"));
            }
            continue;
        }
        let sp = f64ref::split(x).unwrap();
        let l = sp.l();
        let pw = sp.softmax();
        let inherent: f64 = EPS
            * pw.iter()
                .zip(&sp.d)
                .filter(|&(&p, _)| p > 0.0)
                .map(|(p, d)| p * d.abs())
                .sum::<f64>();
        let tol = LOG_EPS * EPS * (sp.m.abs() + l) + inherent + flushed(n);
        if !near(lse, sp.lse(), tol) {
            return fail(
                what,
                x,
                format!(
                    "{how}, {} chunks: finish {lse:e} vs f64 {:e}, tol {tol:e}",
                    chunks.len(),
                    sp.lse()
                ),
            );
        }
        for i in 0..n {
            let ok_p = close(p[i], pw[i] as f32, SOFTMAX_ULP, FLUSH)
                || near(p[i], pw[i], (SOFTMAX_ULP as f64 * EPS + inherent) * pw[i] + FLUSH);
            let tz = LOG_EPS * EPS * (sp.d[i].abs() + l) + inherent + flushed(n);
            let want_z = sp.d[i] - l;
            if !ok_p || !near(z[i], want_z, tz) {
                return fail(
                    what,
                    x,
                    format!(
                        "{how}, [{i}]: softmax {:e} vs {:e}, log {:e} vs {want_z:e}",
                        p[i], pw[i], z[i]
                    ),
                );
            }
        }
    }
    Ok(())
}
