//! Branches, exception generation and system instructions.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    enc("B",           "0 00101 iiiiiiiiiiiiiiiiiiiiiiiiii"),
    enc("BL",          "1 00101 iiiiiiiiiiiiiiiiiiiiiiiiii"),
    enc("B_cond",      "01010100 iiiiiiiiiiiiiiiiiii 0 cccc"),
    enc("SVC",         "11010100 000 iiiiiiiiiiiiiiii 000 01"),
    enc("HLT",         "11010100 010 iiiiiiiiiiiiiiii 000 00"),
    enc("BRK",         "11010100 001 iiiiiiiiiiiiiiii 000 00"),
    enc("NOP",         "11010101 00000011 0010 0000 000 11111"),
];
