//! The int8-input kernels ([`softmax_s8`](super::softmax_s8),
//! [`softmax_s8_s16`](super::softmax_s8_s16),
//! [`log_softmax_s8`](super::log_softmax_s8)) on plain `i32` for targets
//! without SIMD lanes (Cortex-M and the other targets where `wide` stores
//! its lanes as arrays): the lane kernels would run there one lane at a
//! time through memory, with two 1 KiB per-call tables, a per-row output
//! table and the emulated 16-byte maximum, for 2.7 times CMSIS-NN's flash.
//! Same arithmetic, same outputs bit for bit, one code path:
//!
//! - the maximum with a plain loop;
//! - each exp computed once: in a per-call memo indexed by the difference
//!   `max - x` (at most 256 of them, shared by all rows) when the input has
//!   more than [`SMALL_STASH`] values, else in a stash indexed by position
//!   (a 256-entry memo would cost more to fill than 16 exps);
//! - the sum, the reciprocal (softmax) or the logarithm (log-softmax) and
//!   the outputs as in the lane kernels.

// On SIMD targets only the tests below call this module.
#![cfg_attr(
    any(
        target_feature = "sse2",
        all(target_arch = "aarch64", target_feature = "neon"),
        target_feature = "simd128"
    ),
    allow(dead_code)
)]

use super::fixedpoint::scalar::{
    exp_on_negative_values_q5, rounding_divide_by_pot, rounding_divide_by_pot_nonneg, srdhm_wrapping,
};
use super::log_softmax_s8::{OUTPUT_SHIFT, log_row_scale};
use super::params::{LogSoftmaxParams, SoftmaxParams, check_rows, for_each_row};
use super::softmax_s8::{ACCUM_SHIFT, SMALL_STASH, SPAN, SoftmaxOut, output_shift, table_len};
use crate::Error;

/// Where a row's exps are kept between the sum and the outputs.
struct Exps<'a> {
    /// `exp` (Q0.31) by difference `max - x` (`by_difference`, entries
    /// start at -1: not computed yet), or by position in the row.
    slots: &'a mut [i32],
    by_difference: bool,
}

/// The input scaling both kernels share: a difference `x - max >=
/// diff_min` becomes `SRDHM((x - max) * 2^shift, multiplier)` in Q5.26.
#[derive(Clone, Copy)]
struct Scaling {
    multiplier: i32,
    shift: i32,
    diff_min: i32,
}

impl Scaling {
    fn new(multiplier: i32, shift: i32, diff_min: i32) -> Self {
        Scaling {
            multiplier,
            shift,
            diff_min,
        }
    }

    /// Q5.26 of the difference `d = max - x`; the shift wraps as TFLite's
    /// `d * (1 << shift)` does.
    #[inline(always)]
    fn q5(self, d: i32) -> i32 {
        srdhm_wrapping((-d).wrapping_shl(self.shift as u32), self.multiplier)
    }
}

/// `exp` (Q0.31) of the difference `d = max - x`: one copy of the code
/// (the row loop would otherwise carry it once per unswitched version).
#[inline(never)]
fn exp_of_difference(d: i32, s: Scaling) -> i32 {
    exp_on_negative_values_q5(s.q5(d))
}

/// The row's maximum and its exps summed (Q12.19, exact), the exps left
/// in `exps`; and `len`: differences `max - x` from `len` on are below
/// `diff_min` (exp 0).
#[inline(always)]
fn max_and_sum(row: &[i8], s: Scaling, exps: &mut Exps<'_>) -> (i32, u64, i32) {
    let mut max = i8::MIN;
    for &x in row {
        if x > max {
            max = x;
        }
    }
    let max = i32::from(max);
    let len = table_len(s.diff_min) as i32;
    let by_difference = exps.by_difference;
    let mut sum = 0u64;
    for (i, &x) in row.iter().enumerate() {
        let d = max - i32::from(x);
        if d >= len {
            continue;
        }
        if let Some(e) = exps.slots.get_mut(if by_difference { d as usize } else { i }) {
            if !by_difference || *e < 0 {
                *e = exp_of_difference(d, s);
            }
            sum += u64::from(rounding_divide_by_pot_nonneg(*e, ACCUM_SHIFT) as u32);
        }
    }
    (max, sum, len)
}

