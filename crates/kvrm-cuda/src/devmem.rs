//! Guest memory on the device: one page table per address space (an
//! open-addressing hash table of `Pte`, probed with the kernel's `page_hash`)
//! and one pool of 4 KiB frames shared by every space.
//!
//! The host keeps each space's [`AddressSpace`] coherent at launch
//! boundaries, moving only pages that changed:
//! - before a launch, pages the host wrote (`take_host_dirty`) are uploaded;
//!   a changed mapping (`layout_version`) rebuilds the table, keeping frames;
//! - during a launch, the device claims frames for first-touched pages and
//!   logs every page it writes (once per launch, `PageEvent`);
//! - after a launch, exactly the logged pages are downloaded.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use cudarc::driver::{CudaFunction, CudaSlice};
use kvrm_isa::space::{page_of, PAGE_SHIFT, PAGE_SIZE};
use kvrm_isa::{Access, AddressSpace, CpuState, Perms};

use crate::driver::Gpu;
use crate::error::CudaError;
use crate::layout::{page_hash, PageEvent, Pte, SpaceDev, NO_FRAME};

/// Pages a space may map before the device table refuses it (64 GiB).
const MAX_MAPPED_PAGES: u64 = 1 << 24;

/// page -> (table slot, frame or `NO_FRAME`).
pub(crate) type PageMap = HashMap<u64, (u32, u32), BuildHasherDefault<PageHasher>>;

/// A multiplicative hasher for page numbers: tables are rebuilt page by page
/// for every lane's space, where SipHash was most of the build time.
#[derive(Default, Clone, Copy)]
pub(crate) struct PageHasher(u64);

impl Hasher for PageHasher {
    fn finish(&self) -> u64 {
        // The high bits of the product mix every bit of the key; the map
        // takes its bucket from the low bits, so fold them down.
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(b as u64);
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }
}

/// The device copy of one address space's translations.
pub struct DevSpace {
    table: CudaSlice<Pte>,
    mask: u64,
    /// The host space's layout version the table was built for.
    epoch: u64,
    /// The host's mirror of the table.
    pages: PageMap,
}

/// The frame pool and its allocation counter.
pub struct FramePool {
    pub frames: CudaSlice<u8>,
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
    /// Read-only pages are stored once per content, whichever spaces map
    /// them: N lanes running one program share its code and rodata frames
    /// (less memory, and one copy in the GPU's caches). Content hash ->
    /// frames with that hash.
    by_content: HashMap<u64, Vec<u32>>,
    /// Shared frame -> (spaces' pages using it, its bytes).
    shared: HashMap<u32, (u32, Box<[u8]>)>,
    pub shared_hits: u64,
}

impl FramePool {
    pub fn new(gpu: &Gpu, cap: u32) -> Result<Self, CudaError> {
        Ok(FramePool {
            frames: gpu.zeros(cap as usize * PAGE_SIZE as usize)?,
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
            by_content: HashMap::new(),
            shared: HashMap::new(),
            shared_hits: 0,
        })
    }

