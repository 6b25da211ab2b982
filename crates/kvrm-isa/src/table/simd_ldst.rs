//! Encodings of the `simd_ldst` class.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
