//! Deterministic sweeps over row lengths: every length up to 300 (every
//! tail of 4, 8 and 16 lanes times the unroll of 4), then the neighbours of
//! every multiple of 64 up to 4100, each through the shared checker; and
//! the normaliser's accuracy on a row of 2^24 elements.

mod common;

use common::check;

fn row(n: usize, seed: u32) -> Vec<f32> {
    // A cheap LCG: deterministic, spread over [-30, 30] with some ties.
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(n as u32);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1664525).wrapping_add(1013904223);
            ((s >> 8) % 6001) as f32 / 100.0 - 30.0
        })
        .collect()
}

fn lengths() -> Vec<usize> {
    let max = common::MAX_LEN;
    let mut v: Vec<usize> = (0..=300.min(max)).collect();
    for k in (320..=max).step_by(64) {
        v.extend([k - 1, k, k + 1].into_iter().filter(|&n| n <= max));
    }
    v.push(max);
    v
}

#[test]
fn every_tail_length_agrees() {
    for n in lengths() {
        let x = row(n, 1);
        let y: Vec<f32> = (0..n).map(|i| if i % 3 == 0 { 0.5 } else { 0.0 }).collect();
        check::check_exp(&x).unwrap();
        check::check_reduce(&x).unwrap();
        check::check_softmax(&x).unwrap();
        check::check_dense_xent(&x, &y).unwrap();
        check::check_sparse_xent(&x, n.saturating_sub(1) / 2).unwrap();
        // The special rows at every length too: the NaN, +inf or masked
        // entry sits in the tail, where the padding lanes are.
        if n > 0 {
            for v in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
                let mut s = x.clone();
                s[n - 1] = v;
                check::check_softmax(&s).unwrap();
                check::check_reduce(&s).unwrap();
                check::check_sparse_xent(&s, 0).unwrap();
            }
            check::check_softmax(&vec![f32::NEG_INFINITY; n]).unwrap();
        }
    }
}

#[test]
fn every_row_shape_agrees() {
    let max_classes = if cfg!(miri) { 9 } else { 70 };
    let x = row(if cfg!(miri) { 60 } else { 2100 }, 2);
    for classes in 0..=max_classes {
        let n = x.len() - if classes > 0 { x.len() % classes } else { 0 };
        let rows = n.checked_div(classes).unwrap_or(0);
        let y: Vec<f32> = (0..n).map(|i| (i % 4) as f32 * 0.25).collect();
        let labels: Vec<usize> = (0..rows).map(|r| r % classes.max(1)).collect();
        check::check_rows(&x[..n], classes, &y, &labels).unwrap();
        // And the same buffer one element short: not a whole number of rows.
        if n > 1 {
            check::check_rows(&x[..n - 1], classes, &y[..n - 1], &labels).unwrap();
        }
    }
}

/// docs/SEMANTICS.md: the normaliser of a row of up to 2^24 elements is within
/// 2^-20 relative of the f64 sum. Through `logsumexp`, a relative error
/// `r` in `S` is an absolute error `r` in `log S`.
#[test]
#[cfg_attr(any(debug_assertions, miri), ignore = "2^24 elements: run with --release")]
fn long_row_normaliser_is_accurate() {
    let n = 1 << 24;
    let x = row(n, 3);
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let s64: f64 = x.iter().map(|&v| ((v - m) as f64).exp()).sum();
    let want = m as f64 + s64.ln();
    let ulp = (want as f32).abs() * f32::EPSILON;
    for (what, got) in [
        ("simd", softmax_simd::logsumexp(&x)),
        ("reference", softmax_simd::reference::logsumexp(&x)),
    ] {
        let err = ((got as f64) - want).abs();
        assert!(
            err <= 2f64.powi(-20) + ulp as f64,
            "{what}: logsumexp {got} vs f64 {want}: error {err:e}"
        );
    }
    // softmax of the same row sums to 1 within the same bound.
    let mut p = vec![0.0f32; n];
    softmax_simd::softmax(&x, &mut p).unwrap();
    let sum: f64 = p.iter().map(|&v| v as f64).sum();
    assert!((sum - 1.0).abs() <= 2f64.powi(-20), "softmax sums to {sum}");
}
