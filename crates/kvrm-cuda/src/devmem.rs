//! Guest memory on the device: one page table per address space (an
//! open-addressing hash table of `Pte`, probed with the kernel's `page_hash`)
//! and one pool of 4 KiB frames shared by every space.
//!
//! The host keeps each space's [`AddressSpace`] coherent at launch
//! boundaries, moving only pages that changed:
//! - before a launch, pages the host wrote (`take_host_dirty`) are uploaded;
//!   a changed mapping (`layout_version`) updates the table in place: the
//!   old and new region lists are diffed, only entries of changed ranges
//!   are written and only those go up ([`PageTable`]);
//! - during a launch, the device claims frames for first-touched pages and
//!   logs every page it writes (once per launch, `PageEvent`);
//! - after a launch, claims update the table mirrors, and the logged pages
//!   are marked stale in the host space instead of downloaded: the space
//!   reads one from the device ([`crate::page_source`]) only when the host
//!   touches it. Pages others must see at once are still downloaded: those
//!   of MAP_SHARED mappings (other processes, the host file) and every page
//!   of a space whose memory the host views in place (a contiguous
//!   backing) or that lacks the engine's page source.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use cudarc::driver::{CudaFunction, CudaSlice};
use kvrm_isa::space::SharedObject;
use kvrm_isa::space::{page_of, Frame, Region, PAGE_SHIFT, PAGE_SIZE};
use kvrm_isa::{Access, AddressSpace, CpuState, FaultKind, Perms};
use rustc_hash::FxHashMap;
use zerocopy::IntoBytes;

use crate::driver::{Gpu, HostBuffer};
use crate::error::CudaError;
use crate::layout::{page_hash, PageEvent, Pte, SpaceDev, UploadPiece, NO_FRAME};
use crate::page_source::{DevicePages, PoolMemory};

/// Pages a space may map before the device table refuses it (64 GiB).
const MAX_MAPPED_PAGES: u64 = 1 << 24;

/// The device copy of one address space's translations.
pub struct DevSpace {
    /// Allocated at the first upload, again when the table is rehashed.
    table: Option<CudaSlice<Pte>>,
    /// The device table the first upload copies before sending the slots
    /// written since (a [`TableTemplates`] entry the host mirror was cloned from).
    base: Option<SharedTable>,
    /// The host's mirror of the table.
    host: PageTable,
    /// The host space's layout version and regions the table is for.
    epoch: u64,
    regions: Vec<Region>,
    /// The bytes of each MAP_SHARED page as it last went up: others change
    /// those pages behind the space's dirty tracking (the host's `write` to
    /// the file, other processes), so a page whose bytes differ goes up again.
    shared_sent: HashMap<u64, Box<[u8]>>,
    /// MAP_SHARED pages past the end of their file: in the device table
    /// without access, so a lane touching one stops there, and the engine
    /// reports a bus error (Linux's SIGBUS), as the host space does.
    pub bus_pages: std::collections::HashSet<u64>,
}

/// The frame pool and its allocation counter.
pub struct FramePool {
    /// The device allocation, shared with the spaces' page sources.
    pub memory: Arc<PoolMemory>,
    pub cap: u32,
    /// First unused frame (the device continues from here).
    pub next: u32,
    pub grows: u64,
    /// Allocations the pool outgrew while device pointers into it were
    /// handed out ([`crate::CudaEngine::export_range`]): kept alive so those
    /// pointers never reach freed device memory.
    pub retired: Vec<CudaSlice<u8>>,
    /// Device pointers into `frames` exist outside the engine.
    pub exported: bool,
    /// Frames no page uses any more (a removed space's, an unmapped page's),
    /// handed out before the pool's end: by `alloc` from the back, by the
    /// device from the front of its copy `free_dev`.
    free: Vec<u32>,
    free_dev: Option<CudaSlice<u32>>,
    /// `free` changed since `free_dev` was written.
    free_changed: bool,
    pub recycled: u64,
    /// Where `download_pages` gathers pages on the device.
    staging: Option<CudaSlice<u8>>,
    /// Where gathered pages land on the host (page-locked, kept between
    /// launches).
    download_buf: HostBuffer,
    /// Host-to-device writes held back while a launch is prepared, sent
    /// together by [`FramePool::flush_uploads`].
    pending: PendingUploads,
    /// Read-only pages are stored once per content, whichever spaces map
    /// them: N lanes running one program share its code and rodata frames
    /// (less memory, and one copy in the GPU's caches). Content hash ->
    /// frames with that hash.
    by_content: HashMap<u64, Vec<u32>>,
    /// Shared frames and what they hold.
    shared: HashMap<u32, SharedFrame>,
    /// Host frames already matched to a shared frame: a page of a lane
    /// forked from one loaded program is found here without hashing or
    /// comparing its bytes.
    by_host_frame: HostFrames,
    pub shared_hits: u64,
    /// Frames of MAP_SHARED pages, one per shared location (object, page
    /// offset) whatever spaces and mappings show it, with their users: lanes
    /// of processes sharing memory, and two mappings of one file, see each
    /// other's stores and atomics at once, as on the CPU.
    by_location: HashMap<(SharedObject, u64), (u32, u32)>,
    location_of: HashMap<u32, (SharedObject, u64)>,
    /// Fresh page tables by layout.
    pub(crate) templates: TableTemplates,
}

/// A device frame that read-only pages of equal content share.
struct SharedFrame {
    /// Spaces' pages using it.
    users: u32,
    bytes: Box<[u8]>,
    /// Host frames known to hold these bytes ([`HostFrames`]), held so that
    /// none is freed and its address reused, or written in place, while it
    /// is listed.
    pinned: Vec<Arc<Frame>>,
}

/// Host frames (`Arc`s that forked spaces share) matched to shared device
/// frames, by address. Each listed host frame is held by its device frame's
/// [`SharedFrame::pinned`]: while held, no space can write it in place (a
/// write copies a shared frame) and its address cannot be reused.
#[derive(Default)]
struct HostFrames(HashMap<usize, u32>);

impl HostFrames {
    fn key(host: &Arc<Frame>) -> usize {
        Arc::as_ptr(host) as usize
    }

    /// The device frame `host` was matched to.
    fn get(&self, host: &Arc<Frame>) -> Option<u32> {
        self.0.get(&Self::key(host)).copied()
    }

    /// List `host` as holding device frame `frame`'s bytes, held in
    /// `pinned` (that frame's). Host frames there that no space holds any
    /// more are let go first, so a frame that programs loaded one after
    /// another keep alive does not hold all their pages.
    fn insert(&mut self, pinned: &mut Vec<Arc<Frame>>, host: &Arc<Frame>, frame: u32) {
        pinned.retain(|p| {
            let held = Arc::strong_count(p) > 1;
            if !held {
                self.0.remove(&Self::key(p));
            }
            held
        });
        pinned.push(host.clone());
        self.0.insert(Self::key(host), frame);
    }

    /// Forget the host frames of a device frame that is freed.
    fn remove(&mut self, pinned: Vec<Arc<Frame>>) {
        for p in pinned {
            self.0.remove(&Self::key(&p));
        }
    }
}

/// Where a held-back upload goes: a byte offset in the frame pool (whose
/// allocation may move as it grows before the flush), or a device address.
#[derive(Clone, Copy, Debug)]
enum UploadDest {
    Pool(u64),
    Device(u64),
}

/// Writes held back while a launch is prepared ([`FramePool::defer_uploads`]).
#[derive(Default)]
struct PendingUploads {
    /// `kvrm_scatter` while uploads are held back, else `None`.
    scatter: Option<CudaFunction>,
    bytes: Vec<u8>,
    /// (where, offset in `bytes`, length).
    pieces: Vec<(UploadDest, u64, u64)>,
    /// Their device copies, kept between launches.
    up_bytes: Option<CudaSlice<u8>>,
    up_pieces: Option<CudaSlice<UploadPiece>>,
}

/// Held-back upload bytes that are sent at once, before the flush.
const UPLOAD_BATCH_BYTES: usize = 64 << 20;

impl FramePool {
    pub fn new(gpu: &Gpu, cap: u32) -> Result<Self, CudaError> {
        Ok(FramePool {
            memory: Arc::new(PoolMemory::new(
                gpu.zeros(cap as usize * PAGE_SIZE as usize)?,
            )),
            cap,
            next: 0,
            grows: 0,
            retired: Vec::new(),
            exported: false,
            free: Vec::new(),
            free_dev: None,
            free_changed: false,
            recycled: 0,
            staging: None,
            download_buf: HostBuffer::default(),
            pending: PendingUploads::default(),
            by_content: HashMap::new(),
            shared: HashMap::new(),
            by_host_frame: HostFrames::default(),
            shared_hits: 0,
            by_location: HashMap::new(),
            location_of: HashMap::new(),
            templates: TableTemplates::default(),
        })
    }

    /// The frame of shared location `at` for a page whose frame is now
    /// `current`: one more user unless it already is that frame.
    fn at_location(
        &mut self,
        gpu: &Gpu,
        at: (SharedObject, u64),
        current: u32,
    ) -> Result<u32, CudaError> {
        if let Some((f, users)) = self.by_location.get_mut(&at) {
            if *f != current {
                *users += 1;
            }
            return Ok(*f);
        }
        let f = self.alloc(gpu)?;
        self.by_location.insert(at, (f, 1));
        self.location_of.insert(f, at);
        Ok(f)
    }

    /// Hold back the writes of page frames and table slots (until
    /// [`Self::flush_uploads`]): the preparation of a launch syncs thousands
    /// of spaces, each with a few pages and table runs to send, and a copy
    /// each (with its synchronisation) was most of the host's time then.
    /// Reads of the pool must not come in between for the frames written;
    /// none do while spaces sync (they read only pages the device wrote,
    /// which the host did not).
    /// `scatter` is `kvrm_scatter`, which puts the pieces in place.
    pub fn defer_uploads(&mut self, scatter: &CudaFunction) {
        self.pending.scatter = Some(scatter.clone());
    }

    /// Send the held-back writes, in the order they were made, and stop
    /// holding them back.
    pub fn flush_uploads(&mut self, gpu: &Gpu) -> Result<(), CudaError> {
        let sent = self.send_pending(gpu);
        self.pending.scatter = None;
        sent
    }

