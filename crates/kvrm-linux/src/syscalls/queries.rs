//! Queries answered from the host file or from the guest's memory map:
//! statfs, fstatfs (the host file system the guest path lies on), mincore.

use kvrm_isa::{AddressSpace, PAGE_SIZE};

use super::files::{cpath, last_errno};
use super::{write_guest, LinuxProcess, SysResult};
use crate::abi::{at::AT_FDCWD, errno::*};
use crate::fd::LockFile;

/// struct statfs of arm64 (asm-generic, 64-bit words): 120 bytes, the same
/// layout as the host's on the 64-bit Linux hosts kvrm runs on (x86-64, arm64):
/// f_type, f_bsize, f_blocks, f_bfree, f_bavail, f_files, f_ffree, f_fsid,
/// f_namelen, f_frsize, f_flags, f_spare[4].
fn statfs_bytes(s: &libc::statfs) -> [u8; 120] {
    const _: () = assert!(std::mem::size_of::<libc::statfs>() == 120);
    // SAFETY: a plain C struct of 120 bytes (checked above).
    unsafe { std::mem::transmute_copy(s) }
}

impl LinuxProcess {
    pub(crate) fn sys_statfs(&mut self, mem: &mut AddressSpace, path: u64, buf: u64) -> SysResult {
        let p = super::read_path(mem, path)?;
        // An emulated /proc or /sys entry: the host file system of its
        // stand-in (proc, sysfs), as df and `stat -f` expect there.
        let host = match self
            .proc_path(AT_FDCWD as u64, &p)
            .and_then(|pp| self.procfs_stand_in(&pp))
        {
            Some(stand_in) => std::path::PathBuf::from(stand_in?),
            None => self.resolve_at(AT_FDCWD as u64, &p, true)?.host,
        };
        let c = cpath(&host)?;
        // SAFETY: a valid path and a statfs the call fills.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statfs(c.as_ptr(), &mut st) } < 0 {
            return Err(last_errno());
        }
        write_guest(mem, buf, &statfs_bytes(&st))?;
        Ok(0)
    }

    pub(crate) fn sys_fstatfs(&mut self, mem: &mut AddressSpace, fd: u64, buf: u64) -> SysResult {
        let (raw, emulated) = {
            let f = self.fds.get(fd)?;
            let f = f.lock_file();
            (f.host.raw(), f.emulated)
        };
        // SAFETY: a descriptor this process holds and a statfs the call fills.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        let r = match emulated {
            // An emulated file's in-memory copy: its stand-in's file system.
            Some(stand_in) => {
                let c = cpath(std::path::Path::new(stand_in))?;
                // SAFETY: a valid path and a statfs the call fills.
                unsafe { libc::statfs(c.as_ptr(), &mut st) }
            }
            // SAFETY: as above, for a descriptor.
            None => unsafe { libc::fstatfs(raw, &mut st) },
        };
        if r < 0 {
            return Err(last_errno());
        }
        write_guest(mem, buf, &statfs_bytes(&st))?;
        Ok(0)
    }

    /// mincore: every mapped page is resident (kvrm keeps guest memory in
    /// host memory); an unmapped page in the range is ENOMEM.
    pub(crate) fn sys_mincore(
        &mut self,
        mem: &mut AddressSpace,
        addr: u64,
        len: u64,
        vec: u64,
    ) -> SysResult {
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let pages = len.div_ceil(PAGE_SIZE);
        if addr
            .checked_add(pages * PAGE_SIZE)
            .is_none_or(|e| e > crate::abi::layout::USER_TOP)
        {
            return Err(ENOMEM);
        }
        for i in 0..pages {
            if mem.perms_at(addr + i * PAGE_SIZE).is_none() {
                return Err(ENOMEM);
            }
        }
        write_guest(mem, vec, &vec![1u8; pages as usize])?;
        Ok(0)
    }
}
