//! The one agreement checker of softmax-simd: `no_std`, no allocation, so
//! the host tests (`tests/common/check.rs`), the fuzz targets (which include
//! that file) and the Cortex-M runner (`firmware/qemu-tests/src/agree.rs`)
//! all judge the SIMD kernels against `softmax_simd::reference` with the
//! same bounds, predicates and inputs. Callers own the buffers and the
//! messages (String on the host, semihosting on the Cortex-M).
//!
//! The bounds (SIMD vs reference):
//! - `exp`: within `EXP_ULP` ULP; `+inf` above 88.72283, `+0` below -87.33654.
//! - `softmax`: within `SOFTMAX_ULP` ULP, or both below `FLUSH`; a finite
//!   row sums to 1 within `(SOFTMAX_ULP + 2) * eps`.
//! - `log_softmax`, `logsumexp`, losses: within `LOG_EPS * eps * scale`,
//!   `scale` the sum of the magnitudes of the terms (`|x_i - max| +
//!   log1p(S - 1)`, times `|y_i|` for a loss), plus [`flushed`]`(n)`.
//! - gradients: within `GRAD_EPS * eps * (|Y p_i| + |y_i|)` plus the flush
//!   allowance.
//! - flushing: below `f32::MIN_POSITIVE` the SIMD `exp` returns 0 where libm
//!   keeps a subnormal, so a sum of `n` exps may move by `n * MIN_POSITIVE`.
//! - rows whose max is not finite (NaN, `+inf`, all `-inf`) take the exact
//!   values of docs/SEMANTICS.md ([`special`], [`special_outputs`]).
//! - in-place and row-batched forms: bit-identical to the single-row kernels.
#![no_std]

use core::fmt;
use softmax_simd::{self as simd, Error, reference};

/// `exp`: SIMD vs `libm::expf` (SIMD <= 1 ULP, libm < 1 ULP from the
/// correctly rounded value).
pub const EXP_ULP: u32 = 2;
/// `softmax` outputs: SIMD vs reference, in ULP of the reference output.
pub const SOFTMAX_ULP: u32 = 8;
/// `log_softmax`, `logsumexp` and losses: in units of `eps * scale`.
pub const LOG_EPS: f64 = 8.0;
/// Gradients: in units of `eps * (|Y softmax_i| + |y_i|)`.
pub const GRAD_EPS: f64 = 8.0;
/// Special rows: the table's rounded constants (`-ln k`, `1/k`) within 1 ULP.
pub const SPECIAL_ULP: u32 = 1;
/// Below `exp`'s flush threshold values are equal for agreement purposes.
pub const FLUSH: f64 = f32::MIN_POSITIVE as f64;
pub const EPS: f64 = f32::EPSILON as f64;
/// `exp` overflows to `+inf` above this and flushes to `+0` below `EXP_MIN`.
pub const EXP_MAX: f32 = 88.72283;
pub const EXP_MIN: f32 = -87.33654;

/// The most that flushing can move a sum of `n` exps: each term below
/// `f32::MIN_POSITIVE` may be 0 in one implementation and not the other.
pub fn flushed(n: usize) -> f64 {
    n.max(1) as f64 * FLUSH
}

/// Distance in ULP between two finite floats of any sign.
pub fn ulp_diff(a: f32, b: f32) -> u32 {
    fn key(x: f32) -> i64 {
        let b = x.to_bits() as i32 as i64;
        if b < 0 { i64::from(i32::MIN) - b } else { b }
    }
    (key(a) - key(b)).unsigned_abs().min(u32::MAX as u64) as u32
}

/// Same value (NaN == NaN, -0 == +0), or within `ulps` ULP, or within `abs`.
pub fn close(a: f32, b: f32, ulps: u32, abs: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a == b {
        return true;
    }
    if a.is_infinite() || b.is_infinite() {
        return false;
    }
    ((a as f64) - (b as f64)).abs() <= abs || ulp_diff(a, b) <= ulps
}

/// Bit-identical slices (any NaN equals any NaN).
pub fn same_bits(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .all(|(x, y)| x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()))
}

