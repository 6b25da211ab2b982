//! Advanced SIMD copy (DUP, INS, UMOV, SMOV, scalar DUP), permute (ZIP, UZP,
//! TRN), extract (EXT) and table lookup (TBL, TBX).
//!
//! Registers are handled as `u128` values; [`lane`] / [`set_lane`] read and
//! write element `i` of size `8 << size` bits. A 64-bit arrangement (Q = 0)
//! writes its result with the upper half zeroed ([`fit`]).

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use crate::exec::{ExecFn, Flow};
use crate::Cpu;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("DUP_elem", dup_elem),
    ("DUP_gen", dup_gen),
    ("INS_gen", ins_gen),
    ("SMOV", smov),
    ("UMOV", umov),
    ("INS_elem", ins_elem),
    ("DUP_scalar", dup_scalar),
    ("UZP1", uzp::<0>),
    ("UZP2", uzp::<1>),
    ("TRN1", trn::<0>),
    ("TRN2", trn::<1>),
    ("ZIP1", zip::<0>),
    ("ZIP2", zip::<1>),
    ("EXT", ext),
    ("TBL", tbl::<false>),
    ("TBX", tbl::<true>),
];

// ----- lane helpers (shared with simd_ldst) ---------------------------------------

/// All-ones mask of an element of `8 << size` bits (size 0..=3).
#[inline(always)]
pub(crate) const fn lane_mask(size: u32) -> u64 {
    u64::MAX >> (64 - (8 << size))
}

/// Element `i` of `8 << size` bits of `v`, zero-extended.
#[inline(always)]
pub(crate) const fn lane(v: u128, size: u32, i: u32) -> u64 {
    ((v >> (i << (3 + size))) as u64) & lane_mask(size)
}

/// `v` with element `i` of `8 << size` bits replaced by the low bits of `x`.
#[inline(always)]
pub(crate) const fn set_lane(v: u128, size: u32, i: u32, x: u64) -> u128 {
    let sh = i << (3 + size);
    let m = (lane_mask(size) as u128) << sh;
    (v & !m) | (((x & lane_mask(size)) as u128) << sh)
}

/// The low `8 << size` bits of `x` repeated across 128 bits.
#[inline(always)]
pub(crate) const fn replicate(x: u64, size: u32) -> u128 {
    const ONES: [u64; 4] = [
        0x0101_0101_0101_0101,
        0x0001_0001_0001_0001,
        0x0000_0001_0000_0001,
        1,
    ];
    let r = (x & lane_mask(size)).wrapping_mul(ONES[size as usize]) as u128;
    r | (r << 64)
}

/// A vector result of a 128-bit (q) or 64-bit arrangement: the upper half of a
/// 64-bit result is zero.
#[inline(always)]
pub(crate) const fn fit(v: u128, q: bool) -> u128 {
    if q {
        v
    } else {
        v as u64 as u128
    }
}

/// The element size (0..=3) and index encoded in a copy instruction's imm5;
/// `None` for the reserved x0000.
#[inline(always)]
fn imm5_size_index(w: u32) -> Option<(u32, u32)> {
    let imm5 = bits(w, 16, 5);
    let size = imm5.trailing_zeros();
    if size > 3 {
        None
    } else {
        Some((size, imm5 >> (size + 1)))
    }
}

// ----- copy -------------------------------------------------------------------------

