//! Host memory behind guest `MAP_SHARED` mappings.
//!
//! A shared file mapping is a host `mmap(MAP_SHARED)` of the host file: the
//! host kernel's page cache makes it coherent with `read`/`write` of the
//! file, with the same file mapped by other guest processes (each its own
//! [`HostShared`], the same page cache) and with other host processes; a
//! guest store reaches the file at once (`msync` only asks the host to write
//! it to disk). A shared anonymous mapping is a host `MAP_SHARED|MAP_ANONYMOUS`
//! mapping, shared by the guest processes that `fork` hands it to.
//!
//! A host access to a file page past the end of the file would be a host
//! SIGBUS, so pages past the end are never file-backed: at creation and
//! whenever a guest shrinks the file (`ftruncate`, `O_TRUNC`) they are
//! replaced by anonymous memory, and the guest's access to them is a bus error
//! ([`SharedBacking::prepare_page`] checks the file's size); when the file
//! grows again the pages are mapped from the file again. A host process
//! other than kvrm that shrinks a file a guest has mapped is not seen.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex, Weak};

use kvrm_isa::space::{shared_pages_changed, SharedBacking, SharedObject};
use kvrm_isa::PAGE_SIZE;

use crate::abi::errno::*;

/// The host's errno of the call that just failed.
fn last_errno() -> i64 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .map_or(EIO, i64::from)
}

/// The file side of a [`HostShared`].
struct FileBacking {
    /// Our own duplicate of the guest's descriptor.
    fd: OwnedFd,
    /// File offset of page 0.
    offset: u64,
    dev: u64,
    ino: u64,
    /// Opened for writing: the host mapping is `MAP_SHARED` and writable.
    /// Otherwise it is a private mapping that the guest may never write
    /// (`mprotect` refuses), which still shows the file's current bytes.
    writable: bool,
    /// Pages from here on are anonymous (past the end of the file).
    detached_from: Mutex<u64>,
}

/// One host mapping backing guest shared pages.
pub(crate) struct HostShared {
    base: *mut u8,
    pages: u64,
    file: Option<FileBacking>,
}

// SAFETY: the mapping is plain memory, valid until drop; the only mutable
// state (`detached_from`) is behind a mutex.
unsafe impl Send for HostShared {}
unsafe impl Sync for HostShared {}

/// Live file backings, to detach their pages when a guest shrinks the file.
static FILES: Mutex<Vec<Weak<HostShared>>> = Mutex::new(Vec::new());

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn fstat(fd: RawFd) -> Result<libc::stat, i64> {
    // SAFETY: an all-zero stat is a valid value to be overwritten.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstat writes into `st`, which outlives the call.
    if unsafe { libc::fstat(fd, &mut st) } < 0 {
        return Err(last_errno());
    }
    Ok(st)
}

impl HostShared {
    /// Shared anonymous memory of `pages` pages (zeroed).
    pub(crate) fn anonymous(pages: u64) -> Result<Arc<Self>, i64> {
        let len = usize::try_from(pages * PAGE_SIZE).map_err(|_| ENOMEM)?;
        // SAFETY: a fresh mapping at an address the host picks; checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(ENOMEM);
        }
        Ok(Arc::new(HostShared {
            base: base.cast(),
            pages,
            file: None,
        }))
    }

    /// `pages` pages of the regular file open as host descriptor `raw`, from
    /// byte `offset` (page aligned). `writable`: the descriptor allows writes.
    pub(crate) fn file(
        raw: RawFd,
        offset: u64,
        pages: u64,
        writable: bool,
    ) -> Result<Arc<Self>, i64> {
        let st = fstat(raw)?;
        if st.st_mode & libc::S_IFMT == libc::S_IFCHR && st.st_rdev == libc::makedev(1, 5) {
            // /dev/zero: shared anonymous memory, as on Linux.
            return Self::anonymous(pages);
        }
        if st.st_mode & libc::S_IFMT != libc::S_IFREG {
            return Err(ENODEV);
        }
        let len = usize::try_from(pages * PAGE_SIZE).map_err(|_| ENOMEM)?;
        let off = libc::off_t::try_from(offset).map_err(|_| EOVERFLOW)?;
        // SAFETY: F_DUPFD_CLOEXEC on a descriptor we hold; checked below.
        let dup = unsafe { libc::fcntl(raw, libc::F_DUPFD_CLOEXEC, 0) };
        if dup < 0 {
            return Err(last_errno());
        }
        // SAFETY: `dup` is a new descriptor owned by nobody else.
        let fd = unsafe { OwnedFd::from_raw_fd(dup) };
        let flags = if writable {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        // SAFETY: a fresh mapping at an address the host picks; checked below.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                fd.as_raw_fd(),
                off,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(last_errno());
        }
        let shared = Arc::new(HostShared {
            base: base.cast(),
            pages,
            file: Some(FileBacking {
                fd,
                offset,
                dev: st.st_dev,
                ino: st.st_ino,
                writable,
                detached_from: Mutex::new(pages),
            }),
        });
        shared.detach_beyond(st.st_size as u64)?;
        let mut files = lock(&FILES);
        files.retain(|w| w.strong_count() > 0);
        files.push(Arc::downgrade(&shared));
        Ok(shared)
    }

    /// Pages of this backing that lie inside a file of `size` bytes.
    fn pages_within(&self, f: &FileBacking, size: u64) -> u64 {
        size.saturating_sub(f.offset)
            .div_ceil(PAGE_SIZE)
            .min(self.pages)
    }

    /// Replace the file pages past the end of a file of `size` bytes by
    /// anonymous memory (a host access there would be a host SIGBUS). Says
    /// whether any page was file-backed before.
    fn detach_beyond(&self, size: u64) -> Result<bool, i64> {
        let Some(f) = &self.file else {
            return Ok(false);
        };
        let from = self.pages_within(f, size);
        let mut detached = lock(&f.detached_from);
        if from >= *detached {
            return Ok(false);
        }
        // SAFETY: the range lies inside our own mapping (`from < pages`); it
        // is replaced in place, so the memory stays valid for every holder.
        let r = unsafe {
            libc::mmap(
                self.base.add((from * PAGE_SIZE) as usize).cast(),
                ((*detached - from) * PAGE_SIZE) as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if r == libc::MAP_FAILED {
            return Err(ENOMEM);
        }
        *detached = from;
        Ok(true)
    }

    /// Map the file again over detached pages that are inside a file of
    /// `size` bytes now.
    fn attach_within(&self, f: &FileBacking, size: u64) {
        let to = self.pages_within(f, size);
        let mut detached = lock(&f.detached_from);
        if to <= *detached {
            return;
        }
        let flags = if f.writable {
            libc::MAP_SHARED
        } else {
            libc::MAP_PRIVATE
        };
        let off = f.offset + *detached * PAGE_SIZE;
        // SAFETY: the range lies inside our own mapping and is replaced in
        // place; all of it is inside the file (`to` pages), so no host SIGBUS.
        let r = unsafe {
            libc::mmap(
                self.base.add((*detached * PAGE_SIZE) as usize).cast(),
                ((to - *detached) * PAGE_SIZE) as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                flags | libc::MAP_FIXED,
                f.fd.as_raw_fd(),
                off as libc::off_t,
            )
        };
        if r != libc::MAP_FAILED {
            *detached = to;
        }
    }
}

impl Drop for HostShared {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once; no space refers to it any
        // more (they hold it through `Arc`).
        unsafe { libc::munmap(self.base.cast(), (self.pages * PAGE_SIZE) as usize) };
    }
}

