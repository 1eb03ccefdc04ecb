//! Instructions per call of every softmax-simd kernel on an emulated
//! Cortex-M4F, beside plain loops on `libm::expf` computing the same
//! results, measured in the same run (see [`clock`] for the method).
//!
//! Run under QEMU with instruction counting (the timer measures virtual
//! time, which counts instructions only with `-icount shift=0`):
//!
//! ```text
//! cd firmware && cargo build --release -p softmax-simd-bench
//! qemu-system-arm -cpu cortex-m4 -machine mps2-an386 -nographic -icount shift=0 \
//!     -semihosting-config enable=on,target=native \
//!     -kernel target/thumbv7em-none-eabihf/release/softmax-simd-bench
//! ```
//!
//! (`.ci/steps/66-cortex-m-icount.sh` does this.) Prints Markdown tables;
//! exits 1 if the calibration loop is off by more than one tick or a plain
//! loop disagrees with its kernel.
#![no_std]
#![no_main]

mod clock;
#[path = "../../common/exit.rs"]
mod exit;
mod plain;

use core::fmt;
use core::hint::black_box;
use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use exit::exit;
use softmax_simd::quantized::{self as q, LogSoftmaxParams, SoftmaxParams, SoftmaxS16Params};

/// Row lengths measured.
const SIZES: [usize; 3] = [10, 100, 1000];
const MAX_N: usize = 1000;

/// Input scales (as benches/quantized.rs): int8 logits over about ±8,
/// int16 over about ±16. The f32 logits are the dequantized int8 ones.
const S8_SCALE: f32 = 1.0 / 16.0;
const S16_SCALE: f32 = 1.0 / 2048.0;

/// Instructions per call at each of [`SIZES`], in tenths.
type Row = [u64; 3];

/// Tenths of an instruction, printed with one decimal.
struct Tenths(u64);
impl fmt::Display for Tenths {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// `a / b` with two decimals.
struct Ratio(u64, u64);
impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hundredths = (self.0 * 100 + self.1 / 2) / self.1.max(1);
        write!(f, "{}.{:02}", hundredths / 100, hundredths % 100)
    }
}

/// Deterministic full-range integers (the 32-bit LCG of benches/quantized.rs).
fn ints(out: &mut [i32], seed: u32) {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    for v in out {
        s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        *v = (s >> 16) as i32 - 32768;
    }
}

/// The inputs of one row length.
struct Inputs {
    logits: [f32; MAX_N],
    labels: [f32; MAX_N],
    s8: [i8; MAX_N],
    s16: [i16; MAX_N],
}

impl Inputs {
    fn new(n: usize) -> Self {
        let mut raw = [0i32; MAX_N];
        ints(&mut raw[..n], n as u32);
        let mut d = Inputs {
            logits: [0.0; MAX_N],
            labels: [0.0; MAX_N],
            s8: [0; MAX_N],
            s16: [0; MAX_N],
        };
        let mut total = 0.0;
        for (i, &r) in raw[..n].iter().enumerate() {
            d.s8[i] = (r >> 8) as i8;
            d.s16[i] = r as i16;
            d.logits[i] = f32::from(d.s8[i]) * S8_SCALE;
            d.labels[i] = (r & 0xff) as f32;
            total += d.labels[i];
        }
        for y in &mut d.labels[..n] {
            *y /= total; // soft labels summing to 1
        }
        d
    }
}

/// Output buffers (two of each: a kernel's and its plain loop's).
struct Outputs {
    f: [f32; MAX_N],
    g: [f32; MAX_N],
    o8: [i8; MAX_N],
    p8: [i8; MAX_N],
    o16: [i16; MAX_N],
    p16: [i16; MAX_N],
}

/// A kernel's result is not an error.
trait Succeeded {
    fn succeeded(&self) -> bool;
}
impl<T> Succeeded for Result<T, softmax_simd::Error> {
    fn succeeded(&self) -> bool {
        self.is_ok()
    }
}
impl Succeeded for f32 {
    fn succeeded(&self) -> bool {
        true
    }
}
impl Succeeded for () {
    fn succeeded(&self) -> bool {
        true
    }
}

/// An empty call: the loop overhead every measurement subtracts.
fn nothing() {}

/// Agreement of two results, recorded in `ok`.
fn close(ok: &mut bool, what: &str, n: usize, a: &[f32], b: &[f32], tol: f32) {
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        // Written so that a NaN on either side fails.
        let within = (x - y).abs() <= tol * y.abs().max(1.0);
        if !within {
            hprintln!("FAIL {} n={} [{}]: kernel {}, plain loop {}", what, n, i, x, y);
            *ok = false;
            return;
        }
    }
}

