//! Encodings of the `dp_reg` class.

use crate::decode::Encoding;

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
