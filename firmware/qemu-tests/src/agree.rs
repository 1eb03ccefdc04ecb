//! SIMD kernels against `softmax_simd::reference` on fixed pseudo-random
//! rows, judged by the shared no_std checker (`checker/`, the same bounds,
//! predicates and value generators as the host tests and the fuzz targets):
//! `exp` within `EXP_ULP`; softmax within `SOFTMAX_ULP` or below the flush
//! threshold; log-space outputs and losses within `LOG_EPS * eps * scale`;
//! gradients within `GRAD_EPS * eps * (|Y p_i| + |y_i|)`; in-place and
//! row-batched forms bit-identical to the single-row kernels. This file owns
//! only the stack buffers, the fixed row set and the reporting.

use crate::tally::{Case, Tally};
use softmax_simd::{self as simd, reference};
use softmax_simd_checker::{self as shared, Bits, DISTS, RowScratch, XorShift32, same_bits};

/// Longest row tested: past 4 lanes x 4 accumulators x 64 groups.
pub const MAX_N: usize = 1040;
/// Row lengths: every tail of 4 lanes and a 16-value group, and a few long.
const LENS: [usize; 22] = [
    1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 130, 257, 1000, MAX_N,
];

/// The scratch buffers, allocated once on the stack.
/// (`training.rs` reuses them.)
pub struct Bufs {
    pub x: [f32; MAX_N],
    pub y: [f32; MAX_N],
    pub a: [f32; MAX_N],
    pub b: [f32; MAX_N],
    pub c: [f32; MAX_N],
    pub d: [f32; MAX_N],
    e: [f32; MAX_N],
    labels: [usize; MAX_N],
}

impl Bufs {
    pub const fn new() -> Self {
        Bufs {
            x: [0.0; MAX_N],
            y: [0.0; MAX_N],
            a: [0.0; MAX_N],
            b: [0.0; MAX_N],
            c: [0.0; MAX_N],
            d: [0.0; MAX_N],
            e: [0.0; MAX_N],
            labels: [0; MAX_N],
        }
    }
}

/// Runs every fixed row through every check.
pub fn run(t: &mut Tally, bufs: &mut Bufs) {
    // xorshift32 with a fixed seed: the same vectors on every run.
    let mut rng = XorShift32(0x9E37_79B9);
    for dist in DISTS {
        for n in LENS {
            let base = 10.0 * rng.sym();
            for v in &mut bufs.x[..n] {
                *v = shared::value(&mut rng, dist, base);
            }
            shared::labels(&mut rng, &mut bufs.y[..n]);
            let label = rng.bits() as usize % n;
            t.case("simd vs reference", dist.name(), |c| {
                row(c, bufs, n, label);
                if !c.ok() {
                    c.fail(format_args!("(row of {n} values from {dist:?}, label {label})"));
                }
            });
        }
    }
}

/// Reports the shared checker's verdict.
fn judge<E: core::fmt::Display>(c: &mut Case<'_>, r: Result<(), E>) {
    if let Err(m) = r {
        c.fail(format_args!("{m}"));
    }
}

fn row(c: &mut Case<'_>, bufs: &mut Bufs, n: usize, label: usize) {
    softmax(c, bufs, n);
    let x = &bufs.x[..n];
    let (m, mr, l, lr) = (
        simd::max(x),
        reference::max(x),
        simd::logsumexp(x),
        reference::logsumexp(x),
    );
    judge(c, shared::reduce_agrees(x, m, mr, l, lr));
    exp(c, x, &mut bufs.a[..n], &mut bufs.b[..n]);
    dense(c, bufs, n);
    sparse(c, bufs, n, label);
    // Row-batched: split the buffer into rows of a divisor of n (or one row).
    let classes = [7usize, 5, 4, 3, 2]
        .into_iter()
        .find(|k| n.is_multiple_of(*k) && n > *k)
        .unwrap_or(n);
    for (k, l) in bufs.labels[..n / classes].iter_mut().enumerate() {
        *l = (k * 3) % classes;
    }
    let mut s = RowScratch {
        a: &mut bufs.a,
        b: &mut bufs.b,
        c: &mut bufs.c,
        d: &mut bufs.d,
    };
    let (x, y, labels) = (&bufs.x[..n], &bufs.y[..n], &bufs.labels[..n / classes]);
    judge(c, shared::softmax_rows_agree(x, classes, &mut s));
    judge(c, shared::dense_rows_agree(x, y, classes, &mut s));
    judge(c, shared::sparse_rows_agree(x, labels, classes, &mut s));
}

