//! The reference's compensated sum: Neumaier's improved Kahan-Babuska sum
//! (Neumaier 1974) within blocks of 256 terms, and again over the block
//! totals. One level is not enough in f32: over 2^24 terms, most of them
//! smaller than half an ULP of the running sum, the compensation term is
//! itself a long naive sum and drifts (1e-5 relative, measured). With two
//! levels the error stays within a few `u` of the sum of magnitudes.

#[derive(Default)]
struct Neumaier {
    sum: f32,
    comp: f32,
    plain: f32,
}

impl Neumaier {
    fn add(&mut self, v: f32) {
        self.plain += v;
        let t = self.sum + v;
        if libm::fabsf(self.sum) >= libm::fabsf(v) {
            self.comp += (self.sum - t) + v;
        } else {
            self.comp += (v - t) + self.sum;
        }
        self.sum = t;
    }

    fn total(&self) -> f32 {
        // With an infinite (or NaN) term the compensation is inf - inf:
        // the plain sum is then the right answer.
        if self.plain.is_finite() {
            self.sum + self.comp
        } else {
            self.plain
        }
    }
}

const BLOCK: usize = 256;

pub(super) fn neumaier(values: impl IntoIterator<Item = f32>) -> f32 {
    // Infinite or NaN terms decide the sum as in real arithmetic (their own
    // sum), whatever the finite terms' partial sums do in f32.
    let mut infinite: Option<f32> = None;
    let mut outer = Neumaier::default();
    let mut inner = Neumaier::default();
    let mut k = 0;
    for v in values {
        if !v.is_finite() {
            infinite = Some(infinite.map_or(v, |w| w + v));
            continue;
        }
        inner.add(v);
        k += 1;
        if k == BLOCK {
            outer.add(inner.total());
            inner = Neumaier::default();
            k = 0;
        }
    }
    outer.add(inner.total());
    infinite.unwrap_or_else(|| outer.total())
}

/// A sum of terms computed and added in f64, rounded once to f32: for
/// loss terms `y_i (l - d_i)` whose products or partial sums overflow f32
/// (labels and logits near `f32::MAX`) although the real sum does not, or
/// whose sign only the real sum decides. Infinite and NaN terms (a `d_i`
/// that is `-inf`) combine as in real arithmetic.
pub(super) fn wide_sum(values: impl IntoIterator<Item = f64>) -> f32 {
    values.into_iter().sum::<f64>() as f32
}
