//! Address spaces: the backend-neutral view of a guest's memory.
//!
//! An [`AddressSpace`] is a sparse 64-bit space of page-granular (4 KiB)
//! regions with permissions, kept in a sorted map, and the page frames that
//! back them, allocated on first write (an untouched page reads as zeros).
//! Frames are reference counted: [`AddressSpace::fork`] shares every frame
//! with the clone, and the first write on either side copies the page
//! (copy-on-write). Threads of a process share one space (an engine runs them
//! in it); processes get their own.
//!
//! Every access is checked: an address outside a mapping, or against its
//! permissions, returns a [`MemFault`]; nothing here can read or write host
//! memory other than the guest's own frames (indexing is bounds-checked; the
//! only `unsafe` is [`ContiguousMemory`], below).
//!
//! A space made by [`AddressSpace::flat_contiguous`] backs its flat region
//! with one contiguous, page-aligned host allocation ([`ContiguousMemory`])
//! instead of separate frames, so a host program can see guest memory as one
//! array without copying (the Python package's NumPy views). Its pages are
//! never shared copy-on-write: a fork copies them into ordinary frames.
//!
//! [`AddressSpace::attach_window`] gives any space such a backing for the
//! whole guest range below [`WINDOW_END`]: a reservation of host address
//! space (no memory is committed until a page is touched), so that guest
//! byte `a` lives at host address `window + a`. The CPU backend's JIT then
//! computes a host address with one add instead of reading it from a TLB
//! entry. Shared ranges keep their own backing inside the window.
//!
//! Backends keep their fast paths outside this type: the CPU backend's TLBs
//! cache frame indices ([`AddressSpace::frame_index`]) and are flushed when
//! [`AddressSpace::epoch`] changes (every unmap, protect or fork). For a
//! backend that keeps memory elsewhere (a GPU), the space tracks the pages the
//! host wrote ([`AddressSpace::take_host_dirty`], to upload before the next
//! run) and pages the backend marked stale (read through its
//! [`PageSource`] until the host writes them).
//!
//! A range can instead be backed by a [`SharedBacking`]
//! ([`AddressSpace::attach_shared`]): memory owned outside the space (for
//! Linux `MAP_SHARED`, a host mapping of the file or of shared anonymous
//! memory). Its pages are never copied: `fork` shares them, and every space
//! that attaches the same backing sees every store at once.
//!
//! Pages that a backend decoded code from are tracked: a write to one, or an
//! unmap or protect of it, records the page as dirty code
//! ([`AddressSpace::take_dirty_code`]) so the decoded instructions are dropped.
//! A shared page that holds code is also tracked by what it shows (its
//! object and page there): JITs that map their code memory twice, writable
//! at one address and executable at another (Erlang's BEAM, through a
//! memfd), write the code through the first and run it at the second, so a
//! write through any mapping of that object page drops the code decoded at
//! every address of this space that shows it.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use crate::stop::{Access, FaultKind, MemFault};

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
pub const PAGE_MASK: u64 = PAGE_SIZE - 1;

/// The guest addresses a window covers, `[0, WINDOW_END)`: the 39-bit user
/// address space of an arm64 Linux kernel built with 39-bit virtual addresses
/// (kvrm's Linux layer lays processes out in it).
pub const WINDOW_END: u64 = 1 << 39;

/// Most windows alive at once in this process (32 TiB of the host's 128 TiB
/// of address space, so the host's own allocations always find room); later
/// spaces keep their frames.
const MAX_WINDOWS: usize = 64;
static WINDOWS: AtomicUsize = AtomicUsize::new(0);

/// Default size of the flat memory used for raw programs (16 MiB, as the
/// Metal system had).
pub const DEFAULT_RAW_MEMORY: u64 = 16 * 1024 * 1024;

/// One page of guest memory.
pub type Frame = [u8; PAGE_SIZE as usize];

/// Page permissions: read, write, execute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Perms(pub u8);

impl Perms {
    pub const NONE: Perms = Perms(0);
    pub const R: Perms = Perms(1);
    pub const W: Perms = Perms(2);
    pub const X: Perms = Perms(4);
    pub const RW: Perms = Perms(3);
    pub const RX: Perms = Perms(5);
    pub const RWX: Perms = Perms(7);

    pub fn read(self) -> bool {
        self.0 & 1 != 0
    }
    pub fn write(self) -> bool {
        self.0 & 2 != 0
    }
    pub fn exec(self) -> bool {
        self.0 & 4 != 0
    }
    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Read => self.read(),
            Access::Write => self.write(),
            Access::Execute => self.exec(),
        }
    }
}

impl std::fmt::Display for Perms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = if self.read() { 'r' } else { '-' };
        let w = if self.write() { 'w' } else { '-' };
        let x = if self.exec() { 'x' } else { '-' };
        write!(f, "{r}{w}{x}")
    }
}

/// Errors of the mapping calls (not guest faults).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    #[error("address {0:#x} or length is not page aligned")]
    Unaligned(u64),
    #[error("zero-length mapping")]
    Empty,
    #[error("range {start:#x}..{end:#x} overlaps an existing mapping")]
    Overlap { start: u64, end: u64 },
    #[error("range {start:#x}..{end:#x} is not fully mapped")]
    NotMapped { start: u64, end: u64 },
    #[error("range wraps around the address space")]
    Wraps,
    #[error("no free range of {0:#x} bytes")]
    NoSpace(u64),
}

/// One mapped region, as listed by [`AddressSpace::regions`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub perms: Perms,
}

/// Where a backend that keeps memory elsewhere serves stale pages from.
pub trait PageSource: Send + Sync {
    /// Copy the current contents of guest page `page` into `out`.
    fn read_page(&self, page: u64, out: &mut Frame);
}

#[inline(always)]
pub fn page_of(addr: u64) -> u64 {
    addr >> PAGE_SHIFT
}

/// The object behind shared pages, as process-shared futexes name a word
/// (Linux keys them by the inode or the shared memory, and the offset).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SharedObject {
    /// Memory of its own, told apart by the host address of its first page.
    Memory(usize),
    /// A file, by device and inode.
    File { dev: u64, ino: u64 },
}

/// Memory owned outside any address space that backs shared mappings
/// (Linux `MAP_SHARED`): every space that attaches it reads and writes the
/// same bytes, and `fork` shares it instead of copying.
///
/// # Safety
///
/// [`SharedBacking::base`] must point at `pages() * PAGE_SIZE` page-aligned
/// bytes that stay readable and writable by this process (no host fault, not
/// freed, not moved) for as long as the object lives. Other parties (other
/// spaces, host processes) may change the bytes at any time; a space only
/// copies them in and out, as hardware memory shared between processes.
pub unsafe trait SharedBacking: Send + Sync {
    /// Host address of page 0.
    fn base(&self) -> *mut u8;
    /// Number of pages.
    fn pages(&self) -> u64;
    /// May the guest access page `i` now? `false` (a file page past the end
    /// of the file) makes the access a bus error. Called when a space first
    /// resolves the page, and again after [`shared_pages_changed`].
    fn prepare_page(&self, _i: u64) -> bool {
        true
    }
    /// May the pages become writable (a file opened for writing)?
    fn writable(&self) -> bool {
        true
    }
    /// A backing for `pages` more pages that continue this one (growing a
    /// shared mapping in place), if there can be one.
    fn following(&self, _pages: u64) -> Option<Arc<dyn SharedBacking>> {
        None
    }
    /// Write pages `[first, first+pages)` back to their file (msync); `false`
    /// if the host failed.
    fn sync(&self, _first: u64, _pages: u64) -> bool {
        true
    }
    /// The object these pages show and its byte offset of page 0: by
    /// default memory of their own.
    fn object(&self) -> (SharedObject, u64) {
        (SharedObject::Memory(self.base() as usize), 0)
    }
}

/// One attached range: guest pages `[start, end)` are backing pages
/// `first..`.
#[derive(Clone)]
struct SharedRange {
    end: u64,
    backing: Arc<dyn SharedBacking>,
    first: u64,
}

/// A piece of a shared mapping, as listed by [`AddressSpace::shared_pieces`].
#[derive(Clone)]
pub struct SharedPiece {
    pub start: u64,
    pub end: u64,
    pub backing: Arc<dyn SharedBacking>,
    /// Backing page of `start`.
    pub first: u64,
}

/// A resolved shared page: the host address of its bytes (kept alive by
/// `_backing`).
#[derive(Clone)]
struct SharedSlot {
    host: usize,
    page: u64,
    _backing: Arc<dyn SharedBacking>,
}

static SHARED_GENERATION: AtomicU64 = AtomicU64::new(0);

/// Some shared backing changed which of its pages may be accessed (a file
/// shrank): every space resolves its shared pages again before its next
/// access through [`AddressSpace::frame_index`] or
/// [`AddressSpace::sync_shared`].
pub fn shared_pages_changed() {
    SHARED_GENERATION.fetch_add(1, Ordering::Relaxed);
}

/// Frame indices in `[SHARED_BASE, CONTIGUOUS_BASE)` name resolved shared
/// pages (index - base = slot); ordinary frames stay below.
const SHARED_BASE: u32 = 1 << 30;

fn zero_frame() -> Arc<Frame> {
    Arc::new([0u8; PAGE_SIZE as usize])
}

/// Frame indices at or above this name pages of the contiguous backing
/// (index - base = page offset in it); ordinary frames stay far below
/// (`max_frames`).
const CONTIGUOUS_BASE: u32 = 1 << 31;

