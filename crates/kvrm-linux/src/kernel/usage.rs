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

use super::{Kernel, Pid};
use crate::syscalls::Usage;

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
