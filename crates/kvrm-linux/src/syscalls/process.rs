//! Processes, the way qemu-user runs them: a guest fork is a host fork (the
//! child process goes on emulating its copy of the guest), a guest execve
//! loads the new program into a fresh address space of the same host process,
//! and wait4 / waitid / kill work on host pids, which are the guest's pids.

// libc field widths differ between hosts: keep the casts.
#![allow(clippy::unnecessary_cast)]

use std::io::Write;

use kvrm_isa::{Backend, GuestMemory};

use super::files::{cpath, last_errno};
use super::{misc, read_path, write_guest, LinuxProcess, SysResult};
use crate::abi::{errno::*, layout, signal::*};
use crate::elf::{load_elf, ElfError};
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

/// A program found by execve, ready to replace the current one.
struct ExecImage {
    data: Vec<u8>,
    host: std::path::PathBuf,
    link: Vec<u8>,
    argv: Vec<Vec<u8>>,
}

fn errno_of_elf(e: &ElfError) -> i64 {
    match e {
        // The kernel looks for the interpreter; there is none in the sandbox.
        ElfError::Dynamic(_) => ENOENT,
        ElfError::Map { .. } => ENOMEM,
        _ => ENOEXEC,
    }
}

/// Flush what Rust buffers before the process image is duplicated or ends.
fn flush_host_stdio() {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
}

