//! Branches, exception generation, hints, barriers, PSTATE flag manipulation
//! and system instructions. System registers and cache maintenance live in
//! [`sysreg`].

use kvrm_isa::decode::{bit, bits, rd, rn, sign_extend};
use kvrm_isa::state::{condition_holds, NZCV_C, NZCV_N, NZCV_V, NZCV_Z};
use kvrm_isa::StopReason;

use crate::exec::{ExecFn, Flow};
use crate::Cpu;

pub mod sysreg;

#[cfg(test)]
mod tests;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("B", b_imm),
    ("BL", b_imm),
    ("B_cond", b_cond),
    ("BC_cond", b_cond),
    ("CBZ", cb::<false>),
    ("CBNZ", cb::<true>),
    ("TBZ", tb::<false>),
    ("TBNZ", tb::<true>),
    ("BR", br),
    ("BLR", blr),
    ("RET", br),
    ("SVC", svc),
    ("HVC", undefined_at_el0),
    ("SMC", undefined_at_el0),
    ("HLT", halt),
    ("BRK", halt),
    ("NOP", nop),
    ("HINT", nop),
    ("CLREX", clrex),
    ("DSB", nop),
    ("DMB", nop),
    ("ISB", isb),
    ("SB", nop),
    ("CFINV", cfinv),
    ("XAFLAG", xaflag),
    ("AXFLAG", axflag),
    ("RMIF", rmif),
    ("SETF8", setf),
    ("SETF16", setf),
    ("MSR_reg", sysreg::msr_reg),
    ("MRS", sysreg::mrs),
    ("DC_ZVA", sysreg::dc_zva),
    ("IC_IVAU", sysreg::cache_maintenance),
    ("DC_CVAC", sysreg::cache_maintenance),
    ("DC_CVAU", sysreg::cache_maintenance),
    ("DC_CVAP", sysreg::cache_maintenance),
    ("DC_CVADP", sysreg::cache_maintenance),
    ("DC_CIVAC", sysreg::cache_maintenance),
];

#[inline(always)]
fn jump_rel(cpu: &mut Cpu, imm: u32, len: u32) -> Flow {
    let offset = sign_extend(imm as u64, len) << 2;
    cpu.state.pc = cpu.state.pc.wrapping_add(offset as u64);
    Flow::Jump
}

/// B and BL (bit 31 set: link).
fn b_imm(cpu: &mut Cpu, w: u32) -> Flow {
    if w >> 31 != 0 {
        cpu.state.x[30] = cpu.state.pc.wrapping_add(4);
    }
    jump_rel(cpu, bits(w, 0, 26), 26)
}

/// B.cond and BC.cond (AL and NV both branch).
fn b_cond(cpu: &mut Cpu, w: u32) -> Flow {
    if condition_holds(bits(w, 0, 4), cpu.state.nzcv) {
        jump_rel(cpu, bits(w, 5, 19), 19)
    } else {
        Flow::Next
    }
}

/// CBZ / CBNZ (`NZ`: branch if not zero); sf selects W or X.
fn cb<const NZ: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let v = cpu.state.xr(rd(w));
    let v = if bit(w, 31) { v } else { v as u32 as u64 };
    if (v != 0) == NZ {
        jump_rel(cpu, bits(w, 5, 19), 19)
    } else {
        Flow::Next
    }
}

/// TBZ / TBNZ: test bit b5:b40 of Rt.
fn tb<const NZ: bool>(cpu: &mut Cpu, w: u32) -> Flow {
    let pos = (bits(w, 31, 1) << 5) | bits(w, 19, 5);
    let set = (cpu.state.xr(rd(w)) >> pos) & 1 != 0;
    if set == NZ {
        jump_rel(cpu, bits(w, 5, 14), 14)
    } else {
        Flow::Next
    }
}

/// BR and RET: jump to Xn (31 reads as XZR).
fn br(cpu: &mut Cpu, w: u32) -> Flow {
    cpu.state.pc = cpu.state.xr(rn(w));
    Flow::Jump
}

/// BLR: the target is read before X30 is written (BLR X30 works).
fn blr(cpu: &mut Cpu, w: u32) -> Flow {
    let target = cpu.state.xr(rn(w));
    cpu.state.x[30] = cpu.state.pc.wrapping_add(4);
    cpu.state.pc = target;
    Flow::Jump
}

