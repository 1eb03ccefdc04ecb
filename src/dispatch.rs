//! Run-time ISA dispatch: which lanes this process uses, decided once and
//! cached, and the thin per-backend wrappers every public kernel calls.
//!
//! One of the two files of the crate with `unsafe` (the other is
//! `lanes/x86.rs`). On x86_64 a kernel of the `plan` layer (generic over
//! `L: Lanes` and the unroll `K`, `#[inline(always)]` all the way down) is
//! instantiated three times: for [`Avx512`] inside a `#[target_feature]`
//! function with the x86-64-v4 set (`avx512f`, `bw`, `cd`, `dq`, `vl`,
//! with AVX2, FMA, BMI1/2 and POPCNT), for [`Avx2`] inside one with the
//! x86-64-v3 set cpufeatures can detect (`avx2`, `fma`, `bmi1`, `bmi2`,
//! `popcnt`), and for the portable lanes without: the kernels then compile
//! as a `-C target-cpu=x86-64-v4` (or `-v3`) build would compile them. Calling a `#[target_feature]` function is `unsafe`; every call
//! here rests on one invariant: **`current()` returns `Avx512` or `Avx2`
//! only after the CPU, and the OS's saved register state (XCR0), were
//! proven to support that backend's features** (by `cpufeatures`, or by
//! the build's own target features).
//!
//! Detection: `cpufeatures` (x86_64 only; CPUID plus the XCR0 check, no
//! std), once per process, cached in an atomic (a relaxed load per call
//! afterwards). A build whose target features already include `avx512f`
//! (`-C target-cpu=native` on such a CPU) makes the choice at compile
//! time: no load, no branch. Other targets have one backend, the portable
//! lanes, chosen at compile time.

#![allow(unsafe_code)]

use crate::Error;
#[cfg(target_arch = "x86_64")]
use crate::lanes::x86::{Avx2, Avx512};
use crate::lanes::{Lanes, Portable};
use crate::plan;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};

/// Vectors per loop step (independent accumulators) of each backend,
/// chosen by measurement: the AVX2 exp loop spills its 16 ymm registers
/// at 4 and ran about 15% slower than at 2 (docs/speed.md, "Unrolling"); SSE2
/// ran fastest at 1; NEON's 32 registers hold two vectors' temporaries
/// (untimed: qemu only); the one-lane scalar backend runs fewest
/// instructions at 1 on a Cortex-M4F, where an exp's temporaries and
/// constants fill the 32 single-precision registers (firmware/bench, QEMU
/// instruction counts: softmax at n = 1000 takes 40526 instructions with
/// 1, 55648 with 4).
#[cfg(target_arch = "x86_64")]
#[allow(dead_code, reason = "unused in a build forced to another backend")]
const K_AVX512: usize = 4;
#[cfg(target_arch = "x86_64")]
#[allow(dead_code, reason = "unused in a build forced to another backend")]
const K_AVX2: usize = 2;
/// See [`K_AVX2`].
pub(crate) const K_PORTABLE: usize = if cfg!(all(target_arch = "aarch64", target_feature = "neon")) {
    2
} else {
    1
};

/// The lanes a call runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// `wide::f32x4` on the build's baseline, or one `f32` lane.
    Portable = 1,
    /// `__m256` with FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2 = 2,
    /// `__m512`.
    #[cfg(target_arch = "x86_64")]
    Avx512 = 3,
}

impl Backend {
    /// The name [`backend`](crate::backend) reports.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Backend::Portable => <Portable as Lanes>::NAME,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => <Avx2 as Lanes>::NAME,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 => <Avx512 as Lanes>::NAME,
        }
    }

    /// Every backend, best first.
    pub(crate) const ALL: &'static [Backend] = &[
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512,
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2,
        Backend::Portable,
    ];
}

#[cfg(target_arch = "x86_64")]
cpufeatures::new!(
    cpu_avx512, "avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl", "avx2", "fma", "bmi1", "bmi2", "popcnt"
);
#[cfg(target_arch = "x86_64")]
cpufeatures::new!(cpu_avx2, "avx2", "fma", "bmi1", "bmi2", "popcnt");

