//! The interpreter's view of an address space: the neutral
//! [`AddressSpace`] plus two small direct-mapped TLBs (read, write) that make
//! the common access a tag compare and a slice copy.
//!
//! The TLBs cache frame indices. They are flushed whenever the space's
//! [`AddressSpace::epoch`] moves (unmap, protect, fork), which
//! [`CpuMemory::sync_epoch`] checks before every run. The write TLB never holds
//! a page with decoded code (a store there must take the slow path, which
//! records the page as dirty code), and a write hit still checks that the frame
//! is not shared with a forked space (copy-on-write).

use std::ops::{Deref, DerefMut};

use kvrm_isa::space::{page_of, PAGE_MASK};
use kvrm_isa::{watch_hit, Access, AddressSpace, FaultKind, MemFault, Watchpoint, PAGE_SIZE};

/// Entries of each TLB: 16 MiB of working set (a copy between two 1 MiB
/// buffers thrashed 256; a JVM's heap, code cache and two dozen thread
/// stacks missed 1,024 at 14 M refills a run, 4,096 at 11 M).
pub(crate) const TLB_ENTRIES: usize = 4096;
const _: () = assert!(TLB_ENTRIES.is_power_of_two() && TLB_ENTRIES <= 1 << 16);
const INVALID_TAG: u64 = u64::MAX;

/// One TLB entry: the page's tag and, for the JIT's inline lookup, `addend`,
/// the host address of the page's frame minus the page's guest address (so
/// the host address of guest byte `a` is `addend + a`, one add), and
/// `flat_tag`: the tag again if the page lies in the space's window (its
/// addend is the window's, [`CpuMemory::flat_addend`]), else invalid. With a
/// window the JIT checks `flat_tag` and adds the window's addend, which it
/// holds already: the host address no longer waits for the entry's load.
/// The layout is part of the JIT's contract: tag at 0, addend at 8, flat tag
/// at 16, 32 bytes (a shift indexes it). The host address stays valid while the entry does: frames
/// are freed only by unmap, which moves the epoch, and a copy-on-write copy
/// of a page drops the page's read entry (`write_slow`). The interpreter
/// uses the frame index, kept beside the entries in [`Tlb::frame`].
#[repr(C)]
#[derive(Clone, Copy)]
pub(crate) struct TlbEntry {
    tag: u64,
    addend: u64,
    flat_tag: u64,
    _pad: u64,
}

pub(crate) const TLB_ENTRY_SIZE: usize = std::mem::size_of::<TlbEntry>();
const _: () = {
    assert!(std::mem::offset_of!(TlbEntry, tag) == 0);
    assert!(std::mem::offset_of!(TlbEntry, addend) == 8);
    assert!(std::mem::offset_of!(TlbEntry, flat_tag) == 16);
    assert!(TLB_ENTRY_SIZE == 32);
};

const EMPTY_TLB: TlbEntry = TlbEntry {
    tag: INVALID_TAG,
    addend: 0,
    flat_tag: INVALID_TAG,
    _pad: 0,
};

/// A direct-mapped TLB: entries and, in a separate array (the JIT's entries
/// stay 32 bytes), their frame indices. The arrays (144 KiB) are allocated
/// at the first fill, or when compiled code asks for them: a space whose
/// machines never run on the host (a GPU lane's, save a rare fallback) costs
/// no TLB memory, which for 100,000 lanes is 30 GB less to zero and hold.
struct Tlb {
    arrays: Option<TlbArrays>,
    /// Slots filled since the last flush (up to `TLB_ENTRIES` of them; more
    /// sets `overflow`): a flush between two runs, which every syscall
    /// makes, clears just those.
    filled: Vec<u16>,
    overflow: bool,
}

struct TlbArrays {
    entry: Box<[TlbEntry; TLB_ENTRIES]>,
    frame: Box<[u32; TLB_ENTRIES]>,
}

impl Tlb {
    fn new() -> Tlb {
        Tlb {
            arrays: None,
            filled: Vec::new(),
            overflow: false,
        }
    }

    /// The arrays, allocated (all entries empty) if they were not.
    fn arrays(&mut self) -> &mut TlbArrays {
        self.arrays.get_or_insert_with(|| {
            // Built on the heap, not on the stack first.
            let entry = vec![EMPTY_TLB; TLB_ENTRIES].into_boxed_slice();
            let frame = vec![0; TLB_ENTRIES].into_boxed_slice();
            TlbArrays {
                entry: entry.try_into().unwrap_or_else(|_| unreachable!()),
                frame: frame.try_into().unwrap_or_else(|_| unreachable!()),
            }
        })
    }

