//! Structured fuzz inputs for the softmax-simd targets.
//!
//! libFuzzer hands each target a byte string; `arbitrary` turns it into the
//! types below. They are shaped so that a few bytes already reach the hard
//! places of the contract: raw f32 bit patterns (NaN payloads of either sign,
//! signalling NaNs, subnormals, `-0.0`), named specials (`±inf`, `f32::MAX`),
//! values a few ULP around the exp kernel's thresholds, huge spreads and
//! common offsets, and row lengths a few elements around every lane width
//! (4, 8, 16) and unroll/block multiple, up to lengths that take the
//! blocked (large-row) paths.

use arbitrary::{Arbitrary, Result, Unstructured};
use softmax_simd::Error;

/// Longest buffer a target builds. The kernels' sums fold a block of
/// `8 groups * 4 vectors * LANES` (128 to 512) values at a time: this is
/// about 20 blocks even at 16 lanes, while the average run stays short.
pub const MAX_LEN: usize = 10_000;

/// The exp kernel's interesting points: where `expf` turns subnormal
/// (-87.33654), where it overflows (ln f32::MAX = 88.72283), where libm's
/// `expf` underflows to 0 (-103.97208), the reduction interval's edges
/// (±ln2/2) and 0.
const EDGES: [f32; 9] = [
    0.0,
    -87.336_54,
    88.722_83,
    -103.972_08,
    -0.346_573_6,
    0.346_573_6,
    -16.0,
    -1.0,
    1.0e4,
];

/// One f32, drawn so that the values the contract singles out are likely.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Val {
    /// Any bit pattern at all: NaN payloads (quiet or signalling, either
    /// sign), subnormals, `±0.0`, `±inf`, every normal.
    Bits(u32),
    /// A named special value.
    Special(Special),
    /// A moderate logit, `i / 256` in `[-128, 128)`: where rows are
    /// numerically ordinary and ULP bounds bite.
    Moderate(i16),
    /// `ulps` representable steps away from one of [`EDGES`].
    NearEdge {
        /// Index into [`EDGES`] (taken modulo its length).
        edge: u8,
        /// Signed distance in units in the last place.
        ulps: i8,
    },
    /// `m * 2^e` with `e` in `[-150, 150)`: magnitudes from subnormal to
    /// near-overflow, for huge spreads within one row.
    Scaled {
        /// Signed mantissa.
        m: i16,
        /// Exponent selector.
        e: u8,
    },
}

/// The named values of the special-value contract.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Special {
    /// `+inf`.
    PosInf,
    /// `-inf` (a masked logit).
    NegInf,
    /// The canonical quiet NaN.
    NaN,
    /// A negative quiet NaN.
    NegNaN,
    /// A signalling NaN with the given payload (never all-zero).
    SignallingNaN(u16),
    /// `-0.0`.
    NegZero,
    /// `+0.0`.
    PosZero,
    /// The smallest positive subnormal.
    MinSubnormal,
    /// The largest subnormal.
    MaxSubnormal,
    /// `f32::MIN_POSITIVE`, the smallest normal.
    MinNormal,
    /// `f32::MAX`.
    Max,
    /// `f32::MIN` (most negative finite).
    Min,
}

impl Special {
    fn get(self) -> f32 {
        match self {
            Special::PosInf => f32::INFINITY,
            Special::NegInf => f32::NEG_INFINITY,
            Special::NaN => f32::NAN,
            Special::NegNaN => -f32::NAN,
            Special::SignallingNaN(p) => f32::from_bits(0x7f80_0000 | u32::from(p.max(1))),
            Special::NegZero => -0.0,
            Special::PosZero => 0.0,
            Special::MinSubnormal => f32::from_bits(1),
            Special::MaxSubnormal => f32::from_bits(0x007f_ffff),
            Special::MinNormal => f32::MIN_POSITIVE,
            Special::Max => f32::MAX,
            Special::Min => f32::MIN,
        }
    }
}

