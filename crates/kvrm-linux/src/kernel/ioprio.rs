//! ioprio_get and ioprio_set (ionice): an I/O priority kept per guest thread.
//! kvrm does no block I/O scheduling of its own, so the value changes nothing
//! but what these calls report, which follows Linux (checked against it
//! through qemu-user, which passes the calls to the host kernel):
//!
//! - A value is `class << 13 | data`; the class is bits 13..15 of the
//!   (signed) argument and the level its low three bits. Class NONE (0) needs
//!   level 0, best-effort (2) and idle (3) take any, real-time (1) needs
//!   privilege (root here), classes 4..7 are EINVAL. The value is checked
//!   before `which` and kept as 16 bits (bit 16 and up are dropped).
//! - A thread that never set one reports 0 (Linux has no I/O context for it),
//!   and so does one set to class NONE: `IOPRIO_WHO_PROCESS` reports the
//!   thread's own value, not one derived from its nice value.
//! - `IOPRIO_WHO_PGRP` and `IOPRIO_WHO_USER` report the best (numerically
//!   lowest) value over every thread of the group or user, where a thread at
//!   class NONE counts as best-effort at the level its nice value gives
//!   (`(nice + 20) / 5`: 4 at nice 0), as Linux's I/O schedulers treat it.
//! - A new thread or forked child starts with its creator's value unless that
//!   is of class NONE (then 0); execve keeps it.

use super::{Kernel, Pid, Process};
use crate::abi::errno::*;

const WHO_PROCESS: u64 = 1;
const WHO_PGRP: u64 = 2;
const WHO_USER: u64 = 3;

const CLASS_SHIFT: i32 = 13;
const CLASS_NONE: i32 = 0;
const CLASS_RT: i32 = 1;
const CLASS_BE: i32 = 2;
const CLASS_IDLE: i32 = 3;

/// The class of value `prio` (bits 13..15; a negative value has class 7).
fn class_of(prio: i32) -> i32 {
    (prio >> CLASS_SHIFT) & 7
}

/// The value a new thread or forked child starts with, from its creator's.
pub(crate) fn inherited(prio: u16) -> u16 {
    if class_of(i32::from(prio)) == CLASS_NONE {
        0
    } else {
        prio
    }
}

/// What a thread at `prio` counts as in a group or user query: class NONE
/// is best-effort at the level of the process's nice value.
fn effective(prio: u16, nice: i32) -> u16 {
    if class_of(i32::from(prio)) == CLASS_NONE {
        let level = (nice.clamp(-20, 19) + 20) / 5;
        ((CLASS_BE << CLASS_SHIFT) | level) as u16
    } else {
        prio
    }
}

/// Check value `prio` for ioprio_set: EINVAL for a bad class or level,
/// EPERM for the real-time class without privilege.
fn check(prio: i32, privileged: bool) -> Result<u16, i64> {
    let level = prio & 7;
    match class_of(prio) {
        CLASS_RT if !privileged => Err(EPERM),
        CLASS_RT | CLASS_BE | CLASS_IDLE => Ok(prio as u16),
        CLASS_NONE if level == 0 => Ok(prio as u16),
        _ => Err(EINVAL),
    }
}

