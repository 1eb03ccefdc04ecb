//! Roots for the no-panic proof (`--cfg softmax_simd_no_panic`, included by
//! src/lib.rs only in that test build).
//!
//! `#[no_panic]` fails at link time only for a function body that is linked.
//! In the lib's test binary an uncalled public function is not even code-
//! generated, and a called one may be inlined into a caller whose constant
//! arguments hide a panic path. Taking every kernel's address through
//! `black_box` links each one's standalone, general body: the proof covers
//! every input. firmware/ci/no-panic-coverage.sh fails CI if a public
//! kernel is missing here or lacks the attribute.

use crate as k;
use crate::Error;
use crate::quantized as q;
use core::hint::black_box;

type Unary = fn(&[f32], &mut [f32]) -> Result<(), Error>;
type Unary2 = fn(&[f32], &[f32], &mut [f32]) -> Result<(), Error>;
type XentRows<L> =
    fn(&[f32], &[L], usize, &k::CrossEntropy<'_>, Option<&mut [f32]>, Option<&mut [f32]>) -> Result<f32, Error>;
type Rows = fn(&[f32], usize, &mut [f32]) -> Result<(), Error>;
type RowsInPlace = fn(&mut [f32], usize) -> Result<(), Error>;
type Reduce = fn(&[f32]) -> f32;
type InPlace = fn(&mut [f32]);
type Dense = fn(&[f32], &[f32], Option<&mut [f32]>) -> Result<f32, Error>;
type Sparse = fn(&[f32], usize, Option<&mut [f32]>) -> Result<f32, Error>;
type DenseRows = fn(&[f32], &[f32], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
type SparseRows = fn(&[f32], &[usize], usize, &mut [f32], Option<&mut [f32]>) -> Result<(), Error>;
type S8 = fn(&[i8], usize, &q::SoftmaxParams, &mut [i8]) -> Result<(), Error>;
type S8S16 = fn(&[i8], usize, &q::SoftmaxParams, &mut [i16]) -> Result<(), Error>;
type S16 = fn(&[i16], usize, &q::SoftmaxS16Params, &mut [i16]) -> Result<(), Error>;
type LogS8 = fn(&[i8], usize, &q::LogSoftmaxParams, &mut [i8]) -> Result<(), Error>;

#[test]
fn every_kernel_is_linked_for_the_no_panic_proof() {
    let reduce: [Reduce; 4] = [k::max, k::logsumexp, k::reference::max, k::reference::logsumexp];
    let unary: [Unary; 6] = [
        k::exp,
        k::softmax,
        k::log_softmax,
        k::reference::exp,
        k::reference::softmax,
        k::reference::log_softmax,
    ];
    let in_place: [InPlace; 4] = [
        k::softmax_in_place,
        k::log_softmax_in_place,
        k::reference::softmax_in_place,
        k::reference::log_softmax_in_place,
    ];
    let dense: [Dense; 2] = [
        k::softmax_cross_entropy_with_logits,
        k::reference::softmax_cross_entropy_with_logits,
    ];
    let sparse: [Sparse; 2] = [
        k::sparse_softmax_cross_entropy_with_logits,
        k::reference::sparse_softmax_cross_entropy_with_logits,
    ];
    let rows: [Rows; 6] = [
        k::softmax_rows,
        k::log_softmax_rows,
        k::logsumexp_rows,
        k::reference::softmax_rows,
        k::reference::log_softmax_rows,
        k::reference::logsumexp_rows,
    ];
    let rows_in_place: [RowsInPlace; 4] = [
        k::softmax_rows_in_place,
        k::log_softmax_rows_in_place,
        k::reference::softmax_rows_in_place,
        k::reference::log_softmax_rows_in_place,
    ];
    let dense_rows: [DenseRows; 2] = [
        k::softmax_cross_entropy_with_logits_rows,
        k::reference::softmax_cross_entropy_with_logits_rows,
    ];
    let sparse_rows: [SparseRows; 2] = [
        k::sparse_softmax_cross_entropy_with_logits_rows,
        k::reference::sparse_softmax_cross_entropy_with_logits_rows,
    ];
    black_box((
        &reduce,
        &unary,
        &in_place,
        &dense,
        &sparse,
        &rows,
        &rows_in_place,
        &dense_rows,
        &sparse_rows,
    ));

    // The training and sampling API (issue 12): the kernels and the reference.
    type Beta = fn(&[f32], f32, &mut [f32]) -> Result<(), Error>;
    type BetaInPlace = fn(&mut [f32], f32) -> Result<(), Error>;
    type BetaRows = fn(&[f32], usize, f32, &mut [f32]) -> Result<(), Error>;
    type BetaRowsInPlace = fn(&mut [f32], usize, f32) -> Result<(), Error>;
    type BackInPlace = fn(&[f32], &mut [f32]) -> Result<(), Error>;
    type BackRows = fn(&[f32], &[f32], usize, &mut [f32]) -> Result<(), Error>;
    type BackRowsInPlace = fn(&[f32], &mut [f32], usize) -> Result<(), Error>;
    let scaled: [Beta; 4] = [
        k::softmax_scaled,
        k::log_softmax_scaled,
        k::reference::softmax_scaled,
        k::reference::log_softmax_scaled,
    ];
    let scaled_in_place: [BetaInPlace; 4] = [
        k::softmax_scaled_in_place,
        k::log_softmax_scaled_in_place,
        k::reference::softmax_scaled_in_place,
        k::reference::log_softmax_scaled_in_place,
    ];
    let lse_scaled: [fn(&[f32], f32) -> Result<f32, Error>; 2] = [k::logsumexp_scaled, k::reference::logsumexp_scaled];
    let scaled_rows: [BetaRows; 6] = [
        k::softmax_rows_scaled,
        k::log_softmax_rows_scaled,
        k::logsumexp_rows_scaled,
        k::reference::softmax_rows_scaled,
        k::reference::log_softmax_rows_scaled,
        k::reference::logsumexp_rows_scaled,
    ];
    let scaled_rows_in_place: [BetaRowsInPlace; 4] = [
        k::softmax_rows_scaled_in_place,
        k::log_softmax_rows_scaled_in_place,
        k::reference::softmax_rows_scaled_in_place,
        k::reference::log_softmax_rows_scaled_in_place,
    ];
    let backward: [Unary2; 4] = [
        k::softmax_backward,
        k::log_softmax_backward,
        k::reference::softmax_backward,
        k::reference::log_softmax_backward,
    ];
    let backward_in_place: [BackInPlace; 4] = [
        k::softmax_backward_in_place,
        k::log_softmax_backward_in_place,
        k::reference::softmax_backward_in_place,
        k::reference::log_softmax_backward_in_place,
    ];
    let backward_rows: [BackRows; 4] = [
        k::softmax_backward_rows,
        k::log_softmax_backward_rows,
        k::reference::softmax_backward_rows,
        k::reference::log_softmax_backward_rows,
    ];
    let backward_rows_in_place: [BackRowsInPlace; 4] = [
        k::softmax_backward_rows_in_place,
        k::log_softmax_backward_rows_in_place,
        k::reference::softmax_backward_rows_in_place,
        k::reference::log_softmax_backward_rows_in_place,
    ];
    let argmax: [fn(&[f32]) -> Option<usize>; 2] = [k::argmax, k::reference::argmax];
    black_box((
        &scaled,
        &scaled_in_place,
        &lse_scaled,
        &scaled_rows,
        &scaled_rows_in_place,
        &backward,
        &backward_in_place,
        &backward_rows,
        &backward_rows_in_place,
        &argmax,
    ));
    let xent = (
        [
            k::cross_entropy_rows::<u8> as XentRows<u8>,
            k::reference::cross_entropy_rows::<u8>,
        ],
        [
            k::cross_entropy_rows::<u16> as XentRows<u16>,
            k::reference::cross_entropy_rows::<u16>,
        ],
        [
            k::cross_entropy_rows::<u32> as XentRows<u32>,
            k::reference::cross_entropy_rows::<u32>,
        ],
        [
            k::cross_entropy_rows::<u64> as XentRows<u64>,
            k::reference::cross_entropy_rows::<u64>,
        ],
        [
            k::cross_entropy_rows::<usize> as XentRows<usize>,
            k::reference::cross_entropy_rows::<usize>,
        ],
        [
            k::cross_entropy_rows::<i32> as XentRows<i32>,
            k::reference::cross_entropy_rows::<i32>,
        ],
        [
            k::cross_entropy_rows::<i64> as XentRows<i64>,
            k::reference::cross_entropy_rows::<i64>,
        ],
        [
            k::cross_entropy_rows_dense as XentRows<f32>,
            k::reference::cross_entropy_rows_dense,
        ],
    );
    let lse = (
        k::LogSumExp::new as fn() -> k::LogSumExp,
        k::LogSumExp::update as fn(&mut k::LogSumExp, &[f32]),
        k::LogSumExp::merge as fn(&mut k::LogSumExp, &k::LogSumExp),
        k::LogSumExp::finish as fn(&k::LogSumExp) -> f32,
        [
            k::LogSumExp::softmax_chunk as fn(&k::LogSumExp, &[f32], &mut [f32]) -> Result<(), Error>,
            k::LogSumExp::log_softmax_chunk,
        ],
    );
    let ref_lse = (
        k::reference::LogSumExp::new as fn() -> k::reference::LogSumExp,
        k::reference::LogSumExp::update as fn(&mut k::reference::LogSumExp, &[f32]),
        k::reference::LogSumExp::merge as fn(&mut k::reference::LogSumExp, &k::reference::LogSumExp),
        k::reference::LogSumExp::finish as fn(&k::reference::LogSumExp) -> f32,
        [
            k::reference::LogSumExp::softmax_chunk
                as fn(&k::reference::LogSumExp, &[f32], &mut [f32]) -> Result<(), Error>,
            k::reference::LogSumExp::log_softmax_chunk,
        ],
    );
    black_box((&xent, &lse, &ref_lse));

    // The benchmark variants (hidden, unstable) run the same kernels.
    let variants = (
        [k::variants::softmax_three_pass as Unary, k::variants::softmax_blocked],
        [
            k::variants::softmax_in_place_three_pass as InPlace,
            k::variants::softmax_in_place_blocked,
        ],
        [
            k::variants::logsumexp_two_pass as Reduce,
            k::variants::logsumexp_one_pass,
        ],
        k::variants::exp_sum_floor as fn(&[f32], f32) -> f32,
    );
    black_box(&variants);

    // The backend's name and the test suite's hooks (hidden, unstable).
    let hooks = (
        k::backend as fn() -> &'static str,
        k::testing::backends as fn() -> _,
        k::testing::force_backend as fn(&str) -> bool,
        k::testing::force_structure as fn(&str) -> bool,
        k::testing::structure as fn() -> &'static str,
    );
    black_box(&hooks);

    let s8: [S8; 2] = [q::softmax_s8, q::reference::softmax_s8];
    let s8_s16: [S8S16; 2] = [q::softmax_s8_s16, q::reference::softmax_s8_s16];
    let s16: [S16; 4] = [
        q::softmax_s16,
        q::softmax_s16_tflm,
        q::reference::softmax_s16,
        q::reference::softmax_s16_tflm,
    ];
    let log_s8: [LogS8; 2] = [q::log_softmax_s8, q::reference::log_softmax_s8];
    let new: [fn(f32, f32) -> Result<q::SoftmaxParams, Error>; 1] = [q::SoftmaxParams::new];
    let new16: [fn(f32, f32) -> Result<q::SoftmaxS16Params, Error>; 2] =
        [q::SoftmaxS16Params::new, q::SoftmaxS16Params::new_tflm];
    let new_log: [fn(f32) -> Result<q::LogSoftmaxParams, Error>; 1] = [q::LogSoftmaxParams::new];
    let validate = (
        q::SoftmaxParams::validate as fn(&q::SoftmaxParams) -> Result<(), Error>,
        q::SoftmaxS16Params::validate as fn(&q::SoftmaxS16Params) -> Result<(), Error>,
        q::LogSoftmaxParams::validate as fn(&q::LogSoftmaxParams) -> Result<(), Error>,
    );
    black_box((&s8, &s8_s16, &s16, &log_s8, &new, &new16, &new_log, &validate));
    // The proof is the link; a call through a root checks it is the kernel.
    let mut out = [0.0f32; 3];
    let softmax = black_box(unary[1]);
    assert_eq!(softmax(&[0.0, 0.0, 0.0], &mut out), Ok(()));
    assert!(out.iter().all(|&p| (p - 1.0 / 3.0).abs() < 1e-6), "{out:?}");
}
