//! Guest memory: a sparse 64-bit address space of mapped regions with permissions.
//!
//! Mappings (`map`, `unmap`, `protect`) are page granular (4 KiB) and kept in a
//! sorted map of regions. Backing pages ("frames") are allocated on first touch,
//! so a guest can reserve far more than it uses. Two small direct-mapped TLBs
//! (read, write) make the common access a tag compare and a slice copy.
//!
//! Every access is checked: an address outside a mapping, or against its
//! permissions, returns a [`MemFault`]; nothing here can read or write host
//! memory other than the guest's own frames (all indexing is bounds-checked,
//! there is no `unsafe`).
//!
//! Pages that hold decoded code are tracked: the write TLB never caches them, so
//! a store to one takes the slow path, which records the page as dirty. The CPU
//! backend drops its decoded instructions for dirty pages before the next fetch.

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::stop::{Access, FaultKind, MemFault};

pub const PAGE_SHIFT: u32 = 12;
pub const PAGE_SIZE: u64 = 1 << PAGE_SHIFT;
const PAGE_MASK: u64 = PAGE_SIZE - 1;
const TLB_ENTRIES: usize = 256;
const INVALID_TAG: u64 = u64::MAX;

/// Default size of the flat memory used for raw programs (the ancestor's model).
pub const DEFAULT_RAW_MEMORY: u64 = 16 * 1024 * 1024;

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
    fn allows(self, access: Access) -> bool {
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

/// One mapped region, as listed by [`GuestMemory::regions`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub start: u64,
    pub end: u64,
    pub perms: Perms,
}

#[derive(Clone, Copy)]
struct TlbEntry {
    tag: u64,
    frame: u32,
}

const EMPTY_TLB: TlbEntry = TlbEntry {
    tag: INVALID_TAG,
    frame: 0,
};

type Frame = Box<[u8; PAGE_SIZE as usize]>;

pub struct GuestMemory {
    /// start -> (end, perms); non-overlapping, page aligned.
    regions: BTreeMap<u64, (u64, Perms)>,
    frames: Vec<Frame>,
    free_frames: Vec<u32>,
    page_frame: HashMap<u64, u32>,
    tlb_read: Box<[TlbEntry; TLB_ENTRIES]>,
    tlb_write: Box<[TlbEntry; TLB_ENTRIES]>,
    code_pages: HashSet<u64>,
    dirty_code: Vec<u64>,
    /// Upper bound on resident frames, so a guest cannot exhaust host memory.
    max_frames: usize,
}

impl Default for GuestMemory {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for GuestMemory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuestMemory")
            .field("regions", &self.regions())
            .field("resident_pages", &self.page_frame.len())
            .finish()
    }
}

#[inline(always)]
fn page_of(addr: u64) -> u64 {
    addr >> PAGE_SHIFT
}

#[inline(always)]
fn tlb_slot(page: u64) -> usize {
    (page as usize) & (TLB_ENTRIES - 1)
}

impl GuestMemory {
    /// An empty address space.
    pub fn new() -> Self {
        GuestMemory {
            regions: BTreeMap::new(),
            frames: Vec::new(),
            free_frames: Vec::new(),
            page_frame: HashMap::new(),
            tlb_read: Box::new([EMPTY_TLB; TLB_ENTRIES]),
            tlb_write: Box::new([EMPTY_TLB; TLB_ENTRIES]),
            code_pages: HashSet::new(),
            dirty_code: Vec::new(),
            // 8 GiB of touched guest memory by default.
            max_frames: 2 * 1024 * 1024,
        }
    }

