//! Memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, msync. `MAP_SHARED`
//! mappings are backed by host shared memory (`crate::shared`).

use std::sync::Arc;

use kvrm_isa::space::SharedBacking;
use kvrm_isa::{AddressSpace, Perms, PAGE_SIZE};

use super::{LinuxProcess, SysResult};
use crate::abi::{errno::*, layout, mman::*};
use crate::fd::LockFile;
use crate::shared::HostShared;

const PAGE_MASK: u64 = PAGE_SIZE - 1;
use crate::abi::layout::USER_TOP;

/// A backing and its first page, for pages that continue a shared mapping.
type SharedTail = (Arc<dyn SharedBacking>, u64);

fn page_up(len: u64) -> Option<u64> {
    len.checked_add(PAGE_MASK).map(|l| l & !PAGE_MASK)
}

/// Guest PROT_* to page permissions (arm64: write implies read).
fn prot_perms(prot: u64) -> Result<Perms, i64> {
    // PROT_GROWSDOWN / PROT_GROWSUP are accepted and ignored; PROT_BTI/MTE are not.
    if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | 0x0100_0000 | 0x0200_0000) != 0 {
        return Err(EINVAL);
    }
    let mut p = 0u8;
    if prot & PROT_READ != 0 {
        p |= Perms::R.0;
    }
    if prot & PROT_WRITE != 0 {
        p |= Perms::R.0 | Perms::W.0;
    }
    if prot & PROT_EXEC != 0 {
        p |= Perms::X.0;
    }
    Ok(Perms(p))
}

impl LinuxProcess {
    /// The memory limit: may `len` more bytes be mapped (accessible)?
    fn charge(&self, len: u64, perms: Perms) -> Result<(), i64> {
        if perms != Perms::NONE && len > self.commit_room {
            return Err(ENOMEM);
        }
        Ok(())
    }