/// End this host process the way the guest ended: exit with its status, or die
/// of its signal (no core file) so that the parent's wait sees the signal.
pub fn exit_host(status: crate::ProcessExit) -> ! {
    // No flush: Rust's stdout was flushed before the fork, and its lock may be
    // held by a thread that did not come along (in a multi-threaded host).
    match status {
        crate::ProcessExit::Exited(s) => {
            // SAFETY: _exit ends the process; nothing of Rust's is needed after.
            unsafe { libc::_exit(s & 0xff) }
        }
        crate::ProcessExit::Signaled(sig) => die_of_signal(sig),
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
    mem: &mut GuestMemory,
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
    /// clone (fork and vfork only; threads are not supported).
    pub(crate) fn sys_clone<B: Backend + ?Sized>(
        &mut self,
        backend: &mut B,
        a: [u64; 6],
    ) -> SysResult {
        use clone_flags::*;
        // arm64: clone(flags, newsp, parent_tidptr, tls, child_tidptr).
        let (mut flags, newsp, parent_tid, tls, child_tid) = (a[0], a[1], a[2], a[3], a[4]);
        // vfork: the child gets a copy of the memory instead of sharing it.
        if flags & CLONE_VFORK != 0 {
            flags &= !(CLONE_VFORK | CLONE_VM);
        }
        if flags & (CLONE_VM | CLONE_THREAD) != 0 {
            if self.warned.insert(1_000_000 + super::nr::CLONE) {
                tracing::warn!(
                    "clone with flags {flags:#x}: threads are not supported, returning -ENOSYS"
                );
            }
            return Err(ENOSYS);
        }
        if flags & (CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_PIDFD) != 0 {
            return Err(EINVAL);
        }
        flush_host_stdio();
        // SAFETY: kvrm runs the guest on one thread; the child only goes on
        // emulating with its copy of this process.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(last_errno());
        }
        if pid > 0 {
            if flags & CLONE_PARENT_SETTID != 0 {
                misc::write_u32(backend.memory_mut(), parent_tid, pid as u32)?;
            }
            return Ok(pid as u64);
        }
        // The child.
        // SAFETY: these calls take no arguments and cannot fail.
        let (me, parent) = unsafe { (libc::getpid(), libc::getppid()) };
        self.pid = me as u32;
        self.ppid = parent as u32;
        self.forked = true;
        self.sig.pending = 0;
        if newsp != 0 {
            backend.state_mut().sp = newsp;
        }
        if flags & CLONE_SETTLS != 0 {
            backend.state_mut().tpidr_el0 = tls;
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = misc::write_u32(backend.memory_mut(), child_tid, me as u32);
        }
        if flags & CLONE_CHILD_CLEARTID != 0 {
            self.clear_child_tid = child_tid;
        }
        Ok(0)
    }

    /// Find the program `path` names (following `#!` lines) and read it.
    fn exec_image(&self, path: &[u8], argv: Vec<Vec<u8>>, depth: u32) -> Result<ExecImage, i64> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        let (host, link) = if super::files::lexical(&self.cwd, path) == "/proc/self/exe" {
            (self.exe_host.clone(), self.exe_link.clone())
        } else {
            let r = self.sandbox.resolve(&self.cwd, path, true)?;
            (r.host, r.guest.into_bytes())
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

    /// execve: replace the program. Errors return to the old program.
    pub(crate) fn sys_execve<B: Backend + ?Sized>(
        &mut self,
        backend: &mut B,
        a: [u64; 6],
    ) -> SysResult {
        let mem = backend.memory_mut();
        let path = read_path(mem, a[0])?;
        let mut total = 0usize;
        let argv = read_string_array(mem, a[1], &mut total)?;
        let envp = read_string_array(mem, a[2], &mut total)?;
        let img = self.exec_image(&path, argv, 0)?;

        let mut new_mem = GuestMemory::new();
        let loaded = load_elf(&img.data, &mut new_mem).map_err(|e| errno_of_elf(&e))?;
        let mut random = [0u8; 16];
        misc::fill_random(&mut random);
        let pimg = ProcessImage {
            argv: img.argv,
            envp,
            execfn: path.clone(),
            random,
            uid: self.uid,
            gid: self.gid,
        };
        let info = stack::setup_stack(&mut new_mem, &loaded, &pimg).map_err(|_| E2BIG)?;

        // The point of no return.
        backend.reset_memory(new_mem);
        stack::init_registers(backend.state_mut(), loaded.entry, info.sp);
        self.fds.close_on_exec();
        self.brk_start = loaded.brk_start;
        self.brk_cur = loaded.brk_start;
        self.mmap_top = layout::MMAP_TOP;
        for act in self.sig.actions.iter_mut() {
            // Handlers go back to the default; ignored signals stay ignored.
            if act[0] != SIG_IGN {
                *act = [SIG_DFL, 0, 0, 0];
            } else {
                *act = [SIG_IGN, 0, 0, 0];
            }
        }
        for sig in 1..=31 {
            self.mirror_disposition(sig);
        }
        self.sig.altstack = (0, SS_DISABLE, 0);
        self.robust_list = (0, 0);
        self.clear_child_tid = 0;
        let base = img.host.file_name().map(|n| n.as_encoded_bytes().to_vec());
        let name = match path.rsplit(|&b| b == b'/').next() {
            Some(n) if !n.is_empty() => n.to_vec(),
            _ => base.unwrap_or_default(),
        };
        self.comm = [0; 16];
        for (d, s) in self.comm.iter_mut().zip(name.iter().take(15)) {
            *d = *s;
        }
        self.exe_host = img.host;
        self.exe_link = img.link;
        Ok(0)
    }

    /// Run a blocking host wait call, taking the host signals and retrying
    /// when it is interrupted. `Ok(None)` when a signal made the guest exit
    /// meanwhile (the caller returns 0); the host errno when the call fails.
    fn host_wait(&mut self, mut call: impl FnMut() -> i64) -> Result<Option<i64>, i64> {
        loop {
            let r = call();
            if r >= 0 {
                return Ok(Some(r));
            }
            if last_errno() != EINTR {
                return Err(last_errno());
            }
            self.take_host_signals();
            if self.pending_exit.is_some() {
                return Ok(None);
            }
        }
    }

    /// wait4(pid, wstatus, options, rusage) on host children.
    pub(crate) fn sys_wait4(
        &mut self,
        mem: &mut GuestMemory,
        pid: u64,
        wstatus: u64,
        options: u64,
        rusage: u64,
    ) -> SysResult {
        const KNOWN: u64 = 1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000;
        if options & !KNOWN != 0 {
            return Err(EINVAL);
        }
        let mut status = 0i32;
        // SAFETY: rusage is a plain struct the kernel fills.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let Some(r) = self.host_wait(|| {
            // SAFETY: `status` and `ru` are valid for the call.
            unsafe { libc::wait4(pid as i32, &mut status, options as i32, &mut ru) as i64 }
        })?
        else {
            return Ok(0);
        };
        if r > 0 {
            if wstatus != 0 {
                misc::write_u32(mem, wstatus, status as u32)?;
            }
            if rusage != 0 {
                write_guest(mem, rusage, &rusage_bytes(&ru))?;
            }
        }
        Ok(r as u64)
    }

    /// waitid(idtype, id, infop, options, rusage) on host children.
    pub(crate) fn sys_waitid(
        &mut self,
        mem: &mut GuestMemory,
        idtype: u64,
        id: u64,
        infop: u64,
        options: u64,
        rusage: u64,
    ) -> SysResult {
        // SAFETY: zeroed siginfo / rusage are valid values to fill.
        let mut si: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
        let waited = self.host_wait(|| {
            // SAFETY: the pointers are valid for the call; waitid with a
            // rusage pointer is the raw syscall's five-argument form.
            unsafe {
                libc::syscall(
                    libc::SYS_waitid,
                    idtype as libc::c_int,
                    id as libc::c_int,
                    &mut si as *mut libc::siginfo_t,
                    options as libc::c_int,
                    &mut ru as *mut libc::rusage,
                )
            }
        })?;
        if waited.is_none() {
            return Ok(0);
        }
        if infop != 0 {
            // x86_64 and arm64 Linux share the 128-byte siginfo layout.
            // SAFETY: siginfo_t is 128 plain bytes.
            let bytes: [u8; 128] = unsafe { std::mem::transmute(si) };
            write_guest(mem, infop, &bytes)?;
        }
        if rusage != 0 {
            write_guest(mem, rusage, &rusage_bytes(&ru))?;
        }
        Ok(0)
    }

    /// kill / tkill / tgkill aimed at another process: the host's kill.
    pub(crate) fn host_kill(&mut self, pid: i32, sig: u64) -> SysResult {
        if sig > NSIG as u64 {
            return Err(EINVAL);
        }
        // SAFETY: kill takes plain integers.
        if unsafe { libc::kill(pid, sig as i32) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    /// Signals the host delivered to this process for the guest (see
    /// `mirror_disposition`): take them now.
    pub(crate) fn take_host_signals(&mut self) {
        let bits = HOST_PENDING.swap(0, std::sync::atomic::Ordering::Relaxed);
        for sig in 1..=NSIG {
            if bits & (1u64 << (sig - 1)) != 0 {
                let _ = self.deliver(sig as u64);
            }
        }
    }

    /// Make the host's disposition of `sig` follow the guest's new one, so
    /// that a signal sent by another process acts on the guest: ignored stays
    /// ignored, default ends the host process with that signal, and a guest
    /// handler records the signal for the next syscall.
    pub(crate) fn mirror_disposition(&mut self, sig: i32) {
        // Faults are kvrm's own; SIGPIPE is emulated from EPIPE; SIGKILL and
        // SIGSTOP cannot be changed.
        if matches!(
            sig,
            SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGPIPE | SIGKILL | SIGSTOP
        ) || sig > 31
        {
            return;
        }
        let handler = self.sig.actions[(sig - 1) as usize][0];
        // SAFETY: installs SIG_IGN, SIG_DFL or `record_host_signal`, which only
        // touches an atomic.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = match handler {
                SIG_IGN => libc::SIG_IGN,
                SIG_DFL => libc::SIG_DFL,
                _ => {
                    sa.sa_flags = libc::SA_RESTART;
                    record_host_signal as extern "C" fn(libc::c_int) as libc::sighandler_t
                }
            };
            libc::sigemptyset(&mut sa.sa_mask);
            libc::sigaction(sig, &sa, std::ptr::null_mut());
        }
    }

    pub(crate) fn sys_sendfile(
        &mut self,
        mem: &mut GuestMemory,
        out_fd: u64,
        in_fd: u64,
        offset: u64,
        count: u64,
    ) -> SysResult {
        let out = self.fds.get(out_fd)?;
        let inp = self.fds.get(in_fd)?;
        let (out_raw, in_raw) = (out.borrow().host.raw(), inp.borrow().host.raw());
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

    /// getpgid / setpgid / getsid / setsid: the host's answers.
    pub(crate) fn sys_pgrp(&mut self, n: u64, a0: u64, a1: u64) -> SysResult {
        use super::nr::*;
        // SAFETY: these calls take plain integers.
        let r = unsafe {
            match n {
                GETPGID => libc::getpgid(a0 as i32),
                SETPGID => libc::setpgid(a0 as i32, a1 as i32),
                GETSID => libc::getsid(a0 as i32),
                _ => libc::setsid(),
            }
        };
        if r < 0 {
            return Err(last_errno());
        }
        Ok(r as u64)
    }
}

