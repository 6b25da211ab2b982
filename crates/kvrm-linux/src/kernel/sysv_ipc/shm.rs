//! System V shared memory segments: their memory, times and pids, and the
//! structs shmctl copies out.
//!
//! A segment's memory is shared anonymous host memory ([`HostShared`], the
//! memory of `MAP_SHARED|MAP_ANONYMOUS` mappings), attached to a guest space
//! with `AddressSpace::attach_shared`: every process that attaches it, and
//! every child that `fork` hands an attachment to, reads and writes the same
//! bytes, process-shared futexes in it are keyed by their place in it, and
//! the CUDA backend gives each of its pages one device frame. An attachment
//! is a shared range of a space whose object is the segment's, so a
//! segment's attach count is counted from the live spaces, never kept by
//! hand: munmap, exec and exit drop attachments as they drop any mapping.

use std::sync::Arc;

use kvrm_isa::space::{SharedBacking, SharedObject};
use kvrm_isa::PAGE_SIZE;

use super::ids::{put_u32, put_u64, Perm, IPC64_PERM_SIZE};
use crate::shared::HostShared;

/// shmat flags.
pub(crate) const SHM_RDONLY: u32 = 0o10000;
pub(crate) const SHM_RND: u32 = 0o20000;
pub(crate) const SHM_REMAP: u32 = 0o40000;
pub(crate) const SHM_EXEC: u32 = 0o100000;
/// Mode bits: marked for removal once the last attachment goes; locked.
pub(crate) const SHM_DEST: u32 = 0o1000;
pub(crate) const SHM_LOCKED: u32 = 0o2000;
/// shmctl commands besides the IPC_* ones.
pub(crate) const SHM_LOCK: i32 = 11;
pub(crate) const SHM_UNLOCK: i32 = 12;
pub(crate) const SHM_STAT: i32 = 13;
pub(crate) const SHM_INFO: i32 = 14;
pub(crate) const SHM_STAT_ANY: i32 = 15;

/// Linux's defaults: segments (SHMMNI), smallest and largest segment
/// (SHMMIN, SHMMAX), pages of all segments (SHMALL), segments one process
/// may attach (SHMSEG, reported only). Segments are bounded by the guests'
/// memory limit as well (ENOMEM).
pub(crate) const SHMMNI: usize = 4096;
pub(crate) const SHMMIN: u64 = 1;
pub(crate) const SHMMAX: u64 = u64::MAX - (1 << 24);
pub(crate) const SHMALL: u64 = u64::MAX - (1 << 24);
pub(crate) const SHMSEG: u64 = SHMMNI as u64;
/// Attach addresses are rounded to this (SHM_RND): arm64's SHMLBA, a page.
pub(crate) const SHMLBA: u64 = PAGE_SIZE;

/// Sizes of `struct shmid64_ds`, `struct shminfo64` and `struct shm_info`
/// (asm-generic/shmbuf.h and linux/shm.h, 64-bit).
pub(crate) const SHMID64_DS_SIZE: usize = 112;
pub(crate) const SHMINFO64_SIZE: usize = 72;
pub(crate) const SHM_INFO_SIZE: usize = 48;

/// One segment.
pub(crate) struct Segment {
    /// The size asked for (its memory is whole pages).
    pub size: u64,
    pub memory: Arc<HostShared>,
    /// Last attach, last detach, last change (seconds of the guest's
    /// CLOCK_REALTIME; 0: never).
    pub atime: i64,
    pub dtime: i64,
    pub ctime: i64,
    /// The process that made it, the last one that attached or detached it.
    pub cpid: u32,
    pub lpid: u32,
}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("size", &self.size)
            .field("cpid", &self.cpid)
            .finish()
    }
}

impl Segment {
    /// Whole pages of memory.
    pub(crate) fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE_SIZE)
    }

    /// What the segment's shared pages show in a space that attached it.
    pub(crate) fn object(&self) -> SharedObject {
        self.memory.object().0
    }

    /// Pages of the segment in host memory now (shm_rss).
    pub(crate) fn resident_pages(&self) -> u64 {
        const CHUNK: u64 = 1 << 16;
        let mut resident = 0;
        let mut vec = vec![0u8; CHUNK.min(self.memory.pages()) as usize];
        let mut first = 0;
        while first < self.memory.pages() {
            let n = CHUNK.min(self.memory.pages() - first);
            // SAFETY: pages `first..first+n` lie inside the segment's host
            // mapping (page aligned), which lives as long as `self.memory`;
            // `vec` holds one byte per page asked about.
            let ok = unsafe {
                libc::mincore(
                    self.memory.base().add((first * PAGE_SIZE) as usize).cast(),
                    (n * PAGE_SIZE) as usize,
                    vec.as_mut_ptr(),
                )
            } == 0;
            if ok {
                resident += vec[..n as usize].iter().filter(|&&b| b & 1 != 0).count() as u64;
            }
            first += n;
        }
        resident
    }

    /// `struct shmid64_ds`: the perm, shm_segsz at 48, atime, dtime, ctime
    /// (longs at 56, 64, 72), cpid and lpid (ints at 80, 84), shm_nattch
    /// at 88, two unused longs.
    pub(crate) fn encode(&self, perm: &Perm, nattch: u64) -> [u8; SHMID64_DS_SIZE] {
        let mut b = [0u8; SHMID64_DS_SIZE];
        b[..IPC64_PERM_SIZE].copy_from_slice(&perm.encode());
        put_u64(&mut b, 48, self.size);
        put_u64(&mut b, 56, self.atime as u64);
        put_u64(&mut b, 64, self.dtime as u64);
        put_u64(&mut b, 72, self.ctime as u64);
        put_u32(&mut b, 80, self.cpid);
        put_u32(&mut b, 84, self.lpid);
        put_u64(&mut b, 88, nattch);
        b
    }
}

