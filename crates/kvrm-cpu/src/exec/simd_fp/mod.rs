//! Semantics of the `simd_fp` class: Advanced SIMD floating point, vector
//! (2S/4S/2D) and scalar forms. Each lane goes through the same `fpcore`
//! functions as the scalar instructions; FPSR flags of all lanes are OR-ed.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use crate::exec::fp::fpcore::*;
use crate::exec::fp::{expand_imm, raise, set_scalar, vlo};
use crate::exec::{ExecFn, Flow};
use crate::Cpu;

mod unary;

use unary::*;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("FMAXNM_v", v3::<OP_MAXNM>),
    ("FMLA_v", vfma::<false>),
    ("FADD_v", v3::<OP_ADD>),
    ("FMULX_v", v3::<OP_MULX>),
    ("FCMEQ_v", v3::<OP_CMEQ>),
    ("FMAX_v", v3::<OP_MAX>),
    ("FRECPS_v", v3::<OP_RECPS>),
    ("FMINNM_v", v3::<OP_MINNM>),
    ("FMLS_v", vfma::<true>),
    ("FSUB_v", v3::<OP_SUB>),
    ("FMIN_v", v3::<OP_MIN>),
    ("FRSQRTS_v", v3::<OP_RSQRTS>),
    ("FMAXNMP_v", vpair::<OP_MAXNM>),
    ("FADDP_v", vpair::<OP_ADD>),
    ("FMUL_v", v3::<OP_MUL>),
    ("FCMGE_v", v3::<OP_CMGE>),
    ("FACGE_v", v3::<OP_ACGE>),
    ("FMAXP_v", vpair::<OP_MAX>),
    ("FDIV_v", v3::<OP_DIV>),
    ("FMINNMP_v", vpair::<OP_MINNM>),
    ("FABD_v", v3::<OP_ABD>),
    ("FCMGT_v", v3::<OP_CMGT>),
    ("FACGT_v", v3::<OP_ACGT>),
    ("FMINP_v", vpair::<OP_MIN>),
    ("FMULX_sc", s3::<OP_MULX>),
    ("FCMEQ_sc", s3::<OP_CMEQ>),
    ("FRECPS_sc", s3::<OP_RECPS>),
    ("FRSQRTS_sc", s3::<OP_RSQRTS>),
    ("FCMGE_sc", s3::<OP_CMGE>),
    ("FACGE_sc", s3::<OP_ACGE>),
    ("FABD_sc", s3::<OP_ABD>),
    ("FCMGT_sc", s3::<OP_CMGT>),
    ("FACGT_sc", s3::<OP_ACGT>),
    ("FCVTN_v", fcvtn::<false>),
    ("FCVTXN_v", fcvtn::<true>),
    ("FCVTL_v", fcvtl),
    ("FRINTN_v", v1::<U_FRINTN>),
    ("FRINTM_v", v1::<U_FRINTM>),
    ("FCVTNS_v", v1::<U_CVTNS>),
    ("FCVTMS_v", v1::<U_CVTMS>),
    ("FCVTAS_v", v1::<U_CVTAS>),
    ("SCVTF_v", v1::<U_SCVTF>),
    ("FRINT32Z_v", v1::<U_FRINT32Z>),
    ("FRINT64Z_v", v1::<U_FRINT64Z>),
    ("FCMGT0_v", v1::<U_CMGT0>),
    ("FCMEQ0_v", v1::<U_CMEQ0>),
    ("FCMLT0_v", v1::<U_CMLT0>),
    ("FABS_v", v1::<U_ABS>),
    ("FRINTP_v", v1::<U_FRINTP>),
    ("FRINTZ_v", v1::<U_FRINTZ>),
    ("FCVTPS_v", v1::<U_CVTPS>),
    ("FCVTZS_v", v1::<U_CVTZS>),
    ("FRECPE_v", v1::<U_RECPE>),
    ("FRINTA_v", v1::<U_FRINTA>),
    ("FRINTX_v", v1::<U_FRINTX>),
    ("FCVTNU_v", v1::<U_CVTNU>),
    ("FCVTMU_v", v1::<U_CVTMU>),
    ("FCVTAU_v", v1::<U_CVTAU>),
    ("UCVTF_v", v1::<U_UCVTF>),
    ("FRINT32X_v", v1::<U_FRINT32X>),
    ("FRINT64X_v", v1::<U_FRINT64X>),
    ("FCMGE0_v", v1::<U_CMGE0>),
    ("FCMLE0_v", v1::<U_CMLE0>),
    ("FNEG_v", v1::<U_NEG>),
    ("FRINTI_v", v1::<U_FRINTI>),
    ("FCVTPU_v", v1::<U_CVTPU>),
    ("FCVTZU_v", v1::<U_CVTZU>),
    ("FRSQRTE_v", v1::<U_RSQRTE>),
    ("FSQRT_v", v1::<U_SQRT>),
    ("FCVTNS_sc", s1::<U_CVTNS>),
    ("FCVTMS_sc", s1::<U_CVTMS>),
    ("FCVTAS_sc", s1::<U_CVTAS>),
    ("SCVTF_sc", s1::<U_SCVTF>),
    ("FCMGT0_sc", s1::<U_CMGT0>),
    ("FCMEQ0_sc", s1::<U_CMEQ0>),
    ("FCMLT0_sc", s1::<U_CMLT0>),
    ("FCVTPS_sc", s1::<U_CVTPS>),
    ("FCVTZS_sc", s1::<U_CVTZS>),
    ("FRECPE_sc", s1::<U_RECPE>),
    ("FRECPX_sc", s1::<U_RECPX>),
    ("FCVTXN_sc", fcvtxn_sc),
    ("FCVTNU_sc", s1::<U_CVTNU>),
    ("FCVTMU_sc", s1::<U_CVTMU>),
    ("FCVTAU_sc", s1::<U_CVTAU>),
    ("UCVTF_sc", s1::<U_UCVTF>),
    ("FCMGE0_sc", s1::<U_CMGE0>),
    ("FCMLE0_sc", s1::<U_CMLE0>),
    ("FCVTPU_sc", s1::<U_CVTPU>),
    ("FCVTZU_sc", s1::<U_CVTZU>),
    ("FRSQRTE_sc", s1::<U_RSQRTE>),
    ("FMAXNMP_sc", spair::<OP_MAXNM>),
    ("FADDP_sc", spair::<OP_ADD>),
    ("FMAXP_sc", spair::<OP_MAX>),
    ("FMINNMP_sc", spair::<OP_MINNM>),
    ("FMINP_sc", spair::<OP_MIN>),
    ("FMAXNMV", across::<OP_MAXNM>),
    ("FMAXV", across::<OP_MAX>),
    ("FMINNMV", across::<OP_MINNM>),
    ("FMINV", across::<OP_MIN>),
    ("FMLA_elem", by_elem::<E_FMLA, false>),
    ("FMLS_elem", by_elem::<E_FMLS, false>),
    ("FMUL_elem", by_elem::<E_FMUL, false>),
    ("FMULX_elem", by_elem::<E_FMULX, false>),
    ("FMLA_elem_sc", by_elem::<E_FMLA, true>),
    ("FMLS_elem_sc", by_elem::<E_FMLS, true>),
    ("FMUL_elem_sc", by_elem::<E_FMUL, true>),
    ("FMULX_elem_sc", by_elem::<E_FMULX, true>),
    ("SCVTF_vfix_s", fixed::<false, false>),
    ("SCVTF_vfix_d", fixed::<false, false>),
    ("UCVTF_vfix_s", fixed::<false, false>),
    ("UCVTF_vfix_d", fixed::<false, false>),
    ("FCVTZS_vfix_s", fixed::<true, false>),
    ("FCVTZS_vfix_d", fixed::<true, false>),
    ("FCVTZU_vfix_s", fixed::<true, false>),
    ("FCVTZU_vfix_d", fixed::<true, false>),
    ("SCVTF_sfix_s", fixed::<false, true>),
    ("SCVTF_sfix_d", fixed::<false, true>),
    ("UCVTF_sfix_s", fixed::<false, true>),
    ("UCVTF_sfix_d", fixed::<false, true>),
    ("FCVTZS_sfix_s", fixed::<true, true>),
    ("FCVTZS_sfix_d", fixed::<true, true>),
    ("FCVTZU_sfix_s", fixed::<true, true>),
    ("FCVTZU_sfix_d", fixed::<true, true>),
    ("FMOV_vimm_s", fmov_vimm),
    ("FMOV_vimm_d", fmov_vimm),
];