impl Val {
    /// The f32 this value stands for.
    pub fn get(self) -> f32 {
        match self {
            Val::Bits(b) => f32::from_bits(b),
            Val::Special(s) => s.get(),
            Val::Moderate(i) => f32::from(i) / 256.0,
            Val::NearEdge { edge, ulps } => {
                let base = EDGES[usize::from(edge) % EDGES.len()];
                step_ulps(base, i32::from(ulps))
            }
            Val::Scaled { m, e } => {
                let exp = i32::from(e) % 300 - 150;
                // Two steps so that neither factor over- or underflows on its own.
                let half = exp / 2;
                f32::from(m) * pow2(half) * pow2(exp - half)
            }
        }
    }
}

/// `2^e` for `e` in `[-149, 127]`, saturating to 0 / inf outside.
fn pow2(e: i32) -> f32 {
    if e > 127 {
        f32::INFINITY
    } else if e >= -126 {
        f32::from_bits(((e + 127) as u32) << 23)
    } else if e >= -149 {
        f32::from_bits(1u32 << (e + 149))
    } else {
        0.0
    }
}

/// The float `n` representable steps from `x` along the real line (crossing
/// zero through `-0.0`/`+0.0` as one step).
fn step_ulps(x: f32, n: i32) -> f32 {
    // Map to a monotonic integer line: negative floats below positive ones.
    let bits = x.to_bits() as i32;
    let key = if bits < 0 { i32::MIN - bits } else { bits };
    let k = key.saturating_add(n);
    let b = if k < 0 { i32::MIN - k } else { k };
    f32::from_bits(b as u32)
}

/// A buffer length, biased to the places where SIMD kernels change path.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum Len {
    /// As many values as the pattern holds (the fuzzer grows it byte by byte).
    Pattern,
    /// `0..=300`: every short length, including all tails of every lane width.
    Small(u16),
    /// `unit * k + delta` with `unit` a lane width, an unrolled group
    /// (`4 * LANES`) or a summation block (`32 * LANES`): 4, 8, 16, 32, 64,
    /// 128, 256, 512, 1024; and `delta` in `-3..=3`.
    AroundMultiple {
        /// Selects the unit.
        unit: u8,
        /// Multiplier, `0..=8`.
        k: u8,
        /// Offset from the multiple, `-3..=3`.
        delta: i8,
    },
    /// Anything up to [`MAX_LEN`]: many summation blocks.
    Large(u32),
}

const UNITS: [usize; 9] = [4, 8, 16, 32, 64, 128, 256, 512, 1024];

impl Len {
    /// The length, given how many values the pattern has.
    pub fn get(self, pattern_len: usize) -> usize {
        let n = match self {
            Len::Pattern => pattern_len,
            Len::Small(n) => usize::from(n) % 301,
            Len::AroundMultiple { unit, k, delta } => {
                let unit = UNITS[usize::from(unit) % UNITS.len()];
                let k = usize::from(k) % 9;
                let delta = isize::from(delta % 4);
                (unit * k).saturating_add_signed(delta)
            }
            Len::Large(n) => n as usize % (MAX_LEN + 1),
        };
        n.min(MAX_LEN)
    }
}

/// A row (or buffer) of logits: a pattern repeated to the chosen length,
/// plus optional hash noise, an optional common offset and point patches.
#[derive(Debug, Clone, Arbitrary)]
pub struct Row {
    /// How long the buffer is.
    pub len: Len,
    /// Values repeated cyclically over the buffer (0.0 where empty).
    pub pattern: Vec<Val>,
    /// `(seed, scale)`: adds deterministic noise in `[-1, 1) * 2^(scale % 24 - 8)`
    /// to every element, so long rows are not periodic.
    pub noise: Option<(u32, u8)>,
    /// Added to every element: large common offsets (`1e4 + noise`) must cost
    /// no accuracy; infinite or NaN offsets poison whole rows.
    pub offset: Option<Val>,
    /// `(index, value)`: set one element (index modulo the length) after
    /// everything else, e.g. a single NaN or `+inf` deep inside a long row.
    pub patches: Vec<(u32, Val)>,
}

impl Row {
    /// Builds the buffer at the row's own length.
    pub fn build(&self) -> Vec<f32> {
        self.build_len(self.len.get(self.pattern.len()))
    }

