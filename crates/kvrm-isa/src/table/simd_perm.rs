//! Advanced SIMD copy (DUP, INS, UMOV, SMOV, scalar DUP), permute (ZIP, UZP,
//! TRN), extract (EXT) and table lookup (TBL, TBX).
//!
//! Every entry fixes the group bits of its Arm ARM encoding group (copy:
//! bits 28..21 = 01110000, bit 15 = 0, bit 10 = 1; permute: bit 21 = 0,
//! bits 11..10 = 10; table/extract: bits 23..21 = 000, bit 15 = 0, bit 10 = 0)
//! so they cannot overlap SIMD integer/FP "three same", "two-reg misc",
//! "across lanes" or crypto encodings (those have bit 21 = 1 or other op0).

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    // Advanced SIMD copy:  Q op           imm5    imm4   Rn    Rd
    enc("DUP_elem",    "0 q 0 01110000 iiiii 0 0000 1 nnnnn ddddd"),
    enc("DUP_gen",     "0 q 0 01110000 iiiii 0 0001 1 nnnnn ddddd"),
    enc("INS_gen",     "0 1 0 01110000 iiiii 0 0011 1 nnnnn ddddd"),
    enc("SMOV",        "0 q 0 01110000 iiiii 0 0101 1 nnnnn ddddd"),
    enc("UMOV",        "0 q 0 01110000 iiiii 0 0111 1 nnnnn ddddd"),
    enc("INS_elem",    "0 1 1 01110000 iiiii 0 jjjj 1 nnnnn ddddd"),
    // Advanced SIMD scalar copy (DUP element, alias MOV b/h/s/d).
    enc("DUP_scalar",  "0 1 0 11110000 iiiii 0 0000 1 nnnnn ddddd"),
    // Advanced SIMD permute: Q        size   Rm     opc     Rn    Rd
    enc("UZP1",        "0 q 001110 ss 0 mmmmm 0 001 10 nnnnn ddddd"),
    enc("TRN1",        "0 q 001110 ss 0 mmmmm 0 010 10 nnnnn ddddd"),
    enc("ZIP1",        "0 q 001110 ss 0 mmmmm 0 011 10 nnnnn ddddd"),
    enc("UZP2",        "0 q 001110 ss 0 mmmmm 0 101 10 nnnnn ddddd"),
    enc("TRN2",        "0 q 001110 ss 0 mmmmm 0 110 10 nnnnn ddddd"),
    enc("ZIP2",        "0 q 001110 ss 0 mmmmm 0 111 10 nnnnn ddddd"),
    // Advanced SIMD extract:  Q    op2    Rm      imm4   Rn    Rd
    enc("EXT",         "0 q 101110 00 0 mmmmm 0 iiii 0 nnnnn ddddd"),
    // Advanced SIMD table lookup: Q op2  Rm     len op   Rn    Rd
    enc("TBL",         "0 q 001110 00 0 mmmmm 0 ll 0 00 nnnnn ddddd"),
    enc("TBX",         "0 q 001110 00 0 mmmmm 0 ll 1 00 nnnnn ddddd"),
];
