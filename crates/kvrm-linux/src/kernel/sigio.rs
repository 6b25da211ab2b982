//! O_ASYNC: SIGIO (or the F_SETSIG signal) to a descriptor's owner
//! (F_SETOWN: a process, or a process group) when input arrives or output
//! room comes back. The host descriptor never gets O_ASYNC (the host would
//! signal kvrm itself); instead the kernel samples each such descriptor's
//! readiness with a zero-timeout poll every scheduling round and when it
//! waits, and signals on a rising edge. A read-type call on one samples it
//! again at once, so input that comes after the guest emptied it is a new
//! edge.

use std::os::fd::RawFd;
use std::sync::{Arc, Mutex, Weak};

use super::sigframe::{SigInfo, SI_KERNEL};
use super::{Kernel, Pid};
use crate::abi::{open::O_ASYNC, signal::SIGIO};
use crate::fd::{LockFile, OpenFile};

/// The readiness that raises the signal.
const EDGES: i16 = libc::POLLIN | libc::POLLOUT | libc::POLLPRI | libc::POLLHUP | libc::POLLERR;
// si_code of an F_SETSIG signal: why it came (POLL_IN, POLL_OUT, POLL_PRI,
// POLL_ERR, POLL_HUP).
const POLL_IN: i32 = 1;
const POLL_OUT: i32 = 2;
const POLL_ERR: i32 = 4;
const POLL_PRI: i32 = 5;
const POLL_HUP: i32 = 6;

pub(crate) struct AsyncFile {
    file: Weak<Mutex<OpenFile>>,
    /// The guest descriptor it was set on (si_fd of F_SETSIG signals).
    fd: i32,
    /// Readiness at the last sample.
    last: i16,
}

/// The host readiness of `raw` now.
fn readiness(raw: RawFd) -> i16 {
    let mut p = libc::pollfd {
        fd: raw,
        events: libc::POLLIN | libc::POLLOUT | libc::POLLPRI,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    unsafe { libc::poll(&mut p, 1, 0) };
    p.revents & EDGES
}

impl Kernel {
    /// After fcntl or ioctl on `fd` of `pid`: follow it if it has O_ASYNC
    /// now (its current readiness is no edge).
    pub(crate) fn note_async(&mut self, pid: Pid, fd: u64) {
        let Some(file) = self.procs.get(&pid).and_then(|p| p.linux.fds.get(fd).ok()) else {
            return;
        };
        let raw = {
            let f = file.lock_file();
            if f.status & O_ASYNC == 0 {
                return;
            }
            f.host.raw()
        };
        self.async_files.retain(|a| a.file.strong_count() > 0);
        if self
            .async_files
            .iter()
            .any(|a| a.file.upgrade().is_some_and(|f| Arc::ptr_eq(&f, &file)))
        {
            return;
        }
        self.async_files.push(AsyncFile {
            file: Arc::downgrade(&file),
            fd: fd as i32,
            last: readiness(raw),
        });
    }

    /// A read-type call on `fd` of `pid` may have emptied it: sample it
    /// (no signal), so data that comes next is an edge.
    pub(crate) fn resample_async(&mut self, pid: Pid, fd: u64) {
        if self.async_files.is_empty() {
            return;
        }
        let Some(file) = self.procs.get(&pid).and_then(|p| p.linux.fds.get(fd).ok()) else {
            return;
        };
        for a in &mut self.async_files {
            if a.file.upgrade().is_some_and(|f| Arc::ptr_eq(&f, &file)) {
                a.last = readiness(file.lock_file().host.raw());
            }
        }
    }

    /// Sample every O_ASYNC descriptor and signal the owners of those that
    /// became ready.
    pub(crate) fn sync_async(&mut self) {
        if self.async_files.is_empty() {
            return;
        }
        // One whose O_ASYNC went off is forgotten: turned on again, it is
        // followed anew from its readiness then (no edge).
        self.async_files.retain(|a| {
            a.file
                .upgrade()
                .is_some_and(|f| f.lock_file().status & O_ASYNC != 0)
        });
        let mut sends = Vec::new();
        for a in &mut self.async_files {
            let Some(file) = a.file.upgrade() else {
                continue;
            };
            let f = file.lock_file();
            if f.status & O_ASYNC == 0 {
                continue;
            }
            let now = readiness(f.host.raw());
            let rising = now & !a.last;
            a.last = now;
            if rising != 0 && f.owner != 0 {
                sends.push((f.owner, f.owner_sig, a.fd, rising));
            }
        }
        for (owner, sig, fd, rising) in sends {
            let info = if sig == 0 {
                SigInfo::new(SIGIO, SI_KERNEL)
            } else {
                let code = if rising & libc::POLLIN != 0 {
                    POLL_IN
                } else if rising & libc::POLLOUT != 0 {
                    POLL_OUT
                } else if rising & libc::POLLPRI != 0 {
                    POLL_PRI
                } else if rising & libc::POLLERR != 0 {
                    POLL_ERR
                } else {
                    POLL_HUP
                };
                SigInfo::poll(sig, code, rising as i64, fd)
            };
            let _ = if owner > 0 {
                self.send_to_process(owner as Pid, info)
            } else {
                self.kill_group_signal(owner.unsigned_abs() as Pid, info)
            };
        }
    }

    /// The O_ASYNC descriptors not ready at their last sample: an idle
    /// kernel wakes when one becomes ready.
    pub(crate) fn async_poll_fds(&self) -> Vec<(RawFd, i16)> {
        self.async_files
            .iter()
            .filter_map(|a| {
                let file = a.file.upgrade()?;
                let f = file.lock_file();
                let want = !a.last & (libc::POLLIN | libc::POLLOUT | libc::POLLPRI);
                (f.status & O_ASYNC != 0 && f.owner != 0 && want != 0).then(|| (f.host.raw(), want))
            })
            .collect()
    }
}