    /// One copy of the held-back bytes, one of their list, and the scatter
    /// kernel puts each where it belongs.
    fn send_pending(&mut self, gpu: &Gpu) -> Result<(), CudaError> {
        let PendingUploads {
            scatter,
            bytes,
            pieces,
            up_bytes,
            up_pieces,
        } = &mut self.pending;
        let Some(scatter) = scatter.as_ref().filter(|_| !pieces.is_empty()) else {
            return Ok(());
        };
        let base = gpu.address(&self.memory.lock());
        let list: Vec<UploadPiece> = pieces
            .iter()
            .map(|&(dest, from, len)| UploadPiece {
                dst: match dest {
                    UploadDest::Pool(offset) => base + offset,
                    UploadDest::Device(addr) => addr,
                },
                from,
                len,
            })
            .collect();
        // A later write to the same place wins (blocks run in any order).
        let last: HashMap<u64, usize> = list.iter().enumerate().map(|(i, p)| (p.dst, i)).collect();
        let list: Vec<UploadPiece> = list
            .iter()
            .enumerate()
            .filter(|&(i, p)| last[&p.dst] == i)
            .map(|(_, &p)| p)
            .collect();
        if up_bytes.as_ref().is_none_or(|b| b.len() < bytes.len()) {
            *up_bytes = Some(gpu.zeros(bytes.len().next_power_of_two())?);
        }
        if up_pieces.as_ref().is_none_or(|b| b.len() < list.len()) {
            *up_pieces = Some(gpu.zeros(list.len().next_power_of_two())?);
        }
        let (dev_bytes, dev_pieces) = (
            up_bytes.as_mut().expect("allocated above"),
            up_pieces.as_mut().expect("allocated above"),
        );
        let sent = gpu
            .write(dev_bytes, 0, bytes)
            .and_then(|()| gpu.write(dev_pieces, 0, &list))
            .and_then(|()| gpu.scatter(scatter, dev_pieces, list.len() as u32, dev_bytes));
        bytes.clear();
        pieces.clear();
        sent
    }

    /// Are uploads held back (a launch is being prepared)?
    fn defers(&self) -> bool {
        self.pending.scatter.is_some()
    }

    /// Hold back the write of `data` (a multiple of 8 bytes) to `dest`.
    fn stage(&mut self, gpu: &Gpu, dest: UploadDest, data: &[u8]) -> Result<(), CudaError> {
        debug_assert!(self.defers() && data.len().is_multiple_of(8));
        // Frames one piece each, so a frame written twice keeps the last.
        let piece = match dest {
            UploadDest::Pool(_) => PAGE_SIZE as usize,
            UploadDest::Device(_) => data.len().max(1),
        };
        for (k, chunk) in data.chunks(piece).enumerate() {
            let at = (k * piece) as u64;
            let dest = match dest {
                UploadDest::Pool(offset) => UploadDest::Pool(offset + at),
                UploadDest::Device(addr) => UploadDest::Device(addr + at),
            };
            let from = self.pending.bytes.len() as u64;
            self.pending.bytes.extend_from_slice(chunk);
            self.pending.pieces.push((dest, from, chunk.len() as u64));
        }
        // Bounded buffers (the first launch of many lanes sends GiBs).
        if self.pending.bytes.len() >= UPLOAD_BATCH_BYTES {
            self.send_pending(gpu)?;
        }
        Ok(())
    }

    /// Double the pool (at least `min_free` free frames), keeping contents.
    pub fn grow(&mut self, gpu: &Gpu, min_free: u32) -> Result<(), CudaError> {
        let mut cap = self.cap.saturating_mul(2);
        while cap - self.next.min(cap) < min_free {
            cap = cap.saturating_mul(2);
        }
        let mut frames = gpu.zeros::<u8>(cap as usize * PAGE_SIZE as usize)?;
        let used = self.next.min(self.cap) as usize * PAGE_SIZE as usize;
        // Swapped under the lock: page sources read the new allocation from
        // now on (same stream: after the copy).
        let mut current = self.memory.lock();
        gpu.copy(&current, &mut frames, used)?;
        let old = std::mem::replace(&mut *current, frames);
        drop(current);
        if self.exported {
            self.retired.push(old);
        }
        self.cap = cap;
        self.grows += 1;
        Ok(())
    }

    /// Kept between launches (a launch's pages are hundreds of MiB for
    /// thousands of lanes, and pinning memory is slow), but not a one-off
    /// giant one.
    fn shrink_download_buf(&mut self) {
        if self.download_buf.capacity() > 1 << 30 {
            self.download_buf = HostBuffer::default();
        }
    }

    /// Frames to reuse. Not while device pointers into the pool are out: a
    /// view of an unmapped range must not start showing another page.
    pub fn release(&mut self, frames: impl IntoIterator<Item = u32>) {
        for f in frames {
            if f == NO_FRAME || f >= self.cap || !self.unshare(f) || self.exported {
                continue;
            }
            self.free.push(f);
            self.free_changed = true;
        }
    }

    /// Drop one user of frame `f`; true when nobody uses it any more.
    fn unshare(&mut self, f: u32) -> bool {
        if let Some(at) = self.location_of.get(&f).copied() {
            let users = &mut self
                .by_location
                .get_mut(&at)
                .expect("located frames are listed")
                .1;
            *users -= 1;
            if *users > 0 {
                return false;
            }
            self.by_location.remove(&at);
            self.location_of.remove(&f);
            return true;
        }
        let Some(entry) = self.shared.get_mut(&f) else {
            return true; // a private frame
        };
        entry.users -= 1;
        if entry.users > 0 {
            return false;
        }
        let SharedFrame { bytes, pinned, .. } = self.shared.remove(&f).expect("looked up above");
        self.by_host_frame.remove(pinned);
        let hash = content_hash(&bytes);
        if let Some(list) = self.by_content.get_mut(&hash) {
            list.retain(|&g| g != f);
            if list.is_empty() {
                self.by_content.remove(&hash);
            }
        }
        true
    }

    pub fn is_shared(&self, f: u32) -> bool {
        self.shared.contains_key(&f)
    }

    /// A frame holding `bytes` for one more read-only page: an existing one
    /// with the same content, or a fresh one (then `true`: upload `bytes`).
    /// `host`: the host frame the bytes are in, if it is a shared handle.
    fn share(
        &mut self,
        gpu: &Gpu,
        bytes: &[u8],
        host: Option<&Arc<Frame>>,
    ) -> Result<(u32, bool), CudaError> {
        if let Some(f) = host.and_then(|h| self.by_host_frame.get(h)) {
            let entry = self.shared.get_mut(&f).expect("listed frames are shared");
            entry.users += 1;
            self.shared_hits += 1;
            return Ok((f, false));
        }
        let hash = content_hash(bytes);
        let found = self.by_content.get(&hash).and_then(|list| {
            list.iter()
                .copied()
                .find(|f| *self.shared[f].bytes == *bytes)
        });
        let (f, fresh) = match found {
            Some(f) => {
                self.shared_hits += 1;
                (f, false)
            }
            None => {
                let f = self.alloc(gpu)?;
                self.by_content.entry(hash).or_default().push(f);
                let entry = SharedFrame {
                    users: 0,
                    bytes: bytes.into(),
                    pinned: Vec::new(),
                };
                self.shared.insert(f, entry);
                (f, true)
            }
        };
        let entry = self.shared.get_mut(&f).expect("inserted or found above");
        entry.users += 1;
        if let Some(h) = host {
            self.by_host_frame.insert(&mut entry.pinned, h, f);
        }
        Ok((f, fresh))
    }

    /// The free list for a launch: (device address, entries), uploaded if it
    /// changed.
    pub fn free_list_for_launch(&mut self, gpu: &Gpu) -> Result<(u64, u32), CudaError> {
        if self.free.is_empty() {
            return Ok((0, 0));
        }
        if self.free_changed || self.free_dev.is_none() {
            let fits = self
                .free_dev
                .as_ref()
                .is_some_and(|d| d.len() >= self.free.len());
            if !fits {
                self.free_dev = Some(gpu.zeros(self.free.len().next_power_of_two())?);
            }
            let dev = self.free_dev.as_mut().expect("allocated above");
            gpu.write(dev, 0, &self.free)?;
            self.free_changed = false;
        }
        let dev = self.free_dev.as_ref().expect("uploaded above");
        Ok((gpu.address(dev), self.free.len() as u32))
    }

    /// The device took the first `taken` entries of the list it was given.
    pub fn taken_by_launch(&mut self, taken: u32, count: u32) {
        let n = taken.min(count) as usize;
        if n > 0 {
            self.free.drain(..n);
            self.recycled += n as u64;
            self.free_changed = true;
        }
    }

    fn alloc(&mut self, gpu: &Gpu) -> Result<u32, CudaError> {
        if let Some(f) = self.free.pop() {
            self.free_changed = true;
            self.recycled += 1;
            return Ok(f);
        }
        if self.next >= self.cap {
            self.grow(gpu, 1)?;
        }
        self.next += 1;
        Ok(self.next - 1)
    }
}

/// FNV-1a over the page (only picks candidates: equal bytes decide).
fn content_hash(bytes: &[u8]) -> u64 {
    // Four independent multiply chains over 8-byte words: a byte-at-a-time
    // hash was one dependent multiply per byte, seconds for the millions of
    // read-only pages of thousands of lanes. (Equal hashes are compared in
    // full, so this only has to spread pages over buckets.)
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = [
        0x243f_6a88_85a3_08d3u64,
        0x1319_8a2e_0370_7344,
        0xa409_3822_299f_31d0,
        0x082e_fa98_ec4e_6c89,
    ];
    let mut words = bytes.chunks_exact(32);
    for c in &mut words {
        for (k, w) in c.chunks_exact(8).enumerate() {
            let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
            h[k] = (h[k] ^ w).wrapping_mul(K).rotate_left(29);
        }
    }
    for (i, &b) in words.remainder().iter().enumerate() {
        h[i & 3] = (h[i & 3] ^ b as u64).wrapping_mul(K);
    }
    let mut x = bytes.len() as u64;
    for v in h {
        x = (x ^ v).wrapping_mul(K).rotate_left(31);
    }
    x
}

/// Counters of page traffic.
#[derive(Default, Clone, Copy)]
pub struct Traffic {
    pub pages_up: u64,
    /// Pages downloaded after launches and in batches (a space's stale
    /// pages before a fork, an asynchronous run, an export); the page
    /// sources count their own reads ([`PoolMemory::pages_read`]).
    pub pages_down: u64,
    /// ... of them stale pages brought in in batches.
    pub pages_brought_in: u64,
    /// Pages launches wrote that were left on the device (marked stale).
    pub pages_stale: u64,
    /// Tables built from scratch (a space's first launch).
    pub table_builds: u64,
    /// Tables brought up to date with changed mappings, in place.
    pub table_updates: u64,
    /// Table entries sent to the device.
    pub ptes_up: u64,
    /// Host time building and updating page tables ...
    pub build_time: std::time::Duration,
    /// ... of it updating tables after mapping changes.
    pub update_time: std::time::Duration,
    /// Host time reading pages from the device in batches (the gather and
    /// the copy home) ...
    pub download_time: std::time::Duration,
    /// ... and putting them into their host spaces.
    pub landing_time: std::time::Duration,
    /// Host time giving pages frames before launches (stale ones read first) ...
    pub placing_time: std::time::Duration,
    /// ... and staging their bytes and the table entries for the upload.
    pub staging_time: std::time::Duration,
    /// Host time after launches marking the pages they wrote stale.
    pub marking_time: std::time::Duration,
}