/// One zeroed, page-aligned host allocation that backs a guest range
/// page for page (see [`AddressSpace::flat_contiguous`]).
///
/// It is reference counted so that a host view of guest memory keeps the
/// allocation alive after the space is gone: a view can go stale, never
/// dangle. The space reads and writes it only through `&self`/`&mut self`
/// of the [`AddressSpace`], like its other frames; whoever dereferences
/// [`ContiguousMemory::as_ptr`] must not do so while an engine runs in the
/// space (the same rule as for a GPU's shared memory).
pub struct ContiguousMemory {
    ptr: std::ptr::NonNull<u8>,
    len: usize,
    /// Guest address of the first byte.
    guest_base: u64,
    /// A reservation (`mmap`, pages committed on first touch, returned with
    /// `madvise`) rather than a heap allocation.
    reserved: bool,
}

// The allocation is plain bytes; access rules are documented above.
unsafe impl Send for ContiguousMemory {}
unsafe impl Sync for ContiguousMemory {}

impl ContiguousMemory {
    fn layout(len: usize) -> std::alloc::Layout {
        std::alloc::Layout::from_size_align(len, PAGE_SIZE as usize).expect("contiguous layout")
    }

    /// `None` if the host cannot allocate it (a size a caller asked for is
    /// no reason to abort).
    fn new(guest_base: u64, len: usize) -> Option<Self> {
        assert!(len > 0 && len.is_multiple_of(PAGE_SIZE as usize));
        let layout = std::alloc::Layout::from_size_align(len, PAGE_SIZE as usize).ok()?;
        // SAFETY: the layout has a non-zero size.
        let ptr = std::ptr::NonNull::new(unsafe { std::alloc::alloc_zeroed(layout) })?;
        Some(ContiguousMemory {
            ptr,
            len,
            guest_base,
            reserved: false,
        })
    }

    /// A reservation of `len` bytes of host address space, read and write,
    /// with no memory committed (`MAP_NORESERVE`); `None` if the host refuses
    /// (address space exhausted, or strict overcommit).
    fn reserve(guest_base: u64, len: usize) -> Option<Self> {
        use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
        assert!(len > 0 && len.is_multiple_of(PAGE_SIZE as usize));
        if WINDOWS.fetch_add(1, Ordering::Relaxed) >= MAX_WINDOWS {
            WINDOWS.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        // SAFETY: a new anonymous private mapping at an address the kernel
        // picks; it aliases nothing.
        let mapped = unsafe {
            mmap_anonymous(
                std::ptr::null_mut(),
                len,
                ProtFlags::READ | ProtFlags::WRITE,
                MapFlags::PRIVATE | MapFlags::NORESERVE,
            )
        };
        let Some(ptr) = mapped.ok().and_then(|p| std::ptr::NonNull::new(p.cast())) else {
            WINDOWS.fetch_sub(1, Ordering::Relaxed);
            return None;
        };
        Some(ContiguousMemory {
            ptr,
            len,
            guest_base,
            reserved: true,
        })
    }

    /// Zero pages `[first, end)` of the allocation (`end <= pages()`); a
    /// reservation gives their memory back to the host.
    fn zero_pages(&self, first: u64, end: u64) {
        if first >= end {
            return;
        }
        if self.reserved {
            use rustix::mm::{madvise, Advice};
            let len = ((end - first) << PAGE_SHIFT) as usize;
            // SAFETY: in bounds (the caller's check against `pages()`);
            // private anonymous pages read as zeros after `DONTNEED`.
            let done = unsafe { madvise(self.frame_ptr(first).cast(), len, Advice::LinuxDontNeed) };
            if done.is_ok() {
                return;
            }
        }
        for i in first..end {
            // SAFETY: in bounds, as above.
            unsafe { (*self.frame_ptr(i)).fill(0) };
        }
    }

    /// Is this a window made by [`AddressSpace::attach_window`]?
    pub fn is_window(&self) -> bool {
        self.reserved
    }

    /// Host address of guest address [`Self::guest_base`].
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// Guest address of the first byte.
    pub fn guest_base(&self) -> u64 {
        self.guest_base
    }
    fn pages(&self) -> u64 {
        (self.len as u64) >> PAGE_SHIFT
    }
    /// Page `i` of the allocation (`i < pages()`).
    fn frame_ptr(&self, i: u64) -> *mut Frame {
        debug_assert!(i < self.pages());
        // SAFETY: in bounds by the caller's check against `pages()`.
        unsafe { self.ptr.as_ptr().add((i << PAGE_SHIFT) as usize) as *mut Frame }
    }
}

impl Drop for ContiguousMemory {
    fn drop(&mut self) {
        if self.reserved {
            // SAFETY: mapped in `reserve` with this length; nothing refers to
            // it any more (the last `Arc` is going).
            let _ = unsafe { rustix::mm::munmap(self.ptr.as_ptr().cast(), self.len) };
            WINDOWS.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        // SAFETY: allocated in `new` with this layout.
        unsafe { std::alloc::dealloc(self.ptr.as_ptr(), Self::layout(self.len)) }
    }
}

pub struct AddressSpace {
    /// start -> (end, perms); non-overlapping, page aligned.
    regions: BTreeMap<u64, (u64, Perms)>,
    /// Bytes of accessible regions, kept with every layout change (the
    /// memory limit asks for it per process on every mapping call).
    committed: u64,
    /// Frame slots; `None` is free (listed in `free_frames`).
    frames: Vec<Option<Arc<Frame>>>,
    free_frames: Vec<u32>,
    page_frame: HashMap<u64, u32>,
    code_pages: HashSet<u64>,
    dirty_code: Vec<u64>,
    /// What the shared code pages show: object and page number there.
    shared_code: HashSet<(SharedObject, u64)>,
    /// A shared page became code since [`AddressSpace::take_shared_code_added`]:
    /// a backend must stop writing other mappings of it without a check.
    shared_code_added: bool,
    /// Pages written through the host API since `take_host_dirty`.
    host_dirty: BTreeSet<u64>,
    /// Pages whose current contents live with the backend's `source`.
    stale: HashSet<u64>,
    source: Option<Arc<dyn PageSource>>,
    /// See [`AddressSpace::take_released`].
    released: Vec<(u64, u64)>,
    /// Changes whenever a cached translation may have become wrong.
    epoch: u64,
    /// Counts frames replaced while their page stays mapped (a write that
    /// copied a shared frame, a page brought in) or freed: host addresses of
    /// frames cached outside (the JIT's TLB entries) may then name the old
    /// frame. See [`AddressSpace::frames_replaced`].
    frames_replaced: u64,
    /// See [`AddressSpace::layout_version`].
    layout: u64,
    /// Upper bound on resident frames, so a guest cannot exhaust host memory.
    max_frames: usize,
    /// Contiguous backing of `[guest_base, guest_base + len)`, if any.
    contiguous: Option<Arc<ContiguousMemory>>,
    /// Pages of a window (see [`Self::attach_window`]) that an access
    /// reached: the only ones that may be non-zero.
    window_pages: HashSet<u64>,
    /// `attach_window` failed once: do not ask the host again.
    window_refused: bool,
    /// Shared ranges by start address (inside mapped regions).
    shared: BTreeMap<u64, SharedRange>,
    /// Resolved shared pages (indices `SHARED_BASE + i` in `page_frame`).
    shared_slots: Vec<Option<SharedSlot>>,
    free_shared: Vec<u32>,
    /// `SHARED_GENERATION` when the slots were resolved.
    shared_gen: u64,
}

impl Default for AddressSpace {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for AddressSpace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddressSpace")
            .field("regions", &self.regions())
            .field("resident_pages", &self.page_frame.len())
            .finish()
    }
}

fn fault(addr: u64, access: Access, kind: FaultKind) -> MemFault {
    MemFault { addr, access, kind }
}

impl AddressSpace {
    /// An empty address space.
    pub fn new() -> Self {
        AddressSpace {
            regions: BTreeMap::new(),
            committed: 0,
            frames: Vec::new(),
            free_frames: Vec::new(),
            page_frame: HashMap::new(),
            code_pages: HashSet::new(),
            dirty_code: Vec::new(),
            shared_code: HashSet::new(),
            shared_code_added: false,
            host_dirty: BTreeSet::new(),
            stale: HashSet::new(),
            source: None,
            released: Vec::new(),
            epoch: 0,
            frames_replaced: 0,
            layout: 0,
            // 8 GiB of touched guest memory by default.
            max_frames: 2 * 1024 * 1024,
            contiguous: None,
            window_pages: HashSet::new(),
            window_refused: false,
            shared: BTreeMap::new(),
            shared_slots: Vec::new(),
            free_shared: Vec::new(),
            shared_gen: SHARED_GENERATION.load(Ordering::Relaxed),
        }
    }

    /// Like [`Self::flat`], but the region is one contiguous host
    /// allocation that [`Self::contiguous`] hands out (zero-copy host views).
    /// The whole size is allocated up front (zeroed, so the OS commits pages
    /// on first touch); `NoSpace` if the host cannot.
    pub fn flat_contiguous(size: u64) -> Result<Self, MapError> {
        let size = size.next_multiple_of(PAGE_SIZE);
        let mut m = Self::flat(size)?;
        let len = usize::try_from(size).map_err(|_| MapError::NoSpace(size))?;
        let memory = ContiguousMemory::new(0, len).ok_or(MapError::NoSpace(size))?;
        m.contiguous = Some(Arc::new(memory));
        Ok(m)
    }

    /// The contiguous backing, if this space has one.
    pub fn contiguous(&self) -> Option<&Arc<ContiguousMemory>> {
        self.contiguous.as_ref()
    }

    /// The host may have written the contiguous backing through
    /// [`ContiguousMemory::as_ptr`]: drop decoded code of its pages (they
    /// become dirty code). Costs one pass over the pages that hold decoded
    /// code.
    pub fn contiguous_written(&mut self) {
        let Some(c) = &self.contiguous else {
            return;
        };
        let first = page_of(c.guest_base);
        let window = first..first + c.pages();
        let code: Vec<u64> = self
            .code_pages
            .iter()
            .copied()
            .filter(|p| window.contains(p))
            .collect();
        for page in code {
            self.code_pages.remove(&page);
            self.dirty_code.push(page);
        }
    }

