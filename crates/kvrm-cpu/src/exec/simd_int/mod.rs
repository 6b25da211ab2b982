//! Semantics of the `simd_int` class: Advanced SIMD integer data processing.
//!
//! Every handler is generic over a compile-time opcode `K` (usually
//! `U << 5 | opcode` of its Arm ARM group), so the `match K` in the element
//! function folds away and each handler is a straight element loop. Lanes are
//! read from and written to a `u128` by index and element size, so one function
//! serves every arrangement (8B..2D) and the scalar forms (one lane).
//! Results are built from zero, which zeroes the upper 64 bits of a Q=0 result
//! and everything above a scalar result, as the architecture requires.

use kvrm_isa::state::FPSR_QC;

use crate::exec::ExecFn;
use crate::Cpu;

mod diff;
mod misc;
mod same;
mod shift;

use diff::{diff_s, diff_v, dot_v, elem_s, elem_v};
use misc::{across, addp_s, misc_s, misc_v};
use same::{logic, same_s, same_v};
use shift::{mod_imm, shift_s, shift_v};

/// All-ones in the low `esize` bits.
#[inline(always)]
pub(crate) const fn mask(esize: u32) -> u64 {
    if esize >= 64 {
        !0
    } else {
        (1u64 << esize) - 1
    }
}

/// Element `i` of size `esize` (zero-extended).
#[inline(always)]
pub(crate) fn elem(v: u128, i: u32, esize: u32) -> u64 {
    ((v >> (i * esize)) as u64) & mask(esize)
}

/// Or element `i` (its low `esize` bits) into `r`, which must be zero there.
#[inline(always)]
pub(crate) fn put(r: &mut u128, i: u32, esize: u32, x: u64) {
    *r |= ((x & mask(esize)) as u128) << (i * esize);
}

/// The low `esize` bits of `x` as a signed value.
#[inline(always)]
pub(crate) const fn sx(x: u64, esize: u32) -> i64 {
    ((x << (64 - esize)) as i64) >> (64 - esize)
}

/// The element value as a mathematical integer, signed or unsigned.
#[inline(always)]
pub(crate) const fn ival(x: u64, esize: u32, unsigned: bool) -> i128 {
    if unsigned {
        (x & mask(esize)) as i128
    } else {
        sx(x, esize) as i128
    }
}

/// `SatQ(x, esize, unsigned)`: the saturated low bits; sets `qc` on saturation.
#[inline(always)]
pub(crate) fn sat(x: i128, esize: u32, unsigned: bool, qc: &mut bool) -> u64 {
    let (min, max) = if unsigned {
        (0i128, ((1u128 << esize) - 1) as i128)
    } else {
        (-(1i128 << (esize - 1)), (1i128 << (esize - 1)) - 1)
    };
    if x > max {
        *qc = true;
        max as u64
    } else if x < min {
        *qc = true;
        min as u64
    } else {
        x as u64
    }
}

/// Write a vector result and set FPSR.QC (sticky) if any lane saturated.
#[inline(always)]
pub(crate) fn finish(cpu: &mut Cpu, d: u32, r: u128, qc: bool) {
    cpu.state.set_vreg(d, r);
    if qc {
        cpu.state.fpsr |= FPSR_QC;
    }
}

/// Clear the upper 64 bits unless `q`.
#[inline(always)]
pub(crate) const fn half(v: u128, q: bool) -> u128 {
    if q {
        v
    } else {
        v & (u64::MAX as u128)
    }
}

// Opcode keys: U << 5 | opcode (three same / two-reg misc / shift by immediate / across),
// U << 4 | opcode (three different, by element).
const fn k5(u: u32, op: u32) -> u32 {
    (u << 5) | op
}
const fn k4(u: u32, op: u32) -> u32 {
    (u << 4) | op
}