    /// Double the pool (at least `min_free` free frames), keeping contents.
    pub fn grow(&mut self, gpu: &Gpu, min_free: u32) -> Result<(), CudaError> {
        let mut cap = self.cap.saturating_mul(2);
        while cap - self.next.min(cap) < min_free {
            cap = cap.saturating_mul(2);
        }
        let mut frames = gpu.zeros::<u8>(cap as usize * PAGE_SIZE as usize)?;
        let used = self.next.min(self.cap) as usize * PAGE_SIZE as usize;
        gpu.copy(&self.frames, &mut frames, used)?;
        let old = std::mem::replace(&mut self.frames, frames);
        if self.exported {
            self.retired.push(old);
        }
        self.cap = cap;
        self.grows += 1;
        Ok(())
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
        let Some(entry) = self.shared.get_mut(&f) else {
            return true; // a private frame
        };
        entry.0 -= 1;
        if entry.0 > 0 {
            return false;
        }
        let (_, bytes) = self.shared.remove(&f).expect("looked up above");
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
    fn share(&mut self, gpu: &Gpu, bytes: &[u8]) -> Result<(u32, bool), CudaError> {
        let hash = content_hash(bytes);
        if let Some(list) = self.by_content.get(&hash) {
            for &f in list {
                let entry = self.shared.get_mut(&f).expect("listed frames are shared");
                if *entry.1 == *bytes {
                    entry.0 += 1;
                    self.shared_hits += 1;
                    return Ok((f, false));
                }
            }
        }
        let f = self.alloc(gpu)?;
        self.by_content.entry(hash).or_default().push(f);
        self.shared.insert(f, (1, bytes.into()));
        Ok((f, true))
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
    pub pages_down: u64,
    pub table_builds: u64,
    /// Host time building page tables.
    pub build_time: std::time::Duration,
}

impl DevSpace {
    /// The kernel's view of this space.
    pub fn dev(&self, gpu: &Gpu) -> SpaceDev {
        SpaceDev {
            table: gpu.address(&self.table),
            mask: self.mask,
        }
    }

    /// The table for every mapped page of `space` (host side), keeping the
    /// frames of pages that `old` already had.
    pub(crate) fn build(
        space: &AddressSpace,
        old: Option<DevSpace>,
    ) -> Result<(Vec<Pte>, u64, PageMap, Vec<u32>), CudaError> {
        let regions = space.regions();
        let npages: u64 = regions
            .iter()
            .map(|r| (r.end - r.start) >> PAGE_SHIFT)
            .sum();
        if npages > MAX_MAPPED_PAGES {
            return Err(CudaError::Driver(format!(
                "address space maps {npages} pages; the device table holds at most {MAX_MAPPED_PAGES}"
            )));
        }
        let cap = (npages * 2).next_power_of_two().max(16);
        let mask = cap - 1;
        let mut table = vec![Pte::default(); cap as usize];
        let mut old_pages = old.map(|o| o.pages).unwrap_or_default();
        let mut pages = PageMap::with_capacity_and_hasher(npages as usize, Default::default());
        for r in &regions {
            for page in (r.start >> PAGE_SHIFT)..(r.end >> PAGE_SHIFT) {
                let mut slot = page_hash(page) & mask;
                while table[slot as usize].key != 0 {
                    slot = (slot + 1) & mask;
                }
                let frame = old_pages.remove(&page).map_or(NO_FRAME, |(_, f)| f);
                table[slot as usize] = Pte {
                    key: page + 1,
                    frame,
                    perms: r.perms.0 as u32,
                    gen: 0,
                    pad: [0; 3],
                };
                pages.insert(page, (slot as u32, frame));
            }
        }
        // The frames of pages no longer mapped.
        let dropped = old_pages.into_values().map(|(_, f)| f).collect();
        Ok((table, mask, pages, dropped))
    }

    /// Make the device copy current before a launch: rebuild the table if
    /// the mappings changed, then upload the pages the host wrote (all-zero
    /// pages without a frame stay without one: the device zero-fills on
    /// first touch). Newly allocated frames are consecutive, so a load of
    /// many pages is a few large copies.
    pub fn sync_before(
        this: &mut Option<DevSpace>,
        gpu: &Gpu,
        pool: &mut FramePool,
        space: &mut AddressSpace,
        extra: Vec<u64>,
        traffic: &mut Traffic,
    ) -> Result<(), CudaError> {
        let mut dirty = space.take_host_dirty();
        dirty.extend(extra);
        let stale = this
            .as_ref()
            .is_none_or(|d| d.epoch != space.layout_version());
        let mut new_table = None;
        if stale {
            let t0 = std::time::Instant::now();
            let (table, mask, pages, dropped) = DevSpace::build(space, this.take())?;
            traffic.build_time += t0.elapsed();
            pool.release(dropped);
            // A page that kept its frame may have been unmapped and mapped
            // again meanwhile (then it reads as zeros): upload every kept
            // page from the host copy, which is current between launches.
            dirty.extend(
                pages
                    .iter()
                    .filter(|(_, &(_, f))| f != NO_FRAME)
                    .map(|(&p, _)| p),
            );
            new_table = Some((table, mask, pages));
            traffic.table_builds += 1;
        }
        dirty.sort_unstable();
        dirty.dedup();
        let (mut table, mask, mut pages) = match new_table.take() {
            Some((t, mask, pages)) => (Some(t), mask, pages),
            None => match this.as_mut() {
                Some(d) => (None, d.mask, std::mem::take(&mut d.pages)),
                None => return Ok(()),
            },
        };
        let mut uploads: Vec<(u32, Vec<u8>)> = Vec::new();
        let mut pte_updates: Vec<(u32, Pte)> = Vec::new();
        for page in dirty {
            let Some(&(slot, frame)) = pages.get(&page) else {
                continue; // no longer mapped
            };
            let addr = page << PAGE_SHIFT;
            let bytes = match space.frame_index(page, Access::Read, addr, true) {
                Ok(idx) => match space.frame(idx) {
                    Some(f) => f.to_vec(),
                    None => continue,
                },
                Err(_) => continue,
            };
            let perms = space.perms_at(addr).unwrap_or(Perms::NONE);
            let zero = bytes.iter().all(|&b| b == 0);
            // Shared frames are never written: a read-only page takes the
            // frame of its (new) content; a page made writable gets its own.
            // (Not while views of the pool are out: they need frames in place.)
            let shareable = !perms.write() && !pool.exported;
            let new_frame = if shareable && !(zero && frame == NO_FRAME) {
                pool.release([frame]);
                let (f, fresh) = pool.share(gpu, &bytes)?;
                if fresh {
                    uploads.push((f, bytes));
                }
                f
            } else if frame == NO_FRAME || pool.is_shared(frame) {
                pool.release([frame]);
                if zero {
                    NO_FRAME
                } else {
                    let f = pool.alloc(gpu)?;
                    uploads.push((f, bytes));
                    f
                }
            } else {
                uploads.push((frame, bytes));
                continue;
            };
            if new_frame != frame {
                pages.insert(page, (slot, new_frame));
                let pte = Pte {
                    key: page + 1,
                    frame: new_frame,
                    perms: perms.0 as u32,
                    gen: 0,
                    pad: [0; 3],
                };
                match table.as_mut() {
                    Some(t) => t[slot as usize] = pte,
                    None => pte_updates.push((slot, pte)),
                }
            }
        }
        match table.take() {
            Some(t) => {
                *this = Some(DevSpace {
                    table: gpu.upload(&t)?,
                    mask,
                    epoch: space.layout_version(),
                    pages: std::mem::take(&mut pages),
                });
            }
            None => {
                if let Some(d) = this.as_mut() {
                    for (slot, pte) in pte_updates {
                        gpu.write(&mut d.table, slot as usize, &[pte])?;
                    }
                    d.pages = std::mem::take(&mut pages);
                }
            }
        }
        // Coalesce consecutive frames into one copy each.
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
            gpu.write(
                &mut pool.frames,
                uploads[i].0 as usize * PAGE_SIZE as usize,
                &run,
            )?;
            traffic.pages_up += (j - i) as u64;
            i = j;
        }
        Ok(())
    }

    /// The device frame of `page`, if it has one.
    pub fn frame_of(&self, page: u64) -> Option<u32> {
        self.pages
            .get(&page)
            .map(|&(_, f)| f)
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
        let mut pages: Vec<u64> = self.pages.keys().copied().collect();
        pages.sort_unstable();
        let Some(&first) = pages.first() else {
            return Ok(());
        };
        let base = self.pages[&first].1;
        let in_order = base != NO_FRAME
            && pages
                .iter()
                .enumerate()
                .all(|(i, p)| self.pages[p].1 == base.wrapping_add(i as u32));
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
        for (i, &page) in pages.iter().enumerate() {
            let addr = page << PAGE_SHIFT;
            if let Ok(idx) = space.frame_index(page, Access::Read, addr, true) {
                if let Some(f) = space.frame(idx) {
                    image[i * PAGE_SIZE as usize..][..PAGE_SIZE as usize].copy_from_slice(f);
                }
            }
        }
        gpu.write(&mut pool.frames, base as usize * PAGE_SIZE as usize, &image)?;
        traffic.pages_up += n as u64;
        let mut table = vec![Pte::default(); self.mask as usize + 1];
        for (i, &page) in pages.iter().enumerate() {
            let e = self.pages.get_mut(&page).expect("page listed above");
            e.1 = base + i as u32;
            table[e.0 as usize] = Pte {
                key: page + 1,
                frame: e.1,
                perms: space.perms_at(page << PAGE_SHIFT).map_or(0, |p| p.0 as u32),
                gen: 0,
                pad: [0; 3],
            };
        }
        gpu.write(&mut self.table, 0, &table)?;
        traffic.table_builds += 1;
        Ok(())
    }

    /// Every frame the space's pages hold.
    pub fn frames(&self) -> impl Iterator<Item = u32> + '_ {
        self.pages.values().map(|&(_, f)| f)
    }

