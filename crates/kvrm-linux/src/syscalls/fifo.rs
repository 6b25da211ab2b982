//! Named pipes: mknodat, and opens of a FIFO that wait as Linux's do (a reader until a writer
//! comes, a writer until there is a reader) without blocking kvrm. The host descriptor is
//! opened non-blocking, as kvrm's pipes are, and the guest thread waits in the scheduler
//! (the kernel asks `fifo_open_wait` before every openat).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use kvrm_isa::AddressSpace;

use super::files::{cpath, last_errno};
use super::{read_path, LinuxProcess, SysResult};
use crate::abi::{errno::*, open::*};

/// What an openat must do first.
pub(crate) enum FifoOpen {
    /// Go on with the open.
    Proceed,
    /// A reader with no writer yet: wait until this host descriptor (the FIFO, open for
    /// reading) is readable or hung up, then call again.
    AwaitWriter(RawFd),
    /// A writer with no reader yet: call again a little later.
    AwaitReader,
}

/// A FIFO opened (non-blocking) by `fifo_open_wait` for the openat that follows it.
pub(crate) struct PendingFifo {
    host: PathBuf,
    write: bool,
    fd: OwnedFd,
}

const S_IFMT: u32 = 0o170000;
const S_IFIFO: u32 = 0o010000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;
const S_IFREG: u32 = 0o100000;
const S_IFSOCK: u32 = 0o140000;

/// Readable or hung up (a writer came, and maybe went), without waiting.
fn writer_seen(fd: RawFd) -> bool {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one pollfd, timeout 0.
    let n = unsafe { libc::poll(&mut p, 1, 0) };
    n > 0 && p.revents & (libc::POLLIN | libc::POLLHUP) != 0
}

impl LinuxProcess {
    pub(crate) fn sys_mknodat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        mode: u64,
    ) -> SysResult {
        let p = read_path(mem, path)?;
        let r = self.resolve_at(dirfd, &p, false)?.writable()?;
        let perm = (mode as u32 & 0o7777) & !self.umask;
        let kind = match mode as u32 & S_IFMT {
            0 | S_IFREG => S_IFREG,
            k @ (S_IFIFO | S_IFSOCK) => k,
            // Device nodes need CAP_MKNOD, which a sandboxed guest does not have.
            S_IFCHR | S_IFBLK => return Err(EPERM),
            _ => return Err(EINVAL),
        };
        let c = cpath(&r.host)?;
        // SAFETY: `c` is a valid NUL-terminated path.
        if unsafe { libc::mknod(c.as_ptr(), kind | perm, 0) } < 0 {
            return Err(last_errno());
        }
        if perm & super::files::host_umask() != 0 {
            // The host's umask took bits the guest's leaves.
            // SAFETY: as above.
            unsafe { libc::chmod(c.as_ptr(), perm) };
        }
        Ok(0)
    }

    /// Before openat(dirfd, path, flags): a FIFO opened for reading or writing only, without
    /// O_NONBLOCK, waits for the other end. The host descriptor it opens is kept for the
    /// openat (`take_fifo`). Anything else, errors included, is left to openat.
    pub(crate) fn fifo_open_wait(
        &mut self,
        mem: &AddressSpace,
        dirfd: u64,
        path: u64,
        flags: u64,
    ) -> FifoOpen {
        let acc = flags & O_ACCMODE;
        if flags & (O_NONBLOCK | O_PATH) != 0 || acc == O_RDWR {
            return FifoOpen::Proceed;
        }
        let Ok(p) = read_path(mem, path) else {
            return FifoOpen::Proceed;
        };
        let Ok(r) = self.resolve_at(dirfd, &p, flags & O_NOFOLLOW == 0) else {
            return FifoOpen::Proceed;
        };
        let fifo = std::fs::metadata(&r.host).is_ok_and(|m| m.file_type().is_fifo());
        let write = acc == O_WRONLY;
        if !fifo || write && r.clone().writable().is_err() {
            return FifoOpen::Proceed;
        }
        let pending = self
            .fifos
            .iter()
            .find(|f| f.host == r.host && f.write == write);
        let fd = match pending {
            Some(f) => f.fd.as_raw_fd(),
            None => {
                let Ok(c) = cpath(&r.host) else {
                    return FifoOpen::Proceed;
                };
                let mode = if write {
                    libc::O_WRONLY
                } else {
                    libc::O_RDONLY
                };
                // SAFETY: `c` is a valid NUL-terminated path; the result is checked.
                let raw =
                    unsafe { libc::open(c.as_ptr(), mode | libc::O_NONBLOCK | libc::O_CLOEXEC) };
                if raw < 0 {
                    return if write && last_errno() == libc::ENXIO as i64 {
                        FifoOpen::AwaitReader
                    } else {
                        FifoOpen::Proceed
                    };
                }
                // SAFETY: `raw` was just opened and is owned by nobody else.
                let fd = unsafe { OwnedFd::from_raw_fd(raw) };
                self.fifos.push(PendingFifo {
                    host: r.host,
                    write,
                    fd,
                });
                raw
            }
        };
        if write || writer_seen(fd) {
            FifoOpen::Proceed
        } else {
            FifoOpen::AwaitWriter(fd)
        }
    }

    /// The FIFO `fifo_open_wait` opened at `host` for this open, if any.
    pub(crate) fn take_fifo(&mut self, host: &Path, flags: u64) -> Option<OwnedFd> {
        let write = flags & O_ACCMODE == O_WRONLY;
        let i = self
            .fifos
            .iter()
            .position(|f| f.host == host && f.write == write)?;
        Some(self.fifos.swap_remove(i).fd)
    }
}