    /// Builds the buffer at length `n`.
    pub fn build_len(&self, n: usize) -> Vec<f32> {
        let offset = self.offset.map(Val::get);
        let mut v: Vec<f32> = (0..n)
            .map(|i| {
                let mut x = if self.pattern.is_empty() {
                    0.0
                } else {
                    self.pattern[i % self.pattern.len()].get()
                };
                if let Some((seed, scale)) = self.noise {
                    x += noise(seed, i) * pow2(i32::from(scale % 24) - 8);
                }
                if let Some(o) = offset {
                    x += o;
                }
                x
            })
            .collect();
        if n > 0 {
            for &(i, val) in &self.patches {
                v[i as usize % n] = val.get();
            }
        }
        v
    }
}

/// Deterministic noise in `[-1, 1)` from a seed and an index (a 32-bit
/// integer hash; statistical quality is irrelevant here).
fn noise(seed: u32, i: usize) -> f32 {
    let mut h = seed ^ (i as u32).wrapping_mul(0x9e37_79b9);
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^= h >> 16;
    (h >> 8) as f32 / (1u32 << 23) as f32 - 1.0
}

/// Dense cross-entropy labels for a row of `n` logits.
#[derive(Debug, Clone, Arbitrary)]
pub enum Labels {
    /// One-hot at `idx % n`.
    OneHot(u32),
    /// Every class weighted `1/n`.
    Uniform,
    /// Non-negative weights `w_i / 255` (not normalised: the true gradient
    /// `(sum y) * softmax - y` differs from TF's `softmax - y` there).
    Weights(Vec<u8>),
    /// Arbitrary values: negative, NaN, infinite labels.
    Raw(Row),
}

impl Labels {
    /// Builds `n` labels.
    pub fn build(&self, n: usize) -> Vec<f32> {
        match self {
            Labels::OneHot(idx) => {
                let mut v = vec![0.0; n];
                if n > 0 {
                    v[*idx as usize % n] = 1.0;
                }
                v
            }
            Labels::Uniform => vec![1.0 / n.max(1) as f32; n],
            Labels::Weights(w) => (0..n)
                .map(|i| {
                    if w.is_empty() {
                        0.0
                    } else {
                        f32::from(w[i % w.len()]) / 255.0
                    }
                })
                .collect(),
            Labels::Raw(row) => row.build_len(n),
        }
    }
}

/// A sparse label for a row of `n` classes: valid or past the end.
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum SparseLabel {
    /// `i % n` (0 when `n == 0`): always valid for a non-empty row.
    In(u32),
    /// `n + k`: just past the end.
    Past(u8),
    /// Any `usize`, including `usize::MAX`.
    Any(usize),
}

impl SparseLabel {
    /// The label for a row of `n` classes.
    pub fn get(self, n: usize) -> usize {
        match self {
            SparseLabel::In(i) => {
                if n == 0 {
                    0
                } else {
                    i as usize % n
                }
            }
            SparseLabel::Past(k) => n.saturating_add(usize::from(k)),
            SparseLabel::Any(v) => v,
        }
    }
}

/// A length for an output or label buffer that should be `expected` long:
/// usually right, sometimes off by a little or a lot (the `Err` paths).
#[derive(Debug, Clone, Copy, Arbitrary)]
pub enum BufLen {
    /// Exactly `expected`.
    Right,
    /// `expected + d` for `d` in `-4..=4`, clamped at 0 (may equal `expected`
    /// when `d == 0` or the clamp bites).
    Off(i8),
    /// Any length up to `expected + 64`.
    Any(u16),
}

impl BufLen {
    /// The length to allocate.
    pub fn get(self, expected: usize) -> usize {
        match self {
            BufLen::Right => expected,
            BufLen::Off(d) => expected.saturating_add_signed(isize::from(d % 5)),
            BufLen::Any(n) => usize::from(n) % (expected + 65),
        }
    }
}

/// A value written into output buffers before a call that must fail, to
/// prove the failing call wrote nothing. Its bit pattern is a NaN payload no
/// kernel produces.
pub const SENTINEL: f32 = f32::from_bits(0x7fc0_5eed);

