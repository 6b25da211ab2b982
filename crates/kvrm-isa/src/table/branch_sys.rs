//! Branches, exception generation and system instructions.
//!
//! Everything here that is not listed stops as Undefined: ERET/DRPS, the
//! pointer-authentication branches (BRAA, RETAA, ...), DCPS1-3, TCANCEL,
//! WFET/WFIT, DSB nXS, TSTART/TCOMMIT, MSR (immediate) of DAIF/SPSel/PAN/...,
//! SYS/SYSL other than the EL0 cache maintenance below, and system registers
//! other than those `exec::branch_sys::sysreg` knows.

use crate::decode::{enc, Encoding};

#[rustfmt::skip]
pub const ENTRIES: &[Encoding] = &[
    // ----- branches -------------------------------------------------------------
    enc("B",           "0 00101 iiiiiiiiiiiiiiiiiiiiiiiiii"),
    enc("BL",          "1 00101 iiiiiiiiiiiiiiiiiiiiiiiiii"),
    enc("B_cond",      "01010100 iiiiiiiiiiiiiiiiiii 0 cccc"),
    // FEAT_HBC: same semantics as B.cond (the hint only concerns prediction).
    enc("BC_cond",     "01010100 iiiiiiiiiiiiiiiiiii 1 cccc"),
    //                  sf         op imm19               Rt
    enc("CBZ",         "z  011010 0  iiiiiiiiiiiiiiiiiii ttttt"),
    enc("CBNZ",        "z  011010 1  iiiiiiiiiiiiiiiiiii ttttt"),
    //                  b5         op b40   imm14          Rt
    enc("TBZ",         "b  011011 0  bbbbb iiiiiiiiiiiiii ttttt"),
    enc("TBNZ",        "b  011011 1  bbbbb iiiiiiiiiiiiii ttttt"),
    //                            opc  op2   op3    Rn    op4
    enc("BR",          "1101011 0000 11111 000000 nnnnn 00000"),
    enc("BLR",         "1101011 0001 11111 000000 nnnnn 00000"),
    enc("RET",         "1101011 0010 11111 000000 nnnnn 00000"),
    // ----- exception generation ------------------------------------------------
    //                           opc imm16            op2 LL
    enc("SVC",         "11010100 000 iiiiiiiiiiiiiiii 000 01"),
    enc("HVC",         "11010100 000 iiiiiiiiiiiiiiii 000 10"),
    enc("SMC",         "11010100 000 iiiiiiiiiiiiiiii 000 11"),
    enc("BRK",         "11010100 001 iiiiiiiiiiiiiiii 000 00"),
    enc("HLT",         "11010100 010 iiiiiiiiiiiiiiii 000 00"),
    // ----- hints, barriers, PSTATE ---------------------------------------------
    //                                   CRn  CRm  op2 Rt
    enc("NOP",         "11010101 00000011 0010 0000 000 11111"),
    // Every other hint (YIELD, WFE, WFI, SEV, SEVL, DGH, ESB, PSB, TSB, CSDB,
    // BTI, PAC*/AUT* hints, XPACLRI, ...): executes as NOP.
    enc("HINT",        "11010101 00000011 0010 mmmm ooo 11111"),
    enc("CLREX",       "11010101 00000011 0011 mmmm 010 11111"),
    enc("DSB",         "11010101 00000011 0011 mmmm 100 11111"),
    enc("DMB",         "11010101 00000011 0011 mmmm 101 11111"),
    enc("ISB",         "11010101 00000011 0011 mmmm 110 11111"),
    enc("SB",          "11010101 00000011 0011 0000 111 11111"),
    enc("CFINV",       "11010101 00000000 0100 0000 000 11111"),
    enc("XAFLAG",      "11010101 00000000 0100 0000 001 11111"),
    enc("AXFLAG",      "11010101 00000000 0100 0000 010 11111"),
    // ----- flag manipulation (data-processing register space) ------------------
    //                  sf op S          imm6          Rn    o2 mask
    enc("RMIF",        "1  0  1 11010000 iiiiii 00001 nnnnn 0  mmmm"),
    //                                   opcode2 sz
    enc("SETF8",       "0  0  1 11010000 000000  0 0010 nnnnn 0 1101"),
    enc("SETF16",      "0  0  1 11010000 000000  1 0010 nnnnn 0 1101"),
    // ----- system register moves (op0 = 2 + o0) --------------------------------
    //                             L  1 o0 op1 CRn  CRm  op2 Rt
    enc("MSR_reg",     "1101010100 0  1 s  ooo nnnn mmmm ppp ttttt"),
    enc("MRS",         "1101010100 1  1 s  ooo nnnn mmmm ppp ttttt"),
    // ----- SYS: the cache maintenance EL0 may use ------------------------------
    //                             L  op0 op1 CRn  CRm  op2 Rt
    enc("DC_ZVA",      "1101010100 0  01  011 0111 0100 001 ttttt"),
    enc("IC_IVAU",     "1101010100 0  01  011 0111 0101 001 ttttt"),
    enc("DC_CVAC",     "1101010100 0  01  011 0111 1010 001 ttttt"),
    enc("DC_CVAU",     "1101010100 0  01  011 0111 1011 001 ttttt"),
    enc("DC_CVAP",     "1101010100 0  01  011 0111 1100 001 ttttt"),
    enc("DC_CVADP",    "1101010100 0  01  011 0111 1101 001 ttttt"),
    enc("DC_CIVAC",    "1101010100 0  01  011 0111 1110 001 ttttt"),
];