impl Kernel {
    /// The live threads `which`/`who` name for thread `me`: each with its
    /// process id. ESRCH when there are none, EINVAL for an unknown `which`.
    fn ioprio_targets(&self, me: Pid, which: u64, who: u64) -> Result<Vec<(Pid, Pid)>, i64> {
        let who = who as i32;
        let live = |p: &Process| p.exit.is_none();
        let all_threads = |of: &dyn Fn(&Process) -> bool| -> Vec<(Pid, Pid)> {
            self.procs
                .iter()
                .filter(|(_, p)| live(p) && of(p))
                .flat_map(|(&pid, p)| p.threads.iter().map(move |&t| (t, pid)))
                .collect()
        };
        let caller = self.threads.get(&me).ok_or(ESRCH)?.pid;
        let targets = match which {
            WHO_PROCESS => {
                let tid = if who == 0 { me } else { who as Pid };
                match self.threads.get(&tid) {
                    Some(t) if who >= 0 && self.procs.get(&t.pid).is_some_and(live) => {
                        vec![(tid, t.pid)]
                    }
                    _ => Vec::new(),
                }
            }
            WHO_PGRP => {
                let pgid = if who == 0 {
                    self.procs[&caller].pgid
                } else {
                    who as Pid
                };
                all_threads(&|p| p.pgid == pgid)
            }
            WHO_USER => {
                let uid = if who == 0 {
                    self.procs[&caller].linux.uid
                } else {
                    who as u32
                };
                all_threads(&|p| p.linux.uid == uid)
            }
            _ => return Err(EINVAL),
        };
        if targets.is_empty() {
            return Err(ESRCH);
        }
        Ok(targets)
    }

    /// ioprio_get(which, who).
    pub(crate) fn sys_ioprio_get(&self, me: Pid, which: u64, who: u64) -> Result<u64, i64> {
        let targets = self.ioprio_targets(me, which, who)?;
        if which == WHO_PROCESS {
            return Ok(u64::from(self.threads[&targets[0].0].ioprio));
        }
        let best = targets
            .iter()
            .map(|&(tid, pid)| effective(self.threads[&tid].ioprio, self.procs[&pid].nice))
            .min()
            .unwrap_or(0);
        Ok(u64::from(best))
    }

    /// ioprio_set(which, who, prio).
    pub(crate) fn sys_ioprio_set(
        &mut self,
        me: Pid,
        which: u64,
        who: u64,
        prio: u64,
    ) -> Result<u64, i64> {
        let caller = self.threads.get(&me).ok_or(ESRCH)?.pid;
        let uid = self.procs[&caller].linux.uid;
        let prio = check(prio as i32, uid == 0)?;
        let targets = self.ioprio_targets(me, which, who)?;
        for (tid, pid) in targets {
            // Another user's threads need privilege (CAP_SYS_NICE).
            if uid != 0 && self.procs[&pid].linux.uid != uid {
                return Err(EPERM);
            }
            if let Some(t) = self.threads.get_mut(&tid) {
                t.ioprio = prio;
            }
        }
        Ok(0)
    }
}

/// The I/O priority kvrm itself runs with: the first guest process starts
/// with it, as a program run under qemu-user starts with qemu's.
pub(crate) fn host_ioprio() -> u16 {
    // SAFETY: ioprio_get has no memory arguments.
    let r = unsafe { libc::syscall(libc::SYS_ioprio_get, WHO_PROCESS as i64, 0i64) };
    if r < 0 {
        0
    } else {
        r as u16
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_checked_as_linux_checks_them() {
        assert_eq!(check(0, false), Ok(0));
        assert_eq!(check(1, false), Err(EINVAL));
        assert_eq!(check(CLASS_RT << 13, false), Err(EPERM));
        assert_eq!(check(CLASS_RT << 13 | 3, true), Ok(0x2003));
        assert_eq!(check(CLASS_BE << 13 | 100, false), Ok(0x4064));
        assert_eq!(check(4 << 13, true), Err(EINVAL));
        assert_eq!(check(-1, true), Err(EINVAL));
        assert_eq!(check(1 << 16, false), Ok(0));
    }

    #[test]
    fn class_none_counts_as_best_effort_at_the_nice_level() {
        assert_eq!(effective(0, 0), 0x4004);
        assert_eq!(effective(0, 15), 0x4007);
        assert_eq!(effective(0, -20), 0x4000);
        assert_eq!(effective(0x6000, 0), 0x6000);
        assert_eq!(inherited(0x0008), 0);
        assert_eq!(inherited(0x6000), 0x6000);
    }
}