    /// The entries, for the JIT's inline lookup (allocated now if needed).
    fn entries(&mut self) -> *const TlbEntry {
        self.arrays().entry.as_ptr()
    }

    /// The frame index cached for `page`, if any.
    #[inline(always)]
    fn lookup(&self, page: u64) -> Option<u32> {
        let slot = tlb_slot(page);
        let a = self.arrays.as_ref()?;
        (a.entry[slot].tag == page).then(|| a.frame[slot])
    }

    /// Is `page` cached with its flat tag (it lies in the space's window)?
    fn is_flat(&self, page: u64) -> bool {
        self.arrays
            .as_ref()
            .is_some_and(|a| a.entry[tlb_slot(page)].flat_tag == page)
    }

    fn fill(&mut self, page: u64, frame: u32, host: *const u8, flat_addend: Option<u64>) {
        let slot = tlb_slot(page);
        let addend = (host as u64).wrapping_sub(page << 12);
        let was_empty = self.arrays().entry[slot].tag == INVALID_TAG;
        if was_empty {
            if self.filled.len() < TLB_ENTRIES {
                self.filled.push(slot as u16);
            } else {
                self.overflow = true;
            }
        }
        let a = self.arrays();
        a.entry[slot] = TlbEntry {
            tag: page,
            addend,
            flat_tag: if flat_addend == Some(addend) {
                page
            } else {
                INVALID_TAG
            },
            _pad: 0,
        };
        a.frame[slot] = frame;
    }

    /// Forget `page`.
    fn drop_page(&mut self, page: u64) {
        let slot = tlb_slot(page);
        if let Some(a) = self.arrays.as_mut() {
            if a.entry[slot].tag == page {
                a.entry[slot] = EMPTY_TLB;
            }
        }
    }

    fn flush(&mut self) {
        if let Some(a) = self.arrays.as_mut() {
            if self.overflow {
                a.entry.fill(EMPTY_TLB);
            } else {
                for &slot in &self.filled {
                    a.entry[slot as usize] = EMPTY_TLB;
                }
            }
        }
        self.overflow = false;
        self.filled.clear();
    }
}

#[inline(always)]
fn tlb_slot(page: u64) -> usize {
    (page as usize) & (TLB_ENTRIES - 1)
}

fn flat_addend_of(space: &AddressSpace) -> Option<u64> {
    let c = space.contiguous()?;
    Some((c.as_ptr() as u64).wrapping_sub(c.guest_base()))
}

/// An address space with the interpreter's TLBs.
pub struct CpuMemory {
    space: AddressSpace,
    tlb_read: Tlb,
    tlb_write: Tlb,
    epoch: u64,
    /// The addend of every page in the space's contiguous backing (a window,
    /// or a host view's memory), if it has one.
    flat_addend: Option<u64>,
    /// Watchpoints, or `None`. While set, the TLBs are not filled, so every
    /// data access takes the slow paths, which check them.
    watch: Option<Box<WatchState>>,
    /// The space's [`AddressSpace::frames_replaced`] when the TLBs were
    /// last made to agree with it.
    frames_seen: u64,
}

struct WatchState {
    list: Vec<Watchpoint>,
    /// Checks apply (off for the instruction a run steps over).
    armed: bool,
    /// The access that hit: (lowest watched address, access).
    hit: Option<(u64, Access)>,
}

impl Deref for CpuMemory {
    type Target = AddressSpace;
    fn deref(&self) -> &AddressSpace {
        &self.space
    }
}

impl DerefMut for CpuMemory {
    fn deref_mut(&mut self) -> &mut AddressSpace {
        &mut self.space
    }
}

impl CpuMemory {
    pub fn new(space: AddressSpace) -> Self {
        let epoch = space.epoch();
        let flat_addend = flat_addend_of(&space);
        CpuMemory {
            space,
            tlb_read: Tlb::new(),
            tlb_write: Tlb::new(),
            epoch,
            flat_addend,
            watch: None,
            frames_seen: 0,
        }
    }

    /// Give the space a window (see [`AddressSpace::attach_window`]) if it
    /// can have one; the TLBs start again.
    pub fn attach_window(&mut self) {
        if self.flat_addend.is_none() && self.space.attach_window() {
            self.flat_addend = flat_addend_of(&self.space);
            self.epoch = self.space.epoch();
            self.flush_tlb();
        }
    }