/// DUP (element): replicate Vn[index] into every element of Vd.
fn dup_elem(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let Some((size, index)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    if size == 3 && !q {
        return cpu.undefined(w);
    }
    let x = lane(cpu.state.vreg(rn(w)), size, index);
    cpu.state.set_vreg(rd(w), fit(replicate(x, size), q));
    Flow::Next
}

/// DUP (general): replicate the low bits of Wn/Xn (31 = zero register).
fn dup_gen(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let Some((size, _)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    if size == 3 && !q {
        return cpu.undefined(w);
    }
    let x = cpu.state.xr(rn(w));
    cpu.state.set_vreg(rd(w), fit(replicate(x, size), q));
    Flow::Next
}

/// INS (general) / MOV Vd.T[index], Wn/Xn: other elements are kept.
fn ins_gen(cpu: &mut Cpu, w: u32) -> Flow {
    let Some((size, index)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    let x = cpu.state.xr(rn(w));
    let d = rd(w);
    let v = set_lane(cpu.state.vreg(d), size, index, x);
    cpu.state.set_vreg(d, v);
    Flow::Next
}

/// INS (element) / MOV Vd.T[i1], Vn.T[i2].
fn ins_elem(cpu: &mut Cpu, w: u32) -> Flow {
    let Some((size, dst)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    let src = bits(w, 11, 4) >> size;
    let x = lane(cpu.state.vreg(rn(w)), size, src);
    let d = rd(w);
    let v = set_lane(cpu.state.vreg(d), size, dst, x);
    cpu.state.set_vreg(d, v);
    Flow::Next
}

/// SMOV Wd/Xd, Vn.T[index]: sign-extend B/H (to 32 or 64 bits) or S (to 64).
fn smov(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let Some((size, index)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    if size > 1 + q as u32 {
        return cpu.undefined(w);
    }
    let ebits = 8 << size;
    let x = lane(cpu.state.vreg(rn(w)), size, index);
    let x = ((x << (64 - ebits)) as i64 >> (64 - ebits)) as u64;
    let x = if q { x } else { x as u32 as u64 };
    cpu.state.set_xr(rd(w), x);
    Flow::Next
}

/// UMOV Wd, Vn.{B,H,S}[index] (Q = 0) / Xd, Vn.D[index] (Q = 1); alias MOV.
fn umov(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let Some((size, index)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    if (size == 3) != q {
        return cpu.undefined(w);
    }
    let x = lane(cpu.state.vreg(rn(w)), size, index);
    cpu.state.set_xr(rd(w), x);
    Flow::Next
}

/// DUP (element, scalar) / MOV Bd/Hd/Sd/Dd, Vn.T[index].
fn dup_scalar(cpu: &mut Cpu, w: u32) -> Flow {
    let Some((size, index)) = imm5_size_index(w) else {
        return cpu.undefined(w);
    };
    let x = lane(cpu.state.vreg(rn(w)), size, index);
    cpu.state.set_vreg(rd(w), x as u128);
    Flow::Next
}

// ----- permute ----------------------------------------------------------------------

/// Operands of the permutes: (q, size, elements, Vn, Vm), or None for the
/// reserved 1D arrangement.
#[inline(always)]
fn perm_operands(cpu: &Cpu, w: u32) -> Option<(bool, u32, u32, u128, u128)> {
    let q = bit(w, 30);
    let size = bits(w, 22, 2);
    if size == 3 && !q {
        return None;
    }
    let elements = (8 << q as u32) >> size;
    Some((
        q,
        size,
        elements,
        cpu.state.vreg(rn(w)),
        cpu.state.vreg(rm(w)),
    ))
}

/// UZP1/UZP2: the even (PART 0) or odd (PART 1) elements of Vm:Vn.
fn uzp<const PART: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let Some((q, size, elements, n, m)) = perm_operands(cpu, w) else {
        return cpu.undefined(w);
    };
    let half = elements / 2;
    let mut r = 0u128;
    for e in 0..half {
        r = set_lane(r, size, e, lane(n, size, 2 * e + PART));
        r = set_lane(r, size, e + half, lane(m, size, 2 * e + PART));
    }
    cpu.state.set_vreg(rd(w), fit(r, q));
    Flow::Next
}

/// TRN1/TRN2: interleave the even (PART 0) or odd (PART 1) elements of Vn and Vm.
fn trn<const PART: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let Some((q, size, elements, n, m)) = perm_operands(cpu, w) else {
        return cpu.undefined(w);
    };
    let mut r = 0u128;
    for p in 0..elements / 2 {
        r = set_lane(r, size, 2 * p, lane(n, size, 2 * p + PART));
        r = set_lane(r, size, 2 * p + 1, lane(m, size, 2 * p + PART));
    }
    cpu.state.set_vreg(rd(w), fit(r, q));
    Flow::Next
}

/// ZIP1/ZIP2: interleave the low (PART 0) or high (PART 1) halves of Vn and Vm.
fn zip<const PART: u32>(cpu: &mut Cpu, w: u32) -> Flow {
    let Some((q, size, elements, n, m)) = perm_operands(cpu, w) else {
        return cpu.undefined(w);
    };
    let half = elements / 2;
    let base = PART * half;
    let mut r = 0u128;
    for p in 0..half {
        r = set_lane(r, size, 2 * p, lane(n, size, base + p));
        r = set_lane(r, size, 2 * p + 1, lane(m, size, base + p));
    }
    cpu.state.set_vreg(rd(w), fit(r, q));
    Flow::Next
}

/// EXT: bytes imm4.. of the concatenation Vm:Vn (imm4 >= 8 reserved for 8B).
fn ext(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let pos = bits(w, 11, 4);
    let n = cpu.state.vreg(rn(w));
    let m = cpu.state.vreg(rm(w));
    let r = if q {
        if pos == 0 {
            n
        } else {
            (n >> (8 * pos)) | (m << (128 - 8 * pos))
        }
    } else {
        if pos >= 8 {
            return cpu.undefined(w);
        }
        let concat = (n as u64 as u128) | ((m as u64 as u128) << 64);
        (concat >> (8 * pos)) as u64 as u128
    };
    cpu.state.set_vreg(rd(w), r);
    Flow::Next
}

/// TBL/TBX with 1..=4 table registers Vn.. (wrapping at v31): out-of-range
/// indices give 0 (TBL) or keep the byte of Vd (TBX).
fn tbl<const TBX: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let q = bit(w, 30);
    let nregs = bits(w, 13, 2) + 1;
    let n = rn(w);
    let mut table = [0u128; 4];
    for (i, t) in table.iter_mut().enumerate().take(nregs as usize) {
        *t = cpu.state.vreg((n + i as u32) % 32);
    }
    let indices = cpu.state.vreg(rm(w));
    let d = rd(w);
    // Out-of-range indices leave r alone: zero for TBL, Vd's byte for TBX.
    let mut r = if TBX { cpu.state.vreg(d) } else { 0 };
    let bytes = 8 << q as u32;
    for i in 0..bytes {
        let idx = lane(indices, 0, i) as u32;
        if idx < 16 * nregs {
            r = set_lane(r, 0, i, lane(table[(idx >> 4) as usize], 0, idx & 15));
        }
    }
    cpu.state.set_vreg(d, fit(r, q));
    Flow::Next
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lane_helpers() {
        let v = 0x0011_2233_4455_6677_8899_aabb_ccdd_eeffu128;
        assert_eq!(lane(v, 0, 0), 0xff);
        assert_eq!(lane(v, 0, 15), 0x00);
        assert_eq!(lane(v, 1, 1), 0xccdd);
        assert_eq!(lane(v, 2, 3), 0x0011_2233);
        assert_eq!(lane(v, 3, 1), 0x0011_2233_4455_6677);
        assert_eq!(set_lane(0, 1, 7, 0x1_abcd), 0xabcd << 112);
        assert_eq!(set_lane(v, 3, 0, 0), v >> 64 << 64);
        assert_eq!(replicate(0x1ab, 0), u128::from_le_bytes([0xab; 16]));
        assert_eq!(
            replicate(0x1234_5678, 2),
            0x1234_5678_1234_5678_1234_5678_1234_5678
        );
        assert_eq!(replicate(u64::MAX, 3), u128::MAX);
    }
}
