//! Instruction traces: what one executed instruction wrote, in the order
//! `kvrm run --trace` prints it (x0-x30, sp, nzcv, v0-v31, fpsr). The CPU
//! backend's tracer and the CUDA backend's per-lane trace ring both produce it.

use core::fmt;

use crate::state::CpuState;

/// One register an instruction changed, with its new value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegWrite {
    X(u8, u64),
    Sp(u64),
    /// The whole NZCV register (flags in bits 31-28).
    Nzcv(u64),
    V(u8, u128),
    Fpsr(u64),
}

impl fmt::Display for RegWrite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RegWrite::X(i, v) => write!(f, "x{i}={v:#x}"),
            RegWrite::Sp(v) => write!(f, "sp={v:#x}"),
            RegWrite::Nzcv(v) => write!(f, "nzcv={:#x}", v >> 28),
            RegWrite::V(i, v) => write!(f, "v{i}={v:#x}"),
            RegWrite::Fpsr(v) => write!(f, "fpsr={v:#x}"),
        }
    }
}

/// One traced instruction: its pc, encoding and the registers it changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceEntry {
    pub pc: u64,
    pub word: u32,
    pub writes: Vec<RegWrite>,
}

/// The registers that differ between `before` and `after`, in trace order.
pub fn reg_writes(before: &CpuState, after: &CpuState) -> Vec<RegWrite> {
    let mut w = Vec::new();
    for i in 0..31 {
        if before.x[i] != after.x[i] {
            w.push(RegWrite::X(i as u8, after.x[i]));
        }
    }
    if before.sp != after.sp {
        w.push(RegWrite::Sp(after.sp));
    }
    if before.nzcv != after.nzcv {
        w.push(RegWrite::Nzcv(after.nzcv));
    }
    for i in 0..32 {
        if before.v[i] != after.v[i] {
            w.push(RegWrite::V(i as u8, after.vreg(i as u32)));
        }
    }
    if before.fpsr != after.fpsr {
        w.push(RegWrite::Fpsr(after.fpsr));
    }
    w
}
