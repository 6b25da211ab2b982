//! Encodings of the `simd_fp` class.

use crate::decode::Encoding;

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
