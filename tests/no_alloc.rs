//! A counting global allocator proves that no public kernel allocates:
//! every allocation made on this test's thread while the kernels run is
//! counted, and the count must stay 0.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        COUNT.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = COUNT.with(|c| c.get());
    f();
    COUNT.with(|c| c.get()) - before
}

macro_rules! run_every_kernel {
    ($k:path, $x:expr, $y:expr, $out:expr, $grad:expr, $losses:expr, $labels:expr, $classes:expr) => {{
        use $k as k;
        let (x, y, out, grad, losses, labels, classes) = ($x, $y, $out, $grad, $losses, $labels, $classes);
        std::hint::black_box(k::max(x));
        std::hint::black_box(k::logsumexp(x));
        k::exp(x, out).unwrap();
        k::softmax(x, out).unwrap();
        k::softmax_in_place(out);
        k::log_softmax(x, out).unwrap();
        k::log_softmax_in_place(out);
        std::hint::black_box(k::softmax_cross_entropy_with_logits(x, y, Some(&mut *grad)).unwrap());
        std::hint::black_box(k::softmax_cross_entropy_with_logits(x, y, None).unwrap());
        std::hint::black_box(k::sparse_softmax_cross_entropy_with_logits(x, 3, Some(&mut *grad)).unwrap());
        std::hint::black_box(k::sparse_softmax_cross_entropy_with_logits(x, 3, None).unwrap());
        k::softmax_rows(x, classes, out).unwrap();
        k::softmax_rows_in_place(out, classes).unwrap();
        k::log_softmax_rows(x, classes, out).unwrap();
        k::log_softmax_rows_in_place(out, classes).unwrap();
        k::logsumexp_rows(x, classes, losses).unwrap();
        k::softmax_cross_entropy_with_logits_rows(x, y, classes, losses, Some(&mut *grad)).unwrap();
        k::softmax_cross_entropy_with_logits_rows(x, y, classes, losses, None).unwrap();
        k::sparse_softmax_cross_entropy_with_logits_rows(x, labels, classes, losses, Some(&mut *grad)).unwrap();
        k::sparse_softmax_cross_entropy_with_logits_rows(x, labels, classes, losses, None).unwrap();
        // Error paths and special rows allocate nothing either.
        assert!(k::softmax(x, &mut out[1..]).is_err());
        assert!(k::sparse_softmax_cross_entropy_with_logits(x, x.len(), None).is_err());
        let special = [f32::INFINITY, 0.0, f32::NAN, f32::NEG_INFINITY];
        k::softmax(&special, &mut out[..4]).unwrap();
        k::log_softmax(&special[..2], &mut out[..2]).unwrap();
        std::hint::black_box(
            k::softmax_cross_entropy_with_logits(&special[..2], &y[..2], Some(&mut grad[..2])).unwrap(),
        );
    }};
}

#[test]
fn no_kernel_allocates() {
    let n = if cfg!(miri) { 96 } else { 4096 + 37 };
    let classes = if cfg!(miri) { 12 } else { 61 };
    let n = n - n % classes;
    let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 13.0).collect();
    let y: Vec<f32> = (0..n).map(|i| if i % 5 == 0 { 0.2 } else { 0.0 }).collect();
    let labels: Vec<usize> = (0..n / classes).map(|r| r % classes).collect();
    let mut out = vec![0.0f32; n];
    let mut grad = vec![0.0f32; n];
    let mut losses = vec![0.0f32; n / classes];
    let a =
        allocations_in(|| run_every_kernel!(softmax_simd, &x, &y, &mut out, &mut grad, &mut losses, &labels, classes));
    assert_eq!(a, 0, "the SIMD kernels allocated {a} times");
    let a = allocations_in(|| {
        run_every_kernel!(
            softmax_simd::reference,
            &x,
            &y,
            &mut out,
            &mut grad,
            &mut losses,
            &labels,
            classes
        )
    });
    assert_eq!(a, 0, "the reference kernels allocated {a} times");
    // The counter works: a Vec allocates.
    assert_eq!(allocations_in(|| drop(std::hint::black_box(vec![1u8; 10]))), 1);
}

