//! Descriptor syscalls (read, write, lseek, fstat, getdents64, ioctl, fcntl,
//! dup, pipe2...) and the helpers shared with the path syscalls. Host I/O
//! goes through libc on the host descriptor.

use std::ffi::CString;
use std::fs::{File, Metadata};
use std::mem::ManuallyDrop;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirEntryExt, FileTypeExt, MetadataExt};
use std::path::Path;

use kvrm_isa::{AddressSpace, PAGE_SIZE};

use super::{check_writable, read_guest, write_guest, LinuxProcess, SysResult};
use crate::abi::{errno::*, open::*, signal};
use crate::fd::LockFile;
use crate::fd::{DirEnt, FdEntry, HostFd, OpenFile};
use crate::sandbox::host_errno;

/// The interface queries (SIOCGIFNAME, FLAGS, ADDR, DSTADDR, BRDADDR,
/// NETMASK, METRIC, MTU, HWADDR, INDEX, TXQLEN): read-only, one `ifreq` each.
const IFREQ_GETS: [u64; 11] = [
    0x8910, 0x8913, 0x8915, 0x8917, 0x8919, 0x891b, 0x891d, 0x8921, 0x8927, 0x8933, 0x8942,
];
const IFREQ_SIZE: usize = 40;

/// Largest count one read/write transfers (Linux MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
/// Host transfers are done in pieces of this size.
const CHUNK: usize = 1 << 20;
const UIO_MAXIOV: u64 = 1024;

/// A path the layer answers itself instead of looking in the root.
pub(super) enum Special {
    /// A harmless host device opened directly.
    Device(&'static str),
    /// `/dev/pts/<n>`: the terminal side of a pseudo-terminal whose master
    /// the process holds (the host's, opened through /dev/ptmx).
    Pty(u32),
    /// `/proc/self/exe`: the running executable.
    Exe,
}

/// The host's errno of the call that just failed, as a guest errno.
pub(crate) fn last_errno() -> i64 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .map(|e| e as i64)
        .unwrap_or(EIO)
}

/// Host `open(2)` flags to guest status flags.
pub(crate) fn guest_flags_from_host(fl: i32) -> u64 {
    let mut g = (fl & libc::O_ACCMODE) as u64;
    if fl & libc::O_APPEND != 0 {
        g |= O_APPEND;
    }
    if fl & libc::O_NONBLOCK != 0 {
        g |= O_NONBLOCK;
    }
    g
}

pub(super) fn host_open_flags(g: u64) -> i32 {
    let mut h = (g & O_ACCMODE) as i32;
    let pairs = [
        (O_CREAT, libc::O_CREAT),
        (O_EXCL, libc::O_EXCL),
        (O_NOCTTY, libc::O_NOCTTY),
        (O_TRUNC, libc::O_TRUNC),
        (O_APPEND, libc::O_APPEND),
        (O_NONBLOCK, libc::O_NONBLOCK),
        (O_DIRECTORY, libc::O_DIRECTORY),
        (O_NOFOLLOW, libc::O_NOFOLLOW),
        (O_PATH, libc::O_PATH),
        (O_TMPFILE, libc::O_TMPFILE),
        (0o10000, libc::O_DSYNC),
        (0o4010000, libc::O_SYNC),
    ];
    for (gb, hb) in pairs {
        if g & gb == gb {
            h |= hb;
        }
    }
    // kvrm never execs: the host side of every guest descriptor is close-on-exec.
    // Nor does a guest's open make a terminal kvrm's controlling terminal.
    h | libc::O_CLOEXEC | libc::O_NOCTTY
}

/// Give the host descriptor of `f` the guest's O_APPEND and O_NONBLOCK
/// (a read the guest made non-blocking must not block kvrm), keeping
/// O_NONBLOCK where kvrm itself wants it (`host_nonblock`). The host's
/// standard descriptors are left alone.
fn sync_host_status(f: &OpenFile) {
    let HostFd::Owned(_) = f.host else {
        return;
    };
    let raw = f.host.raw();
    // SAFETY: F_GETFL/F_SETFL on a descriptor we own.
    unsafe {
        let mut hf = libc::fcntl(raw, libc::F_GETFL);
        if hf >= 0 {
            hf &= !(libc::O_APPEND | libc::O_NONBLOCK);
            if f.status & O_APPEND != 0 {
                hf |= libc::O_APPEND;
            }
            if f.status & O_NONBLOCK != 0 || f.host_nonblock {
                hf |= libc::O_NONBLOCK;
            }
            libc::fcntl(raw, libc::F_SETFL, hf);
        }
    }
}

/// The poll event a read (`write == false`) or write of host descriptor
/// `raw` would wait for now; `None` when it is ready.
fn would_wait(raw: RawFd, write: bool) -> Option<i16> {
    let events = if write { libc::POLLOUT } else { libc::POLLIN };
    let mut p = libc::pollfd {
        fd: raw,
        events,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let r = unsafe { libc::poll(&mut p, 1, 0) };
    (r == 0).then_some(events)
}

/// The host process's umask, read once. The guest's own umask decides the
/// modes of the files it creates; where the host's would take more bits,
/// the creating calls set the mode after.
pub(super) fn host_umask() -> u32 {
    static MASK: std::sync::OnceLock<u32> = std::sync::OnceLock::new();
    *MASK.get_or_init(|| {
        // SAFETY: umask only swaps the process's mask; the old one goes back
        // at once.
        unsafe {
            let old = libc::umask(0o022);
            libc::umask(old);
            old as u32
        }
    })
}

pub(super) fn cpath(p: &Path) -> Result<CString, i64> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| EINVAL)
}

/// Lexically normalize `path` against `base` (for special-path matching only).
pub(super) fn lexical(base: &[u8], path: &[u8]) -> Vec<u8> {
    crate::sandbox::lexical(base, path)
}

/// The metadata of open file `f` (fstat).
pub(crate) fn file_metadata(f: &crate::fd::FileRef) -> Result<Metadata, i64> {
    let (raw, emulated) = {
        let f = f.lock_file();
        (f.host.raw(), f.emulated)
    };
    if let Some(stand_in) = emulated {
        // Its contents are an in-memory copy; its metadata a /proc file's.
        return std::fs::metadata(stand_in).map_err(|e| host_errno(&e));
    }
    with_file(raw, |h| h.metadata()).map_err(|e| host_errno(&e))
}

/// Run `f` on a borrowed `File` for a raw host descriptor.
pub(super) fn with_file<T>(raw: RawFd, f: impl FnOnce(&File) -> T) -> T {
    // SAFETY: the File is never dropped, so the descriptor stays owned by its
    // OpenFile; it is valid for the duration of the call.
    let file = ManuallyDrop::new(unsafe { File::from_raw_fd(raw) });
    f(&file)
}

