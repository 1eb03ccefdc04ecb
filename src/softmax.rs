//! `softmax` and `log_softmax`, out of place and in place.
//!
//! Three passes over the row (the "3-pass reload" of XNNPACK and oneDNN):
//! max; then exp, store and sum; then scale the stored exps by `1/S` in
//! place. `log_softmax` stores nothing in its second pass and writes
//! `(x - m) - log1p(S - 1)` in its third. Rows with `+inf`, NaN, or only
//! `-inf` are recognised once from the max and the sum and take a scalar
//! path off the hot loop.
//!
//! Rows of [`SOFTMAX_BLOCKED_FROM`] values or more (in place:
//! [`SOFTMAX_IN_PLACE_BLOCKED_FROM`]; rows whose traffic outgrows L3) take the
//! blocked online softmax of the module `blocked` (the row read from
//! memory once plus the scaling pass), and `log_softmax` rows of
//! [`LOG_SUM_ONE_PASS_FROM`] or more get `(m, log1p(S - 1))` from one
//! blocked pass instead of two.

use crate::Error;
use crate::blocked::{LOG_SUM_ONE_PASS_FROM, SOFTMAX_BLOCKED_FROM, SOFTMAX_IN_PLACE_BLOCKED_FROM, long_row};
use crate::exp::exp_neg;
use crate::lanes::{V, map_groups, map_groups_in_place};
use crate::reduce::{Sum, exp_sum_split, has_nan, log_normaliser, max_fast};

/// `softmax` of a row whose max `m` is not finite, in place (`x` holds the
/// input): NaN anywhere gives all NaN; `k` entries at `+inf` get `1/k` and
/// the rest `0`; a row of only `-inf` (a masked row) gives zeros.
fn softmax_special(x: &mut [f32], m: f32) {
    if m.is_nan() || has_nan(x) {
        x.fill(f32::NAN);
    } else if m == f32::INFINITY {
        let k = x.iter().filter(|&&v| v == f32::INFINITY).count();
        let share = 1.0 / k as f32;
        for v in x.iter_mut() {
            *v = if *v == f32::INFINITY { share } else { 0.0 };
        }
    } else {
        x.fill(0.0);
    }
}

/// Pass 3 of softmax: `out *= 1/S`, or all NaN when a NaN reached `S`.
fn scale(out: &mut [f32], s: f32) {
    if s.is_nan() {
        out.fill(f32::NAN);
        return;
    }
    let r = V::splat(1.0 / s);
    map_groups_in_place(out, 0.0, |g| g.map(|v| v * r));
}

/// `softmax_i = exp(x_i - m) / S`, `m = max(x)`, `S = sum_i exp(x_i - m)`.
///
/// Special values (docs/SEMANTICS.md): `k` entries at `+inf` share the mass
/// (`[+inf, 0] -> [1, 0]`, `[+inf, +inf, 0] -> [0.5, 0.5, 0]`); a row of only
/// `-inf` (a masked row) gives zeros; a NaN anywhere makes the whole row NaN;
/// an empty row is `Ok(())` with nothing written.
///
/// Error: each output within a few ULP of the exact value (the README's
/// accuracy table), on top of the rounding of `x_i - m` that every
/// implementation shares; outputs whose `exp(x_i - m)` is below
/// `f32::MIN_POSITIVE` are flushed to 0. The outputs sum to 1 within
/// `n * 2^-22`-ish (each is rounded on its own).
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let mut p = [0.0f32; 3];
/// softmax_simd::softmax(&[1.0, 2.0, 3.0], &mut p)?;
/// assert!((p[2] - 0.66524096).abs() < 1e-6);
/// softmax_simd::softmax(&[f32::INFINITY, 0.0, f32::INFINITY], &mut p)?;
/// assert_eq!(p, [0.5, 0.0, 0.5]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    if out.len() != x.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    softmax_into(x, out);
    Ok(())
}

/// [`softmax`] with `out.len() == x.len()` checked by the caller: the
/// 3-pass kernel below [`SOFTMAX_BLOCKED_FROM`] values, the blocked online
/// one (module `blocked`) from there on.
pub(crate) fn softmax_into(x: &[f32], out: &mut [f32]) {
    if long_row(x.len(), SOFTMAX_BLOCKED_FROM) {
        crate::blocked::softmax(x, out);
    } else {
        softmax_three_pass(x, out);
    }
}

/// The 3-pass reload softmax (`out.len() == x.len()`).
#[inline]
pub(crate) fn softmax_three_pass(x: &[f32], out: &mut [f32]) {
    let m = max_fast(x);
    if !m.is_finite() {
        copy(x, out);
        softmax_special(out, m);
        return;
    }
    let mv = V::splat(m);
    let mut s = Sum::new();
    map_groups(x, out, f32::NEG_INFINITY, |g| {
        let e = g.map(|v| exp_neg(v - mv));
        s.add(e);
        e
    });
    scale(out, s.finish());
}

/// [`softmax`] overwriting its input: same formula, same special values,
/// same results bit for bit.
///
/// # Example
/// ```
/// let mut row = [0.0f32, f32::NEG_INFINITY, 0.0];
/// softmax_simd::softmax_in_place(&mut row);
/// assert_eq!(row, [0.5, 0.0, 0.5]);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn softmax_in_place(x: &mut [f32]) {
    if long_row(x.len(), SOFTMAX_IN_PLACE_BLOCKED_FROM) {
        crate::blocked::softmax_in_place(x);
    } else {
        softmax_in_place_three_pass(x);
    }
}

