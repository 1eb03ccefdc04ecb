//! A criterion measurement of this thread's CPU time, for a machine
//! shared with other builds: wall time there counts the time the benchmark
//! waits for a core, CPU time does not.
//!
//! Linux only, no dependencies: `/proc/thread-self/schedstat` gives the
//! thread's run time in ns; `yield_now` first makes the kernel bring that
//! figure up to date (the scheduler's `yield` accounts the running task),
//! otherwise it may lag by up to a scheduler tick. Elsewhere (no such
//! file) it falls back to wall time.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};
use std::time::Instant;

/// Thread CPU time in ns (wall time where `/proc/thread-self/schedstat` is missing).
pub struct CpuTime;

fn now_ns(origin: Instant) -> u64 {
    std::thread::yield_now();
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
        .unwrap_or_else(|| origin.elapsed().as_nanos() as u64)
}

thread_local! {
    static ORIGIN: Instant = Instant::now();
}

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        ORIGIN.with(|o| now_ns(*o))
    }
    fn end(&self, start: u64) -> u64 {
        ORIGIN.with(|o| now_ns(*o)).saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NsFormatter
    }
}

/// Values in ns, scaled to ns/us/ms/s for display; throughput per second.
struct NsFormatter;

impl ValueFormatter for NsFormatter {
    fn scale_values(&self, typical: f64, values: &mut [f64]) -> &'static str {
        let (div, unit) = if typical < 1e3 {
            (1.0, "ns")
        } else if typical < 1e6 {
            (1e3, "us")
        } else if typical < 1e9 {
            (1e6, "ms")
        } else {
            (1e9, "s")
        };
        for v in values.iter_mut() {
            *v /= div;
        }
        unit
    }

    fn scale_throughputs(&self, _typical: f64, throughput: &Throughput, values: &mut [f64]) -> &'static str {
        let (per_call, unit) = match throughput {
            Throughput::Elements(n) | Throughput::ElementsAndBytes { elements: n, .. } => (*n as f64, "Melem/s"),
            Throughput::Bytes(n) | Throughput::BytesDecimal(n) => (*n as f64, "MB/s"),
            Throughput::Bits(n) => (*n as f64, "Mbit/s"),
        };
        for v in values.iter_mut() {
            // ns per call -> millions per second.
            *v = per_call * 1e3 / *v;
        }
        unit
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
