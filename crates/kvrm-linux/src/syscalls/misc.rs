//! Process, signal, time and system-information syscalls.

// libc's time_t / c_long widths differ between hosts: keep the casts.
#![allow(clippy::unnecessary_cast)]

use kvrm_isa::AddressSpace;

use super::{read_guest, write_guest, LinuxProcess, SysResult};
use crate::abi::{errno::*, signal::*};

pub(crate) fn write_u64(mem: &mut AddressSpace, addr: u64, v: u64) -> Result<(), i64> {
    write_guest(mem, addr, &v.to_le_bytes())
}

pub(crate) fn write_u32(mem: &mut AddressSpace, addr: u64, v: u32) -> Result<(), i64> {
    write_guest(mem, addr, &v.to_le_bytes())
}

pub(crate) fn read_u64(mem: &AddressSpace, addr: u64) -> Result<u64, i64> {
    mem.read_u64(addr).map_err(|_| EFAULT)
}

pub(crate) fn host_clock(clk: i32) -> Result<libc::timespec, i64> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Only the POSIX clock ids (0..=11); no CPU-time clocks of other processes.
    if !(0..=11).contains(&clk) {
        return Err(EINVAL);
    }
    // SAFETY: `ts` is a valid timespec to fill.
    if unsafe { libc::clock_gettime(clk, &mut ts) } < 0 {
        return Err(EINVAL);
    }
    Ok(ts)
}

pub(crate) fn timespec_bytes(sec: i64, nsec: i64) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&sec.to_le_bytes());
    b[8..].copy_from_slice(&nsec.to_le_bytes());
    b
}

pub(crate) fn read_timespec(mem: &AddressSpace, addr: u64) -> Result<(i64, i64), i64> {
    let b = read_guest(mem, addr, 16)?;
    let s = i64::from_le_bytes(b[..8].try_into().unwrap_or_default());
    let ns = i64::from_le_bytes(b[8..].try_into().unwrap_or_default());
    if s < 0 || !(0..1_000_000_000).contains(&ns) {
        return Err(EINVAL);
    }
    Ok((s, ns))
}

fn utsname_field(s: &str) -> [u8; 65] {
    let mut f = [0u8; 65];
    for (d, b) in f.iter_mut().zip(s.bytes().take(64)) {
        *d = b;
    }
    f
}

/// prlimit64's new limit at `addr` (0: none), for resource `res` (EINVAL
/// past the known ones, EFAULT).
pub(crate) fn read_rlimit(
    mem: &AddressSpace,
    res: u64,
    addr: u64,
) -> Result<Option<[u64; 2]>, i64> {
    if res >= 16 {
        return Err(EINVAL);
    }
    if addr == 0 {
        return Ok(None);
    }
    let b = read_guest(mem, addr, 16)?;
    let cur = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
    let max = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
    Ok(Some([cur, max]))
}

/// prlimit64's old limit to `addr` (0: not wanted).
pub(crate) fn write_rlimit(mem: &mut AddressSpace, addr: u64, v: [u64; 2]) -> Result<(), i64> {
    if addr != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&v[0].to_le_bytes());
        b[8..].copy_from_slice(&v[1].to_le_bytes());
        write_guest(mem, addr, &b)?;
    }
    Ok(())
}

/// struct rusage (144 bytes): ru_utime and ru_stime as timevals, ru_maxrss
/// in kB; the counters kvrm does not keep (faults, I/O, switches) 0.
pub(crate) fn rusage_bytes(u: &super::Usage) -> [u8; 144] {
    let mut b = [0u8; 144];
    let tv = |ns: u64| [ns / 1_000_000_000, ns % 1_000_000_000 / 1000];
    let [us, uu] = tv(u.user_ns);
    let [ss, su] = tv(u.sys_ns);
    for (i, v) in [us, uu, ss, su, u.maxrss_kb].into_iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_le_bytes());
    }
    b
}

