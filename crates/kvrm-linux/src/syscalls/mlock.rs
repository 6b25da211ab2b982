//! mlock, mlock2, munlock, mlockall, munlockall. kvrm never pages guest memory
//! out, so locking changes nothing about the memory itself; the calls are
//! checked and accounted as Linux does, because programs act on their results
//! (gpg and other crypto code warn "using insecure memory" when mlock fails):
//!
//! - The range is widened to whole pages; every page of it must be mapped
//!   (ENOMEM for a hole); an empty range succeeds; mlock2 knows only
//!   MLOCK_ONFAULT (EINVAL for other flags). A PROT_NONE page is locked but
//!   cannot be faulted in: ENOMEM, unless MLOCK_ONFAULT.
//! - Without privilege (uid 0 stands for CAP_IPC_LOCK here), locking needs a
//!   non-zero RLIMIT_MEMLOCK (EPERM) and the locked total, this range
//!   included, must stay within it (ENOMEM); mlockall(MCL_CURRENT) compares
//!   the whole mapped size with it.
//! - mlockall wants MCL_CURRENT and/or MCL_FUTURE, MCL_ONFAULT only with one
//!   of them (EINVAL). With MCL_FUTURE, later mappings are locked too.
//! - munmap and a mapping made over a locked range unlock it; a forked child
//!   and a new program (execve) start with nothing locked.

use kvrm_isa::{AddressSpace, PAGE_SIZE};

use super::{LinuxProcess, SysResult};
use crate::abi::errno::*;

const MLOCK_ONFAULT: u64 = 1;
const MCL_CURRENT: u64 = 1;
const MCL_FUTURE: u64 = 2;
const MCL_ONFAULT: u64 = 4;
/// RLIMIT_MEMLOCK's index in `LinuxProcess::rlimits`.
const RLIMIT_MEMLOCK: usize = 8;

/// The locked ranges of a process (page-aligned, sorted, disjoint) and
/// mlockall's MCL_FUTURE.
#[derive(Debug, Clone, Default)]
pub(crate) struct MemLocks {
    ranges: Vec<(u64, u64)>,
    future: bool,
}

impl MemLocks {
    /// Bytes locked.
    pub fn total(&self) -> u64 {
        self.ranges.iter().map(|(s, e)| e - s).sum()
    }

    /// Bytes of `start..end` not locked yet.
    fn unlocked_in(&self, start: u64, end: u64) -> u64 {
        let locked: u64 = self
            .ranges
            .iter()
            .map(|&(s, e)| e.min(end).saturating_sub(s.max(start)))
            .sum();
        (end - start) - locked
    }

    fn lock(&mut self, start: u64, end: u64) {
        self.unlock(start, end);
        self.ranges.push((start, end));
        self.ranges.sort_unstable();
        // Merge neighbours.
        let mut out: Vec<(u64, u64)> = Vec::with_capacity(self.ranges.len());
        for &(s, e) in &self.ranges {
            match out.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => out.push((s, e)),
            }
        }
        self.ranges = out;
    }

    fn unlock(&mut self, start: u64, end: u64) {
        let mut out = Vec::with_capacity(self.ranges.len() + 1);
        for &(s, e) in &self.ranges {
            if e <= start || s >= end {
                out.push((s, e));
                continue;
            }
            if s < start {
                out.push((s, start));
            }
            if e > end {
                out.push((end, e));
            }
        }
        self.ranges = out;
    }

    /// `start..end` was mapped anew: unlocked, unless MCL_FUTURE locks it.
    pub fn mapped(&mut self, start: u64, end: u64) {
        if self.future {
            self.lock(start, end);
        } else {
            self.unlock(start, end);
        }
    }

    /// `start..end` was unmapped.
    pub fn unmapped(&mut self, start: u64, end: u64) {
        self.unlock(start, end);
    }
}

/// Is every page of `start..end` mapped?
fn all_mapped(mem: &AddressSpace, start: u64, end: u64) -> bool {
    let mut regions = mem.regions();
    regions.sort_by_key(|r| r.start);
    let mut at = start;
    for r in regions {
        if at >= end {
            break;
        }
        if r.end <= at {
            continue;
        }
        if r.start > at {
            return false;
        }
        at = r.end;
    }
    at >= end
}