    /// The frame index of `page` in the contiguous backing, if it lies there
    /// (and is not part of a shared range, which keeps its own backing).
    #[inline]
    fn contiguous_index(&self, page: u64) -> Option<u32> {
        let c = self.contiguous.as_ref()?;
        let i = page.checked_sub(page_of(c.guest_base))?;
        if i >= c.pages() || (!self.shared.is_empty() && self.shared_page(page).is_some()) {
            return None;
        }
        Some(CONTIGUOUS_BASE + i as u32)
    }

    /// Never give this space a window, as on a host that refuses the
    /// reservation (tests of that case).
    pub fn refuse_window(&mut self) {
        self.window_refused = true;
    }

    /// Back every page below [`WINDOW_END`] with one reservation of host
    /// address space (see the module documentation), moving the pages that
    /// hold data into it; true if the space has a window now. A space that
    /// already has a contiguous backing of another kind, or whose host
    /// refused the reservation once, keeps its frames.
    pub fn attach_window(&mut self) -> bool {
        if let Some(c) = &self.contiguous {
            return c.reserved;
        }
        if self.window_refused || self.source.is_some() {
            return false;
        }
        let Some(window) = ContiguousMemory::reserve(0, WINDOW_END as usize) else {
            self.window_refused = true;
            return false;
        };
        let moved: Vec<(u64, u32)> = self
            .page_frame
            .iter()
            .filter(|&(&page, &idx)| page < page_of(WINDOW_END) && idx < SHARED_BASE)
            .map(|(&page, &idx)| (page, idx))
            .collect();
        for (page, idx) in moved {
            if let Some(Some(f)) = self.frames.get(idx as usize) {
                // SAFETY: `page` is below WINDOW_END, so inside the new window.
                unsafe { *window.frame_ptr(page) = **f };
            }
            self.page_frame.remove(&page);
            self.free_slot(idx);
            self.window_pages.insert(page);
        }
        self.contiguous = Some(Arc::new(window));
        self.bump_epoch();
        true
    }

    #[inline]
    fn contiguous_frame(&self, idx: u32) -> Option<&Frame> {
        let c = self.contiguous.as_ref()?;
        let i = u64::from(idx.checked_sub(CONTIGUOUS_BASE)?);
        // SAFETY: in bounds; shared access tied to `&self` (see ContiguousMemory).
        (i < c.pages()).then(|| unsafe { &*c.frame_ptr(i) })
    }

    #[inline]
    fn contiguous_frame_mut(&mut self, idx: u32) -> Option<&mut Frame> {
        let c = self.contiguous.as_ref()?;
        let i = u64::from(idx.checked_sub(CONTIGUOUS_BASE)?);
        // SAFETY: in bounds; exclusive access tied to `&mut self`.
        (i < c.pages()).then(|| unsafe { &mut *c.frame_ptr(i) })
    }

    /// The frame holding `page`'s bytes, if one exists (else it reads as zeros).
    fn resident_frame(&self, page: u64) -> Option<&Frame> {
        if let Some(idx) = self.contiguous_index(page) {
            return self.contiguous_frame(idx);
        }
        if let Some(&i) = self.page_frame.get(&page) {
            return self.frame(i);
        }
        // A shared page no access resolved yet: its bytes are the backing's.
        let (r, i) = self.shared_page(page)?;
        // SAFETY: `i < pages()` (checked by `attach_shared`); the range holds
        // the backing alive (the `SharedBacking` contract).
        Some(unsafe { &*(r.backing.base().add((i << PAGE_SHIFT) as usize) as *const Frame) })
    }

    /// One flat read/write/execute region at address 0 (raw programs).
    pub fn flat(size: u64) -> Result<Self, MapError> {
        let mut m = Self::new();
        m.map(0, size.next_multiple_of(PAGE_SIZE), Perms::RWX)?;
        Ok(m)
    }

    /// Limit how many 4 KiB pages the guest may touch.
    pub fn set_max_resident_pages(&mut self, pages: usize) {
        self.max_frames = pages;
    }

    pub fn resident_pages(&self) -> usize {
        self.page_frame.len() + self.window_pages.len()
    }

    /// Changes whenever translations cached outside may be wrong.
    #[inline(always)]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Changes whenever a frame's host address cached outside may be stale
    /// while `epoch` stays: a copy-on-write copy made by a write through
    /// this API (a syscall's, after `fork`), a page brought in, a frame freed.
    #[inline(always)]
    pub fn frames_replaced(&self) -> u64 {
        self.frames_replaced
    }

    fn bump_epoch(&mut self) {
        self.epoch = self.epoch.wrapping_add(1);
        self.layout_changed();
    }

    /// The regions changed: a new layout version, the committed bytes again.
    fn layout_changed(&mut self) {
        self.layout = self.layout.wrapping_add(1);
        self.committed = self
            .regions
            .iter()
            .filter(|(_, &(_, p))| p != Perms::NONE)
            .map(|(&s, &(e, _))| e - s)
            .sum();
    }

    /// Changes whenever the mappings change, new ones included (a backend
    /// that mirrors the page table, as the CUDA one does, rebuilds it then;
    /// `epoch` does not change on a plain `map`, which invalidates no
    /// cached translation).
    pub fn layout_version(&self) -> u64 {
        self.layout
    }

    /// A copy-on-write clone (for `fork`): both spaces share every frame
    /// until one of them writes it. Decoded-code tracking starts empty.
    pub fn fork(&mut self) -> AddressSpace {
        self.bring_in_stale();
        self.bump_epoch();
        let mut child = AddressSpace {
            regions: self.regions.clone(),
            committed: self.committed,
            frames: self.frames.clone(),
            free_frames: self.free_frames.clone(),
            page_frame: self.page_frame.clone(),
            code_pages: HashSet::new(),
            dirty_code: Vec::new(),
            shared_code: HashSet::new(),
            shared_code_added: false,
            host_dirty: self.page_frame.keys().copied().collect(),
            stale: HashSet::new(),
            source: None,
            released: Vec::new(),
            epoch: 0,
            frames_replaced: 0,
            layout: 0,
            max_frames: self.max_frames,
            contiguous: None,
            window_pages: HashSet::new(),
            window_refused: false,
            // Shared pages stay shared: the child resolves the same host bytes.
            shared: self.shared.clone(),
            shared_slots: self.shared_slots.clone(),
            free_shared: self.free_shared.clone(),
            shared_gen: self.shared_gen,
        };
        // The contiguous backing is this space's alone: the child gets copies
        // of its non-zero pages as ordinary frames.
        if let Some(c) = self.contiguous.clone() {
            let first = page_of(c.guest_base);
            // A window is mostly untouched reservation: only the pages an
            // access reached can hold data.
            let pages: Vec<u64> = if c.reserved {
                let mut v: Vec<u64> = self.window_pages.iter().map(|p| p - first).collect();
                v.sort_unstable();
                v
            } else {
                (0..c.pages()).collect()
            };
            for i in pages {
                if self.shared_page(first + i).is_some() {
                    continue;
                }
                let Some(f) = self.contiguous_frame(CONTIGUOUS_BASE + i as u32) else {
                    continue;
                };
                if f.iter().all(|&b| b == 0) {
                    continue;
                }
                child.frames.push(Some(Arc::new(*f)));
                let idx = (child.frames.len() - 1) as u32;
                child.page_frame.insert(first + i, idx);
                child.host_dirty.insert(first + i);
            }
        }
        child
    }

    /// Bytes mapped with any permission (what `mmap` commits).
    pub fn committed_bytes(&self) -> u64 {
        self.committed
    }

    // ----- mapping -------------------------------------------------------

    fn check_range(addr: u64, len: u64) -> Result<u64, MapError> {
        if len == 0 {
            return Err(MapError::Empty);
        }
        if addr & PAGE_MASK != 0 || len & PAGE_MASK != 0 {
            return Err(MapError::Unaligned(addr));
        }
        addr.checked_add(len).ok_or(MapError::Wraps)
    }

    /// Map `[addr, addr+len)` with `perms`. Fails if any page is already mapped.
    pub fn map(&mut self, addr: u64, len: u64, perms: Perms) -> Result<(), MapError> {
        let end = Self::check_range(addr, len)?;
        if self.overlaps(addr, end) {
            return Err(MapError::Overlap { start: addr, end });
        }
        self.regions.insert(addr, (end, perms));
        self.merge_around(addr);
        self.layout_changed();
        Ok(())
    }

    /// Map `[addr, addr+len)`, replacing whatever was mapped there (MAP_FIXED).
    pub fn map_fixed(&mut self, addr: u64, len: u64, perms: Perms) -> Result<(), MapError> {
        let end = Self::check_range(addr, len)?;
        self.unmap(addr, end - addr)?;
        self.map(addr, len, perms)
    }

    /// Is any byte of `[start, end)` mapped?
    pub fn overlaps(&self, start: u64, end: u64) -> bool {
        if let Some((_, &(r_end, _))) = self.regions.range(..end).next_back() {
            return r_end > start;
        }
        false
    }

    /// Is every byte of `[start, end)` mapped?
    pub fn fully_mapped(&self, start: u64, end: u64) -> bool {
        let mut cursor = start;
        for (&r_start, &(r_end, _)) in self.regions.range(..end) {
            if r_end <= cursor {
                continue;
            }
            if r_start > cursor {
                return false;
            }
            cursor = r_end;
            if cursor >= end {
                return true;
            }
        }
        cursor >= end
    }

