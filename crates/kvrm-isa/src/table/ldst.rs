//! Loads and stores of single registers and pairs (general and SIMD&FP).

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    //                  size     V  opc imm12        Rn    Rt
    enc("STR_x_uimm",  "11 111 0 01 00 iiiiiiiiiiii nnnnn ttttt"),
    enc("LDR_x_uimm",  "11 111 0 01 01 iiiiiiiiiiii nnnnn ttttt"),
];
