//! Credentials: real, effective, saved and filesystem user and group ids
//! and the supplementary groups of a guest process, with Linux's rules for
//! changing them (CAP_SETUID / CAP_SETGID from the effective capabilities,
//! otherwise only among the ids the process has), and the capability
//! changes that go with a uid change.
//!
//! A server started as root that drops to another user (nginx's workers,
//! memcached -u, dnsmasq, lighttpd) must then act as that user on files:
//! kvrm's kernel thread takes the guest's filesystem ids and groups on the
//! host (`setfsuid`, `setfsgid` and `setgroups` of that thread alone) before
//! each of the guest's calls, so the host checks permissions and owns new
//! files as Linux would for the guest. That needs kvrm to run as root; a
//! kvrm run by another user starts the guest as that user, who has no
//! CAP_SETUID, so its ids cannot change anyway.

use std::cell::RefCell;

use kvrm_isa::AddressSpace;

use super::{read_guest, write_guest, LinuxProcess, SysResult};
use crate::abi::errno::*;

/// Most supplementary groups (NGROUPS_MAX).
const NGROUPS_MAX: u64 = 65536;
const CAP_SETGID: u64 = 1 << 6;
const CAP_SETUID: u64 = 1 << 7;
/// The capabilities a change of the filesystem uid away from 0 drops from
/// the effective set (and a change back to 0 restores from the permitted):
/// CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, LINUX_IMMUTABLE,
/// MKNOD, MAC_OVERRIDE.
const FS_CAPS: u64 = 0b1_1111 | (1 << 9) | (1 << 27) | (1 << 32);

/// A process's ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Creds {
    pub ruid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub rgid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    /// Supplementary groups, sorted.
    pub groups: Vec<u32>,
}

impl Creds {
    /// kvrm's own ids: what the first guest process starts with.
    pub(crate) fn of_host() -> Creds {
        let (mut r, mut e, mut s) = (0, 0, 0);
        let (mut rg, mut eg, mut sg) = (0, 0, 0);
        // SAFETY: the out-pointers are valid u32s.
        unsafe {
            libc::getresuid(&mut r, &mut e, &mut s);
            libc::getresgid(&mut rg, &mut eg, &mut sg);
        }
        Creds {
            ruid: r,
            euid: e,
            suid: s,
            fsuid: e,
            rgid: rg,
            egid: eg,
            sgid: sg,
            fsgid: eg,
            groups: host_groups(),
        }
    }
}

/// The host's supplementary groups of this thread.
fn host_groups() -> Vec<u32> {
    // SAFETY: a size of 0 only asks for the count.
    let n = unsafe { libc::getgroups(0, std::ptr::null_mut()) };
    if n <= 0 {
        return Vec::new();
    }
    let mut g = vec![0u32; n as usize];
    // SAFETY: `g` has room for `n` ids.
    let n = unsafe { libc::getgroups(n, g.as_mut_ptr()) };
    g.truncate(n.max(0) as usize);
    g.sort_unstable();
    g
}

thread_local! {
    /// The filesystem ids and groups this host thread has taken last
    /// (`None`: its own, never changed).
    static APPLIED: RefCell<Option<(u32, u32, Vec<u32>)>> = const { RefCell::new(None) };
}

/// Make this host thread access files as `c` does: its filesystem ids and
/// groups. Nothing is done while they are what the thread has already; a
/// host that refuses (kvrm not root) leaves its own.
pub(crate) fn apply_to_host(c: &Creds) {
    APPLIED.with(|a| {
        let mut a = a.borrow_mut();
        if let Some((u, g, groups)) = a.as_ref() {
            if *u == c.fsuid && *g == c.fsgid && *groups == c.groups {
                return;
            }
        } else {
            // SAFETY: setfsuid(-1) changes nothing and returns the current id.
            let (u, g) = unsafe { (libc::setfsuid(u32::MAX), libc::setfsgid(u32::MAX)) };
            if u as u32 == c.fsuid && g as u32 == c.fsgid && host_groups() == c.groups {
                *a = Some((c.fsuid, c.fsgid, c.groups.clone()));
                return;
            }
        }
        // SAFETY: the raw setgroups call (glibc's wrapper would change every
        // thread of kvrm) with `len` ids from a live buffer; setfsgid and
        // setfsuid take plain ids. Groups and gid first: they may need the
        // capabilities that a non-zero fsuid drops.
        unsafe {
            libc::syscall(libc::SYS_setgroups, c.groups.len(), c.groups.as_ptr());
            libc::setfsgid(c.fsgid);
            libc::setfsuid(c.fsuid);
        }
        *a = Some((c.fsuid, c.fsgid, c.groups.clone()));
    });
}

