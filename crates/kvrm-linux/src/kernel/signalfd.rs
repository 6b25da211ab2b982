//! signalfd: a descriptor whose reads take pending signals of a set (as
//! `struct signalfd_siginfo`) instead of their being delivered. PostgreSQL's
//! latches and systemd-style event loops wait on one with epoll.
//!
//! Each is a host eventfd kept readable exactly while the process that
//! made it has a signal of the set pending (`sync_signalfds`, run before
//! the kernel looks at host descriptors), so poll, select and epoll on it
//! are the host's. A read dequeues the reader's own signals, thread's
//! first, as Linux does; one that finds none waits on the eventfd.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, Weak};

use super::sigframe::{bit, SigInfo, SI_TIMER};
use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::{errno::*, open::*, signal::*};
use crate::fd::{HostFd, LockFile, OpenFile};

/// `struct signalfd_siginfo` is 128 bytes.
const SIGINFO_SIZE: u64 = 128;

pub(crate) struct SignalFd {
    file: Weak<Mutex<OpenFile>>,
    /// The process whose pending signals make it readable: its maker.
    owner: Pid,
    mask: u64,
    /// The eventfd holds a count (readable).
    ready: bool,
}

/// Set or clear the readiness of eventfd `file`.
fn set_ready(file: &Mutex<OpenFile>, ready: bool) {
    let raw = file.lock_file().host.raw();
    let mut v = 1u64.to_ne_bytes();
    // SAFETY: 8-byte transfers between a valid buffer and an eventfd we own
    // (non-blocking: a read of an empty one fails with EAGAIN).
    unsafe {
        if ready {
            libc::write(raw, v.as_ptr().cast(), v.len());
        } else {
            libc::read(raw, v.as_mut_ptr().cast(), v.len());
        }
    }
}

/// A kernel siginfo as the `struct signalfd_siginfo` a read returns: the
/// fields of the siginfo's layout (by signal and code) in their slots.
fn signalfd_info(info: &SigInfo) -> [u8; SIGINFO_SIZE as usize] {
    let s = &info.0;
    let mut out = [0u8; SIGINFO_SIZE as usize];
    // Copy `len` bytes of the siginfo at `from` to the signalfd_siginfo at `to`.
    let mut copy = |to: usize, from: usize, len: usize| {
        out[to..to + len].copy_from_slice(&s[from..from + len]);
    };
    let (signo, code) = (info.signo(), info.code());
    copy(0, 0, 12); // signo, errno, code
    let fault = matches!(signo, SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP);
    if code == SI_TIMER {
        copy(24, 16, 4); // tid
        copy(32, 20, 4); // overrun
        copy(44, 24, 4); // int
        copy(48, 24, 8); // ptr
    } else if code > 0 && fault {
        copy(72, 16, 8); // addr
    } else if code > 0 && signo == SIGIO {
        copy(28, 16, 4); // band
        copy(20, 24, 4); // fd
    } else {
        copy(12, 16, 4); // pid
        copy(16, 20, 4); // uid
        if code > 0 && signo == SIGCHLD {
            copy(40, 24, 4); // status
            copy(56, 32, 8); // utime
            copy(64, 40, 8); // stime
        } else {
            copy(44, 24, 4); // int
            copy(48, 24, 8); // ptr
        }
    }
    out
}