    /// Split the region containing `at` so that a region boundary falls on `at`.
    fn split_at(&mut self, at: u64) {
        let found = self
            .regions
            .range(..at)
            .next_back()
            .map(|(&s, &(e, p))| (s, e, p));
        if let Some((start, end, perms)) = found {
            if end > at {
                self.regions.insert(start, (at, perms));
                self.regions.insert(at, (end, perms));
            }
        }
    }

    /// Merge the region starting at `addr` with equal-permission neighbours.
    fn merge_around(&mut self, addr: u64) {
        let Some(&(end, perms)) = self.regions.get(&addr) else {
            return;
        };
        let mut start = addr;
        let mut end = end;
        if let Some((&ps, &(pe, pp))) = self.regions.range(..addr).next_back() {
            if pe == addr && pp == perms {
                self.regions.remove(&addr);
                start = ps;
            }
        }
        if let Some(&(ne, np)) = self.regions.get(&end) {
            if np == perms {
                self.regions.remove(&end);
                end = ne;
            }
        }
        self.regions.insert(start, (end, perms));
    }

    /// Unmap `[addr, addr+len)`; unmapped holes inside the range are fine.
    pub fn unmap(&mut self, addr: u64, len: u64) -> Result<(), MapError> {
        let end = Self::check_range(addr, len)?;
        self.split_at(addr);
        self.split_at(end);
        let doomed: Vec<u64> = self.regions.range(addr..end).map(|(&s, _)| s).collect();
        for start in doomed {
            if let Some((r_end, _)) = self.regions.remove(&start) {
                self.release_frames(start, r_end);
            }
        }
        self.detach_shared(addr, end);
        self.bump_epoch();
        Ok(())
    }

    // ----- shared ranges ---------------------------------------------------

    /// Back the mapped range `[addr, addr+len)` with `backing`'s pages from
    /// `first` on (replacing whatever the pages held). The range must be
    /// mapped and the backing must have the pages.
    pub fn attach_shared(
        &mut self,
        addr: u64,
        len: u64,
        backing: Arc<dyn SharedBacking>,
        first: u64,
    ) -> Result<(), MapError> {
        let end = Self::check_range(addr, len)?;
        if !self.fully_mapped(addr, end) {
            return Err(MapError::NotMapped { start: addr, end });
        }
        let pages = (end - addr) >> PAGE_SHIFT;
        if first.checked_add(pages).is_none_or(|e| e > backing.pages()) {
            return Err(MapError::NoSpace(len));
        }
        if self.contiguous.as_ref().is_some_and(|c| !c.reserved) {
            // A host view's backing shadows every page of its range.
            return Err(MapError::Overlap { start: addr, end });
        }
        self.release_frames(addr, end);
        self.detach_shared(addr, end);
        self.shared.insert(
            addr,
            SharedRange {
                end,
                backing,
                first,
            },
        );
        self.bump_epoch();
        Ok(())
    }

    /// Where the byte at `addr` lives when a shared mapping shows it: its
    /// object and byte offset there, the same in every space and mapping
    /// that shows the byte.
    pub fn shared_location(&self, addr: u64) -> Option<(SharedObject, u64)> {
        let (&start, r) = self.shared.range(..=addr).next_back()?;
        if addr >= r.end {
            return None;
        }
        let (object, base) = r.backing.object();
        let page = r.first + ((addr - start) >> PAGE_SHIFT);
        Some((object, base + page * PAGE_SIZE + (addr & PAGE_MASK)))
    }

    /// Does any shared mapping (`MAP_SHARED`) show memory in this space?
    pub fn has_shared_mappings(&self) -> bool {
        !self.shared.is_empty()
    }

    /// The shared pieces of `[start, end)`, in address order, clipped to it.
    pub fn shared_pieces(&self, start: u64, end: u64) -> Vec<SharedPiece> {
        let from = self
            .shared
            .range(..=start)
            .next_back()
            .map_or(start, |(&s, _)| s);
        self.shared
            .range(from..end)
            .filter(|(_, r)| r.end > start)
            .map(|(&s, r)| {
                let lo = s.max(start);
                SharedPiece {
                    start: lo,
                    end: r.end.min(end),
                    backing: r.backing.clone(),
                    first: r.first + ((lo - s) >> PAGE_SHIFT),
                }
            })
            .collect()
    }

    /// Forget the shared ranges over `[start, end)` (their resolved pages
    /// are released by the caller).
    fn detach_shared(&mut self, start: u64, end: u64) {
        if self.shared.is_empty() {
            return;
        }
        for p in self.shared_pieces(start, end) {
            let Some((&s, _)) = self.shared.range(..=p.start).next_back() else {
                continue;
            };
            let Some(r) = self.shared.remove(&s) else {
                continue;
            };
            if s < p.start {
                let mut left = r.clone();
                left.end = p.start;
                self.shared.insert(s, left);
            }
            if p.end < r.end {
                let right = SharedRange {
                    end: r.end,
                    backing: r.backing.clone(),
                    first: r.first + ((p.end - s) >> PAGE_SHIFT),
                };
                self.shared.insert(p.end, right);
            }
        }
    }

    /// The shared range holding `page` and the backing page number.
    fn shared_page(&self, page: u64) -> Option<(&SharedRange, u64)> {
        let addr = page << PAGE_SHIFT;
        let (&s, r) = self.shared.range(..=addr).next_back()?;
        (addr < r.end).then(|| (r, r.first + ((addr - s) >> PAGE_SHIFT)))
    }

    /// If some backing changed which pages may be accessed since this space
    /// resolved its shared pages, drop them (they are resolved again on the
    /// next access) and move the epoch (cached translations go).
    #[inline]
    pub fn sync_shared(&mut self) {
        let gen = SHARED_GENERATION.load(Ordering::Relaxed);
        if gen == self.shared_gen {
            return;
        }
        self.shared_gen = gen;
        if self.shared_slots.is_empty() {
            return;
        }
        let pages: Vec<u64> = self.shared_slots.iter().flatten().map(|s| s.page).collect();
        for page in pages {
            if let Some(idx) = self.page_frame.remove(&page) {
                self.free_slot(idx);
            }
        }
        self.bump_epoch();
    }

    /// Free frame slot `idx` (an ordinary frame or a shared slot).
    fn free_slot(&mut self, idx: u32) {
        self.frames_replaced = self.frames_replaced.wrapping_add(1);
        if idx >= SHARED_BASE {
            let i = idx - SHARED_BASE;
            if let Some(slot) = self.shared_slots.get_mut(i as usize) {
                *slot = None;
                self.free_shared.push(i);
            }
        } else {
            self.frames[idx as usize] = None;
            self.free_frames.push(idx);
        }
    }

    /// Resolve shared `page` to a slot; `None` if it is not shared, a bus
    /// fault if its backing refuses it.
    fn resolve_shared(
        &mut self,
        page: u64,
        access: Access,
        addr: u64,
    ) -> Option<Result<u32, MemFault>> {
        let (r, i) = self.shared_page(page)?;
        let backing = r.backing.clone();
        if !backing.prepare_page(i) {
            return Some(Err(fault(addr, access, FaultKind::Bus)));
        }
        // SAFETY: `i < backing.pages()` (checked by `attach_shared`); the
        // pointer is only formed here and dereferenced through `frame`.
        let host = unsafe { backing.base().add((i << PAGE_SHIFT) as usize) } as usize;
        let slot = SharedSlot {
            host,
            page,
            _backing: backing,
        };
        let i = match self.free_shared.pop() {
            Some(i) => {
                self.shared_slots[i as usize] = Some(slot);
                i
            }
            None => {
                if self.shared_slots.len() >= (CONTIGUOUS_BASE - SHARED_BASE) as usize {
                    return Some(Err(fault(addr, access, FaultKind::Unmapped)));
                }
                self.shared_slots.push(Some(slot));
                (self.shared_slots.len() - 1) as u32
            }
        };
        let idx = SHARED_BASE + i;
        self.page_frame.insert(page, idx);
        Some(Ok(idx))
    }

    #[inline]
    fn shared_frame_ptr(&self, idx: u32) -> Option<*mut Frame> {
        let i = idx.checked_sub(SHARED_BASE)?;
        let slot = self.shared_slots.get(i as usize)?.as_ref()?;
        Some(slot.host as *mut Frame)
    }

    /// An index at or above `frames.len()`: a shared slot or a contiguous page.
    #[inline]
    fn outside_frame(&self, idx: u32) -> Option<&Frame> {
        if idx >= CONTIGUOUS_BASE {
            return self.contiguous_frame(idx);
        }
        // SAFETY: the slot's backing keeps the page alive and accessible
        // (the `SharedBacking` contract); other spaces may change the bytes,
        // as another CPU would.
        self.shared_frame_ptr(idx).map(|p| unsafe { &*p })
    }

    #[inline]
    fn outside_frame_mut(&mut self, idx: u32) -> Option<&mut Frame> {
        if idx >= CONTIGUOUS_BASE {
            return self.contiguous_frame_mut(idx);
        }
        // SAFETY: as `outside_frame`; shared pages are written in place
        // (never copy-on-write).
        self.shared_frame_ptr(idx).map(|p| unsafe { &mut *p })
    }