/// A quantized kernel's signature.
type QKernel<I, O, P> = fn(&[I], usize, &P, &mut [O]) -> Result<(), softmax_simd::Error>;

/// Where a measurement goes: column `k` of the tables, row length `n`.
#[derive(Clone, Copy)]
struct Column {
    k: usize,
    n: usize,
}

/// A quantized kernel and its scalar reference (`kernels`, labelled
/// `names`) timed on the same row into `rows`; both must succeed with
/// identical outputs.
#[allow(clippy::too_many_arguments)]
fn quantized<I, O: Copy + PartialEq + Into<i32>, P>(
    rows: &mut [Row; 2],
    at: Column,
    names: [&str; 2],
    kernels: [QKernel<I, O, P>; 2],
    input: &[I],
    params: &P,
    mut outs: [&mut [O]; 2],
    ok: &mut bool,
) {
    let name = names[0];
    for (((row, kernel), out), label) in rows.iter_mut().zip(kernels).zip(outs.iter_mut()).zip(names) {
        row[at.k] = clock::per_call(
            label,
            at.n,
            &mut || {
                let _ = black_box(kernel(input, at.n, params, out));
            },
            &mut nothing,
        )
        .0;
        if kernel(input, at.n, params, out).is_err() {
            hprintln!("FAIL {} n={}: an error", name, at.n);
            *ok = false;
        }
    }
    let [a, b] = outs;
    if let Some(i) = a.iter().zip(b.iter()).position(|(x, y)| x != y) {
        let (x, y): (i32, i32) = (a[i].into(), b[i].into());
        hprintln!("FAIL {} n={} [{}]: kernel {}, reference {}", name, at.n, i, x, y);
        *ok = false;
    }
}

/// All measurements, [kernel][size].
#[derive(Default)]
struct Counts {
    softmax: Row,
    softmax_in_place: Row,
    log_softmax: Row,
    logsumexp: Row,
    sparse: Row,
    dense: Row,
    plain_softmax: Row,
    plain_log_softmax: Row,
    plain_logsumexp: Row,
    plain_sparse: Row,
    plain_dense: Row,
    /// Quantized kernels: [lanes, `quantized::reference`].
    s8: [Row; 2],
    s8_s16: [Row; 2],
    s16: [Row; 2],
    s16_tflm: [Row; 2],
    log_s8: [Row; 2],
}

