//! Processes outside the guest that it can name: the parent, the process
//! group leader and the session leader of its first process (kvrm's own on
//! the host; pid 1 in a deterministic run). On Linux they exist: a program
//! that checks its parent with `kill(getppid(), 0)` or asks for its
//! scheduling would find it. kvrm answers those queries from what it saw at
//! start and never signals the host: signal 0 (does it exist?) succeeds,
//! a real signal, or changing their scheduling or priority, is EPERM.

use super::{Kernel, Pid};
use crate::abi::errno::*;

/// What the guest may learn of one outside process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Outside {
    pub pid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub nice: i32,
}

/// The outside processes a first guest process with these `ppid`, `pgid`
/// and `sid` can name (those that are not `first` itself), as the host
/// shows them now; in a deterministic run, init alone, with fixed values.
pub(crate) fn outside_of(first: Pid, ids: [Pid; 3], deterministic: bool) -> Vec<Outside> {
    if deterministic {
        return vec![Outside {
            pid: 1,
            pgid: 1,
            sid: 1,
            nice: 0,
        }];
    }
    let mut out: Vec<Outside> = Vec::new();
    for pid in ids {
        if pid <= 1 || pid == first || out.iter().any(|o| o.pid == pid) {
            continue;
        }
        let host = pid as libc::pid_t;
        // SAFETY: queries of another host process, no memory arguments.
        let (pgid, sid) = unsafe { (libc::getpgid(host), libc::getsid(host)) };
        // errno must be cleared to tell a nice of -1 from an error.
        // SAFETY: as above.
        let nice = unsafe {
            *libc::__errno_location() = 0;
            libc::getpriority(libc::PRIO_PROCESS, host as libc::id_t)
        };
        let failed = std::io::Error::last_os_error().raw_os_error() != Some(0);
        if pgid < 0 || sid < 0 || (nice == -1 && failed) {
            continue;
        }
        out.push(Outside {
            pid,
            pgid: pgid as Pid,
            sid: sid as Pid,
            nice,
        });
    }
    out
}

impl Kernel {
    /// The outside process `pid` names, if no guest process or thread has
    /// that number.
    pub(crate) fn outside(&self, pid: Pid) -> Option<Outside> {
        if self.procs.contains_key(&pid) || self.threads.contains_key(&pid) {
            return None;
        }
        self.outside.iter().find(|o| o.pid == pid).copied()
    }

    /// kill(pid, sig) or kill(-pid, sig) to an outside process or group
    /// (None: not one).
    pub(crate) fn kill_outside(&self, pid: Pid, group: bool, sig: u64) -> Option<Result<u64, i64>> {
        let known = if group {
            self.outside.iter().any(|o| o.pgid == pid)
        } else {
            self.outside(pid).is_some()
        };
        known.then_some(if sig == 0 { Ok(0) } else { Err(EPERM) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_outside_is_kvrms_own_ancestry_as_the_host_shows_it() {
        // SAFETY: plain queries of this process.
        let (me, parent, pgrp, sid) = unsafe {
            (
                libc::getpid() as Pid,
                libc::getppid() as Pid,
                libc::getpgrp() as Pid,
                libc::getsid(0) as Pid,
            )
        };
        let out = outside_of(me, [parent, pgrp, sid], false);
        // The test runner's parent exists; this process itself is never outside.
        let p = out.iter().find(|o| o.pid == parent).expect("the parent");
        // SAFETY: as above.
        assert_eq!(p.pgid, unsafe { libc::getpgid(parent as libc::pid_t) }
            as Pid);
        assert!(out.iter().all(|o| o.pid != me && o.pid > 1));
        let det = outside_of(me, [parent, pgrp, sid], true);
        assert_eq!(det.len(), 1);
        assert_eq!((det[0].pid, det[0].pgid, det[0].sid), (1, 1, 1));
    }
}
