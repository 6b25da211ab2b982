//! Path-based syscalls: everything that names a file by a guest path goes
//! through the sandbox resolver here.

use std::fs::Metadata;
use std::os::fd::{FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kvrm_isa::AddressSpace;

use super::files::{
    cpath, host_open_flags, host_umask, last_errno, lexical, stat_bytes, statx_bytes, with_file,
    Special,
};
use super::pty::{host_pty_number, pty_number, pty_path};
use super::{read_guest, read_path, write_guest, LinuxProcess, SysResult};
use crate::abi::{at::*, errno::*, open::*};
use crate::fd::LockFile;
use crate::fd::{FdEntry, HostFd, OpenFile};
use crate::sandbox::{host_errno, Resolved};

/// Does `path` (relative to guest directory `base`) pass through emulated
/// /proc or /sys and end outside them (`/sys/..`, `..` from a cwd in /proc)?
fn leaves_emulated(base: &[u8], path: &[u8]) -> bool {
    if !path.split(|&b| b == b'/').any(|c| c == b"..") {
        return false;
    }
    let start: &[u8] = if path.first() == Some(&b'/') {
        b""
    } else {
        base
    };
    let mut parts: Vec<&[u8]> = Vec::new();
    let mut inside = false;
    for c in start
        .split(|&b| b == b'/')
        .chain(path.split(|&b| b == b'/'))
    {
        match c {
            b"" | b"." => continue,
            b".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
        inside |= matches!(parts.first(), Some(&b"proc") | Some(&b"sys"));
    }
    inside && !matches!(parts.first(), Some(&b"proc") | Some(&b"sys"))
}

impl LinuxProcess {
    fn special(&self, dirfd: u64, path: &[u8]) -> Option<Special> {
        let base = if path.first() == Some(&b'/') {
            Vec::new()
        } else {
            self.base_dir(dirfd).ok()?
        };
        match &lexical(&base, path)[..] {
            b"/dev/null" => Some(Special::Device("/dev/null")),
            b"/dev/zero" => Some(Special::Device("/dev/zero")),
            b"/dev/full" => Some(Special::Device("/dev/full")),
            b"/dev/random" => Some(Special::Device("/dev/random")),
            b"/dev/urandom" => Some(Special::Device("/dev/urandom")),
            // The host's terminal, where kvrm has one (else ENXIO, as Linux).
            b"/dev/tty" => Some(Special::Device("/dev/tty")),
            // A new pseudo-terminal from the host.
            b"/dev/ptmx" | b"/dev/pts/ptmx" => Some(Special::Device("/dev/ptmx")),
            b"/proc/self/exe" => Some(Special::Exe),
            p => {
                let n = pty_number(p.strip_prefix(b"/dev/pts/")?)?;
                let file = !path.ends_with(b"/");
                (file && self.holds_pty_master(n)).then_some(Special::Pty(n))
            }
        }
    }

    /// Does the process hold the master side of pseudo-terminal `n`? Only
    /// then may it reach /dev/pts/`n`: the host's other terminals are not
    /// the guest's.
    fn holds_pty_master(&self, n: u32) -> bool {
        self.fds.open_fds().any(|fd| {
            self.fds
                .get(fd)
                .is_ok_and(|f| f.lock_file().pty_master == Some(n))
        })
    }

    /// `path` lexically normalized, when it is under /proc or /sys (emulated).
    pub(crate) fn proc_path(&self, dirfd: u64, path: &[u8]) -> Option<Vec<u8>> {
        let base = if path.first() == Some(&b'/') {
            Vec::new()
        } else {
            self.base_dir(dirfd).ok()?
        };
        let p = lexical(&base, path);
        crate::procfs::is_emulated(&p).then_some(p)
    }

    /// The guest directory `*at` calls resolve relative paths against.
    pub(crate) fn base_dir(&self, dirfd: u64) -> Result<Vec<u8>, i64> {
        if dirfd as i32 as i64 == AT_FDCWD {
            return Ok(self.cwd.clone());
        }
        let f = self.fds.get(dirfd)?;
        let f = f.lock_file();
        match (&f.guest_path, f.is_dir) {
            (Some(p), true) => Ok(p.clone()),
            _ => Err(ENOTDIR),
        }
    }

    /// Resolve guest `path` relative to `dirfd`.
    pub(crate) fn resolve_at(
        &self,
        dirfd: u64,
        path: &[u8],
        follow: bool,
    ) -> Result<Resolved, i64> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        let base = if path[0] == b'/' {
            b"/".to_vec()
        } else {
            self.base_dir(dirfd)?
        };
        if leaves_emulated(&base, path) {
            // Into /proc or /sys and out again with "..": those trees are
            // kvrm's (the root need not hold them) and have no symbolic
            // links on the way out, so the path is what it says lexically.
            let mut out = crate::sandbox::lexical(&base, path);
            if out.is_empty() {
                out.push(b'/');
            }
            return self.sandbox.resolve(b"/", &out, follow);
        }
        self.sandbox.resolve(&base, path, follow)
    }

    /// Read the guest path at `path` and resolve it relative to `dirfd`.
    fn path_at(
        &self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        follow: bool,
    ) -> Result<Resolved, i64> {
        let p = read_path(mem, path)?;
        self.resolve_at(dirfd, &p, follow)
    }

    /// The two paths of rename/link: both are read before either is
    /// resolved; only the old one may follow a final symlink.
    fn two_paths_at(
        &self,
        mem: &mut AddressSpace,
        (olddir, old): (u64, u64),
        (newdir, new): (u64, u64),
        follow_old: bool,
    ) -> Result<(Resolved, Resolved), i64> {
        let op = read_path(mem, old)?;
        let np = read_path(mem, new)?;
        let o = self.resolve_at(olddir, &op, follow_old)?;
        let n = self.resolve_at(newdir, &np, false)?;
        Ok((o, n))
    }

    /// The host path of a special file (a device or /proc/self/exe).
    fn special_host(&self, dirfd: u64, path: &[u8]) -> Option<PathBuf> {
        match self.special(dirfd, path)? {
            Special::Device(d) => Some(Path::new(d).to_path_buf()),
            Special::Pty(n) => Some(pty_path(n).0),
            Special::Exe => Some(self.exe_host.clone()),
        }
    }

    pub(crate) fn install(&mut self, of: OpenFile, cloexec: bool) -> SysResult {
        self.fds.alloc(
            0,
            FdEntry {
                file: Arc::new(Mutex::new(of)),
                cloexec,
            },
        )
    }

    pub(crate) fn sys_openat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        flags: u64,
        mode: u64,
    ) -> SysResult {
        let path = read_path(mem, path)?;
        let host_flags = host_open_flags(flags);
        let cloexec = flags & O_CLOEXEC != 0;
        if let Some(file) = self.fd_path_target(dirfd, &path) {
            return self.open_fd_path(file?, flags);
        }
        if let Some(pp) = self.proc_path(dirfd, &path) {
            if let Some(file) = self.procfs_open(&pp) {
                if flags & (O_ACCMODE | O_CREAT | O_TRUNC) != 0 {
                    return Err(EACCES);
                }
                let mut of = OpenFile::new(HostFd::Owned(file?), O_RDONLY | O_LARGEFILE);
                of.emulated = Some(crate::procfs::file_stand_in(&pp));
                of.guest_path = Some(pp);
                return self.install(of, cloexec);
            }
            if let Some(list) = self.procfs_dir(&pp) {
                list?;
                if flags & (O_ACCMODE | O_CREAT | O_TRUNC) != 0 {
                    return Err(EISDIR);
                }
                return self.open_procfs_dir(pp, flags, cloexec);
            }
        }
        let (host_path, guest_path) = match self.special(dirfd, &path) {
            Some(Special::Device(p)) => (Path::new(p).to_path_buf(), p.as_bytes().to_vec()),
            Some(Special::Pty(n)) => pty_path(n),
            Some(Special::Exe) => {
                // The executable may lie outside the root: read access only.
                if flags & (O_ACCMODE | O_CREAT | O_TRUNC | O_TMPFILE) != 0 {
                    return Err(ETXTBSY);
                }
                (self.exe_host.clone(), b"/proc/self/exe".to_vec())
            }
            None => {
                // Only a directory takes a trailing slash, and O_CREAT never
                // makes one (whether or not the name exists).
                if flags & O_CREAT != 0 && path.ends_with(b"/") {
                    return Err(EISDIR);
                }
                let excl = flags & (O_CREAT | O_EXCL) == O_CREAT | O_EXCL;
                let follow = flags & O_NOFOLLOW == 0 && !excl;
                let mut r = self.resolve_at(dirfd, &path, follow)?;
                if flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0 {
                    r = r.writable()?;
                }
                (r.host, r.guest)
            }
        };
        let c = cpath(&host_path)?;
        let mode = (mode as u32 & 0o7777) & !self.umask;
        let fifo = self
            .take_fifo(&host_path, flags)
            .map(IntoRawFd::into_raw_fd);
        // SAFETY: `c` is a valid NUL-terminated path; the result is checked.
        let raw = fifo.unwrap_or_else(|| unsafe {
            if flags & O_CREAT != 0 && mode & host_umask() != 0 {
                // The host's umask would take bits the guest's leaves: create
                // the file alone first, then give it the guest's mode.
                let excl = host_flags | libc::O_NOFOLLOW | libc::O_EXCL;
                let fd = libc::open(c.as_ptr(), excl, mode);
                if fd >= 0 {
                    libc::fchmod(fd, mode);
                    return fd;
                }
                if flags & O_EXCL != 0 || last_errno() != EEXIST {
                    return fd;
                }
            }
            libc::open(c.as_ptr(), host_flags | libc::O_NOFOLLOW, mode)
        });
        let raw = if raw < 0 && last_errno() == ELOOP && flags & O_NOFOLLOW == 0 {
            // Special host paths (e.g. /dev/fd links) may be symlinks themselves.
            if self.special(dirfd, &path).is_some() {
                // SAFETY: as above.
                unsafe { libc::open(c.as_ptr(), host_flags, mode) }
            } else {
                raw
            }
        } else {
            raw
        };
        if raw < 0 {
            return Err(last_errno());
        }
        if flags & O_TRUNC != 0 {
            crate::shared::file_resized(raw);
        }
        // SAFETY: `raw` was just opened and is owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(raw) };
        let is_dir = with_file(raw, |f| f.metadata().map(|m| m.is_dir()).unwrap_or(false));
        let mut of = OpenFile::new(
            HostFd::Owned(owned),
            (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_PATH)) | O_LARGEFILE,
        );
        of.is_dir = is_dir;
        of.host_nonblock = fifo.is_some();
        if host_path == Path::new("/dev/ptmx") {
            of.pty_master = host_pty_number(raw);
        }
        of.guest_path = Some(guest_path);
        of.host_path = Some(host_path);
        self.install(of, cloexec)
    }

    /// openat of emulated /proc directory `pp`: a host directory descriptor
    /// standing in for it (fstat shows a directory) with the emulated listing.
    fn open_procfs_dir(&mut self, pp: Vec<u8>, flags: u64, cloexec: bool) -> SysResult {
        let host = self.procfs_stand_in(&pp).unwrap_or(Err(ENOENT))?;
        let c = cpath(Path::new(host))?;
        // SAFETY: a valid NUL-terminated path; the result is checked.
        let raw = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if raw < 0 {
            return Err(last_errno());
        }
        // SAFETY: just opened, owned by nobody else.
        let owned = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut of = OpenFile::new(
            HostFd::Owned(owned),
            (flags & (O_NONBLOCK | O_PATH)) | O_LARGEFILE,
        );
        of.is_dir = true;
        of.guest_path = Some(pp.clone());
        let fd = self.install(of, cloexec)?;
        // Listed once installed, so /proc/self/fd shows its own descriptor.
        let list = self.procfs_dir(&pp).unwrap_or(Err(ENOENT))?;
        self.fds.get(fd)?.lock_file().dir_entries = Some(list);
        Ok(fd)
    }

    /// Metadata for a stat-family call: `AT_EMPTY_PATH` with "" is the fd itself.
    fn stat_target(
        &self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        flags: u64,
    ) -> Result<Metadata, i64> {
        let p = read_path(mem, path)?;
        if p.is_empty() {
            if flags & AT_EMPTY_PATH == 0 {
                return Err(ENOENT);
            }
            if dirfd as i32 as i64 == AT_FDCWD {
                let r = self.sandbox.resolve(b"/", &self.cwd, true)?;
                return std::fs::symlink_metadata(r.host).map_err(|e| host_errno(&e));
            }
            return self.fd_metadata(dirfd);
        }
        if let Some(file) = self.fd_path_target(dirfd, &p) {
            return super::files::file_metadata(&file?).map_err(|_| ENOENT);
        }
        if let Some(pp) = self.proc_path(dirfd, &p) {
            // lstat of /proc/self (no trailing slash, which follows it): a link.
            // lstat of an emulated link (not /proc/self/, which follows it).
            if flags & AT_SYMLINK_NOFOLLOW != 0 && !p.ends_with(b"/") && !p.ends_with(b"/.") {
                if let Some(host) = self.procfs_link_stand_in(&pp) {
                    return std::fs::symlink_metadata(host).map_err(|e| host_errno(&e));
                }
            }
            // (A file's stand-in is a host /proc file: mode 0444, size 0.)
            if let Some(host) = self.procfs_stand_in(&pp) {
                return std::fs::metadata(host?).map_err(|e| host_errno(&e));
            }
        }
        let host = match self.special_host(dirfd, &p) {
            Some(h) => h,
            None => {
                self.resolve_at(dirfd, &p, flags & AT_SYMLINK_NOFOLLOW == 0)?
                    .host
            }
        };
        std::fs::symlink_metadata(host).map_err(|e| host_errno(&e))
    }

    /// newfstatat/statx: EINVAL for a flag outside `allowed`, else the
    /// target's metadata, encoded by `encode`, written to `buf`.
    fn stat_to_guest<const N: usize>(
        &self,
        mem: &mut AddressSpace,
        (dirfd, path, flags): (u64, u64, u64),
        allowed: u64,
        buf: u64,
        encode: fn(&Metadata) -> [u8; N],
    ) -> SysResult {
        if flags & !allowed != 0 {
            return Err(EINVAL);
        }
        let md = self.stat_target(mem, dirfd, path, flags)?;
        write_guest(mem, buf, &encode(&md))?;
        Ok(0)
    }

    pub(crate) fn sys_newfstatat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        buf: u64,
        flags: u64,
    ) -> SysResult {
        let allowed = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT;
        self.stat_to_guest(mem, (dirfd, path, flags), allowed, buf, stat_bytes)
    }

    pub(crate) fn sys_statx(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        flags: u64,
        _mask: u64,
        buf: u64,
    ) -> SysResult {
        let allowed = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | 0x6000;
        self.stat_to_guest(mem, (dirfd, path, flags), allowed, buf, statx_bytes)
    }

    pub(crate) fn sys_readlinkat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        buf: u64,
        size: u64,
    ) -> SysResult {
        let p = read_path(mem, path)?;
        if size as i32 <= 0 {
            return Err(EINVAL);
        }
        let link = self
            .proc_path(dirfd, &p)
            .and_then(|pp| self.procfs_link(&pp));
        let target = match self.special(dirfd, &p) {
            _ if link.is_some() => link.unwrap_or(Err(ENOENT))?,
            Some(Special::Exe) => self.exe_link.clone(),
            Some(Special::Device(_) | Special::Pty(_)) => return Err(EINVAL),
            None => {
                let r = self.resolve_at(dirfd, &p, false)?;
                std::fs::read_link(&r.host)
                    .map_err(|e| host_errno(&e))?
                    .as_os_str()
                    .as_bytes()
                    .to_vec()
            }
        };
        let n = target.len().min(size as i32 as usize);
        write_guest(mem, buf, &target[..n])?;
        Ok(n as u64)
    }

    pub(crate) fn sys_getcwd(&mut self, mem: &mut AddressSpace, buf: u64, size: u64) -> SysResult {
        let mut s = self.cwd.clone();
        s.push(0);
        if (size as usize) < s.len() {
            return Err(ERANGE);
        }
        write_guest(mem, buf, &s)?;
        Ok(s.len() as u64)
    }

    pub(crate) fn sys_chdir(&mut self, mem: &mut AddressSpace, path: u64) -> SysResult {
        let p = read_path(mem, path)?;
        if let Some(pp) = self.proc_path(AT_FDCWD as u64, &p) {
            if let Some(host) = self.procfs_stand_in(&pp) {
                if !crate::procfs::is_file_stand_in(host?) {
                    self.cwd = pp;
                    return Ok(0);
                }
                return Err(ENOTDIR);
            }
        }
        let r = self.path_at(mem, AT_FDCWD as u64, path, true)?;
        let md = std::fs::metadata(&r.host).map_err(|e| host_errno(&e))?;
        if !md.is_dir() {
            return Err(ENOTDIR);
        }
        self.cwd = r.guest;
        Ok(0)
    }

    pub(crate) fn sys_fchdir(&mut self, fd: u64) -> SysResult {
        let dir = self.base_dir(fd)?;
        self.cwd = dir;
        Ok(0)
    }

    pub(crate) fn sys_unlinkat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !AT_REMOVEDIR != 0 {
            return Err(EINVAL);
        }
        let r = self.path_at(mem, dirfd, path, false)?.writable()?;
        if r.guest == b"/" {
            return Err(libc::EBUSY as i64);
        }
        let res = if flags & AT_REMOVEDIR != 0 {
            std::fs::remove_dir(&r.host)
        } else {
            std::fs::remove_file(&r.host)
        };
        fs_done(res)
    }

    pub(crate) fn sys_mkdirat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        mode: u64,
    ) -> SysResult {
        let r = self.path_at(mem, dirfd, path, false)?;
        let mode = (mode as u32 & 0o7777) & !self.umask;
        fs_done(std::fs::DirBuilder::new().mode(mode).create(&r.host))?;
        if mode & host_umask() != 0 {
            // The host's umask took bits the guest's leaves: add them back
            // (keeping a set-group-ID bit inherited from the parent).
            let now = std::fs::symlink_metadata(&r.host).map_err(|e| host_errno(&e))?;
            let bits = now.permissions().mode() & 0o7777 | mode & 0o777;
            fs_done(std::fs::set_permissions(
                &r.host,
                std::fs::Permissions::from_mode(bits),
            ))?;
        }
        Ok(0)
    }

    pub(crate) fn sys_renameat2(
        &mut self,
        mem: &mut AddressSpace,
        olddir: u64,
        old: u64,
        newdir: u64,
        new: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !7 != 0 {
            return Err(EINVAL);
        }
        let (o, n) = self.two_paths_at(mem, (olddir, old), (newdir, new), false)?;
        let (o, n) = (o.writable()?, n.writable()?);
        if o.guest == b"/" || n.guest == b"/" {
            return Err(libc::EBUSY as i64);
        }
        let (oc, nc) = (cpath(&o.host)?, cpath(&n.host)?);
        // SAFETY: valid NUL-terminated paths; flags are the same on every Linux.
        libc_done(unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                oc.as_ptr(),
                libc::AT_FDCWD,
                nc.as_ptr(),
                flags as u32,
            )
        })
    }

    pub(crate) fn sys_symlinkat(
        &mut self,
        mem: &mut AddressSpace,
        target: u64,
        dirfd: u64,
        path: u64,
    ) -> SysResult {
        let t = read_path(mem, target)?;
        if t.is_empty() {
            return Err(ENOENT);
        }
        let r = self.path_at(mem, dirfd, path, false)?.writable()?;
        // The target is stored as is: it is only ever read back by the resolver.
        fs_done(std::os::unix::fs::symlink(
            std::ffi::OsStr::from_bytes(&t),
            &r.host,
        ))
    }

    pub(crate) fn sys_linkat(
        &mut self,
        mem: &mut AddressSpace,
        olddir: u64,
        old: u64,
        newdir: u64,
        new: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(EINVAL);
        }
        let follow = flags & AT_SYMLINK_FOLLOW != 0;
        let (o, n) = self.two_paths_at(mem, (olddir, old), (newdir, new), follow)?;
        let n = n.writable()?;
        fs_done(std::fs::hard_link(&o.host, &n.host))
    }

    pub(crate) fn sys_faccessat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        mode: u64,
        flags: u64,
    ) -> SysResult {
        if mode & !7 != 0 || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(EINVAL);
        }
        let p = read_path(mem, path)?;
        let stand_in = self
            .proc_path(dirfd, &p)
            .and_then(|pp| self.procfs_stand_in(&pp));
        let host = match (stand_in, self.special_host(dirfd, &p)) {
            (Some(emulated), _) => PathBuf::from(emulated?),
            (None, Some(h)) => h,
            (None, None) => {
                if p.is_empty() && flags & AT_EMPTY_PATH != 0 {
                    self.fd_metadata(dirfd)?;
                    return Ok(0);
                }
                self.resolve_at(dirfd, &p, flags & AT_SYMLINK_NOFOLLOW == 0)?
                    .host
            }
        };
        let c = cpath(&host)?;
        let hflags = if flags & AT_SYMLINK_NOFOLLOW != 0 {
            libc::AT_SYMLINK_NOFOLLOW
        } else {
            0
        };
        // SAFETY: a valid NUL-terminated path.
        libc_done(unsafe { libc::faccessat(libc::AT_FDCWD, c.as_ptr(), mode as i32, hflags) })
    }

    /// truncate(path, length): on the host file, whose shared mappings then
    /// see the new size as ftruncate's do.
    pub(crate) fn sys_truncate(
        &mut self,
        mem: &mut AddressSpace,
        path: u64,
        len: u64,
    ) -> SysResult {
        if (len as i64) < 0 {
            return Err(EINVAL);
        }
        let r = self.path_at(mem, AT_FDCWD as u64, path, true)?.writable()?;
        if r.host.is_dir() {
            return Err(EISDIR);
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(&r.host)
            .map_err(|e| host_errno(&e))?;
        file.set_len(len).map_err(|e| host_errno(&e))?;
        crate::shared::file_resized(std::os::fd::AsRawFd::as_raw_fd(&file));
        Ok(0)
    }

    pub(crate) fn sys_fchmodat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        mode: u64,
    ) -> SysResult {
        let r = self.path_at(mem, dirfd, path, true)?.writable()?;
        fs_done(std::fs::set_permissions(
            &r.host,
            std::fs::Permissions::from_mode(mode as u32 & 0o7777),
        ))
    }

    /// fchownat(dirfd, path, uid, gid, flags) on the host file, which checks
    /// the guest's credentials as for every file call; an id of -1 stays.
    pub(crate) fn sys_fchownat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        uid: u64,
        gid: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(EINVAL);
        }
        let p = read_path(mem, path)?;
        if p.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd as i32 as i64 != AT_FDCWD {
            return self.sys_fchown(dirfd, uid, gid);
        }
        let r = self
            .resolve_at(dirfd, &p, flags & AT_SYMLINK_NOFOLLOW == 0)?
            .writable()?;
        let c = cpath(&r.host)?;
        // The resolution followed any final link it was asked to follow.
        // SAFETY: a valid NUL-terminated path.
        libc_done(unsafe {
            libc::fchownat(
                libc::AT_FDCWD,
                c.as_ptr(),
                uid as u32,
                gid as u32,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        })
    }

    pub(crate) fn sys_utimensat(
        &mut self,
        mem: &mut AddressSpace,
        dirfd: u64,
        path: u64,
        times: u64,
        flags: u64,
    ) -> SysResult {
        let mut ts = [libc::timespec {
            tv_sec: 0,
            tv_nsec: libc::UTIME_NOW,
        }; 2];
        if times != 0 {
            let b = read_guest(mem, times, 32)?;
            for (i, t) in ts.iter_mut().enumerate() {
                let w = |o: usize| i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
                t.tv_sec = w(16 * i) as _;
                t.tv_nsec = w(16 * i + 8) as _;
            }
        }
        let r = if path == 0 {
            let raw = self.metadata_fd(dirfd)?;
            // SAFETY: `ts` holds two timespecs.
            unsafe { libc::futimens(raw, ts.as_ptr()) }
        } else {
            let nofollow = flags & AT_SYMLINK_NOFOLLOW != 0;
            let r = self.path_at(mem, dirfd, path, !nofollow)?.writable()?;
            let c = cpath(&r.host)?;
            let hf = if nofollow {
                libc::AT_SYMLINK_NOFOLLOW
            } else {
                0
            };
            // SAFETY: a valid path and two timespecs.
            unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), ts.as_ptr(), hf) }
        };
        libc_done(r)
    }
}

/// 0, or the host errno of a failed std::fs call.
fn fs_done(res: std::io::Result<()>) -> SysResult {
    res.map(|_| 0).map_err(|e| host_errno(&e))
}

/// 0, or the host errno when a libc call returned a negative value.
fn libc_done(r: libc::c_int) -> SysResult {
    if r < 0 {
        return Err(last_errno());
    }
    Ok(0)
}