/// Measures every kernel at row length `n` into column `k`; `ok` records
/// agreement failures.
fn measure(c: &mut Counts, k: usize, n: usize, o: &mut Outputs, ok: &mut bool) {
    let d = Inputs::new(n);
    let x = &d.logits[..n];
    let y = &d.labels[..n];
    let label = n / 3;
    let p8 = SoftmaxParams::new(S8_SCALE, 1.0).unwrap_or_else(|_| fail("SoftmaxParams::new"));
    let lp = LogSoftmaxParams::new(S8_SCALE).unwrap_or_else(|_| fail("LogSoftmaxParams::new"));
    let p16 = SoftmaxS16Params::new(S16_SCALE, 1.0).unwrap_or_else(|_| fail("SoftmaxS16Params::new"));
    let p16_tflm = SoftmaxS16Params::new_tflm(S16_SCALE, 1.0).unwrap_or_else(|_| fail("new_tflm"));

    // A kernel call whose result only goes to black_box, minus an empty
    // call; then one more call, which must not be an error.
    macro_rules! time {
        ($slot:expr, $body:expr) => {
            $slot[k] = clock::per_call(
                stringify!($slot).trim_start_matches("c."),
                n,
                &mut || {
                    let _ = black_box($body);
                },
                &mut nothing,
            )
            .0;
            if !$body.succeeded() {
                hprintln!("FAIL {} n={}: an error", stringify!($body), n);
                *ok = false;
            }
        };
    }

    let (f, g) = (&mut o.f[..n], &mut o.g[..n]);
    time!(c.softmax, softmax_simd::softmax(x, f));
    time!(c.plain_softmax, plain::softmax(x, g));
    close(ok, "softmax", n, f, g, 2e-6);

    // In place: a copy of the logits, then the kernel, minus the copy alone.
    c.softmax_in_place[k] = clock::per_call(
        "softmax_in_place",
        n,
        &mut || {
            f.copy_from_slice(x);
            softmax_simd::softmax_in_place(black_box(&mut *f));
        },
        &mut || g.copy_from_slice(black_box(x)),
    )
    .0;
    plain::softmax(x, g);
    close(ok, "softmax_in_place", n, f, g, 2e-6);

    time!(c.log_softmax, softmax_simd::log_softmax(x, f));
    time!(c.plain_log_softmax, plain::log_softmax(x, g));
    close(ok, "log_softmax", n, f, g, 2e-6);

    time!(c.logsumexp, softmax_simd::logsumexp(x));
    time!(c.plain_logsumexp, plain::logsumexp(x));
    close(
        ok,
        "logsumexp",
        n,
        &[softmax_simd::logsumexp(x)],
        &[plain::logsumexp(x)],
        2e-6,
    );

    time!(
        c.sparse,
        softmax_simd::sparse_softmax_cross_entropy_with_logits(x, label, Some(&mut *f))
    );
    time!(c.plain_sparse, plain::sparse_xent(x, label, g));
    let loss = softmax_simd::sparse_softmax_cross_entropy_with_logits(x, label, Some(&mut *f)).unwrap_or(f32::NAN);
    close(ok, "sparse xent gradient", n, f, g, 2e-6);
    close(
        ok,
        "sparse xent loss",
        n,
        &[loss],
        &[plain::sparse_xent(x, label, g)],
        2e-6,
    );

    time!(
        c.dense,
        softmax_simd::softmax_cross_entropy_with_logits(x, y, Some(&mut *f))
    );
    time!(c.plain_dense, plain::dense_xent(x, y, g));
    let loss = softmax_simd::softmax_cross_entropy_with_logits(x, y, Some(&mut *f)).unwrap_or(f32::NAN);
    close(ok, "dense xent gradient", n, f, g, 2e-6);
    close(ok, "dense xent loss", n, &[loss], &[plain::dense_xent(x, y, g)], 2e-6);

    let (s8, s16) = (&d.s8[..n], &d.s16[..n]);
    let at = Column { k, n };
    let (o8, o16) = ([&mut o.o8[..n], &mut o.p8[..n]], [&mut o.o16[..n], &mut o.p16[..n]]);
    let [a8, b8] = o8;
    let [a16, b16] = o16;
    let s8_pair = [q::softmax_s8 as QKernel<i8, i8, _>, q::reference::softmax_s8];
    quantized(
        &mut c.s8,
        at,
        ["softmax_s8", "reference::softmax_s8"],
        s8_pair,
        s8,
        &p8,
        [&mut *a8, &mut *b8],
        ok,
    );
    let s8_s16_pair = [q::softmax_s8_s16 as QKernel<i8, i16, _>, q::reference::softmax_s8_s16];
    quantized(
        &mut c.s8_s16,
        at,
        ["softmax_s8_s16", "reference::softmax_s8_s16"],
        s8_s16_pair,
        s8,
        &p8,
        [&mut *a16, &mut *b16],
        ok,
    );
    let s16_pair = [q::softmax_s16 as QKernel<i16, i16, _>, q::reference::softmax_s16];
    quantized(
        &mut c.s16,
        at,
        ["softmax_s16", "reference::softmax_s16"],
        s16_pair,
        s16,
        &p16,
        [&mut *a16, &mut *b16],
        ok,
    );
    let tflm_pair = [
        q::softmax_s16_tflm as QKernel<i16, i16, _>,
        q::reference::softmax_s16_tflm,
    ];
    quantized(
        &mut c.s16_tflm,
        at,
        ["softmax_s16_tflm", "reference::softmax_s16_tflm"],
        tflm_pair,
        s16,
        &p16_tflm,
        [&mut *a16, &mut *b16],
        ok,
    );
    let log_pair = [q::log_softmax_s8 as QKernel<i8, i8, _>, q::reference::log_softmax_s8];
    quantized(
        &mut c.log_s8,
        at,
        ["log_softmax_s8", "reference::log_softmax_s8"],
        log_pair,
        s8,
        &lp,
        [a8, b8],
        ok,
    );
}

fn row(name: &str, r: &Row) {
    hprintln!("| {} | {} | {} | {} |", name, Tenths(r[0]), Tenths(r[1]), Tenths(r[2]));
}

fn ratio_row(name: &str, num: &Row, den: &Row) {
    hprintln!(
        "| {} | {} | {} | {} |",
        name,
        Ratio(num[0], den[0]),
        Ratio(num[1], den[1]),
        Ratio(num[2], den[2])
    );
}

/// CMSIS-NN `arm_softmax_s8` (gcc -O2) as counted in issue 14 by the same
/// method, in tenths: the int8 kernel's target is half of it.
const CMSIS_NN_S8: Row = [53010, 520420, 5087070];

