//! Data processing (immediate): ADR/ADRP, add/sub, logical, move wide,
//! bitfield, extract. Semantics as `kvrm_cpu::exec::dp_imm`.

use kvrm_isa::decode::{bit, bits, rd, rm, rn, sign_extend};

use super::{Lifted, Lifter};
use crate::opcodes::Op;

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let sf = bit(w, 31);
    match name {
        "ADR" | "ADRP" => {
            let imm = sign_extend(((bits(w, 5, 19) << 2) | bits(w, 29, 2)) as u64, 21) as u64;
            let v = if bit(w, 31) {
                (l.pc & !0xfff).wrapping_add(imm << 12)
            } else {
                l.pc.wrapping_add(imm)
            };
            let v = l.c(v);
            l.set_x(rd(w), v);
        }
        "ADD_imm" | "ADDS_imm" | "SUB_imm" | "SUBS_imm" => {
            let sub = bit(w, 30);
            let flags = bit(w, 29);
            let imm = (bits(w, 10, 12) as u64) << (12 * bits(w, 22, 1));
            let x = l.xsp(rn(w));
            let y = l.c(imm);
            let r = l.bin(if sub { Op::Sub } else { Op::Add }, x, y);
            let r = l.width(r, sf);
            if flags {
                let f = flags_op(sub, sf);
                let f = l.bin(f, x, y);
                l.set_nzcv(f);
                l.set_x(rd(w), r);
            } else {
                l.set_xsp(rd(w), r);
            }
        }
        "AND_imm" | "ORR_imm" | "EOR_imm" | "ANDS_imm" => {
            let n = bits(w, 22, 1);
            if !sf && n == 1 {
                return Lifted::No;
            }
            let m = if sf { 64 } else { 32 };
            let Some(imm) = logical_imm(n, bits(w, 10, 6), bits(w, 16, 6), m) else {
                return Lifted::No;
            };
            let x = l.x(rn(w));
            let opc = bits(w, 29, 2);
            let op = match opc {
                1 => Op::Or,
                2 => Op::Xor,
                _ => Op::And,
            };
            let r = l.bin_c(op, x, imm);
            let r = l.width(r, sf);
            if opc == 3 {
                let f = l.un(if sf { Op::LogicFlags } else { Op::LogicFlags32 }, r);
                l.set_nzcv(f);
                l.set_x(rd(w), r);
            } else {
                l.set_xsp(rd(w), r);
            }
        }
        "MOVN" | "MOVZ" | "MOVK" => {
            let hw = bits(w, 21, 2);
            if !sf && hw > 1 {
                return Lifted::No;
            }
            let shift = hw * 16;
            let imm = (bits(w, 5, 16) as u64) << shift;
            let mask = if sf { u64::MAX } else { 0xffff_ffff };
            let d = rd(w);
            let v = match name {
                "MOVN" => l.c(!imm & mask),
                "MOVZ" => l.c(imm),
                _ => {
                    let old = l.x(d);
                    let kept = l.bin_c(Op::And, old, !(0xffffu64 << shift) & mask);
                    l.bin_c(Op::Or, kept, imm)
                }
            };
            l.set_x(d, v);
        }
        "SBFM" | "BFM" | "UBFM" => {
            let immr = bits(w, 16, 6);
            let imms = bits(w, 10, 6);
            if bit(w, 22) != sf || (!sf && (immr | imms) >= 32) {
                return Lifted::No;
            }
            let src = l.x(rn(w));
            let d = rd(w);
            let r = match name {
                "SBFM" => sbfm(l, src, immr, imms, sf),
                "UBFM" => ubfm(l, src, immr, imms, sf),
                _ => {
                    let dst = l.x(d);
                    bfm(l, dst, src, immr, imms, sf)
                }
            };
            l.set_x(d, r);
        }
        "EXTR" => {
            let lsb = bits(w, 10, 6);
            if bit(w, 22) != sf || (!sf && lsb >= 32) {
                return Lifted::No;
            }
            let hi = l.x(rn(w));
            let lo = l.x(rm(w));
            let r = if lsb == 0 {
                l.width(lo, sf)
            } else if sf {
                let a = l.bin_c(Op::Lshr, lo, lsb as u64);
                let b = l.bin_c(Op::Shl, hi, 64 - lsb as u64);
                l.bin(Op::Or, a, b)
            } else {
                let lo = l.un(Op::Zext32, lo);
                let a = l.bin_c(Op::Lshr, lo, lsb as u64);
                let b = l.bin_c(Op::Shl, hi, 32 - lsb as u64);
                let r = l.bin(Op::Or, a, b);
                l.un(Op::Zext32, r)
            };
            l.set_x(rd(w), r);
        }
        _ => return Lifted::No,
    }
    Lifted::Next
}