/// Signals caught on the host for guest handlers, one bit each.
static HOST_PENDING: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

extern "C" fn record_host_signal(sig: libc::c_int) {
    if (1..=64).contains(&sig) {
        HOST_PENDING.fetch_or(1u64 << (sig - 1), std::sync::atomic::Ordering::Relaxed);
    }
}

/// struct rusage as the guest lays it out (two timevals, fourteen longs).
fn rusage_bytes(ru: &libc::rusage) -> [u8; 144] {
    let v: [i64; 18] = [
        ru.ru_utime.tv_sec as i64,
        ru.ru_utime.tv_usec as i64,
        ru.ru_stime.tv_sec as i64,
        ru.ru_stime.tv_usec as i64,
        ru.ru_maxrss as i64,
        ru.ru_ixrss as i64,
        ru.ru_idrss as i64,
        ru.ru_isrss as i64,
        ru.ru_minflt as i64,
        ru.ru_majflt as i64,
        ru.ru_nswap as i64,
        ru.ru_inblock as i64,
        ru.ru_oublock as i64,
        ru.ru_msgsnd as i64,
        ru.ru_msgrcv as i64,
        ru.ru_nsignals as i64,
        ru.ru_nvcsw as i64,
        ru.ru_nivcsw as i64,
    ];
    let mut b = [0u8; 144];
    for (i, x) in v.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&x.to_le_bytes());
    }
    b
}
