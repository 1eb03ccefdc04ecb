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
