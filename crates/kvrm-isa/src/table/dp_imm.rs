//! Data processing (immediate): PC-relative addressing, add/sub, logical,
//! move wide, bitfield, extract.
//!
//! Each entry fixes every opcode bit of its group, so the entries of other
//! classes (MTE's ADDG/SUBG, FEAT_CSSC min/max immediate) cannot collide.
//! Reserved field values inside a pattern (sf/N mismatches, `hw` >= 2 with
//! sf=0, reserved DecodeBitMasks patterns) are rejected by the handlers.
//! Aliases (MOV, CMP, CMN, TST, LSL/LSR/ASR, SXT*/UXT*, BFI, ROR...) are the
//! same encodings and need no entry of their own.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    //                  op immlo       immhi               Rd
    enc("ADR",         "0  ll    10000 hhhhhhhhhhhhhhhhhhh ddddd"),
    enc("ADRP",        "1  ll    10000 hhhhhhhhhhhhhhhhhhh ddddd"),
    //                  sf op S         sh imm12        Rn    Rd
    enc("ADD_imm",     "z  0  0 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    enc("ADDS_imm",    "z  0  1 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    enc("SUB_imm",     "z  1  0 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    enc("SUBS_imm",    "z  1  1 100010 s  iiiiiiiiiiii nnnnn ddddd"),
    //                  sf opc        N immr   imms   Rn    Rd
    enc("AND_imm",     "z  00 100100 N rrrrrr ssssss nnnnn ddddd"),
    enc("ORR_imm",     "z  01 100100 N rrrrrr ssssss nnnnn ddddd"),
    enc("EOR_imm",     "z  10 100100 N rrrrrr ssssss nnnnn ddddd"),
    enc("ANDS_imm",    "z  11 100100 N rrrrrr ssssss nnnnn ddddd"),
    //                  sf opc       hw imm16            Rd
    enc("MOVN",        "z  00 100101 hh iiiiiiiiiiiiiiii ddddd"),
    enc("MOVZ",        "z  10 100101 hh iiiiiiiiiiiiiiii ddddd"),
    enc("MOVK",        "z  11 100101 hh iiiiiiiiiiiiiiii ddddd"),
    //                  sf opc        N immr   imms   Rn    Rd
    enc("SBFM",        "z  00 100110 N rrrrrr ssssss nnnnn ddddd"),
    enc("BFM",         "z  01 100110 N rrrrrr ssssss nnnnn ddddd"),
    enc("UBFM",        "z  10 100110 N rrrrrr ssssss nnnnn ddddd"),
    //                  sf op21       N o0 Rm    imms   Rn    Rd
    enc("EXTR",        "z  00 100111 N 0  mmmmm ssssss nnnnn ddddd"),
];
