//! The Cryptographic Extension: AES (FEAT_AES), SHA-1 and SHA-256
//! (FEAT_SHA1, FEAT_SHA256), SHA-512 (FEAT_SHA512) and the SHA-3 helpers
//! (FEAT_SHA3: EOR3, BCAX, RAX1, XAR). PMULL of 64-bit elements (FEAT_PMULL)
//! is PMULL_v in simd_int. SM3 and SM4 are not implemented (and not
//! advertised): their encodings stay undefined.
//!
//! Each entry fixes its group's bits (AES and two-register SHA: bits 31..24 =
//! 01001110 / 01011110 with bits 21..17 = 10100; three-register SHA:
//! 01011110 with bit 21 = 0; SHA-512 and SHA-3: 11001110), which no other
//! class uses. Field letters: m/n/d/a = Rm/Rn/Rd/Ra, i = imm6.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    // Cryptographic AES:        size         opcode      Rn    Rd
    enc("AESE",       "01001110 00 10100 00100 10 nnnnn ddddd"),
    enc("AESD",       "01001110 00 10100 00101 10 nnnnn ddddd"),
    enc("AESMC",      "01001110 00 10100 00110 10 nnnnn ddddd"),
    enc("AESIMC",     "01001110 00 10100 00111 10 nnnnn ddddd"),
    // Cryptographic three-register SHA: size  Rm   opcode   Rn    Rd
    enc("SHA1C",      "01011110 00 0 mmmmm 0 000 00 nnnnn ddddd"),
    enc("SHA1P",      "01011110 00 0 mmmmm 0 001 00 nnnnn ddddd"),
    enc("SHA1M",      "01011110 00 0 mmmmm 0 010 00 nnnnn ddddd"),
    enc("SHA1SU0",    "01011110 00 0 mmmmm 0 011 00 nnnnn ddddd"),
    enc("SHA256H",    "01011110 00 0 mmmmm 0 100 00 nnnnn ddddd"),
    enc("SHA256H2",   "01011110 00 0 mmmmm 0 101 00 nnnnn ddddd"),
    enc("SHA256SU1",  "01011110 00 0 mmmmm 0 110 00 nnnnn ddddd"),
    // Cryptographic two-register SHA:       opcode      Rn    Rd
    enc("SHA1H",      "01011110 00 10100 00000 10 nnnnn ddddd"),
    enc("SHA1SU1",    "01011110 00 10100 00001 10 nnnnn ddddd"),
    enc("SHA256SU0",  "01011110 00 10100 00010 10 nnnnn ddddd"),
    // Cryptographic three-register SHA512:  Rm  O    opcode Rn    Rd
    enc("SHA512H",    "11001110 011 mmmmm 1 0 00 00 nnnnn ddddd"),
    enc("SHA512H2",   "11001110 011 mmmmm 1 0 00 01 nnnnn ddddd"),
    enc("SHA512SU1",  "11001110 011 mmmmm 1 0 00 10 nnnnn ddddd"),
    enc("RAX1",       "11001110 011 mmmmm 1 0 00 11 nnnnn ddddd"),
    // Cryptographic two-register SHA512:             opcode Rn    Rd
    enc("SHA512SU0",  "11001110 110 00000 1 0 00 00 nnnnn ddddd"),
    // Cryptographic four-register:   Op0  Rm       Ra    Rn    Rd
    enc("EOR3",       "11001110 0 00 mmmmm 0 aaaaa nnnnn ddddd"),
    enc("BCAX",       "11001110 0 01 mmmmm 0 aaaaa nnnnn ddddd"),
    // XAR:                                Rm    imm6   Rn    Rd
    enc("XAR",        "11001110 100 mmmmm iiiiii nnnnn ddddd"),
];
