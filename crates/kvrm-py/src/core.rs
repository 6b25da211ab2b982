//! One machine with its debugging state, and how a budget of instructions is
//! run on it (the part of every `execute*` call that holds the machine).
//!
//! Without breakpoints or a trace, a chunk is one backend run at full speed.
//! Breakpoints and the trace single-step (one backend run per instruction),
//! which is slow but exact. Watchpoints work at full speed the way debuggers
//! use page protection: while the guest runs, watched pages lose the read
//! and/or write permission; a permission fault there that the real
//! permissions allow is a watched access (hit, if it touches the range) or a
//! neighbour's: either way the instruction is stepped with the real
//! permissions back and the pages are protected again.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use kvrm_isa::space::{page_of, PAGE_SHIFT};
use kvrm_isa::{Access, CpuState, FaultKind, Perms, StopReason, PAGE_SIZE};

use crate::backend::Backend;

/// Accesses are not decoded, so a watched access is one that starts in the
/// range or up to this many bytes before it (the largest single access).
const WATCH_SLACK: u64 = 15;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    Read,
    Write,
    Access,
}

impl WatchKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "r" | "read" => Some(Self::Read),
            "w" | "write" => Some(Self::Write),
            "rw" | "a" | "access" => Some(Self::Access),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Write => "write",
            Self::Access => "access",
        }
    }
    fn covers(self, access: Access) -> bool {
        matches!(
            (self, access),
            (Self::Access, Access::Read | Access::Write)
                | (Self::Read, Access::Read)
                | (Self::Write, Access::Write)
        )
    }
    /// Permission bits to take away from a watched page.
    fn strip(self) -> u8 {
        match self {
            Self::Read => Perms::R.0,
            Self::Write => Perms::W.0,
            Self::Access => Perms::RW.0,
        }
    }
}

#[derive(Clone, Copy, Debug)]
pub struct Watch {
    pub addr: u64,
    pub size: u64,
    pub kind: WatchKind,
}

/// Why a run stopped, beyond the backend's reasons.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Reason {
    Isa(StopReason),
    /// About to execute the instruction at `pc`.
    Breakpoint {
        pc: u64,
    },
    /// The instruction that accessed `addr` has executed.
    Watchpoint {
        watch_addr: u64,
        addr: u64,
        access: Access,
    },
    /// `cancel()` was called.
    Cancelled,
}

impl Reason {
    pub fn name(&self) -> &'static str {
        match self {
            Reason::Isa(s) => s.kind_str(),
            Reason::Breakpoint { .. } => "breakpoint",
            Reason::Watchpoint { .. } => "watchpoint",
            Reason::Cancelled => "cancelled",
        }
    }
}

/// How a chunk ended.
pub enum Event {
    /// The budget was spent.
    Budget,
    /// SVC: the run loop decides (hook, or stop).
    Syscall,
    Stop(Reason),
}

/// One traced instruction.
#[derive(Clone, Debug)]
pub struct TraceRecord {
    pub pc: u64,
    pub encoding: u32,
    /// (register name, new value) for each register the instruction changed.
    pub written: Vec<(String, u128)>,
}

pub struct Trace {
    pub capacity: usize,
    pub records: VecDeque<TraceRecord>,
}

pub struct Core {
    pub backend: Backend,
    pub breakpoints: BTreeSet<u64>,
    pub watchpoints: Vec<Watch>,
    pub trace: Option<Trace>,
    /// Real permissions of the pages protected for watchpoints, while armed.
    armed: BTreeMap<u64, Perms>,
}

fn diff(before: &CpuState, after: &CpuState) -> Vec<(String, u128)> {
    let mut out = Vec::new();
    for i in 0..31 {
        if before.x[i] != after.x[i] {
            out.push((format!("x{i}"), after.x[i] as u128));
        }
    }
    let named = [
        ("sp", before.sp, after.sp),
        ("nzcv", before.nzcv, after.nzcv),
        ("fpcr", before.fpcr, after.fpcr),
        ("fpsr", before.fpsr, after.fpsr),
        ("tpidr_el0", before.tpidr_el0, after.tpidr_el0),
    ];
    for (name, b, a) in named {
        if b != a {
            out.push((name.to_string(), a as u128));
        }
    }
    for i in 0..32 {
        if before.v[i] != after.v[i] {
            out.push((format!("v{i}"), after.vreg(i as u32)));
        }
    }
    out
}

impl Core {
    pub fn new(backend: Backend) -> Self {
        Core {
            backend,
            breakpoints: BTreeSet::new(),
            watchpoints: Vec::new(),
            trace: None,
            armed: BTreeMap::new(),
        }
    }

