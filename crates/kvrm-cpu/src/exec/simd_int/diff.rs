//! Advanced SIMD three different, scalar three different, vector and scalar
//! by element (integer), dot product.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use super::same::{clmul, same_op};
use super::{elem, finish, half, ival, put, sat, sx};
use crate::exec::Flow;
use crate::Cpu;

/// One lengthening operation (three-different opcode `k & 0xf`, U = `k & 0x10`)
/// on narrow elements `x`, `y` of size `e`, with `acc` the 2e-bit element of Rd.
#[inline(always)]
fn long_op(k: u32, x: u64, y: u64, acc: u64, e: u32, qc: &mut bool) -> u64 {
    let u = k & 0x10 != 0;
    let e2 = 2 * e;
    let a = ival(x, e, u);
    let b = ival(y, e, u);
    match k & 0xf {
        0x0 => (a + b) as u64,
        0x2 => (a - b) as u64,
        0x5 => acc.wrapping_add((a - b).unsigned_abs() as u64),
        0x7 => (a - b).unsigned_abs() as u64,
        0x8 => acc.wrapping_add((a * b) as u64),
        0xa => acc.wrapping_sub((a * b) as u64),
        0xc => (a * b) as u64,
        0xe => clmul(x, y, e) as u64,
        op => {
            // SQDMLAL (9), SQDMLSL (b), SQDMULL (d)
            let p = sat(2 * a * b, e2, false, qc);
            if op == 0xd {
                return p;
            }
            let p = sx(p, e2) as i128;
            let acc = sx(acc, e2) as i128;
            sat(if op == 0x9 { acc + p } else { acc - p }, e2, false, qc)
        }
    }
}