    fn release_frames(&mut self, start: u64, end: u64) {
        self.note_released(start, end);
        let (first, last) = (page_of(start), page_of(end));
        // Contiguous pages are not in `page_frame`: zero them here, so a later
        // mapping of the range reads as zeros.
        if let Some(c) = &self.contiguous {
            let base = page_of(c.guest_base);
            let (lo, hi) = (first.max(base), last.min(base + c.pages()));
            c.zero_pages(lo.saturating_sub(base), hi.saturating_sub(base));
            if c.reserved && lo < hi {
                if ((hi - lo) as usize) < self.window_pages.len() {
                    for page in lo..hi {
                        self.window_pages.remove(&page);
                    }
                } else {
                    self.window_pages.retain(|p| !(lo..hi).contains(p));
                }
            }
        }
        let tracked = self.page_frame.len() + self.code_pages.len() + self.stale.len();
        if (last - first) as usize > tracked {
            let mut pages: Vec<u64> = self
                .page_frame
                .keys()
                .chain(self.code_pages.iter())
                .chain(self.stale.iter())
                .copied()
                .filter(|p| (first..last).contains(p))
                .collect();
            pages.sort_unstable();
            pages.dedup();
            for page in pages {
                self.release_page(page);
            }
        } else {
            for page in first..last {
                self.release_page(page);
            }
        }
    }

    fn release_page(&mut self, page: u64) {
        if let Some(frame) = self.page_frame.remove(&page) {
            self.free_slot(frame);
        }
        if self.code_pages.remove(&page) {
            self.dirty_code.push(page);
        }
        self.stale.remove(&page);
        self.host_dirty.remove(&page);
    }

    /// Change the permissions of `[addr, addr+len)`, which must be fully mapped.
    pub fn protect(&mut self, addr: u64, len: u64, perms: Perms) -> Result<(), MapError> {
        let end = Self::check_range(addr, len)?;
        if !self.fully_mapped(addr, end) {
            return Err(MapError::NotMapped { start: addr, end });
        }
        self.split_at(addr);
        self.split_at(end);
        let starts: Vec<u64> = self.regions.range(addr..end).map(|(&s, _)| s).collect();
        for start in &starts {
            if let Some(r) = self.regions.get_mut(start) {
                r.1 = perms;
            }
        }
        // Decoded code in pages that lose execute permission must not run again.
        let code: Vec<u64> = self
            .code_pages
            .iter()
            .copied()
            .filter(|&p| p >= page_of(addr) && p < page_of(end))
            .collect();
        for page in code {
            self.code_pages.remove(&page);
            self.dirty_code.push(page);
        }
        for start in starts {
            self.merge_around(start);
        }
        self.bump_epoch();
        Ok(())
    }

    /// The region list, in address order.
    pub fn regions(&self) -> Vec<Region> {
        self.regions
            .iter()
            .map(|(&start, &(end, perms))| Region { start, end, perms })
            .collect()
    }

    /// Permissions of the page holding `addr`, if mapped.
    pub fn perms_at(&self, addr: u64) -> Option<Perms> {
        let (_, &(end, perms)) = self.regions.range(..=addr).next_back()?;
        (addr < end).then_some(perms)
    }

    /// Highest-addressed free, page-aligned range of `len` bytes that ends at or
    /// below `below` and starts at or above `above`.
    pub fn find_free_below(&self, len: u64, above: u64, below: u64) -> Result<u64, MapError> {
        let len = len.next_multiple_of(PAGE_SIZE);
        let mut top = below & !PAGE_MASK;
        for (&start, &(end, _)) in self.regions.range(..below).rev() {
            if end <= top && top - end >= len {
                break;
            }
            top = top.min(start);
        }
        match top.checked_sub(len) {
            Some(base) if base >= above => Ok(base),
            _ => Err(MapError::NoSpace(len)),
        }
    }

    // ----- frames (for backends) ------------------------------------------

    /// Check `access` to `addr` against the mapping (no frame is touched).
    pub fn check_access(&self, addr: u64, access: Access) -> Result<(), MemFault> {
        let perms = self
            .perms_at(addr)
            .ok_or(fault(addr, access, FaultKind::Unmapped))?;
        if perms.allows(access) {
            Ok(())
        } else {
            Err(fault(addr, access, FaultKind::Permission))
        }
    }

    /// The frame index backing `page`, allocating it on first use; a write
    /// access gets a frame of its own (copy-on-write). `addr` names the
    /// faulting byte. Permissions are checked unless `force`.
    pub fn frame_index(
        &mut self,
        page: u64,
        access: Access,
        addr: u64,
        force: bool,
    ) -> Result<u32, MemFault> {
        if force {
            if self.perms_at(page << PAGE_SHIFT).is_none() {
                return Err(fault(addr, access, FaultKind::Unmapped));
            }
        } else {
            self.check_access(page << PAGE_SHIFT, access)
                .map_err(|f| fault(addr, f.access, f.kind))?;
        }
        self.sync_shared();
        if self.stale.contains(&page) {
            self.bring_in(page);
        }
        if let Some(idx) = self.contiguous_index(page) {
            if self.contiguous.as_ref().is_some_and(|c| c.reserved) {
                self.window_pages.insert(page);
            }
            return Ok(idx);
        }
        let idx = match self.page_frame.get(&page) {
            Some(&f) => f,
            None if !self.shared.is_empty() && self.shared_page(page).is_some() => {
                return self.resolve_shared(page, access, addr).unwrap_or(Err(fault(
                    addr,
                    access,
                    FaultKind::Unmapped,
                )));
            }
            None => {
                let idx = match self.free_frames.pop() {
                    Some(f) => f,
                    None => {
                        if self.frames.len() >= self.max_frames.min(SHARED_BASE as usize) {
                            // Out of the host memory budget: report as unmapped.
                            return Err(fault(addr, access, FaultKind::Unmapped));
                        }
                        self.frames.push(None);
                        (self.frames.len() - 1) as u32
                    }
                };
                self.frames[idx as usize] = Some(zero_frame());
                self.page_frame.insert(page, idx);
                idx
            }
        };
        if access == Access::Write {
            if let Some(Some(f)) = self.frames.get_mut(idx as usize) {
                if Arc::get_mut(f).is_none() {
                    // Shared (after a fork): `make_mut` copies it.
                    self.frames_replaced = self.frames_replaced.wrapping_add(1);
                }
                Arc::make_mut(f);
            }
        }
        Ok(idx)
    }

    /// The frame at `idx` (from [`Self::frame_index`]).
    #[inline(always)]
    pub fn frame(&self, idx: u32) -> Option<&Frame> {
        match self.frames.get(idx as usize) {
            Some(slot) => slot.as_deref(),
            None => self.outside_frame(idx),
        }
    }

    /// The shared handle of the frame at `idx`, for a frame the space owns
    /// (not one of shared or contiguous memory). Its bytes do not change
    /// while another handle to it is held: a write through any space copies
    /// a frame that is shared first.
    pub fn frame_handle(&self, idx: u32) -> Option<&Arc<Frame>> {
        self.frames.get(idx as usize)?.as_ref()
    }

    /// The frame at `idx` for writing, if it is not shared with another space.
    #[inline(always)]
    pub fn frame_mut(&mut self, idx: u32) -> Option<&mut Frame> {
        if idx as usize >= self.frames.len() {
            return self.outside_frame_mut(idx);
        }
        Arc::get_mut(self.frames.get_mut(idx as usize)?.as_mut()?)
    }

    /// Does `page` hold decoded code (so writes must be seen)?
    #[inline(always)]
    pub fn is_code_page(&self, page: u64) -> bool {
        self.code_pages.contains(&page)
    }

    /// Record that `page` holds code a backend decoded.
    pub fn mark_code_page(&mut self, page: u64) {
        if self.code_pages.insert(page) && !self.shared.is_empty() {
            if let Some(loc) = self.shared_object_page(page) {
                self.shared_code.insert(loc);
                self.shared_code_added = true;
            }
        }
    }

    /// The object page shared page `page` shows, if it is shared.
    fn shared_object_page(&self, page: u64) -> Option<(SharedObject, u64)> {
        let (object, offset) = self.shared_location(page << PAGE_SHIFT)?;
        Some((object, offset >> PAGE_SHIFT))
    }

    /// Does `page` show shared memory that holds code at some address of
    /// this space (so writes to it must be seen, as to a code page)?
    #[inline]
    pub fn is_shared_code(&self, page: u64) -> bool {
        !self.shared_code.is_empty()
            && self
                .shared_object_page(page)
                .is_some_and(|loc| self.shared_code.contains(&loc))
    }

    /// Did a shared page become code since the last call? (A backend then
    /// drops the write entries it cached for other mappings of it.)
    pub fn take_shared_code_added(&mut self) -> bool {
        std::mem::take(&mut self.shared_code_added)
    }

    /// Note a guest write to `page` (drops its decoded code, and that of
    /// every page of this space showing the same shared memory).
    #[inline]
    pub fn note_write(&mut self, page: u64) {
        if self.code_pages.remove(&page) {
            self.dirty_code.push(page);
        }
        if self.shared_code.is_empty() {
            return;
        }
        let Some(loc) = self.shared_object_page(page) else {
            return;
        };
        if self.shared_code.remove(&loc) {
            let aliases: Vec<u64> = self
                .code_pages
                .iter()
                .copied()
                .filter(|&p| self.shared_object_page(p) == Some(loc))
                .collect();
            for p in aliases {
                self.code_pages.remove(&p);
                self.dirty_code.push(p);
            }
        }
    }

    /// Is there a code page that was written, unmapped or re-protected?
    #[inline(always)]
    pub fn has_dirty_code(&self) -> bool {
        !self.dirty_code.is_empty()
    }

    /// Take the list of pages whose decoded code is stale.
    pub fn take_dirty_code(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.dirty_code)
    }

    // ----- backends that keep memory elsewhere ------------------------------