    /// Host address minus guest address for every page of the space's
    /// contiguous backing, if it has one.
    pub fn flat_addend(&self) -> Option<u64> {
        self.flat_addend
    }

    /// Watch guest memory (an empty list removes the watchpoints): a data
    /// access that hits fails with a [`MemFault`] and is recorded, for
    /// [`Self::take_watch_hit`].
    pub fn set_watchpoints(&mut self, list: &[Watchpoint]) {
        self.flush_tlb();
        self.watch = (!list.is_empty()).then(|| {
            Box::new(WatchState {
                list: list.to_vec(),
                armed: false,
                hit: None,
            })
        });
    }

    /// Are watchpoints set?
    pub fn watching(&self) -> bool {
        self.watch.is_some()
    }

    /// Check the watchpoints on the next accesses (`false`: step over them)
    /// and forget any earlier hit.
    pub fn arm_watchpoints(&mut self, armed: bool) {
        if let Some(w) = self.watch.as_deref_mut() {
            w.armed = armed;
            w.hit = None;
        }
    }

    /// The watchpoint hit by the access that failed last, if one did.
    pub fn take_watch_hit(&mut self) -> Option<(u64, Access)> {
        self.watch.as_deref_mut().and_then(|w| w.hit.take())
    }

    /// Record and refuse an access of `len` bytes at `addr` that hits a
    /// watchpoint.
    #[inline]
    fn check_watch(&mut self, addr: u64, len: u64, access: Access) -> Result<(), MemFault> {
        if let Some(w) = self.watch.as_deref_mut() {
            if w.armed {
                if let Some(a) = watch_hit(&w.list, addr, len, access) {
                    w.hit = Some((a, access));
                    return Err(MemFault {
                        addr: a,
                        access,
                        kind: FaultKind::Unmapped,
                    });
                }
            }
        }
        Ok(())
    }

    /// The address space, without the TLBs.
    pub fn into_space(self) -> AddressSpace {
        self.space
    }

    /// Swap in another address space (a context switch); the TLBs are
    /// flushed.
    pub fn replace_space(&mut self, space: AddressSpace) -> AddressSpace {
        self.flush_tlb();
        self.epoch = space.epoch();
        self.flat_addend = flat_addend_of(&space);
        std::mem::replace(&mut self.space, space)
    }

    /// The read and write TLB arrays (`TLB_ENTRIES` entries each), for the
    /// JIT's inline lookup.
    pub(crate) fn tlb_arrays(&mut self) -> (*const TlbEntry, *const TlbEntry) {
        (self.tlb_read.entries(), self.tlb_write.entries())
    }

    pub fn flush_tlb(&mut self) {
        self.tlb_read.flush();
        self.tlb_write.flush();
    }

    /// Flush the TLBs if the space replaced a frame since they were filled
    /// (a host write between runs that copied a frame shared with a forked
    /// process, say): entries would keep the old frame's host address. Cheaper
    /// than a flush before every run, which made every syscall cost the
    /// refill of the working set.
    pub fn sync_frames(&mut self) {
        let now = self.space.frames_replaced();
        if now != self.frames_seen {
            self.frames_seen = now;
            self.flush_tlb();
        }
    }

    /// Flush the TLBs if the mappings changed since they were filled.
    #[inline(always)]
    pub fn sync_epoch(&mut self) {
        self.space.sync_shared();
        if self.space.epoch() != self.epoch {
            self.epoch = self.space.epoch();
            self.flat_addend = flat_addend_of(&self.space);
            self.flush_tlb();
        }
    }

    /// Read `N` bytes at `addr` (any alignment, may cross pages).
    #[inline(always)]
    pub fn read<const N: usize>(&mut self, addr: u64) -> Result<[u8; N], MemFault> {
        let off = (addr & PAGE_MASK) as usize;
        let page = page_of(addr);
        if off + N <= PAGE_SIZE as usize {
            if let Some(frame) = self.tlb_read.lookup(page).and_then(|i| self.space.frame(i)) {
                let mut out = [0u8; N];
                out.copy_from_slice(&frame[off..off + N]);
                return Ok(out);
            }
        }
        let mut out = [0u8; N];
        self.read_slow(addr, &mut out)?;
        Ok(out)
    }

    /// Write `N` bytes at `addr` (any alignment, may cross pages; all-or-nothing).
    #[inline(always)]
    pub fn write<const N: usize>(&mut self, addr: u64, bytes: [u8; N]) -> Result<(), MemFault> {
        let off = (addr & PAGE_MASK) as usize;
        let page = page_of(addr);
        if off + N <= PAGE_SIZE as usize {
            if let Some(idx) = self.tlb_write.lookup(page) {
                if let Some(frame) = self.space.frame_mut(idx) {
                    frame[off..off + N].copy_from_slice(&bytes);
                    return Ok(());
                }
            }
        }
        self.write_slow(addr, &bytes)
    }

