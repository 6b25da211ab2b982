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
    ("FMAXNM_v", vector::<Bin<OP_MAXNM>>),
    ("FMLA_v", vector::<Fma<false>>),
    ("FADD_v", vector::<Bin<OP_ADD>>),
    ("FMULX_v", vector::<Bin<OP_MULX>>),
    ("FCMEQ_v", vector::<Bin<OP_CMEQ>>),
    ("FMAX_v", vector::<Bin<OP_MAX>>),
    ("FRECPS_v", vector::<Bin<OP_RECPS>>),
    ("FMINNM_v", vector::<Bin<OP_MINNM>>),
    ("FMLS_v", vector::<Fma<true>>),
    ("FSUB_v", vector::<Bin<OP_SUB>>),
    ("FMIN_v", vector::<Bin<OP_MIN>>),
    ("FRSQRTS_v", vector::<Bin<OP_RSQRTS>>),
    ("FMAXNMP_v", vector::<Pair<OP_MAXNM>>),
    ("FADDP_v", vector::<Pair<OP_ADD>>),
    ("FMUL_v", vector::<Bin<OP_MUL>>),
    ("FCMGE_v", vector::<Bin<OP_CMGE>>),
    ("FACGE_v", vector::<Bin<OP_ACGE>>),
    ("FMAXP_v", vector::<Pair<OP_MAX>>),
    ("FDIV_v", vector::<Bin<OP_DIV>>),
    ("FMINNMP_v", vector::<Pair<OP_MINNM>>),
    ("FABD_v", vector::<Bin<OP_ABD>>),
    ("FCMGT_v", vector::<Bin<OP_CMGT>>),
    ("FACGT_v", vector::<Bin<OP_ACGT>>),
    ("FMINP_v", vector::<Pair<OP_MIN>>),
    ("FMULX_sc", scalar::<Bin<OP_MULX>>),
    ("FCMEQ_sc", scalar::<Bin<OP_CMEQ>>),
    ("FRECPS_sc", scalar::<Bin<OP_RECPS>>),
    ("FRSQRTS_sc", scalar::<Bin<OP_RSQRTS>>),
    ("FCMGE_sc", scalar::<Bin<OP_CMGE>>),
    ("FACGE_sc", scalar::<Bin<OP_ACGE>>),
    ("FABD_sc", scalar::<Bin<OP_ABD>>),
    ("FCMGT_sc", scalar::<Bin<OP_CMGT>>),
    ("FACGT_sc", scalar::<Bin<OP_ACGT>>),
    ("FCVTN_v", fcvtn::<false>),
    ("FCVTXN_v", fcvtn::<true>),
    ("FCVTL_v", fcvtl),
    ("FRINTN_v", vector::<Un<U_FRINTN>>),
    ("FRINTM_v", vector::<Un<U_FRINTM>>),
    ("FCVTNS_v", vector::<Un<U_CVTNS>>),
    ("FCVTMS_v", vector::<Un<U_CVTMS>>),
    ("FCVTAS_v", vector::<Un<U_CVTAS>>),
    ("SCVTF_v", vector::<Un<U_SCVTF>>),
    ("FRINT32Z_v", vector::<Un<U_FRINT32Z>>),
    ("FRINT64Z_v", vector::<Un<U_FRINT64Z>>),
    ("FCMGT0_v", vector::<Un<U_CMGT0>>),
    ("FCMEQ0_v", vector::<Un<U_CMEQ0>>),
    ("FCMLT0_v", vector::<Un<U_CMLT0>>),
    ("FABS_v", vector::<Un<U_ABS>>),
    ("FRINTP_v", vector::<Un<U_FRINTP>>),
    ("FRINTZ_v", vector::<Un<U_FRINTZ>>),
    ("FCVTPS_v", vector::<Un<U_CVTPS>>),
    ("FCVTZS_v", vector::<Un<U_CVTZS>>),
    ("FRECPE_v", vector::<Un<U_RECPE>>),
    ("FRINTA_v", vector::<Un<U_FRINTA>>),
    ("FRINTX_v", vector::<Un<U_FRINTX>>),
    ("FCVTNU_v", vector::<Un<U_CVTNU>>),
    ("FCVTMU_v", vector::<Un<U_CVTMU>>),
    ("FCVTAU_v", vector::<Un<U_CVTAU>>),
    ("UCVTF_v", vector::<Un<U_UCVTF>>),
    ("FRINT32X_v", vector::<Un<U_FRINT32X>>),
    ("FRINT64X_v", vector::<Un<U_FRINT64X>>),
    ("FCMGE0_v", vector::<Un<U_CMGE0>>),
    ("FCMLE0_v", vector::<Un<U_CMLE0>>),
    ("FNEG_v", vector::<Un<U_NEG>>),
    ("FRINTI_v", vector::<Un<U_FRINTI>>),
    ("FCVTPU_v", vector::<Un<U_CVTPU>>),
    ("FCVTZU_v", vector::<Un<U_CVTZU>>),
    ("FRSQRTE_v", vector::<Un<U_RSQRTE>>),
    ("FSQRT_v", vector::<Un<U_SQRT>>),
    ("FCVTNS_sc", scalar::<Un<U_CVTNS>>),
    ("FCVTMS_sc", scalar::<Un<U_CVTMS>>),
    ("FCVTAS_sc", scalar::<Un<U_CVTAS>>),
    ("SCVTF_sc", scalar::<Un<U_SCVTF>>),
    ("FCMGT0_sc", scalar::<Un<U_CMGT0>>),
    ("FCMEQ0_sc", scalar::<Un<U_CMEQ0>>),
    ("FCMLT0_sc", scalar::<Un<U_CMLT0>>),
    ("FCVTPS_sc", scalar::<Un<U_CVTPS>>),
    ("FCVTZS_sc", scalar::<Un<U_CVTZS>>),
    ("FRECPE_sc", scalar::<Un<U_RECPE>>),
    ("FRECPX_sc", scalar::<Un<U_RECPX>>),
    ("FCVTXN_sc", fcvtxn_sc),
    ("FCVTNU_sc", scalar::<Un<U_CVTNU>>),
    ("FCVTMU_sc", scalar::<Un<U_CVTMU>>),
    ("FCVTAU_sc", scalar::<Un<U_CVTAU>>),
    ("UCVTF_sc", scalar::<Un<U_UCVTF>>),
    ("FCMGE0_sc", scalar::<Un<U_CMGE0>>),
    ("FCMLE0_sc", scalar::<Un<U_CMLE0>>),
    ("FCVTPU_sc", scalar::<Un<U_CVTPU>>),
    ("FCVTZU_sc", scalar::<Un<U_CVTZU>>),
    ("FRSQRTE_sc", scalar::<Un<U_RSQRTE>>),
    ("FMAXNMP_sc", scalar::<PairSc<OP_MAXNM>>),
    ("FADDP_sc", scalar::<PairSc<OP_ADD>>),
    ("FMAXP_sc", scalar::<PairSc<OP_MAX>>),
    ("FMINNMP_sc", scalar::<PairSc<OP_MINNM>>),
    ("FMINP_sc", scalar::<PairSc<OP_MIN>>),
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

