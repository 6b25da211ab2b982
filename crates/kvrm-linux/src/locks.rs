//! File locks: POSIX record locks (fcntl F_GETLK/F_SETLK/F_SETLKW), open file
//! description locks (F_OFD_*) and flock.
//!
//! Every guest process lives in the one kvrm host process, and the host's POSIX
//! locks of one process never conflict with each other (and closing any
//! descriptor of a file drops them all). So kvrm keeps the POSIX locks itself,
//! in one table per host file (device, inode) with the guest processes as
//! owners, and checks conflicts between guest processes there. Towards other
//! host processes the table is mirrored by one host OFD lock holder per file (a
//! private open file description of it): its locks are the union of every guest
//! process's locks, so another host process sees kvrm's locks and kvrm sees
//! theirs (a guest lock that the holder cannot take fails as a conflict).
//!
//! OFD locks and flock belong to an open file description, which a guest
//! descriptor shares with its host descriptor: they go to the host as they are.
//! Waiting variants (F_SETLKW, F_OFD_SETLKW, flock without LOCK_NB) are tried
//! without waiting; when they would wait, the kernel makes only the calling
//! guest thread wait and retries the call a little later ([`Kernel::lock_call`]).

// libc field widths differ between hosts: keep the casts.
#![allow(clippy::unnecessary_cast)]

use std::collections::HashMap;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use kvrm_isa::AddressSpace;

use crate::abi::errno::*;
use crate::fd::LockFile;
use crate::kernel::{Kernel, Outcome, Wait};
use crate::syscalls::{last_errno, nr, LinuxProcess, SysResult};
use crate::Pid;

/// fcntl commands (asm-generic/fcntl.h).
pub(crate) mod cmd {
    pub const F_GETLK: u64 = 5;
    pub const F_SETLK: u64 = 6;
    pub const F_SETLKW: u64 = 7;
    pub const F_OFD_GETLK: u64 = 36;
    pub const F_OFD_SETLK: u64 = 37;
    pub const F_OFD_SETLKW: u64 = 38;
}
use cmd::*;

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;
const LOCK_SH: u64 = 1;
const LOCK_EX: u64 = 2;
const LOCK_NB: u64 = 4;
const LOCK_UN: u64 = 8;

/// How long a thread waiting for a lock waits before it tries again.
const LOCK_RETRY: Duration = Duration::from_millis(2);

/// Is `c` one of the fcntl lock commands?
pub(crate) fn is_lock_cmd(c: u64) -> bool {
    matches!(
        c,
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW
    )
}

/// A new lock owner identity: every guest process gets its own (pids can
/// repeat between kernels of one host process).
pub(crate) fn new_owner() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// struct flock (arm64, the same on 64-bit hosts): l_type i16, l_whence i16,
/// l_start i64 at 8, l_len i64 at 16, l_pid i32 at 24; 32 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Flock {
    ty: i16,
    whence: i16,
    start: i64,
    len: i64,
    pid: i32,
}

impl Flock {
    fn read(mem: &AddressSpace, addr: u64) -> Result<Flock, i64> {
        let mut b = [0u8; 32];
        mem.read_bytes(addr, &mut b).map_err(|_| EFAULT)?;
        let i16_at = |o: usize| i16::from_le_bytes([b[o], b[o + 1]]);
        let i64_at = |o: usize| i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
        Ok(Flock {
            ty: i16_at(0),
            whence: i16_at(2),
            start: i64_at(8),
            len: i64_at(16),
            pid: i32::from_le_bytes(b[24..28].try_into().unwrap_or_default()),
        })
    }

    fn write(&self, mem: &mut AddressSpace, addr: u64) -> Result<(), i64> {
        let mut b = [0u8; 32];
        mem.read_bytes(addr, &mut b).map_err(|_| EFAULT)?;
        b[0..2].copy_from_slice(&self.ty.to_le_bytes());
        b[2..4].copy_from_slice(&self.whence.to_le_bytes());
        b[8..16].copy_from_slice(&self.start.to_le_bytes());
        b[16..24].copy_from_slice(&self.len.to_le_bytes());
        b[24..28].copy_from_slice(&self.pid.to_le_bytes());
        mem.write_bytes(addr, &b).map_err(|_| EFAULT)
    }

    fn to_host(self) -> libc::flock {
        // SAFETY: a plain C struct; zero is a valid value.
        let mut f: libc::flock = unsafe { std::mem::zeroed() };
        f.l_type = self.ty as _;
        f.l_whence = self.whence as _;
        f.l_start = self.start as _;
        f.l_len = self.len as _;
        f.l_pid = self.pid as _;
        f
    }