/// Lane `i` of a vector, `T::N` bits wide.
#[inline(always)]
fn lane<T: Fmt>(v: u128, i: u32) -> u64 {
    (v >> (i * T::N)) as u64 & T::MASK
}

/// Number of lanes of a vector form (`q`: 128-bit) of format `T`.
#[inline(always)]
fn lanes<T: Fmt>(q: bool) -> u32 {
    (if q { 128 } else { 64 }) / T::N
}

/// Write a vector result: a 64-bit form clears the upper half.
#[inline(always)]
fn set_vec(cpu: &mut Cpu, d: u32, q: bool, v: u128) {
    let v = if q { v } else { v & u64::MAX as u128 };
    cpu.state.set_vreg(d, v);
}

fn map2<T: Fmt, const OP: u32>(q: bool, a: u128, b: u128, fpcr: u64, fl: &mut u32) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let mut r = 0u128;
    for i in 0..lanes::<T>(q) {
        let x = binop::<T>(OP, lane::<T>(a, i), lane::<T>(b, i), &c, fl);
        r |= (x as u128) << (i * T::N);
    }
    r
}

/// Three same (vector), lane-wise binary operations.
fn v3<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    if sz && !q {
        return cpu.undefined(w);
    }
    let a = cpu.state.vreg(rn(w));
    let b = cpu.state.vreg(rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if sz {
        map2::<D, OP>(q, a, b, fpcr, &mut fl)
    } else {
        map2::<S, OP>(q, a, b, fpcr, &mut fl)
    };
    set_vec(cpu, rd(w), q, r);
    raise(cpu, fl);
    Flow::Next
}

