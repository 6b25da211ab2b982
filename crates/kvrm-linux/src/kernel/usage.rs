//! CPU time and peak memory per guest thread and process (the `Usage` the
//! Linux layer reports: getrusage, times, the CPU-time clocks, wait4's and
//! waitid's rusage, /proc/PID/stat). GNU time, bash's `time`, ps and top read
//! these; before, every figure was the whole of kvrm's own (or 0).
//!
//! - User time: each engine run's host time, shared among the machines that
//!   ran by the instructions each retired. In a deterministic run, one
//!   nanosecond per instruction (as its virtual clock), so it is reproducible.
//! - System time: the host time kvrm spends servicing the thread's syscalls
//!   (none in a deterministic run).
//! - Peak memory: the process's resident pages, sampled at each syscall and
//!   at exit.
//! - A parent adds a child's figures, and those of the child's own waited-for
//!   children, when it reaps it (the times summed, the larger peak kept).

use std::time::Duration;

use kvrm_isa::MachineStop;

use super::{Kernel, Outcome, Pid};
use crate::abi::errno::{EFAULT, EINVAL};
use crate::syscalls::{nr, Usage};

/// Resolution of the CPU-time clocks other than the run-time one: a
/// scheduler tick (arm64 Linux's HZ is 250).
const TICK_NS: u64 = 4_000_000;

impl Kernel {
    /// An engine run of `elapsed` host time ended with `stops`: add the user
    /// time of each machine's thread and process.
    pub(crate) fn account_run(&mut self, stops: &[MachineStop], elapsed: Duration) {
        let total: u64 = stops.iter().map(|s| s.instructions).sum();
        if total == 0 {
            return;
        }
        let elapsed = elapsed.as_nanos();
        for s in stops {
            let ns = if self.config.deterministic {
                s.instructions
            } else {
                (elapsed * u128::from(s.instructions) / u128::from(total)) as u64
            };
            let Some(&tid) = self.by_machine.get(&s.machine) else {
                continue;
            };
            let Some(t) = self.threads.get_mut(&tid) else {
                continue;
            };
            t.usage.user_ns += ns;
            if let Some(p) = self.procs.get_mut(&t.pid) {
                p.linux.usage.user_ns += ns;
            }
        }
    }

    /// Thread `tid` spent `elapsed` in a syscall: its and its process's
    /// system time (if both are still there).
    pub(crate) fn account_syscall(&mut self, tid: Pid, elapsed: Duration) {
        if self.config.deterministic {
            return;
        }
        let ns = elapsed.as_nanos() as u64;
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        t.usage.sys_ns += ns;
        if let Some(p) = self.procs.get_mut(&t.pid) {
            p.linux.usage.sys_ns += ns;
        }
    }

    /// clock_gettime and clock_getres on the CPU-time clock of a process or
    /// thread named by its id (clock_getcpuclockid, pthread_getcpuclockid):
    /// a negative clock id `(!id << 3) | kind`, bit 2 set for a thread, id 0
    /// the caller; kind 0 is user and system time, 1 user time, 2 run time,
    /// 3 a clock descriptor (which kvrm does not have: EINVAL). A thread clock
    /// names a thread of the caller's process. None: another call.
    pub(crate) fn cpu_clock_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        let clk = a[0] as i32;
        if !matches!(n, nr::CLOCK_GETTIME | nr::CLOCK_GETRES) || clk >= 0 {
            return None;
        }
        let usage = match self.cpu_clock_usage(tid, clk) {
            Ok(u) => u,
            Err(e) => return Some(Outcome::errno(e)),
        };
        let ns = match (n, clk & 3) {
            (nr::CLOCK_GETRES, 2) => 1,
            (nr::CLOCK_GETRES, _) => TICK_NS,
            (_, 1) => usage.user_ns,
            _ => usage.user_ns + usage.sys_ns,
        };
        if n == nr::CLOCK_GETRES && a[1] == 0 {
            return Some(Outcome::Return(0));
        }
        let ts = crate::syscalls::misc_timespec_bytes(
            (ns / 1_000_000_000) as i64,
            (ns % 1_000_000_000) as i64,
        );
        let space = self.procs[&self.threads[&tid].pid].space;
        Some(match self.engine.space_mut(space).write_bytes(a[1], &ts) {
            Ok(()) => Outcome::Return(0),
            Err(_) => Outcome::errno(EFAULT),
        })
    }

    /// The figures CPU-time clock `clk` (negative) of thread `tid` reads.
    fn cpu_clock_usage(&self, tid: Pid, clk: i32) -> Result<Usage, i64> {
        if clk & 3 == 3 {
            return Err(EINVAL);
        }
        let id = !(clk >> 3) as Pid;
        let me = self.threads.get(&tid).ok_or(EINVAL)?;
        if clk & 4 != 0 {
            let t = if id == 0 {
                Some(me)
            } else {
                self.threads.get(&id)
            };
            return match t {
                Some(t) if t.pid == me.pid => Ok(t.usage),
                _ => Err(EINVAL),
            };
        }
        let pid = if id == 0 { me.pid } else { id };
        self.procs
            .get(&pid)
            .filter(|p| p.exit.is_none())
            .map(|p| p.linux.usage)
            .ok_or(EINVAL)
    }

    /// Sample process `pid`'s resident memory into its peak.
    pub(crate) fn note_rss(&mut self, pid: Pid) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        let kb = self.engine.space(p.space).resident_pages() as u64 * 4;
        let u = &mut p.linux.usage;
        u.maxrss_kb = u.maxrss_kb.max(kb);
    }

    /// What waiting for child `child` reports (its figures and its reaped
    /// children's), added to `parent`'s children when `reap`.
    pub(crate) fn child_usage(&mut self, parent: Pid, child: Pid, reap: bool) -> Usage {
        let mut u = Usage::default();
        if let Some(c) = self.procs.get(&child) {
            u = c.linux.usage;
            u.add(&c.linux.children_usage);
        }
        if reap {
            if let Some(p) = self.procs.get_mut(&parent) {
                p.linux.children_usage.add(&u);
            }
        }
        u
    }
}