impl LinuxProcess {
    /// The guest's view of clock `clk`: the host's, or in a deterministic run
    /// the virtual clock (wall clocks start at a fixed date). The CPU-time
    /// clocks are the process's and the calling thread's accounted time.
    pub(crate) fn clock(&self, clk: i32) -> Result<libc::timespec, i64> {
        let cpu = match clk {
            2 => Some(self.usage),
            3 => Some(self.thread_usage),
            _ => None,
        };
        if let Some(u) = cpu {
            let ns = u.user_ns + u.sys_ns;
            return Ok(libc::timespec {
                tv_sec: (ns / 1_000_000_000) as _,
                tv_nsec: (ns % 1_000_000_000) as _,
            });
        }
        let Some(det) = self.det else {
            return host_clock(clk);
        };
        if !(0..=11).contains(&clk) {
            return Err(EINVAL);
        }
        let ns = match clk {
            0 | 5 | 8 | 11 => super::DETERMINISTIC_EPOCH_S * 1_000_000_000 + det.now_ns,
            _ => det.now_ns,
        };
        Ok(libc::timespec {
            tv_sec: (ns / 1_000_000_000) as _,
            tv_nsec: (ns % 1_000_000_000) as _,
        })
    }

    /// Random bytes: the host's, or in a deterministic run the seeded source.
    pub(crate) fn fill_random(&mut self, buf: &mut [u8]) {
        let Some(det) = self.det.as_mut() else {
            fill_random(buf);
            return;
        };
        for chunk in buf.chunks_mut(8) {
            det.rng = det.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = det.rng;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
    }

    /// CPU time used (user s, user µs, system s, system µs).
    /// `sig` from the kernel itself for the calling thread (SIGPIPE on
    /// EPIPE): the virtual kernel queues it after the call (kernel/signal.rs).
    pub(crate) fn raise_default(&mut self, sig: i32) {
        self.sig.pending |= 1u64 << (sig - 1);
    }

    pub(crate) fn sys_rt_sigaction(
        &mut self,
        mem: &mut AddressSpace,
        sig: u64,
        act: u64,
        oact: u64,
        size: u64,
    ) -> SysResult {
        if size != 8 || sig == 0 || sig > NSIG as u64 {
            return Err(EINVAL);
        }
        let i = (sig - 1) as usize;
        let new = if act != 0 {
            if sig as i32 == SIGKILL || sig as i32 == SIGSTOP {
                return Err(EINVAL);
            }
            let b = read_guest(mem, act, 32)?;
            let w = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
            Some([w(0), w(8), w(16), w(24)])
        } else {
            None
        };
        if oact != 0 {
            let mut b = [0u8; 32];
            for (k, v) in self.sig.actions[i].iter().enumerate() {
                b[k * 8..k * 8 + 8].copy_from_slice(&v.to_le_bytes());
            }
            write_guest(mem, oact, &b)?;
        }
        if let Some(n) = new {
            self.sig.actions[i] = n;
            if n[0] == SIG_IGN {
                self.sig.pending &= !(1u64 << i);
            }
        }
        Ok(0)
    }

    pub(crate) fn sys_rt_sigprocmask(
        &mut self,
        mem: &mut AddressSpace,
        how: u64,
        set: u64,
        oset: u64,
        size: u64,
    ) -> SysResult {
        if size != 8 {
            return Err(EINVAL);
        }
        let old = self.sig.mask;
        if set != 0 {
            let s = read_u64(mem, set)?;
            let m = match how {
                0 => old | s,
                1 => old & !s,
                2 => s,
                _ => return Err(EINVAL),
            };
            self.sig.mask = m & !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        }
        if oset != 0 {
            if let Err(e) = write_u64(mem, oset, old) {
                self.sig.mask = old;
                return Err(e);
            }
        }
        Ok(0)
    }

    pub(crate) fn sys_sigaltstack(
        &mut self,
        mem: &mut AddressSpace,
        ss: u64,
        old: u64,
    ) -> SysResult {
        const SS_AUTODISARM: u32 = 1 << 31;
        let new = if ss != 0 {
            let b = read_guest(mem, ss, 24)?;
            let sp = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
            let flags = u32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
            let size = u64::from_le_bytes(b[16..].try_into().unwrap_or_default());
            if flags & !(SS_DISABLE | SS_ONSTACK | SS_AUTODISARM) != 0 {
                return Err(EINVAL);
            }
            if flags & SS_DISABLE == 0 && size < MINSIGSTKSZ {
                return Err(ENOMEM);
            }
            Some(if flags & SS_DISABLE != 0 {
                (0, SS_DISABLE, 0)
            } else {
                (sp, flags & SS_AUTODISARM, size)
            })
        } else {
            None
        };
        if old != 0 {
            let (sp, flags, size) = self.sig.altstack;
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&sp.to_le_bytes());
            b[8..12].copy_from_slice(&flags.to_le_bytes());
            b[16..].copy_from_slice(&size.to_le_bytes());
            write_guest(mem, old, &b)?;
        }
        if let Some(n) = new {
            self.sig.altstack = n;
        }
        Ok(0)
    }