impl Kernel {
    /// signalfd4(fd, mask, sizemask, flags): a new signalfd (fd -1) or a
    /// new set for an existing one.
    pub(crate) fn sys_signalfd4(&mut self, pid: Pid, a: [u64; 6]) -> Outcome {
        let (fd, umask, size, flags) = (a[0] as i32, a[1], a[2], a[3]);
        if size != 8 || flags & !(O_NONBLOCK | O_CLOEXEC) != 0 {
            return Outcome::errno(EINVAL);
        }
        let Some(p) = self.procs.get(&pid) else {
            return Outcome::errno(ESRCH);
        };
        let mask = match self.engine.space(p.space).read_u64(umask) {
            // SIGKILL and SIGSTOP are never taken this way.
            Ok(m) => m & !(bit(SIGKILL) | bit(SIGSTOP)),
            Err(_) => return Outcome::errno(EFAULT),
        };
        if fd != -1 {
            let Ok(file) = p.linux.fds.get(fd as u64) else {
                return Outcome::errno(EBADF);
            };
            let Some(s) = self.signalfd_of(&file) else {
                return Outcome::errno(EINVAL);
            };
            self.signalfds[s].mask = mask;
            self.sync_signalfds();
            return Outcome::Return(fd as u64);
        }
        // SAFETY: creates a new descriptor that we own.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Outcome::errno(
                std::io::Error::last_os_error()
                    .raw_os_error()
                    .unwrap_or(libc::EIO) as i64,
            );
        }
        // SAFETY: `raw` was just created and is ours.
        let host = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut of = OpenFile::new(HostFd::Owned(host), O_RDWR | (flags & O_NONBLOCK));
        of.host_nonblock = true;
        of.pollable = Some(true);
        let Some(p) = self.procs.get_mut(&pid) else {
            return Outcome::errno(ESRCH);
        };
        let fd = match p.linux.install(of, flags & O_CLOEXEC != 0) {
            Ok(fd) => fd,
            Err(e) => return Outcome::errno(e),
        };
        let Ok(file) = p.linux.fds.get(fd) else {
            return Outcome::errno(EBADF);
        };
        self.signalfds.retain(|s| s.file.strong_count() > 0);
        self.signalfds.push(SignalFd {
            file: Arc::downgrade(&file),
            owner: pid,
            mask,
            ready: false,
        });
        self.sync_signalfds();
        Outcome::Return(fd)
    }

    /// The registry index of the signalfd behind `file`.
    fn signalfd_of(&self, file: &Arc<Mutex<OpenFile>>) -> Option<usize> {
        self.signalfds
            .iter()
            .position(|s| s.file.upgrade().is_some_and(|f| Arc::ptr_eq(&f, file)))
    }

    /// Is descriptor `fd` of `pid` a signalfd?
    pub(crate) fn is_signalfd(&self, pid: Pid, fd: u64) -> bool {
        if self.signalfds.is_empty() {
            return false;
        }
        let Some(file) = self.procs.get(&pid).and_then(|p| p.linux.fds.get(fd).ok()) else {
            return false;
        };
        self.signalfd_of(&file).is_some()
    }

    /// read(fd, buf, count) of a signalfd: as many pending signals of its
    /// set as fit, or a wait for one (EAGAIN with O_NONBLOCK).
    pub(crate) fn signalfd_read(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        let (fd, buf, count) = (a[0], a[1], a[2]);
        let Some(pid) = self.threads.get(&tid).map(|t| t.pid) else {
            return Outcome::Gone;
        };
        let Ok(file) = self.procs[&pid].linux.fds.get(fd) else {
            return Outcome::errno(EBADF);
        };
        let Some(s) = self.signalfd_of(&file) else {
            return Outcome::errno(EINVAL);
        };
        if count < SIGINFO_SIZE {
            return Outcome::errno(EINVAL);
        }
        let mask = self.signalfds[s].mask;
        let space = self.procs[&pid].space;
        let mut done = 0u64;
        while done + SIGINFO_SIZE <= count {
            let Some(info) = self.dequeue_signal(tid, mask) else {
                break;
            };
            let bytes = signalfd_info(&info);
            if self
                .engine
                .space_mut(space)
                .write_bytes(buf + done, &bytes)
                .is_err()
            {
                // Linux puts the signal back when the copy faults; it is
                // lost here only if this is not the first.
                if done == 0 {
                    self.requeue_signal(tid, info);
                    return Outcome::errno(EFAULT);
                }
                break;
            }
            done += SIGINFO_SIZE;
        }
        self.sync_signalfds();
        if done > 0 {
            return Outcome::Return(done);
        }
        let (raw, status) = {
            let f = file.lock_file();
            (f.host.raw(), f.status)
        };
        if status & O_NONBLOCK != 0 {
            return Outcome::errno(EAGAIN);
        }
        Outcome::Wait(Wait::Retry {
            fds: vec![(raw, libc::POLLIN)],
            deadline: None,
        })
    }

    /// Make each signalfd's eventfd readable exactly while its owner has a
    /// signal of its set pending (for itself or one of its threads).
    pub(crate) fn sync_signalfds(&mut self) {
        if self.signalfds.is_empty() {
            return;
        }
        self.signalfds.retain(|s| s.file.strong_count() > 0);
        for i in 0..self.signalfds.len() {
            let s = &self.signalfds[i];
            let pending = self.procs.get(&s.owner).map_or(0, |p| {
                p.threads
                    .iter()
                    .filter_map(|t| self.threads.get(t))
                    .fold(p.signals.pending.set, |acc, t| acc | t.sig.pending.set)
            });
            let want = pending & s.mask != 0;
            if want != s.ready {
                if let Some(f) = s.file.upgrade() {
                    set_ready(&f, want);
                }
                self.signalfds[i].ready = want;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigqueue_values_and_senders_land_in_their_slots() {
        let mut q = SigInfo::sender(40, -1, 1234, 1000);
        q.0[24..32].copy_from_slice(&0x1122_3344_5566_7788u64.to_le_bytes());
        let b = signalfd_info(&q);
        assert_eq!(u32::from_le_bytes(b[0..4].try_into().unwrap()), 40);
        assert_eq!(i32::from_le_bytes(b[8..12].try_into().unwrap()), -1);
        assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 1234);
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 1000);
        assert_eq!(
            u32::from_le_bytes(b[44..48].try_into().unwrap()),
            0x5566_7788
        );
        assert_eq!(
            u64::from_le_bytes(b[48..56].try_into().unwrap()),
            0x1122_3344_5566_7788
        );
        let f = signalfd_info(&SigInfo::fault(SIGSEGV, 1, 0xdead_0000));
        assert_eq!(
            u64::from_le_bytes(f[72..80].try_into().unwrap()),
            0xdead_0000
        );
        assert_eq!(u32::from_le_bytes(f[12..16].try_into().unwrap()), 0);
    }
}
