//! Calls that tune how the kernel treats a process or its files, with
//! nothing for kvrm to do beyond Linux's checks and the state the guest can
//! read back: personality, capget/capset, and the file hints
//! sync_file_range, syncfs and readahead (done on the host file).

use std::os::fd::RawFd;

use kvrm_isa::AddressSpace;

use super::files::last_errno;
use super::{read_guest, write_guest, LinuxProcess, SysResult};
use crate::abi::errno::*;

/// personality(0xffffffff) asks without setting.
const PERSONALITY_QUERY: u64 = 0xffff_ffff;

const CAP_V1: u32 = 0x1998_0330;
const CAP_V2: u32 = 0x2007_1026;
const CAP_V3: u32 = 0x2008_0522;
/// Capabilities 0..=40 (CAP_CHECKPOINT_RESTORE is the last Linux 6.x has).
const CAP_ALL: u64 = (1 << 41) - 1;

/// Per-process settings the guest sets and reads back.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Knobs {
    pub personality: u32,
    /// Capability sets: effective, permitted, inheritable.
    pub caps: [u64; 3],
    /// PR_SET_PDEATHSIG: the signal this process gets when its parent
    /// ends (0: none). Not inherited by fork.
    pub pdeath_sig: i32,
    /// PR_SET_CHILD_SUBREAPER: orphaned descendants become its children
    /// instead of init's. Not inherited by fork.
    pub subreaper: bool,
    /// PR_SET_KEEPCAPS: a change of uid away from root keeps the
    /// permitted capabilities. Cleared by execve.
    pub keepcaps: bool,
    /// PR_SET_NO_NEW_PRIVS, inherited and never cleared.
    pub no_new_privs: bool,
    /// PR_SET_TIMERSLACK in nanoseconds.
    pub timer_slack: u64,
    /// PR_SET_THP_DISABLE.
    pub thp_disable: bool,
}

/// Linux's default timer slack (50 µs).
const DEFAULT_TIMER_SLACK: u64 = 50_000;

/// Does capget/capset know header version `v`?
pub(crate) fn cap_version_known(v: u32) -> bool {
    matches!(v, CAP_V1 | CAP_V2 | CAP_V3)
}

impl Knobs {
    /// A process of user `uid`: root has every capability, others none.
    pub(crate) fn for_uid(uid: u32) -> Self {
        Knobs {
            personality: 0,
            caps: Self::caps_after_exec(uid, uid),
            pdeath_sig: 0,
            subreaper: false,
            keepcaps: false,
            no_new_privs: false,
            timer_slack: DEFAULT_TIMER_SLACK,
            thp_disable: false,
        }
    }

    /// What a forked child keeps: everything but the parent-death signal
    /// and the subreaper mark.
    pub(crate) fn for_child(&self) -> Self {
        Knobs {
            pdeath_sig: 0,
            subreaper: false,
            ..*self
        }
    }

    /// The capabilities a program starts with (no file capabilities): a
    /// real or effective root gets them all, effective only as root.
    pub(crate) fn caps_after_exec(ruid: u32, euid: u32) -> [u64; 3] {
        match (ruid, euid) {
            (_, 0) => [CAP_ALL, CAP_ALL, 0],
            (0, _) => [0, CAP_ALL, 0],
            _ => [0; 3],
        }
    }
}

impl LinuxProcess {
    /// personality(persona): the old persona; 0xffffffff only asks. kvrm's
    /// memory layout does not change with it (it is not randomized anyway).
    pub(crate) fn sys_personality(&mut self, persona: u64) -> SysResult {
        let old = self.knobs.personality;
        if persona != PERSONALITY_QUERY {
            self.knobs.personality = persona as u32;
        }
        Ok(u64::from(old))
    }