/// Softmax of one row.
#[inline(never)]
fn softmax_row<O: SoftmaxOut>(row: &[i8], out: &mut [O], s: Scaling, exps: &mut Exps<'_>) {
    let (max, sum, len) = max_and_sum(row, s, exps);
    let Some((scale, exponent)) = output_shift::<O>(sum) else {
        out.fill(O::narrow(O::MIN));
        return;
    };
    for ((i, &x), o) in row.iter().enumerate().zip(out.iter_mut()) {
        let d = max - i32::from(x);
        let slot = if exps.by_difference { d as usize } else { i };
        let e = if d < len {
            exps.slots.get(slot).copied().unwrap_or(0)
        } else {
            0
        };
        // Both factors are >= 0: the result is too.
        let v = rounding_divide_by_pot_nonneg(srdhm_wrapping(scale, e), exponent) + O::MIN;
        *o = O::narrow(v.min(O::MAX));
    }
}

/// Log-softmax of one row: `(q5 - log(sum)) / 2^22 + 127`, clamped, where
/// the difference passes the row's cut-off, else -128.
#[inline(never)]
fn log_softmax_row(row: &[i8], out: &mut [i8], params: &LogSoftmaxParams, s: Scaling, exps: &mut Exps<'_>) {
    let (max, sum, _) = max_and_sum(row, s, exps);
    let (log_sum, adjusted_diff_min) = log_row_scale(sum, params);
    for (&x, o) in row.iter().zip(out.iter_mut()) {
        let d = max - i32::from(x);
        *o = if -d > adjusted_diff_min {
            let v = rounding_divide_by_pot(s.q5(d).wrapping_sub(log_sum), OUTPUT_SHIFT).wrapping_add(127);
            v.clamp(-128, 127) as i8
        } else {
            i8::MIN
        };
    }
}