/// Whether this build carries the AVX-512 kernels: every build but one
/// that asks for another backend (`--cfg softmax_simd_backend`). A forced
/// build compiles the backend it asks for and the portable lanes, its
/// fallback, and no other: the kernels are most of the crate's compile
/// time (CI builds the suite once per forced backend) and of its code.
const AVX512_BUILT: bool = !cfg!(any(
    softmax_simd_backend = "avx2+fma",
    softmax_simd_backend = "portable",
    softmax_simd_backend = "scalar"
));
/// Whether this build carries the AVX2 kernels; see [`AVX512_BUILT`].
const AVX2_BUILT: bool = !cfg!(any(
    softmax_simd_backend = "avx512f",
    softmax_simd_backend = "portable",
    softmax_simd_backend = "scalar"
));

/// Whether this build carries backend `b` and this CPU (and OS) can run it.
pub(crate) fn supported(b: Backend) -> bool {
    match b {
        Backend::Portable => true,
        #[cfg(target_arch = "x86_64")]
        Backend::Avx2 => AVX2_BUILT && cpu_avx2::get(),
        #[cfg(target_arch = "x86_64")]
        Backend::Avx512 => AVX512_BUILT && cpu_avx512::get(),
    }
}

/// The backend a `--cfg softmax_simd_backend="..."` build asks for (the
/// CI runs the whole suite once per backend so).
const REQUESTED: Option<&str> = if cfg!(softmax_simd_backend = "avx512f") {
    Some("avx512f")
} else if cfg!(softmax_simd_backend = "avx2+fma") {
    Some("avx2+fma")
} else if cfg!(any(softmax_simd_backend = "portable", softmax_simd_backend = "scalar")) {
    Some(<Portable as Lanes>::NAME)
} else {
    None
};

/// The best backend this CPU supports, or the requested one if it does.
#[cold]
fn detect() -> Backend {
    let mut all = Backend::ALL.iter().copied();
    if let Some(name) = REQUESTED
        && let Some(b) = all.clone().find(|b| b.name() == name)
        && supported(b)
    {
        return b;
    }
    all.find(|&b| supported(b)).unwrap_or(Backend::Portable)
}

/// 0: not decided yet; else a `Backend` as `u8`.
static CHOSEN: AtomicU8 = AtomicU8::new(0);

/// Whether the build's target features fix the choice at compile time.
const FIXED: Option<Backend> = if cfg!(not(target_arch = "x86_64")) {
    Some(Backend::Portable)
} else if cfg!(all(
    target_feature = "avx512f",
    target_feature = "avx512bw",
    target_feature = "avx512cd",
    target_feature = "avx512dq",
    target_feature = "avx512vl",
    target_feature = "bmi1",
    target_feature = "bmi2",
    target_feature = "popcnt"
)) && REQUESTED.is_none()
{
    Backend::ALL.first().copied()
} else {
    None
};

/// The backend of this call: a compile-time constant where the build's
/// target features decide, else one relaxed load and a compare chain on
/// the cached choice (the entries' own `match` folds into it); `None`
/// before the first detection.
#[inline(always)]
fn cached() -> Option<Backend> {
    if FIXED.is_some() {
        return FIXED;
    }
    match CHOSEN.load(Relaxed) {
        #[cfg(target_arch = "x86_64")]
        3 => Some(Backend::Avx512),
        #[cfg(target_arch = "x86_64")]
        2 => Some(Backend::Avx2),
        1 => Some(Backend::Portable),
        _ => None,
    }
}

/// The backend of this call, detected on the first one.
#[inline]
pub(crate) fn current() -> Backend {
    cached().unwrap_or_else(first_call)
}

/// Detects and caches the backend (the first call in the process).
#[cold]
#[inline(never)]
fn first_call() -> Backend {
    let b = detect();
    CHOSEN.store(b as u8, Relaxed);
    b
}

