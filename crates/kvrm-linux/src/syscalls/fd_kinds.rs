//! Descriptors of other kinds: signalfd, inotify, and moving
//! bytes between descriptors without the guest's memory (splice, tee,
//! vmsplice). Each is a host descriptor of the same kind, so reads, writes,
//! poll, epoll and fstat of it are the host's; the paths the guest names are
//! translated first.
//! Their blocking reads wait in the kernel like a pipe's (kernel/syscalls_proc.rs).

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use kvrm_isa::AddressSpace;

use super::files::{cpath, last_errno};
use super::{read_guest, read_path, write_guest, LinuxProcess, SysResult};
use crate::abi::{at::AT_FDCWD, errno::*, open::*};
use crate::fd::{HostFd, LockFile, OpenFile};

const IN_DONT_FOLLOW: u64 = 0x0200_0000;

const SPLICE_F_ALL: u64 = 0xf;
pub(crate) const SPLICE_F_NONBLOCK: u64 = 2;

/// Largest count one transfer moves (Linux MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;

/// `r`, or the host errno when it is negative.
fn host_result(r: isize) -> SysResult {
    if r < 0 {
        Err(last_errno())
    } else {
        Ok(r as u64)
    }
}

/// Own a descriptor the host just created, or the host's errno.
fn owned(raw: RawFd) -> Result<OwnedFd, i64> {
    if raw < 0 {
        return Err(last_errno());
    }
    // SAFETY: `raw` was just created by the host for us and nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

/// An open file for a host descriptor that may have to wait (timerfd,
/// inotify): non-blocking on the host, the kernel blocks the guest thread.
fn waitable(fd: OwnedFd, guest_nonblock: bool) -> OpenFile {
    let mut f = OpenFile::new(
        HostFd::Owned(fd),
        O_RDONLY | if guest_nonblock { O_NONBLOCK } else { 0 },
    );
    f.host_nonblock = true;
    f.pollable = Some(true);
    f
}

impl LinuxProcess {
    /// signalfd4(fd, mask, size, flags): a new signalfd (fd -1) or a new
    /// mask for an existing one. Its host side is an eventfd that the kernel
    /// keeps readable while a signal of the mask is pending
    /// (kernel/signalfd.rs), so poll and epoll see it as Linux's.
    pub(crate) fn sys_signalfd4(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        mask: u64,
        size: u64,
        flags: u64,
    ) -> SysResult {
        const UNBLOCKABLE: u64 = (1 << (9 - 1)) | (1 << (19 - 1)); // SIGKILL, SIGSTOP
        if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 || size != 8 {
            return Err(EINVAL);
        }
        let set = read_guest(mem, mask, 8)?;
        let set = u64::from_le_bytes(set.try_into().unwrap_or_default()) & !UNBLOCKABLE;
        if fd as i32 != -1 {
            let f = self.fds.get(fd)?;
            let mut f = f.lock_file();
            let Some(m) = f.signalfd.as_mut() else {
                return Err(EINVAL);
            };
            *m = set;
            return Ok(fd);
        }
        // SAFETY: creates a new descriptor that we own.
        let ev = owned(unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) })?;
        let mut f = waitable(ev, flags & O_NONBLOCK != 0);
        f.signalfd = Some(set);
        self.install(f, flags & O_CLOEXEC != 0)
    }

    /// The mask of signalfd `fd`, if it is one.
    pub(crate) fn signalfd_mask(&self, fd: u64) -> Option<u64> {
        self.fds.get(fd).ok()?.lock_file().signalfd
    }

    /// inotify_init1(flags): a host inotify descriptor.
    pub(crate) fn sys_inotify_init1(&mut self, flags: u64) -> SysResult {
        if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
            return Err(EINVAL);
        }
        let hflags = libc::IN_CLOEXEC | libc::IN_NONBLOCK;
        // SAFETY: plain flags.
        let fd = owned(unsafe { libc::inotify_init1(hflags) })?;
        let f = waitable(fd, flags & O_NONBLOCK != 0);
        self.install(f, flags & O_CLOEXEC != 0)
    }

    /// inotify_add_watch(fd, path, mask): the guest path is resolved in the
    /// root; events carry names relative to the watched directory, so they
    /// read the same to the guest.
    pub(crate) fn sys_inotify_add_watch(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        path: u64,
        mask: u64,
    ) -> SysResult {
        let raw = self.fds.get(fd)?.lock_file().host.raw();
        let p = read_path(mem, path)?;
        let r = self.resolve_at(AT_FDCWD as u64, &p, mask & IN_DONT_FOLLOW == 0)?;
        let c = cpath(&r.host)?;
        // SAFETY: a NUL-terminated path; the host checks the descriptor and mask.
        host_result(unsafe { libc::inotify_add_watch(raw, c.as_ptr(), mask as u32) } as isize)
    }

    pub(crate) fn sys_inotify_rm_watch(&mut self, fd: u64, wd: u64) -> SysResult {
        let raw = self.fds.get(fd)?.lock_file().host.raw();
        // SAFETY: plain integers.
        host_result(unsafe { libc::inotify_rm_watch(raw, wd as i32) } as isize)
    }

    /// splice(in, off_in, out, off_out, len, flags) between the host
    /// descriptors; the offsets are read from and written back to the guest.
    pub(crate) fn sys_splice(&mut self, mem: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let [fd_in, off_in, fd_out, off_out, len, flags] = a;
        if flags & !SPLICE_F_ALL != 0 {
            return Err(EINVAL);
        }
        let (raw_in, _) = self.io_fd(fd_in, false)?;
        let (raw_out, _) = self.io_fd(fd_out, true)?;
        let read_off = |addr: u64| -> Result<Option<i64>, i64> {
            if addr == 0 {
                return Ok(None);
            }
            let b = read_guest(mem, addr, 8)?;
            Ok(Some(i64::from_le_bytes(b.try_into().unwrap_or_default())))
        };
        let (mut o_in, mut o_out) = (read_off(off_in)?, read_off(off_out)?);
        let ptr = |o: &mut Option<i64>| o.as_mut().map_or(std::ptr::null_mut(), |v| v as *mut i64);
        // SAFETY: the offsets point at locals or are null; the host checks
        // the descriptors' kinds.
        let r = unsafe {
            libc::splice(
                raw_in,
                ptr(&mut o_in),
                raw_out,
                ptr(&mut o_out),
                len.min(MAX_RW) as usize,
                flags as u32,
            )
        };
        let n = host_result(r)?;
        for (addr, o) in [(off_in, o_in), (off_out, o_out)] {
            if let Some(v) = o {
                write_guest(mem, addr, &v.to_le_bytes())?;
            }
        }
        Ok(n)
    }

    /// tee(in, out, len, flags): both are pipes on the host too.
    pub(crate) fn sys_tee(&mut self, fd_in: u64, fd_out: u64, len: u64, flags: u64) -> SysResult {
        if flags & !SPLICE_F_ALL != 0 {
            return Err(EINVAL);
        }
        let (raw_in, _) = self.io_fd(fd_in, false)?;
        let (raw_out, _) = self.io_fd(fd_out, true)?;
        // SAFETY: plain integers; the host checks that both are pipes.
        host_result(unsafe { libc::tee(raw_in, raw_out, len.min(MAX_RW) as usize, flags as u32) })
    }

    /// vmsplice(fd, iov, nr, flags): guest memory into a pipe's write end
    /// (a copy: the pages are not lent to the pipe), or out of its read end.
    pub(crate) fn sys_vmsplice(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        iov: u64,
        nr: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !SPLICE_F_ALL != 0 {
            return Err(EINVAL);
        }
        let f = self.fds.get(fd)?;
        let (raw, acc) = {
            let f = f.lock_file();
            (f.host.raw(), f.status & O_ACCMODE)
        };
        let is_pipe = super::files::with_file(raw, |h| {
            use std::os::unix::fs::FileTypeExt;
            h.metadata().is_ok_and(|m| m.file_type().is_fifo())
        });
        if !is_pipe {
            return Err(EBADF);
        }
        match acc {
            O_WRONLY => self.sys_writev(mem, fd, iov, nr, None),
            O_RDONLY => self.sys_readv(mem, fd, iov, nr, None),
            _ => Err(EBADF),
        }
    }

    /// Would splice, tee or vmsplice (`n`, arguments `a`) wait for one of its
    /// descriptors? Then the kernel makes the thread wait for it.
    pub(crate) fn splice_would_block(&self, n: u64, a: [u64; 6]) -> Option<(RawFd, i16)> {
        use super::nr::{SPLICE, TEE};
        let is_pipe = |fd: u64| {
            self.fds.get(fd).is_ok_and(|f| {
                let raw = f.lock_file().host.raw();
                super::files::with_file(raw, |h| {
                    use std::os::unix::fs::FileTypeExt;
                    h.metadata().is_ok_and(|m| m.file_type().is_fifo())
                })
            })
        };
        // Calls refused at once (bad flags or descriptors, no pipe, an offset
        // on a pipe, zero bytes) do not wait.
        let flags_at = if n == SPLICE { 5 } else { 3 };
        if a[flags_at] & !SPLICE_F_ALL != 0 {
            return None;
        }
        let usable = |fd: u64, write: bool| self.io_fd(fd, write).is_ok();
        let (fd_in, fd_out, flags) = match n {
            SPLICE => {
                let (pin, pout) = (is_pipe(a[0]), is_pipe(a[2]));
                let refused = !usable(a[0], false) || !usable(a[2], true);
                if refused
                    || a[4] == 0
                    || !(pin || pout)
                    || (pin && a[1] != 0)
                    || (pout && a[3] != 0)
                {
                    return None;
                }
                (Some(a[0]), Some(a[2]), a[5])
            }
            TEE => {
                if !usable(a[0], false) || !usable(a[1], true) || a[2] == 0 {
                    return None;
                }
                if !is_pipe(a[0]) || !is_pipe(a[1]) {
                    return None;
                }
                (Some(a[0]), Some(a[1]), a[3])
            }
            _ if a[2] == 0 || !is_pipe(a[0]) => return None,
            _ => {
                // vmsplice: the one descriptor, in its direction.
                let acc = self.fds.get(a[0]).ok()?.lock_file().status & O_ACCMODE;
                if acc == O_WRONLY {
                    (None, Some(a[0]), a[3])
                } else {
                    (Some(a[0]), None, a[3])
                }
            }
        };
        if flags & SPLICE_F_NONBLOCK != 0 {
            return None;
        }
        fd_in
            .and_then(|fd| self.would_block(fd, false))
            .or_else(|| fd_out.and_then(|fd| self.would_block(fd, true)))
    }
}