    /// Every mapped page (for a host step whose writes cannot be bounded).
    pub fn mapped_pages(&self) -> Vec<u64> {
        self.pages.keys().copied().collect()
    }

    /// Record a frame the device claimed for `page`.
    pub fn note_claim(&mut self, page: u64, frame: u32) {
        if let Some(e) = self.pages.get_mut(&page) {
            e.1 = frame;
        }
    }

    /// Re-read the whole table (after the event log overflowed) and return
    /// every page that has a frame.
    pub fn reload(&mut self, gpu: &Gpu) -> Result<Vec<(u64, u32)>, CudaError> {
        let mut table = vec![Pte::default(); self.mask as usize + 1];
        gpu.read(&self.table, 0, &mut table)?;
        let mut out = Vec::new();
        for e in &table {
            if e.key != 0 {
                let page = e.key - 1;
                if let Some(m) = self.pages.get_mut(&page) {
                    m.1 = e.frame;
                }
                if e.frame != NO_FRAME {
                    out.push((page, e.frame));
                }
            }
        }
        Ok(out)
    }
}

/// Copy device pages into the host spaces, as `(space index, page,
/// frame)`. One or two are read one by one; more are gathered on the device
/// (`kvrm_gather_frames`) and come home in one copy: a launch of many lanes
/// writes thousands of pages, and a read each was most of its time.
pub fn download_pages(
    gpu: &Gpu,
    pool: &mut FramePool,
    gather: &CudaFunction,
    items: &[(usize, u64, u32)],
    spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
    traffic: &mut Traffic,
) -> Result<(), CudaError> {
    let page_bytes = PAGE_SIZE as usize;
    let mut host = vec![0u8; items.len() * page_bytes];
    if items.len() <= 2 {
        for (&(_, _, frame), buf) in items.iter().zip(host.chunks_mut(page_bytes)) {
            gpu.read(&pool.frames, frame as usize * page_bytes, buf)?;
        }
    } else {
        let frames: Vec<u32> = items.iter().map(|i| i.2).collect();
        let d_frames = gpu.upload(&frames)?;
        if pool.staging.as_ref().is_none_or(|s| s.len() < host.len()) {
            pool.staging = Some(gpu.zeros(host.len().next_power_of_two())?);
        }
        let staging = pool.staging.as_mut().expect("allocated above");
        gpu.gather_frames(
            gather,
            &pool.frames,
            &d_frames,
            frames.len() as u32,
            staging,
        )?;
        gpu.read(staging, 0, &mut host)?;
    }
    for (&(si, page, _), bytes) in items.iter().zip(host.chunks(page_bytes)) {
        let Some((_, space)) = spaces.get_mut(si) else {
            continue;
        };
        let addr = page << PAGE_SHIFT;
        if let Ok(idx) = space.frame_index(page, Access::Write, addr, true) {
            if let Some(f) = space.frame_mut(idx) {
                f.copy_from_slice(bytes);
            }
            space.note_write(page);
            traffic.pages_down += 1;
        }
    }
    Ok(())
}

