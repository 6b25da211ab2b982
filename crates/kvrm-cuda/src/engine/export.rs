//! Device memory handed out of the engine: the guest memory of a space as
//! one piece of device memory (for `__cuda_array_interface__` and DLPack
//! views), kept coherent with the host copy.
//!
//! The device copy of an exported range is the true one: anything with the
//! pointer (PyTorch, CuPy, another kernel) may write it. So before each run
//! and before each host access ([`CudaEngine::refresh_exports`]) the host copy
//! of exported pages is read back from the device, after the host's own
//! writes went up. A view stays valid until the space's mappings change or
//! the pool outgrows its allocation (the old one is kept alive, so a stale
//! pointer reads old data, never freed memory).

use kvrm_isa::space::{page_of, PAGE_SHIFT, PAGE_SIZE};
use kvrm_isa::{Access, SpaceId};

use super::CudaEngine;
use crate::devmem::DevSpace;
use crate::error::CudaError;

/// A range of guest memory as device memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeviceRange {
    /// Device address of the range's first byte.
    pub ptr: u64,
    pub len: u64,
    /// The CUDA device ordinal it lives on.
    pub device: usize,
}

impl CudaEngine {
    /// Guest memory `[addr, addr + len)` of `space` as one range of device
    /// memory, without copying. The range must be mapped. The whole space's
    /// pages move to consecutive device frames once (later calls reuse them).
    pub fn export_range(
        &mut self,
        space: SpaceId,
        addr: u64,
        len: u64,
    ) -> Result<DeviceRange, CudaError> {
        let end = addr.checked_add(len).filter(|_| len > 0).ok_or_else(|| {
            CudaError::Driver(format!("empty or wrapping range {addr:#x}+{len:#x}"))
        })?;
        if !self.space_slot(space).cpu.mem.fully_mapped(addr, end) {
            return Err(CudaError::Driver(format!(
                "{addr:#x}..{end:#x} is not fully mapped"
            )));
        }
        // Earlier views may hold device writes the host copy lacks.
        self.refresh_exports(space)?;
        self.sync_space(space)?;
        // The pages move to fresh frames, filled from the host copy.
        self.bring_in_space(space)?;
        let slot = self.spaces[space.0 as usize]
            .as_mut()
            .expect("kvrm: no such address space");
        let dev = slot.dev.as_mut().expect("a synced space has a table");
        dev.make_contiguous(
            &self.gpu,
            &mut self.pool,
            &mut slot.cpu.mem,
            &mut self.traffic,
        )?;
        let frame = dev
            .frame_of(page_of(addr))
            .expect("make_contiguous gives every page a frame");
        self.pool.exported = true;
        let ranges = self.exports.entry(space.0).or_default();
        if !ranges.contains(&(addr, end)) {
            ranges.push((addr, end));
        }
        Ok(DeviceRange {
            ptr: self.gpu.address(&self.pool.memory.lock())
                + ((frame as u64) << PAGE_SHIFT)
                + (addr & (PAGE_SIZE - 1)),
            len,
            device: self.gpu.ordinal(),
        })
    }

    /// Bring the host copy of `space`'s exported ranges up to date with
    /// the device, then send the host's own pending writes up. A page the
    /// host wrote since the last sync keeps the host's bytes.
    pub fn refresh_exports(&mut self, space: SpaceId) -> Result<(), CudaError> {
        let Some(ranges) = self.exports.get(&space.0).cloned() else {
            return Ok(());
        };
        let slot = self.spaces[space.0 as usize]
            .as_mut()
            .expect("kvrm: no such address space");
        // Views may have changed pages the space's source has copies of.
        slot.source.forget_cached();
        if let Some(dev) = slot.dev.as_ref() {
            let mem = &mut *slot.cpu.mem;
            let candidates: Vec<u64> = ranges
                .iter()
                .flat_map(|&(start, end)| page_of(start)..=page_of(end - 1))
                .filter(|&p| !mem.is_host_dirty(p))
                .collect();
            let mut pages: Vec<(u64, u32)> = Vec::new();
            for p in candidates {
                if mem.is_stale(p) {
                    // Read from the device when touched: nothing to copy,
                    // but a view may have written code there.
                    mem.note_write(p);
                } else if let Some(f) = dev.frame_of(p) {
                    pages.push((p, f));
                }
            }
            pages.sort_unstable();
            pages.dedup();
            // Consecutive frames come back in one copy.
            let mut i = 0;
            while i < pages.len() {
                let mut j = i + 1;
                while j < pages.len() && pages[j].1 == pages[j - 1].1.wrapping_add(1) {
                    j += 1;
                }
                let mut buf = vec![0u8; (j - i) << PAGE_SHIFT];
                self.gpu.read(
                    &self.pool.memory.lock(),
                    (pages[i].1 as usize) << PAGE_SHIFT,
                    &mut buf,
                )?;
                for (k, &(page, _)) in pages[i..j].iter().enumerate() {
                    let bytes = &buf[k << PAGE_SHIFT..(k + 1) << PAGE_SHIFT];
                    let addr = page << PAGE_SHIFT;
                    let Ok(idx) = mem.frame_index(page, Access::Write, addr, true) else {
                        continue; // unmapped since
                    };
                    if let Some(f) = mem.frame_mut(idx) {
                        if f[..] != *bytes {
                            f.copy_from_slice(bytes);
                            mem.note_write(page);
                            self.traffic.pages_down += 1;
                        }
                    }
                }
                i = j;
            }
        }
        self.sync_space(space)
    }

    /// Upload the host's pending writes to `space`'s device copy (building
    /// its table if it has none).
    pub(super) fn sync_space(&mut self, space: SpaceId) -> Result<(), CudaError> {
        // Frames of removed spaces dropped since: free for new pages.
        let returned = self.pool.memory.take_returned();
        self.pool.release(returned);
        let slot = self.spaces[space.0 as usize]
            .as_mut()
            .expect("kvrm: no such address space");
        // A space replaced wholesale (`space_mut`) lost the source.
        slot.install_source(self.lazy_downloads);
        let source = slot.lazy_source().map(|_| slot.source.clone());
        let extra = std::mem::take(&mut slot.extra_dirty);
        DevSpace::sync_before(
            &mut slot.dev,
            &self.gpu,
            &mut self.pool,
            &mut slot.cpu.mem,
            extra,
            source.as_deref().map(|s| (&self.gather, s)),
            &mut self.traffic,
        )
    }
}
