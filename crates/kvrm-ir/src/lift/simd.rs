//! Advanced SIMD data processing (the `simd_int`, `simd_fp` and `simd_perm`
//! classes): every instruction that reads and writes only SIMD&FP registers
//! (and FPCR/FPSR) is an `Exec` of the interpreter's handler, run from the
//! compiled block without leaving it; the copies between general and SIMD&FP
//! registers (DUP, INS, UMOV from or to a general register), the element
//! moves INS (element) and DUP (scalar), and the widening USHLL, SSHLL and
//! SHLL are lifted; SMOV uses the fallback. The bitwise operations, ADD/SUB and the shifts by
//! immediate (SHL, USHR, SSHR, SRI, SLI, USRA, SSRA) are lifted to 64-bit
//! integer operations on the two halves of the register (lanes in a half by
//! masking: no carry or shift crosses a lane), and so are CMEQ, CMHS, CMHI,
//! SHRN and the MOVI/MVNI immediates, which glibc's string functions use, and
//! EXT and REV64/REV32/REV16, which SHA and AES code uses around the
//! Cryptographic Extension's instructions.

use kvrm_isa::decode::{bits, rd, rm, rn};

use super::{Lifted, Lifter};
use crate::block::{Arg, Value};
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
        "AND_v" | "BIC_v" | "ORR_v" | "ORN_v" | "EOR_v" => return logic(l, name, w),
        "ADD_v" | "SUB_v" => return add_sub(l, name == "SUB_v", w),
        "SHL_vi" | "USHR_vi" | "SSHR_vi" | "SRI_vi" | "SLI_vi" | "USRA_vi" | "SSRA_vi" => {
            return shift_imm(l, name, w)
        }
        "USHLL_vi" | "SSHLL_vi" => return shll_imm(l, name == "SSHLL_vi", w),
        "SHLL_v" => return shll(l, w),
        "INS_elem" => return ins_elem(l, w),
        "DUP_scalar" => return dup_scalar(l, w),
        "CMEQ_v" | "CMHS_v" | "CMHI_v" | "CMEQ_vz" => return compare(l, name, w),
        "SHRN_vi" => return shrn(l, w),
        "EXT" => return ext(l, w),
        "REV64_v" | "REV32_v" | "REV16_v" => return rev(l, name, w),
        "MOVI_32" | "MOVI_16" | "MOVI_msl" | "MOVI_8" | "MOVI_64" | "MVNI_32" | "MVNI_16"
        | "MVNI_msl" => return movi(l, name, w),
        _ => {}
    }
    exec(l, w)
}

/// The instruction as an `Exec` of the interpreter's handler.
pub(super) fn exec(l: &mut Lifter, w: u32) -> Lifted {
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
    let x = element(l, rn(w), size, index);
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
    let x = l.x(rn(w));
    insert(l, rd(w), size, index, x);
    Lifted::Next
}

/// Element `index` (of 8 << `size` bits) of Vn, zero-extended.
fn element(l: &mut Lifter, n: u32, size: u32, index: u32) -> Value {
    let esize = 8u32 << size;
    let bit0 = index * esize;
    let v = l.get_vec(n);
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
    if sh + esize as u64 >= 64 {
        x
    } else {
        l.bin_c(Op::And, x, (1u64 << esize) - 1)
    }
}

/// INS Vd.T[i], Vn.T[j] (MOV element): the other elements are kept.
fn ins_elem(l: &mut Lifter, w: u32) -> Lifted {
    let Some((size, dst)) = imm5(w) else {
        return Lifted::No;
    };
    let src = bits(w, 11, 4) >> size;
    let x = element(l, rn(w), size, src);
    insert(l, rd(w), size, dst, x);
    Lifted::Next
}

/// DUP Vd, Vn.T[i] (scalar; MOV to a scalar): the element, zero-extended.
fn dup_scalar(l: &mut Lifter, w: u32) -> Lifted {
    let Some((size, index)) = imm5(w) else {
        return Lifted::No;
    };
    let x = element(l, rn(w), size, index);
    l.set_vscalar(rd(w), x);
    Lifted::Next
}