/// Does `start..end` hold a page with no access (PROT_NONE)? Linux locks it
/// but cannot fault it in: mlock without MLOCK_ONFAULT fails with ENOMEM.
fn has_inaccessible(mem: &AddressSpace, start: u64, end: u64) -> bool {
    mem.regions().iter().any(|r| {
        r.start < end && r.end > start && !(r.perms.read() || r.perms.write() || r.perms.exec())
    })
}

/// `addr..addr+len` widened to whole pages (EINVAL if it wraps).
fn page_range(addr: u64, len: u64) -> Result<(u64, u64), i64> {
    let start = addr & !(PAGE_SIZE - 1);
    let end = addr
        .checked_add(len)
        .and_then(|e| e.checked_next_multiple_of(PAGE_SIZE))
        .ok_or(EINVAL)?;
    Ok((start, end))
}

impl LinuxProcess {
    /// uid 0 stands for CAP_IPC_LOCK.
    fn may_lock_any(&self) -> bool {
        self.uid == 0
    }

    /// mlock(addr, len) and mlock2(addr, len, flags); munlock(addr, len)
    /// with `lock` false.
    pub(crate) fn sys_mlock(
        &mut self,
        mem: &AddressSpace,
        addr: u64,
        len: u64,
        flags: u64,
        lock: bool,
    ) -> SysResult {
        if flags & !MLOCK_ONFAULT != 0 {
            return Err(EINVAL);
        }
        let limit = self.rlimits[RLIMIT_MEMLOCK][0];
        if lock && !self.may_lock_any() && limit == 0 {
            return Err(EPERM);
        }
        let (start, end) = page_range(addr, len)?;
        if lock && !self.may_lock_any() {
            let after = self.mlocked.total() + self.mlocked.unlocked_in(start, end);
            if after > limit {
                return Err(ENOMEM);
            }
        }
        if start == end {
            return Ok(0);
        }
        if !all_mapped(mem, start, end) {
            return Err(ENOMEM);
        }
        if lock {
            self.mlocked.lock(start, end);
            if flags & MLOCK_ONFAULT == 0 && has_inaccessible(mem, start, end) {
                return Err(ENOMEM);
            }
        } else {
            self.mlocked.unlock(start, end);
        }
        Ok(0)
    }

    /// mlockall(flags).
    pub(crate) fn sys_mlockall(&mut self, mem: &AddressSpace, flags: u64) -> SysResult {
        if flags == 0
            || flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0
            || flags == MCL_ONFAULT
        {
            return Err(EINVAL);
        }
        let limit = self.rlimits[RLIMIT_MEMLOCK][0];
        if !self.may_lock_any() && limit == 0 {
            return Err(EPERM);
        }
        let regions = mem.regions();
        if flags & MCL_CURRENT != 0 && !self.may_lock_any() {
            let size: u64 = regions.iter().map(|r| r.end - r.start).sum();
            if size > limit {
                return Err(ENOMEM);
            }
        }
        self.mlocked.future = flags & MCL_FUTURE != 0;
        if flags & MCL_CURRENT != 0 {
            for r in regions {
                self.mlocked.lock(r.start, r.end);
            }
        }
        Ok(0)
    }

    /// munlockall().
    pub(crate) fn sys_munlockall(&mut self) -> SysResult {
        self.mlocked = MemLocks::default();
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_split_and_count() {
        let mut m = MemLocks::default();
        m.lock(0x1000, 0x3000);
        m.lock(0x3000, 0x5000);
        assert_eq!(m.ranges, vec![(0x1000, 0x5000)]);
        assert_eq!(m.unlocked_in(0x4000, 0x6000), 0x1000);
        m.unlock(0x2000, 0x3000);
        assert_eq!(m.ranges, vec![(0x1000, 0x2000), (0x3000, 0x5000)]);
        assert_eq!(m.total(), 0x3000);
        m.future = true;
        m.mapped(0x8000, 0x9000);
        assert_eq!(m.total(), 0x4000);
        m.unmapped(0, 0x10000);
        assert_eq!(m.total(), 0);
    }

    #[test]
    fn ranges_are_widened_to_pages() {
        assert_eq!(page_range(0x1010, 0x10), Ok((0x1000, 0x2000)));
        assert_eq!(page_range(0x1000, 0), Ok((0x1000, 0x1000)));
        assert_eq!(page_range(u64::MAX - 10, 100), Err(EINVAL));
    }
}
