//! Data processing (register): logical and add/sub (shifted and extended
//! register), add/sub with carry, conditional compare, conditional select,
//! 1-source, 2-source and 3-source operations.
//!
//! Every opcode bit of each group is fixed so that other classes' entries in
//! the same groups (PAC, MTE, FEAT_CSSC, FEAT_FlagM) cannot collide. Reserved
//! field values inside a pattern (shift ROR for add/sub, imm6 >= 32 with sf=0,
//! extend amount > 4) are rejected by the handlers.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    //                   sf opc       sh N Rm    imm6   Rn    Rd
    enc("AND_shreg",    "z  00 01010 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("BIC_shreg",    "z  00 01010 hh 1 mmmmm iiiiii nnnnn ddddd"),
    enc("ORR_shreg",    "z  01 01010 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("ORN_shreg",    "z  01 01010 hh 1 mmmmm iiiiii nnnnn ddddd"),
    enc("EOR_shreg",    "z  10 01010 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("EON_shreg",    "z  10 01010 hh 1 mmmmm iiiiii nnnnn ddddd"),
    enc("ANDS_shreg",   "z  11 01010 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("BICS_shreg",   "z  11 01010 hh 1 mmmmm iiiiii nnnnn ddddd"),
    //                   sf op S       sh   Rm    imm6   Rn    Rd
    enc("ADD_shreg",    "z  0  0 01011 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("ADDS_shreg",   "z  0  1 01011 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("SUB_shreg",    "z  1  0 01011 hh 0 mmmmm iiiiii nnnnn ddddd"),
    enc("SUBS_shreg",   "z  1  1 01011 hh 0 mmmmm iiiiii nnnnn ddddd"),
    //                   sf op S       opt  Rm    option imm3 Rn   Rd
    enc("ADD_extreg",   "z  0  0 01011 00 1 mmmmm ooo    iii nnnnn ddddd"),
    enc("ADDS_extreg",  "z  0  1 01011 00 1 mmmmm ooo    iii nnnnn ddddd"),
    enc("SUB_extreg",   "z  1  0 01011 00 1 mmmmm ooo    iii nnnnn ddddd"),
    enc("SUBS_extreg",  "z  1  1 01011 00 1 mmmmm ooo    iii nnnnn ddddd"),
    //                   sf op S          Rm    opcode2 Rn    Rd
    enc("ADC",          "z  0  0 11010000 mmmmm 000000  nnnnn ddddd"),
    enc("ADCS",         "z  0  1 11010000 mmmmm 000000  nnnnn ddddd"),
    enc("SBC",          "z  1  0 11010000 mmmmm 000000  nnnnn ddddd"),
    enc("SBCS",         "z  1  1 11010000 mmmmm 000000  nnnnn ddddd"),
    //                   sf op S          Rm    cond   o2 Rn   o3 nzcv
    enc("CCMN_reg",     "z  0  1 11010010 mmmmm cccc 0 0 nnnnn 0 ffff"),
    enc("CCMP_reg",     "z  1  1 11010010 mmmmm cccc 0 0 nnnnn 0 ffff"),
    enc("CCMN_imm",     "z  0  1 11010010 iiiii cccc 1 0 nnnnn 0 ffff"),
    enc("CCMP_imm",     "z  1  1 11010010 iiiii cccc 1 0 nnnnn 0 ffff"),
    //                   sf op S          Rm    cond op2 Rn    Rd
    enc("CSEL",         "z  0  0 11010100 mmmmm cccc 00  nnnnn ddddd"),
    enc("CSINC",        "z  0  0 11010100 mmmmm cccc 01  nnnnn ddddd"),
    enc("CSINV",        "z  1  0 11010100 mmmmm cccc 00  nnnnn ddddd"),
    enc("CSNEG",        "z  1  0 11010100 mmmmm cccc 01  nnnnn ddddd"),
    //                   sf    S          opcode2 opcode Rn    Rd
    enc("RBIT",         "z  1  0 11010110 00000   000000 nnnnn ddddd"),
    enc("REV16",        "z  1  0 11010110 00000   000001 nnnnn ddddd"),
    enc("REV_32",       "0  1  0 11010110 00000   000010 nnnnn ddddd"),
    enc("REV32",        "1  1  0 11010110 00000   000010 nnnnn ddddd"),
    enc("REV_64",       "1  1  0 11010110 00000   000011 nnnnn ddddd"),
    enc("CLZ",          "z  1  0 11010110 00000   000100 nnnnn ddddd"),
    enc("CLS",          "z  1  0 11010110 00000   000101 nnnnn ddddd"),
    //                   sf    S          Rm    opcode Rn    Rd
    enc("UDIV",         "z  0  0 11010110 mmmmm 000010 nnnnn ddddd"),
    enc("SDIV",         "z  0  0 11010110 mmmmm 000011 nnnnn ddddd"),
    enc("LSLV",         "z  0  0 11010110 mmmmm 001000 nnnnn ddddd"),
    enc("LSRV",         "z  0  0 11010110 mmmmm 001001 nnnnn ddddd"),
    enc("ASRV",         "z  0  0 11010110 mmmmm 001010 nnnnn ddddd"),
    enc("RORV",         "z  0  0 11010110 mmmmm 001011 nnnnn ddddd"),
    enc("CRC32B",       "0  0  0 11010110 mmmmm 010000 nnnnn ddddd"),
    enc("CRC32H",       "0  0  0 11010110 mmmmm 010001 nnnnn ddddd"),
    enc("CRC32W",       "0  0  0 11010110 mmmmm 010010 nnnnn ddddd"),
    enc("CRC32X",       "1  0  0 11010110 mmmmm 010011 nnnnn ddddd"),
    enc("CRC32CB",      "0  0  0 11010110 mmmmm 010100 nnnnn ddddd"),
    enc("CRC32CH",      "0  0  0 11010110 mmmmm 010101 nnnnn ddddd"),
    enc("CRC32CW",      "0  0  0 11010110 mmmmm 010110 nnnnn ddddd"),
    enc("CRC32CX",      "1  0  0 11010110 mmmmm 010111 nnnnn ddddd"),
    //                   sf op54       op31 Rm    o0 Ra    Rn    Rd
    enc("MADD",         "z  00  11011 000  mmmmm 0  aaaaa nnnnn ddddd"),
    enc("MSUB",         "z  00  11011 000  mmmmm 1  aaaaa nnnnn ddddd"),
    enc("SMADDL",       "1  00  11011 001  mmmmm 0  aaaaa nnnnn ddddd"),
    enc("SMSUBL",       "1  00  11011 001  mmmmm 1  aaaaa nnnnn ddddd"),
    enc("SMULH",        "1  00  11011 010  mmmmm 0  aaaaa nnnnn ddddd"),
    enc("UMADDL",       "1  00  11011 101  mmmmm 0  aaaaa nnnnn ddddd"),
    enc("UMSUBL",       "1  00  11011 101  mmmmm 1  aaaaa nnnnn ddddd"),
    enc("UMULH",        "1  00  11011 110  mmmmm 0  aaaaa nnnnn ddddd"),
];