/// An id argument: -1 keeps the current one; other values must be valid
/// ids (EINVAL for (u32)-1 as a uid to set is the "keep" case only where
/// the call allows it).
fn arg_id(v: u64) -> Option<u32> {
    let v = v as u32;
    (v != u32::MAX).then_some(v)
}

impl LinuxProcess {
    fn has_cap(&self, cap: u64) -> bool {
        self.knobs.caps[0] & cap != 0
    }

    /// After a uid change: the capability rules of Linux for a process not
    /// in SECURE_NO_SETUID_FIXUP mode, and the mirrored effective ids.
    fn uids_changed(&mut self, old: &Creds) {
        let c = &self.creds;
        let caps = &mut self.knobs.caps;
        let had_root = old.ruid == 0 || old.euid == 0 || old.suid == 0;
        let has_root = c.ruid == 0 || c.euid == 0 || c.suid == 0;
        if had_root && !has_root && !self.knobs.keepcaps {
            caps[0] = 0;
            caps[1] = 0;
        }
        if old.euid == 0 && c.euid != 0 {
            caps[0] = 0;
        }
        if old.euid != 0 && c.euid == 0 {
            caps[0] = caps[1];
        }
        if old.fsuid == 0 && c.fsuid != 0 {
            caps[0] &= !FS_CAPS;
        }
        if old.fsuid != 0 && c.fsuid == 0 {
            caps[0] |= caps[1] & FS_CAPS;
        }
        self.uid = self.creds.euid;
        self.gid = self.creds.egid;
    }

    /// setuid, setreuid, setresuid (`n` ids: 1, 2 or 3 arguments).
    pub(crate) fn sys_setuids(&mut self, args: &[u64]) -> SysResult {
        let old = self.creds.clone();
        let privileged = self.has_cap(CAP_SETUID);
        let c = &mut self.creds;
        let may = |id: u32, of: &[u32]| privileged || of.contains(&id);
        match *args {
            [u] => {
                let u = arg_id(u).ok_or(EINVAL)?;
                if privileged {
                    (c.ruid, c.euid, c.suid) = (u, u, u);
                } else if u == c.ruid || u == c.suid {
                    c.euid = u;
                } else {
                    return Err(EPERM);
                }
            }
            [r, e] => {
                let (r, e) = (arg_id(r), arg_id(e));
                if r.is_some_and(|r| !may(r, &[c.ruid, c.euid]))
                    || e.is_some_and(|e| !may(e, &[c.ruid, c.euid, c.suid]))
                {
                    return Err(EPERM);
                }
                let new_e = e.unwrap_or(c.euid);
                // The saved id follows the effective one when the real one
                // is set or the effective one becomes other than the real.
                if r.is_some() || e.is_some_and(|e| e != c.ruid) {
                    c.suid = new_e;
                }
                c.ruid = r.unwrap_or(c.ruid);
                c.euid = new_e;
            }
            [r, e, s] => {
                let ids = [c.ruid, c.euid, c.suid];
                let (r, e, s) = (arg_id(r), arg_id(e), arg_id(s));
                if [r, e, s].iter().flatten().any(|&v| !may(v, &ids)) {
                    return Err(EPERM);
                }
                c.ruid = r.unwrap_or(c.ruid);
                c.euid = e.unwrap_or(c.euid);
                c.suid = s.unwrap_or(c.suid);
            }
            _ => return Err(EINVAL),
        }
        c.fsuid = c.euid;
        self.uids_changed(&old);
        Ok(0)
    }