    /// The header of capget/capset: (version, pid), the structs to copy,
    /// or the error. An unknown version is replaced by the preferred one.
    fn cap_header(&self, mem: &mut AddressSpace, hdr: u64) -> Result<(i32, usize), i64> {
        let b = read_guest(mem, hdr, 8)?;
        let version = u32::from_le_bytes(b[..4].try_into().unwrap_or_default());
        let pid = i32::from_le_bytes(b[4..].try_into().unwrap_or_default());
        match version {
            CAP_V1 => Ok((pid, 1)),
            CAP_V2 | CAP_V3 => Ok((pid, 2)),
            _ => {
                write_guest(mem, hdr, &CAP_V3.to_le_bytes())?;
                Err(EINVAL)
            }
        }
    }

    /// capget(hdr, data): `caps` are the named process's (the kernel looks
    /// up another pid; this process's own otherwise).
    pub(crate) fn sys_capget(
        &mut self,
        mem: &mut AddressSpace,
        hdr: u64,
        data: u64,
        caps: [u64; 3],
    ) -> SysResult {
        let (pid, words) = match self.cap_header(mem, hdr) {
            Ok(h) => h,
            // A null data pointer probes for the version: not an error.
            Err(EINVAL) if data == 0 => return Ok(0),
            Err(e) => return Err(e),
        };
        if data == 0 {
            return Ok(0);
        }
        if pid < 0 {
            return Err(EINVAL);
        }
        let mut out = Vec::with_capacity(12 * words);
        for w in 0..words {
            for set in caps {
                out.extend_from_slice(&((set >> (32 * w)) as u32).to_le_bytes());
            }
        }
        write_guest(mem, data, &out)?;
        Ok(0)
    }

    /// capset(hdr, data) on the caller: the permitted set may only shrink,
    /// effective must stay within it, inheritable within both old sets.
    pub(crate) fn sys_capset(&mut self, mem: &mut AddressSpace, hdr: u64, data: u64) -> SysResult {
        let (pid, words) = self.cap_header(mem, hdr)?;
        if pid != 0 && pid as u32 != self.pid {
            return Err(EPERM);
        }
        let b = read_guest(mem, data, 12 * words)?;
        let mut new = [0u64; 3];
        for w in 0..words {
            for (i, set) in new.iter_mut().enumerate() {
                let at = 12 * w + 4 * i;
                let v = u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default());
                *set |= u64::from(v) << (32 * w);
            }
        }
        let [eff, perm, inh] = new.map(|s| s & CAP_ALL);
        let [_, old_perm, old_inh] = self.knobs.caps;
        if perm & !old_perm != 0 || eff & !perm != 0 || inh & !(old_inh | old_perm) != 0 {
            return Err(EPERM);
        }
        self.knobs.caps = [eff, perm, inh];
        Ok(0)
    }

    /// The host descriptor of `fd`, or -1 so the host's own checks answer
    /// (and in their order: a bad argument before a bad descriptor).
    fn host_or_invalid(&self, fd: u64) -> RawFd {
        self.fds
            .get(fd)
            .map(|f| crate::fd::LockFile::lock_file(&*f).host.raw())
            .unwrap_or(-1)
    }

    pub(crate) fn sys_sync_file_range(
        &mut self,
        fd: u64,
        off: u64,
        n: u64,
        flags: u64,
    ) -> SysResult {
        let raw = self.host_or_invalid(fd);
        // SAFETY: plain integers on a descriptor we hold (or -1).
        let r = unsafe { libc::sync_file_range(raw, off as i64, n as i64, flags as u32) };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_syncfs(&mut self, fd: u64) -> SysResult {
        let raw = self.host_or_invalid(fd);
        // SAFETY: a descriptor we hold (or -1).
        if unsafe { libc::syncfs(raw) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    pub(crate) fn sys_readahead(&mut self, fd: u64, off: u64, count: u64) -> SysResult {
        let raw = self.host_or_invalid(fd);
        // SAFETY: plain integers on a descriptor we hold (or -1).
        if unsafe { libc::readahead(raw, off as i64, count as usize) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }
}