    pub(crate) fn sys_uname(&mut self, mem: &mut AddressSpace, buf: u64) -> SysResult {
        let mut b = Vec::with_capacity(390);
        for s in [
            "Linux",
            "kvrm",
            "6.8.0-kvrm",
            "#1 SMP PREEMPT kvrm",
            "aarch64",
            "(none)",
        ] {
            b.extend_from_slice(&utsname_field(s));
        }
        write_guest(mem, buf, &b)?;
        Ok(0)
    }

    pub(crate) fn sys_sysinfo(&mut self, mem: &mut AddressSpace, buf: u64) -> SysResult {
        // SAFETY: sysinfo fills the struct it is given.
        let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        unsafe { libc::sysinfo(&mut si) };
        let mut b = [0u8; 112];
        let mut put = |off: usize, v: u64| b[off..off + 8].copy_from_slice(&v.to_le_bytes());
        let unit = si.mem_unit.max(1) as u64;
        put(0, si.uptime as u64);
        for i in 0..3 {
            put(8 + 8 * i, si.loads[i] as u64);
        }
        put(32, si.totalram as u64 * unit);
        put(40, si.freeram as u64 * unit);
        put(48, si.sharedram as u64 * unit);
        put(56, si.bufferram as u64 * unit);
        put(64, si.totalswap as u64 * unit);
        put(72, si.freeswap as u64 * unit);
        b[80..82].copy_from_slice(&1u16.to_le_bytes());
        b[104..108].copy_from_slice(&1u32.to_le_bytes());
        write_guest(mem, buf, &b)?;
        Ok(0)
    }

    pub(crate) fn sys_prctl(
        &mut self,
        mem: &mut AddressSpace,
        option: u64,
        arg2: u64,
    ) -> SysResult {
        const PR_SET_PDEATHSIG: u64 = 1;
        const PR_GET_PDEATHSIG: u64 = 2;
        const PR_GET_DUMPABLE: u64 = 3;
        const PR_SET_DUMPABLE: u64 = 4;
        const PR_GET_KEEPCAPS: u64 = 7;
        const PR_SET_KEEPCAPS: u64 = 8;
        const PR_SET_NAME: u64 = 15;
        const PR_GET_NAME: u64 = 16;
        const PR_GET_SECCOMP: u64 = 21;
        const PR_CAPBSET_READ: u64 = 23;
        const PR_CAPBSET_DROP: u64 = 24;
        const PR_SET_TIMERSLACK: u64 = 29;
        const PR_GET_TIMERSLACK: u64 = 30;
        const PR_SET_CHILD_SUBREAPER: u64 = 36;
        const PR_GET_CHILD_SUBREAPER: u64 = 37;
        const PR_SET_NO_NEW_PRIVS: u64 = 38;
        const PR_GET_NO_NEW_PRIVS: u64 = 39;
        const PR_SET_THP_DISABLE: u64 = 41;
        const PR_GET_THP_DISABLE: u64 = 42;
        /// Yama's "who may ptrace me": nothing traces guests here.
        const PR_SET_PTRACER: u64 = 0x5961_6d61;
        /// The last capability Linux 6.8 knows (CAP_CHECKPOINT_RESTORE).
        const CAP_LAST_CAP: u64 = 40;
        let k = &mut self.knobs;
        match option {
            PR_SET_PDEATHSIG => {
                if arg2 > 64 {
                    return Err(EINVAL);
                }
                k.pdeath_sig = arg2 as i32;
                Ok(0)
            }
            PR_GET_PDEATHSIG => {
                let v = k.pdeath_sig;
                write_guest(mem, arg2, &v.to_le_bytes())?;
                Ok(0)
            }
            PR_GET_KEEPCAPS => Ok(k.keepcaps as u64),
            PR_SET_KEEPCAPS if arg2 <= 1 => {
                k.keepcaps = arg2 == 1;
                Ok(0)
            }
            // No seccomp filter is ever installed (as under qemu-user,
            // setting one is refused with EINVAL, the default case).
            PR_GET_SECCOMP => Ok(0),
            PR_CAPBSET_READ if arg2 <= CAP_LAST_CAP => Ok(1),
            // The bounding set is not kept: dropping from it asks for
            // CAP_SETPCAP and changes nothing kvrm checks.
            PR_CAPBSET_DROP if arg2 <= CAP_LAST_CAP => {
                if k.caps[0] & (1 << 8) == 0 {
                    return Err(EPERM);
                }
                Ok(0)
            }
            PR_SET_TIMERSLACK => {
                k.timer_slack = if arg2 == 0 { 50_000 } else { arg2 };
                Ok(0)
            }
            PR_GET_TIMERSLACK => Ok(k.timer_slack),
            PR_SET_CHILD_SUBREAPER => {
                k.subreaper = arg2 != 0;
                Ok(0)
            }
            PR_GET_CHILD_SUBREAPER => {
                let v = k.subreaper as i32;
                write_guest(mem, arg2, &v.to_le_bytes())?;
                Ok(0)
            }
            PR_SET_NO_NEW_PRIVS if arg2 == 1 => {
                k.no_new_privs = true;
                Ok(0)
            }
            PR_GET_NO_NEW_PRIVS => Ok(k.no_new_privs as u64),
            PR_SET_THP_DISABLE => {
                k.thp_disable = arg2 != 0;
                Ok(0)
            }
            PR_GET_THP_DISABLE => Ok(k.thp_disable as u64),
            PR_SET_PTRACER => Ok(0),
            PR_SET_NAME => {
                let s = mem.read_cstring(arg2, 15).map_err(|_| EFAULT)?;
                self.comm = [0; 16];
                self.comm[..s.len()].copy_from_slice(&s);
                Ok(0)
            }
            PR_GET_NAME => {
                let c = self.comm;
                write_guest(mem, arg2, &c)?;
                Ok(0)
            }
            PR_GET_DUMPABLE => Ok(1),
            PR_SET_DUMPABLE => Ok(0),
            _ => Err(EINVAL),
        }
    }