/// `true` if every element of `buf` still holds [`SENTINEL`] (bitwise).
pub fn untouched(buf: &[f32]) -> bool {
    buf.iter().all(|v| v.to_bits() == SENTINEL.to_bits())
}

/// Convenience for targets: decode a whole input or reject it.
pub fn decode<T: for<'a> Arbitrary<'a>>(data: &[u8]) -> Result<T> {
    T::arbitrary_take_rest(Unstructured::new(data))
}

/// What a call with inconsistent arguments may return: one of `errors`
/// (one per thing wrong with its arguments), or, when `any_length_of` is
/// non-empty, a `LengthMismatch` about any buffer of one of those lengths
/// (used where the row count itself is undefined, so the expected output
/// length is too).
#[derive(Debug, Default)]
pub struct Allowed {
    /// The errors the arguments call for.
    pub errors: Vec<Error>,
    /// Buffer lengths any `LengthMismatch { found, .. }` may name.
    pub any_length_of: Vec<usize>,
}

impl Allowed {
    /// Records one thing wrong with the arguments.
    pub fn push(&mut self, e: Error) {
        self.errors.push(e);
    }

    /// `true` when the arguments are consistent and the call must succeed.
    pub fn is_ok(&self) -> bool {
        self.errors.is_empty()
    }

    fn accepts(&self, e: &Error) -> bool {
        self.errors.contains(e)
            || matches!(e, Error::LengthMismatch { expected, found }
                if expected != found && self.any_length_of.contains(found))
    }
}

/// Checks the error contract of one call made on both the SIMD kernel and
/// the reference: with inconsistent arguments both must return `Err`, the
/// same error, and one that names a real problem; with consistent ones both
/// must return `Ok`. Every output buffer of a failed call must be untouched
/// (`outputs` of both calls, filled with [`SENTINEL`] or holding the input).
pub fn check_errors<T: core::fmt::Debug>(
    what: &str,
    allowed: &Allowed,
    simd: core::result::Result<T, Error>,
    reference: core::result::Result<T, Error>,
    outputs_unchanged: bool,
) -> core::result::Result<(), String> {
    match (&simd, &reference) {
        (Ok(_), Ok(_)) if allowed.is_ok() => Ok(()),
        (Err(a), Err(b)) if !allowed.is_ok() => {
            if a != b {
                Err(format!("{what}: SIMD returned {a:?} but the reference {b:?}"))
            } else if !allowed.accepts(a) {
                Err(format!("{what}: returned {a:?}, expected one of {allowed:?}"))
            } else if !outputs_unchanged {
                Err(format!("{what}: returned {a:?} but wrote to an output first"))
            } else {
                Ok(())
            }
        }
        _ => Err(format!(
            "{what}: SIMD returned {simd:?}, reference {reference:?}, expected {}",
            if allowed.is_ok() {
                "Ok".to_string()
            } else {
                format!("one of {allowed:?}")
            }
        )),
    }
}

/// Runs one call on the SIMD kernel and one on the reference, each with
/// fresh output buffers of `out_len` and `grad_len` elements filled with
/// [`SENTINEL`], and checks the error contract with [`check_errors`]
/// (nothing written on `Err`).
pub fn check_err_call<T: core::fmt::Debug>(
    what: &str,
    allowed: &Allowed,
    (out_len, grad_len): (usize, usize),
    simd: impl FnOnce(&mut [f32], &mut [f32]) -> core::result::Result<T, Error>,
    reference: impl FnOnce(&mut [f32], &mut [f32]) -> core::result::Result<T, Error>,
) -> core::result::Result<(), String> {
    let (mut oa, mut ga) = (vec![SENTINEL; out_len], vec![SENTINEL; grad_len]);
    let (mut ob, mut gb) = (oa.clone(), ga.clone());
    let s = simd(&mut oa, &mut ga);
    let r = reference(&mut ob, &mut gb);
    let unchanged = [&oa, &ga, &ob, &gb].iter().all(|v| untouched(v));
    check_errors(what, allowed, s, r, unchanged)
}