fn exp(c: &mut Case<'_>, x: &[f32], a: &mut [f32], b: &mut [f32]) {
    let ok = simd::exp(x, a).is_ok() && reference::exp(x, b).is_ok();
    c.expect(ok, format_args!("exp returned Err"));
    judge(c, shared::exp_agrees(x, a, b));
}

fn softmax(c: &mut Case<'_>, bufs: &mut Bufs, n: usize) {
    let x = &bufs.x[..n];
    let (a, b, la, lb) = (&mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n], &mut bufs.d[..n]);
    let ip = &mut bufs.e[..n];
    c.expect(
        simd::softmax(x, a).is_ok() && reference::softmax(x, b).is_ok(),
        format_args!("softmax Err"),
    );
    c.expect(
        simd::log_softmax(x, la).is_ok() && reference::log_softmax(x, lb).is_ok(),
        format_args!("log_softmax Err"),
    );
    type InPlace = fn(&mut [f32]);
    let forms: [(&str, InPlace, &[f32]); 4] = [
        ("softmax_in_place", simd::softmax_in_place, a),
        ("reference::softmax_in_place", reference::softmax_in_place, b),
        ("log_softmax_in_place", simd::log_softmax_in_place, la),
        ("reference::log_softmax_in_place", reference::log_softmax_in_place, lb),
    ];
    for (what, f, want) in forms {
        ip.copy_from_slice(x);
        f(ip);
        c.expect(
            same_bits(ip, want),
            format_args!("{what} differs from the out-of-place kernel"),
        );
    }
    judge(c, shared::softmax_agrees(x, a, b, la, lb, ip));
}

fn dense(c: &mut Case<'_>, bufs: &mut Bufs, n: usize) {
    let (x, y) = (&bufs.x[..n], &bufs.y[..n]);
    let (ga, gb, p, scratch) = (&mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n], &mut bufs.e[..n]);
    let r = (
        simd::softmax_cross_entropy_with_logits(x, y, None),
        reference::softmax_cross_entropy_with_logits(x, y, None),
        simd::softmax_cross_entropy_with_logits(x, y, Some(ga)),
        reference::softmax_cross_entropy_with_logits(x, y, Some(gb)),
    );
    let (Ok(l1), Ok(l2), Ok(l3), Ok(l4)) = r else {
        c.fail(format_args!("dense xent Err: {r:?}"));
        return;
    };
    c.expect(reference::softmax(x, p).is_ok(), format_args!("softmax Err"));
    judge(c, shared::dense_agrees(x, y, [l1, l2, l3, l4], ga, gb, p, scratch));
}

fn sparse(c: &mut Case<'_>, bufs: &mut Bufs, n: usize, label: usize) {
    let x = &bufs.x[..n];
    let (ga, gb, gd, onehot) = (&mut bufs.a[..n], &mut bufs.b[..n], &mut bufs.c[..n], &mut bufs.d[..n]);
    let r = (
        simd::sparse_softmax_cross_entropy_with_logits(x, label, None),
        reference::sparse_softmax_cross_entropy_with_logits(x, label, None),
        simd::sparse_softmax_cross_entropy_with_logits(x, label, Some(ga)),
        reference::sparse_softmax_cross_entropy_with_logits(x, label, Some(gb)),
    );
    let (Ok(l1), Ok(l2), Ok(l3), Ok(l4)) = r else {
        c.fail(format_args!("sparse xent Err: {r:?}"));
        return;
    };
    onehot.fill(0.0);
    onehot[label] = 1.0;
    match simd::softmax_cross_entropy_with_logits(x, onehot, Some(gd)) {
        Ok(ld) => judge(
            c,
            shared::sparse_agrees(x, label, [l1, l2, l3, l4], ga, gb, ld, gd, &mut bufs.e[..n]),
        ),
        Err(e) => c.fail(format_args!("dense one-hot Err({e:?})")),
    }
}
