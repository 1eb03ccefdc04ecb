//! softmax-simd: allocation-free, panic-free SIMD kernels for the softmax family.
#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;

pub use error::Error;
pub mod quantized;
