//! Paths that name an open descriptor of the caller: /dev/fd/N (and /dev/stdin, /dev/stdout,
//! /dev/stderr), /proc/self/fd/N, /proc/PID/fd/N for the caller's own pid. Opening one opens
//! the file behind descriptor N anew, as Linux does (the host kernel reopens it through its own
//! /proc/self/fd), so bash's process substitution `<(...)` works.

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;

use super::files::{host_open_flags, last_errno, lexical, with_file};
use super::LinuxProcess;
use super::SysResult;
use crate::abi::{errno::*, open::*};
use crate::fd::{HostFd, LockFile, OpenFile};

impl LinuxProcess {
    /// The descriptor `path` (relative to `dirfd`) names, if it is one of these paths.
    pub(crate) fn fd_path_target(&self, dirfd: u64, path: &[u8]) -> Option<u64> {
        let base = if path.first() == Some(&b'/') {
            String::new()
        } else {
            self.base_dir(dirfd).ok()?
        };
        let p = lexical(&base, path);
        let n = match p.as_str() {
            "/dev/stdin" => return Some(0),
            "/dev/stdout" => return Some(1),
            "/dev/stderr" => return Some(2),
            p => p.strip_prefix("/dev/fd/").or_else(|| {
                let rest = p.strip_prefix("/proc/")?;
                let (who, n) = rest.split_once("/fd/")?;
                let me = who == "self" || who == "thread-self" || who == self.pid.to_string();
                me.then_some(n)
            })?,
        };
        // A name that is not a number is no descriptor (ENOENT from the caller's lookup).
        Some(n.parse().unwrap_or(u64::MAX))
    }

    /// openat of a path naming descriptor `fd` (fd_path_target).
    pub(crate) fn open_fd_path(&mut self, fd: u64, flags: u64) -> SysResult {
        let (raw, guest_path, host_path, is_dir) = {
            let f = self.fds.get(fd).map_err(|_| ENOENT)?;
            let f = f.lock_file();
            (
                f.host.raw(),
                f.guest_path.clone(),
                f.host_path.clone(),
                f.is_dir,
            )
        };
        let fifo = with_file(raw, |h| h.metadata())
            .map(|m| m.file_type().is_fifo())
            .unwrap_or(false);
        let mut host_flags = host_open_flags(flags & !(O_CREAT | O_EXCL));
        if fifo {
            // As kvrm's pipes: non-blocking on the host, the guest waits in the scheduler.
            host_flags |= libc::O_NONBLOCK;
        }
        let proc_path =
            std::ffi::CString::new(format!("/proc/self/fd/{raw}")).map_err(|_| EINVAL)?;
        // SAFETY: a valid NUL-terminated path; the result is checked.
        let new = unsafe { libc::open(proc_path.as_ptr(), host_flags) };
        if new < 0 {
            return Err(last_errno());
        }
        // SAFETY: `new` was just opened and is owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(new) };
        let mut of = OpenFile::new(
            HostFd::Owned(owned),
            (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH)) | O_LARGEFILE,
        );
        of.is_dir = is_dir;
        of.host_nonblock = fifo;
        of.guest_path = guest_path;
        of.host_path = host_path;
        self.install(of, flags & O_CLOEXEC != 0)
    }
}