    #[cold]
    fn read_slow(&mut self, addr: u64, out: &mut [u8]) -> Result<(), MemFault> {
        if addr.checked_add(out.len() as u64 - 1).is_none() {
            return Err(MemFault {
                addr,
                access: Access::Read,
                kind: FaultKind::Unmapped,
            });
        }
        // A watchpoint stops before the access, as the device does.
        self.check_watch(addr, out.len() as u64, Access::Read)?;
        let fill = self.watch.is_none();
        let mut done = 0usize;
        while done < out.len() {
            let a = addr + done as u64;
            let page = page_of(a);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(out.len() - done);
            // A page the TLB holds (one side of an access that straddles
            // two) needs no lookup in the space.
            let (idx, hit) = match self.tlb_read.lookup(page) {
                Some(idx) => (idx, true),
                None => (self.space.frame_index(page, Access::Read, a, false)?, false),
            };
            if let Some(f) = self.space.frame(idx) {
                out[done..done + n].copy_from_slice(&f[off..off + n]);
                if fill && !hit {
                    self.tlb_read.fill(page, idx, f.as_ptr(), self.flat_addend);
                }
            }
            done += n;
        }
        Ok(())
    }

    /// The fault a write of `len` bytes at `addr` would raise, if any (the
    /// check `write` makes before writing anything).
    pub fn check_write(&self, addr: u64, len: u64) -> Result<(), MemFault> {
        let last = addr.checked_add(len - 1).ok_or(MemFault {
            addr,
            access: Access::Write,
            kind: FaultKind::Unmapped,
        })?;
        for page in page_of(addr)..=page_of(last) {
            let a = (page << 12).max(addr);
            self.space.check_access(a, Access::Write)?;
        }
        Ok(())
    }