    /// prlimit64 on this process: the limit read from `new` (0: none) set,
    /// the old one written to `old` (0: not wanted). Another process's limits
    /// go through the kernel (kernel/syscalls_proc.rs), which calls
    /// [`Self::swap_rlimit`] on that process.
    pub(crate) fn sys_prlimit64(
        &mut self,
        mem: &mut AddressSpace,
        pid: u64,
        res: u64,
        new: u64,
        old: u64,
    ) -> SysResult {
        if pid != 0 && pid as u32 != self.pid {
            return Err(ESRCH);
        }
        let newv = read_rlimit(mem, res, new)?;
        let was = self.swap_rlimit(res, newv, self.uid == 0)?;
        write_rlimit(mem, old, was)?;
        Ok(0)
    }

    /// Set resource `res`'s limit to `new` (if any), returning the old one.
    /// Raising a hard limit needs privilege (`privileged`: uid 0 stands for
    /// CAP_SYS_RESOURCE), and RLIMIT_NOFILE stays within fs.nr_open.
    pub(crate) fn swap_rlimit(
        &mut self,
        res: u64,
        new: Option<[u64; 2]>,
        privileged: bool,
    ) -> Result<[u64; 2], i64> {
        if res >= 16 {
            return Err(EINVAL);
        }
        let i = res as usize;
        let was = self.rlimits[i];
        if let Some([cur, max]) = new {
            if cur > max {
                return Err(EINVAL);
            }
            if (max > was[1] && !privileged) || (i == 7 && max > super::NR_OPEN) {
                return Err(EPERM);
            }
            self.rlimits[i] = [cur, max];
            if i == 7 {
                self.fds.limit = cur.min(65536) as usize;
            }
        }
        Ok(was)
    }

    pub(crate) fn sys_getrusage(
        &mut self,
        mem: &mut AddressSpace,
        // An int: RUSAGE_CHILDREN (-1) comes as 0xffffffff from callers that set only w0.
        who: i32,
        buf: u64,
    ) -> SysResult {
        let u = match who {
            0 => {
                // The peak so far includes what is resident now.
                let mut u = self.usage;
                u.maxrss_kb = u.maxrss_kb.max(mem.resident_pages() as u64 * 4);
                u
            }
            -1 => self.children_usage,
            1 => {
                let mut u = self.thread_usage;
                u.maxrss_kb = self.usage.maxrss_kb.max(mem.resident_pages() as u64 * 4);
                u
            }
            _ => return Err(EINVAL),
        };
        write_guest(mem, buf, &rusage_bytes(&u))?;
        Ok(0)
    }

