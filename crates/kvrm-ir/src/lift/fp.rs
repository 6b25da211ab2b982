//! Scalar floating point (the `fp` class). Moves and selects are lifted to
//! plain IR (FMOV register, immediate and to/from general registers, FCSEL);
//! conversions with a general register and FCMP become the `Fp*` helper
//! opcodes, which run the interpreter's exact soft-float on the operands the
//! block computed; every other instruction of the class touches only SIMD&FP
//! registers and FPSR and becomes an `Exec` of the interpreter's handler. Half
//! precision and reserved types (`ftype` 2 or 3) are left to the fallback.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use super::{Lifted, Lifter};
use crate::block::Arg;
use crate::opcodes::Op;

/// Scalar FP instructions that read or write general registers or NZCV, and
/// so are not `Exec`: lifted here or left to the fallback.
pub(crate) fn touches_general(name: &str) -> bool {
    matches!(name, "FCMP" | "FCCMP" | "FCSEL" | "FJCVTZS")
        || name.ends_with("_g")
        || name.ends_with("_fix")
        || name.contains("gen")
}

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let ftype = bits(w, 22, 2);
    if ftype >= 2 {
        return Lifted::No;
    }
    let mask = if ftype == 0 { 0xffff_ffff } else { u64::MAX };
    match name {
        "FMOV_reg" => {
            let v = l.vlo(rn(w));
            let v = l.bin_c(Op::And, v, mask);
            l.set_vscalar(rd(w), v);
        }
        "FMOV_imm" => {
            let v = expand_imm(bits(w, 13, 8), ftype == 1);
            let v = l.c(v);
            l.set_vscalar(rd(w), v);
        }
        "FMOV_to_gen" | "FMOV_from_gen" => {
            // 32-bit with single, 64-bit with double (half: fallback).
            if bit(w, 31) != (ftype == 1) || bits(w, 19, 2) != 0 {
                return Lifted::No;
            }
            if name == "FMOV_from_gen" {
                let x = l.x(rn(w));
                let x = l.bin_c(Op::And, x, mask);
                l.set_vscalar(rd(w), x);
            } else {
                let v = l.vlo(rn(w));
                let v = l.bin_c(Op::And, v, mask);
                l.set_x(rd(w), v);
            }
        }
        "FCSEL" => {
            let c = l.cond(bits(w, 12, 4));
            let a = l.vlo(rn(w));
            let b = l.vlo(rm(w));
            let v =
                l.b.push(Op::Select, &[Arg::Val(c), Arg::Val(a), Arg::Val(b)]);
            let v = l.bin_c(Op::And, v, mask);
            l.set_vscalar(rd(w), v);
        }
        "FCMP" => {
            let a = l.vlo(rn(w));
            let b = if bit(w, 3) { l.c(0) } else { l.vlo(rm(w)) };
            let f =
                l.b.push(Op::FpCmp, &[Arg::Imm(w as u64), Arg::Val(a), Arg::Val(b)]);
            l.set_nzcv(f);
        }
        "FCVTNS_g" | "FCVTNU_g" | "FCVTPS_g" | "FCVTPU_g" | "FCVTMS_g" | "FCVTMU_g"
        | "FCVTZS_g" | "FCVTZU_g" | "FCVTAS_g" | "FCVTAU_g" => {
            let v = l.vlo(rn(w));
            let r = l.b.push(Op::FpToInt, &[Arg::Imm(w as u64), Arg::Val(v)]);
            l.set_x(rd(w), r);
        }
        "SCVTF_g" | "UCVTF_g" => {
            let x = l.x(rn(w));
            let r = l.b.push(Op::FpFromInt, &[Arg::Imm(w as u64), Arg::Val(x)]);
            l.set_vscalar(rd(w), r);
        }
        _ if touches_general(name) => return Lifted::No,
        _ => {
            let pc = l.pc;
            l.b.push(Op::Exec, &[Arg::Imm(pc), Arg::Imm(w as u64)]);
        }
    }
    Lifted::Next
}

/// VFPExpandImm for single (`double` false) or double precision.
fn expand_imm(imm8: u32, double: bool) -> u64 {
    let (n, e, f) = if double { (64, 11, 52) } else { (32, 8, 23) };
    let imm8 = imm8 as u64;
    let sign = (imm8 >> 7) & 1;
    let b = (imm8 >> 6) & 1;
    let cd = (imm8 >> 4) & 3;
    let efgh = imm8 & 0xf;
    let rep = if b == 1 { (1u64 << (e - 3)) - 1 } else { 0 };
    let exp = ((b ^ 1) << (e - 1)) | (rep << 2) | cd;
    (sign << (n - 1)) | (exp << f) | (efgh << (f - 4))
}

#[cfg(test)]
mod tests {
    use super::expand_imm;

    #[test]
    fn fmov_immediates() {
        assert_eq!(expand_imm(0x70, true), 1.0f64.to_bits());
        assert_eq!(expand_imm(0x00, true), 2.0f64.to_bits());
        assert_eq!(expand_imm(0xf0, false), (-1.0f32).to_bits() as u64);
        assert_eq!(expand_imm(0x60, false), 0.5f32.to_bits() as u64);
    }
}
