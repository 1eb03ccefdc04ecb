//! The plain loops on `libm::expf` the kernels are compared with: what a
//! firmware author writes without this crate. `softmax` is TFLite Micro's
//! float reference (`reference_ops::Softmax` at `beta = 1`: max, exps and
//! their sum, a division per element); the others follow it (`log_softmax`
//! as TFLite's `LogSoftmax`, the cross-entropies as TensorFlow's with the
//! gradient `p_i - y_i`).

/// The maximum of a row, `max = v > max ? v : max` as `std::max` does.
fn max(x: &[f32]) -> f32 {
    let mut m = f32::NEG_INFINITY;
    for &v in x {
        if v > m {
            m = v;
        }
    }
    m
}

/// `out = exp(x - max)`, returns `(max, sum of out)`.
fn exps(x: &[f32], out: &mut [f32]) -> (f32, f32) {
    let m = max(x);
    let mut sum = 0.0;
    for (o, &v) in out.iter_mut().zip(x) {
        let e = libm::expf(v - m);
        *o = e;
        sum += e;
    }
    (m, sum)
}

pub fn softmax(x: &[f32], out: &mut [f32]) {
    let (_, sum) = exps(x, out);
    for o in out.iter_mut() {
        *o /= sum;
    }
}

pub fn log_softmax(x: &[f32], out: &mut [f32]) {
    let m = max(x);
    let mut sum = 0.0;
    for &v in x {
        sum += libm::expf(v - m);
    }
    let log_sum = libm::logf(sum);
    for (o, &v) in out.iter_mut().zip(x) {
        *o = v - m - log_sum;
    }
}

pub fn logsumexp(x: &[f32]) -> f32 {
    let m = max(x);
    let mut sum = 0.0;
    for &v in x {
        sum += libm::expf(v - m);
    }
    m + libm::logf(sum)
}

/// Loss `log(sum) - (x[label] - max)` and gradient `p_i - [i == label]`.
pub fn sparse_xent(x: &[f32], label: usize, grad: &mut [f32]) -> f32 {
    let (m, sum) = exps(x, grad);
    for g in grad.iter_mut() {
        *g /= sum;
    }
    if let Some(g) = grad.get_mut(label) {
        *g -= 1.0;
    }
    libm::logf(sum) - (x.get(label).copied().unwrap_or(f32::NAN) - m)
}

/// Loss `sum_i y_i (log(sum) - (x_i - max))` and gradient `p_i - y_i`.
pub fn dense_xent(x: &[f32], y: &[f32], grad: &mut [f32]) -> f32 {
    let (m, sum) = exps(x, grad);
    let log_sum = libm::logf(sum);
    let mut loss = 0.0;
    for ((g, &v), &t) in grad.iter_mut().zip(x).zip(y) {
        *g = *g / sum - t;
        loss += t * (log_sum - (v - m));
    }
    loss
}
