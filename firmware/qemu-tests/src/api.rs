//! The public API twice, as tables of function pointers: the SIMD kernels
//! and `softmax_simd::reference`, so every check runs against both.

use softmax_simd::{Error, reference as r};

type Unary = fn(&[f32], &mut [f32]) -> Result<(), Error>;
type Rows = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
type RowsInPlace = fn(&mut [f32], usize) -> Result<(), Error>;
type Dense = fn(&[f32], &[f32], Option<&mut [f32]>) -> Result<f32, Error>;
type Sparse = fn(&[f32], usize, Option<&mut [f32]>) -> Result<f32, Error>;
type DenseRows = fn(&[f32], &[f32], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
type SparseRows = fn(&[f32], &[usize], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;

/// One implementation of every public kernel.
pub struct Api {
    pub name: &'static str,
    pub max: fn(&[f32]) -> f32,
    pub logsumexp: fn(&[f32]) -> f32,
    pub exp: Unary,
    pub softmax: Unary,
    pub softmax_in_place: fn(&mut [f32]),
    pub log_softmax: Unary,
    pub log_softmax_in_place: fn(&mut [f32]),
    pub dense: Dense,
    pub sparse: Sparse,
    pub softmax_rows: Rows,
    pub softmax_rows_in_place: RowsInPlace,
    pub log_softmax_rows: Rows,
    pub log_softmax_rows_in_place: RowsInPlace,
    pub logsumexp_rows: Rows,
    pub dense_rows: DenseRows,
    pub sparse_rows: SparseRows,
}

pub const SIMD: Api = Api {
    name: "simd",
    max: softmax_simd::max,
    logsumexp: softmax_simd::logsumexp,
    exp: softmax_simd::exp,
    softmax: softmax_simd::softmax,
    softmax_in_place: softmax_simd::softmax_in_place,
    log_softmax: softmax_simd::log_softmax,
    log_softmax_in_place: softmax_simd::log_softmax_in_place,
    dense: softmax_simd::softmax_cross_entropy_with_logits,
    sparse: softmax_simd::sparse_softmax_cross_entropy_with_logits,
    softmax_rows: softmax_simd::softmax_rows,
    softmax_rows_in_place: softmax_simd::softmax_rows_in_place,
    log_softmax_rows: softmax_simd::log_softmax_rows,
    log_softmax_rows_in_place: softmax_simd::log_softmax_rows_in_place,
    logsumexp_rows: softmax_simd::logsumexp_rows,
    dense_rows: softmax_simd::softmax_cross_entropy_with_logits_rows,
    sparse_rows: softmax_simd::sparse_softmax_cross_entropy_with_logits_rows,
};

pub const REFERENCE: Api = Api {
    name: "reference",
    max: r::max,
    logsumexp: r::logsumexp,
    exp: r::exp,
    softmax: r::softmax,
    softmax_in_place: r::softmax_in_place,
    log_softmax: r::log_softmax,
    log_softmax_in_place: r::log_softmax_in_place,
    dense: r::softmax_cross_entropy_with_logits,
    sparse: r::sparse_softmax_cross_entropy_with_logits,
    softmax_rows: r::softmax_rows,
    softmax_rows_in_place: r::softmax_rows_in_place,
    log_softmax_rows: r::log_softmax_rows,
    log_softmax_rows_in_place: r::log_softmax_rows_in_place,
    logsumexp_rows: r::logsumexp_rows,
    dense_rows: r::softmax_cross_entropy_with_logits_rows,
    sparse_rows: r::sparse_softmax_cross_entropy_with_logits_rows,
};

pub const BOTH: [&Api; 2] = [&SIMD, &REFERENCE];