/// Vd.T[index] = the low bits of `x` (elements of 8 << `size` bits).
fn insert(l: &mut Lifter, d: u32, size: u32, index: u32, x: Value) {
    let esize = 8u32 << size;
    let bit0 = index * esize;
    let ones = lane_ones(esize);
    let sh = (bit0 % 64) as u64;
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
}

/// `b` repeated in every `esize`-bit lane of 64 bits.
fn repl(b: u64, esize: u32) -> u64 {
    if esize == 64 {
        return b;
    }
    let mut r = 0;
    let mut i = 0;
    while i < 64 {
        r |= b << i;
        i += esize;
    }
    r
}

/// The halves of Vn: (lo, hi).
pub(super) fn halves(l: &mut Lifter, n: u32) -> (Value, Value) {
    let v = l.get_vec(n);
    (l.un(Op::Lo128, v), l.un(Op::Hi128, v))
}

/// Vd = (lo, hi), the high half zero unless `q`.
pub(super) fn put(l: &mut Lifter, d: u32, q: bool, lo: Value, hi: Value) {
    let hi = if q { hi } else { l.c(0) };
    let v = l.bin(Op::Pack128, lo, hi);
    l.set_vec(d, v);
}

/// AND, BIC, ORR, ORN, EOR (vector).
fn logic(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let (a, b) = (halves(l, rn(w)), halves(l, rm(w)));
    let mut out = [a.0; 2];
    for (i, (x, y)) in [(a.0, b.0), (a.1, b.1)].into_iter().enumerate() {
        if i == 1 && !q {
            break;
        }
        out[i] = match name {
            "AND_v" => l.bin(Op::And, x, y),
            "BIC_v" => {
                let ny = l.un(Op::Not, y);
                l.bin(Op::And, x, ny)
            }
            "ORR_v" => l.bin(Op::Or, x, y),
            "ORN_v" => {
                let ny = l.un(Op::Not, y);
                l.bin(Op::Or, x, ny)
            }
            _ => l.bin(Op::Xor, x, y),
        };
    }
    put(l, rd(w), q, out[0], out[1]);
    Lifted::Next
}

/// Lane-wise `x + y` (or `x - y`) of `esize`-bit lanes in 64 bits.
fn lanes_add(l: &mut Lifter, sub: bool, esize: u32, x: Value, y: Value) -> Value {
    if esize == 64 {
        return l.bin(if sub { Op::Sub } else { Op::Add }, x, y);
    }
    let h = repl(1 << (esize - 1), esize);
    // Add the low bits of every lane (no carry out of a lane), then the top
    // bits without carry: ((x & !H) + (y & !H)) ^ ((x ^ y) & H); for the
    // difference ((x | H) - (y & !H)) ^ ((x ^ !y) & H).
    let yl = l.bin_c(Op::And, y, !h);
    if sub {
        let xh = l.bin_c(Op::Or, x, h);
        let d = l.bin(Op::Sub, xh, yl);
        let ny = l.un(Op::Not, y);
        let t = l.bin(Op::Xor, x, ny);
        let t = l.bin_c(Op::And, t, h);
        l.bin(Op::Xor, d, t)
    } else {
        let xl = l.bin_c(Op::And, x, !h);
        let s = l.bin(Op::Add, xl, yl);
        let t = l.bin(Op::Xor, x, y);
        let t = l.bin_c(Op::And, t, h);
        l.bin(Op::Xor, s, t)
    }
}

/// ADD, SUB (vector).
fn add_sub(l: &mut Lifter, sub: bool, w: u32) -> Lifted {
    lanewise(l, w, false, |l, esize, x, y| lanes_add(l, sub, esize, x, y))
}

