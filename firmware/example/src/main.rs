//! softmax-simd on bare metal: a Cortex-M4F program with no allocator that
//! runs the kernels on a static buffer.
//!
//! The logits live in a `static` (flash); the outputs in a `&'static mut`
//! RAM buffer taken once with `cortex_m::singleton!`. `black_box` stands for
//! a sensor or DMA buffer: it keeps the compiler from evaluating the kernels
//! at compile time, so the binary holds their general code (what the flash
//! table of docs/firmware.md measures).
//!
//! Build: `cd firmware && cargo build --release -p softmax-simd-firmware-example`
//! (firmware/.cargo/config.toml picks thumbv7em-none-eabihf and link.x).
#![no_std]
#![no_main]

use core::hint::black_box;
use cortex_m_rt::entry;
use panic_halt as _;

/// Classes per row.
const CLASSES: usize = 10;
/// Rows in the batched buffer.
#[cfg(feature = "softmax_rows")]
const ROWS: usize = 4;

/// A classifier's last layer output, e.g. 10 digit scores.
static LOGITS: [f32; CLASSES] = [1.5, -0.3, 0.2, 4.1, -2.0, 0.0, 3.3, -1.1, 0.7, 2.2];

#[entry]
fn main() -> ! {
    // The one RAM buffer the kernels write to; `singleton!` hands it out once.
    let out: &'static mut [f32; CLASSES] =
        cortex_m::singleton!(: [f32; CLASSES] = [0.0; CLASSES]).unwrap_or_else(|| halt());
    let x: &[f32] = black_box(&LOGITS[..]);

    #[cfg(feature = "softmax")]
    {
        // probabilities; Err only if the lengths differ
        if softmax_simd::softmax(x, &mut out[..]).is_err() {
            halt();
        }
        black_box(&out[..]);
    }
    #[cfg(feature = "softmax_in_place")]
    {
        out.copy_from_slice(&LOGITS);
        softmax_simd::softmax_in_place(black_box(&mut out[..]));
        black_box(&out[..]);
    }
    #[cfg(feature = "log_softmax")]
    {
        if softmax_simd::log_softmax(x, &mut out[..]).is_err() {
            halt();
        }
        black_box(&out[..]);
    }
    #[cfg(feature = "logsumexp")]
    {
        black_box(softmax_simd::logsumexp(x));
    }
    #[cfg(feature = "sparse_xent")]
    {
        // loss of the true class 3, and the gradient w.r.t. the logits
        let label = black_box(3usize);
        match softmax_simd::sparse_softmax_cross_entropy_with_logits(x, label, Some(&mut out[..])) {
            Ok(loss) => {
                black_box(loss);
            }
            Err(_) => halt(),
        }
        black_box(&out[..]);
    }
    #[cfg(feature = "dense_xent")]
    {
        static LABELS: [f32; CLASSES] = [0.0, 0.0, 0.0, 0.9, 0.0, 0.0, 0.1, 0.0, 0.0, 0.0];
        let y: &[f32] = black_box(&LABELS[..]);
        match softmax_simd::softmax_cross_entropy_with_logits(x, y, Some(&mut out[..])) {
            Ok(loss) => {
                black_box(loss);
            }
            Err(_) => halt(),
        }
        black_box(&out[..]);
    }
    #[cfg(feature = "softmax_rows")]
    {
        let batch: &'static mut [f32; ROWS * CLASSES] =
            cortex_m::singleton!(: [f32; ROWS * CLASSES] = [0.0; ROWS * CLASSES]).unwrap_or_else(|| halt());
        for row in batch.chunks_exact_mut(CLASSES) {
            row.copy_from_slice(&LOGITS);
        }
        if softmax_simd::softmax_rows_in_place(black_box(&mut batch[..]), CLASSES).is_err() {
            halt();
        }
        black_box(&batch[..]);
    }
    #[cfg(any(feature = "softmax_s8", feature = "softmax_s8_s16", feature = "log_softmax_s8"))]
    {
        quantized_s8();
    }
    #[cfg(feature = "softmax_s16")]
    {
        quantized_s16();
    }
    black_box((x, &out[..]));
    halt()
}

/// The int8 logits of a quantized classifier (input scale 1/16).
#[cfg(any(feature = "softmax_s8", feature = "softmax_s8_s16", feature = "log_softmax_s8"))]
static LOGITS_S8: [i8; CLASSES] = [24, -5, 3, 66, -32, 0, 53, -18, 11, 35];

/// The int8 kernels with the parameters a converter stores for input scale
/// 1/16 and beta 1 (what `SoftmaxParams::new(1.0 / 16.0, 1.0)` and
/// `LogSoftmaxParams::new(1.0 / 16.0)` compute on the host).
#[cfg(any(feature = "softmax_s8", feature = "softmax_s8_s16", feature = "log_softmax_s8"))]
fn quantized_s8() {
    use softmax_simd::quantized as q;
    let x: &[i8] = black_box(&LOGITS_S8[..]);
    #[cfg(any(feature = "softmax_s8", feature = "softmax_s8_s16"))]
    let params = black_box(q::SoftmaxParams {
        multiplier: 1073741824,
        shift: 23,
        diff_min: -248,
    });
    #[cfg(feature = "softmax_s8")]
    {
        let mut out = [0i8; CLASSES];
        if q::softmax_s8(x, black_box(CLASSES), &params, &mut out).is_err() {
            halt();
        }
        black_box(&out);
    }
    #[cfg(feature = "softmax_s8_s16")]
    {
        let mut out = [0i16; CLASSES];
        if q::softmax_s8_s16(x, black_box(CLASSES), &params, &mut out).is_err() {
            halt();
        }
        black_box(&out);
    }
    #[cfg(feature = "log_softmax_s8")]
    {
        let params = black_box(q::LogSoftmaxParams {
            multiplier: 1073741824,
            shift: 23,
            reverse_scaling_divisor: 1073741824,
            reverse_scaling_right_shift: 21,
            diff_min: -248,
        });
        let mut out = [0i8; CLASSES];
        if q::log_softmax_s8(x, black_box(CLASSES), &params, &mut out).is_err() {
            halt();
        }
        black_box(&out);
    }
}

/// int16 softmax (input scale 1/2048, beta 1: `SoftmaxS16Params::new(1.0 / 2048.0, 1.0)`).
#[cfg(feature = "softmax_s16")]
fn quantized_s16() {
    use softmax_simd::quantized as q;
    static LOGITS_S16: [i16; CLASSES] = [3072, -614, 410, 8397, -4096, 0, 6758, -2253, 1434, 4506];
    let x: &[i16] = black_box(&LOGITS_S16[..]);
    let params = black_box(q::SoftmaxS16Params {
        multiplier: 1717960704,
        shift: 2,
    });
    let mut out = [0i16; CLASSES];
    if q::softmax_s16(x, black_box(CLASSES), &params, &mut out).is_err() {
        halt();
    }
    black_box(&out);
}

/// Where a real application would report an error and go on; here, stop.
fn halt() -> ! {
    loop {
        cortex_m::asm::wfi();
    }
}
