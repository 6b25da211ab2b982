//! Advanced SIMD structure loads and stores (the `simd_ldst` class): LD1R
//! (load one element and replicate it) and LD1 of one register, with or
//! without post-index, are lifted; the other structure forms use the
//! fallback (ST1 writes element by element when it faults). Semantics as
//! `kvrm_cpu::exec::simd_ldst`: the access comes before the writeback.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use super::{Lifted, Lifter};
use crate::block::Value;
use crate::opcodes::{Extend, MemOp, Op};

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    match name {
        "LD1R" | "LD1R_post" => ld1r(l, w, name == "LD1R_post"),
        "LD1_mult1" | "LD1_mult1_post" => ld1(l, w, name == "LD1_mult1_post"),
        _ => Lifted::No,
    }
}

fn ld1r(l: &mut Lifter, w: u32, post: bool) -> Lifted {
    let q = bit(w, 30);
    let size = bits(w, 10, 2);
    let ebytes = 1u64 << size;
    let n = rn(w);
    let addr = l.xsp(n);
    let x = l.load(MemOp::new(ebytes as u8, Extend::Zero), addr);
    let k = match size {
        0 => 0x0101_0101_0101_0101u64,
        1 => 0x0001_0001_0001_0001,
        2 => 0x0000_0001_0000_0001,
        _ => 1,
    };
    let lo = l.bin_c(Op::Mul, x, k);
    let hi = if q { lo } else { l.c(0) };
    let v = l.bin(Op::Pack128, lo, hi);
    l.set_vec(rd(w), v);
    if post {
        writeback(l, w, addr, ebytes);
    }
    Lifted::Next
}

/// Post-index: Rm = 31 adds the bytes transferred, otherwise Xm.
fn writeback(l: &mut Lifter, w: u32, addr: Value, total: u64) {
    let m = rm(w);
    let off = if m == 31 { l.c(total) } else { l.x(m) };
    let a = l.bin(Op::Add, addr, off);
    l.set_xsp(rn(w), a);
}

/// LD1 {Vt.T}, [Xn] (one register: 8 or 16 bytes in memory order).
fn ld1(l: &mut Lifter, w: u32, post: bool) -> Lifted {
    let q = bit(w, 30);
    let addr = l.xsp(rn(w));
    let bytes = if q { 16 } else { 8 };
    let v = l.load(MemOp::new(bytes as u8, Extend::Zero), addr);
    if q {
        l.set_vec(rd(w), v);
    } else {
        l.set_vscalar(rd(w), v);
    }
    if post {
        writeback(l, w, addr, bytes);
    }
    Lifted::Next
}
