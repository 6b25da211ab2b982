//! Branches: B, BL, B.cond/BC.cond, CBZ/CBNZ, TBZ/TBNZ, BR/BLR/RET. Each
//! ends the block. Semantics as `kvrm_cpu::exec::branch_sys`. NOP and the
//! other hints (which execute as NOP) are nothing; DC ZVA is four zero
//! stores; everything else of that class (SVC, BRK, the other system
//! instructions) uses the fallback.

use kvrm_isa::decode::{bit, bits, rd, rn, sign_extend};

use super::{Lifted, Lifter};
use crate::block::Arg;
use crate::opcodes::{Extend, MemOp, Op, SYS_FPCR, SYS_FPSR, SYS_TPIDR_EL0};

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let pc = l.pc;
    let rel = |imm: u32, len: u32| pc.wrapping_add((sign_extend(imm as u64, len) << 2) as u64);
    let next = pc.wrapping_add(4);
    match name {
        // Hints (BTI, PAC hints, ...) and barriers: nothing on one machine
        // that runs alone, as in the interpreter.
        "NOP" | "HINT" | "DSB" | "DMB" | "SB" => return Lifted::Next,
        "MRS" => return mrs(l, w),
        "DC_ZVA" => return dc_zva(l, w),
        "B" | "BL" => {
            if name == "BL" {
                let link = l.c(next);
                l.set_x(30, link);
            }
            l.exit_to(rel(bits(w, 0, 26), 26));
        }
        "B_cond" | "BC_cond" => {
            let c = l.cond(bits(w, 0, 4));
            let target = rel(bits(w, 5, 19), 19);
            exit_cond(l, c, target, next);
        }
        "CBZ" | "CBNZ" => {
            let v = l.x(rd(w));
            let v = l.width(v, bit(w, 31));
            let zero = l.c(0);
            let c = l.bin(if name == "CBNZ" { Op::Ne } else { Op::Eq }, v, zero);
            let target = rel(bits(w, 5, 19), 19);
            exit_cond(l, c, target, next);
        }
        "TBZ" | "TBNZ" => {
            let pos = (bits(w, 31, 1) << 5) | bits(w, 19, 5);
            let v = l.x(rd(w));
            let v = l.bin_c(Op::Lshr, v, pos as u64);
            let v = l.bin_c(Op::And, v, 1);
            let zero = l.c(0);
            let c = l.bin(if name == "TBNZ" { Op::Ne } else { Op::Eq }, v, zero);
            let target = rel(bits(w, 5, 14), 14);
            exit_cond(l, c, target, next);
        }
        "BR" | "RET" => {
            let t = l.x(rn(w));
            l.b.push(Op::ExitIndirect, &[Arg::Val(t)]);
        }
        "BLR" => {
            // The target is read before X30 is written (BLR X30).
            let t = l.x(rn(w));
            let link = l.c(next);
            l.set_x(30, link);
            l.b.push(Op::ExitIndirect, &[Arg::Val(t)]);
        }
        _ => return Lifted::No,
    }
    Lifted::End
}

fn exit_cond(l: &mut Lifter, c: crate::block::Value, taken: u64, not_taken: u64) {
    l.b.push(
        Op::ExitCond,
        &[Arg::Val(c), Arg::Imm(taken), Arg::Imm(not_taken)],
    );
}

/// MRS of the registers user code reads often: TPIDR_EL0, FPCR, FPSR
/// (masked to their writable bits, as the interpreter keeps them) and NZCV.
fn mrs(l: &mut Lifter, w: u32) -> Lifted {
    let key = bits(w, 5, 15);
    let sys = |op0: u32, op1: u32, crn: u32, crm: u32, op2: u32| {
        ((op0 - 2) << 14) | (op1 << 11) | (crn << 7) | (crm << 3) | op2
    };
    let v = if key == sys(3, 3, 13, 0, 2) {
        l.b.push(Op::GetSys, &[Arg::Imm(SYS_TPIDR_EL0)])
    } else if key == sys(3, 3, 4, 4, 0) {
        let v = l.b.push(Op::GetSys, &[Arg::Imm(SYS_FPCR)]);
        l.bin_c(Op::And, v, FPCR_WRITABLE)
    } else if key == sys(3, 3, 4, 4, 1) {
        let v = l.b.push(Op::GetSys, &[Arg::Imm(SYS_FPSR)]);
        l.bin_c(Op::And, v, FPSR_WRITABLE)
    } else if key == sys(3, 3, 4, 2, 0) {
        let f = l.nzcv();
        l.bin_c(Op::And, f, 0xf000_0000)
    } else {
        return Lifted::No;
    };
    l.set_x(rd(w), v);
    Lifted::Next
}

/// Bytes DC ZVA zeroes: DCZID_EL0.BS = 4 (2^4 words), as the interpreter
/// reports it.
pub const ZVA_BYTES: u64 = 64;

/// DC ZVA, Xt: zero the aligned 64-byte block holding Xt, as 16-byte stores
/// of zero. The block lies in one page, so the first store faults exactly
/// when the interpreter's single 64-byte write does (same address: the
/// block's start), and then nothing was written.
fn dc_zva(l: &mut Lifter, w: u32) -> Lifted {
    let x = l.x(rd(w));
    let base = l.bin_c(Op::And, x, !(ZVA_BYTES - 1));
    let zero = l.c(0);
    let z = l.bin(Op::Pack128, zero, zero);
    for off in (0..ZVA_BYTES).step_by(16) {
        let a = if off == 0 {
            base
        } else {
            l.bin_c(Op::Add, base, off)
        };
        l.store(MemOp::new(16, Extend::Zero), a, z);
    }
    Lifted::Next
}

/// FPCR bits software can set (AHP, DN, FZ, RMode, FZ16), as the interpreter.
pub const FPCR_WRITABLE: u64 = 0x07c8_0000;
/// FPSR bits: QC, IDC and the cumulative IXC..IOC flags.
pub const FPSR_WRITABLE: u64 = (1 << 27) | (1 << 7) | 0x1f;