/// Three same (scalar).
fn s3<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let a = vlo(cpu, rn(w));
    let b = vlo(cpu, rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if bit(w, 22) {
        binop::<D>(OP, a, b, &Ctx::new::<D>(fpcr), &mut fl)
    } else {
        binop::<S>(OP, a & S::MASK, b & S::MASK, &Ctx::new::<S>(fpcr), &mut fl)
    };
    set_scalar(cpu, rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

fn map_fma<T: Fmt>(q: bool, neg: bool, d: u128, a: u128, b: u128, fpcr: u64, fl: &mut u32) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let flip = if neg { T::SIGN } else { 0 };
    let mut r = 0u128;
    for i in 0..lanes::<T>(q) {
        let x = muladd::<T>(
            lane::<T>(d, i),
            lane::<T>(a, i) ^ flip,
            lane::<T>(b, i),
            &c,
            fl,
        );
        r |= (x as u128) << (i * T::N);
    }
    r
}

/// FMLA, FMLS (vector).
fn vfma<const NEG: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    if sz && !q {
        return cpu.undefined(w);
    }
    let d = cpu.state.vreg(rd(w));
    let a = cpu.state.vreg(rn(w));
    let b = cpu.state.vreg(rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if sz {
        map_fma::<D>(q, NEG, d, a, b, fpcr, &mut fl)
    } else {
        map_fma::<S>(q, NEG, d, a, b, fpcr, &mut fl)
    };
    set_vec(cpu, rd(w), q, r);
    raise(cpu, fl);
    Flow::Next
}

fn pairwise<T: Fmt, const OP: u32>(q: bool, a: u128, b: u128, fpcr: u64, fl: &mut u32) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let n = lanes::<T>(q);
    let half = n / 2;
    let mut r = 0u128;
    for i in 0..n {
        let (src, j) = if i < half {
            (a, 2 * i)
        } else {
            (b, 2 * (i - half))
        };
        let x = binop::<T>(OP, lane::<T>(src, j), lane::<T>(src, j + 1), &c, fl);
        r |= (x as u128) << (i * T::N);
    }
    r
}

/// FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (vector).
fn vpair<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    if sz && !q {
        return cpu.undefined(w);
    }
    let a = cpu.state.vreg(rn(w));
    let b = cpu.state.vreg(rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if sz {
        pairwise::<D, OP>(q, a, b, fpcr, &mut fl)
    } else {
        pairwise::<S, OP>(q, a, b, fpcr, &mut fl)
    };
    set_vec(cpu, rd(w), q, r);
    raise(cpu, fl);
    Flow::Next
}