/// SVC: stop with `Syscall`; pc moves past the instruction (as ELR would).
fn svc(cpu: &mut Cpu, w: u32) -> Flow {
    cpu.state.pc = cpu.state.pc.wrapping_add(4);
    cpu.stop(StopReason::Syscall {
        imm: bits(w, 5, 16) as u16,
    });
    Flow::StopRetired
}

/// HVC and SMC are UNDEFINED at EL0.
fn undefined_at_el0(cpu: &mut Cpu, w: u32) -> Flow {
    cpu.undefined(w)
}

/// BRK / HLT: stop with `Halted`; pc stays on the instruction.
fn halt(cpu: &mut Cpu, w: u32) -> Flow {
    let pc = cpu.state.pc;
    cpu.stop(StopReason::Halted {
        pc,
        imm: bits(w, 5, 16) as u16,
        hlt: bits(w, 21, 3) == 0b010,
    })
}

/// NOP, every other hint, and the barriers (one CPU, program order).
/// ISB: a context synchronisation event. It ends the interpreter's run of
/// straight-line slots (as a jump to the next instruction does), so code
/// modified before it is decoded anew.
fn isb(cpu: &mut Cpu, _: u32) -> Flow {
    cpu.state.pc = cpu.state.pc.wrapping_add(4);
    Flow::Jump
}

fn nop(_: &mut Cpu, _: u32) -> Flow {
    Flow::Next
}

/// CLREX: clear the local exclusive monitor.
fn clrex(cpu: &mut Cpu, _: u32) -> Flow {
    cpu.state.excl_size = 0;
    Flow::Next
}

/// CFINV: invert the carry flag (FEAT_FlagM).
fn cfinv(cpu: &mut Cpu, _: u32) -> Flow {
    cpu.state.nzcv ^= NZCV_C;
    Flow::Next
}

/// XAFLAG (FEAT_FlagM2): external floating-point comparison format to Arm's.
fn xaflag(cpu: &mut Cpu, _: u32) -> Flow {
    let s = &mut cpu.state;
    let (z, c) = (s.flag_z(), s.flag_c());
    let mut f = 0;
    if !c && !z {
        f |= NZCV_N;
    }
    if z && c {
        f |= NZCV_Z;
    }
    if c || z {
        f |= NZCV_C;
    }
    if !c && z {
        f |= NZCV_V;
    }
    s.nzcv = f;
    Flow::Next
}

/// AXFLAG (FEAT_FlagM2): Arm floating-point comparison format to external.
fn axflag(cpu: &mut Cpu, _: u32) -> Flow {
    let s = &mut cpu.state;
    let (z, c, v) = (s.flag_z(), s.flag_c(), s.flag_v());
    let mut f = 0;
    if z || v {
        f |= NZCV_Z;
    }
    if c && !v {
        f |= NZCV_C;
    }
    s.nzcv = f;
    Flow::Next
}

/// RMIF: rotate Xn right by imm6 and move its low four bits into the flags
/// selected by the mask.
fn rmif(cpu: &mut Cpu, w: u32) -> Flow {
    let tmp = cpu.state.xr(rn(w)).rotate_right(bits(w, 15, 6));
    let mask = (bits(w, 0, 4) as u64) << 28;
    let s = &mut cpu.state;
    s.nzcv = (s.nzcv & !mask) | ((tmp & 0xf) << 28 & mask);
    Flow::Next
}

/// SETF8 / SETF16 (bit 14): N, Z, V from the low 8 or 16 bits of Wn; C kept.
fn setf(cpu: &mut Cpu, w: u32) -> Flow {
    let msb = if bit(w, 14) { 15 } else { 7 };
    let x = cpu.state.xr(rn(w));
    let mut f = cpu.state.nzcv & NZCV_C;
    if (x >> msb) & 1 != 0 {
        f |= NZCV_N;
    }
    if x & ((2u64 << msb) - 1) == 0 {
        f |= NZCV_Z;
    }
    if ((x >> (msb + 1)) ^ (x >> msb)) & 1 != 0 {
        f |= NZCV_V;
    }
    cpu.state.nzcv = f;
    Flow::Next
}