pub fn has_nan(x: &[f32]) -> bool {
    x.iter().any(|v| v.is_nan())
}
pub fn inf_count(x: &[f32]) -> usize {
    x.iter().filter(|&&v| v == f32::INFINITY).count()
}
pub fn max_f32(x: &[f32]) -> f32 {
    x.iter().copied().fold(f32::NEG_INFINITY, f32::max)
}

/// One disagreement: which output, where, the two values and the bound.
#[derive(Clone, Debug, PartialEq)]
pub struct Mismatch {
    pub what: &'static str,
    pub index: Option<usize>,
    pub got: f32,
    pub want: f32,
    /// Allowed ULP distance and absolute difference.
    pub ulps: u32,
    pub tol: f64,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.what)?;
        if let Some(i) = self.index {
            write!(f, " [{i}]")?;
        }
        write!(
            f,
            ": {:e} vs {:e} ({} ULP apart; {} ULP or {:e} allowed)",
            self.got,
            self.want,
            ulp_diff(self.got, self.want),
            self.ulps,
            self.tol
        )
    }
}

/// `Ok` if `close(got, want, ulps, tol)`, else the [`Mismatch`].
pub fn expect_close(
    what: &'static str,
    index: Option<usize>,
    got: f32,
    want: f32,
    ulps: u32,
    tol: f64,
) -> Result<(), Mismatch> {
    if close(got, want, ulps, tol) {
        Ok(())
    } else {
        Err(Mismatch {
            what,
            index,
            got,
            want,
            ulps,
            tol,
        })
    }
}

/// `exp` of `x`: SIMD `a` against reference `b`, with the overflow and flush
/// thresholds exact.
pub fn exp_agrees(x: &[f32], a: &[f32], b: &[f32]) -> Result<(), Mismatch> {
    for (i, ((&v, &p), &q)) in x.iter().zip(a).zip(b).enumerate() {
        let (ok, want) = if v.is_nan() {
            (p.is_nan() && q.is_nan(), f32::NAN)
        } else if v > EXP_MAX {
            (p == f32::INFINITY, f32::INFINITY)
        } else if v < EXP_MIN {
            (p.to_bits() == 0, 0.0)
        } else {
            (close(p, q, EXP_ULP, 0.0), q)
        };
        if !ok {
            return Err(Mismatch {
                what: "exp: simd vs reference",
                index: Some(i),
                got: p,
                want,
                ulps: EXP_ULP,
                tol: 0.0,
            });
        }
    }
    Ok(())
}

/// What docs/SEMANTICS.md says of a row whose max is not finite (`None`: finite).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Special {
    Nan,
    Inf(usize),
    Masked,
}