    /// setgid, setregid, setresgid.
    pub(crate) fn sys_setgids(&mut self, args: &[u64]) -> SysResult {
        let privileged = self.has_cap(CAP_SETGID);
        let c = &mut self.creds;
        let may = |id: u32, of: &[u32]| privileged || of.contains(&id);
        match *args {
            [g] => {
                let g = arg_id(g).ok_or(EINVAL)?;
                if privileged {
                    (c.rgid, c.egid, c.sgid) = (g, g, g);
                } else if g == c.rgid || g == c.sgid {
                    c.egid = g;
                } else {
                    return Err(EPERM);
                }
            }
            [r, e] => {
                let (r, e) = (arg_id(r), arg_id(e));
                if r.is_some_and(|r| !may(r, &[c.rgid, c.egid]))
                    || e.is_some_and(|e| !may(e, &[c.rgid, c.egid, c.sgid]))
                {
                    return Err(EPERM);
                }
                let new_e = e.unwrap_or(c.egid);
                if r.is_some() || e.is_some_and(|e| e != c.rgid) {
                    c.sgid = new_e;
                }
                c.rgid = r.unwrap_or(c.rgid);
                c.egid = new_e;
            }
            [r, e, s] => {
                let ids = [c.rgid, c.egid, c.sgid];
                let (r, e, s) = (arg_id(r), arg_id(e), arg_id(s));
                if [r, e, s].iter().flatten().any(|&v| !may(v, &ids)) {
                    return Err(EPERM);
                }
                c.rgid = r.unwrap_or(c.rgid);
                c.egid = e.unwrap_or(c.egid);
                c.sgid = s.unwrap_or(c.sgid);
            }
            _ => return Err(EINVAL),
        }
        c.fsgid = c.egid;
        self.gid = c.egid;
        Ok(0)
    }

    /// setfsuid / setfsgid: the previous id, whether or not it changed.
    pub(crate) fn sys_setfsid(&mut self, id: u64, group: bool) -> SysResult {
        let old = self.creds.clone();
        let c = &mut self.creds;
        let (cap, ids, fs) = if group {
            (CAP_SETGID, [c.rgid, c.egid, c.sgid, c.fsgid], &mut c.fsgid)
        } else {
            (CAP_SETUID, [c.ruid, c.euid, c.suid, c.fsuid], &mut c.fsuid)
        };
        let prev = *fs;
        let privileged = self.knobs.caps[0] & cap != 0;
        if let Some(id) = arg_id(id) {
            if privileged || ids.contains(&id) {
                *fs = id;
            }
        }
        if !group {
            self.uids_changed(&old);
        }
        Ok(prev as u64)
    }

    /// getresuid / getresgid.
    pub(crate) fn sys_getresids(
        &mut self,
        mem: &mut AddressSpace,
        a: [u64; 3],
        group: bool,
    ) -> SysResult {
        let c = &self.creds;
        let ids = if group {
            [c.rgid, c.egid, c.sgid]
        } else {
            [c.ruid, c.euid, c.suid]
        };
        for (p, id) in a.into_iter().zip(ids) {
            write_guest(mem, p, &id.to_le_bytes())?;
        }
        Ok(0)
    }

    /// getgroups(size, list): the count, and the groups when size is not 0.
    pub(crate) fn sys_getgroups(
        &mut self,
        mem: &mut AddressSpace,
        size: u64,
        list: u64,
    ) -> SysResult {
        let n = self.creds.groups.len() as u64;
        let size = size as u32 as i32;
        if size < 0 {
            return Err(EINVAL);
        }
        if size == 0 {
            return Ok(n);
        }
        if (size as u64) < n {
            return Err(EINVAL);
        }
        let bytes: Vec<u8> = self
            .creds
            .groups
            .iter()
            .flat_map(|g| g.to_le_bytes())
            .collect();
        write_guest(mem, list, &bytes)?;
        Ok(n)
    }

    /// setgroups(size, list): CAP_SETGID only.
    pub(crate) fn sys_setgroups(
        &mut self,
        mem: &mut AddressSpace,
        size: u64,
        list: u64,
    ) -> SysResult {
        if size > NGROUPS_MAX {
            return Err(EINVAL);
        }
        if !self.has_cap(CAP_SETGID) {
            return Err(EPERM);
        }
        let raw = read_guest(mem, list, size as usize * 4)?;
        let mut g: Vec<u32> = raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().unwrap_or_default()))
            .collect();
        if g.contains(&u32::MAX) {
            return Err(EINVAL);
        }
        // Linux keeps them sorted (duplicates too).
        g.sort_unstable();
        self.creds.groups = g;
        Ok(0)
    }
}
