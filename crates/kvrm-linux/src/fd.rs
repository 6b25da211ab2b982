//! Guest file descriptors: each names a host descriptor (the host's own stdin,
//! stdout and stderr for 0-2, otherwise one opened inside the sandbox root).

use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::abi::errno::*;

/// The host side of an open file.
#[derive(Debug)]
pub enum HostFd {
    /// One of the host's standard descriptors, never closed by the guest.
    Borrowed(RawFd),
    Owned(OwnedFd),
}

impl HostFd {
    pub fn raw(&self) -> RawFd {
        match self {
            HostFd::Borrowed(fd) => *fd,
            HostFd::Owned(fd) => fd.as_raw_fd(),
        }
    }
}

/// One directory entry for getdents64.
#[derive(Debug, Clone)]
pub struct DirEnt {
    pub ino: u64,
    pub dtype: u8,
    pub name: Vec<u8>,
}

/// An open file description (shared by dup'ed descriptors).
#[derive(Debug)]
pub struct OpenFile {
    pub host: HostFd,
    /// Guest status flags: access mode, O_APPEND, O_NONBLOCK, O_PATH...
    pub status: u64,
    /// The guest path it was opened by (directories: the base of `*at` calls),
    /// as bytes: Linux paths need not be UTF-8.
    pub guest_path: Option<Vec<u8>>,
    /// The host path, for directory listings.
    pub host_path: Option<PathBuf>,
    pub is_dir: bool,
    /// Directory listing snapshot and position (getdents64 / lseek).
    pub dir_entries: Option<Vec<DirEnt>>,
    pub dir_pos: usize,
    /// The host descriptor is non-blocking whatever the guest asked (pipes
    /// between guest processes): the kernel blocks the guest thread instead.
    pub host_nonblock: bool,
    /// Can a read or write of it wait (pipe, socket, terminal)? Found on first use.
    pub pollable: Option<bool>,
    /// A socket (syscalls/socket.rs).
    pub socket: bool,
    /// An AF_NETLINK socket: only its requests that read are passed on.
    pub netlink: bool,
    /// An emulated /proc or /sys file (an in-memory copy of its contents):
    /// the host file whose metadata (stat, statfs) stands in for the copy's
    /// (a /proc file: mode 0444, size 0).
    pub emulated: Option<&'static str>,
    /// A timerfd (kernel/timerfd.rs): a host eventfd that refuses writes.
    pub timerfd: bool,
    /// An eventfd or timerfd: its reads and writes move one 8-byte counter.
    pub counter: bool,
    /// A signalfd and the signals it reads (the host descriptor is an
    /// eventfd the kernel keeps readable while one of them is pending).
    pub signalfd: Option<u64>,
    /// F_SETOWN / F_SETOWN_EX: who gets SIGIO for O_ASYNC (a pid, or a
    /// process group as a negative number; 0: nobody).
    pub owner: i64,
    /// F_SETSIG: the signal O_ASYNC sends instead of SIGIO (0: SIGIO).
    pub owner_sig: i32,
    /// The master side of a pseudo-terminal (/dev/ptmx) and its number: the
    /// process that holds it may open /dev/pts/<number>.
    pub pty_master: Option<u32>,
}

impl OpenFile {
    pub fn new(host: HostFd, status: u64) -> Self {
        OpenFile {
            host,
            status,
            guest_path: None,
            host_path: None,
            is_dir: false,
            dir_entries: None,
            dir_pos: 0,
            host_nonblock: false,
            pollable: None,
            socket: false,
            netlink: false,
            emulated: None,
            timerfd: false,
            counter: false,
            signalfd: None,
            owner: 0,
            owner_sig: 0,
            pty_master: None,
        }
    }
}

/// An open file description, shared by dup'ed descriptors and by the
/// processes that inherited it.
pub type FileRef = Arc<Mutex<OpenFile>>;

/// Locking an open file description (a panic elsewhere cannot leave it
/// half-updated in a way that matters here, so poisoning is ignored).
pub trait LockFile {
    fn lock_file(&self) -> MutexGuard<'_, OpenFile>;
}

impl LockFile for Mutex<OpenFile> {
    fn lock_file(&self) -> MutexGuard<'_, OpenFile> {
        self.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[derive(Debug, Clone)]
pub struct FdEntry {
    pub file: FileRef,
    pub cloexec: bool,
}

/// The descriptor table.
#[derive(Debug, Default, Clone)]
pub struct FdTable {
    slots: Vec<Option<FdEntry>>,
    /// RLIMIT_NOFILE: descriptors are below this.
    pub limit: usize,
}

impl FdTable {
    pub fn new(limit: usize) -> Self {
        FdTable {
            slots: Vec::new(),
            limit,
        }
    }

    pub fn entry(&self, fd: u64) -> Result<&FdEntry, i64> {
        self.slots
            .get(usize::try_from(fd).map_err(|_| EBADF)?)
            .and_then(|s| s.as_ref())
            .ok_or(EBADF)
    }

    pub fn entry_mut(&mut self, fd: u64) -> Result<&mut FdEntry, i64> {
        self.slots
            .get_mut(usize::try_from(fd).map_err(|_| EBADF)?)
            .and_then(|s| s.as_mut())
            .ok_or(EBADF)
    }

    pub fn get(&self, fd: u64) -> Result<FileRef, i64> {
        self.entry(fd).map(|e| e.file.clone())
    }

    /// Install at the lowest free descriptor >= `min`.
    pub fn alloc(&mut self, min: usize, entry: FdEntry) -> Result<u64, i64> {
        let mut fd = min;
        while fd < self.slots.len() && self.slots[fd].is_some() {
            fd += 1;
        }
        if fd >= self.limit {
            return Err(EMFILE);
        }
        self.set(fd, entry);
        Ok(fd as u64)
    }

    /// Install at `fd`, closing what was there.
    pub fn set(&mut self, fd: usize, entry: FdEntry) {
        if fd >= self.slots.len() {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(entry);
    }

    pub fn close(&mut self, fd: u64) -> Result<(), i64> {
        let slot = self
            .slots
            .get_mut(usize::try_from(fd).map_err(|_| EBADF)?)
            .ok_or(EBADF)?;
        slot.take().map(|_| ()).ok_or(EBADF)
    }

    /// execve: close every descriptor marked close-on-exec.
    pub fn close_on_exec(&mut self) {
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(|e| e.cloexec) {
                *slot = None;
            }
        }
    }

    /// The open descriptors, lowest first.
    pub fn open_fds(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.is_some())
            .map(|(fd, _)| fd as u64)
    }

    /// Number of open descriptors.
    pub fn open_count(&self) -> usize {
        self.slots.iter().filter(|s| s.is_some()).count()
    }
}
