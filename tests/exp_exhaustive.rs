//! Exhaustive proof of the public `exp`'s contract over every f32 bit
//! pattern (release builds only: about 4.3e9 evaluations).
//!
//! - `[-87.33654, 88.72283]`: at most `MAX_ULP` from the correctly rounded
//!   value (f64 `exp` rounded to f32: glibc's f64 `exp` is accurate to far
//!   below an f32 rounding boundary's width).
//! - above `88.72283` (and `+inf`): `+inf`; below `-87.33654` (and `-inf`): `+0`.
//! - NaN: NaN.
//!
//! `SOFTMAX_SIMD_EXP_STRIDE=k` tests every k-th bit pattern only (for
//! emulated targets); the default is 1, every pattern.

use std::sync::atomic::{AtomicU32, Ordering};

const MAX_ULP: u32 = 1;
const LO: f32 = -87.33654; // bit-exact: 0xC2AEAC4F
const HI: f32 = 88.72283; // bit-exact: 0x42B17217
const CHUNK: u64 = 1 << 16;

#[derive(Default, Clone, Copy)]
struct Worst {
    ulp: u32,
    at: f32,
    real_ulp: f64,
}

fn check_range(start: u64, end: u64, stride: u64) -> Result<Worst, String> {
    let mut xs = vec![0f32; CHUNK as usize];
    let mut out = vec![0f32; CHUNK as usize];
    let mut worst = Worst::default();
    let mut i = start;
    while i < end {
        let n = ((end - i).div_ceil(stride)).min(CHUNK) as usize;
        for (j, x) in xs[..n].iter_mut().enumerate() {
            *x = f32::from_bits((i + j as u64 * stride) as u32);
        }
        softmax_simd::exp(&xs[..n], &mut out[..n]).map_err(|e| e.to_string())?;
        for (&x, &y) in xs[..n].iter().zip(&out[..n]) {
            if x.is_nan() {
                if !y.is_nan() {
                    return Err(format!("exp(NaN {:#x}) = {y}", x.to_bits()));
                }
            } else if x > HI {
                if y != f32::INFINITY {
                    return Err(format!("exp({x:e}) = {y:e}, want +inf"));
                }
            } else if x < LO {
                if y.to_bits() != 0 {
                    return Err(format!("exp({x:e}) = {y:e}, want +0 (flushed)"));
                }
            } else {
                let exact = (x as f64).exp();
                let want = exact as f32;
                let d = want.to_bits().abs_diff(y.to_bits());
                let ulp = (f32::from_bits(want.to_bits() + 1) - want) as f64;
                let real = ((y as f64) - exact).abs() / ulp;
                if real > worst.real_ulp {
                    worst.real_ulp = real;
                }
                if d > worst.ulp {
                    worst.ulp = d;
                    worst.at = x;
                }
                if d > MAX_ULP {
                    return Err(format!("exp({x:e}) = {y:e}, correctly rounded {want:e}: {d} ULP"));
                }
            }
        }
        i += n as u64 * stride;
    }
    Ok(worst)
}

#[test]
#[cfg_attr(debug_assertions, ignore = "exhaustive over 2^32 floats: run with --release")]
fn exp_every_f32() {
    let stride: u64 = std::env::var("SOFTMAX_SIMD_EXP_STRIDE")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|&k| k > 0)
        .unwrap_or(1);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()) as u64;
    // Work is handed out in slices of the bit space; slices are multiples of
    // the stride so every thread walks the same lattice.
    let slice = (1u64 << 24) * stride;
    let next = AtomicU32::new(0);
    let slices = (1u64 << 32).div_ceil(slice) as u32;
    let work = || {
        let mut w = Worst::default();
        loop {
            let k = next.fetch_add(1, Ordering::Relaxed);
            if k >= slices {
                return Ok(w);
            }
            let a = k as u64 * slice;
            let b = (a + slice).min(1 << 32);
            let r = check_range(a, b, stride)?;
            if r.ulp > w.ulp {
                w.ulp = r.ulp;
                w.at = r.at;
            }
            w.real_ulp = w.real_ulp.max(r.real_ulp);
        }
    };
    let results: Vec<Result<Worst, String>> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map_while(|_| std::thread::Builder::new().spawn_scoped(s, work).ok())
            .collect();
        if hs.is_empty() {
            // No threads on this target (wasm32-wasip1): this one walks
            // every slice.
            return vec![work()];
        }
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut worst = Worst::default();
    for r in results {
        let r = r.unwrap();
        if r.ulp > worst.ulp {
            worst.ulp = r.ulp;
            worst.at = r.at;
        }
        worst.real_ulp = worst.real_ulp.max(r.real_ulp);
    }
    eprintln!(
        "exp ({}): max {} ULP (first at x = {:e}), {:.3} ULP as a real number; stride {stride}",
        softmax_simd::backend(),
        worst.ulp,
        worst.at,
        worst.real_ulp
    );
    assert!(worst.ulp <= MAX_ULP);
}