#[entry]
fn main() -> ! {
    clock::start();
    hprintln!(
        "softmax-simd on Cortex-M4F (QEMU mps2-an386 -icount shift=0), lanes: {} x{}",
        softmax_simd::BACKEND,
        softmax_simd::LANE_COUNT
    );
    let k = 1_000_000;
    let (want, got) = clock::calibrate(k);
    let calibrated = got.abs_diff(want) <= clock::INSTRUCTIONS_PER_TICK;
    hprintln!(
        "calibration: {} x (subs; bne) = {} instructions, measured {} ({})",
        k,
        want,
        got,
        if calibrated {
            "within one tick"
        } else {
            "OFF: is -icount shift=0 set?"
        }
    );

    let mut c = Counts::default();
    let mut o = Outputs {
        f: [0.0; MAX_N],
        g: [0.0; MAX_N],
        o8: [0; MAX_N],
        p8: [0; MAX_N],
        o16: [0; MAX_N],
        p16: [0; MAX_N],
    };
    let mut ok = calibrated;
    for (k, &n) in SIZES.iter().enumerate() {
        measure(&mut c, k, n, &mut o, &mut ok);
    }

    hprintln!("\nInstructions per call (one row of n values; the call and its arguments included):\n");
    hprintln!("| kernel | n = 10 | n = 100 | n = 1000 |");
    hprintln!("|---|---:|---:|---:|");
    row("`softmax`", &c.softmax);
    row("`softmax_in_place`", &c.softmax_in_place);
    row("`log_softmax`", &c.log_softmax);
    row("`logsumexp`", &c.logsumexp);
    row("`sparse_softmax_cross_entropy_with_logits` (+ gradient)", &c.sparse);
    row("`softmax_cross_entropy_with_logits` (+ gradient)", &c.dense);
    row("plain `libm::expf` loop: softmax (TFLite Micro)", &c.plain_softmax);
    row("plain loop: log_softmax", &c.plain_log_softmax);
    row("plain loop: logsumexp", &c.plain_logsumexp);
    row("plain loop: sparse cross-entropy + gradient", &c.plain_sparse);
    row("plain loop: dense cross-entropy + gradient", &c.plain_dense);
    let quantized_rows = [
        ("softmax_s8", &c.s8),
        ("softmax_s8_s16", &c.s8_s16),
        ("softmax_s16", &c.s16),
        ("softmax_s16_tflm", &c.s16_tflm),
        ("log_softmax_s8", &c.log_s8),
    ];
    for (path, i) in [("quantized", 0), ("quantized::reference", 1)] {
        for (name, rows) in quantized_rows {
            hprintln!(
                "| `{}::{}` | {} | {} | {} |",
                path,
                name,
                Tenths(rows[i][0]),
                Tenths(rows[i][1]),
                Tenths(rows[i][2])
            );
        }
    }

    hprintln!("\nPlain libm loop / kernel (above 1: the kernel runs fewer instructions):\n");
    hprintln!("| kernel | n = 10 | n = 100 | n = 1000 |");
    hprintln!("|---|---:|---:|---:|");
    ratio_row("`softmax`", &c.plain_softmax, &c.softmax);
    ratio_row("`softmax_in_place`", &c.plain_softmax, &c.softmax_in_place);
    ratio_row("`log_softmax`", &c.plain_log_softmax, &c.log_softmax);
    ratio_row("`logsumexp`", &c.plain_logsumexp, &c.logsumexp);
    ratio_row("sparse cross-entropy + gradient", &c.plain_sparse, &c.sparse);
    ratio_row("dense cross-entropy + gradient", &c.plain_dense, &c.dense);
    ratio_row(
        "`quantized::softmax_s8` vs CMSIS-NN `arm_softmax_s8` (issue 14's counts)",
        &CMSIS_NN_S8,
        &c.s8[0],
    );

    // Issue 14's targets, from the counts above.
    let f32_target = |plain: &Row, kernel: &Row| {
        plain[0] * 2 >= kernel[0] * 3 && plain[1] >= kernel[1] * 2 && plain[2] >= kernel[2] * 2
    };
    let mark = |b: bool| if b { "met" } else { "not met" };
    hprintln!(
        "\nissue 14 check 1 (f32 >= 1.5x fewer than the plain loop at n = 10, 2x at 100 and 1000): \
         softmax {}, log_softmax {}, sparse cross-entropy {}",
        mark(f32_target(&c.plain_softmax, &c.softmax)),
        mark(f32_target(&c.plain_log_softmax, &c.log_softmax)),
        mark(f32_target(&c.plain_sparse, &c.sparse))
    );
    let s8_target = (0..3).all(|i| CMSIS_NN_S8[i] >= 2 * c.s8[0][i]);
    hprintln!(
        "issue 14 check 2, speed half (softmax_s8 >= 2x leaner than CMSIS-NN): {}",
        mark(s8_target)
    );
    hprintln!("bench: {}", if ok { "ok" } else { "FAILED" });
    exit(ok)
}

fn fail(what: &str) -> ! {
    hprintln!("FAIL {}", what);
    exit(false)
}