/// Key of a removed entry. It matches no page (page numbers are below
/// 2^52) and is not 0, so the kernel's probe (`translate_slow`, which stops
/// only at key 0) goes on past it as past any other page's entry.
const TOMBSTONE: u64 = u64::MAX;

/// Table runs closer than this many slots go up as one copy (a copy costs
/// about as much as a few KiB more of it).
const RUN_GAP: usize = 128;
/// More runs than this go up as one copy from the first to the last.
const MAX_RUNS: usize = 4;
/// In a batched upload a run costs a 24-byte piece: runs closer than this
/// many slots (32 bytes each) are joined.
const BATCHED_RUN_GAP: usize = 2;

/// One slot of [`PageTable`]: a [`Pte`] without the device's `gen`.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Slot {
    pub key: u64,
    pub frame: u32,
    pub perms: u32,
}

impl Slot {
    fn is_live(&self) -> bool {
        self.key != 0 && self.key != TOMBSTONE
    }
}

/// A page range whose mapping differs between two region lists: its
/// permissions before and after (`None`: unmapped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Change {
    pages: (u64, u64),
    old: Option<Perms>,
    new: Option<Perms>,
}

/// The page ranges where `old` and `new` (sorted, non-overlapping region
/// lists, as [`AddressSpace::regions`] gives) differ: one step per region
/// boundary, never one per page.
fn diff_regions(old: &[Region], new: &[Region]) -> Vec<Change> {
    let mut cuts: Vec<u64> = old
        .iter()
        .chain(new)
        .flat_map(|r| [r.start, r.end])
        .collect();
    cuts.sort_unstable();
    cuts.dedup();
    // The permissions of `list` at `addr`; `at` only moves forward.
    fn perms(list: &[Region], at: &mut usize, addr: u64) -> Option<Perms> {
        while list.get(*at).is_some_and(|r| r.end <= addr) {
            *at += 1;
        }
        list.get(*at).filter(|r| r.start <= addr).map(|r| r.perms)
    }
    let (mut i, mut j) = (0, 0);
    let mut out: Vec<Change> = Vec::new();
    for w in cuts.windows(2) {
        let (o, n) = (perms(old, &mut i, w[0]), perms(new, &mut j, w[0]));
        if o == n {
            continue;
        }
        let pages = (w[0] >> PAGE_SHIFT, w[1] >> PAGE_SHIFT);
        match out.last_mut() {
            Some(c) if c.pages.1 == pages.0 && c.old == o && c.new == n => c.pages.1 = pages.1,
            _ => out.push(Change {
                pages,
                old: o,
                new: n,
            }),
        }
    }
    out
}

/// `regions` without the address ranges `holes`.
fn cut_out(regions: &[Region], holes: &[(u64, u64)]) -> Vec<Region> {
    let mut out = regions.to_vec();
    for &(lo, hi) in holes {
        out = out
            .into_iter()
            .flat_map(|r| {
                if r.end <= lo || r.start >= hi {
                    return vec![r];
                }
                let left = Region {
                    end: lo,
                    ..r.clone()
                };
                let right = Region {
                    start: hi,
                    ..r.clone()
                };
                [left, right]
                    .into_iter()
                    .filter(|p| p.start < p.end)
                    .collect()
            })
            .collect();
    }
    out
}

/// The slots of a [`PageTable`]: `base`, with the slots written over it
/// while `base` is shared with a template and other tables. The spaces of
/// `--lanes` start from one template table (thousands of slots, most for
/// the stack's untouched pages) and write a few hundred slots each, so
/// they keep only those instead of a copy of the whole: 128 KiB each for
/// CoreMark, 8.6 GB of host memory for 67,584 lanes, and about 300 µs a
/// copy on the development machine (its fresh pages fault in one by one).
/// Past an eighth of the slots, or once nobody else holds `base`, the
/// writes go into `base` itself.
#[derive(Clone)]
struct Slots {
    base: Arc<Vec<Slot>>,
    over: FxHashMap<u32, Slot>,
}

impl Slots {
    fn new(cap: usize) -> Slots {
        Slots {
            base: Arc::new(vec![Slot::default(); cap]),
            over: FxHashMap::default(),
        }
    }

    fn len(&self) -> usize {
        self.base.len()
    }

    fn get(&self, i: usize) -> Slot {
        if self.over.is_empty() {
            return self.base[i];
        }
        self.over.get(&(i as u32)).copied().unwrap_or(self.base[i])
    }

    fn put(&mut self, i: usize, slot: Slot) {
        if Arc::get_mut(&mut self.base).is_none() && self.over.len() < self.len() / 8 {
            self.over.insert(i as u32, slot);
            return;
        }
        let over = std::mem::take(&mut self.over);
        let own = Arc::make_mut(&mut self.base);
        for (k, v) in over {
            own[k as usize] = v;
        }
        own[i] = slot;
    }

    /// Every slot, in order (`base` walked once, the written slots merged
    /// in by index: no lookup per slot).
    fn iter(&self) -> impl Iterator<Item = Slot> + '_ {
        let mut written: Vec<(u32, Slot)> = self.over.iter().map(|(&i, &s)| (i, s)).collect();
        written.sort_unstable_by_key(|&(i, _)| i);
        let mut written = written.into_iter().peekable();
        self.base.iter().enumerate().map(move |(i, &s)| {
            match written.next_if(|&(w, _)| w as usize == i) {
                Some((_, over)) => over,
                None => s,
            }
        })
    }
}

/// What [`PageTable::update`] left to the caller.
#[derive(Debug, Default)]
pub(crate) struct Update {
    /// Frames of pages no longer mapped, or released and mapped again.
    pub dropped: Vec<u32>,
    /// Pages of released ranges that had a frame and are mapped again (now
    /// without one). The host copy says what they hold: zeros if they were
    /// released indeed, their old bytes if the bounded release log only
    /// covered them.
    pub refill: Vec<u64>,
    /// Pages that kept their frame under new permissions.
    pub reprotected: Vec<u64>,
}

/// The host mirror of one space's device page table, laid out and probed
/// as the kernel does (`translate_slow`): open addressing with linear
/// probing from `page_hash`, keyed by page + 1, 0 an empty slot. Removed
/// entries become tombstones (emptied when they end a probe run); live
/// entries and tombstones stay within half the slots, past that the table
/// is rehashed. The slots written since the last upload are listed, so
/// only they go to the device.
#[derive(Clone)]
pub(crate) struct PageTable {
    slots: Slots,
    mask: u64,
    /// Slots not empty (live or tombstone).
    used: usize,
    live: usize,
    /// Slots written since `take_changes`; `None`: the whole table (new).
    changed: Option<Vec<u32>>,
}

impl PageTable {
    /// An empty table with room for `pages` pages.
    fn with_room(pages: u64) -> PageTable {
        let cap = (pages * 2).next_power_of_two().max(16);
        PageTable {
            slots: Slots::new(cap as usize),
            mask: cap - 1,
            used: 0,
            live: 0,
            changed: None,
        }
    }

    /// The pages `regions` map, if the device table can hold them.
    fn count_pages(regions: &[Region]) -> Result<u64, CudaError> {
        let npages: u64 = regions
            .iter()
            .map(|r| (r.end - r.start) >> PAGE_SHIFT)
            .sum();
        if npages > MAX_MAPPED_PAGES {
            return Err(CudaError::Driver(format!(
                "address space maps {npages} pages; the device table holds at most {MAX_MAPPED_PAGES}"
            )));
        }
        Ok(npages)
    }

    /// Every page of `regions`, none with a frame.
    pub(crate) fn for_regions(regions: &[Region]) -> Result<PageTable, CudaError> {
        let mut t = PageTable::with_room(PageTable::count_pages(regions)?);
        for r in regions {
            for page in (r.start >> PAGE_SHIFT)..(r.end >> PAGE_SHIFT) {
                t.insert(page, NO_FRAME, r.perms.0 as u32);
            }
        }
        Ok(t)
    }

    pub(crate) fn mask(&self) -> u64 {
        self.mask
    }

    /// A copy whose list of written slots starts empty (its device table
    /// starts as a copy of this one's).
    fn cloned_unchanged(&self) -> PageTable {
        PageTable {
            slots: self.slots.clone(),
            changed: Some(Vec::new()),
            ..*self
        }
    }

    fn cap(&self) -> usize {
        self.slots.len()
    }

    /// The slot holding `page`.
    fn find(&self, page: u64) -> Option<usize> {
        let mut i = page_hash(page) & self.mask;
        loop {
            match self.slots.get(i as usize).key {
                k if k == page + 1 => return Some(i as usize),
                0 => return None,
                _ => i = (i + 1) & self.mask,
            }
        }
    }

    /// `page`'s entry, if mapped.
    pub(crate) fn get(&self, page: u64) -> Option<Slot> {
        self.find(page).map(|i| self.slots.get(i))
    }