/// Apply the events of one launch: claims update the mirrors, written pages
/// are downloaded. `spaces[i]` is the space the kernel knew as index `i`.
pub fn apply_events(
    gpu: &Gpu,
    pool: &mut FramePool,
    gather: &CudaFunction,
    events: &[PageEvent],
    spaces: &mut [(&mut Option<DevSpace>, &mut AddressSpace)],
    traffic: &mut Traffic,
) -> Result<(), CudaError> {
    for e in events.iter().filter(|e| e.kind == 0) {
        if let Some((Some(d), _)) = spaces.get_mut(e.space as usize) {
            d.note_claim(e.page, e.frame);
        }
    }
    let written: Vec<(usize, u64, u32)> = events
        .iter()
        .filter(|e| e.kind == 1)
        .map(|e| (e.space as usize, e.page, e.frame))
        .collect();
    download_pages(gpu, pool, gather, &written, spaces, traffic)
}

/// Pages an instruction executed on the host may have written, or `None`
/// when they cannot be bounded (then every resident page is compared).
pub fn host_write_footprint(class: &str, word: u32, s: &CpuState) -> Option<Vec<u64>> {
    match class {
        // Register-only classes.
        "dp_imm" | "dp_reg" | "fp" | "simd_int" | "simd_perm" | "simd_fp" => Some(Vec::new()),
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

    #[test]
    fn page_hash_spreads_neighbours() {
        let mask = 1023;
        let slots: std::collections::HashSet<u64> =
            (0..256u64).map(|p| page_hash(p) & mask).collect();
        assert!(slots.len() > 200);
    }
}