    pub(crate) fn sys_times(&mut self, mem: &mut AddressSpace, buf: u64) -> SysResult {
        if buf != 0 {
            // Clock ticks of USER_HZ (100 a second).
            let ticks = |ns: u64| ns / 10_000_000;
            let mut b = [0u8; 32];
            b[..8].copy_from_slice(&ticks(self.usage.user_ns).to_le_bytes());
            b[8..16].copy_from_slice(&ticks(self.usage.sys_ns).to_le_bytes());
            b[16..24].copy_from_slice(&ticks(self.children_usage.user_ns).to_le_bytes());
            b[24..32].copy_from_slice(&ticks(self.children_usage.sys_ns).to_le_bytes());
            write_guest(mem, buf, &b)?;
        }
        let now = self.clock(1)?;
        Ok((now.tv_sec as u64) * 100 + now.tv_nsec as u64 / 10_000_000)
    }

    pub(crate) fn sys_clock_gettime(
        &mut self,
        mem: &mut AddressSpace,
        clk: u64,
        tp: u64,
    ) -> SysResult {
        let ts = self.clock(clk as i32)?;
        write_guest(
            mem,
            tp,
            &timespec_bytes(ts.tv_sec as i64, ts.tv_nsec as i64),
        )?;
        Ok(0)
    }

    pub(crate) fn sys_clock_getres(
        &mut self,
        mem: &mut AddressSpace,
        clk: u64,
        tp: u64,
    ) -> SysResult {
        host_clock(clk as i32)?;
        if tp != 0 {
            let ns = if matches!(clk, 5 | 6) { 4_000_000 } else { 1 };
            write_guest(mem, tp, &timespec_bytes(0, ns))?;
        }
        Ok(0)
    }

    pub(crate) fn sys_gettimeofday(
        &mut self,
        mem: &mut AddressSpace,
        tv: u64,
        tz: u64,
    ) -> SysResult {
        if tv != 0 {
            let ts = self.clock(0)?;
            write_guest(
                mem,
                tv,
                &timespec_bytes(ts.tv_sec as i64, ts.tv_nsec as i64 / 1000),
            )?;
        }
        if tz != 0 {
            write_u64(mem, tz, 0)?;
        }
        Ok(0)
    }

    pub(crate) fn sys_getrandom(
        &mut self,
        mem: &mut AddressSpace,
        buf: u64,
        len: u64,
        flags: u64,
    ) -> SysResult {
        if flags & !7 != 0 {
            return Err(EINVAL);
        }
        let len = len.min(33_554_431) as usize;
        let mut data = vec![0u8; len];
        self.fill_random(&mut data);
        write_guest(mem, buf, &data)?;
        Ok(len as u64)
    }

    /// sched_getaffinity's answer before any sched_setaffinity (the kernel
    /// keeps those, kernel/sched.rs): `len` checked as Linux checks it (a
    /// multiple of 8 bytes, room for every possible CPU), then the host's
    /// mask as qemu-user passes it through (Go sizes GOMAXPROCS from it,
    /// glibc's nproc too), or one CPU in a deterministic run.
    pub(crate) fn host_affinity(&self, len: u64) -> Result<Vec<u8>, i64> {
        let nr_cpu_ids = self
            .cpus()
            .possible
            .0
            .last()
            .map_or(1, |&c| u64::from(c) + 1);
        if len * 8 < nr_cpu_ids || len & 7 != 0 {
            return Err(EINVAL);
        }
        if self.det.is_some() {
            return Ok(1u64.to_le_bytes().to_vec());
        }
        let mut buf = vec![0u8; len.min(8192) as usize];
        // SAFETY: the kernel writes at most `buf.len()` bytes into `buf`.
        let n =
            unsafe { libc::syscall(libc::SYS_sched_getaffinity, 0, buf.len(), buf.as_mut_ptr()) };
        if n < 0 {
            return Err(super::files::last_errno());
        }
        buf.truncate(n as usize);
        Ok(buf)
    }
}

/// Fill `buf` from the host's random source.
pub fn fill_random(buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: the pointer and length describe the unfilled tail of `buf`.
        let r = unsafe {
            libc::getrandom(
                buf[done..].as_mut_ptr() as *mut libc::c_void,
                buf.len() - done,
                0,
            )
        };
        if r <= 0 {
            break;
        }
        done += r as usize;
    }
}