/// The argument checks read/write/pread64/pwrite64 share: a negative offset
/// is EINVAL, the count is clamped to MAX_RW, and an unmapped start of the
/// buffer is EFAULT. `None` for a zero count (the call returns 0 at once);
/// otherwise the length of the accessible prefix of `buf` (`write`: the guest
/// buffer is written, as by read).
fn rw_len(
    mem: &AddressSpace,
    buf: u64,
    count: u64,
    offset: Option<i64>,
    write: bool,
) -> Result<Option<u64>, i64> {
    if offset.is_some_and(|o| o < 0) {
        return Err(EINVAL);
    }
    let count = count.min(MAX_RW);
    if count == 0 {
        return Ok(None);
    }
    match accessible_prefix(mem, buf, count, write) {
        0 => Err(EFAULT),
        n => Ok(Some(n)),
    }
}

/// The contiguous prefix of `[addr, addr+len)` the guest may read (or write).
fn accessible_prefix(mem: &AddressSpace, addr: u64, len: u64, write: bool) -> u64 {
    let mut done = 0u64;
    while done < len {
        let a = match addr.checked_add(done) {
            Some(a) => a,
            None => break,
        };
        match mem.perms_at(a) {
            Some(p) if (if write { p.write() } else { p.read() }) => {}
            _ => break,
        }
        let page_end = (a & !(PAGE_SIZE - 1)).wrapping_add(PAGE_SIZE);
        done += page_end.wrapping_sub(a).min(len - done);
    }
    done
}

fn dev_major(d: u64) -> u32 {
    (((d >> 8) & 0xfff) | ((d >> 32) & !0xfff)) as u32
}

fn dev_minor(d: u64) -> u32 {
    ((d & 0xff) | ((d >> 12) & !0xff)) as u32
}

/// `struct stat` of arm64 (asm-generic/stat.h, 128 bytes).
pub(crate) fn stat_bytes(md: &Metadata) -> [u8; 128] {
    let mut b = [0u8; 128];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(0, &md.dev().to_le_bytes());
    put(8, &md.ino().to_le_bytes());
    put(16, &md.mode().to_le_bytes());
    put(20, &(md.nlink() as u32).to_le_bytes());
    put(24, &md.uid().to_le_bytes());
    put(28, &md.gid().to_le_bytes());
    put(32, &md.rdev().to_le_bytes());
    put(48, &md.size().to_le_bytes());
    put(56, &(md.blksize() as i32).to_le_bytes());
    put(64, &md.blocks().to_le_bytes());
    put(72, &md.atime().to_le_bytes());
    put(80, &(md.atime_nsec() as u64).to_le_bytes());
    put(88, &md.mtime().to_le_bytes());
    put(96, &(md.mtime_nsec() as u64).to_le_bytes());
    put(104, &md.ctime().to_le_bytes());
    put(112, &(md.ctime_nsec() as u64).to_le_bytes());
    b
}

/// `struct statx` (256 bytes) with the basic fields.
pub(crate) fn statx_bytes(md: &Metadata) -> [u8; 256] {
    let mut b = [0u8; 256];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    const STATX_BASIC_STATS: u32 = 0x7ff;
    put(0, &STATX_BASIC_STATS.to_le_bytes());
    put(4, &(md.blksize() as u32).to_le_bytes());
    put(16, &(md.nlink() as u32).to_le_bytes());
    put(20, &md.uid().to_le_bytes());
    put(24, &md.gid().to_le_bytes());
    put(28, &(md.mode() as u16).to_le_bytes());
    put(32, &md.ino().to_le_bytes());
    put(40, &md.size().to_le_bytes());
    put(48, &md.blocks().to_le_bytes());
    let ts = |s: i64, ns: i64| {
        let mut t = [0u8; 16];
        t[..8].copy_from_slice(&s.to_le_bytes());
        t[8..12].copy_from_slice(&(ns as u32).to_le_bytes());
        t
    };
    put(64, &ts(md.atime(), md.atime_nsec()));
    put(96, &ts(md.ctime(), md.ctime_nsec()));
    put(112, &ts(md.mtime(), md.mtime_nsec()));
    put(128, &dev_major(md.rdev()).to_le_bytes());
    put(132, &dev_minor(md.rdev()).to_le_bytes());
    put(136, &dev_major(md.dev()).to_le_bytes());
    put(140, &dev_minor(md.dev()).to_le_bytes());
    b
}

fn dtype_of(ft: std::fs::FileType) -> u8 {
    if ft.is_dir() {
        4
    } else if ft.is_file() {
        8
    } else if ft.is_symlink() {
        10
    } else if ft.is_char_device() {
        2
    } else if ft.is_block_device() {
        6
    } else if ft.is_fifo() {
        1
    } else if ft.is_socket() {
        12
    } else {
        0
    }
}

impl LinuxProcess {
    pub(crate) fn sys_close_range(&mut self, first: u64, last: u64, flags: u64) -> SysResult {
        const CLOSE_RANGE_CLOEXEC: u64 = 4;
        if flags & !(CLOSE_RANGE_CLOEXEC | 2) != 0 || first > last {
            return Err(EINVAL);
        }
        // Descriptors opened before RLIMIT_NOFILE was lowered lie above it:
        // the range ends at the highest one open, not at the limit.
        let highest = self.fds.open_fds().max().unwrap_or(0);
        let last = last.min(highest);
        for fd in first..=last {
            if flags & CLOSE_RANGE_CLOEXEC != 0 {
                if let Ok(e) = self.fds.entry_mut(fd) {
                    e.cloexec = true;
                }
            } else {
                let _ = self.fds.close(fd);
            }
        }
        Ok(0)
    }

    /// A readable (`write == false`) or writable descriptor's host fd, plus whether it
    /// is a regular file.
    pub(crate) fn io_fd(&self, fd: u64, write: bool) -> Result<(RawFd, bool), i64> {
        let f = self.fds.get(fd)?;
        let f = f.lock_file();
        if f.status & O_PATH != 0 {
            return Err(EBADF);
        }
        let acc = f.status & O_ACCMODE;
        if (write && acc == O_RDONLY) || (!write && acc == O_WRONLY) {
            return Err(EBADF);
        }
        if write && f.timerfd {
            return Err(EINVAL);
        }
        // Netlink requests are checked in sendto/sendmsg only (socket.rs).
        if write && f.netlink {
            return Err(EPERM);
        }
        if f.is_dir {
            return Err(if write { EBADF } else { EISDIR });
        }
        let raw = f.host.raw();
        let regular = with_file(raw, |h| h.metadata().map(|m| m.is_file()).unwrap_or(false));
        if let HostFd::Borrowed(_) = f.host {
            // The host's own standard streams keep their blocking mode (the
            // file description is the shell's too): a transfer the guest made
            // non-blocking that would wait is refused here instead.
            if f.status & O_NONBLOCK != 0 && !regular && would_wait(raw, write).is_some() {
                return Err(EAGAIN);
            }
        }
        Ok((raw, regular))
    }

    /// One host read (or pread at `offset`) into `buf`, retried on EINTR.
    fn host_read_once(raw: RawFd, buf: &mut [u8], offset: Option<i64>) -> SysResult {
        loop {
            let p = buf.as_mut_ptr() as *mut libc::c_void;
            // SAFETY: `p` points to `buf.len()` writable bytes.
            let r = unsafe {
                match offset {
                    Some(o) => libc::pread(raw, p, buf.len(), o),
                    None => libc::read(raw, p, buf.len()),
                }
            };
            if r >= 0 {
                return Ok(r as u64);
            }
            let e = last_errno();
            if e != EINTR {
                return Err(e);
            }
        }
    }

