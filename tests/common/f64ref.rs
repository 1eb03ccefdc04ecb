//! The f64 oracle: each formula of docs/SEMANTICS.md evaluated in f64 on a
//! finite row, from the same f32 `d_i = x_i - m` every implementation
//! computes (the inherent rounding is not counted against a kernel).

pub struct Split {
    /// `x_i - m`, rounded in f32 then widened.
    pub d: Vec<f64>,
    /// `S - 1` in f64 (every term but the first arg-max).
    pub rest: f64,
    pub m: f64,
}

/// `None` unless the row is finite (no NaN, no inf, not all `-inf`, not empty).
pub fn split(x: &[f32]) -> Option<Split> {
    if x.is_empty() || x.iter().any(|v| v.is_nan() || *v == f32::INFINITY) {
        return None;
    }
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if m == f32::NEG_INFINITY {
        return None;
    }
    let arg = x.iter().position(|&v| v == m).unwrap();
    let d: Vec<f64> = x.iter().map(|&v| (v - m) as f64).collect();
    let rest = d
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != arg)
        .map(|(_, d)| d.exp())
        .sum();
    Some(Split { d, rest, m: m as f64 })
}

impl Split {
    pub fn l(&self) -> f64 {
        self.rest.ln_1p()
    }
    pub fn lse(&self) -> f64 {
        self.m + self.l()
    }
    pub fn softmax(&self) -> Vec<f64> {
        let s = 1.0 + self.rest;
        self.d.iter().map(|d| d.exp() / s).collect()
    }
    pub fn log_softmax(&self) -> Vec<f64> {
        let l = self.l();
        self.d.iter().map(|d| d - l).collect()
    }
    /// Dense loss and gradient, `0 * inf := 0`.
    pub fn dense(&self, y: &[f32]) -> (f64, Vec<f64>) {
        let l = self.l();
        let loss = self
            .d
            .iter()
            .zip(y)
            .filter(|&(_, &y)| y != 0.0)
            .map(|(d, &y)| y as f64 * (l - d))
            .sum();
        let y_total: f64 = y.iter().map(|&y| y as f64).sum();
        let p = self.softmax();
        (loss, p.iter().zip(y).map(|(p, &y)| y_total * p - y as f64).collect())
    }
}