    fn from_host(f: &libc::flock) -> Flock {
        Flock {
            ty: f.l_type as i16,
            whence: f.l_whence as i16,
            start: f.l_start as i64,
            len: f.l_len as i64,
            pid: f.l_pid as i32,
        }
    }
}

/// One POSIX lock of a guest process: bytes `start..end` (`end` u64::MAX: to
/// the end of the file, however long it gets).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Lock {
    owner: u64,
    pid: u32,
    start: u64,
    end: u64,
    write: bool,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start < end && start < self.end
    }

    /// As struct flock (SEEK_SET; length 0 for "to the end").
    fn to_flock(self) -> Flock {
        Flock {
            ty: if self.write { F_WRLCK } else { F_RDLCK },
            whence: 0,
            start: self.start as i64,
            len: if self.end == u64::MAX {
                0
            } else {
                (self.end - self.start) as i64
            },
            pid: self.pid as i32,
        }
    }
}

/// The POSIX locks of one host file and its host lock holder.
#[derive(Default)]
struct FileLocks {
    locks: Vec<Lock>,
    /// A private open file description of the file whose host OFD locks are
    /// the union of `locks`; `None` when the file cannot be reopened.
    holder: Option<OwnedFd>,
}

/// Every guest POSIX lock, by host (device, inode).
static TABLE: Mutex<Option<HashMap<(u64, u64), FileLocks>>> = Mutex::new(None);

fn with_table<T>(f: impl FnOnce(&mut HashMap<(u64, u64), FileLocks>) -> T) -> T {
    let mut g = TABLE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(g.get_or_insert_with(HashMap::new))
}

/// The host file (device, inode) of a host descriptor.
fn file_id(raw: RawFd) -> Result<(u64, u64), i64> {
    // SAFETY: fstat fills the struct for a descriptor we hold.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(raw, &mut st) } < 0 {
        return Err(last_errno());
    }
    Ok((st.st_dev as u64, st.st_ino as u64))
}

/// A private open file description of the file `raw` is open on.
fn reopen(raw: RawFd) -> Option<OwnedFd> {
    let path = std::ffi::CString::new(format!("/proc/self/fd/{raw}")).ok()?;
    for mode in [libc::O_RDWR, libc::O_RDONLY, libc::O_WRONLY] {
        // SAFETY: a valid path; the result is checked and owned below.
        let fd = unsafe {
            libc::open(
                path.as_ptr(),
                mode | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK,
            )
        };
        if fd >= 0 {
            // SAFETY: just opened, owned by nobody else.
            return Some(unsafe { OwnedFd::from_raw_fd(fd) });
        }
    }
    None
}

/// An OFD lock call on a host descriptor.
fn host_ofd(raw: RawFd, cmd: i32, f: &mut libc::flock) -> Result<(), i64> {
    // SAFETY: a descriptor we hold and a flock struct.
    if unsafe { libc::fcntl(raw, cmd, f as *mut libc::flock) } < 0 {
        return Err(last_errno());
    }
    Ok(())
}