/// `f(esize, x, y)` on each half of Vn and Vm (or zero, with `zero_m`),
/// lanes of the size in bits 22-23, into Vd (the high half cleared unless
/// Q).
fn lanewise(
    l: &mut Lifter,
    w: u32,
    zero_m: bool,
    f: impl Fn(&mut Lifter, u32, Value, Value) -> Value,
) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let size = bits(w, 22, 2);
    if size == 3 && !q {
        return Lifted::No; // reserved
    }
    let esize = 8 << size;
    let a = halves(l, rn(w));
    let b = if zero_m {
        let z = l.c(0);
        (z, z)
    } else {
        halves(l, rm(w))
    };
    let lo = f(l, esize, a.0, b.0);
    let hi = if q { f(l, esize, a.1, b.1) } else { lo };
    put(l, rd(w), q, lo, hi);
    Lifted::Next
}

/// Lanes of `x` shifted right by `s` (1..=esize), logically or
/// arithmetically.
fn lanes_shr(l: &mut Lifter, signed: bool, esize: u32, s: u32, x: Value) -> Value {
    let ones = lane_ones(esize);
    if signed {
        let s = s.min(esize - 1);
        if esize == 64 {
            return l.bin_c(Op::Ashr, x, s as u64);
        }
        if s == 0 {
            return x;
        }
        let u = l.bin_c(Op::Lshr, x, s as u64);
        let u = l.bin_c(Op::And, u, repl(ones >> s, esize));
        // 1 in bit 0 of every negative lane, times the lane's fill bits.
        let sg = l.bin_c(Op::Lshr, x, esize as u64 - 1);
        let sg = l.bin_c(Op::And, sg, repl(1, esize));
        let fill = l.bin_c(Op::Mul, sg, ones & !(ones >> s));
        return l.bin(Op::Or, u, fill);
    }
    if s >= esize {
        return l.c(0);
    }
    let u = l.bin_c(Op::Lshr, x, s as u64);
    if esize == 64 {
        u
    } else {
        l.bin_c(Op::And, u, repl(ones >> s, esize))
    }
}

/// Lanes of `x` shifted left by `s` (0..esize).
fn lanes_shl(l: &mut Lifter, esize: u32, s: u32, x: Value) -> Value {
    if s == 0 {
        return x;
    }
    let u = l.bin_c(Op::Shl, x, s as u64);
    if esize == 64 {
        return u;
    }
    let ones = (1u64 << esize) - 1;
    l.bin_c(Op::And, u, repl((ones << s) & ones, esize))
}

/// SHL, USHR, SSHR, SRI, SLI, USRA, SSRA (vector, by immediate).
fn shift_imm(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let immh = bits(w, 19, 4);
    let immb = bits(w, 16, 3);
    if immh == 0 || (immh >> 3 == 1 && !q) {
        return Lifted::No; // another encoding, or reserved
    }
    let esize = 8u32 << (31 - immh.leading_zeros());
    let imm = (immh << 3) | immb;
    let left = matches!(name, "SHL_vi" | "SLI_vi");
    let s = if left { imm - esize } else { 2 * esize - imm };
    let ones = lane_ones(esize);
    let d = rd(w);
    let x = halves(l, rn(w));
    let acc = matches!(name, "SRI_vi" | "SLI_vi" | "USRA_vi" | "SSRA_vi");
    let dv = if acc { halves(l, d) } else { x };
    let sh = Shift {
        name,
        esize,
        s,
        ones,
    };
    let lo = sh.half(l, x.0, dv.0);
    let hi = if q { sh.half(l, x.1, dv.1) } else { lo };
    put(l, d, q, lo, hi);
    Lifted::Next
}

/// A shift by immediate of `esize`-bit lanes by `s`.
struct Shift<'a> {
    name: &'a str,
    esize: u32,
    s: u32,
    ones: u64,
}