pub const HANDLERS: &[(&str, ExecFn)] = &[
    // three same, vector
    ("SHADD_v", same_v::<{ k5(0, 0x00) }>),
    ("UHADD_v", same_v::<{ k5(1, 0x00) }>),
    ("SQADD_v", same_v::<{ k5(0, 0x01) }>),
    ("UQADD_v", same_v::<{ k5(1, 0x01) }>),
    ("SRHADD_v", same_v::<{ k5(0, 0x02) }>),
    ("URHADD_v", same_v::<{ k5(1, 0x02) }>),
    ("AND_v", logic::<0>),
    ("BIC_v", logic::<1>),
    ("ORR_v", logic::<2>),
    ("ORN_v", logic::<3>),
    ("EOR_v", logic::<4>),
    ("BSL_v", logic::<5>),
    ("BIT_v", logic::<6>),
    ("BIF_v", logic::<7>),
    ("SHSUB_v", same_v::<{ k5(0, 0x04) }>),
    ("UHSUB_v", same_v::<{ k5(1, 0x04) }>),
    ("SQSUB_v", same_v::<{ k5(0, 0x05) }>),
    ("UQSUB_v", same_v::<{ k5(1, 0x05) }>),
    ("CMGT_v", same_v::<{ k5(0, 0x06) }>),
    ("CMHI_v", same_v::<{ k5(1, 0x06) }>),
    ("CMGE_v", same_v::<{ k5(0, 0x07) }>),
    ("CMHS_v", same_v::<{ k5(1, 0x07) }>),
    ("SSHL_v", same_v::<{ k5(0, 0x08) }>),
    ("USHL_v", same_v::<{ k5(1, 0x08) }>),
    ("SQSHL_v", same_v::<{ k5(0, 0x09) }>),
    ("UQSHL_v", same_v::<{ k5(1, 0x09) }>),
    ("SRSHL_v", same_v::<{ k5(0, 0x0a) }>),
    ("URSHL_v", same_v::<{ k5(1, 0x0a) }>),
    ("SQRSHL_v", same_v::<{ k5(0, 0x0b) }>),
    ("UQRSHL_v", same_v::<{ k5(1, 0x0b) }>),
    ("SMAX_v", same_v::<{ k5(0, 0x0c) }>),
    ("UMAX_v", same_v::<{ k5(1, 0x0c) }>),
    ("SMIN_v", same_v::<{ k5(0, 0x0d) }>),
    ("UMIN_v", same_v::<{ k5(1, 0x0d) }>),
    ("SABD_v", same_v::<{ k5(0, 0x0e) }>),
    ("UABD_v", same_v::<{ k5(1, 0x0e) }>),
    ("SABA_v", same_v::<{ k5(0, 0x0f) }>),
    ("UABA_v", same_v::<{ k5(1, 0x0f) }>),
    ("ADD_v", same_v::<{ k5(0, 0x10) }>),
    ("SUB_v", same_v::<{ k5(1, 0x10) }>),
    ("CMTST_v", same_v::<{ k5(0, 0x11) }>),
    ("CMEQ_v", same_v::<{ k5(1, 0x11) }>),
    ("MLA_v", same_v::<{ k5(0, 0x12) }>),
    ("MLS_v", same_v::<{ k5(1, 0x12) }>),
    ("MUL_v", same_v::<{ k5(0, 0x13) }>),
    ("PMUL_v", same_v::<{ k5(1, 0x13) }>),
    ("SMAXP_v", same_v::<{ k5(0, 0x14) }>),
    ("UMAXP_v", same_v::<{ k5(1, 0x14) }>),
    ("SMINP_v", same_v::<{ k5(0, 0x15) }>),
    ("UMINP_v", same_v::<{ k5(1, 0x15) }>),
    ("SQDMULH_v", same_v::<{ k5(0, 0x16) }>),
    ("SQRDMULH_v", same_v::<{ k5(1, 0x16) }>),
    ("ADDP_v", same_v::<{ k5(0, 0x17) }>),
    // three same, scalar
    ("SQADD_s", same_s::<{ k5(0, 0x01) }>),
    ("UQADD_s", same_s::<{ k5(1, 0x01) }>),
    ("SQSUB_s", same_s::<{ k5(0, 0x05) }>),
    ("UQSUB_s", same_s::<{ k5(1, 0x05) }>),
    ("CMGT_s", same_s::<{ k5(0, 0x06) }>),
    ("CMHI_s", same_s::<{ k5(1, 0x06) }>),
    ("CMGE_s", same_s::<{ k5(0, 0x07) }>),
    ("CMHS_s", same_s::<{ k5(1, 0x07) }>),
    ("SSHL_s", same_s::<{ k5(0, 0x08) }>),
    ("USHL_s", same_s::<{ k5(1, 0x08) }>),
    ("SQSHL_s", same_s::<{ k5(0, 0x09) }>),
    ("UQSHL_s", same_s::<{ k5(1, 0x09) }>),
    ("SRSHL_s", same_s::<{ k5(0, 0x0a) }>),
    ("URSHL_s", same_s::<{ k5(1, 0x0a) }>),
    ("SQRSHL_s", same_s::<{ k5(0, 0x0b) }>),
    ("UQRSHL_s", same_s::<{ k5(1, 0x0b) }>),
    ("ADD_s", same_s::<{ k5(0, 0x10) }>),
    ("SUB_s", same_s::<{ k5(1, 0x10) }>),
    ("CMTST_s", same_s::<{ k5(0, 0x11) }>),
    ("CMEQ_s", same_s::<{ k5(1, 0x11) }>),
    ("SQDMULH_s", same_s::<{ k5(0, 0x16) }>),
    ("SQRDMULH_s", same_s::<{ k5(1, 0x16) }>),
    // three different
    ("SADDL_v", diff_v::<{ k4(0, 0x0) }>),
    ("UADDL_v", diff_v::<{ k4(1, 0x0) }>),
    ("SADDW_v", diff_v::<{ k4(0, 0x1) }>),
    ("UADDW_v", diff_v::<{ k4(1, 0x1) }>),
    ("SSUBL_v", diff_v::<{ k4(0, 0x2) }>),
    ("USUBL_v", diff_v::<{ k4(1, 0x2) }>),
    ("SSUBW_v", diff_v::<{ k4(0, 0x3) }>),
    ("USUBW_v", diff_v::<{ k4(1, 0x3) }>),
    ("ADDHN_v", diff_v::<{ k4(0, 0x4) }>),
    ("RADDHN_v", diff_v::<{ k4(1, 0x4) }>),
    ("SABAL_v", diff_v::<{ k4(0, 0x5) }>),
    ("UABAL_v", diff_v::<{ k4(1, 0x5) }>),
    ("SUBHN_v", diff_v::<{ k4(0, 0x6) }>),
    ("RSUBHN_v", diff_v::<{ k4(1, 0x6) }>),
    ("SABDL_v", diff_v::<{ k4(0, 0x7) }>),
    ("UABDL_v", diff_v::<{ k4(1, 0x7) }>),
    ("SMLAL_v", diff_v::<{ k4(0, 0x8) }>),
    ("UMLAL_v", diff_v::<{ k4(1, 0x8) }>),
    ("SQDMLAL_v", diff_v::<{ k4(0, 0x9) }>),
    ("SMLSL_v", diff_v::<{ k4(0, 0xa) }>),
    ("UMLSL_v", diff_v::<{ k4(1, 0xa) }>),
    ("SQDMLSL_v", diff_v::<{ k4(0, 0xb) }>),
    ("SMULL_v", diff_v::<{ k4(0, 0xc) }>),
    ("UMULL_v", diff_v::<{ k4(1, 0xc) }>),
    ("SQDMULL_v", diff_v::<{ k4(0, 0xd) }>),
    ("PMULL_v", diff_v::<{ k4(0, 0xe) }>),
    ("SQDMLAL_s", diff_s::<{ k4(0, 0x9) }>),
    ("SQDMLSL_s", diff_s::<{ k4(0, 0xb) }>),
    ("SQDMULL_s", diff_s::<{ k4(0, 0xd) }>),
    // two-register miscellaneous
    ("REV64_v", misc_v::<{ k5(0, 0x00) }>),
    ("REV32_v", misc_v::<{ k5(1, 0x00) }>),
    ("REV16_v", misc_v::<{ k5(0, 0x01) }>),
    ("SADDLP_v", misc_v::<{ k5(0, 0x02) }>),
    ("UADDLP_v", misc_v::<{ k5(1, 0x02) }>),
    ("SUQADD_v", misc_v::<{ k5(0, 0x03) }>),
    ("USQADD_v", misc_v::<{ k5(1, 0x03) }>),
    ("CLS_v", misc_v::<{ k5(0, 0x04) }>),
    ("CLZ_v", misc_v::<{ k5(1, 0x04) }>),
    ("CNT_v", misc_v::<{ k5(0, 0x05) }>),
    ("NOT_v", misc_v::<{ k5(1, 0x05) }>),
    ("RBIT_v", misc_v::<{ k5(1, 0x1f) }>),
    ("SADALP_v", misc_v::<{ k5(0, 0x06) }>),
    ("UADALP_v", misc_v::<{ k5(1, 0x06) }>),
    ("SQABS_v", misc_v::<{ k5(0, 0x07) }>),
    ("SQNEG_v", misc_v::<{ k5(1, 0x07) }>),
    ("CMGT_vz", misc_v::<{ k5(0, 0x08) }>),
    ("CMGE_vz", misc_v::<{ k5(1, 0x08) }>),
    ("CMEQ_vz", misc_v::<{ k5(0, 0x09) }>),
    ("CMLE_vz", misc_v::<{ k5(1, 0x09) }>),
    ("CMLT_vz", misc_v::<{ k5(0, 0x0a) }>),
    ("ABS_v", misc_v::<{ k5(0, 0x0b) }>),
    ("NEG_v", misc_v::<{ k5(1, 0x0b) }>),
    ("XTN_v", misc_v::<{ k5(0, 0x12) }>),
    ("SQXTUN_v", misc_v::<{ k5(1, 0x12) }>),
    ("SHLL_v", misc_v::<{ k5(1, 0x13) }>),
    ("SQXTN_v", misc_v::<{ k5(0, 0x14) }>),
    ("UQXTN_v", misc_v::<{ k5(1, 0x14) }>),
    ("SUQADD_s", misc_s::<{ k5(0, 0x03) }>),
    ("USQADD_s", misc_s::<{ k5(1, 0x03) }>),
    ("SQABS_s", misc_s::<{ k5(0, 0x07) }>),
    ("SQNEG_s", misc_s::<{ k5(1, 0x07) }>),
    ("CMGT_sz", misc_s::<{ k5(0, 0x08) }>),
    ("CMGE_sz", misc_s::<{ k5(1, 0x08) }>),
    ("CMEQ_sz", misc_s::<{ k5(0, 0x09) }>),
    ("CMLE_sz", misc_s::<{ k5(1, 0x09) }>),
    ("CMLT_sz", misc_s::<{ k5(0, 0x0a) }>),
    ("ABS_s", misc_s::<{ k5(0, 0x0b) }>),
    ("NEG_s", misc_s::<{ k5(1, 0x0b) }>),
    ("SQXTUN_s", misc_s::<{ k5(1, 0x12) }>),
    ("SQXTN_s", misc_s::<{ k5(0, 0x14) }>),
    ("UQXTN_s", misc_s::<{ k5(1, 0x14) }>),
    // across lanes, scalar pairwise
    ("SADDLV", across::<{ k5(0, 0x03) }>),
    ("UADDLV", across::<{ k5(1, 0x03) }>),
    ("SMAXV", across::<{ k5(0, 0x0a) }>),
    ("UMAXV", across::<{ k5(1, 0x0a) }>),
    ("SMINV", across::<{ k5(0, 0x1a) }>),
    ("UMINV", across::<{ k5(1, 0x1a) }>),
    ("ADDV", across::<{ k5(0, 0x1b) }>),
    ("ADDP_s", addp_s),
    // shift by immediate
    ("SSHR_vi", shift_v::<{ k5(0, 0x00) }>),
    ("USHR_vi", shift_v::<{ k5(1, 0x00) }>),
    ("SSRA_vi", shift_v::<{ k5(0, 0x02) }>),
    ("USRA_vi", shift_v::<{ k5(1, 0x02) }>),
    ("SRSHR_vi", shift_v::<{ k5(0, 0x04) }>),
    ("URSHR_vi", shift_v::<{ k5(1, 0x04) }>),
    ("SRSRA_vi", shift_v::<{ k5(0, 0x06) }>),
    ("URSRA_vi", shift_v::<{ k5(1, 0x06) }>),
    ("SRI_vi", shift_v::<{ k5(1, 0x08) }>),
    ("SHL_vi", shift_v::<{ k5(0, 0x0a) }>),
    ("SLI_vi", shift_v::<{ k5(1, 0x0a) }>),
    ("SQSHLU_vi", shift_v::<{ k5(1, 0x0c) }>),
    ("SQSHL_vi", shift_v::<{ k5(0, 0x0e) }>),
    ("UQSHL_vi", shift_v::<{ k5(1, 0x0e) }>),
    ("SHRN_vi", shift_v::<{ k5(0, 0x10) }>),
    ("SQSHRUN_vi", shift_v::<{ k5(1, 0x10) }>),
    ("RSHRN_vi", shift_v::<{ k5(0, 0x11) }>),
    ("SQRSHRUN_vi", shift_v::<{ k5(1, 0x11) }>),
    ("SQSHRN_vi", shift_v::<{ k5(0, 0x12) }>),
    ("UQSHRN_vi", shift_v::<{ k5(1, 0x12) }>),
    ("SQRSHRN_vi", shift_v::<{ k5(0, 0x13) }>),
    ("UQRSHRN_vi", shift_v::<{ k5(1, 0x13) }>),
    ("SSHLL_vi", shift_v::<{ k5(0, 0x14) }>),
    ("USHLL_vi", shift_v::<{ k5(1, 0x14) }>),
    ("SSHR_si", shift_s::<{ k5(0, 0x00) }>),
    ("USHR_si", shift_s::<{ k5(1, 0x00) }>),
    ("SSRA_si", shift_s::<{ k5(0, 0x02) }>),
    ("USRA_si", shift_s::<{ k5(1, 0x02) }>),
    ("SRSHR_si", shift_s::<{ k5(0, 0x04) }>),
    ("URSHR_si", shift_s::<{ k5(1, 0x04) }>),
    ("SRSRA_si", shift_s::<{ k5(0, 0x06) }>),
    ("URSRA_si", shift_s::<{ k5(1, 0x06) }>),
    ("SRI_si", shift_s::<{ k5(1, 0x08) }>),
    ("SHL_si", shift_s::<{ k5(0, 0x0a) }>),
    ("SLI_si", shift_s::<{ k5(1, 0x0a) }>),
    ("SQSHLU_si", shift_s::<{ k5(1, 0x0c) }>),
    ("SQSHL_si", shift_s::<{ k5(0, 0x0e) }>),
    ("UQSHL_si", shift_s::<{ k5(1, 0x0e) }>),
    ("SQSHRUN_si", shift_s::<{ k5(1, 0x10) }>),
    ("SQRSHRUN_si", shift_s::<{ k5(1, 0x11) }>),
    ("SQSHRN_si", shift_s::<{ k5(0, 0x12) }>),
    ("UQSHRN_si", shift_s::<{ k5(1, 0x12) }>),
    ("SQRSHRN_si", shift_s::<{ k5(0, 0x13) }>),
    ("UQRSHRN_si", shift_s::<{ k5(1, 0x13) }>),
    // modified immediate
    ("MOVI_32", mod_imm),
    ("ORR_v_imm32", mod_imm),
    ("MOVI_16", mod_imm),
    ("ORR_v_imm16", mod_imm),
    ("MOVI_msl", mod_imm),
    ("MOVI_8", mod_imm),
    ("MVNI_32", mod_imm),
    ("BIC_v_imm32", mod_imm),
    ("MVNI_16", mod_imm),
    ("BIC_v_imm16", mod_imm),
    ("MVNI_msl", mod_imm),
    ("MOVI_64", mod_imm),
    // by element
    ("MLA_ve", elem_v::<{ k4(1, 0x0) }>),
    ("SMLAL_ve", elem_v::<{ k4(0, 0x2) }>),
    ("UMLAL_ve", elem_v::<{ k4(1, 0x2) }>),
    ("SQDMLAL_ve", elem_v::<{ k4(0, 0x3) }>),
    ("MLS_ve", elem_v::<{ k4(1, 0x4) }>),
    ("SMLSL_ve", elem_v::<{ k4(0, 0x6) }>),
    ("UMLSL_ve", elem_v::<{ k4(1, 0x6) }>),
    ("SQDMLSL_ve", elem_v::<{ k4(0, 0x7) }>),
    ("MUL_ve", elem_v::<{ k4(0, 0x8) }>),
    ("SMULL_ve", elem_v::<{ k4(0, 0xa) }>),
    ("UMULL_ve", elem_v::<{ k4(1, 0xa) }>),
    ("SQDMULL_ve", elem_v::<{ k4(0, 0xb) }>),
    ("SQDMULH_ve", elem_v::<{ k4(0, 0xc) }>),
    ("SQRDMULH_ve", elem_v::<{ k4(0, 0xd) }>),
    ("SDOT_ve", elem_v::<{ k4(0, 0xe) }>),
    ("UDOT_ve", elem_v::<{ k4(1, 0xe) }>),
    ("SQDMLAL_se", elem_s::<{ k4(0, 0x3) }>),
    ("SQDMLSL_se", elem_s::<{ k4(0, 0x7) }>),
    ("SQDMULL_se", elem_s::<{ k4(0, 0xb) }>),
    ("SQDMULH_se", elem_s::<{ k4(0, 0xc) }>),
    ("SQRDMULH_se", elem_s::<{ k4(0, 0xd) }>),
    ("SQRDMLAH_ve", elem_v::<{ k4(1, 0xd) }>),
    ("SQRDMLSH_ve", elem_v::<{ k4(1, 0xf) }>),
    ("SQRDMLAH_se", elem_s::<{ k4(1, 0xd) }>),
    ("SQRDMLSH_se", elem_s::<{ k4(1, 0xf) }>),
    // three same extra
    ("SQRDMLAH_v", same_v::<{ k5(1, 0x18) }>),
    ("SQRDMLSH_v", same_v::<{ k5(1, 0x19) }>),
    ("SQRDMLAH_s", same_s::<{ k5(1, 0x18) }>),
    ("SQRDMLSH_s", same_s::<{ k5(1, 0x19) }>),
    ("SDOT_v", dot_v::<false>),
    ("UDOT_v", dot_v::<true>),
];