/// Forces backend `name` for every later call in this process (tests and
/// fuzzers). `false`, and nothing changed, if the name is unknown, the
/// CPU lacks its features, or the build fixed the choice at compile time.
pub(crate) fn force(name: &str) -> bool {
    match Backend::ALL.iter().copied().find(|b| b.name() == name) {
        Some(b) if supported(b) && (FIXED.is_none() || FIXED == Some(b)) => {
            CHOSEN.store(b as u8, Relaxed);
            true
        }
        _ => false,
    }
}

/// Defines each entry as a function that runs the `plan` kernel of the
/// same signature on the current backend. `= [Ok] plan::f` wraps the
/// kernel's result in `Ok` inside the wrapper, so that the public function
/// (checks, then this entry) ends in a tail call: on short rows the second
/// call frame was measurable (softmax at 16 values, about 2 ns).
macro_rules! entries {
    ($($(#[$doc:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? = $([$ok:ident])? $($f:ident)::+;)*) => {$(
        $(#[$doc])*
        #[inline]
        pub(crate) fn $name($($arg: $ty),*) $(-> $ret)? {
            // The first call of the process detects in a cold function, so
            // the common path keeps no argument alive across a call.
            let Some(backend) = cached() else {
                #[cold]
                #[inline(never)]
                fn first($($arg: $ty),*) $(-> $ret)? {
                    first_call();
                    $name($($arg),*)
                }
                return first($($arg),*);
            };
            // A backend this build does not carry (`AVX512_BUILT`,
            // `AVX2_BUILT`) is never chosen, and its arm is not compiled.
            match backend {
                #[cfg(all(
                    target_arch = "x86_64",
                    not(any(softmax_simd_backend = "avx2+fma", softmax_simd_backend = "portable", softmax_simd_backend = "scalar"))
                ))]
                Backend::Avx512 => {
                    #[target_feature(enable = "avx512f,avx512bw,avx512cd,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,popcnt")]
                    fn avx512($($arg: $ty),*) $(-> $ret)? {
                        $($ok)?($($f)::+::<Avx512, K_AVX512>($($arg),*))
                    }
                    // SAFETY: the module invariant: `current()` chose
                    // Avx512 only where every feature above was proven.
                    unsafe { avx512($($arg),*) }
                }
                #[cfg(all(
                    target_arch = "x86_64",
                    not(any(softmax_simd_backend = "avx512f", softmax_simd_backend = "portable", softmax_simd_backend = "scalar"))
                ))]
                Backend::Avx2 => {
                    #[target_feature(enable = "avx2,fma,bmi1,bmi2,popcnt")]
                    fn avx2($($arg: $ty),*) $(-> $ret)? {
                        $($ok)?($($f)::+::<Avx2, K_AVX2>($($arg),*))
                    }
                    // SAFETY: the module invariant: `current()` chose
                    // Avx2 only where every feature above was proven.
                    unsafe { avx2($($arg),*) }
                }
                _ => {
                    // Out of line on x86_64, so that the entry holds no
                    // kernel: it reads the choice and jumps, with no stack
                    // frame of its own (the AVX calls are the common ones).
                    #[cfg_attr(target_arch = "x86_64", inline(never))]
                    fn portable($($arg: $ty),*) $(-> $ret)? {
                        $($ok)?($($f)::+::<Portable, K_PORTABLE>($($arg),*))
                    }
                    portable($($arg),*)
                }
            }
        }
    )*};
}