/// The flag opcode of an add or subtract of the width.
pub(crate) fn flags_op(sub: bool, sf: bool) -> Op {
    match (sub, sf) {
        (false, true) => Op::AddFlags,
        (true, true) => Op::SubFlags,
        (false, false) => Op::AddFlags32,
        (true, false) => Op::SubFlags32,
    }
}

const fn ones(n: u32) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

/// The logical-immediate bit mask (DecodeBitMasks' wmask with `immediate`),
/// or `None` where the encoding is reserved.
pub(crate) fn logical_imm(n: u32, imms: u32, immr: u32, m: u32) -> Option<u64> {
    let combined = ((n & 1) << 6) | (!imms & 0x3f);
    if combined < 2 {
        return None;
    }
    let esize = 1u32 << (31 - combined.leading_zeros());
    if esize > m {
        return None;
    }
    let levels = esize - 1;
    if imms & levels == levels {
        return None;
    }
    let (s, r) = (imms & levels, immr & levels);
    let welem = ones(s + 1);
    let rotated = if r == 0 {
        welem
    } else {
        ((welem >> r) | (welem << (esize - r))) & ones(esize)
    };
    let mut v = rotated;
    let mut e = esize;
    while e < m {
        v |= v << e;
        e *= 2;
    }
    Some(v & ones(m))
}

/// UBFM (UBFX/UBFIZ/LSR/LSL/UXT*) for a valid (immr, imms).
fn ubfm(l: &mut Lifter, src: super::Value, immr: u32, imms: u32, sf: bool) -> super::Value {
    let ds = if sf { 64 } else { 32 };
    if imms >= immr {
        let v = l.bin_c(Op::Lshr, src, immr as u64);
        l.bin_c(Op::And, v, ones(imms - immr + 1))
    } else {
        let v = l.bin_c(Op::And, src, ones(imms + 1));
        let v = l.bin_c(Op::Shl, v, (ds - immr) as u64);
        l.width(v, sf)
    }
}

/// SBFM (SBFX/SBFIZ/ASR/SXT*) for a valid (immr, imms).
fn sbfm(l: &mut Lifter, src: super::Value, immr: u32, imms: u32, sf: bool) -> super::Value {
    let ds = if sf { 64 } else { 32 };
    let r = if imms >= immr {
        // Sign-extend bits imms..immr to the top, then shift down.
        let v = l.bin_c(Op::Shl, src, 63 - imms as u64);
        l.bin_c(Op::Ashr, v, (63 - imms + immr) as u64)
    } else {
        let v = l.bin_c(Op::Shl, src, 63 - imms as u64);
        let v = l.bin_c(Op::Ashr, v, 63 - imms as u64);
        l.bin_c(Op::Shl, v, (ds - immr) as u64)
    };
    l.width(r, sf)
}

/// BFM (BFI/BFXIL) for a valid (immr, imms): insert into `dst`.
fn bfm(
    l: &mut Lifter,
    dst: super::Value,
    src: super::Value,
    immr: u32,
    imms: u32,
    sf: bool,
) -> super::Value {
    let ds = if sf { 64 } else { 32 };
    let (len, pos) = if imms >= immr {
        (imms - immr + 1, 0)
    } else {
        (imms + 1, ds - immr)
    };
    let field = l.bin_c(Op::Lshr, src, if imms >= immr { immr as u64 } else { 0 });
    let field = l.bin_c(Op::And, field, ones(len));
    let field = l.bin_c(Op::Shl, field, pos as u64);
    let mask = ones(len) << pos;
    let kept = l.bin_c(Op::And, dst, !mask);
    let r = l.bin(Op::Or, kept, field);
    l.width(r, sf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logical_immediates_from_the_arm_arm_table() {
        assert_eq!(logical_imm(1, 0, 0, 64), Some(1));
        assert_eq!(logical_imm(1, 0b111111, 0, 64), None);
        assert_eq!(logical_imm(0, 0b000000, 0, 64), Some(0x0000_0001_0000_0001));
        assert_eq!(logical_imm(0, 0b111100, 1, 64), Some(0xaaaa_aaaa_aaaa_aaaa));
        assert_eq!(logical_imm(0, 0b110011, 2, 64), Some(0xc3c3_c3c3_c3c3_c3c3));
        assert_eq!(logical_imm(1, 0, 0, 32), None);
        assert_eq!(logical_imm(0, 0b011111, 0, 32), None);
    }
}