/// The 3-pass reload softmax in place.
#[inline]
pub(crate) fn softmax_in_place_three_pass(x: &mut [f32]) {
    let m = max_fast(x);
    if !m.is_finite() {
        softmax_special(x, m);
        return;
    }
    let mv = V::splat(m);
    let mut s = Sum::new();
    map_groups_in_place(x, f32::NEG_INFINITY, |g| {
        let e = g.map(|v| exp_neg(v - mv));
        s.add(e);
        e
    });
    scale(x, s.finish());
}

/// `log_softmax` of a row whose max `m` is not finite, in place: NaN
/// anywhere gives all NaN; `k` entries at `+inf` get `-ln k` and the rest
/// `-inf`; a row of only `-inf` stays `-inf`.
fn log_softmax_special(x: &mut [f32], m: f32) {
    if m.is_nan() || has_nan(x) {
        x.fill(f32::NAN);
    } else if m == f32::INFINITY {
        let k = x.iter().filter(|&&v| v == f32::INFINITY).count();
        let top = 0.0 - libm::logf(k as f32); // +0, not -0, for k = 1
        for v in x.iter_mut() {
            *v = if *v == f32::INFINITY { top } else { f32::NEG_INFINITY };
        }
    }
    // m == -inf: every element is -inf already, which is the answer.
}

/// `log_softmax_i = (x_i - m) - log1p(S - 1)`, `m = max(x)`, with `S - 1`
/// summed without the arg-max term (so `log_softmax([0, -20])[0]` is
/// `-2.0611537e-9`, not `0`).
///
/// Special values: `k` entries at `+inf` get `-ln k`, the rest `-inf`
/// (`[+inf, 0] -> [0, -inf]`); a row of only `-inf` gives `-inf`; NaN
/// anywhere gives all NaN; an empty row is `Ok(())`.
///
/// Error: within a few ULP of the exact value of the same formula (README).
///
/// # Errors
/// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing is written.
///
/// # Example
/// ```
/// let mut out = [0.0f32; 2];
/// softmax_simd::log_softmax(&[1000.0, 1.0], &mut out)?;
/// assert_eq!(out, [0.0, -999.0]);
/// # Ok::<(), softmax_simd::Error>(())
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> {
    if out.len() != x.len() {
        return Err(Error::LengthMismatch {
            expected: x.len(),
            found: out.len(),
        });
    }
    log_softmax_into(x, out);
    Ok(())
}

/// [`log_softmax`] with `out.len() == x.len()` checked by the caller.
pub(crate) fn log_softmax_into(x: &[f32], out: &mut [f32]) {
    match log_softmax_shift(x) {
        Some(shift) => map_groups(x, out, 0.0, |g| g.map(|v| shift.apply(v))),
        None => {
            copy(x, out);
            log_softmax_special(out, max_fast(x));
        }
    }
}

/// [`log_softmax`] overwriting its input, bit for bit the same results.
///
/// # Example
/// ```
/// let mut row = [f32::INFINITY, 0.0];
/// softmax_simd::log_softmax_in_place(&mut row);
/// assert_eq!(row, [0.0, f32::NEG_INFINITY]);
/// ```
#[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
pub fn log_softmax_in_place(x: &mut [f32]) {
    match log_softmax_shift(x) {
        Some(shift) => map_groups_in_place(x, 0.0, |g| g.map(|v| shift.apply(v))),
        None => {
            let m = max_fast(x);
            log_softmax_special(x, m);
        }
    }
}

/// Passes 1 and 2 of `log_softmax`: `(m, log1p(S - 1))` as a vector pair
/// applied as `(x - m) - L`, or `None` for a special row (non-finite max or
/// NaN in the sum).
#[inline]
fn log_softmax_shift(x: &[f32]) -> Option<LogShift> {
    if long_row(x.len(), LOG_SUM_ONE_PASS_FROM) {
        // One blocked pass for `(m, L)`; special rows fall through to be
        // recognised below as in the two-pass form.
        if let Some((m, l)) = crate::blocked::log_sum_one_pass(x) {
            return Some(LogShift {
                m: V::splat(m),
                l: V::splat(l),
            });
        }
    }
    let m = max_fast(x);
    if !m.is_finite() {
        return None;
    }
    let (small, ties) = exp_sum_split(x, m);
    if small.is_nan() {
        return None;
    }
    Some(LogShift {
        m: V::splat(m),
        l: V::splat(log_normaliser(small, ties)),
    })
}

/// `(x - m) - L`, applied lane-wise.
#[derive(Clone, Copy)]
struct LogShift {
    m: V,
    l: V,
}

impl LogShift {
    #[inline(always)]
    fn apply(self, x: V) -> V {
        (x - self.m) - self.l
    }
}

/// `out = x` element by element: callers have checked the lengths, but
/// `copy_from_slice` would keep a panic path LLVM cannot see is dead.
#[inline]
fn copy(x: &[f32], out: &mut [f32]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v;
    }
}