pub fn special(x: &[f32]) -> Option<Special> {
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

/// `(softmax, log_softmax)` of the value `v` of a special row.
pub fn special_outputs(s: Special, v: f32) -> (f32, f32) {
    match s {
        Special::Nan => (f32::NAN, f32::NAN),
        Special::Masked => (0.0, f32::NEG_INFINITY),
        Special::Inf(k) if v == f32::INFINITY => (1.0 / k as f32, -libm::logf(k as f32)),
        Special::Inf(_) => (0.0, f32::NEG_INFINITY),
    }
}

/// `logsumexp` of a special row.
pub fn special_logsumexp(s: Special) -> f32 {
    match s {
        Special::Nan => f32::NAN,
        Special::Inf(_) => f32::INFINITY,
        Special::Masked => f32::NEG_INFINITY,
    }
}

/// `max` (SIMD `m`, reference `mr`) and `logsumexp` (`l`, `lr`) of `x`.
pub fn reduce_agrees(x: &[f32], m: f32, mr: f32, l: f32, lr: f32) -> Result<(), Mismatch> {
    let want_max = if has_nan(x) { f32::NAN } else { max_f32(x) };
    expect_close("max: simd vs the max", None, m, want_max, 0, 0.0)?;
    expect_close("max: reference vs the max", None, mr, want_max, 0, 0.0)?;
    match special(x) {
        Some(s) => {
            let w = special_logsumexp(s);
            expect_close("logsumexp of a special row: simd", None, l, w, 0, 0.0)?;
            expect_close("logsumexp of a special row: reference", None, lr, w, 0, 0.0)
        }
        None => {
            let scale = (want_max as f64).abs() + ((lr - want_max) as f64).abs();
            let tol = LOG_EPS * EPS * scale + flushed(x.len()) + one_pass_log_sum_tol(x);
            expect_close("logsumexp: simd vs reference", None, l, lr, 0, tol)
        }
    }
}

/// `log1p(S - 1)` of a finite row, from the reference `log_softmax` at the
/// arg-max (`lse - m` in f32 would lose it when `m` is large). `scratch`
/// holds at least `x.len()` values.
pub fn log_normaliser(x: &[f32], scratch: &mut [f32]) -> f64 {
    let Some(ls) = scratch.get_mut(..x.len()) else {
        return f64::NAN;
    };
    if reference::log_softmax(x, ls).is_err() {
        return f64::NAN;
    }
    let m = max_f32(x);
    x.iter().position(|&v| v == m).map_or(0.0, |arg| -(ls[arg] as f64))
}

/// Softmax (`a` SIMD, `b` reference) and log-softmax (`la`, `lb`) of `x`:
/// the special-row values, or the bounds of a finite row and its sum.
pub fn softmax_agrees(
    x: &[f32],
    a: &[f32],
    b: &[f32],
    la: &[f32],
    lb: &[f32],
    scratch: &mut [f32],
) -> Result<(), Mismatch> {
    let n = x.len();
    match special(x) {
        Some(s) => {
            for (i, &v) in x.iter().enumerate() {
                let (p, lp) = special_outputs(s, v);
                expect_close("softmax of a special row: simd", Some(i), a[i], p, SPECIAL_ULP, 0.0)?;
                expect_close(
                    "softmax of a special row: reference",
                    Some(i),
                    b[i],
                    p,
                    SPECIAL_ULP,
                    0.0,
                )?;
                expect_close(
                    "log_softmax of a special row: simd",
                    Some(i),
                    la[i],
                    lp,
                    SPECIAL_ULP,
                    0.0,
                )?;
                expect_close(
                    "log_softmax of a special row: reference",
                    Some(i),
                    lb[i],
                    lp,
                    SPECIAL_ULP,
                    0.0,
                )?;
            }
            Ok(())
        }
        None => {
            let m = max_f32(x);
            let l = log_normaliser(x, scratch);
            let one_pass = one_pass_log_sum_tol(x);
            for i in 0..n {
                let tol = blocked_softmax_tol(n, ((x[i] - m) as f64).abs(), b[i] as f64);
                expect_close(
                    "softmax: simd vs reference",
                    Some(i),
                    a[i],
                    b[i],
                    SOFTMAX_ULP,
                    FLUSH.max(tol),
                )?;
                let tol = LOG_EPS * EPS * (((x[i] - m) as f64).abs() + l.abs()) + flushed(n) + one_pass;
                expect_close("log_softmax: simd vs reference", Some(i), la[i], lb[i], 0, tol)?;
            }
            // Each output is within SOFTMAX_ULP of a reference that is itself
            // within a few ULP of exact, so the sum is 1 within about that.
            let sum: f64 = a.iter().map(|&v| v as f64).sum();
            let bound = (SOFTMAX_ULP + 2) as f64 * EPS;
            if (sum - 1.0).abs() > bound {
                return Err(Mismatch {
                    what: "softmax: the sum vs 1",
                    index: None,
                    got: sum as f32,
                    want: 1.0,
                    ulps: 0,
                    tol: bound,
                });
            }
            Ok(())
        }
    }
}

/// The f64 scale of the loss terms, `sum |y_i| (|L| + |d_i|)`, over terms
/// with `y_i != 0`.
pub fn loss_scale(x: &[f32], y: impl Fn(usize) -> f32, scratch: &mut [f32]) -> f64 {
    let m = max_f32(x);
    if m == f32::INFINITY && !has_nan(x) {
        // The +inf limit: `-log_softmax` is `ln k` on the k infinite
        // logits and +inf elsewhere (then the loss is infinite too).
        let ln_k = libm::log(inf_count(x) as f64);
        return (0..x.len())
            .filter(|&i| y(i) != 0.0)
            .map(|i| (y(i) as f64).abs() * if x[i] == f32::INFINITY { ln_k } else { f64::INFINITY })
            .sum();
    }
    let l = log_normaliser(x, scratch);
    (0..x.len())
        .filter(|&i| y(i) != 0.0)
        .map(|i| (y(i) as f64).abs() * (l.abs() + ((x[i] - m) as f64).abs()))
        .sum()
}

/// Whether the SIMD loss without a gradient may take the one-pass log-sum
/// while the loss with one takes the two-pass form (the long-row structure,
/// forced or past the crossovers, 2^21 values at the earliest): the two
/// then round differently, within the loss bound.
pub fn one_pass_may_differ(n: usize) -> bool {
    softmax_simd::testing::structure() == "long" || n >= 1 << 21
}

/// The allowance of `log1p(S - 1)` beyond the two-pass bound where the
/// one-pass log-sum may run ([`one_pass_may_differ`]): it sums
/// `exp(x_i - r)` for a running max `r <= m`, scaled by `exp(r - m)` in
/// f64, where the reference and the f64 oracle round `d_i = x_i - m` to
/// f32 first. Each term's exponent then differs by up to `eps/2 |d_i|`
/// (both roundings), so `S` by `eps/2 sum_i exp(d_i) |d_i|` and `log1p(S -
/// 1)` by `eps/2 sum_i p_i |d_i|`: allowed as `eps sum_i p_i |d_i|` (the
/// streaming chunks' term). `0` elsewhere and for rows whose max is not
/// finite.
pub fn one_pass_log_sum_tol(x: &[f32]) -> f64 {
    let m = max_f32(x);
    if !one_pass_may_differ(x.len()) || !m.is_finite() {
        return 0.0;
    }
    let (mut s, mut sd) = (0.0f64, 0.0f64);
    for &v in x {
        let d = (v - m) as f64;
        let e = libm::exp(d);
        s += e;
        // `-inf` entries (`e = 0`) add nothing (not `0 * inf`).
        if e > 0.0 {
            sd += e * d.abs();
        }
    }
    if s > 0.0 { EPS * sd / s } else { 0.0 }
}

/// The allowance of a SIMD softmax output near `want` (with `|d_i| = d`)
/// beyond `SOFTMAX_ULP` where the blocked structure may run: it stores
/// `exp(x_i - r)` for a running max `r <= m` and scales by `exp(r - m) / S`,
/// so its argument rounds differently from `x_i - m`: it is held to
/// `(SOFTMAX_ULP + 3 |d_i|) u` relative (the rounding of `x_i - r`, of
/// `beta (x_i - r)` in the scaled forms, and of the factor; the unit tests
/// of the structures see up to `2 |d_i| u` unscaled). `0` elsewhere.
pub fn blocked_softmax_tol(n: usize, d: f64, want: f64) -> f64 {
    if one_pass_may_differ(n) {
        (SOFTMAX_ULP as f64 + 3.0 * d) * (EPS / 2.0) * want.abs()
    } else {
        0.0
    }
}

/// The loss of each of the four calls (SIMD, reference, then both again
/// with a gradient) does not depend on the gradient: bit for bit, or within
/// `tol` (the loss bound) where the SIMD structures differ.
fn losses_consistent(what: &'static str, l: [f32; 4], n: usize, tol: f64) -> Result<(), Mismatch> {
    let simd_tol = if one_pass_may_differ(n) { tol } else { 0.0 };
    expect_close(what, None, l[0], l[2], 0, simd_tol)?;
    expect_close(what, None, l[1], l[3], 0, 0.0)
}

/// Dense cross-entropy of `x` with labels `y`: the losses `l` (SIMD,
/// reference, SIMD with gradient `ga`, reference with gradient `gb`), with
/// `p` the reference softmax of `x`. Where the labels' or the terms' sums
/// can overflow f32, the two summation orders may legitimately reach
/// inf, -inf or NaN differently: only the consistency checks apply.
pub fn dense_agrees(
    x: &[f32],
    y: &[f32],
    l: [f32; 4],
    ga: &[f32],
    gb: &[f32],
    p: &[f32],
    scratch: &mut [f32],
) -> Result<(), Mismatch> {
    let n = x.len();
    let scale = loss_scale(x, |i| y[i], scratch);
    let y_abs: f64 = y.iter().map(|&v| (v as f64).abs()).sum();
    let overflow = y_abs > f32::MAX as f64 || (scale.is_finite() && scale > f32::MAX as f64);
    let tol = if scale.is_finite() {
        LOG_EPS * EPS * scale + (flushed(n) + one_pass_log_sum_tol(x)) * (1.0 + y_abs)
    } else {
        0.0
    };
    let what = "dense xent: the loss with vs without a gradient";
    losses_consistent(what, l, n, if overflow { f64::INFINITY } else { tol })?;
    if overflow {
        return Ok(());
    }
    expect_close("dense xent loss: simd vs reference", None, l[0], l[1], 0, tol)?;
    // Y = sum(y) is itself only as accurate as sum |y|.
    for i in 0..n {
        let g_tol = GRAD_EPS * EPS * (y_abs * p[i] as f64 + (y[i] as f64).abs()) + FLUSH * (1.0 + y_abs);
        let g_tol = if g_tol.is_finite() { g_tol } else { 0.0 };
        expect_close("dense xent grad: simd vs reference", Some(i), ga[i], gb[i], 0, g_tol)?;
    }
    Ok(())
}

/// Sparse cross-entropy of `x` at `label`: the four losses `l` as for
/// [`dense_agrees`], the gradients `ga` (SIMD) and `gb` (reference), and the
/// SIMD dense loss `ld` and gradient `gd` with one-hot labels.
#[allow(clippy::too_many_arguments)]
pub fn sparse_agrees(
    x: &[f32],
    label: usize,
    l: [f32; 4],
    ga: &[f32],
    gb: &[f32],
    ld: f32,
    gd: &[f32],
    scratch: &mut [f32],
) -> Result<(), Mismatch> {
    let n = x.len();
    let scale = loss_scale(x, |i| if i == label { 1.0 } else { 0.0 }, scratch);
    let tol = if scale.is_finite() {
        LOG_EPS * EPS * scale + flushed(n) + one_pass_log_sum_tol(x)
    } else {
        0.0
    };
    losses_consistent("sparse xent: the loss with vs without a gradient", l, n, tol)?;
    expect_close("sparse xent loss: simd vs reference", None, l[0], l[1], 0, tol)?;
    // The sparse gradient is the dense one with one-hot labels.
    expect_close("sparse xent loss: simd vs dense one-hot", None, l[0], ld, 0, tol)?;
    for i in 0..n {
        // Both compute the label's entry without cancellation, as
        // -(S - e_label) / S: relative accuracy everywhere.
        expect_close(
            "sparse xent grad: simd vs reference",
            Some(i),
            ga[i],
            gb[i],
            SOFTMAX_ULP,
            flushed(n),
        )?;
        let g_tol = GRAD_EPS * EPS + flushed(n);
        expect_close(
            "sparse xent grad: simd vs dense one-hot",
            Some(i),
            ga[i],
            gd[i],
            0,
            g_tol,
        )?;
    }
    Ok(())
}

// ---- Row-batched forms: every row bit-identical to the single-row kernel.

/// A row-batched form that failed: its name and the first differing row
/// (`None`: it returned `Err`, or the whole-buffer comparison failed).
#[derive(Clone, Debug, PartialEq)]
pub struct RowsDiffer {
    pub what: &'static str,
    pub row: Option<usize>,
    pub err: Option<Error>,
}

impl fmt::Display for RowsDiffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.err, self.row) {
            (Some(e), _) => write!(f, "{}: unexpected Err({e:?})", self.what),
            (None, Some(k)) => write!(f, "{}: row {k} differs from the single-row kernel", self.what),
            (None, None) => write!(f, "{}: rows differ from the single-row kernel", self.what),
        }
    }
}

