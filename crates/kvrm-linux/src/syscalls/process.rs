//! What a process needs of its own for the kernel's process calls: finding
//! and loading the program of an `execve` (following `#!` lines), and
//! `sendfile`. Process creation, exit, wait and signals between processes are
//! the kernel's (`crate::kernel`).

// libc field widths differ between hosts: keep the casts.
#![allow(clippy::unnecessary_cast)]

use kvrm_isa::AddressSpace;

use super::files::{cpath, last_errno};
use super::{misc, read_path, LinuxProcess, SysResult};
use crate::abi::{errno::*, layout, signal::*};
use crate::elf::{load_elf, load_interpreter, ElfError};
use crate::fd::LockFile;
use crate::stack::{self, ProcessImage};

/// clone flag bits (linux/sched.h).
pub mod clone_flags {
    pub const CLONE_VM: u64 = 0x100;
    pub const CLONE_FS: u64 = 0x200;
    pub const CLONE_FILES: u64 = 0x400;
    pub const CLONE_SIGHAND: u64 = 0x800;
    pub const CLONE_PIDFD: u64 = 0x1000;
    pub const CLONE_VFORK: u64 = 0x4000;
    pub const CLONE_THREAD: u64 = 0x10000;
    pub const CLONE_SETTLS: u64 = 0x80000;
    pub const CLONE_PARENT_SETTID: u64 = 0x100000;
    pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
    pub const CLONE_CHILD_SETTID: u64 = 0x0100_0000;
}

/// The most argv + envp bytes execve accepts (as Linux with an 8 MiB stack: a quarter of it).
const ARG_MAX: usize = 2 * 1024 * 1024;
/// Interpreter (`#!`) nesting Linux follows before ELOOP.
const MAX_INTERP_DEPTH: u32 = 4;

/// A program execve built, ready to replace the current one.
pub(crate) struct NewImage {
    pub space: AddressSpace,
    pub entry: u64,
    pub sp: u64,
    brk_start: u64,
    args: (u64, u64),
    map_names: Vec<crate::procfs::NamedMapping>,
    path: Vec<u8>,
    host: std::path::PathBuf,
    link: Vec<u8>,
}

/// A program found by execve.
struct ExecImage {
    data: Vec<u8>,
    host: std::path::PathBuf,
    link: Vec<u8>,
    argv: Vec<Vec<u8>>,
}

fn errno_of_elf(e: &ElfError) -> i64 {
    match e {
        ElfError::NestedInterpreter(_) => ELIBBAD,
        ElfError::Map { .. } => ENOMEM,
        _ => ENOEXEC,
    }
}

/// Kill this host process with `sig` (its default action), without a core file.
pub fn die_of_signal(sig: i32) -> ! {
    // SAFETY: plain libc calls on this process: no core file, default
    // disposition, signal unblocked, then the signal itself.
    unsafe {
        let zero = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::setrlimit(libc::RLIMIT_CORE, &zero);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), sig);
        // A signal whose default is to be ignored (or stop) got here.
        libc::_exit(128 + (sig & 0x7f))
    }
}

/// Read a NULL-terminated guest array of string pointers (argv, envp).
fn read_string_array(
    mem: &AddressSpace,
    addr: u64,
    total: &mut usize,
) -> Result<Vec<Vec<u8>>, i64> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    for i in 0.. {
        let p = mem.read_u64(addr + 8 * i).map_err(|_| EFAULT)?;
        if p == 0 {
            break;
        }
        let s = mem.read_cstring(p, ARG_MAX + 1).map_err(|_| EFAULT)?;
        *total += s.len() + 1 + 8;
        if *total > ARG_MAX {
            return Err(E2BIG);
        }
        out.push(s);
    }
    Ok(out)
}

