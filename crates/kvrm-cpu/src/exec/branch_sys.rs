//! Branches, exception generation and system instructions.

use kvrm_isa::decode::{bits, sign_extend};
use kvrm_isa::state::condition_holds;
use kvrm_isa::StopReason;

use crate::exec::{ExecFn, Flow};
use crate::Cpu;

pub const HANDLERS: &[(&str, ExecFn)] = &[
    ("B", b_imm),
    ("BL", b_imm),
    ("B_cond", b_cond),
    ("SVC", svc),
    ("HLT", halt),
    ("BRK", halt),
    ("NOP", nop),
];

/// B and BL (bit 31 set: link).
fn b_imm(cpu: &mut Cpu, w: u32) -> Flow {
    let pc = cpu.state.pc;
    let offset = sign_extend(bits(w, 0, 26) as u64, 26) << 2;
    if w >> 31 != 0 {
        cpu.state.x[30] = pc.wrapping_add(4);
    }
    cpu.state.pc = pc.wrapping_add(offset as u64);
    Flow::Jump
}

fn b_cond(cpu: &mut Cpu, w: u32) -> Flow {
    if condition_holds(bits(w, 0, 4), cpu.state.nzcv) {
        let offset = sign_extend(bits(w, 5, 19) as u64, 19) << 2;
        cpu.state.pc = cpu.state.pc.wrapping_add(offset as u64);
        Flow::Jump
    } else {
        Flow::Next
    }
}

/// SVC: stop with `Syscall`; pc moves past the instruction (as ELR would).
fn svc(cpu: &mut Cpu, w: u32) -> Flow {
    cpu.state.pc = cpu.state.pc.wrapping_add(4);
    cpu.stop(StopReason::Syscall {
        imm: bits(w, 5, 16) as u16,
    });
    Flow::StopRetired
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

fn nop(_: &mut Cpu, _: u32) -> Flow {
    Flow::Next
}