pub type OutRows = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
pub type InRows = fn(&mut [f32], usize) -> Result<(), Error>;
pub type InRow = fn(&mut [f32]);
pub type Reduce = fn(&[f32]) -> f32;
pub type DenseRows = fn(&[f32], &[f32], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
pub type DenseRow = fn(&[f32], &[f32], Option<&mut [f32]>) -> Result<f32, Error>;
pub type SparseRows = fn(&[f32], &[usize], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
pub type SparseRow = fn(&[f32], usize, Option<&mut [f32]>) -> Result<f32, Error>;

/// softmax / log_softmax rows: out of place, in place, and the single row.
pub const SOFTMAX_ROW_FORMS: [(&str, OutRows, InRows, InRow); 4] = [
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

pub const LOGSUMEXP_ROW_FORMS: [(&str, OutRows, Reduce); 2] = [
    ("logsumexp_rows", simd::logsumexp_rows, simd::logsumexp),
    (
        "reference::logsumexp_rows",
        reference::logsumexp_rows,
        reference::logsumexp,
    ),
];

pub const DENSE_ROW_FORMS: [(&str, DenseRows, DenseRow); 2] = [
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

pub const SPARSE_ROW_FORMS: [(&str, SparseRows, SparseRow); 2] = [
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

/// Scratch for the row-batched checks: four buffers of at least `x.len()`.
pub struct RowScratch<'a> {
    pub a: &'a mut [f32],
    pub b: &'a mut [f32],
    pub c: &'a mut [f32],
    pub d: &'a mut [f32],
}

fn differ(what: &'static str, row: Option<usize>, err: Option<Error>) -> RowsDiffer {
    RowsDiffer { what, row, err }
}

/// Every form of [`SOFTMAX_ROW_FORMS`] and [`LOGSUMEXP_ROW_FORMS`] on `x`
/// (a whole number of rows of `classes > 0`) matches the single-row kernel.
pub fn softmax_rows_agree(x: &[f32], classes: usize, s: &mut RowScratch<'_>) -> Result<(), RowsDiffer> {
    let n = x.len();
    let rows = n / classes;
    for (what, out_fn, in_fn, row_fn) in SOFTMAX_ROW_FORMS {
        let (out, inp, want) = (&mut s.a[..n], &mut s.b[..n], &mut s.c[..n]);
        inp.copy_from_slice(x);
        want.copy_from_slice(x);
        want.chunks_exact_mut(classes).for_each(row_fn);
        out_fn(x, classes, out).map_err(|e| differ(what, None, Some(e)))?;
        in_fn(inp, classes).map_err(|e| differ(what, None, Some(e)))?;
        if !same_bits(out, want) || !same_bits(inp, want) {
            return Err(differ(what, None, None));
        }
    }
    for (what, f, single) in LOGSUMEXP_ROW_FORMS {
        let out = &mut s.a[..rows];
        f(x, classes, out).map_err(|e| differ(what, None, Some(e)))?;
        if let Some(k) = (x.chunks_exact(classes).zip(out.iter())).position(|(r, &o)| !same_bits(&[single(r)], &[o])) {
            return Err(differ(what, Some(k), None));
        }
    }
    Ok(())
}

/// One batched loss form against its single-row kernel: `batched(losses,
/// grad)` over all rows, `single(k, grad_row)` for row `k`, each with and
/// without a gradient (the two may take different structures: see
/// [`one_pass_may_differ`]).
fn loss_rows_agree(
    what: &'static str,
    x: &[f32],
    classes: usize,
    s: &mut RowScratch<'_>,
    batched: impl Fn(&mut [f32], Option<&mut [f32]>) -> Result<(), Error>,
    single: impl Fn(usize, Option<&mut [f32]>) -> Result<f32, Error>,
) -> Result<(), RowsDiffer> {
    let (n, rows) = (x.len(), x.len() / classes);
    // `classes.min(n)`: an empty `x` (no rows) may have any `classes`.
    let (losses, grad, g, losses2) = (
        &mut s.a[..rows],
        &mut s.b[..n],
        &mut s.c[..classes.min(n)],
        &mut s.d[..rows],
    );
    batched(losses, Some(grad)).map_err(|e| differ(what, None, Some(e)))?;
    batched(losses2, None).map_err(|e| differ(what, None, Some(e)))?;
    for k in 0..rows {
        let l = single(k, Some(&mut *g)).map_err(|e| differ(what, Some(k), Some(e)))?;
        let l2 = single(k, None).map_err(|e| differ(what, Some(k), Some(e)))?;
        if !same_bits(&[l, l2], &[losses[k], losses2[k]]) || !same_bits(g, &grad[k * classes..(k + 1) * classes]) {
            return Err(differ(what, Some(k), None));
        }
    }
    Ok(())
}

/// Every form of [`DENSE_ROW_FORMS`] (with and without a gradient) on `x`
/// and labels `y` of the same length matches the single-row kernel.
pub fn dense_rows_agree(x: &[f32], y: &[f32], classes: usize, s: &mut RowScratch<'_>) -> Result<(), RowsDiffer> {
    for (what, f, single) in DENSE_ROW_FORMS {
        let row = |k: usize| k * classes..(k + 1) * classes;
        loss_rows_agree(
            what,
            x,
            classes,
            s,
            |l, g| f(x, y, classes, l, g),
            |k, g| single(&x[row(k)], &y[row(k)], g),
        )?;
    }
    Ok(())
}

/// Every form of [`SPARSE_ROW_FORMS`] (with and without a gradient) on `x`
/// and one in-range label a row matches the single-row kernel.
pub fn sparse_rows_agree(
    x: &[f32],
    labels: &[usize],
    classes: usize,
    s: &mut RowScratch<'_>,
) -> Result<(), RowsDiffer> {
    for (what, f, single) in SPARSE_ROW_FORMS {
        loss_rows_agree(
            what,
            x,
            classes,
            s,
            |l, g| f(x, labels, classes, l, g),
            |k, g| single(&x[k * classes..(k + 1) * classes], labels[k], g),
        )?;
    }
    Ok(())
}

// ---- Value generators: deterministic, no rand.

/// A source of random `u32`s: quickcheck's `Gen` on the host, [`XorShift32`]
/// on the Cortex-M.
pub trait Bits {
    fn bits(&mut self) -> u32;

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.bits() >> 8) as f32 / (1u32 << 24) as f32
    }
    /// Uniform in [-1, 1).
    fn sym(&mut self) -> f32 {
        2.0 * self.unit() - 1.0
    }
}

/// xorshift32: the same values on every run and every target.
pub struct XorShift32(pub u32);

impl Bits for XorShift32 {
    fn bits(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }
}

/// The value distributions that find numerical trouble.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Dist {
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

pub const DISTS: [Dist; 9] = [
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

impl Dist {
    pub fn name(self) -> &'static str {
        match self {
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
}

/// One value from `dist`; `base` is the centre of a near-tie row.
pub fn value(r: &mut impl Bits, dist: Dist, base: f32) -> f32 {
    match dist {
        Dist::Moderate => 10.0 * r.sym(),
        Dist::Tiny => 1e-30 * r.sym(),
        Dist::Huge => 1e30 * r.sym(),
        Dist::Subnormal => f32::from_bits((r.bits() % 0x0080_0000) | (r.bits() & 0x8000_0000)),
        Dist::NearTie => f32::from_bits(base.to_bits().wrapping_add(r.bits() % 4)),
        Dist::WideSpread => 120.0 * r.sym(),
        Dist::Offset => 1e4 + 5.0 * r.sym(),
        Dist::Specials => match r.bits() % 40 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2..=4 => f32::NEG_INFINITY,
            5 => -0.0,
            6 => f32::from_bits(r.bits()),
            _ => 10.0 * r.sym(),
        },
        Dist::Masked => {
            if r.bits().is_multiple_of(16) {
                10.0 * r.sym()
            } else {
                f32::NEG_INFINITY
            }
        }
    }
}

/// Dense labels into `y`: one-hot, a probability vector, labels that do not
/// sum to 1, or mixed signs and zeros.
pub fn labels(r: &mut impl Bits, y: &mut [f32]) {
    y.fill(0.0);
    let n = y.len();
    if n == 0 {
        return;
    }
    match r.bits() % 4 {
        0 => y[r.bits() as usize % n] = 1.0,
        1 => {
            y.iter_mut().for_each(|v| *v = r.unit());
            let s: f32 = y.iter().sum();
            if s > 0.0 {
                y.iter_mut().for_each(|v| *v /= s);
            }
        }
        2 => y.iter_mut().for_each(|v| {
            *v = if r.bits().is_multiple_of(3) {
                2.0 * r.unit()
            } else {
                0.0
            }
        }),
        _ => y
            .iter_mut()
            .for_each(|v| *v = if r.bits().is_multiple_of(2) { 3.0 * r.sym() } else { 0.0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ulp_and_close() {
        assert_eq!(ulp_diff(1.0, f32::from_bits(1.0f32.to_bits() + 3)), 3);
        assert_eq!(ulp_diff(-0.0, 0.0), 0);
        assert_eq!(ulp_diff(f32::from_bits(1), -f32::from_bits(1)), 2);
        assert!(close(f32::NAN, f32::NAN, 0, 0.0));
        assert!(!close(f32::NAN, 1.0, u32::MAX, f64::INFINITY));
        assert!(!close(f32::INFINITY, f32::MAX, u32::MAX, f64::INFINITY));
        assert!(!close(1.0, 1.0 + 9.0 * f32::EPSILON, SOFTMAX_ULP, 0.0));
        assert!(close(1.0, 1.0 + 8.0 * f32::EPSILON, SOFTMAX_ULP, 0.0));
    }

    #[test]
    fn special_rows() {
        assert_eq!(special(&[1.0, f32::NAN, f32::INFINITY]), Some(Special::Nan));
        assert_eq!(special(&[f32::INFINITY, 0.0, f32::INFINITY]), Some(Special::Inf(2)));
        assert_eq!(special(&[f32::NEG_INFINITY; 3]), Some(Special::Masked));
        assert_eq!(special(&[f32::NEG_INFINITY, 0.0]), None);
        assert_eq!(special_outputs(Special::Inf(2), f32::INFINITY).0, 0.5);
        assert!(close(
            special_outputs(Special::Inf(2), f32::INFINITY).1,
            -core::f32::consts::LN_2,
            1,
            0.0
        ));
    }

    #[test]
    fn exp_and_softmax_bounds_reject() {
        let x = [0.5f32, 100.0, -100.0];
        let b = [libm::expf(0.5), f32::INFINITY, 0.0];
        assert_eq!(exp_agrees(&x, &b, &b), Ok(()));
        let mut a = b;
        a[0] = f32::from_bits(a[0].to_bits() + EXP_ULP + 1);
        assert_eq!(exp_agrees(&x, &a, &b).unwrap_err().index, Some(0));
        let mut a = b;
        a[2] = f32::from_bits(1);
        assert_eq!(exp_agrees(&x, &a, &b).unwrap_err().index, Some(2));

        let x = [1.0f32, 2.0, 3.0];
        let mut p = [0.0; 3];
        let mut lp = [0.0; 3];
        let mut scratch = [0.0; 3];
        reference::softmax(&x, &mut p).unwrap();
        reference::log_softmax(&x, &mut lp).unwrap();
        assert_eq!(softmax_agrees(&x, &p, &p, &lp, &lp, &mut scratch), Ok(()));
        let mut q = p;
        q[1] = f32::from_bits(q[1].to_bits() + SOFTMAX_ULP + 1);
        assert_eq!(
            softmax_agrees(&x, &q, &p, &lp, &lp, &mut scratch).unwrap_err().index,
            Some(1)
        );
        let mut lq = lp;
        lq[2] += 1e-5;
        assert!(softmax_agrees(&x, &p, &p, &lq, &lp, &mut scratch).is_err());
    }

    #[test]
    fn generators_are_deterministic() {
        let (mut r, mut s) = (XorShift32(1), XorShift32(1));
        for d in DISTS {
            assert_eq!(value(&mut r, d, 1.0).to_bits(), value(&mut s, d, 1.0).to_bits());
        }
        let mut y = [0.0; 16];
        for _ in 0..8 {
            labels(&mut r, &mut y);
            assert!(y.iter().all(|v| v.is_finite()));
        }
        assert!((0..1000).all(|_| (0.0..1.0).contains(&r.unit())));
    }
}