/// Issue 12's API (temperature, backward passes, cross-entropy options,
/// streaming) on the module `$k`: the reference and the SIMD kernels.
macro_rules! run_every_training_kernel {
    ($k:path, $x:expr, $y:expr, $out:expr, $grad:expr, $losses:expr, $classes:expr) => {{
        use softmax_simd::{CrossEntropy, Reduction};
        use $k as k;
        let (x, y, out, grad, losses, classes): (&[f32], &[f32], &mut [f32], &mut [f32], &mut [f32], usize) =
            ($x, $y, $out, $grad, $losses, $classes);
        let rows = x.len() / classes;
        let w: Vec<f32> = (0..classes).map(|c| 0.5 + (c % 3) as f32).collect();
        let labels_i64: Vec<i64> = (0..rows)
            .map(|r| if r % 7 == 0 { -100 } else { (r % classes) as i64 })
            .collect();
        let labels_u8: Vec<u8> = (0..rows).map(|r| (r % classes) as u8).collect();
        let targets: Vec<f32> = (0..x.len()).map(|i| if i % classes == 2 { 1.0 } else { 0.0 }).collect();
        let o = CrossEntropy {
            weights: Some(&w),
            ignore_index: Some(-100),
            label_smoothing: 0.1,
            reduction: Reduction::Mean,
        };
        let dense = CrossEntropy {
            ignore_index: None,
            reduction: Reduction::Sum,
            ..o
        };
        let a = allocations_in(|| {
            k::softmax_scaled(x, 0.7, out).unwrap();
            k::softmax_scaled_in_place(out, 1.3).unwrap();
            k::log_softmax_scaled(x, 0.7, out).unwrap();
            k::log_softmax_scaled_in_place(out, 1.3).unwrap();
            std::hint::black_box(k::logsumexp_scaled(x, 2.0).unwrap());
            k::softmax_rows_scaled(x, classes, 0.5, out).unwrap();
            k::softmax_rows_scaled_in_place(out, classes, 0.5).unwrap();
            k::log_softmax_rows_scaled(x, classes, 0.5, out).unwrap();
            k::log_softmax_rows_scaled_in_place(out, classes, 0.5).unwrap();
            k::logsumexp_rows_scaled(x, classes, 0.5, losses).unwrap();
            k::softmax_rows(x, classes, out).unwrap();
            k::softmax_backward(out, y, grad).unwrap();
            k::softmax_backward_in_place(out, grad).unwrap();
            k::softmax_backward_rows(out, y, classes, grad).unwrap();
            k::softmax_backward_rows_in_place(out, grad, classes).unwrap();
            k::log_softmax_rows(x, classes, out).unwrap();
            k::log_softmax_backward(out, y, grad).unwrap();
            k::log_softmax_backward_in_place(out, grad).unwrap();
            k::log_softmax_backward_rows(out, y, classes, grad).unwrap();
            k::log_softmax_backward_rows_in_place(out, grad, classes).unwrap();
            std::hint::black_box(k::argmax(x));
            std::hint::black_box(
                k::cross_entropy_rows(x, &labels_i64, classes, &o, Some(&mut *losses), Some(&mut *grad)).unwrap(),
            );
            std::hint::black_box(k::cross_entropy_rows(x, &labels_u8, classes, &dense, None, None).unwrap());
            std::hint::black_box(
                k::cross_entropy_rows_dense(x, &targets, classes, &dense, Some(&mut *losses), Some(&mut *grad))
                    .unwrap(),
            );
            // Error paths allocate nothing either.
            assert!(k::cross_entropy_rows_dense(x, &targets, classes, &o, None, None).is_err());
            assert!(k::softmax_scaled(x, f32::NAN, out).is_err());
            let mut s = k::LogSumExp::new();
            let mut t = k::LogSumExp::new();
            s.update(&x[..x.len() / 2]);
            t.update(&x[x.len() / 2..]);
            s.merge(&t);
            std::hint::black_box(s.finish());
            s.softmax_chunk(x, out).unwrap();
            s.log_softmax_chunk(x, out).unwrap();
        });
        assert_eq!(a, 0, "{} allocated {a} times", stringify!($k));
    }};
}

#[test]
fn no_training_kernel_allocates() {
    let classes = if cfg!(miri) { 12 } else { 61 };
    let n = if cfg!(miri) { 96 } else { 4096 + 37 };
    let n = n - n % classes;
    let x: Vec<f32> = (0..n).map(|i| ((i * 7919) % 1000) as f32 / 37.0 - 13.0).collect();
    let y: Vec<f32> = (0..n).map(|i| ((i * 31) % 17) as f32 / 8.0 - 1.0).collect();
    let (mut out, mut grad, mut losses) = (vec![0.0f32; n], vec![0.0f32; n], vec![0.0f32; n / classes]);
    // The macro counts the kernels' allocations itself (its label and
    // weight vectors are made outside the count).
    run_every_training_kernel!(
        softmax_simd::reference,
        &x,
        &y,
        &mut out,
        &mut grad,
        &mut losses,
        classes
    );
    run_every_training_kernel!(softmax_simd, &x, &y, &mut out, &mut grad, &mut losses, classes);
}