    /// The ancestor's model: one flat read/write/execute region at address 0.
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
        self.page_frame.len()
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
        self.flush_tlb();
        Ok(())
    }

    fn release_frames(&mut self, start: u64, end: u64) {
        let (first, last) = (page_of(start), page_of(end));
        if (last - first) as usize > self.page_frame.len() {
            let pages: Vec<u64> = self
                .page_frame
                .keys()
                .copied()
                .filter(|p| (first..last).contains(p))
                .collect();
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
            self.frames[frame as usize].fill(0);
            self.free_frames.push(frame);
        }
        if self.code_pages.remove(&page) {
            self.dirty_code.push(page);
        }
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
        self.flush_tlb();
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

    fn flush_tlb(&mut self) {
        self.tlb_read.fill(EMPTY_TLB);
        self.tlb_write.fill(EMPTY_TLB);
    }

    // ----- translation -----------------------------------------------------

    /// Find (allocating on first touch) the frame for `page`, checking `access`.
    fn translate(&mut self, page: u64, access: Access, addr: u64) -> Result<u32, MemFault> {
        let base = page << PAGE_SHIFT;
        let perms = self.perms_at(base).ok_or(MemFault {
            addr,
            access,
            kind: FaultKind::Unmapped,
        })?;
        if !perms.allows(access) {
            return Err(MemFault {
                addr,
                access,
                kind: FaultKind::Permission,
            });
        }
        self.frame_for(page, addr, access)
    }

    fn frame_for(&mut self, page: u64, addr: u64, access: Access) -> Result<u32, MemFault> {
        if let Some(&f) = self.page_frame.get(&page) {
            return Ok(f);
        }
        let frame = if let Some(f) = self.free_frames.pop() {
            f
        } else {
            if self.frames.len() >= self.max_frames {
                // Out of host memory budget: report as an unmapped access.
                return Err(MemFault {
                    addr,
                    access,
                    kind: FaultKind::Unmapped,
                });
            }
            self.frames.push(Box::new([0u8; PAGE_SIZE as usize]));
            (self.frames.len() - 1) as u32
        };
        self.page_frame.insert(page, frame);
        Ok(frame)
    }

    fn fill_tlb(&mut self, page: u64, frame: u32, access: Access) {
        let entry = TlbEntry { tag: page, frame };
        match access {
            Access::Read => self.tlb_read[tlb_slot(page)] = entry,
            Access::Write => {
                if !self.code_pages.contains(&page) {
                    self.tlb_write[tlb_slot(page)] = entry;
                }
            }
            Access::Execute => {}
        }
    }

    fn note_write(&mut self, page: u64) {
        if self.code_pages.remove(&page) {
            self.dirty_code.push(page);
        }
    }

    // ----- accesses ----------------------------------------------------------

    /// Read `N` bytes at `addr` (any alignment, may cross pages).
    #[inline(always)]
    pub fn read<const N: usize>(&mut self, addr: u64) -> Result<[u8; N], MemFault> {
        let off = (addr & PAGE_MASK) as usize;
        let page = page_of(addr);
        let e = self.tlb_read[tlb_slot(page)];
        if e.tag == page && off + N <= PAGE_SIZE as usize {
            let frame = &self.frames[e.frame as usize];
            let mut out = [0u8; N];
            out.copy_from_slice(&frame[off..off + N]);
            return Ok(out);
        }
        let mut out = [0u8; N];
        self.read_slow(addr, &mut out, Access::Read)?;
        Ok(out)
    }

    /// Write `N` bytes at `addr` (any alignment, may cross pages; all-or-nothing).
    #[inline(always)]
    pub fn write<const N: usize>(&mut self, addr: u64, bytes: [u8; N]) -> Result<(), MemFault> {
        let off = (addr & PAGE_MASK) as usize;
        let page = page_of(addr);
        let e = self.tlb_write[tlb_slot(page)];
        if e.tag == page && off + N <= PAGE_SIZE as usize {
            let frame = &mut self.frames[e.frame as usize];
            frame[off..off + N].copy_from_slice(&bytes);
            return Ok(());
        }
        self.write_slow(addr, &bytes, false)
    }

    #[cold]
    fn read_slow(&mut self, addr: u64, out: &mut [u8], access: Access) -> Result<(), MemFault> {
        let end = addr.checked_add(out.len() as u64);
        if end.is_none() && !out.is_empty() {
            return Err(MemFault {
                addr,
                access,
                kind: FaultKind::Unmapped,
            });
        }
        let mut done = 0usize;
        while done < out.len() {
            let a = addr + done as u64;
            let page = page_of(a);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(out.len() - done);
            let frame = self.translate(page, access, a)?;
            if access == Access::Read {
                self.fill_tlb(page, frame, Access::Read);
            }
            out[done..done + n].copy_from_slice(&self.frames[frame as usize][off..off + n]);
            done += n;
        }
        Ok(())
    }

    #[cold]
    fn write_slow(&mut self, addr: u64, bytes: &[u8], force: bool) -> Result<(), MemFault> {
        let access = Access::Write;
        if bytes.is_empty() {
            return Ok(());
        }
        let last = addr.checked_add(bytes.len() as u64 - 1).ok_or(MemFault {
            addr,
            access,
            kind: FaultKind::Unmapped,
        })?;
        // Check every page first, so a faulting write changes nothing.
        let mut page = page_of(addr);
        while page <= page_of(last) {
            let a = (page << PAGE_SHIFT).max(addr);
            if force {
                if self.perms_at(a).is_none() {
                    return Err(MemFault {
                        addr: a,
                        access,
                        kind: FaultKind::Unmapped,
                    });
                }
                self.frame_for(page, a, access)?;
            } else {
                self.translate(page, access, a)?;
            }
            page += 1;
        }
        let mut done = 0usize;
        while done < bytes.len() {
            let a = addr + done as u64;
            let page = page_of(a);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(bytes.len() - done);
            let frame = self.page_frame[&page];
            self.note_write(page);
            if !force {
                self.fill_tlb(page, frame, Access::Write);
            }
            self.frames[frame as usize][off..off + n].copy_from_slice(&bytes[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// Read a byte string as the guest would (read permission required).
    pub fn read_bytes(&mut self, addr: u64, out: &mut [u8]) -> Result<(), MemFault> {
        self.read_slow(addr, out, Access::Read)
    }

    /// Write a byte string as the guest would (write permission required).
    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemFault> {
        self.write_slow(addr, bytes, false)
    }

    /// Write into mapped memory ignoring write permission (loaders, debuggers).
    pub fn write_bytes_force(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemFault> {
        self.write_slow(addr, bytes, true)
    }

    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstring(&mut self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut a = addr;
        while out.len() < max {
            let [b] = self.read::<1>(a)?;
            if b == 0 {
                return Ok(out);
            }
            out.push(b);
            a = a.wrapping_add(1);
        }
        Ok(out)
    }

    /// Fetch an instruction word: execute permission, 4-byte alignment.
    /// Marks the page as holding code (see the module comment).
    pub fn fetch_u32(&mut self, addr: u64) -> Result<u32, MemFault> {
        if addr & 3 != 0 {
            return Err(MemFault {
                addr,
                access: Access::Execute,
                kind: FaultKind::Alignment,
            });
        }
        let page = page_of(addr);
        let frame = self.translate(page, Access::Execute, addr)?;
        self.mark_code_page(page);
        let off = (addr & PAGE_MASK) as usize;
        let b = &self.frames[frame as usize][off..off + 4];
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn mark_code_page(&mut self, page: u64) {
        if self.code_pages.insert(page) {
            let slot = tlb_slot(page);
            if self.tlb_write[slot].tag == page {
                self.tlb_write[slot] = EMPTY_TLB;
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

    // Typed little-endian helpers.
    #[inline(always)]
    pub fn read_u8(&mut self, addr: u64) -> Result<u8, MemFault> {
        Ok(self.read::<1>(addr)?[0])
    }
    #[inline(always)]
    pub fn read_u16(&mut self, addr: u64) -> Result<u16, MemFault> {
        self.read::<2>(addr).map(u16::from_le_bytes)
    }
    #[inline(always)]
    pub fn read_u32(&mut self, addr: u64) -> Result<u32, MemFault> {
        self.read::<4>(addr).map(u32::from_le_bytes)
    }
    #[inline(always)]
    pub fn read_u64(&mut self, addr: u64) -> Result<u64, MemFault> {
        self.read::<8>(addr).map(u64::from_le_bytes)
    }
    #[inline(always)]
    pub fn read_u128(&mut self, addr: u64) -> Result<u128, MemFault> {
        self.read::<16>(addr).map(u128::from_le_bytes)
    }
    #[inline(always)]
    pub fn write_u8(&mut self, addr: u64, v: u8) -> Result<(), MemFault> {
        self.write(addr, [v])
    }
    #[inline(always)]
    pub fn write_u16(&mut self, addr: u64, v: u16) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline(always)]
    pub fn write_u32(&mut self, addr: u64, v: u32) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline(always)]
    pub fn write_u64(&mut self, addr: u64, v: u64) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }
    #[inline(always)]
    pub fn write_u128(&mut self, addr: u64, v: u128) -> Result<(), MemFault> {
        self.write(addr, v.to_le_bytes())
    }

    /// Read `size` bytes (1, 2, 4 or 8) zero-extended.
    #[inline(always)]
    pub fn read_sized(&mut self, addr: u64, size: u32) -> Result<u64, MemFault> {
        match size {
            1 => self.read_u8(addr).map(u64::from),
            2 => self.read_u16(addr).map(u64::from),
            4 => self.read_u32(addr).map(u64::from),
            _ => self.read_u64(addr),
        }
    }

    /// Write the low `size` bytes (1, 2, 4 or 8) of `v`.
    #[inline(always)]
    pub fn write_sized(&mut self, addr: u64, size: u32, v: u64) -> Result<(), MemFault> {
        match size {
            1 => self.write_u8(addr, v as u8),
            2 => self.write_u16(addr, v as u16),
            4 => self.write_u32(addr, v as u32),
            _ => self.write_u64(addr, v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_memory_reads_back_writes() {
        let mut m = GuestMemory::flat(DEFAULT_RAW_MEMORY).unwrap();
        m.write_u64(0x1000, 0x1122_3344_5566_7788).unwrap();
        assert_eq!(m.read_u64(0x1000).unwrap(), 0x1122_3344_5566_7788);
        assert_eq!(m.read_u8(0x1000).unwrap(), 0x88);
        assert_eq!(m.read_u16(0x1006).unwrap(), 0x1122);
    }

    #[test]
    fn access_outside_any_mapping_faults() {
        let mut m = GuestMemory::flat(0x10000).unwrap();
        let f = m.read_u32(0x10000).unwrap_err();
        assert_eq!(f.kind, FaultKind::Unmapped);
        assert_eq!(f.addr, 0x10000);
        let f = m.write_u8(u64::MAX, 1).unwrap_err();
        assert_eq!(f.access, Access::Write);
    }

    #[test]
    fn page_crossing_write_is_all_or_nothing() {
        let mut m = GuestMemory::new();
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
        let mut m = GuestMemory::new();
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
        let mut m = GuestMemory::new();
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
        let mut m = GuestMemory::flat(0x10000).unwrap();
        m.write_u32(0x100, 0xd503201f).unwrap();
        assert_eq!(m.fetch_u32(0x100).unwrap(), 0xd503201f);
        assert!(!m.has_dirty_code());
        m.write_u32(0x104, 0).unwrap();
        assert!(m.has_dirty_code());
        assert_eq!(m.take_dirty_code(), vec![0]);
    }

    #[test]
    fn find_free_is_top_down() {
        let mut m = GuestMemory::new();
        m.map(0x7000, 0x1000, Perms::RW).unwrap();
        assert_eq!(m.find_free_below(0x1000, 0x1000, 0x8000).unwrap(), 0x6000);
        assert_eq!(m.find_free_below(0x2000, 0x1000, 0x9000).unwrap(), 0x5000);
        assert!(m.find_free_below(0x10000, 0x1000, 0x8000).is_err());
    }
}