    /// Host read of up to `buf.len()` bytes; regular files are read until full or EOF.
    fn host_read(raw: RawFd, buf: &mut [u8], offset: Option<i64>, regular: bool) -> SysResult {
        let mut done = 0usize;
        while done < buf.len() {
            let n = (buf.len() - done).min(CHUNK);
            let off = offset.map(|o| o + done as i64);
            let r = match Self::host_read_once(raw, &mut buf[done..done + n], off) {
                Ok(r) => r as usize,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            done += r;
            if r < n || !regular {
                break;
            }
        }
        Ok(done as u64)
    }

    /// Read from the host straight into guest memory at `buf` (whose `room`
    /// bytes were checked writable), a chunk at a time.
    fn read_to_guest(
        mem: &mut AddressSpace,
        raw: RawFd,
        buf: u64,
        room: u64,
        offset: Option<i64>,
        regular: bool,
    ) -> SysResult {
        let mut chunk = vec![0u8; room.min(CHUNK as u64) as usize];
        let mut done = 0u64;
        while done < room {
            let n = (room - done).min(CHUNK as u64) as usize;
            let off = offset.map(|o| o + done as i64);
            let r = match Self::host_read_once(raw, &mut chunk[..n], off) {
                Ok(r) => r as usize,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            write_guest(mem, buf + done, &chunk[..r])?;
            done += r as u64;
            if r < n || !regular {
                break;
            }
        }
        Ok(done)
    }

    fn host_write(&mut self, raw: RawFd, buf: &[u8], offset: Option<i64>) -> SysResult {
        let mut done = 0usize;
        while done < buf.len() {
            let n = (buf.len() - done).min(CHUNK);
            let p = buf[done..].as_ptr() as *const libc::c_void;
            // SAFETY: `p` points to at least `n` readable bytes of `buf`.
            let r = unsafe {
                match offset {
                    Some(o) => libc::pwrite(raw, p, n, o + done as i64),
                    None => libc::write(raw, p, n),
                }
            };
            if r < 0 {
                let e = last_errno();
                if e == EINTR {
                    continue;
                }
                if e == EPIPE {
                    self.raise_default(signal::SIGPIPE);
                }
                return if done > 0 { Ok(done as u64) } else { Err(e) };
            }
            done += r as usize;
            if (r as usize) < n {
                break;
            }
        }
        Ok(done as u64)
    }

    /// Write `len` guest bytes at `buf` (checked readable) to the host, a chunk at a time.
    fn write_from_guest(
        &mut self,
        mem: &mut AddressSpace,
        raw: RawFd,
        buf: u64,
        len: u64,
        offset: Option<i64>,
    ) -> SysResult {
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(CHUNK as u64) as usize;
            let data = read_guest(mem, buf + done, n)?;
            let off = offset.map(|o| o + done as i64);
            let w = match self.host_write(raw, &data, off) {
                Ok(w) => w,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            };
            done += w;
            if (w as usize) < n {
                break;
            }
        }
        Ok(done)
    }

    pub(crate) fn sys_read(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        buf: u64,
        count: u64,
        offset: Option<i64>,
    ) -> SysResult {
        let (raw, regular) = self.io_fd(fd, false)?;
        let Some(room) = rw_len(mem, buf, count, offset, true)? else {
            return Ok(0);
        };
        Self::read_to_guest(mem, raw, buf, room, offset, regular)
    }

    pub(crate) fn sys_write(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        buf: u64,
        count: u64,
        offset: Option<i64>,
    ) -> SysResult {
        let (raw, _) = self.io_fd(fd, true)?;
        let Some(avail) = rw_len(mem, buf, count, offset, false)? else {
            return Ok(0);
        };
        self.write_from_guest(mem, raw, buf, avail, offset)
    }

    fn read_iovecs(mem: &mut AddressSpace, iov: u64, cnt: u64) -> Result<Vec<(u64, u64)>, i64> {
        if cnt > UIO_MAXIOV {
            return Err(EINVAL);
        }
        let raw = read_guest(mem, iov, (cnt * 16) as usize)?;
        let mut v = Vec::with_capacity(cnt as usize);
        let mut total = 0u64;
        for c in raw.chunks_exact(16) {
            let base = u64::from_le_bytes(c[..8].try_into().unwrap_or_default());
            let len = u64::from_le_bytes(c[8..].try_into().unwrap_or_default());
            total = total.saturating_add(len);
            if total > i64::MAX as u64 {
                return Err(EINVAL);
            }
            v.push((base, len));
        }
        Ok(v)
    }

    /// The iovecs cut to their accessible prefix and to MAX_RW bytes in all.
    fn usable_iovecs(mem: &AddressSpace, iovs: &[(u64, u64)], write: bool) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut total = 0u64;
        for &(base, len) in iovs {
            let len = len.min(MAX_RW - total);
            let ok = accessible_prefix(mem, base, len, write);
            if ok > 0 {
                out.push((base, ok));
            }
            total += ok;
            if ok < len || total >= MAX_RW {
                break;
            }
        }
        out
    }

    /// The iovecs readv/writev (and the p- forms) transfer, as
    /// `usable_iovecs` gives them. `None` when every iovec is empty (the call
    /// returns 0); EFAULT when none is accessible but some has a length.
    fn io_iovecs(
        mem: &mut AddressSpace,
        iov: u64,
        cnt: u64,
        write: bool,
    ) -> Result<Option<Vec<(u64, u64)>>, i64> {
        let iovs = Self::read_iovecs(mem, iov, cnt)?;
        let usable = Self::usable_iovecs(mem, &iovs, write);
        if !usable.is_empty() {
            return Ok(Some(usable));
        }
        if iovs.iter().all(|&(_, l)| l == 0) {
            Ok(None)
        } else {
            Err(EFAULT)
        }
    }

    pub(crate) fn sys_readv(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        iov: u64,
        cnt: u64,
        offset: Option<i64>,
    ) -> SysResult {
        let (raw, regular) = self.io_fd(fd, false)?;
        let Some(usable) = Self::io_iovecs(mem, iov, cnt, true)? else {
            return Ok(0);
        };
        if regular {
            // Regular files never block: one iovec after the other.
            let mut done = 0u64;
            for &(base, len) in &usable {
                let off = offset.map(|o| o + done as i64);
                let r = match Self::read_to_guest(mem, raw, base, len, off, true) {
                    Ok(r) => r,
                    Err(e) if done == 0 => return Err(e),
                    Err(_) => break,
                };
                done += r;
                if r < len {
                    break;
                }
            }
            return Ok(done);
        }
        // Pipes, terminals: a single host read, scattered.
        let room: u64 = usable.iter().map(|&(_, l)| l).sum();
        let mut data = vec![0u8; room.min(CHUNK as u64) as usize];
        let n = Self::host_read_once(raw, &mut data, offset)? as usize;
        let mut done = 0usize;
        for &(base, len) in &usable {
            if done >= n {
                break;
            }
            let k = (len as usize).min(n - done);
            write_guest(mem, base, &data[done..done + k])?;
            done += k;
        }
        Ok(n as u64)
    }

