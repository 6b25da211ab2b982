//! Advanced SIMD data processing (the `simd_int`, `simd_fp` and `simd_perm`
//! classes): every instruction that reads and writes only SIMD&FP registers
//! (and FPCR/FPSR) is an `Exec` of the interpreter's handler, run from the
//! compiled block without leaving it; the copies between general and SIMD&FP
//! registers (DUP, INS, UMOV from or to a general register) are lifted; SMOV
//! uses the fallback.

use kvrm_isa::decode::{bits, rd, rn};

use super::{Lifted, Lifter};
use crate::block::Arg;
use crate::opcodes::Op;

pub(crate) fn lift(l: &mut Lifter, class: &str, name: &str, w: u32) -> Lifted {
    if !matches!(class, "simd_int" | "simd_fp" | "simd_perm") {
        return Lifted::No;
    }
    match name {
        "UMOV" => return umov(l, w),
        "DUP_gen" => return dup_gen(l, w),
        "INS_gen" => return ins_gen(l, w),
        "SMOV" => return Lifted::No,
        _ => {}
    }
    let pc = l.pc;
    l.b.push(Op::Exec, &[Arg::Imm(pc), Arg::Imm(w as u64)]);
    Lifted::Next
}

/// Element size (log2 bytes) and index from imm5 (bits 16..20).
fn imm5(w: u32) -> Option<(u32, u32)> {
    let imm5 = bits(w, 16, 5);
    let size = imm5.trailing_zeros();
    (size <= 3).then(|| (size, imm5 >> (size + 1)))
}

/// UMOV Wd/Xd, Vn.T[i] (MOV to general).
fn umov(l: &mut Lifter, w: u32) -> Lifted {
    let q = bits(w, 30, 1);
    let Some((size, index)) = imm5(w) else {
        return Lifted::No;
    };
    // 64-bit elements need Q = 1, smaller ones Q = 0.
    if (size == 3) != (q == 1) {
        return Lifted::No;
    }
    let esize = 8u32 << size;
    let bit0 = index * esize;
    let v = l.b.push(Op::GetVec, &[Arg::Reg(rn(w) as u8)]);
    let half = if bit0 >= 64 {
        l.un(Op::Hi128, v)
    } else {
        l.un(Op::Lo128, v)
    };
    let sh = (bit0 % 64) as u64;
    let x = if sh != 0 {
        l.bin_c(Op::Lshr, half, sh)
    } else {
        half
    };
    let x = match size {
        0 => l.un(Op::Zext8, x),
        1 => l.un(Op::Zext16, x),
        2 => l.un(Op::Zext32, x),
        _ => x,
    };
    l.set_x(rd(w), x);
    Lifted::Next
}

/// DUP Vd.T, Wn/Xn.
fn dup_gen(l: &mut Lifter, w: u32) -> Lifted {
    let q = bits(w, 30, 1);
    let Some((size, _)) = imm5(w) else {
        return Lifted::No;
    };
    if size == 3 && q == 0 {
        return Lifted::No;
    }
    let x = l.x(rn(w));
    let (x, k) = match size {
        0 => (l.un(Op::Zext8, x), 0x0101_0101_0101_0101u64),
        1 => (l.un(Op::Zext16, x), 0x0001_0001_0001_0001),
        2 => (l.un(Op::Zext32, x), 0x0000_0001_0000_0001),
        _ => (x, 1),
    };
    let lo = l.bin_c(Op::Mul, x, k);
    let hi = if q == 1 { lo } else { l.c(0) };
    let v = l.bin(Op::Pack128, lo, hi);
    l.b.push(Op::SetVec, &[Arg::Reg(rd(w) as u8), Arg::Val(v)]);
    Lifted::Next
}

/// INS Vd.T[index], Wn/Xn (MOV to element): the other elements are kept.
fn ins_gen(l: &mut Lifter, w: u32) -> Lifted {
    let Some((size, index)) = imm5(w) else {
        return Lifted::No;
    };
    let esize = 8u32 << size;
    let bit0 = index * esize;
    let ones = if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    };
    let sh = (bit0 % 64) as u64;
    let d = rd(w);
    let x = l.x(rn(w));
    let x = l.bin_c(Op::And, x, ones);
    let x = if sh != 0 { l.bin_c(Op::Shl, x, sh) } else { x };
    let v = l.get_vec(d);
    let lo = l.un(Op::Lo128, v);
    let hi = l.un(Op::Hi128, v);
    let (keep, other) = if bit0 >= 64 { (lo, hi) } else { (hi, lo) };
    let other = l.bin_c(Op::And, other, !(ones << sh));
    let other = l.bin(Op::Or, other, x);
    let v = if bit0 >= 64 {
        l.bin(Op::Pack128, keep, other)
    } else {
        l.bin(Op::Pack128, other, keep)
    };
    l.set_vec(d, v);
    Lifted::Next
}