impl Shift<'_> {
    /// One 64-bit half: `x` the source's, `d` the destination's (read by
    /// the accumulating and inserting forms).
    fn half(&self, l: &mut Lifter, x: Value, d: Value) -> Value {
        let (esize, s, ones) = (self.esize, self.s, self.ones);
        match self.name {
            "SHL_vi" => lanes_shl(l, esize, s, x),
            "USHR_vi" => lanes_shr(l, false, esize, s, x),
            "SSHR_vi" => lanes_shr(l, true, esize, s, x),
            "USRA_vi" | "SSRA_vi" => {
                let t = lanes_shr(l, self.name == "SSRA_vi", esize, s, x);
                lanes_add(l, false, esize, d, t)
            }
            "SRI_vi" => {
                if s >= esize {
                    d
                } else {
                    let t = lanes_shr(l, false, esize, s, x);
                    let keep = l.bin_c(Op::And, d, repl(ones & !(ones >> s), esize));
                    l.bin(Op::Or, keep, t)
                }
            }
            _ => {
                // SLI: keep the low s bits of every lane of Vd.
                let t = lanes_shl(l, esize, s, x);
                if s == 0 {
                    t
                } else {
                    let keep = l.bin_c(Op::And, d, repl(ones >> (esize - s), esize));
                    l.bin(Op::Or, keep, t)
                }
            }
        }
    }
}

/// The low 32 bits of `x` as 64 bits of lanes twice as wide as `esize`
/// (8, 16 or 32), each zero- or sign-extended.
fn widen(l: &mut Lifter, signed: bool, esize: u32, x: Value) -> Value {
    let x = match esize {
        32 => l.un(Op::Zext32, x),
        16 => {
            let t = l.bin_c(Op::Shl, x, 16);
            let t = l.bin(Op::Or, x, t);
            l.bin_c(Op::And, t, 0x0000_ffff_0000_ffff)
        }
        _ => {
            let t = l.bin_c(Op::Shl, x, 16);
            let t = l.bin(Op::Or, x, t);
            let t = l.bin_c(Op::And, t, 0x0000_ffff_0000_ffff);
            let u = l.bin_c(Op::Shl, t, 8);
            let u = l.bin(Op::Or, t, u);
            l.bin_c(Op::And, u, 0x00ff_00ff_00ff_00ff)
        }
    };
    if !signed {
        return x;
    }
    // 1 in bit 0 of every wide lane whose narrow value is negative, times
    // the lane's upper half.
    let sg = l.bin_c(Op::Lshr, x, esize as u64 - 1);
    let sg = l.bin_c(Op::And, sg, repl(1, 2 * esize));
    let fill = l.bin_c(Op::Mul, sg, ((1u64 << esize) - 1) << esize);
    l.bin(Op::Or, x, fill)
}

/// The widening of the low (`q` = 0) or high half of Vn, each lane then
/// shifted left by `s`: (lo, hi) of the result.
fn widen_shift(l: &mut Lifter, w: u32, signed: bool, esize: u32, s: u32) -> (Value, Value) {
    let q = bits(w, 30, 1) == 1;
    let (lo, hi) = halves(l, rn(w));
    let src = if q { hi } else { lo };
    let top = l.bin_c(Op::Lshr, src, 32);
    let bottom = if esize == 32 {
        src // widen zero-extends
    } else {
        l.un(Op::Zext32, src)
    };
    let mut out = [src; 2];
    for (i, x) in [bottom, top].into_iter().enumerate() {
        let x = widen(l, signed, esize, x);
        out[i] = lanes_shl(l, 2 * esize, s, x);
    }
    (out[0], out[1])
}

/// USHLL, SSHLL (UXTL, SXTL), and the "2" forms on the high half.
fn shll_imm(l: &mut Lifter, signed: bool, w: u32) -> Lifted {
    let immh = bits(w, 19, 4);
    if immh == 0 || immh & 8 != 0 {
        return Lifted::No; // another encoding, or reserved
    }
    let esize = 8u32 << (31 - immh.leading_zeros());
    let s = bits(w, 16, 7) - esize;
    let (lo, hi) = widen_shift(l, w, signed, esize, s);
    put(l, rd(w), true, lo, hi);
    Lifted::Next
}

