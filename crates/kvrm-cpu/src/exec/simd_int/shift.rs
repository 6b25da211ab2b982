//! Advanced SIMD shift by immediate (vector and scalar) and modified immediate.

use kvrm_isa::decode::{bit, bits, rd, rn};

use super::{elem, finish, half, ival, mask, put, sat, sx};
use crate::exec::Flow;
use crate::Cpu;

/// One same-size shift-by-immediate element (`k` = `U << 5 | opcode`);
/// right shifts are by 1..=e, left shifts by 0..e.
#[inline(always)]
fn shift_op(k: u32, x: u64, d: u64, e: u32, shift: u32, qc: &mut bool) -> u64 {
    let u = k & 0x20 != 0;
    let v = ival(x, e, u);
    let rnd = |v: i128| (v + (1i128 << (shift - 1))) >> shift;
    match k & 0x1f {
        0x00 => (v >> shift) as u64,
        0x02 => d.wrapping_add((v >> shift) as u64),
        0x04 => rnd(v) as u64,
        0x06 => d.wrapping_add(rnd(v) as u64),
        0x08 => {
            // SRI
            if shift >= e {
                d
            } else {
                let m = mask(e) >> shift;
                (d & !m) | (x >> shift)
            }
        }
        0x0a => {
            if u {
                // SLI
                let m = mask(e) << shift;
                (d & !m) | (x << shift)
            } else {
                x << shift
            }
        }
        0x0c => sat(sx(x, e) as i128 * (1i128 << shift), e, true, qc), // SQSHLU
        _ => sat(v * (1i128 << shift), e, u, qc),                      // SQSHL / UQSHL
    }
}

/// One narrowing element: `x` is 2e bits wide, shift 1..=e.
#[inline(always)]
fn narrow_op(k: u32, x: u64, e: u32, shift: u32, qc: &mut bool) -> u64 {
    let e2 = 2 * e;
    let round = if k & 1 != 0 { 1i128 << (shift - 1) } else { 0 };
    match k {
        0x10 | 0x11 => ((x as i128 + round) >> shift) as u64, // SHRN / RSHRN
        0x30 | 0x31 => sat((sx(x, e2) as i128 + round) >> shift, e, true, qc), // SQ(R)SHRUN
        0x12 | 0x13 => sat((sx(x, e2) as i128 + round) >> shift, e, false, qc), // SQ(R)SHRN
        _ => sat((x as i128 + round) >> shift, e, true, qc),  // UQ(R)SHRN
    }
}

#[inline(always)]
fn highest_bit(immh: u32) -> u32 {
    31 - immh.leading_zeros()
}

pub(super) fn shift_v<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let immh = bits(w, 19, 4);
    let imm = bits(w, 16, 7);
    let op = K & 0x1f;
    let narrow_or_long = op >= 0x10;
    let d64 = immh & 8 != 0;
    if immh == 0 || (d64 && (narrow_or_long || !q)) {
        return cpu.undefined(w);
    }
    let e = 8 << highest_bit(immh);
    let a = cpu.state.vreg(rn(w));
    let d = cpu.state.vreg(rd(w));
    let mut qc = false;
    let mut r = 0u128;
    if op == 0x14 {
        // SSHLL / USHLL
        let shift = imm - e;
        let an = if q { a >> 64 } else { a };
        for i in 0..64 / e {
            let v = ival(elem(an, i, e), e, K & 0x20 != 0) << shift;
            put(&mut r, i, 2 * e, v as u64);
        }
    } else if narrow_or_long {
        let shift = 2 * e - imm;
        for i in 0..64 / e {
            put(
                &mut r,
                i,
                e,
                narrow_op(K, elem(a, i, 2 * e), e, shift, &mut qc),
            );
        }
        if q {
            r = (d & u64::MAX as u128) | (r << 64);
        }
    } else {
        let shift = if op >= 0x0a { imm - e } else { 2 * e - imm };
        let lanes = if q { 128 } else { 64 } / e;
        for i in 0..lanes {
            let v = shift_op(K, elem(a, i, e), elem(d, i, e), e, shift, &mut qc);
            put(&mut r, i, e, v);
        }
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

pub(super) fn shift_s<const K: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let immh = bits(w, 19, 4);
    let imm = bits(w, 16, 7);
    let op = K & 0x1f;
    let bad = match op {
        0x0c | 0x0e => immh == 0,
        0x10..=0x13 => immh == 0 || immh & 8 != 0,
        _ => immh & 8 == 0,
    };
    if bad {
        return cpu.undefined(w);
    }
    let e = 8 << highest_bit(immh);
    let a = cpu.state.vreg(rn(w));
    let mut qc = false;
    let mut r = 0u128;
    if op >= 0x10 {
        let shift = 2 * e - imm;
        put(
            &mut r,
            0,
            e,
            narrow_op(K, elem(a, 0, 2 * e), e, shift, &mut qc),
        );
    } else {
        let shift = if op >= 0x0a { imm - e } else { 2 * e - imm };
        let d = elem(cpu.state.vreg(rd(w)), 0, e);
        put(
            &mut r,
            0,
            e,
            shift_op(K, elem(a, 0, e), d, e, shift, &mut qc),
        );
    }
    finish(cpu, rd(w), r, qc);
    Flow::Next
}

/// MOVI / MVNI / ORR (vector, immediate) / BIC (vector, immediate).
pub(super) fn mod_imm(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let op = bit(w, 29);
    let cmode = bits(w, 12, 4);
    let imm8 = ((bits(w, 16, 3) << 5) | bits(w, 5, 5)) as u64;
    let imm = kvrm_isa::decode::adv_simd_expand_imm(op, cmode, imm8);
    // ORR / BIC: cmode 0xx1 or 10x1.
    let logical = cmode & 1 == 1 && cmode < 0b1100;
    // MVNI: op = 1 and cmode 0xx0, 10x0, 110x.
    let imm = if op && !logical && cmode != 0b1110 {
        !imm
    } else {
        imm
    };
    let imm = half((imm as u128) | ((imm as u128) << 64), q);
    let d = rd(w);
    let r = if logical {
        let old = half(cpu.state.vreg(d), q);
        if op {
            old & !imm
        } else {
            old | imm
        }
    } else {
        imm
    };
    cpu.state.set_vreg(d, r);
    Flow::Next
}
