//! Exclusive, acquire/release (incl. RCpc) and LSE atomic memory instructions.
//!
//! Ordering variants share an entry with their plain form (the interpreter is
//! single-threaded and executes in program order): `o0`/`A`/`R` bits are
//! don't-care where they only select acquire/release semantics.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    // ----- load/store exclusive, ordered, compare and swap ---------------------
    //                  size        o2 L o1 Rs    o0 Rt2   Rn    Rt
    // STXR/STLXR (o0 = release), B/H/W/X by size.
    enc("STXR",        "ss 001000 0  0 0  sssss o  ----- nnnnn ttttt"),
    // LDXR/LDAXR.
    enc("LDXR",        "ss 001000 0  1 0  ----- o  ----- nnnnn ttttt"),
    // STXP/STLXP and LDXP/LDAXP (size = 1:sz).
    enc("STXP",        "1z 001000 0  0 1  sssss o  ----- nnnnn ttttt"),
    enc("LDXP",        "1z 001000 0  1 1  ----- o  ----- nnnnn ttttt"),
    // CASP/CASPA/CASPL/CASPAL (size = 0:sz).
    enc("CASP",        "0z 001000 0  l 1  sssss o  11111 nnnnn ttttt"),
    // STLR (o0 = 1) and STLLR (o0 = 0, FEAT_LOR).
    enc("STLR",        "ss 001000 1  0 0  ----- o  ----- nnnnn ttttt"),
    // LDAR (o0 = 1) and LDLAR (o0 = 0, FEAT_LOR).
    enc("LDAR",        "ss 001000 1  1 0  ----- o  ----- nnnnn ttttt"),
    // CAS/CASA/CASL/CASAL.
    enc("CAS",         "ss 001000 1  l 1  sssss o  11111 nnnnn ttttt"),
    // ----- RCpc unscaled (FEAT_LRCPC2): STLUR*, LDAPUR*, LDAPURS* --------------
    //                  size        opc   imm9         Rn    Rt
    enc("RCPC_unscaled", "ss 011001 oo 0 iiiiiiiii 00 nnnnn ttttt"),
    // ----- LSE atomic memory operations (ST* aliases: A = 0, Rt = XZR) ---------
    //                  size     V     A R   Rs    o3 opc    Rn    Rt
    enc("LDADD",       "ss 111 0 00 a r 1 sssss 0  000 00 nnnnn ttttt"),
    enc("LDCLR",       "ss 111 0 00 a r 1 sssss 0  001 00 nnnnn ttttt"),
    enc("LDEOR",       "ss 111 0 00 a r 1 sssss 0  010 00 nnnnn ttttt"),
    enc("LDSET",       "ss 111 0 00 a r 1 sssss 0  011 00 nnnnn ttttt"),
    enc("LDSMAX",      "ss 111 0 00 a r 1 sssss 0  100 00 nnnnn ttttt"),
    enc("LDSMIN",      "ss 111 0 00 a r 1 sssss 0  101 00 nnnnn ttttt"),
    enc("LDUMAX",      "ss 111 0 00 a r 1 sssss 0  110 00 nnnnn ttttt"),
    enc("LDUMIN",      "ss 111 0 00 a r 1 sssss 0  111 00 nnnnn ttttt"),
    enc("SWP",         "ss 111 0 00 a r 1 sssss 1  000 00 nnnnn ttttt"),
    // LDAPR/LDAPRB/LDAPRH (FEAT_LRCPC).
    enc("LDAPR",       "ss 111 0 00 1 0 1 11111 1  100 00 nnnnn ttttt"),
];