    #[cold]
    fn write_slow(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemFault> {
        // A watchpoint stops before the access, as the device does.
        self.check_watch(addr, bytes.len() as u64, Access::Write)?;
        // Check every page first, so a faulting write changes nothing. Pages
        // the write TLB holds (both sides of an access that straddles two,
        // most often) are writable, private and hold no code: no check.
        let last = addr.saturating_add(bytes.len() as u64 - 1);
        if (page_of(addr)..=page_of(last)).any(|p| self.tlb_write.lookup(p).is_none()) {
            self.check_write(addr, bytes.len() as u64)?;
        }
        let fill = self.watch.is_none();
        let mut done = 0usize;
        while done < bytes.len() {
            let a = addr + done as u64;
            let page = page_of(a);
            let off = (a & PAGE_MASK) as usize;
            let n = (PAGE_SIZE as usize - off).min(bytes.len() - done);
            if let Some(idx) = self.tlb_write.lookup(page) {
                if let Some(f) = self.space.frame_mut(idx) {
                    f[off..off + n].copy_from_slice(&bytes[done..done + n]);
                }
                done += n;
                continue;
            }
            let idx = self.space.frame_index(page, Access::Write, a, false)?;
            // The write may have copied a shared frame: the read entry's host
            // address would name the old copy.
            self.tlb_read.drop_page(page);
            // Code here, or shared memory that holds code at another
            // address (a JIT's writable view of its executable one).
            let code = self.space.is_code_page(page) || self.space.is_shared_code(page);
            if code {
                self.space.note_write(page);
            }
            if let Some(f) = self.space.frame_mut(idx) {
                f[off..off + n].copy_from_slice(&bytes[done..done + n]);
                if !code && fill {
                    self.tlb_write
                        .fill(page, idx, f.as_mut_ptr(), self.flat_addend);
                }
            }
            done += n;
        }
        Ok(())
    }

    /// For compiled code about to make a group of accesses to the `len`
    /// bytes at `addr` (at most a page, so at most two pages): put both
    /// pages in the read (or write) TLB as an access would, without
    /// accessing anything or raising a fault. True when the group may then
    /// go through the first page's entry: its bytes lie in that page, or
    /// in two pages of the window. False when a page would fault, holds
    /// code (writes), or two pages are not both in the window, or while
    /// watchpoints are set: the caller leaves for the interpreter, which
    /// makes the accesses one by one.
    pub(crate) fn fill_group_pages(&mut self, addr: u64, len: u64, write: bool) -> bool {
        let Some(last) = addr.checked_add(len.max(1) - 1) else {
            return false;
        };
        if self.watch.is_some() {
            return false;
        }
        let pages = [page_of(addr), page_of(last)];
        for page in pages {
            let tlb = if write {
                &self.tlb_write
            } else {
                &self.tlb_read
            };
            if tlb.lookup(page).is_none() && !self.fill_page(page, (page << 12).max(addr), write) {
                return false;
            }
        }
        let tlb = if write {
            &self.tlb_write
        } else {
            &self.tlb_read
        };
        pages[0] == pages[1] || pages.iter().all(|&p| tlb.is_flat(p))
    }

    /// Fill `page`'s entry as `read_slow` or `write_slow` would on an
    /// access at `addr`; false where that access would fault or not fill.
    fn fill_page(&mut self, page: u64, addr: u64, write: bool) -> bool {
        if !write {
            let Ok(idx) = self.space.frame_index(page, Access::Read, addr, false) else {
                return false;
            };
            let Some(f) = self.space.frame(idx) else {
                return false;
            };
            self.tlb_read.fill(page, idx, f.as_ptr(), self.flat_addend);
            return true;
        }
        // Stores into code must reach `write_slow`, which notes them.
        if self.space.is_code_page(page) || self.space.is_shared_code(page) {
            return false;
        }
        let Ok(idx) = self.space.frame_index(page, Access::Write, addr, false) else {
            return false;
        };
        // As in `write_slow`: the frame may have been copied.
        self.tlb_read.drop_page(page);
        let Some(f) = self.space.frame_mut(idx) else {
            return false;
        };
        self.tlb_write
            .fill(page, idx, f.as_mut_ptr(), self.flat_addend);
        true
    }

    /// Read a byte string as the guest would.
    pub fn read_bytes(&mut self, addr: u64, out: &mut [u8]) -> Result<(), MemFault> {
        if out.is_empty() {
            return Ok(());
        }
        self.read_slow(addr, out)
    }

    /// Write a byte string as the guest would (all or nothing).
    pub fn write_bytes(&mut self, addr: u64, bytes: &[u8]) -> Result<(), MemFault> {
        if bytes.is_empty() {
            return Ok(());
        }
        self.write_slow(addr, bytes)
    }

    /// Fetch an instruction word (marks the page as code: its write TLB
    /// entry goes).
    pub fn fetch_u32(&mut self, addr: u64) -> Result<u32, MemFault> {
        let w = self.space.fetch_u32(addr)?;
        self.tlb_write.drop_page(page_of(addr));
        if self.space.take_shared_code_added() {
            // Shared memory now holds code: other mappings of it may be in
            // the write TLB, and their stores must reach write_slow.
            self.tlb_write.flush();
        }
        Ok(w)
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
    use kvrm_isa::space::Perms;

    /// An access that straddles two pages: through the TLB once both pages
    /// are in it, and still all-or-nothing when the second page loses its
    /// write permission (the protect flushes the TLB).
    #[test]
    fn straddling_accesses_use_the_tlb_and_stay_exact() {
        for window in [false, true] {
            let mut space = AddressSpace::new();
            space.map(0x10000, 0x2000, Perms::RW).unwrap();
            let mut mem = CpuMemory::new(space);
            if window {
                mem.attach_window();
            }
            mem.sync_epoch();
            // Both pages in both TLBs.
            mem.write_u64(0x10ff0, 1).unwrap();
            mem.write_u64(0x11000, 2).unwrap();
            assert_eq!(mem.read_u64(0x10ff0).unwrap(), 1);
            assert_eq!(mem.read_u64(0x11000).unwrap(), 2);
            let v = 0x0f0e_0d0c_0b0a_0908_0706_0504_0302_0100u128;
            mem.write_u128(0x10ffc, v).unwrap();
            assert_eq!(mem.read_u128(0x10ffc).unwrap(), v, "window {window}");
            assert_eq!(mem.read_u32(0x10ffc).unwrap(), 0x0302_0100);
            assert_eq!(mem.read_u32(0x11000).unwrap(), 0x0706_0504);

            mem.protect(0x11000, 0x1000, Perms::R).unwrap();
            mem.sync_epoch();
            let e = mem.write_u128(0x10ffc, 0).unwrap_err();
            assert_eq!(e.access, Access::Write);
            // Nothing written, not even on the writable page.
            assert_eq!(mem.read_u128(0x10ffc).unwrap(), v, "window {window}");
        }
    }
}