/// FADDP, FMAXP, FMINP, FMAXNMP, FMINNMP (scalar: the two lanes of Vn).
fn spair<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let v = cpu.state.vreg(rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if bit(w, 22) {
        binop::<D>(
            OP,
            lane::<D>(v, 0),
            lane::<D>(v, 1),
            &Ctx::new::<D>(fpcr),
            &mut fl,
        )
    } else {
        binop::<S>(
            OP,
            lane::<S>(v, 0),
            lane::<S>(v, 1),
            &Ctx::new::<S>(fpcr),
            &mut fl,
        )
    };
    set_scalar(cpu, rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

/// FMAXV, FMINV, FMAXNMV, FMINNMV (4S only): a tree reduction.
fn across<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    if !bit(w, 30) || bit(w, 22) {
        return cpu.undefined(w);
    }
    let v = cpu.state.vreg(rn(w));
    let c = Ctx::new::<S>(cpu.state.fpcr);
    let mut fl = 0;
    let lo = binop::<S>(OP, lane::<S>(v, 0), lane::<S>(v, 1), &c, &mut fl);
    let hi = binop::<S>(OP, lane::<S>(v, 2), lane::<S>(v, 3), &c, &mut fl);
    let r = binop::<S>(OP, lo, hi, &c, &mut fl);
    set_scalar(cpu, rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

fn map1<T: Fmt, const OP: u32>(q: bool, a: u128, fpcr: u64, fl: &mut u32) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let mut r = 0u128;
    for i in 0..lanes::<T>(q) {
        let x = unop::<T>(OP, lane::<T>(a, i), &c, fl);
        r |= (x as u128) << (i * T::N);
    }
    r
}

/// Two-register misc (vector), lane-wise unary operations.
fn v1<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    if sz && !q {
        return cpu.undefined(w);
    }
    let a = cpu.state.vreg(rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if sz {
        map1::<D, OP>(q, a, fpcr, &mut fl)
    } else {
        map1::<S, OP>(q, a, fpcr, &mut fl)
    };
    set_vec(cpu, rd(w), q, r);
    raise(cpu, fl);
    Flow::Next
}

/// Two-register misc (scalar).
fn s1<const OP: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let a = vlo(cpu, rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if bit(w, 22) {
        unop::<D>(OP, a, &Ctx::new::<D>(fpcr), &mut fl)
    } else {
        unop::<S>(OP, a & S::MASK, &Ctx::new::<S>(fpcr), &mut fl)
    };
    set_scalar(cpu, rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

/// FCVTN, FCVTN2 (4S to 4H, 2D to 2S) and FCVTXN, FCVTXN2 (2D to 2S, round to odd).
fn fcvtn<const ODD: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    if ODD && !sz {
        return cpu.undefined(w);
    }
    let a = cpu.state.vreg(rn(w));
    let fpcr = cpu.state.fpcr;
    let rmode = if ODD { RO } else { cpu.state.rounding_mode() };
    let mut fl = 0;
    let mut r = 0u64;
    if sz {
        for i in 0..2 {
            let x = convert::<D, S>(lane::<D>(a, i), rmode, fpcr, &mut fl);
            r |= x << (32 * i);
        }
    } else {
        for i in 0..4 {
            let x = convert::<S, H>(lane::<S>(a, i), rmode, fpcr, &mut fl);
            r |= x << (16 * i);
        }
    }
    let d = rd(w) as usize;
    if q {
        cpu.state.v[d][1] = r;
    } else {
        cpu.state.v[d] = [r, 0];
    }
    raise(cpu, fl);
    Flow::Next
}

/// FCVTXN (scalar): Sd = Dn rounded to odd.
fn fcvtxn_sc(cpu: &mut Cpu, w: u32) -> Flow {
    if !bit(w, 22) {
        return cpu.undefined(w);
    }
    let a = vlo(cpu, rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = convert::<D, S>(a, RO, fpcr, &mut fl);
    set_scalar(cpu, rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

/// FCVTL, FCVTL2 (4H to 4S, 2S to 2D; the `2` form reads the upper half).
fn fcvtl(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    let src = cpu.state.v[rn(w) as usize][q as usize];
    let fpcr = cpu.state.fpcr;
    let rmode = cpu.state.rounding_mode();
    let mut fl = 0;
    let mut r = 0u128;
    if sz {
        for i in 0..2 {
            let x = convert::<S, D>((src >> (32 * i)) & S::MASK, rmode, fpcr, &mut fl);
            r |= (x as u128) << (64 * i);
        }
    } else {
        for i in 0..4 {
            let x = convert::<H, S>((src >> (16 * i)) & H::MASK, rmode, fpcr, &mut fl);
            r |= (x as u128) << (32 * i);
        }
    }
    cpu.state.set_vreg(rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

const E_FMLA: u32 = 0;
const E_FMLS: u32 = 1;
const E_FMUL: u32 = 2;
const E_FMULX: u32 = 3;

fn elem_op<T: Fmt, const OP: u32>(
    n: usize,
    acc: u128,
    a: u128,
    e: u64,
    fpcr: u64,
    fl: &mut u32,
) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let mut r = 0u128;
    for i in 0..n as u32 {
        let x = lane::<T>(a, i);
        let y = match OP {
            E_FMLA => muladd::<T>(lane::<T>(acc, i), x, e, &c, fl),
            E_FMLS => muladd::<T>(lane::<T>(acc, i), x ^ T::SIGN, e, &c, fl),
            E_FMUL => mul::<T>(x, e, &c, fl),
            _ => mulx::<T>(x, e, &c, fl),
        };
        r |= (y as u128) << (i * T::N);
    }
    r
}

/// FMLA, FMLS, FMUL, FMULX (by element; vector or scalar).
fn by_elem<const OP: u32, const SCALAR: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    let l = bit(w, 21) as u32;
    let h = bit(w, 11) as u32;
    let m = bits(w, 16, 5);
    let idx = if sz {
        if l == 1 || (!SCALAR && !q) {
            return cpu.undefined(w);
        }
        h
    } else {
        (h << 1) | l
    };
    let vm = cpu.state.vreg(m);
    let a = cpu.state.vreg(rn(w));
    let acc = cpu.state.vreg(rd(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if sz {
        let n = if SCALAR { 1 } else { 2 };
        elem_op::<D, OP>(n, acc, a, lane::<D>(vm, idx), fpcr, &mut fl)
    } else {
        let n = if SCALAR { 1 } else { lanes::<S>(q) as usize };
        elem_op::<S, OP>(n, acc, a, lane::<S>(vm, idx), fpcr, &mut fl)
    };
    if SCALAR {
        let mask = if sz { u64::MAX } else { S::MASK };
        set_scalar(cpu, rd(w), r as u64 & mask);
    } else {
        set_vec(cpu, rd(w), q, r);
    }
    raise(cpu, fl);
    Flow::Next
}

fn fixed_lanes<T: Fmt>(
    n: u32,
    to_int: bool,
    unsigned: bool,
    fbits: u32,
    a: u128,
    fpcr: u64,
    fl: &mut u32,
) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let mut r = 0u128;
    for i in 0..n {
        let x = lane::<T>(a, i);
        let y = if to_int {
            to_fixed::<T>(x, fbits, unsigned, T::N, RZ, &c, fl)
        } else {
            from_fixed::<T>(x, fbits, unsigned, T::N, &c, fl)
        };
        r |= (y as u128) << (i * T::N);
    }
    r
}

/// SCVTF, UCVTF, FCVTZS, FCVTZU (fixed-point, vector and scalar).
fn fixed<const TO_INT: bool, const SCALAR: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let unsigned = bit(w, 29);
    let immhb = bits(w, 16, 7);
    let dbl = bit(w, 22);
    if dbl && !q && !SCALAR {
        return cpu.undefined(w);
    }
    let a = cpu.state.vreg(rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if dbl {
        let n = if SCALAR { 1 } else { 2 };
        fixed_lanes::<D>(n, TO_INT, unsigned, 128 - immhb, a, fpcr, &mut fl)
    } else {
        let n = if SCALAR { 1 } else { lanes::<S>(q) };
        fixed_lanes::<S>(n, TO_INT, unsigned, 64 - immhb, a, fpcr, &mut fl)
    };
    if SCALAR {
        set_scalar(cpu, rd(w), r as u64);
    } else {
        set_vec(cpu, rd(w), q, r);
    }
    raise(cpu, fl);
    Flow::Next
}

/// FMOV (vector, immediate): single (2S/4S) or double (2D).
fn fmov_vimm(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let imm8 = (bits(w, 16, 3) << 5) | bits(w, 5, 5);
    let v = if bit(w, 29) {
        let d = expand_imm::<D>(imm8) as u128;
        d | (d << 64)
    } else {
        let s = expand_imm::<S>(imm8) as u128;
        let s = s | (s << 32);
        s | (s << 64)
    };
    set_vec(cpu, rd(w), q, v);
    Flow::Next
}