/// `struct shminfo64` (IPC_INFO): shmmax, shmmin, shmmni, shmseg, shmall,
/// then four unused longs.
pub(crate) fn encode_shminfo() -> [u8; SHMINFO64_SIZE] {
    let mut b = [0u8; SHMINFO64_SIZE];
    put_u64(&mut b, 0, SHMMAX);
    put_u64(&mut b, 8, SHMMIN);
    put_u64(&mut b, 16, SHMMNI as u64);
    put_u64(&mut b, 24, SHMSEG);
    put_u64(&mut b, 32, SHMALL);
    b
}

/// `struct shm_info` (SHM_INFO): used_ids (an int), then shm_tot, shm_rss,
/// shm_swp, swap_attempts, swap_successes (longs from 8; pages).
pub(crate) fn encode_shm_info(used_ids: usize, total_pages: u64, rss: u64) -> [u8; SHM_INFO_SIZE] {
    let mut b = [0u8; SHM_INFO_SIZE];
    put_u32(&mut b, 0, used_ids as u32);
    put_u64(&mut b, 8, total_pages);
    put_u64(&mut b, 16, rss);
    b
}

/// A segment attached with SHM_RDONLY: its memory, which the attachment
/// may never make writable (mprotect says EACCES, as for a shared mapping of
/// a file opened read-only). The same object as the segment, so futex keys
/// and the CUDA backend's frames are the segment's.
pub(crate) struct ReadOnlyAttach(pub Arc<HostShared>);

// SAFETY: every call is the segment memory's own, whose guarantees hold.
unsafe impl SharedBacking for ReadOnlyAttach {
    fn base(&self) -> *mut u8 {
        self.0.base()
    }

    fn pages(&self) -> u64 {
        self.0.pages()
    }

    fn writable(&self) -> bool {
        false
    }

    fn object(&self) -> (SharedObject, u64) {
        self.0.object()
    }
}

#[cfg(test)]
mod tests {
    use super::super::ids::{u32_at, u64_at, Caller};
    use super::*;

    #[test]
    fn shmid64_ds_layout() {
        let me = Caller {
            pid: 7,
            uid: 1,
            gid: 2,
        };
        let seg = Segment {
            size: 5000,
            memory: HostShared::anonymous(2).unwrap(),
            atime: 11,
            dtime: 12,
            ctime: 13,
            cpid: 7,
            lpid: 8,
        };
        assert_eq!(seg.pages(), 2);
        let b = seg.encode(&Perm::new(42, &me, 0o640), 3);
        assert_eq!(b.len(), 112);
        assert_eq!(u32_at(&b, 0), 42);
        assert_eq!(u64_at(&b, 48), 5000);
        assert_eq!(
            (u64_at(&b, 56), u64_at(&b, 64), u64_at(&b, 72)),
            (11, 12, 13)
        );
        assert_eq!((u32_at(&b, 80), u32_at(&b, 84)), (7, 8));
        assert_eq!(u64_at(&b, 88), 3);
        assert!(b[96..].iter().all(|&x| x == 0));
        assert_eq!(seg.resident_pages(), 0, "nothing touched yet");
        // SAFETY: the first byte of the segment's own host memory.
        unsafe { *seg.memory.base() = 1 };
        assert_eq!(seg.resident_pages(), 1);
        let ro = ReadOnlyAttach(seg.memory.clone());
        assert!(!ro.writable());
        assert_eq!(ro.object(), seg.memory.object());
    }

    #[test]
    fn info_layouts() {
        let i = encode_shminfo();
        assert_eq!(u64_at(&i, 8), 1, "shmmin");
        assert_eq!(u64_at(&i, 16), 4096, "shmmni");
        let s = encode_shm_info(3, 10, 4);
        assert_eq!((u32_at(&s, 0), u64_at(&s, 8), u64_at(&s, 16)), (3, 10, 4));
    }
}
