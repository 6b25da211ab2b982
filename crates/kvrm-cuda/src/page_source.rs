//! Lazy downloads: after a launch, the pages the device wrote stay on the
//! device and are marked stale in the host [`AddressSpace`]; the host reads
//! one from the device only when it touches it (a syscall's buffer, a path
//! string, a host step, the JIT reading code, a user, a fork).
//!
//! [`PoolMemory`] holds the frame pool's device allocation (the engine's
//! [`crate::devmem::FramePool`] uses it through [`PoolMemory::lock`]; growing
//! the pool swaps the allocation inside, so a reader always sees the current
//! one). [`DevicePages`] is one space's [`PageSource`]: it knows the device
//! frame of each page the device wrote and reads it from the pool. Both are
//! shared (`Arc`), so they stay valid as long as a space may call them, the
//! engine gone or not: the pool's memory lives until its last reader does,
//! and a space removed from the engine keeps its frames leased (not reused)
//! until the space is dropped.
//!
//! Reads through `&AddressSpace` (`read_bytes`, `read_cstring`, ...) cannot
//! keep what they read, and the Linux layer reads structs and strings in
//! small pieces: each source keeps the last few pages it read
//! ([`CACHED_PAGES`]), dropped whenever the device may have changed them
//! (every launch of the space, device views written).
//!
//! Locks: a source's state, then the pool's memory; the engine never holds
//! either while it calls into a space.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use cudarc::driver::CudaSlice;
use kvrm_isa::space::{Frame, PageSource, PAGE_SIZE};

use crate::driver;
use crate::error::CudaError;

/// Pages each source keeps after reading them through `&self`.
pub const CACHED_PAGES: usize = 8;

/// The frame pool's device memory, shared by the engine and the page
/// sources of its spaces.
pub struct PoolMemory {
    frames: Mutex<CudaSlice<u8>>,
    /// Pages the sources read from the device (cache hits not counted).
    pages_read: AtomicU64,
    /// Frames of removed spaces, handed back when those spaces were
    /// dropped: the engine releases them ([`PoolMemory::take_returned`]).
    returned: Mutex<Vec<u32>>,
    /// The first device error of a source's read (it served zeros).
    error: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Nothing here leaves data half-updated across a panic.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl PoolMemory {
    pub fn new(frames: CudaSlice<u8>) -> PoolMemory {
        PoolMemory {
            frames: Mutex::new(frames),
            pages_read: AtomicU64::new(0),
            returned: Mutex::new(Vec::new()),
            error: Mutex::new(None),
        }
    }

    /// The pool's current allocation. Hold it only for device calls.
    pub fn lock(&self) -> MutexGuard<'_, CudaSlice<u8>> {
        lock(&self.frames)
    }

    /// Copy frame `frame` into `out` (waits for the device's earlier work
    /// on the pool's stream, the launches included).
    fn read_frame(&self, frame: u32, out: &mut Frame) -> Result<(), CudaError> {
        let frames = self.lock();
        driver::read_bytes(&frames, frame as usize * PAGE_SIZE as usize, out)?;
        self.pages_read.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Pages the sources have read from the device.
    pub fn pages_read(&self) -> u64 {
        self.pages_read.load(Ordering::Relaxed)
    }

    /// Frames given back since the last call.
    pub fn take_returned(&self) -> Vec<u32> {
        std::mem::take(&mut *lock(&self.returned))
    }

    /// The first read error since the last call.
    pub fn take_error(&self) -> Option<String> {
        lock(&self.error).take()
    }

    fn note_error(&self, e: String) {
        lock(&self.error).get_or_insert(e);
    }
}

/// One space's page source: its pages the device wrote, read from the pool.
pub struct DevicePages {
    pool: Arc<PoolMemory>,
    state: Mutex<PagesState>,
}

#[derive(Default)]
struct PagesState {
    /// The device frame of every page the device wrote (a page keeps its
    /// frame while it is stale: frames change only for pages the host
    /// brought in, unmapped or wrote, none of them stale any more).
    frames: HashMap<u64, u32>,
    /// Pages read since the device last changed them, oldest first.
    cache: VecDeque<(u64, Box<Frame>)>,
    /// The space left the engine: its frames, released when it is dropped.
    leased: Vec<u32>,
}

impl DevicePages {
    pub fn new(pool: Arc<PoolMemory>) -> DevicePages {
        DevicePages {
            pool,
            state: Mutex::new(PagesState::default()),
        }
    }

    /// The device wrote `pages` (page, frame) in a launch. Call
    /// [`Self::forget_cached`] first.
    pub fn note_written(&self, pages: &[(u64, u32)]) {
        lock(&self.state).frames.extend(pages.iter().copied());
    }

    /// The device may have changed the space's pages: drop the copies.
    pub fn forget_cached(&self) {
        lock(&self.state).cache.clear();
    }

    /// The device frame recorded for `page`.
    pub fn frame_of(&self, page: u64) -> Option<u32> {
        lock(&self.state).frames.get(&page).copied()
    }

    /// The space left the engine with pages on the device: keep `frames`
    /// from reuse until this source is dropped.
    pub fn lease(&self, frames: Vec<u32>) {
        lock(&self.state).leased.extend(frames);
    }
}

impl PageSource for DevicePages {
    fn read_page(&self, page: u64, out: &mut Frame) {
        let mut st = lock(&self.state);
        if let Some((_, bytes)) = st.cache.iter().find(|(p, _)| *p == page) {
            out.copy_from_slice(&bytes[..]);
            return;
        }
        let Some(&frame) = st.frames.get(&page) else {
            // Only pages the engine recorded are marked stale.
            out.fill(0);
            self.pool
                .note_error(format!("page {page:#x} is stale but has no device frame"));
            return;
        };
        if let Err(e) = self.pool.read_frame(frame, out) {
            out.fill(0);
            self.pool.note_error(format!("reading page {page:#x}: {e}"));
            return;
        }
        if st.cache.len() >= CACHED_PAGES {
            st.cache.pop_front();
        }
        st.cache.push_back((page, Box::new(*out)));
    }
}

impl Drop for DevicePages {
    fn drop(&mut self) {
        let state = self.state.get_mut().unwrap_or_else(PoisonError::into_inner);
        let leased = std::mem::take(&mut state.leased);
        if !leased.is_empty() {
            lock(&self.pool.returned).extend(leased);
        }
    }
}