/// The lane operation of a vector or scalar handler: lane `i` (of `n`) of the
/// result in format `T`, from the sources `s` = [Vd, Vn, Vm].
trait Kernel {
    fn lane<T: Fmt>(s: &[u128; 3], i: u32, n: u32, c: &Ctx, fl: &mut u32) -> u64;
}

/// Vn OP Vm (three same), `OP` a binop constant.
struct Bin<const OP: u32>;

impl<const OP: u32> Kernel for Bin<OP> {
    #[inline(always)]
    fn lane<T: Fmt>(s: &[u128; 3], i: u32, _: u32, c: &Ctx, fl: &mut u32) -> u64 {
        binop::<T>(OP, lane::<T>(s[1], i), lane::<T>(s[2], i), c, fl)
    }
}

/// OP Vn (two-register misc), `OP` a `U_*` constant.
struct Un<const OP: u32>;

impl<const OP: u32> Kernel for Un<OP> {
    #[inline(always)]
    fn lane<T: Fmt>(s: &[u128; 3], i: u32, _: u32, c: &Ctx, fl: &mut u32) -> u64 {
        unop::<T>(OP, lane::<T>(s[1], i), c, fl)
    }
}

/// FMLA (Vd + Vn * Vm) or, with `NEG`, FMLS (Vd + (-Vn) * Vm), fused.
struct Fma<const NEG: bool>;