    /// Every mapped page and its entry.
    pub(crate) fn entries(&self) -> impl Iterator<Item = (u64, Slot)> + '_ {
        self.slots
            .iter()
            .filter(|s| s.is_live())
            .map(|s| (s.key - 1, s))
    }

    fn write(&mut self, i: usize, slot: Slot) {
        self.slots.put(i, slot);
        if let Some(c) = self.changed.as_mut() {
            c.push(i as u32);
        }
    }

    /// Give mapped `page` a frame and permissions.
    pub(crate) fn set(&mut self, page: u64, frame: u32, perms: u32) {
        if let Some(i) = self.find(page) {
            self.write(
                i,
                Slot {
                    frame,
                    perms,
                    ..self.slots.get(i)
                },
            );
        }
    }

    /// Record a frame the device already stored for `page` (nothing to upload).
    pub(crate) fn note_frame(&mut self, page: u64, frame: u32) {
        if let Some(i) = self.find(page) {
            let s = self.slots.get(i);
            self.slots.put(i, Slot { frame, ..s });
        }
    }

    /// Map `page`, which must not be mapped.
    fn insert(&mut self, page: u64, frame: u32, perms: u32) {
        debug_assert!(self.find(page).is_none(), "page {page:#x} mapped twice");
        self.reserve(1);
        let mut i = page_hash(page) & self.mask;
        while self.slots.get(i as usize).is_live() {
            i = (i + 1) & self.mask;
        }
        if self.slots.get(i as usize).key == 0 {
            self.used += 1;
        }
        self.live += 1;
        let key = page + 1;
        self.write(i as usize, Slot { key, frame, perms });
    }

    /// Unmap `page`; its frame if it was mapped.
    fn remove(&mut self, page: u64) -> Option<u32> {
        let i = self.find(page)?;
        let frame = self.slots.get(i).frame;
        self.live -= 1;
        let tomb = Slot {
            key: TOMBSTONE,
            frame: NO_FRAME,
            perms: 0,
        };
        self.write(i, tomb);
        // A tombstone just before an empty slot is on no probe's way to a
        // live entry: empty it, and the tombstones before it.
        let mask = self.mask as usize;
        let mut j = i;
        while self.slots.get((j + 1) & mask).key == 0 && self.slots.get(j).key == TOMBSTONE {
            self.write(j, Slot::default());
            self.used -= 1;
            j = j.wrapping_sub(1) & mask;
        }
        Some(frame)
    }

    /// Room for `more` inserts within half the slots, rehashing (into a
    /// fresh table, uploaded whole) if needed.
    fn reserve(&mut self, more: usize) {
        if (self.used + more) * 2 <= self.cap() {
            return;
        }
        let mut t = PageTable::with_room((self.live + more) as u64);
        for (page, s) in self.entries() {
            t.insert(page, s.frame, s.perms);
        }
        *self = t;
    }

    /// Follow the mapping from `old` to `new` regions, the address ranges
    /// `released` (unmapped meanwhile, maybe mapped again) starting over
    /// without frames. Only pages in changed ranges are visited.
    pub(crate) fn update(
        &mut self,
        old: &[Region],
        new: &[Region],
        released: &[(u64, u64)],
    ) -> Update {
        let mut out = Update::default();
        // Released ranges first: out of the table, then in again below if
        // they are mapped now.
        let kept = cut_out(old, released);
        for c in diff_regions(old, &kept) {
            for page in c.pages.0..c.pages.1 {
                if let Some(f) = self.remove(page).filter(|&f| f != NO_FRAME) {
                    out.dropped.push(f);
                    out.refill.push(page);
                }
            }
        }
        let changes = diff_regions(&kept, new);
        let inserts: u64 = changes
            .iter()
            .filter(|c| c.old.is_none())
            .map(|c| c.pages.1 - c.pages.0)
            .sum();
        self.reserve(inserts as usize);
        for c in changes {
            for page in c.pages.0..c.pages.1 {
                match (c.old, c.new) {
                    (Some(_), None) => {
                        out.dropped
                            .extend(self.remove(page).filter(|&f| f != NO_FRAME));
                    }
                    (None, Some(p)) => self.insert(page, NO_FRAME, p.0 as u32),
                    (Some(_), Some(p)) => {
                        let Some(s) = self.get(page) else { continue };
                        self.set(page, s.frame, p.0 as u32);
                        if s.frame != NO_FRAME {
                            out.reprotected.push(page);
                        }
                    }
                    (None, None) => {}
                }
            }
        }
        out.refill.retain(|&p| self.find(p).is_some());
        out
    }

    /// The slot ranges written since the last call (the whole table after a
    /// rebuild): few and coalesced, or, where each range is a cheap piece of
    /// a batched upload (`batched`), as they are, joined only across small
    /// gaps (the slots of pages mapped together are spread over the table).
    fn take_changes(&mut self, batched: bool) -> Vec<std::ops::Range<usize>> {
        let Some(mut slots) = self.changed.replace(Vec::new()) else {
            return std::iter::once(0..self.cap()).collect();
        };
        slots.sort_unstable();
        slots.dedup();
        let gap = if batched { BATCHED_RUN_GAP } else { RUN_GAP };
        let mut runs: Vec<std::ops::Range<usize>> = Vec::new();
        for s in slots.into_iter().map(|s| s as usize) {
            match runs.last_mut() {
                Some(r) if s < r.end + gap => r.end = s + 1,
                _ => runs.push(s..s + 1),
            }
        }
        if !batched && runs.len() > MAX_RUNS {
            let (lo, hi) = (runs[0].start, runs[runs.len() - 1].end);
            runs = std::iter::once(lo..hi).collect();
        }
        runs
    }

    /// The device entries of slots `range`.
    pub(crate) fn ptes(&self, range: std::ops::Range<usize>) -> Vec<Pte> {
        range
            .map(|i| self.slots.get(i))
            .map(|s| Pte {
                key: s.key,
                frame: s.frame,
                perms: s.perms,
                gen: 0,
                pad: [0; 3],
            })
            .collect()
    }
}

/// Fresh page tables by layout, host mirror and device copy. The spaces
/// of `--lanes` are forked from one loaded program, so at their first launch
/// they map the same regions and their tables are the same: each clones the
/// host mirror and copies the device table on the device, instead of
/// inserting every page and sending every slot (256 KiB for a program with
/// an 8 MiB stack). Only small tables are kept, and only a few layouts.
#[derive(Default)]
pub(crate) struct TableTemplates {
    by_layout: HashMap<Vec<Region>, (PageTable, SharedTable)>,
}

/// A device page table several spaces start from.
type SharedTable = Arc<CudaSlice<Pte>>;

impl TableTemplates {
    /// Layouts kept; past that the list starts over.
    const MAX_LAYOUTS: usize = 16;
    /// Slots of the largest table kept (2 MiB on the device).
    const MAX_SLOTS: usize = 1 << 16;

    /// The table of a fresh space mapping `regions` (no page has a frame),
    /// and the device table it was cloned from, if any.
    fn fresh(
        &mut self,
        gpu: &Gpu,
        regions: &[Region],
    ) -> Result<(PageTable, Option<SharedTable>), CudaError> {
        if let Some((host, dev)) = self.by_layout.get(regions) {
            return Ok((host.cloned_unchanged(), Some(dev.clone())));
        }
        let host = PageTable::for_regions(regions)?;
        if host.cap() > Self::MAX_SLOTS {
            return Ok((host, None));
        }
        if self.by_layout.len() >= Self::MAX_LAYOUTS {
            self.by_layout.clear();
        }
        let dev = Arc::new(gpu.upload(&host.ptes(0..host.cap()))?);
        let out = (host.cloned_unchanged(), Some(dev.clone()));
        self.by_layout.insert(regions.to_vec(), (host, dev));
        Ok(out)
    }
}

impl DevSpace {
    /// The kernel's view of this space (after a sync).
    pub fn dev(&self, gpu: &Gpu) -> SpaceDev {
        SpaceDev {
            table: self.table.as_ref().map_or(0, |t| gpu.address(t)),
            mask: self.host.mask(),
        }
    }

    /// The table for every mapped page of `space` from scratch, keeping the
    /// frames of pages that `old` already had: (device entries, mask, host
    /// mirror, frames of `old`'s pages no longer mapped). The reference the
    /// in-place updates are tested against, and the host-compiled kernels'
    /// tables.
    #[cfg(test)]
    pub(crate) fn build(
        space: &AddressSpace,
        old: Option<DevSpace>,
    ) -> Result<(Vec<Pte>, u64, PageTable, Vec<u32>), CudaError> {
        let mut host = PageTable::for_regions(&space.regions())?;
        let mut dropped = Vec::new();
        for (page, s) in old.iter().flat_map(|o| o.host.entries()) {
            match host.get(page) {
                Some(_) => host.note_frame(page, s.frame),
                None if s.frame != NO_FRAME => dropped.push(s.frame),
                None => {}
            }
        }
        Ok((host.ptes(0..host.cap()), host.mask(), host, dropped))
    }

    /// Make the device copy current before a launch: bring the table up to
    /// date with the mappings (only the entries of changed ranges), then
    /// upload the pages whose device copy may differ from the host's: pages
    /// the host wrote, MAP_SHARED pages (other processes write them), and
    /// read-only pages made writable while in a shared frame. A page that
    /// was unmapped and mapped again starts without a frame (the device
    /// zero-fills on first touch), as do all-zero pages. Newly allocated
    /// frames are consecutive, so a load of many pages is a few large copies.
    /// `stale`: the space's page source and the gather kernel, to read the
    /// stale pages among those to upload in one copy first (a page
    /// released and mapped again as far as the bounded release log knows,
    /// say); without it they are read one by one.
    pub fn sync_before(
        this: &mut Option<DevSpace>,
        gpu: &Gpu,
        pool: &mut FramePool,
        space: &mut AddressSpace,
        extra: Vec<u64>,
        stale: Option<(&CudaFunction, &DevicePages)>,
        traffic: &mut Traffic,
    ) -> Result<(), CudaError> {
        let mut dirty = space.take_host_dirty();
        dirty.extend(extra);
        let released = space.take_released();
        let version = space.layout_version();
        let t0 = std::time::Instant::now();
        let d = match this {
            Some(d) if d.epoch == version => d,
            Some(d) => {
                let regions = space.regions();
                PageTable::count_pages(&regions)?;
                let up = d.host.update(&d.regions, &regions, &released);
                pool.release(up.dropped);
                dirty.extend(up.refill);
                for page in up.reprotected {
                    let s = d.host.get(page).expect("reprotected pages are mapped");
                    if Perms(s.perms as u8).write() && pool.is_shared(s.frame) {
                        dirty.push(page);
                    }
                }
                // MAP_SHARED pages go up again, as they did when every
                // layout change re-sent every page (others write them).
                let mut still_shared = HashMap::new();
                for piece in space.shared_pieces(0, u64::MAX) {
                    for page in page_of(piece.start)..page_of(piece.end) {
                        dirty.push(page);
                        if let Some(sent) = d.shared_sent.remove(&page) {
                            still_shared.insert(page, sent);
                        }
                    }
                }
                d.shared_sent = still_shared;
                d.regions = regions;
                d.epoch = version;
                traffic.table_updates += 1;
                traffic.update_time += t0.elapsed();
                d
            }
            None => {
                let regions = space.regions();
                traffic.table_builds += 1;
                let (host, base) = pool.templates.fresh(gpu, &regions)?;
                this.insert(DevSpace {
                    table: None,
                    base,
                    host,
                    epoch: version,
                    regions,
                    shared_sent: HashMap::new(),
                    bus_pages: Default::default(),
                })
            }
        };
        d.changed_shared_pages(space, &mut dirty);
        traffic.build_time += t0.elapsed();
        dirty.sort_unstable();
        dirty.dedup();
        let t1 = std::time::Instant::now();
        if let Some((gather, source)) = stale {
            // (Frames released above still hold their pages: nothing is
            // written to the pool before the uploads below.)
            bring_in_pages(gpu, pool, gather, source, space, &dirty, traffic)?;
        }
        let uploads = d.place_pages(gpu, pool, space, dirty, traffic)?;
        let t2 = std::time::Instant::now();
        traffic.placing_time += t2 - t1;
        d.upload_table(gpu, pool, traffic)?;
        let staged = upload_frames(gpu, pool, uploads, traffic);
        traffic.staging_time += t2.elapsed();
        staged
    }

