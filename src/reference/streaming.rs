//! Reference streaming `LogSumExp`: a row in chunks, merged in any order.

use super::logsumexp::rest_sum;
use super::row::{Row, inf_log_share, inf_share, scan};
use crate::Error;
use crate::checks::same_len;

/// Reference `LogSumExp`: the state of a row seen in chunks (`update`),
/// merged with the states of its other chunks (`merge`, in any order), that
/// gives `logsumexp` of everything seen (`finish`) and the chunks' softmax
/// relative to the whole row.
///
/// It keeps the max `m` and `S - 1` (every `exp(x_i - m)` but one term at
/// the max), so `[0]` and `[-20]` as two chunks give `2.0611537e-9`. A
/// chunk's `S - 1` is the reference's compensated f32 sum; across chunks it
/// is carried in f64 (`S_a - 1 + exp(m_b - m_a) S_b`), so no number of
/// chunks or merges costs accuracy. An empty or masked state finishes at
/// `-inf`; a `+inf` seen finishes at `+inf` (softmax: the `1/k` limit); a
/// NaN seen finishes at NaN.
///
/// ```
/// use softmax_simd::reference::LogSumExp;
/// let (mut a, mut b) = (LogSumExp::new(), LogSumExp::new());
/// a.update(&[0.0]);
/// b.update(&[-20.0]);
/// a.merge(&b);
/// assert_eq!(a.finish(), 2.0611537e-9);
/// ```
#[derive(Clone, Debug, Default)]
pub struct LogSumExp {
    /// The max of what was seen (NaN aside), `None` before anything.
    m: Option<f32>,
    /// `S - 1` relative to a finite `m` (0 otherwise).
    rest: f64,
    /// How many `+inf` were seen (saturating).
    inf: usize,
    /// Whether a NaN was seen.
    nan: bool,
}

impl LogSumExp {
    /// An empty state (`finish()` is `-inf`).
    ///
    /// ```
    /// assert_eq!(softmax_simd::reference::LogSumExp::new().finish(), f32::NEG_INFINITY);
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next chunk of the row (chunks may come in any order).
    ///
    /// ```
    /// let mut s = softmax_simd::reference::LogSumExp::new();
    /// s.update(&[1.0, 1.0]);
    /// s.update(&[]);
    /// s.update(&[1.0, 1.0]);
    /// assert_eq!(s.finish(), 1.0 + 4.0f32.ln());
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn update(&mut self, x: &[f32]) {
        let chunk = match scan(x) {
            Row::Nan => LogSumExp {
                nan: true,
                ..Self::default()
            },
            Row::PosInf { k } => LogSumExp {
                m: Some(f32::INFINITY),
                inf: k,
                ..Self::default()
            },
            Row::Masked if x.is_empty() => return,
            Row::Masked => LogSumExp {
                m: Some(f32::NEG_INFINITY),
                ..Self::default()
            },
            Row::Finite { m, arg } => LogSumExp {
                m: Some(m),
                rest: f64::from(rest_sum(x, m, arg, 1.0)),
                ..Self::default()
            },
        };
        self.merge(&chunk);
    }

    /// Adds what another state of the same row has seen.
    ///
    /// ```
    /// use softmax_simd::reference::LogSumExp;
    /// let (mut a, mut b) = (LogSumExp::new(), LogSumExp::new());
    /// a.update(&[f32::NEG_INFINITY]);
    /// b.update(&[3.0, 3.0]);
    /// a.merge(&b);
    /// assert_eq!(a.finish(), 3.0 + 2.0f32.ln());
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn merge(&mut self, other: &LogSumExp) {
        self.nan |= other.nan;
        self.inf = self.inf.saturating_add(other.inf);
        let (hi, lo) = match (self.m, other.m) {
            (_, None) => return,
            (None, Some(_)) => {
                self.m = other.m;
                self.rest = other.rest;
                return;
            }
            (Some(a), Some(b)) if a >= b => ((a, self.rest), (b, other.rest)),
            (Some(a), Some(b)) => ((b, other.rest), (a, self.rest)),
        };
        self.m = Some(hi.0);
        self.rest = if hi.0.is_finite() && lo.0.is_finite() {
            // The lower state's arg-max term joins the rest: S - 1 kept.
            hi.1 + libm::exp(f64::from(lo.0) - f64::from(hi.0)) * (1.0 + lo.1)
        } else {
            // A -inf lower max adds nothing; a +inf max ends the finite sum.
            hi.1
        };
    }