// SAFETY: `base` is a host mapping of `pages` pages, readable and writable,
// alive until drop; pages past the end of the file are anonymous memory
// (`detach_beyond`, `file_resized`), so no host access faults.
unsafe impl SharedBacking for HostShared {
    fn base(&self) -> *mut u8 {
        self.base
    }

    fn pages(&self) -> u64 {
        self.pages
    }

    fn prepare_page(&self, i: u64) -> bool {
        let Some(f) = &self.file else {
            return true;
        };
        let Ok(st) = fstat(f.fd.as_raw_fd()) else {
            return false;
        };
        let size = st.st_size as u64;
        if f.offset + i * PAGE_SIZE >= size {
            return false;
        }
        self.attach_within(f, size);
        i < *lock(&f.detached_from)
    }

    fn writable(&self) -> bool {
        self.file.as_ref().is_none_or(|f| f.writable)
    }

    fn object(&self) -> (SharedObject, u64) {
        match &self.file {
            // The same file mapped twice (by two processes, say) is one object.
            Some(f) => (
                SharedObject::File {
                    dev: f.dev,
                    ino: f.ino,
                },
                f.offset,
            ),
            None => (SharedObject::Memory(self.base as usize), 0),
        }
    }

    fn following(&self, pages: u64) -> Option<Arc<dyn SharedBacking>> {
        let next: Arc<dyn SharedBacking> = match &self.file {
            None => HostShared::anonymous(pages).ok()?,
            Some(f) => HostShared::file(
                f.fd.as_raw_fd(),
                f.offset + self.pages * PAGE_SIZE,
                pages,
                f.writable,
            )
            .ok()?,
        };
        Some(next)
    }

    fn sync(&self, first: u64, pages: u64) -> bool {
        if self.file.as_ref().is_none_or(|f| !f.writable) {
            return true;
        }
        let first = first.min(self.pages);
        let pages = pages.min(self.pages - first);
        if pages == 0 {
            return true;
        }
        // SAFETY: a sub-range of our own mapping.
        unsafe {
            libc::msync(
                self.base.add((first * PAGE_SIZE) as usize).cast(),
                (pages * PAGE_SIZE) as usize,
                libc::MS_SYNC,
            ) == 0
        }
    }
}

/// A guest changed the size of the file open as host descriptor `raw`
/// (`ftruncate`, `open` with `O_TRUNC`): pages of shared mappings past its new
/// end stop being file-backed, and if there were any, every space resolves
/// its shared pages again (an access past the end is a bus error).
pub(crate) fn file_resized(raw: RawFd) {
    let live: Vec<Arc<HostShared>> = {
        let mut files = lock(&FILES);
        files.retain(|w| w.strong_count() > 0);
        if files.is_empty() {
            return;
        }
        files.iter().filter_map(Weak::upgrade).collect()
    };
    let Ok(st) = fstat(raw) else {
        return;
    };
    let mut changed = false;
    for s in live {
        if let Some(f) = &s.file {
            if f.dev == st.st_dev && f.ino == st.st_ino {
                changed |= s.detach_beyond(st.st_size as u64).unwrap_or(true);
            }
        }
    }
    if changed {
        shared_pages_changed();
    }
}