    /// Add to `dirty` the MAP_SHARED pages whose host bytes differ from
    /// those that last went up (and remember the new ones: they go up now),
    /// and those newly past the end of their file.
    fn changed_shared_pages(&mut self, space: &mut AddressSpace, dirty: &mut Vec<u64>) {
        for piece in space.shared_pieces(0, u64::MAX) {
            for page in page_of(piece.start)..page_of(piece.end) {
                let addr = page << PAGE_SHIFT;
                let bytes = match space.frame_index(page, Access::Read, addr, true) {
                    Ok(idx) => match space.frame(idx) {
                        Some(f) => f,
                        None => continue,
                    },
                    Err(e) => {
                        if e.kind == FaultKind::Bus && !self.bus_pages.contains(&page) {
                            dirty.push(page);
                        }
                        continue;
                    }
                };
                match self.shared_sent.get_mut(&page) {
                    Some(sent) if sent[..] == bytes[..] => {}
                    Some(sent) => {
                        sent.copy_from_slice(&bytes[..]);
                        dirty.push(page);
                    }
                    None => {
                        self.shared_sent.insert(page, bytes[..].into());
                        dirty.push(page);
                    }
                }
            }
        }
    }

    /// Give each of `pages` (those mapped) a frame holding the host's bytes:
    /// staged at once in a batched upload, else the (frame, bytes) to upload.
    fn place_pages(
        &mut self,
        gpu: &Gpu,
        pool: &mut FramePool,
        space: &mut AddressSpace,
        pages: Vec<u64>,
        traffic: &mut Traffic,
    ) -> Result<Vec<(u32, Vec<u8>)>, CudaError> {
        let mut uploads = Vec::new();
        let mut put = |pool: &mut FramePool, frame: u32, bytes: &[u8]| {
            if pool.defers() {
                traffic.pages_up += 1;
                pool.stage(gpu, UploadDest::Pool(frame as u64 * PAGE_SIZE), bytes)
            } else {
                uploads.push((frame, bytes.to_vec()));
                Ok(())
            }
        };
        for page in pages {
            let Some(Slot { frame, .. }) = self.host.get(page) else {
                continue; // no longer mapped
            };
            let addr = page << PAGE_SHIFT;
            let (bytes, handle) = match space.frame_index(page, Access::Read, addr, true) {
                Ok(idx) => match space.frame(idx) {
                    Some(f) => (&f[..], space.frame_handle(idx)),
                    None => continue,
                },
                Err(e) if e.kind == FaultKind::Bus => {
                    // Past the end of its file: no access on the device.
                    pool.release([frame]);
                    self.host.set(page, NO_FRAME, 0);
                    self.bus_pages.insert(page);
                    continue;
                }
                Err(_) => continue,
            };
            self.bus_pages.remove(&page);
            let perms = space.perms_at(addr).unwrap_or(Perms::NONE);
            // A MAP_SHARED page takes its location's frame, zero or not (the
            // device would claim a frame of its own for a zero page).
            if let Some(at) = space.shared_location(addr).filter(|_| !pool.exported) {
                let f = pool.at_location(gpu, at, frame)?;
                if f != frame {
                    pool.release([frame]);
                    self.host.set(page, f, perms.0 as u32);
                }
                put(pool, f, bytes)?;
                continue;
            }
            let zero = bytes.iter().all(|&b| b == 0);
            // Shared frames are never written: a read-only page takes the
            // frame of its (new) content; a page made writable gets its own.
            // (Not while views of the pool are out: they need frames in place.)
            let shareable = !perms.write() && !pool.exported;
            let new_frame = if shareable && !(zero && frame == NO_FRAME) {
                pool.release([frame]);
                let (f, fresh) = pool.share(gpu, bytes, handle)?;
                if fresh {
                    put(pool, f, bytes)?;
                }
                f
            } else if frame == NO_FRAME || pool.is_shared(frame) {
                pool.release([frame]);
                if zero {
                    NO_FRAME
                } else {
                    let f = pool.alloc(gpu)?;
                    put(pool, f, bytes)?;
                    f
                }
            } else {
                put(pool, frame, bytes)?;
                continue;
            };
            if new_frame != frame {
                self.host.set(page, new_frame, perms.0 as u32);
            }
        }
        Ok(uploads)
    }

    /// Send the table entries written since the last upload (the whole
    /// table when it is new or was rehashed).
    fn upload_table(
        &mut self,
        gpu: &Gpu,
        pool: &mut FramePool,
        traffic: &mut Traffic,
    ) -> Result<(), CudaError> {
        let batched = pool.defers();
        let runs = self.host.take_changes(batched);
        let cap = self.host.cap();
        let base = self.base.take().filter(|b| b.len() == cap);
        let table = match self.table.as_mut() {
            Some(t) if t.len() == cap => t,
            _ if base.is_some() => {
                // A copy of the template this mirror was cloned from; the
                // slots written since go up below.
                let base = base.as_deref().expect("checked above");
                self.table.insert(gpu.duplicate(base)?)
            }
            _ if batched => {
                // A new table: allocated now, its entries go up with the batch.
                self.table.insert(gpu.zeros::<Pte>(cap)?)
            }
            _ => {
                traffic.ptes_up += cap as u64;
                self.table = Some(gpu.upload(&self.host.ptes(0..cap))?);
                return Ok(());
            }
        };
        let base = gpu.address(table);
        for r in runs {
            traffic.ptes_up += r.len() as u64;
            let ptes = self.host.ptes(r.clone());
            if batched {
                let at = base + (r.start * std::mem::size_of::<Pte>()) as u64;
                pool.stage(gpu, UploadDest::Device(at), ptes.as_bytes())?;
            } else {
                gpu.write(table, r.start, &ptes)?;
            }
        }
        Ok(())
    }

    /// The device frame of `page`, if it has one.
    pub fn frame_of(&self, page: u64) -> Option<u32> {
        self.host
            .get(page)
            .map(|s| s.frame)
            .filter(|&f| f != NO_FRAME)
    }

    /// Give every mapped page a frame, the frames consecutive in address
    /// order, so that a mapped range is one piece of device memory (what a
    /// `__cuda_array_interface__` view needs). Pages whose frames already
    /// are in order keep them; otherwise the whole space moves to fresh
    /// frames, filled from the host copy, which must be current (the caller
    /// syncs first). The frames the pages leave are not reused.
    pub fn make_contiguous(
        &mut self,
        gpu: &Gpu,
        pool: &mut FramePool,
        space: &mut AddressSpace,
        traffic: &mut Traffic,
    ) -> Result<(), CudaError> {
        let mut pages: Vec<(u64, Slot)> = self.host.entries().collect();
        pages.sort_unstable_by_key(|p| p.0);
        let Some(&(_, first)) = pages.first() else {
            return Ok(());
        };
        let base = first.frame;
        let in_order = base != NO_FRAME
            && pages
                .iter()
                .enumerate()
                .all(|(i, p)| p.1.frame == base.wrapping_add(i as u32));
        if in_order {
            return Ok(());
        }
        let n = u32::try_from(pages.len())
            .ok()
            .filter(|&n| n <= MAX_MAPPED_PAGES as u32)
            .ok_or_else(|| CudaError::Driver("address space too large to view".into()))?;
        if pool.cap - pool.next.min(pool.cap) < n {
            pool.grow(gpu, n)?;
        }
        let base = pool.next;
        pool.next += n;
        let mut image = vec![0u8; pages.len() * PAGE_SIZE as usize];
        for (i, &(page, _)) in pages.iter().enumerate() {
            let addr = page << PAGE_SHIFT;
            if let Ok(idx) = space.frame_index(page, Access::Read, addr, true) {
                if let Some(f) = space.frame(idx) {
                    image[i * PAGE_SIZE as usize..][..PAGE_SIZE as usize].copy_from_slice(f);
                }
            }
        }
        gpu.write(
            &mut pool.memory.lock(),
            base as usize * PAGE_SIZE as usize,
            &image,
        )?;
        traffic.pages_up += n as u64;
        for (i, &(page, s)) in pages.iter().enumerate() {
            self.host.set(page, base + i as u32, s.perms);
        }
        self.upload_table(gpu, pool, traffic)
    }

    /// Every frame the space's pages hold (most of a fresh space's pages,
    /// its stack's say, hold none).
    pub fn frames(&self) -> impl Iterator<Item = u32> + '_ {
        self.host
            .entries()
            .map(|(_, s)| s.frame)
            .filter(|&f| f != NO_FRAME)
    }

    /// Every mapped page (for a host step whose writes cannot be bounded).
    pub fn mapped_pages(&self) -> Vec<u64> {
        self.host.entries().map(|(p, _)| p).collect()
    }

    /// Record a frame the device claimed for `page`.
    pub fn note_claim(&mut self, page: u64, frame: u32) {
        self.host.note_frame(page, frame);
    }

    /// Re-read the whole table (after the event log overflowed) and return
    /// every page that has a frame.
    pub fn reload(&mut self, gpu: &Gpu) -> Result<Vec<(u64, u32)>, CudaError> {
        let Some(dev) = self.table.as_ref() else {
            return Ok(Vec::new());
        };
        let mut table = vec![Pte::default(); dev.len()];
        gpu.read(dev, 0, &mut table)?;
        let mut out = Vec::new();
        for e in table.iter().filter(|e| e.key != 0 && e.key != TOMBSTONE) {
            let page = e.key - 1;
            self.host.note_frame(page, e.frame);
            if e.frame != NO_FRAME {
                out.push((page, e.frame));
            }
        }
        Ok(out)
    }
}

/// Copy `uploads` (frame, bytes) to the pool, consecutive frames in one
/// copy each.
fn upload_frames(
    gpu: &Gpu,
    pool: &mut FramePool,
    mut uploads: Vec<(u32, Vec<u8>)>,
    traffic: &mut Traffic,
) -> Result<(), CudaError> {
    uploads.sort_unstable_by_key(|u| u.0);
    let mut i = 0;
    while i < uploads.len() {
        let mut j = i + 1;
        while j < uploads.len() && uploads[j].0 == uploads[j - 1].0 + 1 {
            j += 1;
        }
        let mut run = Vec::with_capacity((j - i) * PAGE_SIZE as usize);
        for u in &uploads[i..j] {
            run.extend_from_slice(&u.1);
        }
        let offset = uploads[i].0 as u64 * PAGE_SIZE;
        if pool.defers() {
            pool.stage(gpu, UploadDest::Pool(offset), &run)?;
        } else {
            gpu.write(&mut pool.memory.lock(), offset as usize, &run)?;
        }
        traffic.pages_up += (j - i) as u64;
        i = j;
    }
    Ok(())
}