    pub(crate) fn sys_brk(&mut self, mem: &mut AddressSpace, addr: u64) -> SysResult {
        if addr < self.brk_start {
            return Ok(self.brk_cur);
        }
        let old_top = page_up(self.brk_cur).unwrap_or(u64::MAX);
        let new_top = match page_up(addr) {
            Some(t) if t <= layout::MMAP_TOP => t,
            _ => return Ok(self.brk_cur),
        };
        if new_top > old_top {
            if mem.overlaps(old_top, new_top) || self.charge(new_top - old_top, Perms::RW).is_err()
            {
                return Ok(self.brk_cur);
            }
            if mem.map(old_top, new_top - old_top, Perms::RW).is_err() {
                return Ok(self.brk_cur);
            }
        } else if new_top < old_top && mem.unmap(new_top, old_top - new_top).is_err() {
            return Ok(self.brk_cur);
        }
        self.brk_cur = addr;
        Ok(addr)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn sys_mmap(
        &mut self,
        mem: &mut AddressSpace,
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        fd: u64,
        off: u64,
    ) -> SysResult {
        if len == 0 || off & PAGE_MASK != 0 {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(ENOMEM)?;
        if len > USER_TOP {
            return Err(ENOMEM);
        }
        let perms = prot_perms(prot)?;
        self.charge(len, perms)?;
        let ty = flags & MAP_TYPE;
        if ty != MAP_SHARED && ty != MAP_PRIVATE && ty != MAP_SHARED_VALIDATE {
            return Err(EINVAL);
        }
        let anon = flags & MAP_ANONYMOUS != 0;
        let shared = ty != MAP_PRIVATE;
        // File contents (or the shared backing) first, so a bad descriptor
        // changes no mapping.
        let mut backing: Option<Arc<dyn SharedBacking>> = None;
        let contents = if anon {
            if shared {
                backing = Some(HostShared::anonymous(len / PAGE_SIZE)?);
            }
            None
        } else {
            if off.checked_add(len).is_none() {
                return Err(EOVERFLOW);
            }
            if shared {
                backing = self.shared_file(fd, off, len, prot)?;
            }
            if backing.is_some() {
                None
            } else {
                Some(self.read_fd_at(fd, off, len as usize)?)
            }
        };
        let fixed = flags & MAP_FIXED != 0;
        let noreplace = flags & MAP_FIXED_NOREPLACE != 0;
        let base = if fixed || noreplace {
            if addr & PAGE_MASK != 0 {
                return Err(EINVAL);
            }
            if addr < PAGE_SIZE || addr.checked_add(len).is_none_or(|e| e > USER_TOP) {
                return Err(if noreplace { EEXIST } else { ENOMEM });
            }
            if !fixed && mem.overlaps(addr, addr + len) {
                return Err(EEXIST);
            }
            mem.map_fixed(addr, len, perms).map_err(|_| ENOMEM)?;
            addr
        } else {
            let hint = addr & !PAGE_MASK;
            let base = if hint >= layout::MMAP_MIN
                && hint.checked_add(len).is_some_and(|e| e <= USER_TOP)
                && !mem.overlaps(hint, hint + len)
            {
                hint
            } else {
                mem.find_free_below(len, layout::MMAP_MIN, self.mmap_top)
                    .map_err(|_| ENOMEM)?
            };
            mem.map(base, len, perms).map_err(|_| ENOMEM)?;
            base
        };
        if let Some(bytes) = contents {
            if mem.write_bytes_force(base, &bytes).is_err() {
                let _ = mem.unmap(base, len);
                return Err(ENOMEM);
            }
        }
        if let Some(b) = backing {
            if mem.attach_shared(base, len, b, 0).is_err() {
                let _ = mem.unmap(base, len);
                return Err(ENOMEM);
            }
        }
        self.name_mapping(base, len, (!anon).then_some((fd, off)));
        self.mlocked.mapped(base, base + len);
        Ok(base)
    }

    /// The backing of a `MAP_SHARED` mapping of `len` bytes of file `fd` from
    /// `off`; `None` for files that are not regular files (their bytes are
    /// copied, as for a private mapping).
    fn shared_file(
        &self,
        fd: u64,
        off: u64,
        len: u64,
        prot: u64,
    ) -> Result<Option<Arc<dyn SharedBacking>>, i64> {
        use crate::abi::open::{O_ACCMODE, O_PATH, O_RDWR, O_WRONLY};
        let f = self.fds.get(fd)?;
        let f = f.lock_file();
        if f.status & O_PATH != 0 {
            return Err(EBADF);
        }
        if f.is_dir {
            return Err(ENODEV);
        }
        let mode = f.status & O_ACCMODE;
        if mode == O_WRONLY {
            return Err(EACCES);
        }
        let writable = mode == O_RDWR;
        if prot & PROT_WRITE != 0 && !writable {
            return Err(EACCES);
        }
        match HostShared::file(f.host.raw(), off, len / PAGE_SIZE, writable) {
            Ok(b) => Ok(Some(b)),
            Err(ENODEV) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// msync: write shared file pages of the range back to the file.
    pub(crate) fn sys_msync(
        &mut self,
        mem: &mut AddressSpace,
        addr: u64,
        len: u64,
        flags: u64,
    ) -> SysResult {
        const MS_ASYNC: u64 = 1;
        const MS_INVALIDATE: u64 = 2;
        const MS_SYNC: u64 = 4;
        if addr & PAGE_MASK != 0
            || flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || flags & (MS_ASYNC | MS_SYNC) == (MS_ASYNC | MS_SYNC)
        {
            return Err(EINVAL);
        }
        let Some(end) = mapped_range_end(mem, addr, len)? else {
            return Ok(0);
        };
        // Stores are in the host page cache already; MS_SYNC also asks the
        // host to write them to the disk.
        if flags & MS_SYNC != 0 {
            for p in mem.shared_pieces(addr, end) {
                if !p.backing.sync(p.first, (p.end - p.start) / PAGE_SIZE) {
                    return Err(EIO);
                }
            }
        }
        Ok(0)
    }

    pub(crate) fn sys_munmap(&mut self, mem: &mut AddressSpace, addr: u64, len: u64) -> SysResult {
        if addr & PAGE_MASK != 0 || len == 0 {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(EINVAL)?;
        if addr.checked_add(len).is_none_or(|e| e > USER_TOP) {
            return Err(EINVAL);
        }
        mem.unmap(addr, len).map_err(|_| EINVAL)?;
        self.name_mapping(addr, len, None);
        self.mlocked.unmapped(addr, addr + len);
        Ok(0)
    }

    pub(crate) fn sys_mprotect(
        &mut self,
        mem: &mut AddressSpace,
        addr: u64,
        len: u64,
        prot: u64,
    ) -> SysResult {
        if addr & PAGE_MASK != 0 {
            return Err(EINVAL);
        }
        let perms = prot_perms(prot)?;
        let Some(end) = mapped_range_end(mem, addr, len)? else {
            return Ok(0);
        };
        if perms.write()
            && mem
                .shared_pieces(addr, end)
                .iter()
                .any(|p| !p.backing.writable())
        {
            // A shared mapping of a file not open for writing.
            return Err(EACCES);
        }
        // The length as the kernel takes it, whole pages.
        mem.protect(addr, end - addr, perms).map_err(|_| ENOMEM)?;
        Ok(0)
    }

    pub(crate) fn sys_mremap(
        &mut self,
        mem: &mut AddressSpace,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> SysResult {
        if old & PAGE_MASK != 0
            || flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
            || flags & MREMAP_DONTUNMAP != 0
        {
            return Err(EINVAL);
        }
        let old_len = page_up(old_len).ok_or(EINVAL)?;
        let new_len = page_up(new_len).ok_or(EINVAL)?;
        if new_len == 0 || old_len == 0 {
            return Err(EINVAL);
        }
        let old_end = old.checked_add(old_len).ok_or(EFAULT)?;
        if !mem.fully_mapped(old, old_end) {
            return Err(EFAULT);
        }
        let perms = mem.perms_at(old).ok_or(EFAULT)?;
        if new_len > old_len {
            self.charge(new_len - old_len, perms)?;
        }
        if flags & MREMAP_FIXED == 0 {
            if new_len <= old_len {
                if new_len < old_len {
                    mem.unmap(old + new_len, old_len - new_len)
                        .map_err(|_| EINVAL)?;
                }
                return Ok(old);
            }
            // Grow in place if the pages after are free.
            let grow_end = old.checked_add(new_len).ok_or(ENOMEM)?;
            if grow_end <= USER_TOP && !mem.overlaps(old_end, grow_end) {
                let tail = mem.perms_at(old_end - 1).unwrap_or(perms);
                let more = Self::shared_tail(mem, old, old_end, new_len - old_len)?;
                mem.map(old_end, new_len - old_len, tail)
                    .map_err(|_| ENOMEM)?;
                if let Some((b, first)) = more {
                    let _ = mem.attach_shared(old_end, new_len - old_len, b, first);
                }
                return Ok(old);
            }
            if flags & MREMAP_MAYMOVE == 0 {
                return Err(ENOMEM);
            }
        }
        // Move: copy the old pages (with their permissions) to a new range.
        let dest = if flags & MREMAP_FIXED != 0 {
            if new_addr & PAGE_MASK != 0 {
                return Err(EINVAL);
            }
            let d_end = new_addr.checked_add(new_len).ok_or(EINVAL)?;
            if new_addr < old_end && old < d_end {
                return Err(EINVAL);
            }
            mem.unmap(new_addr, new_len).map_err(|_| EINVAL)?;
            new_addr
        } else {
            mem.find_free_below(new_len, layout::MMAP_MIN, self.mmap_top)
                .map_err(|_| ENOMEM)?
        };
        let keep = old_len.min(new_len);
        let regions: Vec<_> = mem
            .regions()
            .into_iter()
            .filter(|r| r.end > old && r.start < old + keep)
            .collect();
        // Shared pieces move as they are (the same backing at the new address).
        let shared = mem.shared_pieces(old, old + keep);
        let more = if new_len > keep {
            Self::shared_tail(mem, old, old + keep, new_len - keep)?
        } else {
            None
        };
        mem.map(dest, new_len, Perms::RW).map_err(|_| ENOMEM)?;
        let mut buf = vec![0u8; PAGE_SIZE as usize];
        for r in &regions {
            let s = r.start.max(old);
            let e = r.end.min(old + keep);
            if !r.perms.read() {
                let _ = mem.protect(s, e - s, Perms::R);
            }
            let mut a = s;
            while a < e {
                let in_shared = shared.iter().any(|p| (p.start..p.end).contains(&a));
                if !in_shared && mem.read_bytes(a, &mut buf).is_ok() {
                    let _ = mem.write_bytes_force(dest + (a - old), &buf);
                }
                a += PAGE_SIZE;
            }
        }
        for p in shared {
            let _ = mem.attach_shared(dest + (p.start - old), p.end - p.start, p.backing, p.first);
        }
        if let Some((b, first)) = more {
            let _ = mem.attach_shared(dest + keep, new_len - keep, b, first);
        }
        for r in &regions {
            let s = r.start.max(old);
            let e = r.end.min(old + keep);
            let _ = mem.protect(dest + (s - old), e - s, r.perms);
        }
        if new_len > keep {
            let tail = regions.last().map(|r| r.perms).unwrap_or(perms);
            let _ = mem.protect(dest + keep, new_len - keep, tail);
        }
        mem.unmap(old, old_len).map_err(|_| EINVAL)?;
        Ok(dest)
    }

    /// Growing a mapping whose last page `[.., end)` is shared: the backing
    /// of `extra` more bytes that continue it (the next pages of the file,
    /// or new shared anonymous memory).
    fn shared_tail(
        mem: &AddressSpace,
        start: u64,
        end: u64,
        extra: u64,
    ) -> Result<Option<SharedTail>, i64> {
        let Some(last) = mem.shared_pieces(start, end).pop() else {
            return Ok(None);
        };
        if last.end != end {
            return Ok(None);
        }
        let next = last.first + (last.end - last.start) / PAGE_SIZE;
        if last.backing.pages() - next >= extra / PAGE_SIZE {
            // The mapping was shrunk before: its backing still has the pages.
            return Ok(Some((last.backing, next)));
        }
        last.backing
            .following(extra / PAGE_SIZE)
            .map(|b| Some((b, 0)))
            .ok_or(ENOMEM)
    }

    pub(crate) fn sys_madvise(
        &mut self,
        mem: &mut AddressSpace,
        addr: u64,
        len: u64,
        advice: u64,
    ) -> SysResult {
        const MADV_DONTNEED: u64 = 4;
        const MADV_FREE: u64 = 8;
        if addr & PAGE_MASK != 0 {
            return Err(EINVAL);
        }
        let len = page_up(len).ok_or(EINVAL)?;
        if len == 0 {
            return Ok(0);
        }
        let end = addr.checked_add(len).ok_or(EINVAL)?;
        if advice == MADV_DONTNEED || advice == MADV_FREE {
            if !mem.fully_mapped(addr, end) {
                return Err(ENOMEM);
            }
            // Drop the pages: they read back as zero (anonymous private memory).
            let regions: Vec<_> = mem
                .regions()
                .into_iter()
                .filter(|r| r.end > addr && r.start < end)
                .collect();
            // Shared pages keep their contents (they are the file's or
            // other processes' as well).
            let shared = mem.shared_pieces(addr, end);
            for r in regions {
                let s = r.start.max(addr);
                let e = r.end.min(end);
                let _ = mem.unmap(s, e - s);
                let _ = mem.map(s, e - s, r.perms);
            }
            for p in shared {
                let _ = mem.attach_shared(p.start, p.end - p.start, p.backing, p.first);
            }
        }
        Ok(0)
    }
}

/// The end of the whole pages from `addr` that cover `len` bytes, which must
/// all be mapped (ENOMEM otherwise, as msync and mprotect answer); `None`
/// for an empty range.
fn mapped_range_end(mem: &AddressSpace, addr: u64, len: u64) -> Result<Option<u64>, i64> {
    let len = page_up(len).ok_or(ENOMEM)?;
    if len == 0 {
        return Ok(None);
    }
    let end = addr.checked_add(len).ok_or(ENOMEM)?;
    if !mem.fully_mapped(addr, end) {
        return Err(ENOMEM);
    }
    Ok(Some(end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_only_is_readable_on_arm64() {
        assert_eq!(prot_perms(PROT_WRITE).unwrap(), Perms::RW);
        assert_eq!(prot_perms(0).unwrap(), Perms::NONE);
        assert_eq!(prot_perms(0x10).unwrap_err(), EINVAL);
    }
}
