//! Advanced SIMD three same (integer) and scalar three same.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use super::{elem, finish, half, ival, put, sat, sx};
use crate::exec::Flow;
use crate::Cpu;

#[inline(always)]
const fn ones_if(c: bool) -> u64 {
    if c {
        !0
    } else {
        0
    }
}

/// Carry-less (polynomial) product of the low `width` bits of `a` and `b`.
#[inline(always)]
pub(super) fn clmul(a: u64, b: u64, width: u32) -> u128 {
    let mut r = 0u128;
    for i in 0..width {
        if (b >> i) & 1 != 0 {
            r ^= (a as u128) << i;
        }
    }
    r
}

/// The register shifts SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL on one
/// element: the shift is the signed low byte of `y`, negative shifts right.
#[inline(always)]
pub(super) fn reg_shift(
    x: u64,
    y: u64,
    e: u32,
    unsigned: bool,
    round: bool,
    saturate: bool,
    qc: &mut bool,
) -> u64 {
    let shift = y as u8 as i8 as i32;
    let v = ival(x, e, unsigned);
    if shift >= 0 {
        let s = shift as u32;
        if !saturate {
            return if s >= e { 0 } else { x << s };
        }
        if v == 0 {
            return 0;
        }
        if s >= e {
            let big = if v > 0 { i128::MAX } else { i128::MIN };
            return sat(big, e, unsigned, qc);
        }
        sat(v << s, e, unsigned, qc)
    } else {
        let n = (-shift) as u32;
        let r = if round {
            if n > e + 1 {
                0
            } else {
                (v + (1i128 << (n - 1))) >> n
            }
        } else {
            v >> n.min(127)
        };
        if saturate {
            sat(r, e, unsigned, qc)
        } else {
            r as u64
        }
    }
}

/// One element of a three-same operation `k` (`U << 5 | opcode`); `x`, `y`,
/// `d` are the (zero-extended) elements of Rn, Rm and Rd. Also used by the
/// by-element forms. Only the low `e` bits of the result matter.
#[inline(always)]
pub(super) fn same_op(k: u32, x: u64, y: u64, d: u64, e: u32, qc: &mut bool) -> u64 {
    let u = k & 0x20 != 0;
    let a = ival(x, e, u);
    let b = ival(y, e, u);
    match k & 0x1f {
        0x00 => ((a + b) >> 1) as u64,
        0x01 => sat(a + b, e, u, qc),
        0x02 => ((a + b + 1) >> 1) as u64,
        0x04 => ((a - b) >> 1) as u64,
        0x05 => sat(a - b, e, u, qc),
        0x06 => ones_if(a > b),
        0x07 => ones_if(a >= b),
        0x08 => reg_shift(x, y, e, u, false, false, qc),
        0x09 => reg_shift(x, y, e, u, false, true, qc),
        0x0a => reg_shift(x, y, e, u, true, false, qc),
        0x0b => reg_shift(x, y, e, u, true, true, qc),
        0x0c | 0x14 => a.max(b) as u64,
        0x0d | 0x15 => a.min(b) as u64,
        0x0e => (a - b).unsigned_abs() as u64,
        0x0f => d.wrapping_add((a - b).unsigned_abs() as u64),
        0x10 => {
            if u {
                x.wrapping_sub(y)
            } else {
                x.wrapping_add(y)
            }
        }
        0x11 => ones_if(if u { x == y } else { x & y != 0 }),
        0x12 => {
            let p = x.wrapping_mul(y);
            if u {
                d.wrapping_sub(p)
            } else {
                d.wrapping_add(p)
            }
        }
        0x13 => {
            if u {
                clmul(x, y, 8) as u64
            } else {
                x.wrapping_mul(y)
            }
        }
        0x16 => {
            // SQDMULH / SQRDMULH (U = rounding); operands always signed.
            let (a, b) = (sx(x, e) as i128, sx(y, e) as i128);
            let round = if u { 1i128 << (e - 1) } else { 0 };
            sat((2 * a * b + round) >> e, e, false, qc)
        }
        0x18 | 0x19 => {
            // SQRDMLAH / SQRDMLSH (three same extra; key chosen here, not an opcode)
            let (a, b, c) = (sx(x, e) as i128, sx(y, e) as i128, sx(d, e) as i128);
            let p = 2 * a * b;
            let acc = (c << e) + if k & 0x1f == 0x18 { p } else { -p };
            sat((acc + (1i128 << (e - 1))) >> e, e, false, qc)
        }
        _ => x.wrapping_add(y), // 0x17 ADDP
    }
}

pub(super) fn same_v<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let size = bits(w, 22, 2);
    let op = K & 0x1f;
    let bad = match op {
        0x01 | 0x05..=0x0b | 0x10 | 0x11 | 0x17 => size == 3 && !q,
        0x13 if K & 0x20 != 0 => size != 0,
        0x16 | 0x18 | 0x19 => size == 0 || size == 3,
        _ => size == 3,
    };
    if bad {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let lanes = if q { 128 } else { 64 } / e;
    let a = cpu.state.vreg(rn(w));
    let b = cpu.state.vreg(rm(w));
    let d = cpu.state.vreg(rd(w));
    let mut qc = false;
    let mut r = 0u128;
    if matches!(op, 0x14 | 0x15 | 0x17) {
        // Pairwise over the concatenation Rm:Rn (Rn in the low lanes).
        let hl = lanes / 2;
        for i in 0..lanes {
            let (src, j) = if i < hl {
                (a, 2 * i)
            } else {
                (b, 2 * (i - hl))
            };
            let v = same_op(K, elem(src, j, e), elem(src, j + 1, e), 0, e, &mut qc);
            put(&mut r, i, e, v);
        }
    } else {
        for i in 0..lanes {
            let v = same_op(K, elem(a, i, e), elem(b, i, e), elem(d, i, e), e, &mut qc);
            put(&mut r, i, e, v);
        }
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

pub(super) fn same_s<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let size = bits(w, 22, 2);
    let bad = match K & 0x1f {
        0x01 | 0x05 | 0x09 | 0x0b => false,
        0x16 | 0x18 | 0x19 => size == 0 || size == 3,
        _ => size != 3,
    };
    if bad {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let x = elem(cpu.state.vreg(rn(w)), 0, e);
    let y = elem(cpu.state.vreg(rm(w)), 0, e);
    let d = elem(cpu.state.vreg(rd(w)), 0, e);
    let mut qc = false;
    let mut r = 0u128;
    put(&mut r, 0, e, same_op(K, x, y, d, e, &mut qc));
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

/// AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF (vector): `K` is U:size.
pub(super) fn logic<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let n = cpu.state.vreg(rn(w));
    let m = cpu.state.vreg(rm(w));
    let d = cpu.state.vreg(rd(w));
    let r = match K {
        0 => n & m,
        1 => n & !m,
        2 => n | m,
        3 => n | !m,
        4 => n ^ m,
        5 => (d & n) | (!d & m),
        6 => (m & n) | (!m & d),
        _ => (!m & n) | (m & d),
    };
    cpu.state.set_vreg(rd(w), half(r, bit(w, 30)));
    Flow::Next
}