/// SHLL, SHLL2: widen and shift left by the element size.
fn shll(l: &mut Lifter, w: u32) -> Lifted {
    let size = bits(w, 22, 2);
    if size == 3 {
        return Lifted::No; // reserved
    }
    let esize = 8u32 << size;
    let (lo, hi) = widen_shift(l, w, false, esize, esize);
    put(l, rd(w), true, lo, hi);
    Lifted::Next
}

/// All ones in every `esize`-bit lane.
fn lane_ones(esize: u32) -> u64 {
    if esize == 64 {
        u64::MAX
    } else {
        (1u64 << esize) - 1
    }
}

/// CMEQ, CMHS, CMHI (vector) and CMEQ (vector, zero).
fn compare(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    lanewise(l, w, name == "CMEQ_vz", |l, esize, x, y| {
        lanes_cmp(l, name, esize, x, y)
    })
}

/// All ones in the `esize`-bit lanes where `x` is equal to `y` (CMEQ),
/// unsigned higher or same (CMHS) or higher (CMHI), zeros in the others.
fn lanes_cmp(l: &mut Lifter, name: &str, esize: u32, x: Value, y: Value) -> Value {
    let h = repl(1 << (esize - 1), esize);
    // The top bit of a lane is set where the comparison fails.
    let fails = match name {
        "CMHS_v" => borrows(l, esize, x, y),
        "CMHI_v" => {
            let b = borrows(l, esize, y, x);
            l.un(Op::Not, b)
        }
        _ => {
            // x ^ y is nonzero: adding the low bits to all ones below the
            // top bit carries into it (and never out of the lane).
            let z = l.bin(Op::Xor, x, y);
            let t = l.bin_c(Op::And, z, !h);
            let t = l.bin_c(Op::Add, t, !h);
            l.bin(Op::Or, t, z)
        }
    };
    let holds = l.bin_c(Op::And, fails, h);
    let holds = l.bin_c(Op::Xor, holds, h);
    let holds = l.bin_c(Op::Lshr, holds, u64::from(esize - 1));
    l.bin_c(Op::Mul, holds, lane_ones(esize))
}

/// The top bit of every `esize`-bit lane set where `x < y` (unsigned): the
/// borrow out of the lane's subtraction (Hacker's Delight 2-12).
fn borrows(l: &mut Lifter, esize: u32, x: Value, y: Value) -> Value {
    let d = lanes_add(l, true, esize, x, y);
    let nx = l.un(Op::Not, x);
    let both = l.bin(Op::And, nx, y);
    let either = l.bin(Op::Or, nx, y);
    let either = l.bin(Op::And, either, d);
    l.bin(Op::Or, both, either)
}

/// SHRN, SHRN2: the lanes of Vn shifted right and narrowed to half their
/// width, into the low half of Vd (the high half cleared) or, for SHRN2,
/// its high half (the low half kept).
fn shrn(l: &mut Lifter, w: u32) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let immh = bits(w, 19, 4);
    if immh == 0 || immh & 8 != 0 {
        return Lifted::No; // another encoding, or reserved
    }
    let esize = 8u32 << (31 - immh.leading_zeros());
    let s = 2 * esize - bits(w, 16, 7);
    let (a_lo, a_hi) = halves(l, rn(w));
    let lo = narrow(l, esize, s, a_lo);
    let hi = narrow(l, esize, s, a_hi);
    let hi = l.bin_c(Op::Shl, hi, 32);
    let r = l.bin(Op::Or, lo, hi);
    if q {
        let (kept, _) = halves(l, rd(w));
        put(l, rd(w), true, kept, r);
    } else {
        put(l, rd(w), false, r, r);
    }
    Lifted::Next
}

