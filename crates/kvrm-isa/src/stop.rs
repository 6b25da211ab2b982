//! Why a run of the guest stopped.

use core::fmt;

/// The kind of guest memory access that faulted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    Read,
    Write,
    Execute,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Execute => "execute",
        }
    }
}

/// Why a memory access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultKind {
    /// No mapping covers the address.
    Unmapped,
    /// A mapping covers it but does not allow the access.
    Permission,
    /// An access that the architecture requires to be aligned was not.
    Alignment,
    /// The page is mapped but has no backing (a shared file page past the
    /// end of the file): Linux's SIGBUS.
    Bus,
}

impl FaultKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FaultKind::Unmapped => "unmapped",
            FaultKind::Permission => "permission",
            FaultKind::Alignment => "alignment",
            FaultKind::Bus => "bus error",
        }
    }
}

/// A failed guest memory access (no pc: the executing backend adds it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemFault {
    pub addr: u64,
    pub access: Access,
    pub kind: FaultKind,
}

impl fmt::Display for MemFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} fault ({}) at {:#x}",
            self.access.as_str(),
            self.kind.as_str(),
            self.addr
        )
    }
}

/// Why the guest stopped running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// BRK or HLT executed; `pc` still points at it.
    Halted { pc: u64, imm: u16, hlt: bool },
    /// SVC executed; `pc` points after it. The Linux syscall number is in x8.
    Syscall { imm: u16 },
    /// The instruction budget was used up.
    CycleLimit,
    /// A memory access failed.
    Fault {
        addr: u64,
        access: Access,
        kind: FaultKind,
        pc: u64,
    },
    /// An encoding this emulator does not implement (or that is unallocated).
    Undefined { pc: u64, encoding: u32 },
}

impl StopReason {
    /// The short name used by `--json` (`stop` key).
    pub fn kind_str(&self) -> &'static str {
        match self {
            StopReason::Halted { .. } => "halted",
            StopReason::Syscall { .. } => "syscall",
            StopReason::CycleLimit => "cycle_limit",
            StopReason::Fault { .. } => "fault",
            StopReason::Undefined { .. } => "undefined",
        }
    }

    pub fn fault(f: MemFault, pc: u64) -> Self {
        StopReason::Fault {
            addr: f.addr,
            access: f.access,
            kind: f.kind,
            pc,
        }
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StopReason::Halted { pc, imm, hlt } => {
                let insn = if hlt { "HLT" } else { "BRK" };
                write!(f, "halted: {insn} #{imm:#x} at pc {pc:#x}")
            }
            StopReason::Syscall { imm } => write!(f, "syscall: SVC #{imm:#x}"),
            StopReason::CycleLimit => write!(f, "cycle limit reached"),
            StopReason::Fault {
                addr,
                access,
                kind,
                pc,
            } => write!(
                f,
                "fault: {} of {:#x} ({}) at pc {:#x}",
                access.as_str(),
                addr,
                kind.as_str(),
                pc
            ),
            StopReason::Undefined { pc, encoding } => {
                write!(f, "undefined instruction {encoding:#010x} at pc {pc:#x}")
            }
        }
    }
}
