//! The f64 oracle: each formula of docs/SEMANTICS.md evaluated in f64 on a
//! finite row, from the same f32 `d_i = x_i - m` every implementation
//! computes (the inherent rounding is not counted against a kernel).
#![allow(dead_code)] // Also included by examples/ that use only part of it.

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
    let rest = rest_without(&d, arg);
    Some(Split { d, rest, m: m as f64 })
}

/// `sum over i != arg of exp(d_i)`.
fn rest_without(d: &[f64], arg: usize) -> f64 {
    d.iter()
        .enumerate()
        .filter(|&(i, _)| i != arg)
        .map(|(_, d)| d.exp())
        .sum()
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

// ---- Issue 12: temperature, backward passes, cross-entropy options.

/// The scaled row `beta * x` as the kernels see it: `t_i = beta * (x_i - m)`
/// with both the subtraction and the product rounded in f32 (the inherent
/// rounding, like `d_i`'s), `m` here being `beta * max(x)` in f64. `None`
/// unless the row is finite.
pub fn split_scaled(x: &[f32], beta: f32) -> Option<Split> {
    let s = split(x)?;
    let m = s.m as f32;
    let d: Vec<f64> = x.iter().map(|&v| (beta * (v - m)) as f64).collect();
    let rest = rest_without(&d, x.iter().position(|&v| v == m)?);
    Some(Split {
        d,
        rest,
        m: beta as f64 * s.m,
    })
}

/// `y_i (dy_i - <dy, y>)` in f64.
pub fn softmax_backward(y: &[f32], dy: &[f32]) -> Vec<f64> {
    let dot: f64 = y.iter().zip(dy).map(|(&y, &d)| y as f64 * d as f64).sum();
    y.iter().zip(dy).map(|(&y, &d)| y as f64 * (d as f64 - dot)).collect()
}

/// `dz_i - exp(z_i) sum(dz)` in f64.
pub fn log_softmax_backward(z: &[f32], dz: &[f32]) -> Vec<f64> {
    let total: f64 = dz.iter().map(|&d| d as f64).sum();
    z.iter()
        .zip(dz)
        .map(|(&z, &d)| d as f64 - (z as f64).exp() * total)
        .collect()
}

/// One cross-entropy row's coefficients in f64 (docs/SEMANTICS.md): the row
/// loses `sum_c coef[c] (-log p_c)`, and its gradient is
/// `hot (p - onehot(t)) + spread_total p - spread`.
pub struct XentRow {
    pub coef: Vec<f64>,
    /// `(t, (1 - e) w[t])` for a class-index target.
    pub hot: Option<(usize, f64)>,
    /// `(e / C) w[c]` (index targets) or `w[c] y'[c]` (probabilities).
    pub spread: Vec<f64>,
    /// The magnitude of the terms that form `spread[c]`: `y'[c]` may
    /// cancel (`(1 - e) y[c] + e / C` with a negative `y[c]`), and f32
    /// rounds before it does.
    pub spread_abs: Vec<f64>,
}

impl XentRow {
    /// A class-index row; `None` target: an ignored row.
    pub fn index(t: Option<usize>, classes: usize, w: Option<&[f32]>, e: f32) -> Option<XentRow> {
        let t = t?;
        let wc = |c: usize| w.map_or(1.0, |w| w[c] as f64);
        let e = e as f64;
        let spread: Vec<f64> = (0..classes).map(|c| e / classes as f64 * wc(c)).collect();
        let h = (1.0 - e) * wc(t);
        let mut coef = spread.clone();
        coef[t] += h;
        Some(XentRow {
            coef,
            hot: Some((t, h)),
            spread_abs: spread.iter().map(|v| v.abs()).collect(),
            spread,
        })
    }

    /// A probability-target row.
    pub fn dense(y: &[f32], w: Option<&[f32]>, e: f32) -> XentRow {
        let c = y.len() as f64;
        let e = e as f64;
        let coef: Vec<f64> = y
            .iter()
            .enumerate()
            .map(|(i, &y)| w.map_or(1.0, |w| w[i] as f64) * ((1.0 - e) * y as f64 + e / c))
            .collect();
        let spread_abs = y
            .iter()
            .enumerate()
            .map(|(i, &y)| w.map_or(1.0, |w| w[i] as f64).abs() * ((1.0 - e) * (y as f64).abs() + e / c))
            .collect();
        XentRow {
            spread: coef.clone(),
            coef,
            hot: None,
            spread_abs,
        }
    }

    /// `(loss, gradient)` of this row on the finite row `s`.
    pub fn eval(&self, s: &Split) -> (f64, Vec<f64>) {
        let l = s.l();
        let loss = self
            .coef
            .iter()
            .zip(&s.d)
            .filter(|&(&k, _)| k != 0.0)
            .map(|(k, d)| k * (l - d))
            .sum();
        let p = s.softmax();
        let a: f64 = self.spread.iter().sum();
        let grad = (0..p.len())
            .map(|j| {
                let hot = self.hot.map_or(0.0, |(t, h)| {
                    if t == j {
                        // p_t - 1 without cancellation.
                        let others: f64 =
                            s.d.iter()
                                .enumerate()
                                .filter(|&(i, _)| i != t)
                                .map(|(_, d)| d.exp())
                                .sum();
                        -h * others / (1.0 + s.rest)
                    } else {
                        h * p[j]
                    }
                });
                hot + (a * p[j] - self.spread[j])
            })
            .collect();
        (loss, grad)
    }
}
