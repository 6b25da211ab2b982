//! Loads and stores of single registers and pairs (general and SIMD&FP).

use kvrm_isa::decode::{bits, rd, rn};

use crate::exec::{ExecFn, Flow};
use crate::{mem, Cpu};

pub const HANDLERS: &[(&str, ExecFn)] = &[("STR_x_uimm", str_x_uimm), ("LDR_x_uimm", ldr_x_uimm)];

fn str_x_uimm(cpu: &mut Cpu, w: u32) -> Flow {
    let addr = cpu
        .state
        .xsp(rn(w))
        .wrapping_add((bits(w, 10, 12) as u64) << 3);
    let value = cpu.state.xr(rd(w));
    mem!(cpu, cpu.mem.write_u64(addr, value));
    Flow::Next
}

fn ldr_x_uimm(cpu: &mut Cpu, w: u32) -> Flow {
    let addr = cpu
        .state
        .xsp(rn(w))
        .wrapping_add((bits(w, 10, 12) as u64) << 3);
    let value = mem!(cpu, cpu.mem.read_u64(addr));
    cpu.state.set_xr(rd(w), value);
    Flow::Next
}