    /// `logsumexp` of everything seen: `m + log1p(S - 1)` (in f64, rounded
    /// once), `-inf` if nothing or only `-inf` was seen, `+inf` if a `+inf`
    /// was, NaN if a NaN was.
    ///
    /// ```
    /// let mut s = softmax_simd::reference::LogSumExp::new();
    /// s.update(&[f32::INFINITY, 0.0]);
    /// assert_eq!(s.finish(), f32::INFINITY);
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn finish(&self) -> f32 {
        match self.kind() {
            Kind::Nan => f32::NAN,
            Kind::Inf(_) => f32::INFINITY,
            Kind::Masked => f32::NEG_INFINITY,
            Kind::Finite(m) => (f64::from(m) + libm::log1p(self.rest)) as f32,
        }
    }

    /// The softmax of a chunk of the row, relative to the whole row seen:
    /// `expf(x_i - m) / S`. Zeros for an empty or masked state; the `1/k`
    /// limit after `+inf`; NaN after a NaN.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing written.
    ///
    /// ```
    /// use softmax_simd::reference::LogSumExp;
    /// let mut s = LogSumExp::new();
    /// s.update(&[0.0, 0.0]);
    /// s.update(&[0.0, 0.0]);
    /// let mut p = [0.0f32; 2];
    /// s.softmax_chunk(&[0.0, 0.0], &mut p)?;
    /// assert_eq!(p, [0.25, 0.25]);
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn softmax_chunk(&self, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same_len(x.len(), out.len())?;
        let kind = self.kind();
        let s = (1.0 + self.rest) as f32;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = match kind {
                Kind::Nan => f32::NAN,
                Kind::Inf(k) => inf_share(v, k),
                Kind::Masked => 0.0,
                Kind::Finite(m) => libm::expf(v - m) / s,
            };
        }
        Ok(())
    }

    /// The log-softmax of a chunk of the row, relative to the whole row
    /// seen: `(x_i - m) - log1p(S - 1)`, never from a rounded `lse`.
    /// `-inf` for an empty or masked state; the `+inf` limit; NaN after a
    /// NaN.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing written.
    ///
    /// ```
    /// use softmax_simd::reference::LogSumExp;
    /// let mut s = LogSumExp::new();
    /// s.update(&[1000.0]);
    /// s.update(&[1.0]);
    /// let mut z = [0.0f32; 2];
    /// s.log_softmax_chunk(&[1000.0, 1.0], &mut z)?;
    /// assert_eq!(z, [0.0, -999.0]);
    /// # Ok::<(), softmax_simd::Error>(())
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn log_softmax_chunk(&self, x: &[f32], out: &mut [f32]) -> Result<(), Error> {
        same_len(x.len(), out.len())?;
        let kind = self.kind();
        let l = libm::log1p(self.rest) as f32;
        for (o, &v) in out.iter_mut().zip(x) {
            *o = match kind {
                Kind::Nan => f32::NAN,
                Kind::Inf(k) => inf_log_share(v, k),
                Kind::Masked => f32::NEG_INFINITY,
                Kind::Finite(m) => (v - m) - l,
            };
        }
        Ok(())
    }

    fn kind(&self) -> Kind {
        match self.m {
            _ if self.nan => Kind::Nan,
            _ if self.inf > 0 => Kind::Inf(self.inf),
            Some(m) if m.is_finite() => Kind::Finite(m),
            _ => Kind::Masked,
        }
    }
}

/// What a state has seen, by SEMANTICS's kinds of row.
#[derive(Clone, Copy)]
enum Kind {
    Nan,
    Inf(usize),
    Masked,
    Finite(f32),
}
