//! Semantics of the `fp` class: scalar floating point (data processing with
//! one, two and three sources, compare, conditional compare and select,
//! immediate moves, conversions to and from integers and fixed point).
//!
//! The arithmetic lives in [`fpcore`] (pure functions on raw bits), shared with
//! the Advanced SIMD handlers of `exec::simd_fp`.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};
use kvrm_isa::state::condition_holds;

use crate::exec::{ExecFn, Flow};
use crate::Cpu;

#[path = "../../fpcore/mod.rs"]
pub mod fpcore;

use fpcore::*;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("FMOV_reg", dp1),
    ("FABS_s", dp1),
    ("FNEG_s", dp1),
    ("FSQRT_s", dp1),
    ("FRINT_s", dp1),
    ("FRINTTS_s", dp1),
    ("FCVT_s", fcvt),
    ("FMUL_s", dp2),
    ("FDIV_s", dp2),
    ("FADD_s", dp2),
    ("FSUB_s", dp2),
    ("FMAX_s", dp2),
    ("FMIN_s", dp2),
    ("FMAXNM_s", dp2),
    ("FMINNM_s", dp2),
    ("FNMUL_s", dp2),
    ("FMADD", dp3),
    ("FMSUB", dp3),
    ("FNMADD", dp3),
    ("FNMSUB", dp3),
    ("FCMP", fcmp),
    ("FCCMP", fccmp),
    ("FCSEL", fcsel),
    ("FMOV_imm", fmov_imm),
    ("FCVTNS_g", cvt_to_int),
    ("FCVTNU_g", cvt_to_int),
    ("FCVTPS_g", cvt_to_int),
    ("FCVTPU_g", cvt_to_int),
    ("FCVTMS_g", cvt_to_int),
    ("FCVTMU_g", cvt_to_int),
    ("FCVTZS_g", cvt_to_int),
    ("FCVTZU_g", cvt_to_int),
    ("FCVTAS_g", cvt_to_int),
    ("FCVTAU_g", cvt_to_int),
    ("SCVTF_g", cvt_from_int),
    ("UCVTF_g", cvt_from_int),
    ("FMOV_to_gen", fmov_gen),
    ("FMOV_from_gen", fmov_gen),
    ("FMOV_to_gen_top", fmov_gen),
    ("FMOV_from_gen_top", fmov_gen),
    ("FJCVTZS", fjcvtzs),
    ("FCVTZS_fix", cvt_to_fixed),
    ("FCVTZU_fix", cvt_to_fixed),
    ("SCVTF_fix", cvt_from_fixed),
    ("UCVTF_fix", cvt_from_fixed),
];

/// Low 64 bits of V`n`.
#[inline(always)]
pub fn vlo(cpu: &Cpu, n: u32) -> u64 {
    cpu.state.v[n as usize][0]
}

/// Write a scalar result (already zero-extended) to V`d`, clearing the rest.
#[inline(always)]
pub fn set_scalar(cpu: &mut Cpu, d: u32, value: u64) {
    cpu.state.v[d as usize] = [value, 0];
}

/// OR flags into FPSR.
#[inline(always)]
pub fn raise(cpu: &mut Cpu, fl: u32) {
    cpu.state.fpsr |= fl as u64;
}

/// End of a scalar handler: `None` (a reserved `ftype`) is undefined; else
/// write `r` to Xd (`GEN`) or Vd and OR `fl` into FPSR.
#[inline(always)]
fn finish<const GEN: bool>(cpu: &mut Cpu, w: u32, r: Option<u64>, fl: u32) -> Flow {
    let Some(r) = r else {
        return cpu.undefined(w);
    };
    if GEN {
        cpu.state.set_xr(rd(w), r);
    } else {
        set_scalar(cpu, rd(w), r);
    }
    raise(cpu, fl);
    Flow::Next
}

/// Bits of a value of FP type `ftype` (0 single, 1 double, 3 half).
#[inline(always)]
fn ftype_mask(ftype: u32) -> u64 {
    match ftype {
        0 => 0xffff_ffff,
        1 => u64::MAX,
        _ => 0xffff,
    }
}

/// Run a format-generic expression for the scalar `ftype` field
/// (`None`, i.e. undefined, for the reserved value 2).
macro_rules! by_ftype {
    ($ft:expr, $f:ident :: <T> ($($arg:expr),*)) => {
        match $ft {
            0 => $f::<S>($($arg),*),
            1 => $f::<D>($($arg),*),
            3 => $f::<H>($($arg),*),
            _ => None,
        }
    };
}

