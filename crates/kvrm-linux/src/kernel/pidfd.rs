//! pidfds: descriptors that refer to a process (`pidfd_open`, clone's
//! `CLONE_PIDFD`), for `pidfd_send_signal` and `waitid(P_PIDFD)`. Go 1.23+
//! runs os/exec children through them when the kernel has them. Each is a
//! host eventfd that becomes readable when its process ends, so poll and
//! epoll on a pidfd work as on Linux.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, Weak};

use super::{Kernel, Outcome, Pid};
use crate::abi::{errno::*, open::*};
use crate::fd::{HostFd, LockFile, OpenFile};

/// waitid's idtype for a pidfd.
pub(crate) const P_PIDFD: u64 = 3;

/// A pidfd: its open file description (shared by dup and fork) and its process.
pub(crate) struct PidFd {
    file: Weak<Mutex<OpenFile>>,
    target: Pid,
    /// The process ended: a pid reused later is another process.
    ended: bool,
}

/// Make a pidfd's eventfd readable.
fn mark_ended(file: &Mutex<OpenFile>) {
    let raw = file.lock_file().host.raw();
    let one = 1u64.to_ne_bytes();
    // SAFETY: an 8-byte write from a valid buffer to an eventfd we own.
    unsafe { libc::write(raw, one.as_ptr().cast(), one.len()) };
}

impl Kernel {
    /// A new pidfd for `target` in process `owner`'s table (close-on-exec,
    /// as Linux makes them).
    pub(crate) fn new_pidfd(
        &mut self,
        owner: Pid,
        target: Pid,
        nonblock: bool,
    ) -> Result<u64, i64> {
        // SAFETY: creates a new descriptor that we own.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            return Err(std::io::Error::last_os_error()
                .raw_os_error()
                .unwrap_or(libc::EIO) as i64);
        }
        // SAFETY: `raw` was just created and is ours.
        let host = unsafe { OwnedFd::from_raw_fd(raw) };
        let nb = if nonblock { O_NONBLOCK } else { 0 };
        let mut of = OpenFile::new(HostFd::Owned(host), O_RDWR | nb);
        of.host_nonblock = true;
        of.pollable = Some(true);
        let ended = self.procs.get(&target).is_none_or(|p| p.exit.is_some());
        let p = self.procs.get_mut(&owner).ok_or(ESRCH)?;
        let fd = p.linux.install(of, true)?;
        let file = p.linux.fds.get(fd)?;
        if ended {
            mark_ended(&file);
        }
        self.pidfds.retain(|p| p.file.strong_count() > 0);
        self.pidfds.push(PidFd {
            file: Arc::downgrade(&file),
            target,
            ended,
        });
        Ok(fd)
    }

    /// The process that pidfd `fd` of process `owner` refers to, `None`
    /// once it has been reaped (its pid may be another process's now).
    /// EBADF: no such descriptor, or not a pidfd.
    pub(crate) fn pidfd_process(&self, owner: Pid, fd: u64) -> Result<Option<Pid>, i64> {
        let file = self.procs.get(&owner).ok_or(ESRCH)?.linux.fds.get(fd)?;
        let p = self
            .pidfds
            .iter()
            .find(|p| p.file.upgrade().is_some_and(|f| Arc::ptr_eq(&f, &file)))
            .ok_or(EBADF)?;
        let exited = self.procs.get(&p.target).map(|t| t.exit.is_some());
        Ok(match exited {
            Some(true) => Some(p.target),
            // A live process with the pid, after ours ended: another one.
            Some(false) if !p.ended => Some(p.target),
            _ => None,
        })
    }

    /// Process `pid` ended: its pidfds become readable.
    pub(crate) fn pidfds_ended(&mut self, pid: Pid) {
        for p in self
            .pidfds
            .iter_mut()
            .filter(|p| p.target == pid && !p.ended)
        {
            p.ended = true;
            if let Some(f) = p.file.upgrade() {
                mark_ended(&f);
            }
        }
    }

    /// pidfd_open(pid, flags).
    pub(crate) fn sys_pidfd_open(&mut self, me: Pid, a: [u64; 6]) -> Outcome {
        let (target, flags) = (a[0] as i32, a[1]);
        if flags & !O_NONBLOCK != 0 || target <= 0 {
            return Outcome::errno(EINVAL);
        }
        // A process (not another thread), alive or a zombie.
        if !self.procs.contains_key(&(target as Pid)) {
            return Outcome::errno(ESRCH);
        }
        self.new_pidfd(me, target as Pid, flags & O_NONBLOCK != 0)
            .into()
    }

    /// pidfd_send_signal(pidfd, sig, info, flags): as kill(2) from the
    /// caller (a siginfo the caller passes is not used).
    pub(crate) fn sys_pidfd_send_signal(&mut self, me: Pid, a: [u64; 6]) -> Outcome {
        if a[3] != 0 {
            return Outcome::errno(EINVAL);
        }
        let target = match self.pidfd_process(me, a[0]) {
            Err(EBADF) => self.proc_dir_process(me, a[0]),
            other => other,
        };
        match target {
            Ok(Some(target)) => self.sys_kill(me, target as i32, a[1]).into(),
            Ok(None) => Outcome::errno(ESRCH),
            Err(e) => Outcome::errno(e),
        }
    }

    /// The process of a descriptor of a `/proc/PID` directory, which
    /// pidfd_send_signal takes as Linux does (None: it has ended).
    fn proc_dir_process(&self, owner: Pid, fd: u64) -> Result<Option<Pid>, i64> {
        let file = self.procs.get(&owner).ok_or(ESRCH)?.linux.fds.get(fd)?;
        let file = file.lock_file();
        let path = file.guest_path.as_deref().filter(|_| file.is_dir);
        let pid = match path.and_then(|p| p.strip_prefix(b"/proc/")) {
            Some(b"self") => owner,
            Some(n) => std::str::from_utf8(n)
                .ok()
                .and_then(|n| n.parse::<Pid>().ok())
                .ok_or(EBADF)?,
            None => return Err(EBADF),
        };
        Ok(self
            .procs
            .get(&pid)
            .filter(|p| p.exit.is_none())
            .map(|_| pid))
    }
}
