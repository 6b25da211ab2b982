//! Data processing (immediate): PC-relative addressing, add/sub, logical,
//! move wide, bitfield, extract.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    //                  sf op S         sh imm12        Rn    Rd
    enc("ADD_imm",     "z  0  0 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    enc("ADDS_imm",    "z  0  1 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    enc("SUB_imm",     "z  1  0 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    enc("SUBS_imm",    "z  1  1 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    //                  sf opc       hw imm16            Rd
    enc("MOVN",        "z  00 100101 hh iiiiiiiiiiiiiiii ddddd"),
    enc("MOVZ",        "z  10 100101 hh iiiiiiiiiiiiiiii ddddd"),
    enc("MOVK",        "z  11 100101 hh iiiiiiiiiiiiiiii ddddd"),
];