fn dp1_t<T: Fmt>(op: u32, x: u64, fpcr: u64, fl: &mut u32) -> Option<u64> {
    let x = x & T::MASK;
    let c = Ctx::new::<T>(fpcr);
    Some(match op {
        0 => x,
        1 => x & T::ABS,
        2 => x ^ T::SIGN,
        3 => sqrt::<T>(x, &c, fl),
        8 => round_int::<T>(x, RN, false, &c, fl),
        9 => round_int::<T>(x, RP, false, &c, fl),
        10 => round_int::<T>(x, RM, false, &c, fl),
        11 => round_int::<T>(x, RZ, false, &c, fl),
        12 => round_int::<T>(x, RA, false, &c, fl),
        14 => round_int::<T>(x, c.rmode, true, &c, fl),
        15 => round_int::<T>(x, c.rmode, false, &c, fl),
        16..=19 if !T::HALF => {
            let rmode = if op & 1 == 0 { RZ } else { c.rmode };
            round_int_n::<T>(x, rmode, if op < 18 { 32 } else { 64 }, &c, fl)
        }
        _ => return None,
    })
}

/// FMOV (register), FABS, FNEG, FSQRT, FRINT* (scalar).
fn dp1(cpu: &mut Cpu, w: u32) -> Flow {
    let x = vlo(cpu, rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = by_ftype!(bits(w, 22, 2), dp1_t::<T>(bits(w, 15, 6), x, fpcr, &mut fl));
    finish::<false>(cpu, w, r, fl)
}

/// FCVT between half, single and double.
fn fcvt(cpu: &mut Cpu, w: u32) -> Flow {
    let x = vlo(cpu, rn(w));
    let fpcr = cpu.state.fpcr;
    let rmode = cpu.state.rounding_mode();
    let mut fl = 0;
    let r = match (bits(w, 22, 2), bits(w, 15, 2)) {
        (0, 1) => convert::<S, D>(x & 0xffff_ffff, rmode, fpcr, &mut fl),
        (0, 3) => convert::<S, H>(x & 0xffff_ffff, rmode, fpcr, &mut fl),
        (1, 0) => convert::<D, S>(x, rmode, fpcr, &mut fl),
        (1, 3) => convert::<D, H>(x, rmode, fpcr, &mut fl),
        (3, 0) => convert::<H, S>(x & 0xffff, rmode, fpcr, &mut fl),
        (3, 1) => convert::<H, D>(x & 0xffff, rmode, fpcr, &mut fl),
        _ => return cpu.undefined(w),
    };
    set_scalar(cpu, rd(w), r);
    raise(cpu, fl);
    Flow::Next
}

fn dp2_t<T: Fmt>(op: u32, a: u64, b: u64, fpcr: u64, fl: &mut u32) -> Option<u64> {
    let c = Ctx::new::<T>(fpcr);
    Some(binop::<T>(op, a & T::MASK, b & T::MASK, &c, fl))
}

/// FMUL, FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM, FNMUL (scalar).
fn dp2(cpu: &mut Cpu, w: u32) -> Flow {
    let a = vlo(cpu, rn(w));
    let b = vlo(cpu, rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = by_ftype!(
        bits(w, 22, 2),
        dp2_t::<T>(bits(w, 12, 4), a, b, fpcr, &mut fl)
    );
    finish::<false>(cpu, w, r, fl)
}

fn dp3_t<T: Fmt>(
    neg_a: bool,
    neg_n: bool,
    a: u64,
    n: u64,
    m: u64,
    fpcr: u64,
    fl: &mut u32,
) -> Option<u64> {
    let c = Ctx::new::<T>(fpcr);
    let a = (a & T::MASK) ^ if neg_a { T::SIGN } else { 0 };
    let n = (n & T::MASK) ^ if neg_n { T::SIGN } else { 0 };
    Some(muladd::<T>(a, n, m & T::MASK, &c, fl))
}

/// FMADD, FMSUB, FNMADD, FNMSUB.
fn dp3(cpu: &mut Cpu, w: u32) -> Flow {
    let o1 = bit(w, 21);
    let o0 = bit(w, 15);
    let a = vlo(cpu, bits(w, 10, 5));
    let n = vlo(cpu, rn(w));
    let m = vlo(cpu, rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = by_ftype!(
        bits(w, 22, 2),
        dp3_t::<T>(o1, o0 != o1, a, n, m, fpcr, &mut fl)
    );
    finish::<false>(cpu, w, r, fl)
}

fn cmp_t<T: Fmt>(a: u64, b: u64, signal: bool, fpcr: u64, fl: &mut u32) -> Option<u64> {
    let c = Ctx::new::<T>(fpcr);
    Some(compare::<T>(a & T::MASK, b & T::MASK, signal, &c, fl))
}

/// FCMP, FCMPE (register and zero).
fn fcmp(cpu: &mut Cpu, w: u32) -> Flow {
    let a = vlo(cpu, rn(w));
    let b = if bit(w, 3) { 0 } else { vlo(cpu, rm(w)) };
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    match fcmp_value(w, a, b, fpcr, &mut fl) {
        Some(nzcv) => {
            cpu.state.nzcv = nzcv;
            raise(cpu, fl);
            Flow::Next
        }
        None => cpu.undefined(w),
    }
}

/// FCMP/FCMPE `w` of the operand bits `a`, `b` (`b` ignored by the forms
/// that compare with zero): the NZCV value; `None` for a reserved type.
pub fn fcmp_value(w: u32, a: u64, b: u64, fpcr: u64, fl: &mut u32) -> Option<u64> {
    let b = if bit(w, 3) { 0 } else { b };
    by_ftype!(bits(w, 22, 2), cmp_t::<T>(a, b, bit(w, 4), fpcr, fl))
}

/// FCCMP, FCCMPE.
fn fccmp(cpu: &mut Cpu, w: u32) -> Flow {
    let ft = bits(w, 22, 2);
    if ft == 2 {
        return cpu.undefined(w);
    }
    if !condition_holds(bits(w, 12, 4), cpu.state.nzcv) {
        cpu.state.nzcv = (bits(w, 0, 4) as u64) << 28;
        return Flow::Next;
    }
    let a = vlo(cpu, rn(w));
    let b = vlo(cpu, rm(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    if let Some(nzcv) = by_ftype!(ft, cmp_t::<T>(a, b, bit(w, 4), fpcr, &mut fl)) {
        cpu.state.nzcv = nzcv;
    }
    raise(cpu, fl);
    Flow::Next
}

/// FCSEL.
fn fcsel(cpu: &mut Cpu, w: u32) -> Flow {
    let ft = bits(w, 22, 2);
    if ft == 2 {
        return cpu.undefined(w);
    }
    let src = if condition_holds(bits(w, 12, 4), cpu.state.nzcv) {
        rn(w)
    } else {
        rm(w)
    };
    let v = vlo(cpu, src) & ftype_mask(ft);
    set_scalar(cpu, rd(w), v);
    Flow::Next
}

/// VFPExpandImm: the 8-bit FP immediate as format `T` bits.
pub fn expand_imm<T: Fmt>(imm8: u32) -> u64 {
    let imm8 = imm8 as u64;
    let sign = (imm8 >> 7) & 1;
    let b = (imm8 >> 6) & 1;
    let cd = (imm8 >> 4) & 3;
    let efgh = imm8 & 0xf;
    // exp = NOT(b) : Replicate(b, E-3) : cd
    let rep = if b == 1 { (1u64 << (T::E - 3)) - 1 } else { 0 };
    let exp = ((b ^ 1) << (T::E - 1)) | (rep << 2) | cd;
    (sign << (T::N - 1)) | (exp << T::F) | (efgh << (T::F - 4))
}

/// FMOV (scalar, immediate).
fn fmov_imm(cpu: &mut Cpu, w: u32) -> Flow {
    let imm8 = bits(w, 13, 8);
    let v = match bits(w, 22, 2) {
        0 => expand_imm::<S>(imm8),
        1 => expand_imm::<D>(imm8),
        3 => expand_imm::<H>(imm8),
        _ => return cpu.undefined(w),
    };
    set_scalar(cpu, rd(w), v);
    Flow::Next
}

fn to_fixed_t<T: Fmt>(
    x: u64,
    fbits: u32,
    unsigned: bool,
    size: u32,
    rmode: u32,
    fpcr: u64,
    fl: &mut u32,
) -> Option<u64> {
    let c = Ctx::new::<T>(fpcr);
    Some(to_fixed::<T>(
        x & T::MASK,
        fbits,
        unsigned,
        size,
        rmode,
        &c,
        fl,
    ))
}

fn from_fixed_t<T: Fmt>(
    v: u64,
    fbits: u32,
    unsigned: bool,
    size: u32,
    fpcr: u64,
    fl: &mut u32,
) -> Option<u64> {
    let c = Ctx::new::<T>(fpcr);
    Some(from_fixed::<T>(v, fbits, unsigned, size, &c, fl))
}

/// FCVT{N,P,M,Z,A}{S,U} (scalar, to a general register).
fn cvt_to_int(cpu: &mut Cpu, w: u32) -> Flow {
    let x = vlo(cpu, rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = to_int_value(w, x, fpcr, &mut fl);
    finish::<true>(cpu, w, r, fl)
}

/// The result of FCVT{N,P,M,Z,A}{S,U} `w` (to a general register) on the
/// operand bits `x`; `None` for a reserved type.
pub fn to_int_value(w: u32, x: u64, fpcr: u64, fl: &mut u32) -> Option<u64> {
    let size = if bit(w, 31) { 64 } else { 32 };
    let rmode = if bits(w, 17, 2) == 2 {
        RA
    } else {
        [RN, RP, RM, RZ][bits(w, 19, 2) as usize]
    };
    by_ftype!(
        bits(w, 22, 2),
        to_fixed_t::<T>(x, 0, bit(w, 16), size, rmode, fpcr, fl)
    )
}

/// FCVTZS, FCVTZU (scalar, fixed-point).
fn cvt_to_fixed(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let scale = bits(w, 10, 6);
    if !sf && scale < 32 {
        return cpu.undefined(w);
    }
    let x = vlo(cpu, rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = by_ftype!(
        bits(w, 22, 2),
        to_fixed_t::<T>(
            x,
            64 - scale,
            bit(w, 16),
            if sf { 64 } else { 32 },
            RZ,
            fpcr,
            &mut fl
        )
    );
    finish::<true>(cpu, w, r, fl)
}

/// SCVTF, UCVTF (scalar, from a general register).
fn cvt_from_int(cpu: &mut Cpu, w: u32) -> Flow {
    cvt_from_gen(cpu, w, 0)
}

/// SCVTF, UCVTF (scalar, fixed-point).
fn cvt_from_fixed(cpu: &mut Cpu, w: u32) -> Flow {
    let scale = bits(w, 10, 6);
    if !bit(w, 31) && scale < 32 {
        return cpu.undefined(w);
    }
    cvt_from_gen(cpu, w, 64 - scale)
}

fn cvt_from_gen(cpu: &mut Cpu, w: u32, fbits: u32) -> Flow {
    let v = cpu.state.xr(rn(w));
    let fpcr = cpu.state.fpcr;
    let mut fl = 0;
    let r = from_int_value(w, v, fbits, fpcr, &mut fl);
    finish::<false>(cpu, w, r, fl)
}

/// The result bits of SCVTF/UCVTF `w` on the general register value `v`
/// with `fbits` fraction bits; `None` for a reserved type.
pub fn from_int_value(w: u32, v: u64, fbits: u32, fpcr: u64, fl: &mut u32) -> Option<u64> {
    let size = if bit(w, 31) { 64 } else { 32 };
    by_ftype!(
        bits(w, 22, 2),
        from_fixed_t::<T>(v, fbits, bit(w, 16), size, fpcr, fl)
    )
}

/// FMOV between general and FP registers (incl. the top half V.D[1]).
fn fmov_gen(cpu: &mut Cpu, w: u32) -> Flow {
    let sf = bit(w, 31);
    let ft = bits(w, 22, 2);
    let rmode = bits(w, 19, 2);
    let to_fp = bit(w, 16);
    let (d, n) = (rd(w), rn(w));
    match (sf, ft, rmode) {
        (false, 0, 0) | (true, 1, 0) | (_, 3, 0) => {
            let mask = if ft == 1 { u64::MAX } else { ftype_mask(ft) };
            if to_fp {
                let v = cpu.state.xr(n) & mask;
                set_scalar(cpu, d, v);
            } else {
                let v = vlo(cpu, n) & mask;
                cpu.state.set_xr(d, v);
            }
        }
        (true, 2, 1) => {
            if to_fp {
                cpu.state.v[d as usize][1] = cpu.state.xr(n);
            } else {
                let v = cpu.state.v[n as usize][1];
                cpu.state.set_xr(d, v);
            }
        }
        _ => return cpu.undefined(w),
    }
    Flow::Next
}

/// FJCVTZS.
fn fjcvtzs(cpu: &mut Cpu, w: u32) -> Flow {
    let x = vlo(cpu, rn(w));
    let c = Ctx::new::<D>(cpu.state.fpcr);
    let mut fl = 0;
    let (r, z) = to_int32_js(x, &c, &mut fl);
    cpu.state.set_xr(rd(w), r);
    cpu.state.nzcv = if z { 1 << 30 } else { 0 };
    raise(cpu, fl);
    Flow::Next
}
