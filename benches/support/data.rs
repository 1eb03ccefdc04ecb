//! The benchmarks' input, shared by `kernels.rs` and the peers package so
//! every implementation sees the same rows.

/// Deterministic logits in `[-8, 8)` (a 32-bit LCG; no `rand` dependency).
pub fn logits(n: usize, seed: u32) -> Vec<f32> {
    let mut s = seed.wrapping_mul(2_654_435_761).wrapping_add(1);
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            ((s >> 8) as f32 / (1u32 << 24) as f32) * 16.0 - 8.0
        })
        .collect()
}
