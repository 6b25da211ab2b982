//! Encodings of the `atomics` class.

use crate::decode::Encoding;

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
