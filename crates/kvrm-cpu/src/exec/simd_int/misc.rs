//! Advanced SIMD two-register miscellaneous (integer), scalar two-register
//! miscellaneous, across lanes, scalar pairwise ADDP.

use kvrm_isa::decode::{bit, bits, rd, rn};

use super::{elem, finish, ival, mask, put, sat, sx};
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

/// Leading zeros of the low `e` bits of `x`.
#[inline(always)]
fn clz_e(x: u64, e: u32) -> u64 {
    ((x & mask(e)).leading_zeros() - (64 - e)) as u64
}

/// One element of a same-size two-register-misc operation `k` (`U << 5 | opcode`).
#[inline(always)]
fn misc_op(k: u32, x: u64, d: u64, e: u32, qc: &mut bool) -> u64 {
    let v = sx(x, e) as i128;
    match k {
        0x03 => sat(sx(d, e) as i128 + x as i128, e, false, qc), // SUQADD
        0x23 => sat(d as i128 + v, e, true, qc),                 // USQADD
        0x04 => clz_e(if v < 0 { !x } else { x }, e) - 1,        // CLS
        0x24 => clz_e(x, e),                                     // CLZ
        0x05 => {
            // CNT (bytes)
            x.count_ones() as u64
        }
        0x25 => !x,                              // NOT
        0x3f => (x as u8).reverse_bits() as u64, // RBIT
        0x07 => sat(v.abs(), e, false, qc),      // SQABS
        0x27 => sat(-v, e, false, qc),           // SQNEG
        0x08 => ones_if(v > 0),                  // CMGT #0
        0x28 => ones_if(v >= 0),                 // CMGE #0
        0x09 => ones_if(v == 0),                 // CMEQ #0
        0x29 => ones_if(v <= 0),                 // CMLE #0
        0x0a => ones_if(v < 0),                  // CMLT #0
        0x0b => v.unsigned_abs() as u64,         // ABS
        _ => (-v) as u64,                        // NEG (0x2b)
    }
}

/// One narrowing element: `x` is 2e bits wide.
#[inline(always)]
fn narrow_op(k: u32, x: u64, e: u32, qc: &mut bool) -> u64 {
    let e2 = 2 * e;
    match k {
        0x12 => x,                                    // XTN
        0x32 => sat(sx(x, e2) as i128, e, true, qc),  // SQXTUN
        0x14 => sat(sx(x, e2) as i128, e, false, qc), // SQXTN
        _ => sat(x as i128, e, true, qc),             // UQXTN
    }
}

pub(super) fn misc_v<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let size = bits(w, 22, 2);
    let u = K & 0x20 != 0;
    let bad = match K {
        0x00 => size == 3,
        0x20 => size >= 2,
        0x01 => size != 0,
        0x05 => size != 0,
        0x25 | 0x3f => false,
        0x02 | 0x22 | 0x06 | 0x26 | 0x04 | 0x24 | 0x12 | 0x32 | 0x33 | 0x14 | 0x34 => size == 3,
        _ => size == 3 && !q,
    };
    if bad {
        return cpu.undefined(w);
    }
    // RBIT's size field is part of the opcode: its elements are bytes.
    let e = if K == 0x3f { 8 } else { 8 << size };
    let lanes = if q { 128 } else { 64 } / e;
    let a = cpu.state.vreg(rn(w));
    let d = cpu.state.vreg(rd(w));
    let mut qc = false;
    let mut r = 0u128;
    match K {
        0x00 | 0x20 | 0x01 => {
            // REV64 / REV32 / REV16: reverse elements within each container.
            let c = match K {
                0x00 => 64,
                0x20 => 32,
                _ => 16,
            };
            let flip = c / e - 1;
            for i in 0..lanes {
                put(&mut r, i, e, elem(a, i ^ flip, e));
            }
        }
        0x02 | 0x22 | 0x06 | 0x26 => {
            // [SU]ADDLP / [SU]ADALP
            let e2 = 2 * e;
            for i in 0..lanes / 2 {
                let s = ival(elem(a, 2 * i, e), e, u) + ival(elem(a, 2 * i + 1, e), e, u);
                let acc = if K & 0x04 != 0 { elem(d, i, e2) } else { 0 };
                put(&mut r, i, e2, acc.wrapping_add(s as u64));
            }
        }
        0x12 | 0x32 | 0x14 | 0x34 => {
            // XTN / SQXTUN / SQXTN / UQXTN, "2" forms write the upper half.
            for i in 0..64 / e {
                put(&mut r, i, e, narrow_op(K, elem(a, i, 2 * e), e, &mut qc));
            }
            if q {
                r = (d & u64::MAX as u128) | (r << 64);
            }
        }
        0x33 => {
            // SHLL / SHLL2
            let an = if q { a >> 64 } else { a };
            for i in 0..64 / e {
                put(&mut r, i, 2 * e, elem(an, i, e) << e);
            }
        }
        _ => {
            for i in 0..lanes {
                put(
                    &mut r,
                    i,
                    e,
                    misc_op(K, elem(a, i, e), elem(d, i, e), e, &mut qc),
                );
            }
        }
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

pub(super) fn misc_s<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let size = bits(w, 22, 2);
    let bad = match K {
        0x03 | 0x23 | 0x07 | 0x27 => false,
        0x32 | 0x14 | 0x34 => size == 3,
        _ => size != 3,
    };
    if bad {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let a = cpu.state.vreg(rn(w));
    let mut qc = false;
    let mut r = 0u128;
    let v = if matches!(K, 0x32 | 0x14 | 0x34) {
        narrow_op(K, elem(a, 0, 2 * e), e, &mut qc)
    } else {
        let d = elem(cpu.state.vreg(rd(w)), 0, e);
        misc_op(K, elem(a, 0, e), d, e, &mut qc)
    };
    put(&mut r, 0, e, v);
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

/// ADDV, [SU]MAXV, [SU]MINV, [SU]ADDLV.
pub(super) fn across<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let size = bits(w, 22, 2);
    if size == 3 || (size == 2 && !q) {
        return cpu.undefined(w);
    }
    let u = K & 0x20 != 0;
    let e = 8 << size;
    let lanes = if q { 128 } else { 64 } / e;
    let a = cpu.state.vreg(rn(w));
    let mut acc = ival(elem(a, 0, e), e, u);
    for i in 1..lanes {
        let x = ival(elem(a, i, e), e, u);
        acc = match K & 0x1f {
            0x0a => acc.max(x),
            0x1a => acc.min(x),
            _ => acc + x,
        };
    }
    let width = if K & 0x1f == 0x03 { 2 * e } else { e };
    let mut r = 0u128;
    put(&mut r, 0, width, acc as u64);
    cpu.state.set_vreg(rd(w), r);
    Flow::Next
}

/// ADDP (scalar): Dd = Vn.D[0] + Vn.D[1].
pub(super) fn addp_s(cpu: &mut Cpu, w: u32) -> Flow {
    if bits(w, 22, 2) != 3 {
        return cpu.undefined(w);
    }
    let a = cpu.state.vreg(rn(w));
    let r = (a as u64).wrapping_add((a >> 64) as u64);
    cpu.state.set_vreg(rd(w), r as u128);
    Flow::Next
}
