//! Extended attributes (getxattr, listxattr, setxattr, removexattr and their
//! l- and f- forms): passed to the host file the guest path names in the
//! sandbox, as qemu-user passes them to the host.

// libc field widths differ between hosts: keep the casts.
#![allow(clippy::unnecessary_cast)]

use std::ffi::CString;

use kvrm_isa::AddressSpace;

use super::files::{cpath, last_errno};
use super::{read_guest, read_path, write_guest, LinuxProcess, SysResult};
use crate::abi::{at::AT_FDCWD, errno::*};
use crate::fd::LockFile;

/// XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX.
const NAME_MAX: usize = 255;
const SIZE_MAX: u64 = 65536;

/// What an xattr call names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// A path, following a final symbolic link.
    Path,
    /// A path, not following it (the l- forms).
    Link,
    /// A descriptor (the f- forms).
    Fd,
}

/// The syscalls, by operation.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    Get,
    List,
    Set,
    Remove,
}

enum Host {
    Path(CString),
    Fd(i32),
}

impl LinuxProcess {
    fn xattr_target(
        &self,
        mem: &AddressSpace,
        target: Target,
        arg: u64,
        modify: bool,
    ) -> Result<Host, i64> {
        if target == Target::Fd {
            let f = self.fds.get(arg)?;
            return Ok(Host::Fd(f.lock_file().host.raw()));
        }
        let p = read_path(mem, arg)?;
        // An emulated /proc entry: the host's /proc entry standing in for it
        // (procfs has no extended attributes); never changed.
        let base: &[u8] = if p.first() == Some(&b'/') {
            b""
        } else {
            &self.cwd
        };
        let pp = super::files::lexical(base, &p);
        let link = (target == Target::Link)
            .then(|| self.procfs_link_stand_in(&pp))
            .flatten();
        if let Some(host) = link.map(Ok).or_else(|| self.procfs_stand_in(&pp)) {
            let host = host?;
            if modify {
                return Err(EOPNOTSUPP);
            }
            return Ok(Host::Path(cpath(std::path::Path::new(host))?));
        }
        let mut r = self.resolve_at(AT_FDCWD as u64, &p, target == Target::Path)?;
        if modify {
            r = r.writable()?;
        }
        Ok(Host::Path(cpath(&r.host)?))
    }

    /// One xattr syscall: `a` are its arguments (target, then name, value, size, flags).
    pub(crate) fn sys_xattr(
        &mut self,
        mem: &mut AddressSpace,
        op: Op,
        target: Target,
        a: [u64; 6],
    ) -> SysResult {
        let modify = matches!(op, Op::Set | Op::Remove);
        let host = self.xattr_target(mem, target, a[0], modify)?;
        let name = if op == Op::List {
            None
        } else {
            let n = mem.read_cstring(a[1], NAME_MAX + 1).map_err(|_| EFAULT)?;
            if n.is_empty() || n.len() > NAME_MAX {
                return Err(ERANGE);
            }
            Some(CString::new(n).map_err(|_| EINVAL)?)
        };
        let nptr = name.as_ref().map_or(std::ptr::null(), |n| n.as_ptr());
        let follow = target != Target::Link;
        // SAFETY (every call below): valid NUL-terminated strings, buffers of
        // the length given, a descriptor this process holds.
        let r: isize = match op {
            Op::Get | Op::List => {
                let (buf, size) = if op == Op::Get {
                    (a[2], a[3])
                } else {
                    (a[1], a[2])
                };
                let size = size.min(SIZE_MAX) as usize;
                let mut v = vec![0u8; size];
                let vp = if size == 0 {
                    std::ptr::null_mut()
                } else {
                    v.as_mut_ptr() as *mut libc::c_void
                };
                let n = unsafe {
                    match (&host, op, follow) {
                        (Host::Fd(fd), Op::Get, _) => libc::fgetxattr(*fd, nptr, vp, size),
                        (Host::Fd(fd), _, _) => libc::flistxattr(*fd, vp as *mut _, size),
                        (Host::Path(p), Op::Get, true) => {
                            libc::getxattr(p.as_ptr(), nptr, vp, size)
                        }
                        (Host::Path(p), Op::Get, false) => {
                            libc::lgetxattr(p.as_ptr(), nptr, vp, size)
                        }
                        (Host::Path(p), _, true) => libc::listxattr(p.as_ptr(), vp as *mut _, size),
                        (Host::Path(p), _, false) => {
                            libc::llistxattr(p.as_ptr(), vp as *mut _, size)
                        }
                    }
                };
                if n > 0 && size > 0 {
                    write_guest(mem, buf, &v[..n as usize])?;
                }
                n as isize
            }
            Op::Set => {
                if a[3] > SIZE_MAX {
                    return Err(E2BIG);
                }
                let v = read_guest(mem, a[2], a[3] as usize)?;
                let vp = v.as_ptr() as *const libc::c_void;
                let flags = a[4] as i32;
                (unsafe {
                    match (&host, follow) {
                        (Host::Fd(fd), _) => libc::fsetxattr(*fd, nptr, vp, v.len(), flags),
                        (Host::Path(p), true) => {
                            libc::setxattr(p.as_ptr(), nptr, vp, v.len(), flags)
                        }
                        (Host::Path(p), false) => {
                            libc::lsetxattr(p.as_ptr(), nptr, vp, v.len(), flags)
                        }
                    }
                }) as isize
            }
            Op::Remove => {
                (unsafe {
                    match (&host, follow) {
                        (Host::Fd(fd), _) => libc::fremovexattr(*fd, nptr),
                        (Host::Path(p), true) => libc::removexattr(p.as_ptr(), nptr),
                        (Host::Path(p), false) => libc::lremovexattr(p.as_ptr(), nptr),
                    }
                }) as isize
            }
        };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u64)
    }
}