/// The `2 * esize`-bit lanes of `x` shifted right by `s` and cut to their
/// low `esize` bits, packed into the low 32 bits.
fn narrow(l: &mut Lifter, esize: u32, s: u32, x: Value) -> Value {
    let x = lanes_shr(l, false, 2 * esize, s, x);
    let mut x = l.bin_c(Op::And, x, repl(lane_ones(esize), 2 * esize));
    // Fields of `f` bits every `2f` bits: fold each pair into one.
    let mut f = esize;
    while 2 * f < 64 {
        let t = l.bin_c(Op::Lshr, x, u64::from(f));
        let t = l.bin(Op::Or, x, t);
        x = l.bin_c(Op::And, t, repl(lane_ones(2 * f), 4 * f));
        f *= 2;
    }
    x
}

/// MOVI and MVNI: Vd = the expanded immediate (inverted for MVNI), the
/// high half cleared unless Q.
fn movi(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let op = bits(w, 29, 1) == 1;
    let cmode = bits(w, 12, 4);
    let imm8 = u64::from((bits(w, 16, 3) << 5) | bits(w, 5, 5));
    let imm = kvrm_isa::decode::adv_simd_expand_imm(op, cmode, imm8);
    let imm = if name.starts_with("MVNI") { !imm } else { imm };
    let c = l.c(imm);
    put(l, rd(w), q, c, c);
    Lifted::Next
}

/// `r` bits from the 128-bit value `hi:lo`, starting at bit `r` of `lo`
/// (0 <= r < 64): the funnel shift of two adjacent 64-bit words.
fn funnel(l: &mut Lifter, lo: Value, hi: Value, r: u64) -> Value {
    if r == 0 {
        return lo;
    }
    let a = l.bin_c(Op::Lshr, lo, r);
    let b = l.bin_c(Op::Shl, hi, 64 - r);
    l.bin(Op::Or, a, b)
}

/// EXT Vd, Vn, Vm, #pos: bytes pos.. of Vm:Vn (16 bytes; 8 of the low
/// halves when Q = 0, where pos >= 8 is reserved and left to the handler).
fn ext(l: &mut Lifter, w: u32) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let pos = u64::from(bits(w, 11, 4));
    if !q && pos >= 8 {
        return Lifted::No;
    }
    let (n0, n1) = halves(l, rn(w));
    let (m0, m1) = halves(l, rm(w));
    let (lo, hi) = if q {
        let words = [n0, n1, m0, m1];
        let k = (pos / 8) as usize;
        let r = (pos % 8) * 8;
        let lo = funnel(l, words[k], words[k + 1], r);
        let hi = funnel(l, words[k + 1], words[k + 2], r);
        (lo, hi)
    } else {
        (funnel(l, n0, m0, pos * 8), n0)
    };
    put(l, rd(w), q, lo, hi);
    Lifted::Next
}

/// `x` with the adjacent `bits`-bit groups of every `2 * bits`-bit container
/// swapped.
fn swap_groups(l: &mut Lifter, x: Value, bits: u64) -> Value {
    let low = repl((1u64 << bits) - 1, 2 * bits as u32);
    let a = l.bin_c(Op::Lshr, x, bits);
    let a = l.bin_c(Op::And, a, low);
    let b = l.bin_c(Op::And, x, low);
    let b = l.bin_c(Op::Shl, b, bits);
    l.bin(Op::Or, a, b)
}

/// REV64, REV32, REV16 (vector): the elements of each 64-, 32- or 16-bit
/// container in reverse order, as swaps of ever smaller groups of each half.
fn rev(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let q = bits(w, 30, 1) == 1;
    let esize = 8u64 << bits(w, 22, 2);
    let container = match name {
        "REV64_v" => 64,
        "REV32_v" => 32,
        _ => 16,
    };
    if esize >= container {
        return Lifted::No;
    }
    let (lo, hi) = halves(l, rn(w));
    let mut out = [lo, hi];
    for x in out.iter_mut() {
        if container == 64 && esize == 8 {
            *x = l.un(Op::Rev, *x);
            continue;
        }
        // Swap the halves of each container, then of each half, down to
        // the element size.
        let mut g = container / 2;
        while g >= esize {
            *x = swap_groups(l, *x, g);
            g /= 2;
        }
    }
    put(l, rd(w), q, out[0], out[1]);
    Lifted::Next
}