    pub(crate) fn sys_writev(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        iov: u64,
        cnt: u64,
        offset: Option<i64>,
    ) -> SysResult {
        let (raw, _) = self.io_fd(fd, true)?;
        let Some(usable) = Self::io_iovecs(mem, iov, cnt, false)? else {
            return Ok(0);
        };
        // Gather into chunks so small writev calls stay one host write.
        let mut done = 0u64;
        let mut pending: Vec<u8> = Vec::new();
        let flush = |this: &mut Self, pending: &mut Vec<u8>, done: &mut u64| -> Result<bool, i64> {
            let off = offset.map(|o| o + *done as i64);
            let w = match this.host_write(raw, pending, off) {
                Ok(w) => w,
                Err(e) if *done == 0 => return Err(e),
                Err(_) => return Ok(false),
            };
            let full = w as usize == pending.len();
            *done += w;
            pending.clear();
            Ok(full)
        };
        for &(base, len) in &usable {
            let mut off = 0u64;
            while off < len {
                let n = (len - off).min((CHUNK - pending.len()) as u64) as usize;
                pending.extend_from_slice(&read_guest(mem, base + off, n)?);
                off += n as u64;
                if pending.len() == CHUNK && !flush(self, &mut pending, &mut done)? {
                    return Ok(done);
                }
            }
        }
        if !pending.is_empty() {
            flush(self, &mut pending, &mut done)?;
        }
        Ok(done)
    }

