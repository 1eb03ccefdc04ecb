//! The streaming `LogSumExp` state: a row in chunks or across threads.

use crate::Error;
use crate::checks::same_len;
use crate::dispatch;
use crate::passes::limits;

/// The state of a row seen in chunks (`update`), merged with the states of
/// its other chunks (`merge`, in any order, on any thread), that gives
/// `logsumexp` of everything seen (`finish`) and the chunks' softmax and
/// log-softmax relative to the whole row.
///
/// It keeps the max `m` and `S - 1` (every `exp(x_i - m)` but one term at
/// the max). A chunk's max and `S - 1` come from the vector kernels'
/// exp-sum (the compensated sum of the terms below the max plus the count
/// of ties); across chunks and merges `S - 1` is carried in f64
/// (`S_a - 1 + exp(m_b - m_a) S_b`), so no number of chunks or shape of
/// merge tree costs accuracy: `[0]` and `[-20]` as two chunks give
/// `2.0611537e-9`. An empty or masked state finishes at `-inf` (softmax
/// chunks of zeros); a `+inf` seen finishes at `+inf` (the `1/k` limit
/// over the whole row); a NaN seen finishes at NaN.
///
/// # Example
/// ```
/// use softmax_simd::LogSumExp;
/// let (mut a, mut b) = (LogSumExp::new(), LogSumExp::new());
/// a.update(&[0.0]);
/// b.update(&[-20.0]);
/// a.merge(&b);
/// assert!((a.finish() - 2.0611537e-9).abs() < 1e-15);
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

/// What a state has seen, by SEMANTICS's kinds of row.
#[derive(Clone, Copy)]
enum Kind {
    Nan,
    Inf(usize),
    Masked,
    Finite(f32),
}

impl LogSumExp {
    /// An empty state (`finish()` is `-inf`).
    ///
    /// # Example
    /// ```
    /// assert_eq!(softmax_simd::LogSumExp::new().finish(), f32::NEG_INFINITY);
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next chunk of the row (chunks may come in any order).
    ///
    /// # Example
    /// ```
    /// let mut s = softmax_simd::LogSumExp::new();
    /// s.update(&[1.0, 1.0]);
    /// s.update(&[]);
    /// s.update(&[1.0, 1.0]);
    /// assert!((s.finish() - (1.0 + 4.0f32.ln())).abs() < 1e-6);
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn update(&mut self, x: &[f32]) {
        if x.is_empty() {
            return;
        }
        let c = dispatch::lse_chunk(x);
        let chunk = LogSumExp {
            m: if c.nan { None } else { Some(c.m) },
            rest: c.rest,
            inf: c.inf,
            nan: c.nan,
        };
        self.merge(&chunk);
    }

    /// Adds what another state of the same row has seen.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::LogSumExp;
    /// let (mut a, mut b) = (LogSumExp::new(), LogSumExp::new());
    /// a.update(&[f32::NEG_INFINITY]);
    /// b.update(&[3.0, 3.0]);
    /// a.merge(&b);
    /// assert!((a.finish() - (3.0 + 2.0f32.ln())).abs() < 1e-6);
    /// ```
    #[cfg_attr(all(test, softmax_simd_no_panic), no_panic::no_panic)]
    pub fn merge(&mut self, other: &LogSumExp) {
        self.nan |= other.nan;
        self.inf = self.inf.saturating_add(other.inf);
        let (Some(a), Some(b)) = (self.m, other.m) else {
            if self.m.is_none() {
                self.m = other.m;
                self.rest = other.rest;
            }
            return;
        };
        let ((hi, hi_rest), (lo, lo_rest)) = if a >= b {
            ((a, self.rest), (b, other.rest))
        } else {
            ((b, other.rest), (a, self.rest))
        };
        self.m = Some(hi);
        self.rest = if hi.is_finite() && lo.is_finite() {
            // The lower state's arg-max term joins the rest: S - 1 kept.
            hi_rest + libm::exp(f64::from(lo) - f64::from(hi)) * (1.0 + lo_rest)
        } else {
            // A -inf lower max adds nothing; a +inf max ends the finite sum.
            hi_rest
        };
    }

    /// `logsumexp` of everything seen: `m + log1p(S - 1)` (in f64, rounded
    /// once), `-inf` if nothing or only `-inf` was seen, `+inf` if a `+inf`
    /// was, NaN if a NaN was.
    ///
    /// # Example
    /// ```
    /// let mut s = softmax_simd::LogSumExp::new();
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
    /// `exp(x_i - m) / S`. Zeros for an empty or masked state; the `1/k`
    /// limit after `+inf`; NaN after a NaN.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing written.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::LogSumExp;
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
        match self.kind() {
            Kind::Finite(m) => dispatch::softmax_chunk(x, out, m, (1.0 / (1.0 + self.rest)) as f32),
            Kind::Nan => out.fill(f32::NAN),
            Kind::Masked => out.fill(0.0),
            Kind::Inf(k) => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = limits(v, f32::INFINITY, k).1;
                }
            }
        }
        Ok(())
    }

    /// The log-softmax of a chunk of the row, relative to the whole row
    /// seen: `(x_i - m) - log1p(S - 1)`, never from a rounded `lse`. `-inf`
    /// for an empty or masked state; the `+inf` limit; NaN after a NaN.
    ///
    /// # Errors
    /// [`Error::LengthMismatch`] if `out.len() != x.len()`; nothing written.
    ///
    /// # Example
    /// ```
    /// use softmax_simd::LogSumExp;
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
        match self.kind() {
            Kind::Finite(m) => dispatch::log_softmax_chunk(x, out, m, libm::log1p(self.rest) as f32),
            Kind::Nan => out.fill(f32::NAN),
            Kind::Masked => out.fill(f32::NEG_INFINITY),
            Kind::Inf(k) => {
                for (o, &v) in out.iter_mut().zip(x) {
                    *o = limits(v, f32::INFINITY, k).0;
                }
            }
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
