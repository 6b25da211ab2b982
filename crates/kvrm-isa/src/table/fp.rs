//! Encodings of the `fp` class.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
];