    pub(crate) fn sys_lseek(&mut self, fd: u64, off: i64, whence: u64) -> SysResult {
        let f = self.fds.get(fd)?;
        let mut f = f.lock_file();
        if f.is_dir {
            let pos = match whence {
                0 if off >= 0 => off as usize,
                1 if f.dir_pos as i64 + off >= 0 => (f.dir_pos as i64 + off) as usize,
                _ => return Err(EINVAL),
            };
            // Rewinding re-reads a host directory (an emulated /proc one
            // keeps the listing it was opened with).
            if pos == 0 && f.host_path.is_some() {
                f.dir_entries = None;
            }
            f.dir_pos = pos;
            return Ok(pos as u64);
        }
        if whence > 4 {
            return Err(EINVAL);
        }
        // SAFETY: lseek on a descriptor we own; the result is checked.
        let r = unsafe { libc::lseek(f.host.raw(), off, whence as i32) };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u64)
    }

    pub(crate) fn fd_metadata(&self, fd: u64) -> Result<Metadata, i64> {
        file_metadata(&self.fds.get(fd)?)
    }

    pub(crate) fn sys_fstat(&mut self, mem: &mut AddressSpace, fd: u64, buf: u64) -> SysResult {
        let md = self.fd_metadata(fd)?;
        write_guest(mem, buf, &stat_bytes(&md))?;
        Ok(0)
    }

    pub(crate) fn sys_getdents64(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        buf: u64,
        count: u64,
    ) -> SysResult {
        let f = self.fds.get(fd)?;
        let mut f = f.lock_file();
        if !f.is_dir {
            return Err(ENOTDIR);
        }
        if f.dir_entries.is_none() {
            let host = f.host_path.clone().ok_or(ENOTDIR)?;
            let mut list = Vec::new();
            for (name, p) in [(".", host.clone()), ("..", host.join(".."))] {
                let ino = std::fs::metadata(&p).map(|m| m.ino()).unwrap_or(1);
                list.push(DirEnt {
                    ino,
                    dtype: 4,
                    name: name.as_bytes().to_vec(),
                });
            }
            let rd = std::fs::read_dir(&host).map_err(|e| host_errno(&e))?;
            for e in rd.flatten() {
                list.push(DirEnt {
                    ino: e.ino(),
                    dtype: e.file_type().map(dtype_of).unwrap_or(0),
                    name: e.file_name().as_bytes().to_vec(),
                });
            }
            f.dir_entries = Some(list);
        }
        let count = count.min(MAX_RW) as usize;
        let mut out = Vec::new();
        let mut pos = f.dir_pos;
        let entries = f.dir_entries.as_deref().unwrap_or(&[]);
        while let Some(e) = entries.get(pos) {
            let reclen = (19 + e.name.len() + 1).next_multiple_of(8);
            if out.len() + reclen > count {
                break;
            }
            let start = out.len();
            out.extend_from_slice(&e.ino.to_le_bytes());
            out.extend_from_slice(&((pos + 1) as i64).to_le_bytes());
            out.extend_from_slice(&(reclen as u16).to_le_bytes());
            out.push(e.dtype);
            out.extend_from_slice(&e.name);
            out.resize(start + reclen, 0);
            pos += 1;
        }
        if out.is_empty() && pos < entries.len() {
            return Err(EINVAL);
        }
        write_guest(mem, buf, &out)?;
        f.dir_pos = pos;
        Ok(out.len() as u64)
    }

    pub(crate) fn sys_ioctl(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        req: u64,
        arg: u64,
    ) -> SysResult {
        const TCGETS: u64 = 0x5401;
        const TCSETS: u64 = 0x5402;
        const TCSETSW: u64 = 0x5403;
        const TCSETSF: u64 = 0x5404;
        const TIOCGPGRP: u64 = 0x540f;
        const TIOCGWINSZ: u64 = 0x5413;
        const FIONREAD: u64 = 0x541b;
        const FIONBIO: u64 = 0x5421;
        const FIONCLEX: u64 = 0x5450;
        const FIOCLEX: u64 = 0x5451;
        const TIOCOUTQ: u64 = 0x5411;
        const TIOCSWINSZ: u64 = 0x5414;
        const TCSBRK: u64 = 0x5409;
        const TCXONC: u64 = 0x540a;
        const TCFLSH: u64 = 0x540b;
        const TCSBRKP: u64 = 0x5425;
        // struct termios2 (44 bytes): the same numbers on arm64 and x86-64.
        const TCGETS2: u64 = 0x802c_542a;
        const TCSETS2: u64 = 0x402c_542b;
        const TCSETSW2: u64 = 0x402c_542c;
        const TCSETSF2: u64 = 0x402c_542d;
        const FIOASYNC: u64 = 0x5452;
        // Pseudo-terminal masters (pty.rs): number, lock, packet mode.
        const TIOCGPTN: u64 = 0x8004_5430;
        const TIOCSPTLCK: u64 = 0x4004_5431;
        const TIOCGPKT: u64 = 0x8004_5438;
        const TIOCGPTLCK: u64 = 0x8004_5439;
        const TIOCPKT: u64 = 0x5420;
        if let Some(r) = self.pty_ioctl(fd, req, arg) {
            return r;
        }
        let entry = self.fds.entry_mut(fd)?;
        match req {
            FIOASYNC => {
                let v = mem.read_u32(arg).map_err(|_| EFAULT)?;
                let mut f = entry.file.lock_file();
                if v != 0 {
                    f.status |= O_ASYNC;
                } else {
                    f.status &= !O_ASYNC;
                }
                return Ok(0);
            }
            FIOCLEX | FIONCLEX => {
                entry.cloexec = req == FIOCLEX;
                return Ok(0);
            }
            FIONBIO => {
                let v = mem.read_u32(arg).map_err(|_| EFAULT)?;
                let mut f = entry.file.lock_file();
                if v != 0 {
                    f.status |= O_NONBLOCK;
                } else {
                    f.status &= !O_NONBLOCK;
                }
                sync_host_status(&f);
                return Ok(0);
            }
            _ => {}
        }
        let (raw, socket) = {
            let f = entry.file.lock_file();
            (f.host.raw(), f.socket)
        };
        if socket && IFREQ_GETS.contains(&req) {
            return self.ifreq_get(mem, raw, req, arg);
        }
        // SAFETY: isatty on a descriptor we hold.
        let tty = unsafe { libc::isatty(raw) } == 1;
        if matches!(req, TCSBRK | TCXONC | TCFLSH | TCSBRKP) {
            // Terminal control with an integer argument (tcdrain, tcflow,
            // tcflush, tcsendbreak): nothing of the guest's memory.
            if !tty {
                return Err(ENOTTY);
            }
            // SAFETY: these requests take an int by value.
            let r = unsafe { libc::ioctl(raw, req as _, arg as libc::c_int) };
            if r < 0 {
                return Err(last_errno());
            }
            return Ok(r as u64);
        }
        let mut hbuf = [0u8; 64];
        let (size, to_guest) = match req {
            TCGETS => (36, true),
            TIOCGWINSZ => (8, true),
            TIOCGPGRP => (4, true),
            TCSETS | TCSETSW | TCSETSF => (36, false),
            TCGETS2 => (44, true),
            TCSETS2 | TCSETSW2 | TCSETSF2 => (44, false),
            TIOCSWINSZ => (8, false),
            TIOCOUTQ => (4, true),
            FIONREAD => (4, true),
            TIOCGPTN | TIOCGPKT | TIOCGPTLCK => (4, true),
            TIOCSPTLCK | TIOCPKT => (4, false),
            _ => return Err(ENOTTY),
        };
        if !tty && req != FIONREAD {
            return Err(ENOTTY);
        }
        if !to_guest {
            mem.read_bytes(arg, &mut hbuf[..size]).map_err(|_| EFAULT)?;
        } else {
            check_writable(mem, arg, size as u64)?;
        }
        // SAFETY: the request numbers above take a pointer to a buffer no larger
        // than `hbuf` (termios 36 bytes, termios2 44, winsize 8, int 4).
        let r = unsafe { libc::ioctl(raw, req as _, hbuf.as_mut_ptr()) };
        if r < 0 {
            return Err(last_errno());
        }
        if to_guest {
            write_guest(mem, arg, &hbuf[..size])?;
        }
        Ok(r as u64)
    }

    /// A network interface query on a socket (SIOCGIF*: a `struct ifreq`,
    /// 40 bytes of one layout on arm64 and a 64-bit host, in and out). The
    /// host's interfaces are the guest's with `--net` only: ENODEV without.
    fn ifreq_get(&self, mem: &mut AddressSpace, raw: RawFd, req: u64, arg: u64) -> SysResult {
        let mut ifr = [0u8; IFREQ_SIZE];
        mem.read_bytes(arg, &mut ifr).map_err(|_| EFAULT)?;
        check_writable(mem, arg, IFREQ_SIZE as u64)?;
        if !self.net {
            return Err(ENODEV);
        }
        // SAFETY: every request of IFREQ_GETS reads and writes one ifreq.
        let r = unsafe { libc::ioctl(raw, req as _, ifr.as_mut_ptr()) };
        if r < 0 {
            return Err(last_errno());
        }
        write_guest(mem, arg, &ifr)?;
        Ok(r as u64)
    }

    pub(crate) fn sys_fcntl(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        cmd: u64,
        arg: u64,
    ) -> SysResult {
        const F_DUPFD: u64 = 0;
        const F_GETFD: u64 = 1;
        const F_SETFD: u64 = 2;
        const F_GETFL: u64 = 3;
        const F_SETFL: u64 = 4;
        const F_GETLK: u64 = 5;
        const F_SETLK: u64 = 6;
        const F_SETLKW: u64 = 7;
        const F_SETOWN: u64 = 8;
        const F_GETOWN: u64 = 9;
        const F_SETSIG: u64 = 10;
        const F_GETSIG: u64 = 11;
        const F_SETOWN_EX: u64 = 15;
        const F_GETOWN_EX: u64 = 16;
        const F_OFD_GETLK: u64 = 36;
        const F_OFD_SETLK: u64 = 37;
        const F_OFD_SETLKW: u64 = 38;
        const F_DUPFD_CLOEXEC: u64 = 1030;
        const F_SETPIPE_SZ: u64 = 1031;
        const F_GETPIPE_SZ: u64 = 1032;
        const F_ADD_SEALS: u64 = 1033;
        const F_GET_SEALS: u64 = 1034;
        let entry = self.fds.entry(fd)?.clone();
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                if arg >= self.fds.limit as u64 {
                    return Err(EINVAL);
                }
                self.fds.alloc(
                    arg as usize,
                    FdEntry {
                        file: entry.file,
                        cloexec: cmd == F_DUPFD_CLOEXEC,
                    },
                )
            }
            F_GETFD => Ok(entry.cloexec as u64),
            F_SETFD => {
                self.fds.entry_mut(fd)?.cloexec = arg & 1 != 0;
                Ok(0)
            }
            F_GETFL => Ok(entry.file.lock_file().status),
            F_SETFL => {
                let mut f = entry.file.lock_file();
                // O_ASYNC stays the guest's: the kernel sends its SIGIO
                // (kernel/sigio.rs), never the host.
                let changeable = O_APPEND | O_NONBLOCK | O_ASYNC;
                f.status = (f.status & !changeable) | (arg & changeable);
                sync_host_status(&f);
                Ok(0)
            }
            // The owner of O_ASYNC's signal: the guest's own pid or
            // process group (kernel/sigio.rs sends it).
            F_SETOWN => {
                entry.file.lock_file().owner = arg as i32 as i64;
                Ok(0)
            }
            F_GETOWN => Ok(entry.file.lock_file().owner as u64),
            F_SETSIG => {
                if arg > 64 {
                    return Err(EINVAL);
                }
                entry.file.lock_file().owner_sig = arg as i32;
                Ok(0)
            }
            F_GETSIG => Ok(entry.file.lock_file().owner_sig as u64),
            F_SETOWN_EX => {
                // struct f_owner_ex { int type; pid_t pid; }: a thread (0),
                // a process (1) or a process group (2).
                let b = read_guest(mem, arg, 8)?;
                let ty = i32::from_le_bytes(b[..4].try_into().unwrap_or_default());
                let pid = i32::from_le_bytes(b[4..].try_into().unwrap_or_default()) as i64;
                let owner = match ty {
                    0 | 1 => pid,
                    2 => -pid,
                    _ => return Err(EINVAL),
                };
                entry.file.lock_file().owner = owner;
                Ok(0)
            }
            F_GETOWN_EX => {
                let owner = entry.file.lock_file().owner;
                let (ty, pid) = if owner < 0 {
                    (2i32, -owner)
                } else {
                    (1, owner)
                };
                let mut b = ty.to_le_bytes().to_vec();
                b.extend_from_slice(&(pid as i32).to_le_bytes());
                write_guest(mem, arg, &b)?;
                Ok(0)
            }
            F_GETLK | F_OFD_GETLK => Ok(0),
            F_SETLK | F_SETLKW | F_OFD_SETLK | F_OFD_SETLKW => Ok(0),
            // Seals of a memfd (the host's); an emulated /proc file's
            // in-memory copy has none to show.
            F_ADD_SEALS | F_GET_SEALS if entry.file.lock_file().emulated.is_none() => {
                let raw = entry.file.lock_file().host.raw();
                // SAFETY: a seal command on a descriptor we hold.
                let r = unsafe { libc::fcntl(raw, cmd as i32, arg as libc::c_int) };
                if r < 0 {
                    return Err(last_errno());
                }
                Ok(r as u64)
            }
            // Guest pipes are host pipes: their capacity is the host's (EBADF
            // for another kind of file; a size above the host's limit is EPERM).
            F_GETPIPE_SZ | F_SETPIPE_SZ => {
                let raw = entry.file.lock_file().host.raw();
                // SAFETY: a pipe-size command with an int on a descriptor we hold.
                let r = unsafe { libc::fcntl(raw, cmd as i32, arg as libc::c_int) };
                if r < 0 {
                    return Err(last_errno());
                }
                Ok(r as u64)
            }
            _ => Err(EINVAL),
        }
    }

    pub(crate) fn sys_dup(&mut self, fd: u64) -> SysResult {
        let file = self.fds.get(fd)?;
        self.fds.alloc(
            0,
            FdEntry {
                file,
                cloexec: false,
            },
        )
    }

    pub(crate) fn sys_dup3(&mut self, old: u64, new: u64, flags: u64) -> SysResult {
        if flags & !O_CLOEXEC != 0 || old == new {
            return Err(EINVAL);
        }
        let file = self.fds.get(old)?;
        if new >= self.fds.limit as u64 {
            return Err(EBADF);
        }
        self.fds.set(
            new as usize,
            FdEntry {
                file,
                cloexec: flags & O_CLOEXEC != 0,
            },
        );
        Ok(new)
    }

    pub(crate) fn sys_pipe2(&mut self, mem: &mut AddressSpace, fds: u64, flags: u64) -> SysResult {
        const O_DIRECT: u64 = 0o200000;
        if flags & !(O_CLOEXEC | O_NONBLOCK | O_DIRECT) != 0 {
            return Err(EINVAL);
        }
        check_writable(mem, fds, 8)?;
        let mut host = [0i32; 2];
        // Both ends stay non-blocking on the host: a guest read of an empty
        // pipe must block only its own thread (the kernel waits for it).
        let hflags = libc::O_CLOEXEC | libc::O_NONBLOCK;
        // SAFETY: `host` has room for the two descriptors.
        if unsafe { libc::pipe2(host.as_mut_ptr(), hflags) } < 0 {
            return Err(last_errno());
        }
        let nb = flags & O_NONBLOCK;
        let cloexec = flags & O_CLOEXEC != 0;
        // SAFETY: both descriptors were just created and are ours.
        let (r, w) = unsafe { (OwnedFd::from_raw_fd(host[0]), OwnedFd::from_raw_fd(host[1])) };
        let pipe_end = |fd, status| {
            let mut f = OpenFile::new(HostFd::Owned(fd), status);
            f.host_nonblock = true;
            f.pollable = Some(true);
            f
        };
        let rfd = self.install(pipe_end(r, O_RDONLY | nb), cloexec)?;
        let wfd = match self.install(pipe_end(w, O_WRONLY | nb), cloexec) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = self.fds.close(rfd);
                return Err(e);
            }
        };
        let mut out = [0u8; 8];
        out[..4].copy_from_slice(&(rfd as i32).to_le_bytes());
        out[4..].copy_from_slice(&(wfd as i32).to_le_bytes());
        write_guest(mem, fds, &out)?;
        Ok(0)
    }

    /// eventfd2: a host eventfd, non-blocking on the host like a pipe (a read
    /// of a zero counter waits in the kernel, blocking only its thread). Go
    /// 1.21+ wakes its netpoller through one.
    pub(crate) fn sys_eventfd2(&mut self, initval: u64, flags: u64) -> SysResult {
        const EFD_SEMAPHORE: u64 = 1;
        if flags & !(O_CLOEXEC | O_NONBLOCK | EFD_SEMAPHORE) != 0 {
            return Err(EINVAL);
        }
        let hflags = libc::EFD_CLOEXEC
            | libc::EFD_NONBLOCK
            | if flags & EFD_SEMAPHORE != 0 {
                libc::EFD_SEMAPHORE
            } else {
                0
            };
        // SAFETY: creates a new descriptor that we own.
        let raw = unsafe { libc::eventfd(initval as u32, hflags) };
        if raw < 0 {
            return Err(last_errno());
        }
        // SAFETY: `raw` was just created and is ours.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut f = OpenFile::new(HostFd::Owned(fd), O_RDWR | (flags & O_NONBLOCK));
        f.host_nonblock = true;
        f.pollable = Some(true);
        f.counter = true;
        self.install(f, flags & O_CLOEXEC != 0)
    }

    /// memfd_create(name, flags): an anonymous memory file, a host memfd (so
    /// read, write, ftruncate, MAP_SHARED mappings, fcntl's seals and
    /// /proc/self/fd work on it as on any file). Its name is checked as
    /// Linux checks it (at most 249 bytes); the host judges the flags it
    /// knows. /proc/self/fd/N and /proc/self/maps name it
    /// "/memfd:NAME (deleted)", as Linux does.
    pub(crate) fn sys_memfd_create(
        &mut self,
        mem: &mut AddressSpace,
        name: u64,
        flags: u64,
    ) -> SysResult {
        const MFD_CLOEXEC: u64 = 1;
        const MFD_ALLOW_SEALING: u64 = 2;
        const MFD_HUGETLB: u64 = 4;
        const MFD_NOEXEC_SEAL: u64 = 8;
        const MFD_EXEC: u64 = 0x10;
        const MFD_HUGE_SIZES: u64 = 0x3f << 26;
        let known = MFD_CLOEXEC
            | MFD_ALLOW_SEALING
            | MFD_HUGETLB
            | MFD_NOEXEC_SEAL
            | MFD_EXEC
            | MFD_HUGE_SIZES;
        if flags & !known != 0 || (flags & MFD_HUGETLB == 0 && flags & MFD_HUGE_SIZES != 0) {
            return Err(EINVAL);
        }
        let n = mem.read_cstring(name, 250).map_err(|_| EFAULT)?;
        if n.len() > 249 {
            return Err(EINVAL);
        }
        let cname = std::ffi::CString::new(n.clone()).map_err(|_| EINVAL)?;
        // SAFETY: a valid NUL-terminated name; the result is checked.
        let raw = unsafe { libc::memfd_create(cname.as_ptr(), (flags | MFD_CLOEXEC) as u32) };
        if raw < 0 {
            return Err(last_errno());
        }
        // SAFETY: `raw` was just created and is ours.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut of = OpenFile::new(HostFd::Owned(fd), O_RDWR | O_LARGEFILE);
        of.guest_path = Some([&b"/memfd:"[..], &n, b" (deleted)"].concat());
        self.install(of, flags & MFD_CLOEXEC != 0)
    }

    /// The host descriptor of `fd` for calls that change the file's metadata:
    /// refused (EPERM) for files outside the root (`/proc/self/exe`, `/dev/null`).
    pub(crate) fn metadata_fd(&self, fd: u64) -> Result<RawFd, i64> {
        let f = self.fds.get(fd)?;
        let f = f.lock_file();
        if let Some(p) = &f.host_path {
            if !p.starts_with(self.sandbox.root()) {
                return Err(EPERM);
            }
        }
        Ok(f.host.raw())
    }

    pub(crate) fn sys_fchmod(&mut self, fd: u64, mode: u64) -> SysResult {
        let raw = self.metadata_fd(fd)?;
        // SAFETY: fchmod on a descriptor we hold.
        if unsafe { libc::fchmod(raw, mode as u32 & 0o7777) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    /// fchown(fd, uid, gid) on the host file; an id of -1 stays.
    pub(crate) fn sys_fchown(&mut self, fd: u64, uid: u64, gid: u64) -> SysResult {
        let raw = self.metadata_fd(fd)?;
        // SAFETY: fchown on a descriptor we hold.
        if unsafe { libc::fchown(raw, uid as u32, gid as u32) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_ftruncate(&mut self, fd: u64, len: u64) -> SysResult {
        if (len as i64) < 0 {
            return Err(EINVAL);
        }
        // A descriptor that is not open is EBADF; one not open for writing,
        // EINVAL.
        self.fds.get(fd)?;
        let (raw, _) = self
            .io_fd(fd, true)
            .map_err(|e| if e == EBADF { EINVAL } else { e })?;
        // SAFETY: ftruncate on a descriptor we hold.
        if unsafe { libc::ftruncate(raw, len as i64) } < 0 {
            return Err(last_errno());
        }
        crate::shared::file_resized(raw);
        Ok(0)
    }

    /// fallocate(fd, mode, offset, len) on the host file: the host checks the
    /// mode and the file's kind; the guest's own access mode decides EBADF.
    pub(crate) fn sys_fallocate(&mut self, fd: u64, mode: u64, off: u64, len: u64) -> SysResult {
        let f = self.fds.get(fd)?;
        let (raw, acc) = {
            let f = f.lock_file();
            if f.status & O_PATH != 0 {
                return Err(EBADF);
            }
            (f.host.raw(), f.status & O_ACCMODE)
        };
        if (off as i64) < 0 || (len as i64) <= 0 {
            return Err(EINVAL);
        }
        if acc == O_RDONLY {
            return Err(EBADF);
        }
        // SAFETY: fallocate on a descriptor we hold.
        if unsafe { libc::fallocate(raw, mode as i32, off as i64, len as i64) } < 0 {
            return Err(last_errno());
        }
        crate::shared::file_resized(raw);
        Ok(0)
    }

    /// ppoll without waiting: fills in `revents` and returns how many are
    /// ready; when none is, the host descriptors and events to wait for (the
    /// kernel blocks the thread and calls this again).
    pub(crate) fn poll_now(
        &mut self,
        mem: &mut AddressSpace,
        fds: u64,
        nfds: u64,
    ) -> Result<(u64, Vec<(RawFd, i16)>), i64> {
        if nfds > self.fds.limit as u64 {
            return Err(EINVAL);
        }
        let raw = read_guest(mem, fds, (nfds * 8) as usize)?;
        let mut polls: Vec<libc::pollfd> = raw
            .chunks_exact(8)
            .map(|c| {
                let fd = i32::from_le_bytes(c[..4].try_into().unwrap_or_default());
                let events = i16::from_le_bytes(c[4..6].try_into().unwrap_or_default());
                let host = if fd < 0 {
                    -1
                } else {
                    self.fds
                        .get(fd as u64)
                        .map(|f| f.lock_file().host.raw())
                        .unwrap_or(-2)
                };
                libc::pollfd {
                    fd: host,
                    events,
                    revents: 0,
                }
            })
            .collect();
        let bad: Vec<bool> = polls.iter().map(|p| p.fd == -2).collect();
        for p in polls.iter_mut().filter(|p| p.fd == -2) {
            p.fd = -1;
        }
        if !bad.iter().any(|&b| b) {
            // SAFETY: `polls` is a valid array of `nfds` pollfd structures.
            let r = unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as _, 0) };
            if r < 0 {
                return Err(last_errno());
            }
        }
        let mut out = raw;
        let mut count = 0;
        for (i, p) in polls.iter().enumerate() {
            let rev = if bad[i] { libc::POLLNVAL } else { p.revents };
            if rev != 0 {
                count += 1;
            }
            out[i * 8 + 6..i * 8 + 8].copy_from_slice(&rev.to_le_bytes());
        }
        if count > 0 {
            write_guest(mem, fds, &out)?;
            return Ok((count, Vec::new()));
        }
        let wait = polls
            .iter()
            .filter(|p| p.fd >= 0)
            .map(|p| (p.fd, p.events))
            .collect();
        Ok((0, wait))
    }

    /// The host descriptor of `fd` when a write to it (a send with `flags`;
    /// `socket`: only a socket qualifies) blocks the guest but not the host:
    /// a short host write must then go on (kernel/sockets.rs). Not eventfds,
    /// whose writes are whole or nothing.
    pub(crate) fn blocking_write_fd(&self, fd: u64, flags: u64, socket: bool) -> Option<RawFd> {
        let f = self.fds.get(fd).ok()?;
        let f = f.lock_file();
        let guest_nonblock = f.status & O_NONBLOCK != 0 || flags & super::socket::MSG_DONTWAIT != 0;
        if guest_nonblock || !f.host_nonblock || f.counter || (socket && !f.socket) {
            return None;
        }
        Some(f.host.raw())
    }

    /// For a read (`write == false`) or write of guest `fd` that would have
    /// to wait: the host descriptor and poll event to wait for. `None` when
    /// the call can go ahead (ready, a regular file, or the guest asked for
    /// O_NONBLOCK).
    pub(crate) fn would_block(&self, fd: u64, write: bool) -> Option<(RawFd, i16)> {
        let f = self.fds.get(fd).ok()?;
        let mut f = f.lock_file();
        if f.status & O_NONBLOCK != 0 {
            return None;
        }
        // A descriptor not open for the transfer fails (EBADF) rather than
        // waits: the read end of a pipe never becomes writable.
        let acc = f.status & O_ACCMODE;
        if f.status & O_PATH != 0 || acc == if write { O_RDONLY } else { O_WRONLY } {
            return None;
        }
        let raw = f.host.raw();
        let pollable = *f.pollable.get_or_insert_with(|| {
            with_file(raw, |h| {
                use std::os::unix::fs::FileTypeExt;
                h.metadata()
                    .map(|m| {
                        let t = m.file_type();
                        t.is_fifo() || t.is_socket() || t.is_char_device()
                    })
                    .unwrap_or(false)
            })
        });
        if !pollable {
            return None;
        }
        would_wait(raw, write).map(|events| (raw, events))
    }

    /// Read a host file's bytes at `offset` (for file mappings).
    pub(crate) fn read_fd_at(&self, fd: u64, offset: u64, len: usize) -> Result<Vec<u8>, i64> {
        let f = self.fds.get(fd)?;
        let f = f.lock_file();
        if f.is_dir {
            return Err(libc::ENODEV as i64);
        }
        if f.status & O_ACCMODE == O_WRONLY || f.status & O_PATH != 0 {
            return Err(EACCES);
        }
        let raw = f.host.raw();
        let md = with_file(raw, |h| h.metadata()).map_err(|e| host_errno(&e))?;
        if !md.is_file() && !md.file_type().is_char_device() {
            return Err(libc::ENODEV as i64);
        }
        let avail = md.size().saturating_sub(offset).min(len as u64) as usize;
        let mut buf = vec![0u8; avail];
        let n = Self::host_read(raw, &mut buf, Some(offset as i64), true)?;
        buf.truncate(n as usize);
        Ok(buf)
    }
}

#[cfg(test)]
mod tests {
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    use kvrm_isa::{AddressSpace, Perms};

    use super::*;

    const BUF: u64 = 0x10000;

    /// A process whose descriptor 3 is the terminal end of a host pty
    /// (the host kernel is the oracle), and memory at BUF.
    fn with_pty() -> Option<(LinuxProcess, AddressSpace, OwnedFd)> {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: two descriptors to fill; no name, termios or size.
        let r = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        if r != 0 {
            eprintln!("skipped: the host gives no pty");
            return None;
        }
        // SAFETY: both were just opened for us.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let mut p = LinuxProcess::for_tests();
        let mut space = AddressSpace::new();
        space.map(BUF, 0x1000, Perms::RW).unwrap();
        let fd = p
            .install(OpenFile::new(HostFd::Owned(slave), O_RDWR), false)
            .unwrap();
        assert_eq!(fd, 3);
        Some((p, space, master))
    }

    #[test]
    fn terminal_ioctls_reach_the_host_terminal() {
        const TIOCGWINSZ: u64 = 0x5413;
        const TIOCSWINSZ: u64 = 0x5414;
        const TCGETS: u64 = 0x5401;
        const TCGETS2: u64 = 0x802c_542a;
        const TCFLSH: u64 = 0x540b;
        const TIOCOUTQ: u64 = 0x5411;
        let Some((mut p, mut mem, _master)) = with_pty() else {
            return;
        };
        // rows 33, cols 101, then pixel sizes.
        let ws: Vec<u8> = [33u16, 101, 7, 9]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        mem.write_bytes(BUF, &ws).unwrap();
        assert_eq!(p.sys_ioctl(&mut mem, 3, TIOCSWINSZ, BUF), Ok(0));
        mem.write_bytes(BUF, &[0; 8]).unwrap();
        assert_eq!(p.sys_ioctl(&mut mem, 3, TIOCGWINSZ, BUF), Ok(0));
        let mut back = [0u8; 8];
        mem.read_bytes(BUF, &mut back).unwrap();
        assert_eq!(back.to_vec(), ws);
        // termios2 starts with termios's four flag words.
        assert_eq!(p.sys_ioctl(&mut mem, 3, TCGETS, BUF), Ok(0));
        let mut t1 = [0u8; 16];
        mem.read_bytes(BUF, &mut t1).unwrap();
        assert_eq!(p.sys_ioctl(&mut mem, 3, TCGETS2, BUF + 0x100), Ok(0));
        let mut t2 = [0u8; 16];
        mem.read_bytes(BUF + 0x100, &mut t2).unwrap();
        assert_eq!(t1, t2);
        assert_eq!(p.sys_ioctl(&mut mem, 3, TCFLSH, 2), Ok(0)); // TCIOFLUSH
        assert_eq!(p.sys_ioctl(&mut mem, 3, TCFLSH, 9), Err(EINVAL));
        assert_eq!(p.sys_ioctl(&mut mem, 3, TIOCOUTQ, BUF), Ok(0));
        // Not a terminal: ENOTTY, as Linux.
        let (r, _w) = std::io::pipe().unwrap();
        let fd = p
            .install(OpenFile::new(HostFd::Owned(r.into()), O_RDONLY), false)
            .unwrap();
        assert_eq!(p.sys_ioctl(&mut mem, fd, TCFLSH, 0), Err(ENOTTY));
        assert_eq!(p.sys_ioctl(&mut mem, fd, TIOCSWINSZ, BUF), Err(ENOTTY));
    }

    /// A read the guest made non-blocking never blocks kvrm: FIONBIO and
    /// F_SETFL reach a descriptor kvrm owns, and one of the host's standard
    /// streams (left blocking, it is the shell's too) answers EAGAIN when
    /// nothing is there.
    #[test]
    fn non_blocking_reads_of_empty_pipes_do_not_wait() {
        const FIONBIO: u64 = 0x5421;
        const F_SETFL: u64 = 4;
        let mut p = LinuxProcess::for_tests();
        let mut mem = AddressSpace::new();
        mem.map(BUF, 0x1000, Perms::RW).unwrap();
        let (r1, _w1) = std::io::pipe().unwrap();
        let owned = p
            .install(OpenFile::new(HostFd::Owned(r1.into()), O_RDONLY), false)
            .unwrap();
        mem.write_bytes(BUF, &1u32.to_le_bytes()).unwrap();
        assert_eq!(p.sys_ioctl(&mut mem, owned, FIONBIO, BUF), Ok(0));
        assert_eq!(p.sys_read(&mut mem, owned, BUF + 8, 8, None), Err(EAGAIN));
        let (r2, mut w2) = std::io::pipe().unwrap();
        let borrowed = p
            .install(
                OpenFile::new(HostFd::Borrowed(r2.as_raw_fd()), O_RDONLY),
                false,
            )
            .unwrap();
        assert_eq!(p.sys_fcntl(&mut mem, borrowed, F_SETFL, O_NONBLOCK), Ok(0));
        assert_eq!(
            p.sys_read(&mut mem, borrowed, BUF + 8, 8, None),
            Err(EAGAIN)
        );
        // SAFETY: F_GETFL on the pipe held here.
        let host_flags = unsafe { libc::fcntl(r2.as_raw_fd(), libc::F_GETFL) };
        assert_eq!(
            host_flags & libc::O_NONBLOCK,
            0,
            "the host's stream stays blocking"
        );
        std::io::Write::write_all(&mut w2, b"ok").unwrap();
        assert_eq!(p.sys_read(&mut mem, borrowed, BUF + 8, 8, None), Ok(2));
    }
}