impl<const NEG: bool> Kernel for Fma<NEG> {
    #[inline(always)]
    fn lane<T: Fmt>(s: &[u128; 3], i: u32, _: u32, c: &Ctx, fl: &mut u32) -> u64 {
        let flip = if NEG { T::SIGN } else { 0 };
        let a = lane::<T>(s[1], i) ^ flip;
        muladd::<T>(lane::<T>(s[0], i), a, lane::<T>(s[2], i), c, fl)
    }
}

/// Pairwise OP over the concatenation Vm:Vn: the low half of the result
/// from adjacent pairs of Vn, the high half from those of Vm.
struct Pair<const OP: u32>;

impl<const OP: u32> Kernel for Pair<OP> {
    #[inline(always)]
    fn lane<T: Fmt>(s: &[u128; 3], i: u32, n: u32, c: &Ctx, fl: &mut u32) -> u64 {
        let half = n / 2;
        let (src, j) = if i < half {
            (s[1], 2 * i)
        } else {
            (s[2], 2 * (i - half))
        };
        binop::<T>(OP, lane::<T>(src, j), lane::<T>(src, j + 1), c, fl)
    }
}

/// Scalar pairwise OP: the two low lanes of Vn.
struct PairSc<const OP: u32>;

impl<const OP: u32> Kernel for PairSc<OP> {
    #[inline(always)]
    fn lane<T: Fmt>(s: &[u128; 3], _: u32, _: u32, c: &Ctx, fl: &mut u32) -> u64 {
        binop::<T>(OP, lane::<T>(s[1], 0), lane::<T>(s[1], 1), c, fl)
    }
}

/// `n` lanes of format `T` computed by `K`.
#[inline(always)]
fn map<T: Fmt, K: Kernel>(n: u32, s: &[u128; 3], fpcr: u64, fl: &mut u32) -> u128 {
    let c = Ctx::new::<T>(fpcr);
    let mut r = 0u128;
    for i in 0..n {
        r |= (K::lane::<T>(s, i, n, &c, fl) as u128) << (i * T::N);
    }
    r
}

/// The source registers [Vd, Vn, Vm] (unused ones are optimized away).
#[inline(always)]
fn sources(cpu: &Cpu, w: u32) -> [u128; 3] {
    let st = &cpu.state;
    [st.vreg(rd(w)), st.vreg(rn(w)), st.vreg(rm(w))]
}

/// Vector form (2S, 4S; 2D needs Q) of a lane-wise operation.
fn vector<K: Kernel>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let sz = bit(w, 22);
    if sz && !q {
        return cpu.undefined(w);
    }
    let s = sources(cpu, w);
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if sz {
        map::<D, K>(lanes::<D>(q), &s, fpcr, &mut fl)
    } else {
        map::<S, K>(lanes::<S>(q), &s, fpcr, &mut fl)
    };
    set_vec(cpu, rd(w), q, r);
    raise(cpu, fl);
    Flow::Next
}

/// Scalar form (S or D by bit 22): lane 0 only.
fn scalar<K: Kernel>(cpu: &mut Cpu, w: u32) -> Flow {
    let s = sources(cpu, w);
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = if bit(w, 22) {
        map::<D, K>(1, &s, fpcr, &mut fl)
    } else {
        map::<S, K>(1, &s, fpcr, &mut fl)
    };
    set_scalar(cpu, rd(w), r as u64);
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