impl FileLocks {
    /// Make the holder's host locks on `start..end` the union of the guest
    /// locks there. Fails (EAGAIN) when another host process holds a
    /// conflicting lock.
    fn sync_host(&self, start: u64, end: u64) -> Result<(), i64> {
        let Some(h) = &self.holder else {
            return Ok(());
        };
        let mut cuts = vec![start, end];
        for l in self.locks.iter().filter(|l| l.overlaps(start, end)) {
            cuts.push(l.start.max(start));
            cuts.push(l.end.min(end));
        }
        cuts.sort_unstable();
        cuts.dedup();
        for w in cuts.windows(2) {
            let (s, e) = (w[0], w[1]);
            let here = self.locks.iter().filter(|l| l.overlaps(s, e));
            let ty = here.fold(F_UNLCK, |t, l| {
                if l.write {
                    F_WRLCK
                } else if t == F_UNLCK {
                    F_RDLCK
                } else {
                    t
                }
            });
            let mut f = Flock {
                ty,
                whence: 0,
                start: s as i64,
                len: if e == u64::MAX { 0 } else { (e - s) as i64 },
                pid: 0,
            }
            .to_host();
            match host_ofd(h.as_raw_fd(), libc::F_OFD_SETLK, &mut f) {
                Ok(()) => {}
                // A holder without write access cannot mirror a write lock:
                // kvrm's own table still has it.
                Err(e) if e == EBADF && ty == F_WRLCK => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The first lock of another owner that conflicts with `want`.
    fn conflict(&self, owner: u64, start: u64, end: u64, write: bool) -> Option<Lock> {
        self.locks
            .iter()
            .find(|l| l.owner != owner && l.overlaps(start, end) && (write || l.write))
            .copied()
    }

    /// Set `owner`'s locks on `start..end` to `ty` (F_UNLCK: none), splitting
    /// and merging its other locks as Linux does.
    fn set(&mut self, owner: u64, pid: u32, start: u64, end: u64, ty: i16) {
        let mut kept = Vec::with_capacity(self.locks.len() + 2);
        for l in self.locks.drain(..) {
            if l.owner != owner || !l.overlaps(start, end) {
                kept.push(l);
                continue;
            }
            if l.start < start {
                kept.push(Lock { end: start, ..l });
            }
            if l.end > end {
                kept.push(Lock { start: end, ..l });
            }
        }
        if ty != F_UNLCK {
            let write = ty == F_WRLCK;
            let (mut s, mut e) = (start, end);
            // Merge with adjacent locks of the same owner and type.
            kept.retain(|l| {
                let adjacent = l.owner == owner && l.write == write && (l.end == s || l.start == e);
                if adjacent {
                    s = s.min(l.start);
                    e = e.max(l.end);
                }
                !adjacent
            });
            kept.push(Lock {
                owner,
                pid,
                start: s,
                end: e,
                write,
            });
        }
        kept.sort_by_key(|l| (l.start, l.owner));
        self.locks = kept;
    }
}

/// Drop every POSIX lock of `owner` on the file `id` (or on every file).
fn release(owner: u64, id: Option<(u64, u64)>) {
    with_table(|t| {
        t.retain(|&k, f| {
            if id.is_some_and(|i| i != k) || !f.locks.iter().any(|l| l.owner == owner) {
                return !f.locks.is_empty();
            }
            let ranges: Vec<(u64, u64)> = f
                .locks
                .iter()
                .filter(|l| l.owner == owner)
                .map(|l| (l.start, l.end))
                .collect();
            f.locks.retain(|l| l.owner != owner);
            for (s, e) in ranges {
                let _ = f.sync_host(s, e);
            }
            // A file nobody locks drops its holder (and so its host locks).
            !f.locks.is_empty()
        })
    });
}

/// Does `owner` hold any POSIX lock?
fn holds_locks(owner: u64) -> bool {
    with_table(|t| t.values().any(|f| f.locks.iter().any(|l| l.owner == owner)))
}

/// What a lock call did.
pub(crate) enum LockResult {
    Done(SysResult),
    /// A waiting call would wait: try again later.
    WouldWait,
}

impl LinuxProcess {
    /// The byte range `f` names in the file open as `raw` (whence applied).
    fn lock_range(raw: RawFd, f: &Flock) -> Result<(u64, u64), i64> {
        let base: i64 = match f.whence {
            0 => 0,
            // SAFETY: lseek/fstat on a descriptor we hold.
            1 => unsafe { libc::lseek(raw, 0, libc::SEEK_CUR) as i64 },
            2 => unsafe {
                let mut st: libc::stat = std::mem::zeroed();
                if libc::fstat(raw, &mut st) < 0 {
                    return Err(last_errno());
                }
                st.st_size as i64
            },
            _ => return Err(EINVAL),
        };
        if base < 0 {
            return Err(last_errno());
        }
        let start = base.checked_add(f.start).ok_or(EOVERFLOW)?;
        let (start, end) = match f.len {
            0 => (start, u64::MAX as i128),
            l if l > 0 => (start, start as i128 + l as i128),
            l => (start.checked_add(l).ok_or(EINVAL)?, start as i128),
        };
        if start < 0 {
            return Err(EINVAL);
        }
        if end != u64::MAX as i128 && end - 1 > i64::MAX as i128 {
            return Err(EOVERFLOW);
        }
        Ok((start as u64, end as u64))
    }

    /// fcntl lock commands. A waiting command (F_SETLKW, F_OFD_SETLKW) that
    /// would wait answers [`LockResult::WouldWait`].
    pub(crate) fn fcntl_lock(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        cmd: u64,
        arg: u64,
    ) -> LockResult {
        match self.fcntl_lock_inner(mem, fd, cmd, arg) {
            Err(e) if (e == EAGAIN || e == EACCES) && matches!(cmd, F_SETLKW | F_OFD_SETLKW) => {
                LockResult::WouldWait
            }
            r => LockResult::Done(r),
        }
    }

    fn fcntl_lock_inner(
        &mut self,
        mem: &mut AddressSpace,
        fd: u64,
        cmd: u64,
        arg: u64,
    ) -> SysResult {
        let file = self.fds.get(fd)?;
        let (raw, status) = {
            let f = file.lock_file();
            (f.host.raw(), f.status)
        };
        let mut fl = Flock::read(mem, arg)?;
        let ofd = matches!(cmd, F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW);
        if ofd && fl.pid != 0 {
            return Err(EINVAL);
        }
        if !matches!(fl.ty, F_RDLCK | F_WRLCK | F_UNLCK) {
            return Err(EINVAL);
        }
        let (start, end) = Self::lock_range(raw, &fl)?;
        let getlk = matches!(cmd, F_GETLK | F_OFD_GETLK);
        if !getlk {
            let acc = status & crate::abi::open::O_ACCMODE;
            let bad = match fl.ty {
                F_RDLCK => acc == crate::abi::open::O_WRONLY,
                F_WRLCK => acc == crate::abi::open::O_RDONLY,
                _ => false,
            };
            if bad || status & crate::abi::open::O_PATH != 0 {
                return Err(EBADF);
            }
        }
        let id = file_id(raw)?;
        let owner = self.lock_owner;
        if getlk {
            if fl.ty == F_UNLCK {
                return Err(EINVAL);
            }
            let write = fl.ty == F_WRLCK;
            // Guest POSIX locks first (an OFD lock conflicts with every
            // process's POSIX locks, the caller's too).
            let mine = if ofd { 0 } else { owner };
            let found =
                with_table(|t| t.get(&id).and_then(|f| f.conflict(mine, start, end, write)));
            if let Some(l) = found {
                l.to_flock().write(mem, arg)?;
                return Ok(0);
            }
            // Then the host: other host processes, guest OFD locks.
            let holder = with_table(|t| {
                t.get(&id)
                    .and_then(|f| f.holder.as_ref().map(|h| h.as_raw_fd()))
            });
            let mut q = Flock {
                whence: 0,
                start: start as i64,
                len: if end == u64::MAX {
                    0
                } else {
                    (end - start) as i64
                },
                pid: 0,
                ..fl
            }
            .to_host();
            let probe = match (ofd, holder) {
                (true, _) | (false, None) => raw,
                (false, Some(h)) => h,
            };
            if host_ofd(probe, libc::F_OFD_GETLK, &mut q).is_ok() && q.l_type as i16 != F_UNLCK {
                Flock::from_host(&q).write(mem, arg)?;
                return Ok(0);
            }
            fl.ty = F_UNLCK;
            fl.write(mem, arg)?;
            return Ok(0);
        }
        if ofd {
            // The guest's open file description is the host's: but guest
            // POSIX locks of every process conflict with it.
            if fl.ty != F_UNLCK {
                let write = fl.ty == F_WRLCK;
                if with_table(|t| t.get(&id).and_then(|f| f.conflict(0, start, end, write)))
                    .is_some()
                {
                    return Err(EAGAIN);
                }
            }
            let mut h = fl.to_host();
            host_ofd(raw, libc::F_OFD_SETLK, &mut h)?;
            return Ok(0);
        }
        // POSIX record lock: kvrm's table, mirrored on the host holder.
        let pid = self.pid;
        with_table(|t| {
            if fl.ty == F_UNLCK && !t.contains_key(&id) {
                return Ok(0);
            }
            let f = t.entry(id).or_default();
            if f.holder.is_none() {
                f.holder = reopen(raw);
            }
            if fl.ty != F_UNLCK && f.conflict(owner, start, end, fl.ty == F_WRLCK).is_some() {
                if f.locks.is_empty() {
                    t.remove(&id);
                }
                return Err(EAGAIN);
            }
            let old = f.locks.clone();
            f.set(owner, pid, start, end, fl.ty);
            if let Err(e) = f.sync_host(start, end) {
                f.locks = old;
                let _ = f.sync_host(start, end);
                if f.locks.is_empty() {
                    t.remove(&id);
                }
                return Err(if e == EACCES { EAGAIN } else { e });
            }
            if f.locks.is_empty() {
                t.remove(&id);
            }
            Ok(0)
        })
    }

    /// flock(fd, op): the host's, on the shared open file description. A
    /// waiting request that would wait answers [`LockResult::WouldWait`].
    pub(crate) fn flock(&mut self, fd: u64, op: u64) -> LockResult {
        let raw = match self.fds.get(fd) {
            Ok(f) => f.lock_file().host.raw(),
            Err(e) => return LockResult::Done(Err(e)),
        };
        let kind = op & !LOCK_NB;
        if kind != LOCK_SH && kind != LOCK_EX && kind != LOCK_UN {
            return LockResult::Done(Err(EINVAL));
        }
        let host = match kind {
            LOCK_SH => libc::LOCK_SH,
            LOCK_EX => libc::LOCK_EX,
            _ => libc::LOCK_UN,
        };
        // SAFETY: flock on a descriptor we hold, never waiting on the host.
        if unsafe { libc::flock(raw, host | libc::LOCK_NB) } < 0 {
            let e = last_errno();
            if e == EAGAIN && op & LOCK_NB == 0 {
                return LockResult::WouldWait;
            }
            return LockResult::Done(Err(e));
        }
        LockResult::Done(Ok(0))
    }

    /// Closing descriptor `fd` drops the process's POSIX locks on its file
    /// (whatever other descriptors of it stay open). Call before closing.
    pub(crate) fn release_locks_of_fd(&mut self, fd: u64) {
        if !holds_locks(self.lock_owner) {
            return;
        }
        let Ok(f) = self.fds.get(fd) else { return };
        let raw = f.lock_file().host.raw();
        if let Ok(id) = file_id(raw) {
            release(self.lock_owner, Some(id));
        }
    }

    /// After descriptors were closed in bulk (close_range, exec): drop the
    /// POSIX locks on files the process has no descriptor of any more.
    pub(crate) fn release_orphan_locks(&mut self) {
        let owner = self.lock_owner;
        if !holds_locks(owner) {
            return;
        }
        let open: Vec<(u64, u64)> = (0..self.fds.limit as u64)
            .filter_map(|fd| self.fds.get(fd).ok())
            .filter_map(|f| file_id(f.lock_file().host.raw()).ok())
            .collect();
        let locked: Vec<(u64, u64)> = with_table(|t| {
            t.iter()
                .filter(|(_, f)| f.locks.iter().any(|l| l.owner == owner))
                .map(|(&k, _)| k)
                .collect()
        });
        for id in locked {
            if !open.contains(&id) {
                release(owner, Some(id));
            }
        }
    }

    /// The process ended: every POSIX lock it held goes.
    pub(crate) fn release_all_locks(&mut self) {
        if holds_locks(self.lock_owner) {
            release(self.lock_owner, None);
        }
    }
}

impl Kernel {
    /// fcntl lock commands and flock: a waiting one that would wait makes
    /// the calling thread wait (retried every [`LOCK_RETRY`]); the others
    /// and the rest of fcntl go to the process's Linux layer (`None`).
    pub(crate) fn lock_call(&mut self, pid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        let waits = match n {
            nr::FCNTL => matches!(a[1], F_SETLKW | F_OFD_SETLKW),
            nr::FLOCK => a[1] & LOCK_NB == 0 && a[1] & LOCK_UN == 0,
            _ => false,
        };
        if !waits {
            return None;
        }
        let deadline = self.now() + LOCK_RETRY;
        let p = self.procs.get_mut(&pid)?;
        let mem = self.engine.space_mut(p.space);
        let r = if n == nr::FCNTL {
            p.linux.fcntl_lock(mem, a[0], a[1], a[2])
        } else {
            p.linux.flock(a[0], a[1])
        };
        Some(match r {
            LockResult::Done(Ok(v)) => Outcome::Return(v),
            LockResult::Done(Err(e)) => Outcome::errno(e),
            LockResult::WouldWait => Outcome::Wait(Wait::Lock(deadline)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_splits_and_merges_ranges() {
        let mut f = FileLocks::default();
        f.set(1, 10, 0, 100, F_WRLCK);
        f.set(1, 10, 40, 60, F_UNLCK);
        let r: Vec<(u64, u64)> = f.locks.iter().map(|l| (l.start, l.end)).collect();
        assert_eq!(r, vec![(0, 40), (60, 100)]);
        f.set(1, 10, 40, 60, F_WRLCK);
        assert_eq!(f.locks.len(), 1);
        assert_eq!((f.locks[0].start, f.locks[0].end), (0, 100));
        f.set(1, 10, 50, u64::MAX, F_RDLCK);
        assert_eq!(f.locks.len(), 2);
        assert!(f.conflict(2, 0, 10, false).is_some());
        assert!(f.conflict(2, 60, 70, false).is_none());
        assert!(f.conflict(2, 60, 70, true).is_some());
        assert!(f.conflict(1, 0, 10, true).is_none());
        f.set(1, 10, 0, u64::MAX, F_UNLCK);
        assert!(f.locks.is_empty());
    }

    #[test]
    fn flock_struct_layout() {
        let f = Flock {
            ty: F_WRLCK,
            whence: 1,
            start: -5,
            len: 7,
            pid: 42,
        };
        let h = f.to_host();
        assert_eq!(Flock::from_host(&h), f);
        assert_eq!(std::mem::size_of::<libc::flock>(), 32);
    }
}