pub(super) fn diff_v<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let size = bits(w, 22, 2);
    let op = K & 0xf;
    let bad = match op {
        0x9 | 0xb | 0xd => size == 0 || size == 3,
        0xe => size == 1 || size == 2,
        _ => size == 3,
    };
    if bad {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let e2 = 2 * e;
    let a = cpu.state.vreg(rn(w));
    let b = cpu.state.vreg(rm(w));
    let d = cpu.state.vreg(rd(w));
    let sh = if q { 64 } else { 0 };
    let (an, bn) = (a >> sh, b >> sh);
    let lanes = 64 / e;
    let mut qc = false;
    let mut r = 0u128;
    match op {
        0xe if e == 64 => r = clmul(an as u64, bn as u64, 64),
        0x4 | 0x6 => {
            // ADDHN/RADDHN/SUBHN/RSUBHN: high half of the wide sum/difference.
            let round = if K & 0x10 != 0 { 1u64 << (e - 1) } else { 0 };
            for i in 0..lanes {
                let (x, y) = (elem(a, i, e2), elem(b, i, e2));
                let s = if op == 0x4 {
                    x.wrapping_add(y)
                } else {
                    x.wrapping_sub(y)
                };
                put(&mut r, i, e, s.wrapping_add(round) >> e);
            }
            r = if q {
                (d & u64::MAX as u128) | (r << 64)
            } else {
                r
            };
        }
        0x1 | 0x3 => {
            // [SU]ADDW/[SU]SUBW: wide Rn, narrow Rm.
            let u = K & 0x10 != 0;
            for i in 0..lanes {
                let x = elem(a, i, e2);
                let y = ival(elem(bn, i, e), e, u) as u64;
                let v = if op == 0x1 {
                    x.wrapping_add(y)
                } else {
                    x.wrapping_sub(y)
                };
                put(&mut r, i, e2, v);
            }
        }
        _ => {
            for i in 0..lanes {
                let v = long_op(
                    K,
                    elem(an, i, e),
                    elem(bn, i, e),
                    elem(d, i, e2),
                    e,
                    &mut qc,
                );
                put(&mut r, i, e2, v);
            }
        }
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

/// SQDMLAL/SQDMLSL/SQDMULL (scalar).
pub(super) fn diff_s<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let size = bits(w, 22, 2);
    if size == 0 || size == 3 {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let x = elem(cpu.state.vreg(rn(w)), 0, e);
    let y = elem(cpu.state.vreg(rm(w)), 0, e);
    let acc = elem(cpu.state.vreg(rd(w)), 0, 2 * e);
    let mut qc = false;
    let mut r = 0u128;
    put(&mut r, 0, 2 * e, long_op(K, x, y, acc, e, &mut qc));
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

/// (Rm, index) of a by-element encoding with element size 16 or 32.
#[inline(always)]
fn index_of(w: u32, size: u32) -> (u32, u32) {
    let h = bit(w, 11) as u32;
    let l = bit(w, 21) as u32;
    let m = bit(w, 20) as u32;
    if size == 1 {
        (bits(w, 16, 4), (h << 2) | (l << 1) | m)
    } else {
        (bits(w, 16, 5), (h << 1) | l)
    }
}

/// The three-same key of a same-size by-element opcode, or the three-different
/// key of a long one (`k & 0xf` of the by-element group, U in `k & 0x10`).
#[inline(always)]
const fn elem_key(k: u32) -> (bool, u32) {
    let u = k & 0x10;
    match k & 0xf {
        0x0 => (true, 0x12),           // MLA
        0x4 => (true, 0x32),           // MLS
        0x8 => (true, 0x13),           // MUL
        0xc => (true, 0x16),           // SQDMULH
        0xd if u != 0 => (true, 0x18), // SQRDMLAH
        0xf => (true, 0x19),           // SQRDMLSH
        0xd => (true, 0x36),           // SQRDMULH
        0x2 => (false, u | 0x8),       // [SU]MLAL
        0x6 => (false, u | 0xa),       // [SU]MLSL
        0xa => (false, u | 0xc),       // [SU]MULL
        0x3 => (false, 0x9),           // SQDMLAL
        0x7 => (false, 0xb),           // SQDMLSL
        _ => (false, 0xd),             // SQDMULL
    }
}

pub(super) fn elem_v<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    if K & 0xf == 0xe {
        return dot(cpu, w, K & 0x10 != 0, true);
    }
    let size = bits(w, 22, 2);
    if size == 0 || size == 3 {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let (m, idx) = index_of(w, size);
    let y = elem(cpu.state.vreg(m), idx, e);
    let a = cpu.state.vreg(rn(w));
    let d = cpu.state.vreg(rd(w));
    let mut qc = false;
    let mut r = 0u128;
    let (same, key) = elem_key(K);
    if same {
        let lanes = if q { 128 } else { 64 } / e;
        for i in 0..lanes {
            let v = same_op(key, elem(a, i, e), y, elem(d, i, e), e, &mut qc);
            put(&mut r, i, e, v);
        }
    } else {
        let an = if q { a >> 64 } else { a };
        for i in 0..64 / e {
            let v = long_op(key, elem(an, i, e), y, elem(d, i, 2 * e), e, &mut qc);
            put(&mut r, i, 2 * e, v);
        }
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

pub(super) fn elem_s<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let size = bits(w, 22, 2);
    if size == 0 || size == 3 {
        return cpu.undefined(w);
    }
    let e = 8 << size;
    let (m, idx) = index_of(w, size);
    let y = elem(cpu.state.vreg(m), idx, e);
    let x = elem(cpu.state.vreg(rn(w)), 0, e);
    let mut qc = false;
    let mut r = 0u128;
    let (same, key) = elem_key(K);
    if same {
        let d = elem(cpu.state.vreg(rd(w)), 0, e);
        put(&mut r, 0, e, same_op(key, x, y, d, e, &mut qc));
    } else {
        let acc = elem(cpu.state.vreg(rd(w)), 0, 2 * e);
        put(&mut r, 0, 2 * e, long_op(key, x, y, acc, e, &mut qc));
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

/// SDOT/UDOT (vector).
pub(super) fn dot_v<const U: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    dot(cpu, w, U, false)
}

#[inline(always)]
fn dot(cpu: &mut Cpu, w: u32, unsigned: bool, indexed: bool) -> Flow {
    let q = bit(w, 30);
    let n = cpu.state.vreg(rn(w));
    let d = cpu.state.vreg(rd(w));
    let m = if indexed {
        let (m, idx) = index_of(w, 2);
        let word = elem(cpu.state.vreg(m), idx, 32) as u128;
        word * 0x0000_0001_0000_0001_0000_0001_0000_0001u128
    } else {
        cpu.state.vreg(rm(w))
    };
    let mut r = 0u128;
    for i in 0..if q { 4 } else { 2 } {
        let mut acc = elem(d, i, 32) as i64;
        for k in 0..4 {
            let x = ival(elem(n, 4 * i + k, 8), 8, unsigned) as i64;
            let y = ival(elem(m, 4 * i + k, 8), 8, unsigned) as i64;
            acc = acc.wrapping_add(x * y);
        }
        put(&mut r, i, 32, acc as u64);
    }
    cpu.state.set_vreg(rd(w), half(r, q));
    Flow::Next
}
