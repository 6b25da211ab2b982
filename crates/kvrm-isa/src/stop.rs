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
    /// A breakpoint ([`crate::Engine::set_breakpoints`]): the instruction at
    /// `pc` has not executed (state unchanged). The next run steps over it.
    Breakpoint { pc: u64 },
    /// A watchpoint ([`crate::Engine::set_watchpoints`]): the instruction at
    /// `pc` was about to access `addr` (the lowest address both in the access
    /// and in the watched range) and has not executed: no register or memory
    /// changed. The next run steps over it.
    Watchpoint { pc: u64, addr: u64, access: Access },
    /// The engine itself failed (a GPU driver or kernel error): the machine
    /// stopped at `pc`, its state that of the last completed step;
    /// [`crate::Engine::take_error`] says why.
    EngineError { pc: u64 },
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
            StopReason::Breakpoint { .. } => "breakpoint",
            StopReason::Watchpoint { .. } => "watchpoint",
            StopReason::EngineError { .. } => "engine_error",
        }
    }

    /// The pc of a breakpoint or watchpoint stop (where a run resumes by
    /// stepping over the check), else `None`.
    pub fn debug_pc(&self) -> Option<u64> {
        match *self {
            StopReason::Breakpoint { pc } | StopReason::Watchpoint { pc, .. } => Some(pc),
            _ => None,
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
            StopReason::Breakpoint { pc } => write!(f, "breakpoint at pc {pc:#x}"),
            StopReason::Watchpoint { pc, addr, access } => write!(
                f,
                "watchpoint: {} of {addr:#x} at pc {pc:#x}",
                access.as_str()
            ),
            StopReason::EngineError { pc } => write!(f, "engine error at pc {pc:#x}"),
        }
    }
}

/// Which accesses a [`Watchpoint`] stops on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WatchKind {
    Read,
    Write,
    ReadWrite,
}

impl WatchKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchKind::Read => "r",
            WatchKind::Write => "w",
            WatchKind::ReadWrite => "rw",
        }
    }

    /// Does this kind stop on `access` (execute never does)?
    pub fn covers(self, access: Access) -> bool {
        matches!(
            (self, access),
            (WatchKind::Read | WatchKind::ReadWrite, Access::Read)
                | (WatchKind::Write | WatchKind::ReadWrite, Access::Write)
        )
    }
}

/// A watched range of guest memory: `len` bytes from `addr` (`len` >= 1).
///
/// A data access (load, store, atomic, SIMD load/store, exclusive) of `kind`
/// that touches any byte of the range stops the machine before the
/// instruction executes, with [`StopReason::Watchpoint`]. Instruction fetches
/// are not watched (use a breakpoint).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Watchpoint {
    pub addr: u64,
    pub len: u64,
    pub kind: WatchKind,
}

impl Watchpoint {
    /// The lowest watched address an access of `size` bytes at `addr` touches,
    /// if it is of a kind this watchpoint stops on.
    pub fn hit(&self, addr: u64, size: u64, access: Access) -> Option<u64> {
        if size == 0 || self.len == 0 || !self.kind.covers(access) {
            return None;
        }
        let last = addr.saturating_add(size - 1);
        let wlast = self.addr.saturating_add(self.len - 1);
        (addr <= wlast && self.addr <= last).then(|| addr.max(self.addr))
    }
}

/// The first watchpoint of `list` an access hits: (address, access).
pub fn watch_hit(list: &[Watchpoint], addr: u64, size: u64, access: Access) -> Option<u64> {
    list.iter().filter_map(|w| w.hit(addr, size, access)).min()
}

#[cfg(test)]
mod watch_tests {
    use super::*;

    #[test]
    fn watch_ranges_overlap_by_byte() {
        let w = Watchpoint {
            addr: 0x1004,
            len: 4,
            kind: WatchKind::Write,
        };
        assert_eq!(w.hit(0x1000, 8, Access::Write), Some(0x1004));
        assert_eq!(w.hit(0x1000, 4, Access::Write), None);
        assert_eq!(w.hit(0x1007, 1, Access::Write), Some(0x1007));
        assert_eq!(w.hit(0x1008, 8, Access::Write), None);
        assert_eq!(w.hit(0x1004, 4, Access::Read), None);
        assert_eq!(w.hit(0x1004, 4, Access::Execute), None);
        let all = [
            w,
            Watchpoint {
                addr: 0x1002,
                len: 1,
                kind: WatchKind::ReadWrite,
            },
        ];
        assert_eq!(watch_hit(&all, 0x1000, 8, Access::Write), Some(0x1002));
        assert_eq!(watch_hit(&all, 0x1000, 8, Access::Read), Some(0x1002));
        assert_eq!(watch_hit(&all, 0x1003, 8, Access::Read), None);
    }
}
