//! Encodings of the `fp` class: scalar floating point and the conversions
//! between floating point and integers / fixed point.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    // Data processing, one source:  M0S 11110 ftype 1 opcode(6) 10000 Rn Rd
    enc("FMOV_reg",     "000 11110 tt 1 000000 10000 nnnnn ddddd"),
    enc("FABS_s",       "000 11110 tt 1 000001 10000 nnnnn ddddd"),
    enc("FNEG_s",       "000 11110 tt 1 000010 10000 nnnnn ddddd"),
    enc("FSQRT_s",      "000 11110 tt 1 000011 10000 nnnnn ddddd"),
    enc("FCVT_s",       "000 11110 tt 1 0001oo 10000 nnnnn ddddd"),
    // FRINTN/P/M/Z/A/-/X/I
    enc("FRINT_s",      "000 11110 tt 1 001ooo 10000 nnnnn ddddd"),
    // FRINT32Z/32X/64Z/64X
    enc("FRINTTS_s",    "000 11110 tt 1 0100oo 10000 nnnnn ddddd"),
    // Compare:                       M0S 11110 ftype 1 Rm op(2) 1000 Rn opcode2(5)
    enc("FCMP",         "000 11110 tt 1 mmmmm 00 1000 nnnnn oo000"),
    // Immediate:                     M0S 11110 ftype 1 imm8 100 imm5 Rd
    enc("FMOV_imm",     "000 11110 tt 1 iiiiiiii 100 00000 ddddd"),
    // Conditional compare / select
    enc("FCCMP",        "000 11110 tt 1 mmmmm cccc 01 nnnnn offff"),
    enc("FCSEL",        "000 11110 tt 1 mmmmm cccc 11 nnnnn ddddd"),
    // Data processing, two sources:  M0S 11110 ftype 1 Rm opcode(4) 10 Rn Rd
    enc("FMUL_s",       "000 11110 tt 1 mmmmm 0000 10 nnnnn ddddd"),
    enc("FDIV_s",       "000 11110 tt 1 mmmmm 0001 10 nnnnn ddddd"),
    enc("FADD_s",       "000 11110 tt 1 mmmmm 0010 10 nnnnn ddddd"),
    enc("FSUB_s",       "000 11110 tt 1 mmmmm 0011 10 nnnnn ddddd"),
    enc("FMAX_s",       "000 11110 tt 1 mmmmm 0100 10 nnnnn ddddd"),
    enc("FMIN_s",       "000 11110 tt 1 mmmmm 0101 10 nnnnn ddddd"),
    enc("FMAXNM_s",     "000 11110 tt 1 mmmmm 0110 10 nnnnn ddddd"),
    enc("FMINNM_s",     "000 11110 tt 1 mmmmm 0111 10 nnnnn ddddd"),
    enc("FNMUL_s",      "000 11110 tt 1 mmmmm 1000 10 nnnnn ddddd"),
    // Data processing, three sources: M0S 11111 ftype o1 Rm o0 Ra Rn Rd
    enc("FMADD",        "000 11111 tt 0 mmmmm 0 aaaaa nnnnn ddddd"),
    enc("FMSUB",        "000 11111 tt 0 mmmmm 1 aaaaa nnnnn ddddd"),
    enc("FNMADD",       "000 11111 tt 1 mmmmm 0 aaaaa nnnnn ddddd"),
    enc("FNMSUB",       "000 11111 tt 1 mmmmm 1 aaaaa nnnnn ddddd"),
    // Conversion to/from integer:    sf 0 S 11110 ftype 1 rmode opcode 000000 Rn Rd
    enc("FCVTNS_g",     "z00 11110 tt 1 00 000 000000 nnnnn ddddd"),
    enc("FCVTNU_g",     "z00 11110 tt 1 00 001 000000 nnnnn ddddd"),
    enc("SCVTF_g",      "z00 11110 tt 1 00 010 000000 nnnnn ddddd"),
    enc("UCVTF_g",      "z00 11110 tt 1 00 011 000000 nnnnn ddddd"),
    enc("FCVTAS_g",     "z00 11110 tt 1 00 100 000000 nnnnn ddddd"),
    enc("FCVTAU_g",     "z00 11110 tt 1 00 101 000000 nnnnn ddddd"),
    enc("FMOV_to_gen",  "z00 11110 tt 1 00 110 000000 nnnnn ddddd"),
    enc("FMOV_from_gen","z00 11110 tt 1 00 111 000000 nnnnn ddddd"),
    enc("FCVTPS_g",     "z00 11110 tt 1 01 000 000000 nnnnn ddddd"),
    enc("FCVTPU_g",     "z00 11110 tt 1 01 001 000000 nnnnn ddddd"),
    enc("FMOV_to_gen_top",   "z00 11110 tt 1 01 110 000000 nnnnn ddddd"),
    enc("FMOV_from_gen_top", "z00 11110 tt 1 01 111 000000 nnnnn ddddd"),
    enc("FCVTMS_g",     "z00 11110 tt 1 10 000 000000 nnnnn ddddd"),
    enc("FCVTMU_g",     "z00 11110 tt 1 10 001 000000 nnnnn ddddd"),
    enc("FCVTZS_g",     "z00 11110 tt 1 11 000 000000 nnnnn ddddd"),
    enc("FCVTZU_g",     "z00 11110 tt 1 11 001 000000 nnnnn ddddd"),
    enc("FJCVTZS",      "000 11110 01 1 11 110 000000 nnnnn ddddd"),
    // Conversion to/from fixed point: sf 0 S 11110 ftype 0 rmode opcode scale Rn Rd
    enc("FCVTZS_fix",   "z00 11110 tt 0 11 000 ssssss nnnnn ddddd"),
    enc("FCVTZU_fix",   "z00 11110 tt 0 11 001 ssssss nnnnn ddddd"),
    enc("SCVTF_fix",    "z00 11110 tt 0 00 010 ssssss nnnnn ddddd"),
    enc("UCVTF_fix",    "z00 11110 tt 0 00 011 ssssss nnnnn ddddd"),
];
