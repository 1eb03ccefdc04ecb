//! Instructions counted with the CMSDK APB timer 0 of QEMU's mps2-an386.
//!
//! Under `-icount shift=0` QEMU's virtual clock advances exactly one
//! nanosecond per guest instruction; the timer counts down at the board's
//! 25 MHz, so one tick is 40 instructions. A measurement is the timer read
//! before and after `calls` calls of a closure, minus the same loop around
//! a baseline closure, divided by `calls`: the resolution is `40 / calls`
//! instructions per call, so each measurement runs enough calls to spend
//! about [`TARGET_TICKS`] ticks. [`calibrate`] checks the method on a loop
//! of known length. (QEMU does not model the DWT cycle counter: it reads 0.)

use core::hint::black_box;
use core::ptr::{read_volatile, write_volatile};
use cortex_m_semihosting::hprintln;

/// CMSDK APB timer 0 registers (mps2-an386 memory map).
const CTRL: *mut u32 = 0x4000_0000 as *mut u32;
const VALUE: *mut u32 = 0x4000_0004 as *mut u32;
const RELOAD: *mut u32 = 0x4000_0008 as *mut u32;

/// Instructions per timer tick: 1 ns per instruction at 25 MHz.
pub const INSTRUCTIONS_PER_TICK: u64 = 40;

/// Ticks each measurement aims for (about 4 million instructions): a
/// resolution of 1/100000 of the measured time.
const TARGET_TICKS: u32 = 100_000;

/// Starts timer 0 counting down from `u32::MAX` (wraps after 171 s of
/// virtual time; every difference below is taken modulo 2^32).
pub fn start() {
    // SAFETY: the CMSDK timer's registers on mps2-an386; nothing else in
    // this program touches them. CTRL = 1: enabled, no interrupt.
    unsafe {
        write_volatile(RELOAD, u32::MAX);
        write_volatile(VALUE, u32::MAX);
        write_volatile(CTRL, 1);
    }
}

#[inline(always)]
fn now() -> u32 {
    // SAFETY: a read of the timer's current value register.
    unsafe { read_volatile(VALUE) }
}

/// Timer ticks spent in `calls` calls of `f`. `f` goes through
/// `black_box`: the loop cannot see (or specialise on) what it calls.
#[inline(never)]
fn ticks(calls: u32, f: &mut dyn FnMut()) -> u32 {
    let f = black_box(f);
    let t0 = now();
    for _ in 0..calls {
        f();
    }
    t0.wrapping_sub(now())
}

/// The measurement whose timed loop [`bench_profile_on`] and
/// [`bench_profile_off`] bracket: `label@n` (e.g. `softmax@10`), set when
/// building (`SOFTMAX_SIMD_BENCH_PROFILE`; see profile/run.sh).
const PROFILE: Option<&str> = option_env!("SOFTMAX_SIMD_BENCH_PROFILE");

/// Marker: the profiled loop starts (a TCG plugin watches this address).
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn bench_profile_on() {
    // An instruction the compiler keeps (and a body unlike the other
    // marker's, so the two are not merged into one address).
    cortex_m::asm::nop();
}

/// Marker: the profiled loop has ended.
#[unsafe(no_mangle)]
#[inline(never)]
pub extern "C" fn bench_profile_off() {
    cortex_m::asm::nop();
    cortex_m::asm::nop();
}

fn profiled(label: &str, n: usize) -> bool {
    let Some((want_label, want_n)) = PROFILE.and_then(|p| p.split_once('@')) else {
        return false;
    };
    want_label == label && want_n.parse() == Ok(n)
}

/// Instructions per call of `body` beyond `base`, in tenths of an
/// instruction, and the number of calls each loop ran. `label` and `n`
/// name the measurement for [`PROFILE`].
pub fn per_call(label: &str, n: usize, body: &mut dyn FnMut(), base: &mut dyn FnMut()) -> (u64, u32) {
    let one = ticks(1, body).max(1);
    let calls = (TARGET_TICKS / one).clamp(1, 1_000_000);
    let profile = profiled(label, n);
    if profile {
        hprintln!("profile: {}@{}: {} calls between the markers", label, n, calls);
        bench_profile_on();
    }
    let body_ticks = u64::from(ticks(calls, body));
    if profile {
        bench_profile_off();
    }
    let base_ticks = u64::from(ticks(calls, base));
    let tenths = body_ticks.saturating_sub(base_ticks) * INSTRUCTIONS_PER_TICK * 10;
    ((tenths + u64::from(calls) / 2) / u64::from(calls), calls)
}

/// `k` iterations of `subs; bne`: exactly `2k` instructions (`k >= 1`).
#[inline(never)]
fn spin(k: u32) {
    // SAFETY: a register-only countdown loop.
    unsafe {
        core::arch::asm!(
            "2:",
            "subs {0}, {0}, #1",
            "bne 2b",
            inout(reg) k => _,
            options(nomem, nostack),
        );
    }
}

/// The method checked on a loop of known length: `(expected, measured)`
/// instructions of `k` iterations of `subs; bne`, measured as
/// `spin(k + 1)` minus `spin(1)` (the call itself cancels).
pub fn calibrate(k: u32) -> (u64, u64) {
    let long = u64::from(ticks(1, &mut || spin(black_box(k + 1))));
    let short = u64::from(ticks(1, &mut || spin(black_box(1))));
    (2 * u64::from(k), long.saturating_sub(short) * INSTRUCTIONS_PER_TICK)
}