impl LinuxProcess {
    /// Find the program `path` names (following `#!` lines) and read it.
    fn exec_image(&self, path: &[u8], argv: Vec<Vec<u8>>, depth: u32) -> Result<ExecImage, i64> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        let (host, link) = if super::files::lexical(&self.cwd, path) == b"/proc/self/exe" {
            (self.exe_host.clone(), self.exe_link.clone())
        } else if let Some(file) = self.fd_path_target(crate::abi::at::AT_FDCWD as u64, path) {
            // /proc/self/fd/N, /dev/fd/N (fexecve): the file open as N,
            // through the host's own /proc (a memfd has no other name).
            let file = file?;
            let f = file.lock_file();
            if f.is_dir {
                return Err(EACCES);
            }
            let host = std::path::PathBuf::from(format!("/proc/self/fd/{}", f.host.raw()));
            let link = match &f.guest_path {
                Some(g) => g.clone(),
                None => std::fs::read_link(&host)
                    .map(|l| l.into_os_string().into_encoded_bytes())
                    .unwrap_or_default(),
            };
            (host, link)
        } else {
            let r = self.sandbox.resolve(&self.cwd, path, true)?;
            (r.host, r.guest)
        };
        let md = std::fs::metadata(&host).map_err(|e| crate::sandbox::host_errno(&e))?;
        if !md.is_file() {
            return Err(EACCES);
        }
        let c = cpath(&host)?;
        // SAFETY: `c` is a valid NUL-terminated path.
        if unsafe { libc::access(c.as_ptr(), libc::X_OK) } < 0 {
            return Err(last_errno());
        }
        let data = std::fs::read(&host).map_err(|e| crate::sandbox::host_errno(&e))?;
        if data.starts_with(b"#!") {
            if depth >= MAX_INTERP_DEPTH {
                return Err(ELOOP);
            }
            // "#!interp [one argument]": the first line, at most 256 bytes.
            let line_end = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
            let line = data[2..line_end.min(256)].trim_ascii();
            let blank = |b: &u8| *b == b' ' || *b == b'\t';
            let (interp, arg) = match line.iter().position(blank) {
                Some(i) => (&line[..i], line[i..].trim_ascii()),
                None => (line, &b""[..]),
            };
            return self.exec_script(interp, arg, path, argv, depth);
        }
        Ok(ExecImage {
            data,
            host,
            link,
            argv,
        })
    }

    fn exec_script(
        &self,
        interp: &[u8],
        arg: &[u8],
        path: &[u8],
        argv: Vec<Vec<u8>>,
        depth: u32,
    ) -> Result<ExecImage, i64> {
        if interp.is_empty() {
            return Err(ENOEXEC);
        }
        let mut new_argv = vec![interp.to_vec()];
        if !arg.is_empty() {
            new_argv.push(arg.to_vec());
        }
        new_argv.push(path.to_vec());
        new_argv.extend(argv.into_iter().skip(1));
        self.exec_image(interp, new_argv, depth + 1)
    }

    /// execve's work up to the point of no return: read the arguments, find
    /// the program, build its address space and stack. Errors return to the
    /// old program; on success [`Self::commit_exec`] finishes.
    pub(crate) fn prepare_exec(
        &mut self,
        mem: &AddressSpace,
        a: [u64; 6],
    ) -> Result<NewImage, i64> {
        let path = read_path(mem, a[0])?;
        self.prepare_exec_path(mem, path, a[1], a[2])
    }

    /// execveat(dirfd, path, argv, envp, flags): the program as a path of
    /// its own, so execve's lookup does the rest. AT_EMPTY_PATH with an
    /// empty path names the descriptor itself (fexecve): /proc/self/fd/N.
    pub(crate) fn prepare_execveat(
        &mut self,
        mem: &AddressSpace,
        a: [u64; 6],
    ) -> Result<NewImage, i64> {
        use crate::abi::at::{AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
        let (dirfd, flags) = (a[0], a[4]);
        if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
            return Err(EINVAL);
        }
        let p = read_path(mem, a[1])?;
        let path = if p.is_empty() {
            if flags & AT_EMPTY_PATH == 0 {
                return Err(ENOENT);
            }
            self.fds.get(dirfd)?;
            format!("/proc/self/fd/{dirfd}").into_bytes()
        } else if p[0] == b'/' || dirfd as i32 as i64 == AT_FDCWD {
            p
        } else {
            super::files::lexical(&self.base_dir(dirfd)?, &p)
        };
        if flags & AT_SYMLINK_NOFOLLOW != 0 {
            let r = self.sandbox.resolve(&self.cwd, &path, false)?;
            if std::fs::symlink_metadata(&r.host).is_ok_and(|m| m.file_type().is_symlink()) {
                return Err(ELOOP);
            }
        }
        self.prepare_exec_path(mem, path, a[2], a[3])
    }

    fn prepare_exec_path(
        &mut self,
        mem: &AddressSpace,
        path: Vec<u8>,
        argv_at: u64,
        envp_at: u64,
    ) -> Result<NewImage, i64> {
        let a = [0, argv_at, envp_at];
        let mut total = 0usize;
        let argv = read_string_array(mem, a[1], &mut total)?;
        let envp = read_string_array(mem, a[2], &mut total)?;
        let img = self.exec_image(&path, argv, 0)?;

        let mut space = AddressSpace::new();
        let loaded = load_elf(&img.data, &mut space).map_err(|e| errno_of_elf(&e))?;
        let interp = match &loaded.interp {
            None => None,
            Some(ipath) => {
                // Linux opens the interpreter as the new program would: a
                // missing one is ENOENT, a bad one ELIBBAD.
                let r = self.sandbox.resolve(b"/", ipath, true)?;
                let idata = std::fs::read(&r.host).map_err(|e| crate::sandbox::host_errno(&e))?;
                Some(
                    load_interpreter(&idata, &mut space, ipath).map_err(|e| match e {
                        ElfError::Map { .. } => ENOMEM,
                        _ => ELIBBAD,
                    })?,
                )
            }
        };
        if space.committed_bytes() > self.commit_room {
            return Err(ENOMEM);
        }
        let mut random = [0u8; 16];
        self.fill_random(&mut random);
        let pimg = ProcessImage {
            argv: img.argv,
            envp,
            execfn: path.clone(),
            random,
            uid: self.creds.ruid,
            euid: self.creds.euid,
            gid: self.creds.rgid,
            egid: self.creds.egid,
        };
        let info =
            stack::setup_stack(&mut space, &loaded, interp.as_ref(), &pimg).map_err(|_| E2BIG)?;
        let map_names = crate::procfs_names(
            &loaded,
            interp.as_ref(),
            &img.link,
            &self.sandbox,
            &loaded.interp,
        );
        Ok(NewImage {
            args: info.args,
            map_names,
            space,
            entry: interp.as_ref().map_or(loaded.entry, |i| i.entry),
            sp: info.sp,
            brk_start: loaded.brk_start,
            path,
            host: img.host,
            link: img.link,
        })
    }

    /// Signal handlers go back to the default; ignored signals stay ignored
    /// (execve, clone3's CLONE_CLEAR_SIGHAND).
    pub(crate) fn reset_handled_signals(&mut self) {
        for act in self.sig.actions.iter_mut() {
            if act[0] != SIG_IGN {
                *act = [SIG_DFL, 0, 0, 0];
            } else {
                *act = [SIG_IGN, 0, 0, 0];
            }
        }
    }

    /// The process side of a successful execve: close-on-exec descriptors,
    /// signal handlers back to default, a fresh heap and name.
    pub(crate) fn commit_exec(&mut self, img: &NewImage) {
        self.fds.close_on_exec();
        self.release_orphan_locks();
        self.brk_start = img.brk_start;
        self.brk_cur = img.brk_start;
        self.mmap_top = layout::MMAP_TOP;
        self.reset_handled_signals();
        self.sig.altstack = (0, SS_DISABLE, 0);
        self.knobs.caps = super::knobs::Knobs::caps_after_exec(self.creds.ruid, self.creds.euid);
        self.knobs.keepcaps = false;
        let base = img.host.file_name().map(|n| n.as_encoded_bytes().to_vec());
        let name = match img.path.rsplit(|&b| b == b'/').next() {
            Some(n) if !n.is_empty() => n.to_vec(),
            _ => base.unwrap_or_default(),
        };
        self.comm = [0; 16];
        for (d, s) in self.comm.iter_mut().zip(name.iter().take(15)) {
            *d = *s;
        }
        self.exe_host = img.host.clone();
        self.exe_link = img.link.clone();
        self.args_range = img.args;
        self.map_names = img.map_names.clone();
        self.mlocked = Default::default();
    }

    pub(crate) fn sys_sendfile(
        &mut self,
        mem: &mut AddressSpace,
        out_fd: u64,
        in_fd: u64,
        offset: u64,
        count: u64,
    ) -> SysResult {
        let out = self.fds.get(out_fd)?;
        let inp = self.fds.get(in_fd)?;
        // One statement each: the two may be one open file (one lock).
        let (out_raw, out_netlink) = {
            let f = out.lock_file();
            (f.host.raw(), f.netlink)
        };
        let in_raw = inp.lock_file().host.raw();
        // Netlink requests reach the host only through sendto/sendmsg,
        // which check that they only read (socket.rs).
        if out_netlink {
            return Err(EPERM);
        }
        let mut off: i64 = 0;
        if offset != 0 {
            off = mem.read_u64(offset).map_err(|_| EFAULT)? as i64;
            super::check_writable(mem, offset, 8)?;
        }
        let count = count.min(0x7fff_f000) as usize;
        // SAFETY: both descriptors are open; `off` is valid for the call.
        let r = unsafe {
            libc::sendfile(
                out_raw,
                in_raw,
                if offset != 0 {
                    &mut off
                } else {
                    std::ptr::null_mut()
                },
                count,
            )
        };
        if r < 0 {
            let e = last_errno();
            if e == EPIPE {
                self.raise_default(SIGPIPE);
            }
            return Err(e);
        }
        if offset != 0 {
            misc::write_u64(mem, offset, off as u64)?;
        }
        Ok(r as u64)
    }

    /// copy_file_range between two regular files, on the host descriptors
    /// (Go's io.Copy from one *os.File to another tries it first).
    pub(crate) fn sys_copy_file_range(&mut self, mem: &mut AddressSpace, a: [u64; 6]) -> SysResult {
        let [in_fd, in_off, out_fd, out_off, len, flags] = a;
        if flags != 0 {
            return Err(EINVAL);
        }
        let in_raw = self.fds.get(in_fd)?.lock_file().host.raw();
        let out_raw = self.fds.get(out_fd)?.lock_file().host.raw();
        let mut offs = [0i64; 2];
        for (o, &p) in offs.iter_mut().zip(&[in_off, out_off]) {
            if p != 0 {
                *o = mem.read_u64(p).map_err(|_| EFAULT)? as i64;
                super::check_writable(mem, p, 8)?;
            }
        }
        let [mut off_in, mut off_out] = offs;
        let ptr = |p: u64, o: &mut i64| {
            if p != 0 {
                o as *mut i64
            } else {
                std::ptr::null_mut()
            }
        };
        // SAFETY: both descriptors are open; the offsets are valid for the call.
        let r = unsafe {
            libc::copy_file_range(
                in_raw,
                ptr(in_off, &mut off_in),
                out_raw,
                ptr(out_off, &mut off_out),
                len.min(0x7fff_f000) as usize,
                0,
            )
        };
        if r < 0 {
            return Err(last_errno());
        }
        for (p, o) in [(in_off, off_in), (out_off, off_out)] {
            if p != 0 {
                misc::write_u64(mem, p, o as u64)?;
            }
        }
        Ok(r as u64)
    }
}
