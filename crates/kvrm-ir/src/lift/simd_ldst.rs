//! Advanced SIMD structure loads and stores (the `simd_ldst` class): LD1R
//! (load one element and replicate it), LD1 of one to four registers and
//! LD2-LD4 (multiple structures, de-interleaved with shifts and masks on the
//! 64-bit words read), with or without post-index, are lifted; every load of
//! an instruction comes before its first register write, so a fault leaves
//! the registers unchanged. The other structure forms use the fallback (ST1 writes element by element when it faults). Semantics as
//! `kvrm_cpu::exec::simd_ldst`: the access comes before the writeback.

use kvrm_isa::decode::{bit, bits, rd, rm, rn};

use super::{Lifted, Lifter};
use crate::block::Value;
use crate::opcodes::{Extend, MemOp, Op};

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    match name {
        "LD1R" | "LD1R_post" => ld1r(l, w, name == "LD1R_post"),
        "LD1_mult1" | "LD1_mult1_post" => ld1(l, w, name == "LD1_mult1_post"),
        _ => {
            let post = name.ends_with("_post");
            let (rpt, selem) = match name.trim_end_matches("_post") {
                "LD1_mult2" => (2, 1),
                "LD1_mult3" => (3, 1),
                "LD1_mult4" => (4, 1),
                "LD2_mult" => (1, 2),
                "LD3_mult" => (1, 3),
                "LD4_mult" => (1, 4),
                _ => return Lifted::No,
            };
            ld_mult(l, w, rpt, selem, post)
        }
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

/// LD1 of 2-4 registers (RPT, one access per register) and LD2-LD4 (SELEM:
/// the block is read in 16-byte accesses and an 8-byte tail, as the
/// interpreter does, then de-interleaved). Register lists wrap at v31.
fn ld_mult(l: &mut Lifter, w: u32, rpt: u32, selem: u32, post: bool) -> Lifted {
    let q = bit(w, 30);
    let size = bits(w, 10, 2);
    if size == 3 && !q && selem != 1 {
        return Lifted::No; // reserved
    }
    let dbytes = if q { 16u64 } else { 8 };
    let nregs = rpt * selem;
    let total = nregs as u64 * dbytes;
    let t = rd(w);
    let addr = l.xsp(rn(w));
    let at = |l: &mut Lifter, off: u64| {
        if off == 0 {
            addr
        } else {
            l.bin_c(Op::Add, addr, off)
        }
    };
    if selem == 1 {
        let mut regs = Vec::new();
        for r in 0..nregs as u64 {
            let a = at(l, r * dbytes);
            regs.push(l.load(MemOp::new(dbytes as u8, Extend::Zero), a));
        }
        for (r, v) in regs.into_iter().enumerate() {
            let d = (t + r as u32) % 32;
            if q {
                l.set_vec(d, v);
            } else {
                l.set_vscalar(d, v);
            }
        }
    } else {
        // The 64-bit words of the block, in memory order.
        let mut words = Vec::new();
        let mut i = 0;
        while i + 16 <= total {
            let a = at(l, i);
            let v = l.load(MemOp::new(16, Extend::Zero), a);
            words.push(l.un(Op::Lo128, v));
            words.push(l.un(Op::Hi128, v));
            i += 16;
        }
        if i < total {
            let a = at(l, i);
            words.push(l.load(MemOp::new(8, Extend::Zero), a));
        }
        let ebits = 8u64 << size;
        let per_half = 64 / ebits;
        let mask = if ebits == 64 {
            u64::MAX
        } else {
            (1u64 << ebits) - 1
        };
        for s in 0..selem as u64 {
            let mut out = Vec::new();
            for h in 0..(dbytes / 8) {
                let mut acc: Option<Value> = None;
                for e in 0..per_half {
                    // Element (h * per_half + e) of structure member s.
                    let bit0 = ((h * per_half + e) * selem as u64 + s) * ebits;
                    let word = words[(bit0 / 64) as usize];
                    let sh = bit0 % 64;
                    let x = if sh != 0 {
                        l.bin_c(Op::Lshr, word, sh)
                    } else {
                        word
                    };
                    let x = if sh + ebits < 64 {
                        l.bin_c(Op::And, x, mask)
                    } else {
                        x
                    };
                    let x = if e != 0 {
                        l.bin_c(Op::Shl, x, e * ebits)
                    } else {
                        x
                    };
                    acc = Some(match acc {
                        Some(a) => l.bin(Op::Or, a, x),
                        None => x,
                    });
                }
                out.push(acc.expect("at least one element"));
            }
            let lo = out[0];
            let hi = if q { out[1] } else { l.c(0) };
            let v = l.bin(Op::Pack128, lo, hi);
            l.set_vec((t + s as u32) % 32, v);
        }
    }
    if post {
        writeback(l, w, addr, total);
    }
    Lifted::Next
}
