//! Paths that name an open descriptor: /dev/fd/N (and /dev/stdin, /dev/stdout, /dev/stderr),
//! /proc/self/fd/N, /proc/PID/fd/N (the caller's own pid, or another guest process's, from the
//! /proc snapshot the kernel gave: fuser and lsof stat those). Opening one opens the file
//! behind descriptor N anew, as Linux does (the host kernel reopens it through its own
//! /proc/self/fd), so bash's process substitution `<(...)` works.

use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::fs::FileTypeExt;

use super::files::{host_open_flags, last_errno, lexical, with_file};
use super::LinuxProcess;
use super::SysResult;
use crate::abi::{errno::*, open::*};
use crate::fd::{FileRef, HostFd, LockFile, OpenFile};

/// `name` as a decimal number (a pid, a descriptor).
fn number<T: std::str::FromStr>(name: &[u8]) -> Option<T> {
    std::str::from_utf8(name).ok()?.parse().ok()
}

impl LinuxProcess {
    /// The open file `path` (relative to `dirfd`) names, if it is one of these paths
    /// (ENOENT for a descriptor that is not open, EACCES for another user's process).
    pub(crate) fn fd_path_target(&self, dirfd: u64, path: &[u8]) -> Option<Result<FileRef, i64>> {
        let base = if path.first() == Some(&b'/') {
            Vec::new()
        } else {
            self.base_dir(dirfd).ok()?
        };
        let p = lexical(&base, path);
        let mut other = None;
        let n: &[u8] = match &p[..] {
            b"/dev/stdin" => b"0",
            b"/dev/stdout" => b"1",
            b"/dev/stderr" => b"2",
            p => p.strip_prefix(b"/dev/fd/").or_else(|| {
                let rest = p.strip_prefix(b"/proc/")?;
                let at = rest.windows(4).position(|w| w == b"/fd/")?;
                let (who, n) = (&rest[..at], &rest[at + 4..]);
                let me = who == b"self"
                    || who == b"thread-self"
                    || who == self.pid.to_string().as_bytes();
                if !me {
                    other = Some(number(who)?);
                }
                Some(n)
            })?,
        };
        // A name that is not a number is no descriptor (ENOENT from the caller's lookup).
        let Some(n) = number::<u64>(n) else {
            return Some(Err(ENOENT));
        };
        let Some(pid) = other else {
            return Some(self.fds.get(n).map_err(|_| ENOENT));
        };
        let p = self.procfs.as_ref()?.procs.get(&pid)?;
        if p.uid != self.uid && self.uid != 0 {
            return Some(Err(EACCES));
        }
        Some(
            p.fds
                .iter()
                .find(|(fd, _)| *fd == n)
                .map(|(_, f)| f.clone())
                .ok_or(ENOENT),
        )
    }

    /// openat of a path naming open file `file` (fd_path_target).
    pub(crate) fn open_fd_path(&mut self, file: FileRef, flags: u64) -> SysResult {
        let (raw, guest_path, host_path, is_dir) = {
            let f = file.lock_file();
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