entries! {
    /// `out = exp(x)`.
    fn exp(x: &[f32], out: &mut [f32]) -> Result<(), Error> = [Ok] plan::exp;
    /// `max(x)`.
    fn max(x: &[f32]) -> f32 = plan::max;
    /// `logsumexp(x)`.
    fn logsumexp(x: &[f32]) -> f32 = plan::logsumexp;
    /// `softmax`.
    fn softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> = [Ok] plan::softmax;
    /// `softmax` in place.
    fn softmax_in_place(x: &mut [f32]) = plan::softmax_in_place;
    /// `log_softmax`.
    fn log_softmax(x: &[f32], out: &mut [f32]) -> Result<(), Error> = [Ok] plan::log_softmax;
    /// `log_softmax` in place.
    fn log_softmax_in_place(x: &mut [f32]) = plan::log_softmax_in_place;
    /// Dense cross-entropy of one row.
    fn dense_row(logits: &[f32], labels: &[f32], grad: Option<&mut [f32]>) -> Result<f32, Error> = [Ok] plan::dense_row;
    /// Sparse cross-entropy of one row.
    fn sparse_row(logits: &[f32], label: usize, grad: Option<&mut [f32]>) -> Result<f32, Error> = [Ok] plan::sparse_row;
    /// Row-batched `softmax`.
    fn softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::softmax_rows;
    /// Row-batched `softmax_in_place`.
    fn softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> = [Ok] plan::softmax_rows_in_place;
    /// Row-batched `log_softmax`.
    fn log_softmax_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::log_softmax_rows;
    /// Row-batched `log_softmax_in_place`.
    fn log_softmax_rows_in_place(x: &mut [f32], classes: usize) -> Result<(), Error> = [Ok] plan::log_softmax_rows_in_place;
    /// Row-batched `logsumexp`.
    fn logsumexp_rows(x: &[f32], classes: usize, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::logsumexp_rows;
    /// Row-batched dense cross-entropy.
    fn dense_rows(logits: &[f32], labels: &[f32], classes: usize, losses: &mut [f32], grad: Option<&mut [f32]>) -> Result<(), Error> = [Ok] plan::dense_rows;
    /// Row-batched sparse cross-entropy.
    fn sparse_rows(logits: &[f32], labels: &[usize], classes: usize, losses: &mut [f32], grad: Option<&mut [f32]>) -> Result<(), Error> = [Ok] plan::sparse_rows;
    /// `softmax`, 3-pass at every length.
    fn softmax_three_pass(x: &[f32], out: &mut [f32]) -> Result<(), Error> = [Ok] plan::forced::softmax_three_pass;
    /// `softmax`, blocked at every length.
    fn softmax_blocked(x: &[f32], out: &mut [f32]) -> Result<(), Error> = [Ok] plan::forced::softmax_blocked;
    /// `softmax_in_place`, 3-pass at every length.
    fn softmax_in_place_three_pass(x: &mut [f32]) = plan::forced::softmax_in_place_three_pass;
    /// `softmax_in_place`, blocked at every length.
    fn softmax_in_place_blocked(x: &mut [f32]) = plan::forced::softmax_in_place_blocked;
    /// `logsumexp` in two passes at every length.
    fn logsumexp_two_pass(x: &[f32]) -> f32 = plan::forced::logsumexp_two_pass;
    /// `logsumexp` in one pass at every length.
    fn logsumexp_one_pass(x: &[f32]) -> f32 = plan::forced::logsumexp_one_pass;
    /// The exp-sum compute floor.
    fn exp_sum_floor(x: &[f32], m: f32) -> f32 = plan::forced::exp_sum_floor;
    /// `softmax(beta * x)`.
    fn softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::training::softmax_scaled;
    /// `softmax(beta * x)` in place.
    fn softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> = [Ok] plan::training::softmax_scaled_in_place;
    /// `log_softmax(beta * x)`.
    fn log_softmax_scaled(x: &[f32], beta: f32, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::training::log_softmax_scaled;
    /// `log_softmax(beta * x)` in place.
    fn log_softmax_scaled_in_place(x: &mut [f32], beta: f32) -> Result<(), Error> = [Ok] plan::training::log_softmax_scaled_in_place;
    /// `logsumexp(beta * x)`.
    fn logsumexp_scaled(x: &[f32], beta: f32) -> Result<f32, Error> = [Ok] plan::training::logsumexp_scaled;
    /// Row-batched `softmax(beta * x)`.
    fn softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::training::softmax_rows_scaled;
    /// Row-batched `softmax(beta * x)` in place.
    fn softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error> = [Ok] plan::training::softmax_rows_scaled_in_place;
    /// Row-batched `log_softmax(beta * x)`.
    fn log_softmax_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::training::log_softmax_rows_scaled;
    /// Row-batched `log_softmax(beta * x)` in place.
    fn log_softmax_rows_scaled_in_place(x: &mut [f32], classes: usize, beta: f32) -> Result<(), Error> = [Ok] plan::training::log_softmax_rows_scaled_in_place;
    /// Row-batched `logsumexp(beta * x)`.
    fn logsumexp_rows_scaled(x: &[f32], classes: usize, beta: f32, out: &mut [f32]) -> Result<(), Error> = [Ok] plan::training::logsumexp_rows_scaled;
    /// `softmax`'s backward pass.
    fn softmax_backward(y: &[f32], dy: &[f32], dx: &mut [f32]) = plan::training::softmax_backward;
    /// `softmax`'s backward pass over `dy`.
    fn softmax_backward_in_place(y: &[f32], dy: &mut [f32]) = plan::training::softmax_backward_in_place;
    /// Row-batched `softmax` backward pass.
    fn softmax_backward_rows(y: &[f32], dy: &[f32], classes: usize, dx: &mut [f32]) = plan::training::softmax_backward_rows;
    /// Row-batched `softmax` backward pass over `dy`.
    fn softmax_backward_rows_in_place(y: &[f32], dy: &mut [f32], classes: usize) = plan::training::softmax_backward_rows_in_place;
    /// `log_softmax`'s backward pass.
    fn log_softmax_backward(z: &[f32], dz: &[f32], dx: &mut [f32]) = plan::training::log_softmax_backward;
    /// `log_softmax`'s backward pass over `dz`.
    fn log_softmax_backward_in_place(z: &[f32], dz: &mut [f32]) = plan::training::log_softmax_backward_in_place;
    /// Row-batched `log_softmax` backward pass.
    fn log_softmax_backward_rows(z: &[f32], dz: &[f32], classes: usize, dx: &mut [f32]) = plan::training::log_softmax_backward_rows;
    /// Row-batched `log_softmax` backward pass over `dz`.
    fn log_softmax_backward_rows_in_place(z: &[f32], dz: &mut [f32], classes: usize) = plan::training::log_softmax_backward_rows_in_place;
    /// PyTorch's cross-entropy of one row.
    fn xent_row(x: &[f32], target: crate::passes::training::Target<'_>, o: &crate::passes::training::Xent<'_>, grad: Option<&mut [f32]>) -> f32 = plan::training::xent_row;
    /// [`plan::training::xent_rows`].
    fn xent_rows(x: &[f32], targets: &[usize], classes: usize, o: &crate::passes::training::Xent<'_>, losses: Option<&mut [f32]>, grad: Option<&mut [f32]>, total: &mut crate::accum::Neumaier) = plan::training::xent_rows;
    /// A streamed chunk's summary.
    fn lse_chunk(x: &[f32]) -> crate::passes::training::Chunk = plan::training::chunk;
    /// A chunk's softmax relative to the whole row.
    fn softmax_chunk(x: &[f32], out: &mut [f32], m: f32, r: f32) = plan::training::softmax_chunk;
    /// A chunk's log-softmax relative to the whole row.
    fn log_softmax_chunk(x: &[f32], out: &mut [f32], m: f32, l: f32) = plan::training::log_softmax_chunk;
    /// The first index of the max.
    fn argmax(x: &[f32]) -> Option<usize> = plan::training::argmax;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `--cfg softmax_simd_backend` build runs on the backend it asked
    /// for wherever the CPU has it (so CI's forced runs test what they say).
    #[test]
    fn requested_backend_is_in_use() {
        let now = current();
        if let Some(name) = REQUESTED {
            let wanted = Backend::ALL.iter().copied().find(|b| b.name() == name);
            if wanted.is_some_and(supported) {
                assert_eq!(now.name(), name);
            }
        }
        assert!(supported(now));
        // A forced build carries the backend it asked for and the portable
        // fallback, and no other.
        if let Some(name) = REQUESTED {
            for &b in Backend::ALL {
                assert!(!supported(b) || b == Backend::Portable || b.name() == name);
            }
        }
        // The best supported backend when nothing is requested or fixed.
        if REQUESTED.is_none() && FIXED.is_none() {
            assert_eq!(Some(now), Backend::ALL.iter().copied().find(|&b| supported(b)));
        }
    }
}