/// Read `frames` of the pool into the pool's download buffer, one page
/// each, in order; returns their bytes' length there. One or two are read
/// one by one; more are gathered on the device (`kvrm_gather_frames`) and
/// come home in one copy: a launch of many lanes writes thousands of pages,
/// and a read each was most of its time.
fn fetch_frames(
    gpu: &Gpu,
    pool: &mut FramePool,
    gather: &CudaFunction,
    frames: &[u32],
) -> Result<usize, CudaError> {
    let page_bytes = PAGE_SIZE as usize;
    let len = frames.len() * page_bytes;
    gpu.reserve_host(&mut pool.download_buf, len)?;
    if frames.len() <= 2 {
        let memory = pool.memory.lock();
        let host = pool.download_buf.bytes_mut(len)?;
        for (&frame, buf) in frames.iter().zip(host.chunks_mut(page_bytes)) {
            gpu.read(&memory, frame as usize * page_bytes, buf)?;
        }
        return Ok(len);
    }
    let d_frames = gpu.upload(frames)?;
    if pool.staging.as_ref().is_none_or(|s| s.len() < len) {
        pool.staging = Some(gpu.zeros(len.next_power_of_two())?);
    }
    let staging = pool.staging.as_mut().expect("allocated above");
    gpu.gather_frames(
        gather,
        &pool.memory.lock(),
        &d_frames,
        frames.len() as u32,
        staging,
    )?;
    gpu.read_into_host(staging, 0, &mut pool.download_buf, len)?;
    Ok(len)
}

/// Read the stale ones among `pages` of `space` (whose page source is
/// `source`) from the device in one gathered copy, instead of one round
/// trip each when the host touches them.
pub fn bring_in_pages(
    gpu: &Gpu,
    pool: &mut FramePool,
    gather: &CudaFunction,
    source: &DevicePages,
    space: &mut AddressSpace,
    pages: &[u64],
    traffic: &mut Traffic,
) -> Result<(), CudaError> {
    let items: Vec<(u64, u32)> = pages
        .iter()
        .filter(|&&p| space.is_stale(p))
        .filter_map(|&p| source.frame_of(p).map(|f| (p, f)))
        .collect();
    if items.is_empty() {
        return Ok(());
    }
    let frames: Vec<u32> = items.iter().map(|&(_, f)| f).collect();
    let len = fetch_frames(gpu, pool, gather, &frames)?;
    let bytes = pool.download_buf.bytes(len)?;
    for (&(page, _), chunk) in items.iter().zip(bytes.chunks_exact(PAGE_SIZE as usize)) {
        if let Ok(frame) = chunk.try_into() {
            space.supply_stale(page, frame);
        }
    }
    pool.shrink_download_buf();
    traffic.pages_down += items.len() as u64;
    traffic.pages_brought_in += items.len() as u64;
    Ok(())
}

/// Copy device pages into the host spaces, as `(space index, page,
/// frame)`.
pub fn download_pages(
    gpu: &Gpu,
    pool: &mut FramePool,
    gather: &CudaFunction,
    items: &[(usize, u64, u32)],
    spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
    traffic: &mut Traffic,
) -> Result<(), CudaError> {
    if items.is_empty() {
        return Ok(());
    }
    let frames: Vec<u32> = items.iter().map(|i| i.2).collect();
    let t0 = std::time::Instant::now();
    let len = fetch_frames(gpu, pool, gather, &frames)?;
    let t1 = std::time::Instant::now();
    traffic.pages_down += copy_into_spaces(items, pool.download_buf.bytes(len)?, spaces);
    traffic.download_time += t1 - t0;
    traffic.landing_time += t1.elapsed();
    pool.shrink_download_buf();
    Ok(())
}

/// Copy downloaded pages (`items[k]` is page `k` of `host`) into their
/// host spaces; returns how many landed (a page unmapped meanwhile does
/// not). Spaces are independent, so many of them (thousands of lanes) are
/// filled by threads side by side: the copies and lookups were most of the
/// host's time after a wide launch.
fn copy_into_spaces(
    items: &[(usize, u64, u32)],
    host: &[u8],
    spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
) -> u64 {
    let page_bytes = PAGE_SIZE as usize;
    let mut per_space: Vec<Vec<(u64, &[u8])>> = vec![Vec::new(); spaces.len()];
    for (&(si, page, _), bytes) in items.iter().zip(host.chunks(page_bytes)) {
        if let Some(list) = per_space.get_mut(si) {
            list.push((page, bytes));
        }
    }
    let fill = |spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
                lists: &[Vec<(u64, &[u8])>]| {
        let mut landed = 0u64;
        for ((_, space), list) in spaces.iter_mut().zip(lists) {
            for &(page, bytes) in list {
                // A stale page (an earlier launch wrote it) takes the bytes
                // as they are: going through frame_index would first read
                // the old contents from the device, one round trip each.
                if space.is_stale(page) {
                    if let Ok(frame) = bytes.try_into() {
                        space.supply_stale(page, frame);
                        space.note_write(page);
                        landed += 1;
                        continue;
                    }
                }
                let addr = page << PAGE_SHIFT;
                if let Ok(idx) = space.frame_index(page, Access::Write, addr, true) {
                    if let Some(f) = space.frame_mut(idx) {
                        f.copy_from_slice(bytes);
                    }
                    space.note_write(page);
                    landed += 1;
                }
            }
        }
        landed
    };
    let threads = copy_threads();
    if threads == 1 || items.len() < PARALLEL_COPY_PAGES || spaces.len() < 2 {
        return fill(spaces, &per_space);
    }
    let chunk = spaces.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = spaces
            .chunks_mut(chunk)
            .zip(per_space.chunks(chunk))
            .map(|(s, l)| scope.spawn(move || fill(s, l)))
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a page copy thread panicked"))
            .sum()
    })
}

/// Downloaded pages from which [`copy_into_spaces`] uses threads.
const PARALLEL_COPY_PAGES: usize = 1024;

/// CUDA engines alive in the process ([`crate::CudaEngine`] counts itself
/// in and out): engines on several host threads (`--host-threads`) share
/// the cores for their page copies instead of each starting a thread per
/// core.
pub(crate) static LIVE_ENGINES: AtomicUsize = AtomicUsize::new(0);

/// The threads one engine's page copies may use: its share of the cores.
fn copy_threads() -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    (cores / LIVE_ENGINES.load(Ordering::Relaxed).max(1)).max(1)
}

/// Apply the claims of one launch to the table mirrors; returns the pages
/// written, as (space index, page, frame). `spaces[i]` is the space the
/// kernel knew as index `i`.
pub fn apply_claims(
    events: &[PageEvent],
    spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
) -> Vec<(usize, u64, u32)> {
    for e in events.iter().filter(|e| e.kind == 0) {
        if let Some((Some(d), _)) = spaces.get_mut(e.space as usize) {
            d.note_claim(e.page, e.frame);
        }
    }
    events
        .iter()
        .filter(|e| e.kind == 1)
        .map(|e| (e.space as usize, e.page, e.frame))
        .collect()
}

/// Must the host copy of `page` be current as soon as a launch wrote it?
/// MAP_SHARED pages: other processes and the host file see the host's
/// bytes (the backing), not the device's.
fn needs_download(space: &AddressSpace, page: u64) -> bool {
    space.shared_location(page << PAGE_SHIFT).is_some()
}

/// Bring the host spaces up to date with the pages a launch wrote
/// (`written`: space index, page, frame). `sources[i]` is space `i`'s page
/// source if the space reads stale pages through it (else `None`: every
/// page of it is downloaded now). Pages of a space with a source are marked
/// stale, except those [`needs_download`] names and those in `wanted`
/// (space index, page: the host is about to read them); the rest are
/// downloaded, all in one gathered copy. Either way a written page's decoded
/// code is dropped. Each source's cached pages go first (the device changed
/// them).
#[allow(clippy::too_many_arguments)]
pub fn settle_written(
    gpu: &Gpu,
    pool: &mut FramePool,
    gather: &CudaFunction,
    written: &[(usize, u64, u32)],
    wanted: &HashSet<(usize, u64)>,
    spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
    sources: &[Option<&DevicePages>],
    traffic: &mut Traffic,
) -> Result<(), CudaError> {
    let t0 = std::time::Instant::now();
    for s in sources.iter().flatten() {
        s.forget_cached();
    }
    let mut eager = Vec::new();
    let mut lazy: Vec<Vec<(u64, u32)>> = vec![Vec::new(); spaces.len()];
    for &(si, page, frame) in written {
        let Some((_, space)) = spaces.get(si) else {
            continue;
        };
        let has_source = sources.get(si).is_some_and(|s| s.is_some());
        if has_source && !needs_download(space, page) && !wanted.contains(&(si, page)) {
            lazy[si].push((page, frame));
        } else {
            eager.push((si, page, frame));
        }
    }
    for (si, pages) in lazy.iter().enumerate() {
        let (Some(Some(source)), Some((_, space))) = (sources.get(si), spaces.get_mut(si)) else {
            continue;
        };
        if pages.is_empty() {
            continue;
        }
        // Frames first: a read may come as soon as the page is stale.
        source.note_written(pages);
        for &(page, _) in pages {
            space.note_write(page);
        }
        space.mark_stale(pages.iter().map(|&(page, _)| page));
        traffic.pages_stale += pages.len() as u64;
    }
    traffic.marking_time += t0.elapsed();
    download_pages(gpu, pool, gather, &eager, spaces, traffic)
}