/// An input row and the length of the output buffer the call gets.
#[derive(Debug, Arbitrary)]
pub struct RowAndOut {
    /// The input.
    pub x: Row,
    /// The output length (usually right).
    pub out: BufLen,
}

impl RowAndOut {
    /// For an output length other than `x_len`: that length and the one
    /// error it calls for (`None` when the output fits).
    pub fn wrong_out(&self, x_len: usize) -> Option<(usize, Allowed)> {
        let n = self.out.get(x_len);
        (n != x_len).then(|| {
            let mut allowed = Allowed::default();
            allowed.push(Error::LengthMismatch {
                expected: x_len,
                found: n,
            });
            (n, allowed)
        })
    }
}

/// Panics with the checker's message: how a target reports a finding.
pub fn or_panic(r: core::result::Result<(), String>) {
    if let Err(msg) = r {
        panic!("{msg}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_ulps_walks_the_real_line() {
        assert_eq!(step_ulps(1.0, 1), f32::from_bits(1.0f32.to_bits() + 1));
        assert_eq!(step_ulps(1.0, -1), f32::from_bits(1.0f32.to_bits() - 1));
        assert_eq!(step_ulps(0.0, -1).to_bits(), (-f32::from_bits(1)).to_bits());
        assert_eq!(step_ulps(-1.0, 1), f32::from_bits((-1.0f32).to_bits() - 1));
    }

    #[test]
    fn pow2_covers_subnormals_and_saturates() {
        assert_eq!(pow2(0), 1.0);
        assert_eq!(pow2(-149), f32::from_bits(1));
        assert_eq!(pow2(-150), 0.0);
        assert_eq!(pow2(127), 2f32.powi(127));
        assert_eq!(pow2(128), f32::INFINITY);
    }

    #[test]
    fn lengths_stay_bounded_and_hit_multiples() {
        let l = Len::AroundMultiple {
            unit: 2,
            k: 3,
            delta: -1,
        };
        assert_eq!(l.get(0), 47);
        assert!(Len::Large(u32::MAX).get(0) <= MAX_LEN);
        assert_eq!(BufLen::Off(-9).get(2), 0);
    }
}

/// A fuzz input and the lanes and pass structure it runs on: every
/// backend this CPU can run (`softmax_simd::testing::backends`) and every
/// structure (`"auto"`, `"short"`: 3-pass / two-pass at every length,
/// `"long"`: blocked / one-pass at every length) is reached from one byte,
/// so the fuzzers meet the blocked structures at the short lengths they
/// build, not only past the crossovers.
#[derive(Debug, Arbitrary)]
pub struct On<T> {
    /// Backend (low bits) and structure (the next bits).
    pub choice: u8,
    /// The target's own input.
    pub input: T,
}

impl<T> On<T> {
    /// Forces the chosen backend and structure, then hands out the input.
    pub fn apply(&self) -> &T {
        let backends: Vec<&str> = softmax_simd::testing::backends().collect();
        let c = usize::from(self.choice);
        if let Some(b) = backends.get(c % backends.len().max(1)) {
            // `false` only where the build fixed the lanes at compile time.
            let _ = softmax_simd::testing::force_backend(b);
        }
        let structures = ["auto", "short", "long"];
        if let Some(s) = structures.get((c / 4) % structures.len()) {
            assert!(softmax_simd::testing::force_structure(s));
        }
        &self.input
    }
}

/// The shared checker of the older targets and the training suite's
/// checkers (tests/common/: the f64 oracle, the bounds, the special values
/// and the `Err` contract of issue 12's API), for the `scaled`,
/// `backward`, `xent_options` and `streaming` targets.
#[path = "../../tests/common/check.rs"]
pub mod check;
#[macro_use]
#[path = "../../tests/common/check_training.rs"]
pub mod check_training;
#[path = "../../tests/common/f64ref.rs"]
pub mod f64ref;

/// The SIMD kernels as the training checkers' `Training` implementation.
pub mod training {
    use crate::check_training::Training;

    training_impl!(Simd, softmax_simd, false);
}
