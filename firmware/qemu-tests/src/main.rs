//! softmax-simd's agreement and special-value checks on an emulated
//! Cortex-M4F (QEMU `-machine mps2-an386`), where `wide` runs its plain
//! `[f32; 4]` lanes: every row of docs/SEMANTICS.md's special-value table and the
//! error contract against both the SIMD API and `reference`, then fixed
//! pseudo-random rows SIMD vs reference within the host tests' bounds,
//! then the training API (temperature, backward passes, cross-entropy
//! options, `LogSumExp`, `argmax`) the same way, then a subset of TFLite's
//! golden vectors for the quantized kernels.
//! Output and exit status go through semihosting: exit 0 only if every
//! case passed.
//!
//! Run: `cd firmware && cargo run --release -p softmax-simd-qemu-tests`.
#![no_std]
#![no_main]

mod agree;
mod api;
#[path = "../../common/exit.rs"]
mod exit;
mod quantized;
mod special;
mod tally;
mod training;

use cortex_m_rt::entry;
use cortex_m_semihosting::hprintln;
use exit::exit;
use tally::Tally;

#[entry]
fn main() -> ! {
    hprintln!(
        "softmax-simd on Cortex-M4F (QEMU mps2-an386), lanes: {} x{}",
        softmax_simd::BACKEND,
        softmax_simd::LANE_COUNT
    );
    let mut t = Tally::new();
    for api in api::BOTH {
        special::run(&mut t, api);
    }
    let special = t.passed + t.failed;
    let mut bufs = agree::Bufs::new();
    agree::run(&mut t, &mut bufs);
    let agreement = t.passed + t.failed - special;
    training::run(&mut t, &mut bufs);
    let before = t.passed + t.failed;
    quantized::run(&mut t);
    let golden = t.passed + t.failed - before;
    hprintln!(
        "special-value and error cases: {}; agreement rows: {}; training API cases: {}; int8/int16 golden cases: {}",
        special,
        agreement,
        before - special - agreement,
        golden
    );
    hprintln!("cortex-m4f: {} passed, {} failed", t.passed, t.failed);
    exit(t.failed == 0 && t.passed > 0)
}