    /// Protect watched pages (before the guest runs).
    fn arm(&mut self) {
        let mut strip: BTreeMap<u64, u8> = BTreeMap::new();
        let regions = self.backend.memory().regions();
        for w in &self.watchpoints {
            let first = page_of(w.addr.saturating_sub(WATCH_SLACK));
            let last = page_of(w.addr.saturating_add(w.size.max(1) - 1));
            // Only mapped pages can be protected (or accessed).
            for r in &regions {
                let lo = first.max(page_of(r.start));
                let hi = last.min(page_of(r.end - 1));
                for page in lo..=hi {
                    *strip.entry(page).or_default() |= w.kind.strip();
                }
            }
        }
        let mem = self.backend.memory_mut();
        for (page, bits) in strip {
            let addr = page << PAGE_SHIFT;
            let Some(real) = mem.perms_at(addr) else {
                continue;
            };
            if mem.protect(addr, PAGE_SIZE, Perms(real.0 & !bits)).is_ok() {
                self.armed.insert(page, real);
            }
        }
    }

    /// Give watched pages their real permissions back.
    fn disarm(&mut self) {
        let armed = std::mem::take(&mut self.armed);
        let mem = self.backend.memory_mut();
        for (page, perms) in armed {
            let _ = mem.protect(page << PAGE_SHIFT, PAGE_SIZE, perms);
        }
    }

    /// Run up to `budget` instructions. `first` says this chunk starts a run
    /// call, so a breakpoint at the current pc (where the last run stopped)
    /// does not stop it again.
    pub fn run_chunk(&mut self, budget: u64, first: bool) -> (u64, Event) {
        self.backend.sync_host_views();
        let watching = !self.watchpoints.is_empty();
        if watching {
            self.arm();
        }
        let out = if self.breakpoints.is_empty() && self.trace.is_none() {
            self.run_watched(budget)
        } else {
            self.run_stepping(budget, first)
        };
        if watching {
            self.disarm();
        }
        out
    }

    /// Is this stop a permission fault that only the watch protection caused?
    fn watch_fault(&self, stop: &StopReason) -> Option<(u64, Access)> {
        let StopReason::Fault {
            addr,
            access,
            kind: FaultKind::Permission,
            ..
        } = *stop
        else {
            return None;
        };
        let real = self.armed.get(&page_of(addr))?;
        real.allows(access).then_some((addr, access))
    }

    /// Full-speed run that steps over accesses to protected watch pages.
    fn run_watched(&mut self, budget: u64) -> (u64, Event) {
        let mut ran = 0u64;
        loop {
            if ran >= budget {
                return (ran, Event::Budget);
            }
            let r = self.backend.run(budget - ran);
            ran += r.instructions;
            let Some((addr, access)) = self.watch_fault(&r.stop) else {
                return (ran, Self::event(r.stop));
            };
            let hit = self.watchpoints.iter().find(|w| {
                w.kind.covers(access)
                    && addr < w.addr.saturating_add(w.size)
                    && addr.saturating_add(WATCH_SLACK) >= w.addr
            });
            let hit = hit.map(|w| w.addr);
            // Step the faulting instruction with the real permissions.
            self.disarm();
            let step = self.backend.run(1);
            self.arm();
            ran += step.instructions;
            match (step.stop, hit) {
                (StopReason::CycleLimit, Some(watch_addr)) => {
                    return (
                        ran,
                        Event::Stop(Reason::Watchpoint {
                            watch_addr,
                            addr,
                            access,
                        }),
                    )
                }
                (StopReason::CycleLimit, None) => {}
                (other, _) => return (ran, Self::event(other)),
            }
        }
    }

    /// One instruction at a time, for breakpoints and the trace.
    fn run_stepping(&mut self, budget: u64, first: bool) -> (u64, Event) {
        let mut ran = 0u64;
        while ran < budget {
            let pc = self.backend.state().pc;
            if !(first && ran == 0) && self.breakpoints.contains(&pc) {
                return (ran, Event::Stop(Reason::Breakpoint { pc }));
            }
            let before = self.trace.is_some().then(|| *self.backend.state());
            let encoding = self.backend.memory().read_u32(pc).unwrap_or(0);
            let (n, ev) = self.run_watched(1);
            ran += n;
            if let (Some(before), Some(trace)) = (before, self.trace.as_mut()) {
                if n > 0 {
                    if trace.records.len() == trace.capacity {
                        trace.records.pop_front();
                    }
                    let after = self.backend.state();
                    trace.records.push_back(TraceRecord {
                        pc,
                        encoding,
                        written: diff(&before, after),
                    });
                }
            }
            match ev {
                Event::Budget => {}
                other => return (ran, other),
            }
        }
        (ran, Event::Budget)
    }

    fn event(stop: StopReason) -> Event {
        match stop {
            StopReason::CycleLimit => Event::Budget,
            StopReason::Syscall { .. } => Event::Syscall,
            other => Event::Stop(Reason::Isa(other)),
        }
    }
}