    /// Serve stale pages from `source` (a GPU backend's device memory).
    /// Pages stale under another source are read from it first, so none
    /// is lost (setting the same source again changes nothing).
    pub fn set_page_source(&mut self, source: Option<Arc<dyn PageSource>>) {
        let same = match (&self.source, &source) {
            (Some(a), Some(b)) => std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b)),
            (None, None) => true,
            _ => false,
        };
        if !same {
            self.bring_in_stale();
            self.source = source;
        }
    }

    /// The source stale pages are read from, if any.
    pub fn page_source(&self) -> Option<&Arc<dyn PageSource>> {
        self.source.as_ref()
    }

    /// The backend changed these pages: read them through the page source
    /// until the host writes them. (Without a source this does nothing:
    /// the backend must copy the pages in itself.) Moves the epoch: a
    /// frame index cached outside (a TLB) would read the old host copy.
    pub fn mark_stale(&mut self, pages: impl IntoIterator<Item = u64>) {
        if self.source.is_some() {
            let before = self.stale.len();
            self.stale.extend(pages);
            if self.stale.len() != before {
                self.epoch = self.epoch.wrapping_add(1);
            }
        }
    }

    /// Is `page` stale (its contents are the page source's)?
    pub fn is_stale(&self, page: u64) -> bool {
        self.stale.contains(&page)
    }

    /// Every stale page, in order.
    pub fn stale_pages(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self.stale.iter().copied().collect();
        v.sort_unstable();
        v
    }

    /// The backend read stale `page` itself (many pages in one copy):
    /// install `bytes` as the page's contents, as reading it through the
    /// source would. Nothing happens if the page is not stale.
    pub fn supply_stale(&mut self, page: u64, bytes: &Frame) {
        if self.stale.remove(&page) {
            self.install_page(page, bytes);
        }
    }

    /// Has the host written `page` since the last `take_host_dirty`?
    pub fn is_host_dirty(&self, page: u64) -> bool {
        self.host_dirty.contains(&page)
    }

    /// Pages written through the host API since the last call, in order.
    pub fn take_host_dirty(&mut self) -> Vec<u64> {
        std::mem::take(&mut self.host_dirty).into_iter().collect()
    }

    /// Address ranges whose pages lost their contents (unmapped, or given a
    /// shared backing) since the last call. A backend that mirrors pages
    /// needs them: a range unmapped and mapped again leaves the region list
    /// as it was, yet reads as zeros. Ranges may overlap or cover more than
    /// was released (the log is bounded), never less.
    pub fn take_released(&mut self) -> Vec<(u64, u64)> {
        std::mem::take(&mut self.released)
    }

    fn note_released(&mut self, start: u64, end: u64) {
        /// Past this many ranges the log is one range covering them all
        /// (a space no backend takes the log from stays small).
        const RELEASED_LOG: usize = 64;
        if self.released.len() >= RELEASED_LOG {
            let lo = self.released.iter().map(|r| r.0).min().unwrap_or(start);
            let hi = self.released.iter().map(|r| r.1).max().unwrap_or(end);
            self.released = vec![(lo.min(start), hi.max(end))];
        } else {
            self.released.push((start, end));
        }
    }

    fn bring_in(&mut self, page: u64) {
        self.stale.remove(&page);
        let Some(src) = self.source.clone() else {
            return;
        };
        let mut buf = [0u8; PAGE_SIZE as usize];
        src.read_page(page, &mut buf);
        self.install_page(page, &buf);
    }

    /// Make `bytes` the host copy of `page` (a page brought in).
    fn install_page(&mut self, page: u64, bytes: &Frame) {
        self.frames_replaced = self.frames_replaced.wrapping_add(1);
        let buf = *bytes;
        if let Some(idx) = self.contiguous_index(page) {
            if let Some(f) = self.contiguous_frame_mut(idx) {
                *f = buf;
            }
            self.window_pages.insert(page);
            return;
        }
        if let Some(&idx) = self.page_frame.get(&page) {
            if idx >= SHARED_BASE {
                if let Some(f) = self.outside_frame_mut(idx) {
                    *f = buf;
                }
            } else {
                self.frames[idx as usize] = Some(Arc::new(buf));
            }
        } else if self.shared_page(page).is_some() {
            if let Some(Ok(idx)) = self.resolve_shared(page, Access::Write, page << PAGE_SHIFT) {
                if let Some(f) = self.outside_frame_mut(idx) {
                    *f = buf;
                }
            }
        } else if let Some(idx) = self.free_frames.pop() {
            self.frames[idx as usize] = Some(Arc::new(buf));
            self.page_frame.insert(page, idx);
        } else {
            self.frames.push(Some(Arc::new(buf)));
            self.page_frame.insert(page, (self.frames.len() - 1) as u32);
        }
    }

    fn bring_in_stale(&mut self) {
        let pages: Vec<u64> = self.stale.iter().copied().collect();
        for p in pages {
            self.bring_in(p);
        }
    }

    // ----- host accesses -----------------------------------------------------

    /// Copy page bytes `[off, off+out.len())` of `page` into `out`.
    fn copy_out(&self, page: u64, off: usize, out: &mut [u8]) {
        if self.stale.contains(&page) {
            if let Some(src) = &self.source {
                let mut buf = [0u8; PAGE_SIZE as usize];
                src.read_page(page, &mut buf);
                out.copy_from_slice(&buf[off..off + out.len()]);
                return;
            }
        }
        match self.resident_frame(page) {
            Some(f) => out.copy_from_slice(&f[off..off + out.len()]),
            None => out.fill(0),
        }
    }

    fn read_checked(&self, addr: u64, out: &mut [u8], access: Access) -> Result<(), MemFault> {
        if out.is_empty() {
            return Ok(());
        }
        if addr.checked_add(out.len() as u64 - 1).is_none() {
            return Err(fault(addr, access, FaultKind::Unmapped));
        }
        let mut done = 0usize;
        while done < out.len() {
            let a = addr + done as u64;
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(out.len() - done);
            self.check_access(a, access)?;
            self.copy_out(page_of(a), off, &mut out[done..done + n]);
            done += n;
        }
        Ok(())
    }

    fn write_checked(&mut self, addr: u64, bytes: &[u8], force: bool) -> Result<(), MemFault> {
        let access = Access::Write;
        if bytes.is_empty() {
            return Ok(());
        }
        let last = addr.checked_add(bytes.len() as u64 - 1).ok_or(fault(
            addr,
            access,
            FaultKind::Unmapped,
        ))?;
        // Check every page first, so a faulting write changes nothing.
        for page in page_of(addr)..=page_of(last) {
            let a = (page << PAGE_SHIFT).max(addr);
            if force {
                if self.perms_at(a).is_none() {
                    return Err(fault(a, access, FaultKind::Unmapped));
                }
            } else {
                self.check_access(a, access)?;
            }
        }
        let mut done = 0usize;
        while done < bytes.len() {
            let a = addr + done as u64;
            let page = page_of(a);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(bytes.len() - done);
            let idx = self.frame_index(page, access, a, true)?;
            self.note_write(page);
            self.host_dirty.insert(page);
            if let Some(f) = self.frame_mut(idx) {
                f[off..off + n].copy_from_slice(&bytes[done..done + n]);
            }
            done += n;
        }
        Ok(())
    }

    /// Read a byte string as the guest would (read permission required).
    pub fn read_bytes(&self, addr: u64, out: &mut [u8]) -> Result<(), MemFault> {
        self.read_checked(addr, out, Access::Read)
    }

    /// Read `N` bytes as the guest would.
    pub fn read<const N: usize>(&self, addr: u64) -> Result<[u8; N], MemFault> {
        let mut out = [0u8; N];
        self.read_checked(addr, &mut out, Access::Read)?;
        Ok(out)
    }

    /// Write a byte string as the guest would (write permission required;
    /// all or nothing).
    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemFault> {
        self.write_checked(addr, bytes, false)
    }

    /// Write `N` bytes as the guest would.
    pub fn write<const N: usize>(&mut self, addr: u64, bytes: [u8; N]) -> Result<(), MemFault> {
        self.write_checked(addr, &bytes, false)
    }

    /// Write into mapped memory ignoring write permission (loaders, debuggers).
    pub fn write_bytes_force(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemFault> {
        self.write_checked(addr, bytes, true)
    }

    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstring(&self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            // Read up to the end of the page at once.
            let n = ((PAGE_SIZE - (a & PAGE_MASK)) as usize).min(max - out.len());
            let mut chunk = vec![0u8; n];
            self.read_checked(a, &mut chunk[..1], Access::Read)?;
            self.copy_out(page_of(a), (a & PAGE_MASK) as usize, &mut chunk);
            if let Some(z) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..z]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk);
            a = a.wrapping_add(n as u64);
        }
        Ok(out)
    }

    /// Fetch an instruction word: execute permission, 4-byte alignment.
    /// Marks the page as holding code (see the module comment).
    pub fn fetch_u32(&mut self, addr: u64) -> Result<u32, MemFault> {
        if addr & 3 != 0 {
            return Err(fault(addr, Access::Execute, FaultKind::Alignment));
        }
        let mut b = [0u8; 4];
        self.read_checked(addr, &mut b, Access::Execute)?;
        self.mark_code_page(page_of(addr));
        Ok(u32::from_le_bytes(b))
    }

    // Typed little-endian helpers.
    pub fn read_u8(&self, addr: u64) -> Result<u8, MemFault> {
        Ok(self.read::<1>(addr)?[0])
    }
    pub fn read_u16(&self, addr: u64) -> Result<u16, MemFault> {
        self.read::<2>(addr).map(u16::from_le_bytes)
    }
    pub fn read_u32(&self, addr: u64) -> Result<u32, MemFault> {
        self.read::<4>(addr).map(u32::from_le_bytes)
    }
    pub fn read_u64(&self, addr: u64) -> Result<u64, MemFault> {
        self.read::<8>(addr).map(u64::from_le_bytes)
    }
    pub fn read_u128(&self, addr: u64) -> Result<u128, MemFault> {
        self.read::<16>(addr).map(u128::from_le_bytes)
    }
    pub fn write_u8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.write(addr, [v])
    }
    pub fn write_u16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    pub fn write_u128(&mut self, addr: u64, v: u128) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fork_is_copy_on_write() {
        let mut a = AddressSpace::flat(0x4000).unwrap();
        a.write_u64(0x1000, 1).unwrap();
        let mut b = a.fork();
        assert_eq!(b.read_u64(0x1000).unwrap(), 1);
        b.write_u64(0x1000, 2).unwrap();
        a.write_u64(0x1008, 3).unwrap();
        assert_eq!(a.read_u64(0x1000).unwrap(), 1, "the parent keeps its page");
        assert_eq!(b.read_u64(0x1000).unwrap(), 2);
        assert_eq!(b.read_u64(0x1008).unwrap(), 0, "the child does not see it");
    }

    /// Heap memory standing in for a host shared mapping.
    struct Heap {
        mem: Box<[std::cell::UnsafeCell<u8>]>,
        pages: u64,
        ok_below: std::sync::atomic::AtomicU64,
    }
    // SAFETY: test memory, accessed by one thread.
    unsafe impl Sync for Heap {}
    // SAFETY: `mem` holds `pages` pages for the object's lifetime. (Heap
    // memory is not page aligned; the tests do not need it.)
    unsafe impl SharedBacking for Heap {
        fn base(&self) -> *mut u8 {
            self.mem.as_ptr() as *mut u8
        }
        fn pages(&self) -> u64 {
            self.pages
        }
        fn prepare_page(&self, i: u64) -> bool {
            i < self.ok_below.load(Ordering::Relaxed)
        }
    }
    fn heap(pages: u64) -> Arc<Heap> {
        Arc::new(Heap {
            mem: (0..pages * PAGE_SIZE)
                .map(|_| std::cell::UnsafeCell::new(0))
                .collect(),
            pages,
            ok_below: AtomicU64::new(pages),
        })
    }

    #[test]
    fn shared_pages_stay_shared_across_fork() {
        let h = heap(4);
        let mut a = AddressSpace::new();
        a.map(0x10000, 0x3000, Perms::RW).unwrap();
        a.write_u64(0x10000, 5).unwrap();
        a.attach_shared(0x10000, 0x3000, h.clone(), 1).unwrap();
        assert_eq!(
            a.read_u64(0x10000).unwrap(),
            0,
            "attached pages are the backing's"
        );
        a.write_u64(0x10008, 7).unwrap();
        // SAFETY: page 1 of the backing, one thread.
        assert_eq!(unsafe { *h.base().add(PAGE_SIZE as usize + 8) }, 7);
        let mut b = a.fork();
        b.write_u64(0x11000, 9).unwrap();
        assert_eq!(
            a.read_u64(0x11000).unwrap(),
            9,
            "the parent sees the child's store"
        );
        a.write_u64(0x11008, 3).unwrap();
        assert_eq!(b.read_u64(0x11008).unwrap(), 3, "and the other way round");
        // Unmapping the middle page keeps the rest attached at the right offsets.
        a.unmap(0x11000, 0x1000).unwrap();
        let pieces = a.shared_pieces(0x10000, 0x13000);
        assert_eq!(pieces.len(), 2);
        assert_eq!((pieces[1].start, pieces[1].first), (0x12000, 3));
        b.write_u64(0x12000, 11).unwrap();
        assert_eq!(a.read_u64(0x12000).unwrap(), 11);
    }

    #[test]
    fn refused_shared_pages_are_bus_errors() {
        let h = heap(2);
        let mut a = AddressSpace::new();
        a.map(0x10000, 0x2000, Perms::RW).unwrap();
        a.attach_shared(0x10000, 0x2000, h.clone(), 0).unwrap();
        a.write_u64(0x11000, 1).unwrap();
        h.ok_below.store(1, Ordering::Relaxed);
        shared_pages_changed();
        let e = a
            .frame_index(0x11, Access::Read, 0x11000, false)
            .unwrap_err();
        assert_eq!(e.kind, FaultKind::Bus);
        assert!(a.frame_index(0x10, Access::Read, 0x10000, false).is_ok());
        assert!(
            a.attach_shared(0x10000, 0x3000, h.clone(), 0).is_err(),
            "past the backing's end"
        );
    }

    #[test]
    fn host_writes_are_tracked() {
        let mut a = AddressSpace::flat(0x4000).unwrap();
        a.write_u32(0x1ffe, 7).unwrap();
        assert_eq!(a.take_host_dirty(), vec![1, 2]);
        assert!(a.take_host_dirty().is_empty());
    }

    #[test]
    fn released_ranges_are_logged_and_bounded() {
        let mut a = AddressSpace::flat(0x100000).unwrap();
        a.unmap(0x3000, 0x2000).unwrap();
        a.map(0x3000, 0x2000, Perms::RW).unwrap();
        assert_eq!(a.take_released(), vec![(0x3000, 0x5000)]);
        assert!(a.take_released().is_empty());
        for i in 0..100u64 {
            a.unmap(0x1000 * i, 0x1000).unwrap();
        }
        let log = a.take_released();
        assert!(log.len() <= 64, "bounded");
        for i in 0..100u64 {
            let p = 0x1000 * i;
            assert!(log.iter().any(|&(s, e)| s <= p && p + 0x1000 <= e));
        }
    }

    /// A page source whose every page holds one byte value.
    struct Filled(u8);

    impl PageSource for Filled {
        fn read_page(&self, _page: u64, out: &mut Frame) {
            out.fill(self.0);
        }
    }

    #[test]
    fn stale_pages_read_through_the_source() {
        let mut a = AddressSpace::flat(0x4000).unwrap();
        a.set_page_source(Some(Arc::new(Filled(5))));
        a.mark_stale([1]);
        assert_eq!(a.read_u8(0x1234).unwrap(), 5);
        a.write_u8(0x1000, 9).unwrap();
        assert_eq!(
            a.read_u16(0x1000).unwrap(),
            0x0509,
            "brought in, then written"
        );
    }

    #[test]
    fn stale_pages_move_the_epoch_and_can_be_supplied() {
        let mut a = AddressSpace::flat(0x4000).unwrap();
        a.write_u8(0x2000, 1).unwrap();
        let e = a.epoch();
        a.mark_stale([2]);
        assert_eq!(a.epoch(), e, "no source: nothing is stale");
        let source: Arc<dyn PageSource> = Arc::new(Filled(7));
        a.set_page_source(Some(source.clone()));
        a.mark_stale([1, 2]);
        assert_ne!(a.epoch(), e, "cached frame indices must go");
        assert!(a.is_stale(1) && a.is_stale(2));
        assert_eq!(a.stale_pages(), vec![1, 2]);
        a.supply_stale(2, &[9u8; PAGE_SIZE as usize]);
        a.supply_stale(3, &[9u8; PAGE_SIZE as usize]);
        assert!(!a.is_stale(2) && !a.is_stale(3));
        assert_eq!(a.read_u8(0x2000).unwrap(), 9, "supplied bytes");
        assert_eq!(a.read_u8(0x3000).unwrap(), 0, "not stale: untouched");
        assert_eq!(a.take_host_dirty(), vec![2], "supplying is no host write");
        // Setting the same source keeps page 1 stale; another one reads it
        // from the old source first.
        a.set_page_source(Some(source));
        assert!(a.is_stale(1));
        a.set_page_source(None);
        assert!(!a.is_stale(1));
        assert_eq!(a.read_u8(0x1000).unwrap(), 7, "brought in before");
    }

    #[test]
    fn layout_version_changes_with_every_mapping_change() {
        let mut a = AddressSpace::new();
        let v0 = a.layout_version();
        a.map(0x1000, 0x1000, Perms::RW).unwrap();
        let v1 = a.layout_version();
        assert_ne!(v1, v0, "map");
        a.protect(0x1000, 0x1000, Perms::R).unwrap();
        let v2 = a.layout_version();
        assert_ne!(v2, v1, "protect");
        a.unmap(0x1000, 0x1000).unwrap();
        assert_ne!(a.layout_version(), v2, "unmap");
    }

    #[test]
    fn committed_bytes_follow_every_mapping_change() {
        let mut a = AddressSpace::new();
        let sum = |a: &AddressSpace| -> u64 {
            a.regions()
                .iter()
                .filter(|r| r.perms != Perms::NONE)
                .map(|r| r.end - r.start)
                .sum()
        };
        a.map(0x1000, 0x4000, Perms::RW).unwrap();
        assert_eq!(a.committed_bytes(), 0x4000);
        a.map(0x8000, 0x2000, Perms::NONE).unwrap();
        assert_eq!(a.committed_bytes(), 0x4000);
        a.protect(0x8000, 0x1000, Perms::R).unwrap();
        assert_eq!(a.committed_bytes(), 0x5000);
        a.protect(0x2000, 0x1000, Perms::NONE).unwrap();
        assert_eq!(a.committed_bytes(), 0x4000);
        a.unmap(0x3000, 0x7000).unwrap();
        assert_eq!(a.committed_bytes(), sum(&a));
        let mut b = a.fork();
        assert_eq!(b.committed_bytes(), a.committed_bytes());
        b.map_fixed(0x1000, 0x1000, Perms::NONE).unwrap();
        assert_eq!(b.committed_bytes(), sum(&b));
        assert_eq!(a.committed_bytes(), sum(&a));
    }

    #[test]
    fn epoch_changes_with_mappings() {
        let mut a = AddressSpace::flat(0x4000).unwrap();
        let e = a.epoch();
        a.protect(0, 0x1000, Perms::R).unwrap();
        assert_ne!(a.epoch(), e);
    }

    #[test]
    fn flat_memory_reads_back_writes() {
        let mut m = AddressSpace::flat(DEFAULT_RAW_MEMORY).unwrap();
        m.write_u64(0x1000, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(m.read_u64(0x1000).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(m.read_u8(0x1000).unwrap(), 0x88);
        assert_eq!(m.read_u16(0x1006).unwrap(), 0x1122);
    }

    #[test]
    fn access_outside_any_mapping_faults() {
        let mut m = AddressSpace::flat(0x10000).unwrap();
        let f = m.read_u32(0x10000).unwrap_err();
        assert_eq!(f.kind, FaultKind::Unmapped);
        assert_eq!(f.addr, 0x10000);
        let f = m.write_u8(u64::MAX, 1).unwrap_err();
        assert_eq!(f.access, Access::Write);
    }

    #[test]
    fn page_crossing_write_is_all_or_nothing() {
        let mut m = AddressSpace::new();
        m.map(0x1000, 0x1000, Perms::RW).unwrap();
        m.map(0x2000, 0x1000, Perms::R).unwrap();
        let f = m.write_u64(0x1ffc, u64::MAX).unwrap_err();
        assert_eq!(f.kind, FaultKind::Permission);
        assert_eq!(f.addr, 0x2000);
        assert_eq!(
            m.read_u32(0x1ffc).unwrap(),
            0,
            "first page must be untouched"
        );
        // A crossing read of two readable pages works.
        m.write_u32(0x1ffc, 0xaabbccdd).unwrap();
        assert_eq!(m.read_u64(0x1ffc).unwrap(), 0xaabbccdd);
    }

    #[test]
    fn permissions_are_enforced_and_changeable() {
        let mut m = AddressSpace::new();
        m.map(0x4000, 0x2000, Perms::R).unwrap();
        assert_eq!(
            m.write_u8(0x4000, 1).unwrap_err().kind,
            FaultKind::Permission
        );
        assert_eq!(m.fetch_u32(0x4000).unwrap_err().kind, FaultKind::Permission);
        m.protect(0x5000, 0x1000, Perms::RW).unwrap();
        m.write_u8(0x5000, 7).unwrap();
        assert_eq!(
            m.write_u8(0x4fff, 1).unwrap_err().kind,
            FaultKind::Permission
        );
        assert_eq!(m.regions().len(), 2);
        m.protect(0x4000, 0x1000, Perms::RW).unwrap();
        assert_eq!(m.regions().len(), 1, "equal neighbours merge");
        assert!(m.protect(0x6000, 0x1000, Perms::R).is_err());
    }

    #[test]
    fn unmap_splits_and_frees() {
        let mut m = AddressSpace::new();
        m.map(0x10000, 0x4000, Perms::RW).unwrap();
        m.write_u8(0x11000, 5).unwrap();
        m.unmap(0x11000, 0x1000).unwrap();
        assert_eq!(m.read_u8(0x11000).unwrap_err().kind, FaultKind::Unmapped);
        assert_eq!(m.regions().len(), 2);
        m.map(0x11000, 0x1000, Perms::RW).unwrap();
        assert_eq!(m.read_u8(0x11000).unwrap(), 0, "a new mapping is zeroed");
        assert!(matches!(
            m.map(0x10000, 0x1000, Perms::RW),
            Err(MapError::Overlap { .. })
        ));
    }

    #[test]
    fn writes_to_code_pages_are_reported() {
        let mut m = AddressSpace::flat(0x10000).unwrap();
        m.write_u32(0x100, 0xd503201f).unwrap();
        assert_eq!(m.fetch_u32(0x100).unwrap(), 0xd503201f);
        assert!(!m.has_dirty_code());
        m.write_u32(0x104, 0).unwrap();
        assert!(m.has_dirty_code());
        assert_eq!(m.take_dirty_code(), vec![0]);
    }

    #[test]
    fn a_write_through_another_mapping_of_shared_code_drops_it() {
        // A JIT's memfd mapped twice: writable at 0x10000, executable at
        // 0x20000 (both show backing pages 0..2).
        let h = heap(2);
        let mut a = AddressSpace::new();
        a.map(0x10000, 0x2000, Perms::RW).unwrap();
        a.map(0x20000, 0x2000, Perms::RX).unwrap();
        a.attach_shared(0x10000, 0x2000, h.clone(), 0).unwrap();
        a.attach_shared(0x20000, 0x2000, h, 0).unwrap();
        a.write_u32(0x11000, 0xd503201f).unwrap();
        assert_eq!(a.fetch_u32(0x21000).unwrap(), 0xd503201f);
        assert!(
            a.take_shared_code_added(),
            "a backend must drop its write entries"
        );
        assert!(a.is_shared_code(0x11), "the writable view shows code");
        assert!(!a.is_shared_code(0x10), "its other page does not");
        a.write_u32(0x10000, 0).unwrap();
        assert!(!a.has_dirty_code());
        a.write_u32(0x11004, 0).unwrap();
        assert_eq!(
            a.take_dirty_code(),
            vec![0x21],
            "the executable view's code goes"
        );
        assert!(!a.is_shared_code(0x11));
    }

    #[test]
    fn contiguous_space_is_its_backing() {
        let mut m = AddressSpace::flat_contiguous(0x4000).unwrap();
        let c = m.contiguous().unwrap().clone();
        assert_eq!((c.guest_base(), c.len()), (0, 0x4000));
        m.write_u64(0x1ffc, 0x1122_3344_5566_7788).unwrap();
        // SAFETY: no engine runs in `m`; in bounds.
        let host = unsafe { std::slice::from_raw_parts_mut(c.as_ptr(), c.len()) };
        assert_eq!(host[0x1ffc..0x2004], 0x1122_3344_5566_7788u64.to_le_bytes());
        host[0x3000] = 9;
        assert_eq!(m.read_u8(0x3000).unwrap(), 9, "a host write is the guest's");
        m.fetch_u32(0x3000).unwrap();
        m.contiguous_written();
        assert_eq!(m.take_dirty_code(), vec![3], "host writes may change code");
        assert_eq!(m.resident_frame(3).map(|f| f[0]), Some(9));
        let mut child = m.fork();
        child.write_u8(0x3000, 1).unwrap();
        assert!(child.contiguous().is_none());
        assert_eq!(m.read_u8(0x3000).unwrap(), 9, "a fork copies the backing");
        assert_eq!(child.read_u64(0x1ffc).unwrap(), 0x1122_3344_5566_7788);
        m.unmap(0x3000, 0x1000).unwrap();
        m.map(0x3000, 0x1000, Perms::RW).unwrap();
        assert_eq!(
            m.read_u8(0x3000).unwrap(),
            0,
            "unmapped contiguous pages are zeroed"
        );
        drop(m);
        assert_eq!(c.len(), 0x4000, "the backing outlives the space");
    }

    #[test]
    fn a_window_holds_the_pages_at_their_guest_offsets() {
        let mut m = AddressSpace::new();
        m.map(0x40_0000, 0x3000, Perms::RWX).unwrap();
        m.map(WINDOW_END - 0x2000, 0x2000, Perms::RW).unwrap();
        m.write_u64(0x40_0ff8, 0x1122_3344_5566_7788).unwrap();
        m.fetch_u32(0x40_2000).unwrap();
        let epoch = m.epoch();
        if !m.attach_window() {
            eprintln!("skipped: the host refused a window's reservation");
            return;
        }
        assert_ne!(m.epoch(), epoch, "cached translations must go");
        let c = m.contiguous().unwrap().clone();
        assert!(c.is_window());
        assert_eq!((c.guest_base(), c.len() as u64), (0, WINDOW_END));
        // SAFETY: no engine runs in `m`; in bounds.
        let at = |a: u64| unsafe { *c.as_ptr().add(a as usize) };
        assert_eq!(at(0x40_0ff8), 0x88, "data moved to its guest offset");
        assert_eq!(m.read_u64(0x40_0ff8).unwrap(), 0x1122_3344_5566_7788);
        m.write_u64(WINDOW_END - 8, 7).unwrap();
        assert_eq!(at(WINDOW_END - 8), 7);
        assert_eq!(m.resident_pages(), 2, "the pages written");
        // Code tracking is by page, whatever backs it.
        m.write_u8(0x40_2000, 1).unwrap();
        assert_eq!(m.take_dirty_code(), vec![0x402]);
        // A fork gets copies; the window stays the parent's.
        let mut child = m.fork();
        assert!(child.contiguous().is_none());
        child.write_u64(0x40_0ff8, 1).unwrap();
        assert_eq!(m.read_u64(0x40_0ff8).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(child.read_u64(WINDOW_END - 8).unwrap(), 7);
        // Unmapped pages read as zeros when mapped again.
        m.unmap(0x40_0000, 0x1000).unwrap();
        m.map(0x40_0000, 0x1000, Perms::RW).unwrap();
        assert_eq!(m.read_u64(0x40_0ff8).unwrap(), 0);
        assert_eq!(at(0x40_0ff8), 0);
        // A shared range inside the window keeps its own backing.
        let h = heap(1);
        m.attach_shared(0x40_1000, 0x1000, h.clone(), 0).unwrap();
        m.write_u64(0x40_1000, 5).unwrap();
        // SAFETY: page 0 of the backing, one thread.
        assert_eq!(unsafe { *h.base() }, 5);
        assert_eq!(at(0x40_1000), 0, "not the window's page");
        assert!(m.attach_window(), "attaching again keeps the window");
    }

    #[test]
    fn find_free_is_top_down() {
        let mut m = AddressSpace::new();
        m.map(0x7000, 0x1000, Perms::RW).unwrap();
        assert_eq!(m.find_free_below(0x1000, 0x1000, 0x8000).unwrap(), 0x6000);
        assert_eq!(m.find_free_below(0x2000, 0x1000, 0x9000).unwrap(), 0x5000);
        assert!(m.find_free_below(0x10000, 0x1000, 0x8000).is_err());
    }
}