/// Checks the shape and the parameters (`valid`), then runs `row` on every
/// row with the exps' buffer the input calls for: a memo by difference
/// (256 words, filled once per call) above `SMALL_STASH` values, else a
/// stash by position (16 words).
#[inline(always)]
fn each_row<O>(
    input: &[i8],
    output: &mut [O],
    row_size: usize,
    valid: Result<(), Error>,
    mut row: impl FnMut(&[i8], &mut [O], &mut Exps<'_>),
) -> Result<(), Error> {
    check_rows(input.len(), output.len(), row_size)?;
    valid?;
    let (mut stash, mut memo);
    let by_difference = input.len() > SMALL_STASH;
    let slots: &mut [i32] = if by_difference {
        memo = [-1; SPAN];
        &mut memo
    } else {
        stash = [0; SMALL_STASH];
        &mut stash
    };
    let mut exps = Exps { slots, by_difference };
    for_each_row(input, output, row_size, |r, o| row(r, o, &mut exps));
    Ok(())
}

pub(super) fn log_softmax_s8_any(
    input: &[i8],
    row_size: usize,
    params: &LogSoftmaxParams,
    output: &mut [i8],
) -> Result<(), Error> {
    let s = Scaling::new(params.multiplier, params.shift, params.diff_min);
    each_row(input, output, row_size, params.validate(), |row, out, exps| {
        log_softmax_row(row, out, params, s, exps)
    })
}

pub(super) fn softmax_s8_any<O: SoftmaxOut>(
    input: &[i8],
    row_size: usize,
    params: &SoftmaxParams,
    output: &mut [O],
) -> Result<(), Error> {
    let s = Scaling::new(params.multiplier, params.shift, params.diff_min);
    each_row(input, output, row_size, params.validate(), |row, out, exps| {
        softmax_row(row, out, s, exps)
    })
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::super::{LogSoftmaxParams, SoftmaxParams, reference};
    use super::{log_softmax_s8_any, softmax_s8_any};
    use std::vec;
    use std::vec::Vec;

    /// xorshift32: fixed pseudo-random cases.
    struct Rng(u32);
    impl Rng {
        fn next(&mut self) -> u32 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 17;
            self.0 ^= self.0 << 5;
            self.0
        }
    }

    /// The plain kernels equal the scalar references (itself bit-exact with
    /// TFLite's golden vectors) on rows of every shape the paths take: the
    /// stash (16 values or fewer), the memo shared by rows, rows of many
    /// maxima (sums past 512 and 4096), narrow and wide spreads, and
    /// parameters from `new` as well as arbitrary valid ones.
    #[test]
    fn plain_int8_kernels_match_reference() {
        let mut rng = Rng(0x9e37_79b9);
        let mut cases = 0;
        for round in 0..3000u32 {
            let params = if round % 2 == 0 {
                let scale = [1.0 / 256.0, 0.01, 1.0 / 16.0, 0.1, 0.5, 2.0][(round / 2 % 6) as usize];
                let beta = [1.0, 0.5, 3.0][(round / 12 % 3) as usize];
                SoftmaxParams::new(scale, beta).expect("valid scale")
            } else {
                SoftmaxParams {
                    multiplier: (rng.next() >> 1).max(1) as i32,
                    shift: (rng.next() % 32) as i32,
                    diff_min: -((rng.next() % 300) as i32),
                }
            };
            let row_size = match round % 5 {
                0 => 1 + rng.next() as usize % 16,
                1 => 1 + rng.next() as usize % 64,
                2 => 1 + rng.next() as usize % 600,
                3 => [511, 512, 513, 4095, 4096, 4097, 8192][rng.next() as usize % 7],
                _ => 1 + rng.next() as usize % 8,
            };
            let rows = if row_size > 1000 {
                1
            } else {
                1 + rng.next() as usize % 3
            };
            let spread = [1u32, 2, 8, 64, 256][rng.next() as usize % 5];
            let top = (rng.next() % 256) as i32 - 128;
            let input: Vec<i8> = (0..row_size * rows)
                .map(|_| (top - (rng.next() % spread) as i32).max(-128) as i8)
                .collect();
            let mut plain = vec![0i8; input.len()];
            let mut want = vec![0i8; input.len()];
            softmax_s8_any(&input, row_size, &params, &mut plain).expect("valid call");
            reference::softmax_s8(&input, row_size, &params, &mut want).expect("valid call");
            assert_eq!(plain, want, "s8 {params:?} row_size {row_size}");
            let mut plain = vec![0i16; input.len()];
            let mut want = vec![0i16; input.len()];
            softmax_s8_any(&input, row_size, &params, &mut plain).expect("valid call");
            reference::softmax_s8_s16(&input, row_size, &params, &mut want).expect("valid call");
            assert_eq!(plain, want, "s8_s16 {params:?} row_size {row_size}");
            // Log-softmax: the same scaling, and its reverse scaling from
            // `new` or arbitrary valid values.
            let log_params = if round % 2 == 0 {
                let scale = [1.0 / 256.0, 0.01, 1.0 / 16.0, 0.1, 0.5, 2.0][(round / 2 % 6) as usize];
                LogSoftmaxParams::new(scale).expect("valid scale")
            } else {
                LogSoftmaxParams {
                    multiplier: params.multiplier,
                    shift: params.shift,
                    reverse_scaling_divisor: (rng.next() >> 1).max(1) as i32,
                    reverse_scaling_right_shift: (rng.next() % 32) as i32,
                    diff_min: params.diff_min,
                }
            };
            let mut plain = vec![0i8; input.len()];
            let mut want = vec![0i8; input.len()];
            log_softmax_s8_any(&input, row_size, &log_params, &mut plain).expect("valid call");
            reference::log_softmax_s8(&input, row_size, &log_params, &mut want).expect("valid call");
            assert_eq!(plain, want, "log_s8 {log_params:?} row_size {row_size}");
            cases += 1;
        }
        assert_eq!(cases, 3000);
    }
}
