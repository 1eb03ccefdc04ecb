//! Shared test code: the agreement checker, the f64 oracle, the input
//! generators.
#![allow(dead_code)]

pub mod check;
pub mod check_training;
pub mod f64ref;
pub mod inputs;

/// Test sizes shrink under Miri, as memchr's do.
pub const MAX_LEN: usize = if cfg!(miri) { 40 } else { 4100 };
