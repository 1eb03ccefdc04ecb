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

/// A working row of `n` values placed 2 KiB (modulo 4 KiB) away from the
/// input it is filled from or computed from.
///
/// Why: two `Vec`s allocated one after the other often sit a few bytes
/// apart modulo 4 KiB. glibc's `memcpy` (the in-place benchmarks' copy of
/// the input) then takes its `rep movsb` path, which on Zen 3 ran 30x
/// slower at 4096 values (1.35 against 0.043 ns per value), and a kernel
/// that loads `x[i]` and stores `out[i]` meets 4 KiB store-to-load
/// aliasing. Either would time the allocator's placement, not the kernel.
pub struct Apart {
    buf: Vec<f32>,
    off: usize,
    n: usize,
}

impl Apart {
    pub fn new(x: &[f32]) -> Self {
        let n = x.len();
        let buf = vec![0.0f32; n + 1024];
        let gap = (x.as_ptr() as usize + 2048).wrapping_sub(buf.as_ptr() as usize) % 4096;
        Apart { buf, off: gap / 4, n }
    }

    pub fn get(&mut self) -> &mut [f32] {
        &mut self.buf[self.off..self.off + self.n]
    }
}
