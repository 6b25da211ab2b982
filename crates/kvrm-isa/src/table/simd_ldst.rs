//! Encodings of the `simd_ldst` class.

use crate::decode::Encoding;

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
