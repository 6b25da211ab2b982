//! Encodings of the `simd_int` class.

use crate::decode::Encoding;

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