/// Pages an instruction executed on the host may have written, or `None`
/// when they cannot be bounded (then every resident page is compared).
pub fn host_write_footprint(class: &str, word: u32, s: &CpuState) -> Option<Vec<u64>> {
    match class {
        // Register-only classes.
        "dp_imm" | "dp_reg" | "fp" | "simd_int" | "simd_perm" | "simd_fp" | "crypto" => {
            Some(Vec::new())
        }
        // DC ZVA writes the 64-byte block holding Xt; the rest of the class
        // only touches registers.
        "branch_sys" if word & 0xffff_ffe0 == 0xd50b_7420 => Some(vec![page_of(s.xr(word & 31))]),
        "branch_sys" => Some(Vec::new()),
        // LD1-4/ST1-4 and their single-structure forms touch at most 64
        // bytes from Xn|SP (before writeback).
        "simd_ldst" => {
            let base = s.xsp((word >> 5) & 31);
            let last = base.wrapping_add(63);
            let mut v = vec![page_of(base)];
            if page_of(last) != page_of(base) {
                v.push(page_of(last));
            }
            Some(v)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_step_footprints() {
        let mut s = CpuState::new();
        s.x[3] = 0x1ffc;
        s.sp = 0x2f00;
        // st1 {v0.16b-v3.16b}, [x3]: 64 bytes from x3, across a page.
        assert_eq!(
            host_write_footprint("simd_ldst", 0x4c00_2060, &s),
            Some(vec![1, 2])
        );
        // ... from sp, inside one page.
        assert_eq!(
            host_write_footprint("simd_ldst", 0x4c00_23e0, &s),
            Some(vec![2])
        );
        // dc zva, x3
        assert_eq!(
            host_write_footprint("branch_sys", 0xd50b_7423, &s),
            Some(vec![1])
        );
        assert_eq!(host_write_footprint("fp", 0x1e22_0000, &s), Some(vec![]));
        assert_eq!(host_write_footprint("ldst", 0xf900_0000, &s), None);
    }

    /// The kernel's lookup (`translate_slow` in kernels/common.cuh).
    fn device_lookup(table: &[Pte], mask: u64, page: u64) -> Option<Pte> {
        let mut i = page_hash(page) & mask;
        loop {
            let e = table[i as usize];
            if e.key == page + 1 {
                return Some(e);
            }
            if e.key == 0 {
                return None;
            }
            i = (i + 1) & mask;
        }
    }

    /// One space, its host mirror of the table and the device's copy of it
    /// (kept by the uploads `take_changes` asks for), and the frames the
    /// "device" claimed, to check every step against a fresh build.
    struct Harness {
        space: AddressSpace,
        regions: Vec<Region>,
        table: PageTable,
        device: Vec<Pte>,
        frames: HashMap<u64, u32>,
        next_frame: u32,
        /// Page ranges unmapped since the last sync.
        unmapped: Vec<(u64, u64)>,
        /// Changes go up as a batched upload's pieces.
        batched: bool,
        /// The table `table` was cloned from, kept so that the clone's
        /// slots stay shared with it (written over, not in place).
        template: Option<PageTable>,
    }

    /// Pages the tests map below (all of them are checked).
    const SPAN: u64 = 0x400;

    impl Harness {
        fn new(space: AddressSpace) -> Harness {
            let regions = space.regions();
            let mut h = Harness {
                table: PageTable::for_regions(&regions).unwrap(),
                space,
                regions,
                device: Vec::new(),
                frames: HashMap::new(),
                next_frame: 0,
                unmapped: Vec::new(),
                batched: false,
                template: None,
            };
            h.upload();
            h
        }

        /// As a space of `--lanes` starts: its table cloned from a template
        /// table, the device's a copy of the template's.
        fn cloned(space: AddressSpace) -> Harness {
            let mut h = Harness::new(space);
            let clone = h.table.cloned_unchanged();
            h.template = Some(std::mem::replace(&mut h.table, clone));
            h
        }

        fn upload(&mut self) {
            let runs = self.table.take_changes(self.batched);
            if self.device.len() != self.table.cap() {
                assert!(
                    runs.len() == 1 && runs[0] == (0..self.table.cap()),
                    "a new table goes whole"
                );
                self.device = self.table.ptes(0..self.table.cap());
            } else {
                for r in runs {
                    let ptes = self.table.ptes(r.clone());
                    self.device[r].copy_from_slice(&ptes);
                }
            }
        }

        /// The device claims a frame for `page` (as a first touch does).
        fn claim(&mut self, page: u64) {
            let mask = self.table.mask();
            let mut i = page_hash(page) & mask;
            while self.device[i as usize].key != page + 1 {
                i = (i + 1) & mask;
            }
            let f = self.next_frame;
            self.next_frame += 1;
            self.device[i as usize].frame = f;
            self.table.note_frame(page, f);
            self.frames.insert(page, f);
        }

        /// What `sync_before` does to the table after a mapping change;
        /// refilled pages get fresh frames, as from the host copy.
        fn sync(&mut self) -> Update {
            let released = self.space.take_released();
            let new = self.space.regions();
            let up = self.table.update(&self.regions, &new, &released);
            self.regions = new;
            let mut expect_dropped: Vec<u32> = Vec::new();
            let unmapped = std::mem::take(&mut self.unmapped);
            self.frames.retain(|&page, &mut f| {
                let mapped = self.space.perms_at(page << PAGE_SHIFT).is_some();
                let gone = !mapped || up.refill.contains(&page);
                let released = unmapped.iter().any(|r| (r.0..r.1).contains(&page));
                assert!(
                    gone || !released,
                    "page {page:#x} was unmapped, kept its frame"
                );
                if gone {
                    expect_dropped.push(f);
                }
                !gone
            });
            let mut dropped = up.dropped.clone();
            dropped.sort_unstable();
            expect_dropped.sort_unstable();
            assert_eq!(dropped, expect_dropped, "frames of unmapped pages");
            for &page in &up.refill {
                let s = self.table.get(page).expect("refilled pages are mapped");
                assert_eq!(s.frame, NO_FRAME);
                let f = self.next_frame;
                self.next_frame += 1;
                self.table.set(page, f, s.perms);
                self.frames.insert(page, f);
            }
            self.upload();
            self.check();
            up
        }

        /// Host mirror and device copy agree with a fresh build for every
        /// page, mapped or not; frames are where they were put.
        fn check(&self) {
            let (fresh, mask, ..) = DevSpace::build(&self.space, None).unwrap();
            assert_eq!(self.table.live, self.table.entries().count());
            assert!(self.table.used * 2 <= self.table.cap(), "load within half");
            for page in 0..SPAN {
                let want = device_lookup(&fresh, mask, page).map(|e| e.perms);
                let dev = device_lookup(&self.device, self.table.mask(), page);
                let host = self.table.get(page);
                assert_eq!(dev.map(|e| e.perms), want, "device, page {page:#x}");
                assert_eq!(host.map(|e| e.perms), want, "host, page {page:#x}");
                if want.is_some() {
                    let frame = self.frames.get(&page).copied().unwrap_or(NO_FRAME);
                    assert_eq!(dev.map(|e| e.frame), Some(frame), "page {page:#x}");
                    assert_eq!(host.map(|e| e.frame), Some(frame), "page {page:#x}");
                }
            }
        }
    }

    fn space(ranges: &[(u64, u64, Perms)]) -> AddressSpace {
        let mut a = AddressSpace::new();
        for &(start, end, p) in ranges {
            a.map(start << PAGE_SHIFT, (end - start) << PAGE_SHIFT, p)
                .unwrap();
        }
        a.take_released();
        a
    }

    fn pages(p: u64) -> u64 {
        p << PAGE_SHIFT
    }

    /// A table cloned from a fresh space's template holds the same slots
    /// and lists only what is written after the clone, so the device copy
    /// of the template's table plus those slots is the whole table.
    #[test]
    fn tables_cloned_from_a_template_send_only_later_writes() {
        let a = space(&[
            (0x400, 0x410, Perms::RX),
            (0x7fff_f800, 0x8000_0000, Perms::RW),
        ]);
        let template = PageTable::for_regions(&a.regions()).unwrap();
        let mut clone = template.cloned_unchanged();
        assert!(clone.take_changes(true).is_empty());
        clone.set(0x7fff_ffff, 7, Perms::RW.0 as u32);
        clone.set(0x400, 8, Perms::RX.0 as u32);
        let runs = clone.take_changes(true);
        let mut device = template.ptes(0..template.cap());
        for r in runs {
            device[r.clone()].copy_from_slice(&clone.ptes(r));
        }
        assert_eq!(device, clone.ptes(0..clone.cap()));
        assert_eq!(clone.get(0x7fff_ffff).map(|s| s.frame), Some(7));
        assert_eq!(template.get(0x7fff_ffff).map(|s| s.frame), Some(NO_FRAME));
    }

    #[test]
    fn table_update_inserts_removes_and_reprotects() {
        let mut h = Harness::new(space(&[(0x10, 0x20, Perms::RX), (0x40, 0x60, Perms::RW)]));
        h.check();
        for p in [0x10, 0x18, 0x40, 0x41, 0x5f] {
            h.claim(p);
        }
        // Insert: a heap grows next to the data (the regions merge).
        h.space.map(pages(0x60), pages(8), Perms::RW).unwrap();
        let up = h.sync();
        assert!(up.dropped.is_empty() && up.refill.is_empty());
        // Remove: part of the data goes, and frames with it.
        h.space.unmap(pages(0x41), pages(0x10)).unwrap();
        let up = h.sync();
        assert_eq!(up.dropped.len(), 1, "page 0x41's frame");
        // Permission change: only framed pages are reported.
        h.space.protect(pages(0x10), pages(0x10), Perms::R).unwrap();
        let up = h.sync();
        assert_eq!(up.reprotected, vec![0x10, 0x18]);
        assert!(up.dropped.is_empty());
    }

    #[test]
    fn table_update_remaps_the_same_pages() {
        let mut h = Harness::new(space(&[(0x10, 0x30, Perms::RW)]));
        h.claim(0x12);
        h.claim(0x20);
        let before = h.space.regions();
        h.space.unmap(pages(0x10), pages(0x8)).unwrap();
        h.space.map(pages(0x10), pages(0x8), Perms::RW).unwrap();
        assert_eq!(h.space.regions(), before, "the region list cannot tell");
        let up = h.sync();
        assert_eq!(up.refill, vec![0x12], "released, mapped again");
        assert_eq!(
            h.table.get(0x20).map(|s| s.frame),
            h.frames.get(&0x20).copied()
        );
    }

    #[test]
    fn table_update_grows_and_stays_small_when_unchanged() {
        let mut h = Harness::new(space(&[(0x10, 0x14, Perms::RW)]));
        let cap = h.table.cap();
        h.space.map(pages(0x100), pages(0x200), Perms::RW).unwrap();
        h.sync();
        assert!(h.table.cap() > cap, "grown");
        // One page more: one entry goes up, not the table.
        h.space.map(pages(0x300), pages(1), Perms::RW).unwrap();
        let released = h.space.take_released();
        let new = h.space.regions();
        h.table.update(&h.regions, &new, &released);
        h.regions = new;
        let runs = h.table.take_changes(false);
        assert_eq!(runs.iter().map(|r| r.len()).sum::<usize>(), 1);
        for r in runs {
            let ptes = h.table.ptes(r.clone());
            h.device[r].copy_from_slice(&ptes);
        }
        h.check();
        // Shrinking leaves tombstones; growing again rehashes within bounds.
        for round in 0..4u64 {
            h.space.unmap(pages(0x100), pages(0x200)).unwrap();
            h.sync();
            h.space
                .map(pages(0x100 + round), pages(0x1f0), Perms::RW)
                .unwrap();
            h.sync();
        }
    }

    #[test]
    fn table_updates_follow_random_mapping_changes() {
        random_mapping_changes(Harness::new);
    }

    /// The same on a table cloned from a template (the template keeps its
    /// slots).
    #[test]
    fn cloned_tables_follow_random_mapping_changes() {
        random_mapping_changes(Harness::cloned);
    }

    /// A table cloned from a template writes over the slots it shares with
    /// it, then, past an eighth of them, into a copy of its own; lookups,
    /// uploads and the template stay right throughout.
    #[test]
    fn cloned_tables_write_over_shared_slots_then_copy_them() {
        let mut h = Harness::cloned(space(&[(0x80, 0xd0, Perms::RW)]));
        let template = h.template.as_ref().expect("cloned");
        let before = template.ptes(0..template.cap());
        assert_eq!(h.table.cap(), 256);
        for p in [0x80, 0x81, 0xa0] {
            h.claim(p);
        }
        h.space.map(pages(0xd0), pages(4), Perms::RW).unwrap();
        h.sync();
        let shared = |h: &Harness| {
            let t = h.template.as_ref().expect("cloned");
            Arc::ptr_eq(&h.table.slots.base, &t.slots.base)
        };
        assert!(shared(&h) && !h.table.slots.over.is_empty());
        for p in 0x82..0xa0 {
            h.claim(p);
        }
        h.space.protect(pages(0x80), pages(8), Perms::R).unwrap();
        h.sync();
        assert!(!shared(&h) && h.table.slots.over.is_empty(), "copied");
        let t = h.template.as_ref().expect("cloned");
        assert_eq!(t.ptes(0..t.cap()), before, "the template is unchanged");
    }

    fn random_mapping_changes(harness: fn(AddressSpace) -> Harness) {
        // A small LCG: reproducible without a dependency.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        let perms = [Perms::R, Perms::RW, Perms::RX, Perms::NONE];
        // (80 pages: a table of 256 slots with room for more before a rehash.)
        let mut h = harness(space(&[(0x80, 0xd0, Perms::RW)]));
        let template = h.template.as_ref().map(|t| t.ptes(0..t.cap()));
        for step in 0..300 {
            h.batched = step % 3 == 1;
            // Many changes between syncs now and then (the release log merges).
            let ops = if step % 50 == 49 { 80 } else { 1 + next(4) };
            for _ in 0..ops {
                let start = next(SPAN - 0x40);
                let len = 1 + next(0x40);
                let p = perms[next(4) as usize];
                match next(4) {
                    0 => {
                        let _ = h.space.map(pages(start), pages(len), p);
                    }
                    1 => {
                        h.space.unmap(pages(start), pages(len)).unwrap();
                        h.unmapped.push((start, start + len));
                    }
                    2 => {
                        let _ = h.space.protect(pages(start), pages(len), p);
                    }
                    _ => {
                        h.space.map_fixed(pages(start), pages(len), p).unwrap();
                        h.unmapped.push((start, start + len));
                    }
                }
            }
            h.sync();
            for _ in 0..4 {
                let page = next(SPAN);
                if h.table.get(page).is_some_and(|s| s.frame == NO_FRAME) {
                    h.claim(page);
                }
            }
        }
        if let (Some(before), Some(t)) = (template, h.template.as_ref()) {
            assert_eq!(t.ptes(0..t.cap()), before, "the template is unchanged");
        }
    }

    /// A space laid out as CoreMark's: code, data, and an 8 MiB stack.
    fn coremark_like_space() -> AddressSpace {
        space(&[
            (0x400, 0x410, Perms::RX),
            (0x410, 0x418, Perms::RW),
            (0x7fff_f800, 0x8000_0000, Perms::RW),
        ])
    }

    /// Host cost of a mapping change in a CoreMark-like space (code, data,
    /// heap, an 8 MiB stack): a rebuild against an in-place update.
    /// `cargo test --release -p kvrm-cuda table_update_cost -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn table_update_cost() {
        let mut a = coremark_like_space();
        let n = 2000u64;
        let mut dev = DevSpace {
            table: None,
            base: None,
            host: PageTable::for_regions(&a.regions()).unwrap(),
            epoch: 0,
            regions: a.regions(),
            shared_sent: HashMap::new(),
            bus_pages: Default::default(),
        };
        let t0 = std::time::Instant::now();
        for i in 0..n {
            a.map(pages(0x418 + i), pages(1), Perms::RW).unwrap();
            let (_, _, host, _) = DevSpace::build(&a, Some(dev)).unwrap();
            dev = DevSpace {
                table: None,
                base: None,
                host,
                epoch: 0,
                regions: a.regions(),
                shared_sent: HashMap::new(),
                bus_pages: Default::default(),
            };
        }
        let rebuild = t0.elapsed() / n as u32;
        let t0 = std::time::Instant::now();
        let mut ptes = 0;
        for i in n..2 * n {
            a.map(pages(0x418 + i), pages(1), Perms::RW).unwrap();
            let new = a.regions();
            dev.host.update(&dev.regions, &new, &a.take_released());
            dev.regions = new;
            ptes += dev
                .host
                .take_changes(false)
                .iter()
                .map(|r| r.len())
                .sum::<usize>();
        }
        let update = t0.elapsed() / n as u32;
        println!(
            "per brk: rebuild {rebuild:?} (+ {} entries up), update {update:?} ({} entries up)",
            dev.host.cap(),
            ptes as u64 / n
        );
    }

    /// Host cost of the tables of `--lanes` spaces cloned from one
    /// CoreMark-like template (8,192 slots), each then giving 40 stack and
    /// data pages frames and growing its heap by 33 pages, all kept alive
    /// as the lanes' are: written over the shared slots against each a
    /// copy of its own (as before the slots were shared).
    /// `cargo test --release -p kvrm-cuda template_clone_cost -- --ignored --nocapture`
    #[test]
    #[ignore]
    fn template_clone_cost() {
        let mut a = coremark_like_space();
        let regions = a.regions();
        a.map(pages(0x418), pages(33), Perms::RW).unwrap();
        let grown = a.regions();
        let template = PageTable::for_regions(&regions).unwrap();
        let n = 8000;
        for own_copy in [false, true] {
            let t0 = std::time::Instant::now();
            let tables: Vec<PageTable> = (0..n)
                .map(|_| {
                    let mut t = template.cloned_unchanged();
                    if own_copy {
                        t.slots.base = Arc::new(t.slots.base.to_vec());
                    }
                    for p in (0x7fff_ffd8..0x8000_0000).chain(0x410..0x418) {
                        t.set(p, 1, Perms::RW.0 as u32);
                    }
                    t.update(&regions, &grown, &[]);
                    t
                })
                .collect();
            let per = t0.elapsed() / n;
            let over: usize = tables.iter().map(|t| t.slots.over.len()).sum();
            println!(
                "{}: {per:?} per table, {} slots written over shared ones per table",
                if own_copy {
                    "own copies"
                } else {
                    "shared slots"
                },
                over / n as usize
            );
        }
    }

    #[test]
    fn region_diff_steps_over_regions_not_pages() {
        let r = |s: u64, e: u64, p| Region {
            start: pages(s),
            end: pages(e),
            perms: p,
        };
        // An 8 MiB stack that did not change is not in the diff.
        let old = [r(0x10, 0x20, Perms::RX), r(0x1000, 0x1800, Perms::RW)];
        let new = [
            r(0x10, 0x18, Perms::RX),
            r(0x18, 0x20, Perms::R),
            r(0x1000, 0x1800, Perms::RW),
            r(0x2000, 0x2001, Perms::RW),
        ];
        let d = diff_regions(&old, &new);
        assert_eq!(
            d,
            vec![
                Change {
                    pages: (0x18, 0x20),
                    old: Some(Perms::RX),
                    new: Some(Perms::R)
                },
                Change {
                    pages: (0x2000, 0x2001),
                    old: None,
                    new: Some(Perms::RW)
                },
            ]
        );
        assert_eq!(cut_out(&old, &[(pages(0x12), pages(0x14))]).len(), 3);
    }

    #[test]
    fn page_hash_spreads_neighbours() {
        let mask = 1023;
        let slots: std::collections::HashSet<u64> =
            (0..256u64).map(|p| page_hash(p) & mask).collect();
        assert!(slots.len() > 200);
    }

    /// A page source that counts its reads and gives pages of 0xee.
    struct CountingSource(std::sync::atomic::AtomicUsize);

    impl kvrm_isa::space::PageSource for CountingSource {
        fn read_page(&self, _page: u64, out: &mut kvrm_isa::space::Frame) {
            self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            out.fill(0xee);
        }
    }

    /// Downloaded pages land in their spaces; a page an earlier launch left
    /// stale takes the downloaded bytes without a read through its source
    /// (one device round trip each). Run alone and through the threads.
    #[test]
    fn downloaded_pages_replace_stale_pages_without_reading_them() {
        for nspaces in [1usize, 8] {
            let source = std::sync::Arc::new(CountingSource(Default::default()));
            let mut host_spaces: Vec<AddressSpace> = (0..nspaces)
                .map(|_| {
                    let mut a = space(&[(0x10, 0x10 + 200, Perms::RW)]);
                    a.set_page_source(Some(source.clone()));
                    a.write_bytes(pages(0x10), &[1, 2, 3]).unwrap();
                    // Even pages: written by an earlier launch, not read since.
                    a.mark_stale((0x10..0x10 + 200).step_by(2));
                    a
                })
                .collect();
            let mut devs: Vec<Option<DevSpace>> = (0..nspaces).map(|_| None).collect();
            let mut spaces: Vec<(&mut Option<DevSpace>, &mut AddressSpace)> =
                devs.iter_mut().zip(host_spaces.iter_mut()).collect();
            let mut items = Vec::new();
            let mut host = Vec::new();
            for si in 0..nspaces {
                for page in 0x10..0x10 + 200u64 {
                    items.push((si, page, 0));
                    host.extend(std::iter::repeat_n(
                        (si as u8) ^ (page as u8),
                        PAGE_SIZE as usize,
                    ));
                }
            }
            let landed = copy_into_spaces(&items, &host, &mut spaces);
            assert_eq!(landed, items.len() as u64);
            assert_eq!(source.0.load(std::sync::atomic::Ordering::Relaxed), 0);
            for (si, space) in host_spaces.iter().enumerate() {
                for page in [0x10u64, 0x11, 0x80, 0x10 + 199] {
                    assert!(!space.is_stale(page));
                    let mut got = [0u8; 2];
                    space.read_bytes(pages(page) + 7, &mut got).unwrap();
                    let want = (si as u8) ^ (page as u8);
                    assert_eq!(got, [want, want], "space {si}, page {page:#x}");
                }
            }
            assert_eq!(source.0.load(std::sync::atomic::Ordering::Relaxed), 0);
        }
    }

    /// Host frames stay listed while held; one that only the list still
    /// holds is let go when its device frame lists another.
    #[test]
    fn host_frames_are_listed_while_a_space_holds_them() {
        let mut index = HostFrames::default();
        let mut pinned = Vec::new();
        let a = Arc::new([1u8; PAGE_SIZE as usize]);
        let b = Arc::new([1u8; PAGE_SIZE as usize]);
        index.insert(&mut pinned, &a, 7);
        assert_eq!(index.get(&a), Some(7));
        assert_eq!(index.get(&b), None);
        // A fork's handle is the same frame.
        let fork = a.clone();
        assert_eq!(index.get(&fork), Some(7));
        drop(fork);
        // `a`'s space drops it: the list alone holds it, and lets it go
        // when `b` (equal bytes, loaded apart) joins.
        drop(a);
        index.insert(&mut pinned, &b, 7);
        assert_eq!(pinned.len(), 1);
        assert!(Arc::ptr_eq(&pinned[0], &b));
        assert_eq!(index.0.len(), 1);
        assert_eq!(index.get(&b), Some(7));
        index.remove(pinned);
        assert_eq!(index.get(&b), None);
        assert!(index.0.is_empty());
    }
}
