//! The class-index label types of [`cross_entropy_rows`](crate::reference::cross_entropy_rows).

mod private {
    pub trait Sealed {}
}

/// An integer type that class-index labels may have: `u8`, `u16`, `u32`,
/// `u64`, `usize`, `i32` or `i64` (sealed: no other type can implement it).
///
/// A label is compared by value with
/// [`CrossEntropy::ignore_index`](crate::CrossEntropy::ignore_index) (so
/// PyTorch's `-100` works with `i64` labels), and must otherwise be a class
/// index in `0..classes`.
///
/// ```
/// use softmax_simd::Label;
/// assert_eq!((-100i64).value(), -100);
/// assert_eq!(u64::MAX.value(), 18_446_744_073_709_551_615);
/// ```
pub trait Label: Copy + private::Sealed {
    /// The label's value, widened without loss (every implementing type fits
    /// in an `i128`).
    fn value(self) -> i128;
}

macro_rules! label {
    ($($t:ty),*) => {$(
        impl private::Sealed for $t {}
        impl Label for $t {
            #[inline]
            fn value(self) -> i128 {
                self as i128
            }
        }
    )*};
}

label!(u8, u16, u32, u64, usize, i32, i64);
