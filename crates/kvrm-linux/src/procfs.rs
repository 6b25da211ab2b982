//! /proc emulated from kvrm's own state: /proc/self and /proc/PID (guest
//! pids) maps, stat, status, cmdline, comm, mounts, mountinfo (mounts.rs),
//! and the links exe, cwd, fd/N; /proc/cpuinfo from the features kvrm
//! advertises and the guest's CPUs (sysfs.rs); /proc/meminfo and /proc/vmstat
//! from the kernel's memory limit; /proc/uptime from the guest's
//! CLOCK_BOOTTIME; /proc/loadavg; /proc/mounts; the directories /proc (the
//! guest pids), /proc/PID, /proc/PID/task (its thread ids; task/TID shows the
//! process's files), /proc/self/fd. The emulated /sys (sysfs.rs) goes through
//! the same calls.
//!
//! A process's Linux layer does not see the other processes: before a call
//! that names a /proc path, the kernel gives it a read-only snapshot
//! ([`ProcSnapshot`]) of what those files show. A /proc file is opened as an
//! in-memory read-only file holding its text at open time (a sealed memfd), so
//! read, lseek, fstat and mmap work on it as on any file.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::sync::Arc;

use kvrm_isa::{Perms, PAGE_SIZE};

use crate::abi::{errno::*, layout};
use crate::fd::DirEnt;
use crate::kernel::Kernel;
use crate::syscalls::{nr, LinuxProcess};
use crate::sysfs::{self, Cpus, SysEntry, SYSFS_DIR_STAND_IN, SYSFS_FILE_STAND_IN};
use crate::Pid;

/// What /proc shows of one guest process.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProcInfo {
    pub pid: u32,
    pub ppid: u32,
    pub pgid: u32,
    pub sid: u32,
    pub threads: usize,
    pub zombie: bool,
    /// The process reading the file: running ('R'), as Linux shows it.
    pub running: bool,
    pub comm: Vec<u8>,
    pub exe: Vec<u8>,
    pub cwd: Vec<u8>,
    pub cmdline: Vec<u8>,
    pub uid: u32,
    pub gid: u32,
    pub umask: u32,
    pub sigmask: u64,
    pub sigpending: u64,
    pub sigignore: u64,
    pub sigcatch: u64,
    /// Mapped ranges: start, end, permissions, name, file offset.
    pub maps: Vec<(u64, u64, Perms, Vec<u8>, u64)>,
    pub brk: (u64, u64),
    pub args: (u64, u64),
    /// Thread ids, the leader first (empty: the pid alone).
    pub tids: Vec<u32>,
    /// Start time: CLOCK_BOOTTIME nanoseconds.
    pub started_ns: u64,
    /// Bytes mlock and mlockall locked.
    pub locked: u64,
    /// Its CPU time, and its waited-for children's.
    pub usage: crate::syscalls::Usage,
    pub children_usage: crate::syscalls::Usage,
    /// Its open descriptors (another process's /proc/PID/fd; the caller
    /// reads its own table).
    pub fds: Vec<(u64, crate::fd::FileRef)>,
}

/// The /proc view the kernel gives a process's Linux layer.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProcSnapshot {
    pub memory_limit: u64,
    pub memory_used: u64,
    pub procs: BTreeMap<u32, ProcInfo>,
    /// Every guest pid: filled only for a call naming /proc itself.
    pub pids: Vec<u32>,
    /// Guest threads, runnable ones (counted only for /proc/loadavg), the
    /// most recent pid (/proc/loadavg).
    pub tasks: usize,
    pub running: usize,
    pub last_pid: u32,
}

/// A guest file mapping the process keeps the name of (for /proc/PID/maps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NamedMapping {
    pub start: u64,
    pub end: u64,
    pub offset: u64,
    /// The guest path (bytes, as it was opened) or a `[name]`.
    pub name: Vec<u8>,
}

/// Record that `start..end` maps `name` at `offset` (replacing what was there).
pub(crate) fn note_mapping(
    list: &mut Vec<NamedMapping>,
    start: u64,
    end: u64,
    offset: u64,
    name: Vec<u8>,
) {
    forget_mappings(list, start, end);
    list.push(NamedMapping {
        start,
        end,
        offset,
        name,
    });
    list.sort_by_key(|m| m.start);
}

/// `start..end` was unmapped (or replaced): trim the names there.
pub(crate) fn forget_mappings(list: &mut Vec<NamedMapping>, start: u64, end: u64) {
    let mut out = Vec::with_capacity(list.len() + 1);
    for m in list.drain(..) {
        if m.end <= start || m.start >= end {
            out.push(m);
            continue;
        }
        if m.start < start {
            out.push(NamedMapping {
                end: start,
                ..m.clone()
            });
        }
        if m.end > end {
            out.push(NamedMapping {
                offset: m.offset + (end - m.start),
                start: end,
                ..m
            });
        }
    }
    *list = out;
}

/// HWCAP and HWCAP2 names as Linux prints them in /proc/cpuinfo's Features
/// (arch/arm64/kernel/cpuinfo.c), by bit.
const HWCAP_NAMES: [&str; 32] = [
    "fp", "asimd", "evtstrm", "aes", "pmull", "sha1", "sha2", "crc32", "atomics", "fphp",
    "asimdhp", "cpuid", "asimdrdm", "jscvt", "fcma", "lrcpc", "dcpop", "sha3", "sm3", "sm4",
    "asimddp", "sha512", "sve", "asimdfhm", "dit", "uscat", "ilrcpc", "flagm", "ssbs", "sb",
    "paca", "pacg",
];
const HWCAP2_NAMES: [&str; 45] = [
    "dcpodp",
    "sve2",
    "sveaes",
    "svepmull",
    "svebitperm",
    "svesha3",
    "svesm4",
    "flagm2",
    "frint",
    "svei8mm",
    "svef32mm",
    "svef64mm",
    "svebf16",
    "i8mm",
    "bf16",
    "dgh",
    "rng",
    "bti",
    "mte",
    "ecv",
    "afp",
    "rpres",
    "mte3",
    "sme",
    "smei16i64",
    "smef64f64",
    "smei8i32",
    "smef16f32",
    "smeb16f32",
    "smef32f32",
    "smefa64",
    "wfxt",
    "ebf16",
    "sveebf16",
    "cssc",
    "rprfm",
    "sve2p1",
    "sme2",
    "sme2p1",
    "smei16i32",
    "smebi32i32",
    "smeb16b16",
    "smef16f16",
    "mops",
    "hbc",
];

/// The Features line of /proc/cpuinfo for the advertised HWCAP bits.
pub fn cpu_features() -> String {
    let mut names = Vec::new();
    for (bit, n) in HWCAP_NAMES.iter().enumerate() {
        if kvrm_isa::features::HWCAP & (1 << bit) != 0 {
            names.push(*n);
        }
    }
    for (bit, n) in HWCAP2_NAMES.iter().enumerate() {
        if kvrm_isa::features::HWCAP2 & (1 << bit) != 0 {
            names.push(*n);
        }
    }
    names.join(" ")
}

/// /proc/cpuinfo: one entry per online CPU, by its number.
fn cpuinfo(cpus: &Cpus) -> String {
    let mut s = String::new();
    for i in &cpus.online.0 {
        let _ = write!(
            s,
            "processor\t: {i}\nBogoMIPS\t: 100.00\nFeatures\t: {}\nCPU implementer\t: 0x00\n\
             CPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0x000\nCPU revision\t: 0\n\n",
            cpu_features()
        );
    }
    s
}

fn meminfo(snap: &ProcSnapshot) -> String {
    let kb = |b: u64| b / 1024;
    let total = kb(snap.memory_limit);
    let free = kb(snap.memory_limit.saturating_sub(snap.memory_used));
    let mut s = String::new();
    for (k, v) in [
        ("MemTotal", total),
        ("MemFree", free),
        ("MemAvailable", free),
        ("Buffers", 0),
        ("Cached", 0),
        ("SwapCached", 0),
        ("Active", kb(snap.memory_used)),
        ("Inactive", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Dirty", 0),
        ("AnonPages", kb(snap.memory_used)),
        ("Mapped", 0),
        ("Shmem", 0),
        ("CommitLimit", total),
        ("Committed_AS", kb(snap.memory_used)),
    ] {
        let _ = writeln!(s, "{:<16}{:>8} kB", format!("{k}:"), v);
    }
    s
}

/// /proc/vmstat: the page counts /proc/meminfo's figures give, every event
/// counter 0 (kvrm counts no faults, reclaim or swapping).
fn vmstat(snap: &ProcSnapshot) -> String {
    let page = |b: u64| b / PAGE_SIZE;
    let used = page(snap.memory_used);
    let free = page(snap.memory_limit.saturating_sub(snap.memory_used));
    let mut s = String::new();
    for (k, v) in [
        ("nr_free_pages", free),
        ("nr_zone_inactive_anon", 0),
        ("nr_zone_active_anon", used),
        ("nr_zone_inactive_file", 0),
        ("nr_zone_active_file", 0),
        ("nr_zone_unevictable", 0),
        ("nr_zone_write_pending", 0),
        ("nr_mlock", 0),
        ("nr_inactive_anon", 0),
        ("nr_active_anon", used),
        ("nr_inactive_file", 0),
        ("nr_active_file", 0),
        ("nr_unevictable", 0),
        ("nr_slab_reclaimable", 0),
        ("nr_slab_unreclaimable", 0),
        ("nr_anon_pages", used),
        ("nr_mapped", 0),
        ("nr_file_pages", 0),
        ("nr_dirty", 0),
        ("nr_writeback", 0),
        ("nr_shmem", 0),
        ("nr_kernel_stack", 0),
        ("nr_page_table_pages", 0),
        ("nr_swapcached", 0),
        ("nr_dirty_threshold", 0),
        ("nr_dirty_background_threshold", 0),
    ] {
        let _ = writeln!(s, "{k} {v}");
    }
    for k in [
        "pgpgin",
        "pgpgout",
        "pswpin",
        "pswpout",
        "pgalloc_normal",
        "pgfree",
        "pgactivate",
        "pgdeactivate",
        "pgfault",
        "pgmajfault",
        "pgrefill",
        "pgsteal_kswapd",
        "pgsteal_direct",
        "pgscan_kswapd",
        "pgscan_direct",
        "pginodesteal",
        "slabs_scanned",
        "kswapd_inodesteal",
        "pageoutrun",
        "pgrotated",
        "oom_kill",
        "unevictable_pgs_culled",
        "unevictable_pgs_scanned",
        "thp_fault_alloc",
    ] {
        let _ = writeln!(s, "{k} 0");
    }
    s
}

/// /proc/loadavg: the host's load averages (which sysinfo reports too), the
/// guest's runnable and total task counts and its most recent pid.
// c_ulong is not u64 on every host: keep the cast.
#[allow(clippy::unnecessary_cast)]
fn loadavg(snap: &ProcSnapshot) -> String {
    // SAFETY: sysinfo fills the struct it is given.
    let mut si: libc::sysinfo = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    unsafe { libc::sysinfo(&mut si) };
    let load = |l: libc::c_ulong| {
        // Fixed point with 16 fraction bits, shown with two decimals.
        let l = l as u64;
        let cents = ((l & 0xffff) * 100 + 0x8000) >> 16;
        let (int, cents) = if cents >= 100 {
            ((l >> 16) + 1, cents - 100)
        } else {
            (l >> 16, cents)
        };
        format!("{int}.{cents:02}")
    };
    format!(
        "{} {} {} {}/{} {}\n",
        load(si.loads[0]),
        load(si.loads[1]),
        load(si.loads[2]),
        snap.running.max(1),
        snap.tasks.max(1),
        snap.last_pid
    )
}

fn maps(p: &ProcInfo) -> Vec<u8> {
    let mut s = Vec::new();
    for (start, end, perms, name, off) in &p.maps {
        let line = format!(
            "{:08x}-{:08x} {}{}{}p {:08x} 00:00 0 ",
            start,
            end,
            if perms.0 & Perms::R.0 != 0 { 'r' } else { '-' },
            if perms.0 & Perms::W.0 != 0 { 'w' } else { '-' },
            if perms.0 & Perms::X.0 != 0 { 'x' } else { '-' },
            off
        );
        s.extend_from_slice(line.as_bytes());
        if !name.is_empty() {
            s.resize(s.len() + 72usize.saturating_sub(line.len()), b' ');
            s.push(b' ');
            s.extend_from_slice(name);
        }
        s.push(b'\n');
    }
    s
}

fn state(p: &ProcInfo) -> (char, &'static str) {
    if p.zombie {
        ('Z', "Z (zombie)")
    } else if p.running {
        ('R', "R (running)")
    } else {
        ('S', "S (sleeping)")
    }
}

fn stat(p: &ProcInfo) -> String {
    let vsize: u64 = p.maps.iter().map(|m| m.1 - m.0).sum();
    let rss: u64 = p
        .maps
        .iter()
        .filter(|m| m.2 != Perms::NONE)
        .map(|m| (m.1 - m.0) / PAGE_SIZE)
        .sum();
    let code = p.maps.iter().find(|m| m.2 .0 & Perms::X.0 != 0);
    let (sc, ec) = code.map_or((0, 0), |m| (m.0, m.1));
    let n = |v: u64| v.to_string();
    // Clock ticks of USER_HZ (100 a second).
    let ticks = |ns: u64| ns / 10_000_000;
    // Fields 4.. of fs/proc/array.c do_task_stat.
    let fields: Vec<String> = vec![
        n(p.ppid as u64),
        n(p.pgid as u64),
        n(p.sid as u64),
        "0".into(),  // tty_nr
        "-1".into(), // tpgid
        "4194304".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(), // minflt..cmajflt
        n(ticks(p.usage.user_ns)),
        n(ticks(p.usage.sys_ns)),
        n(ticks(p.children_usage.user_ns)),
        n(ticks(p.children_usage.sys_ns)),
        "20".into(),
        "0".into(), // priority, nice
        n(p.threads as u64),
        "0".into(),                   // itrealvalue
        n(p.started_ns / 10_000_000), // starttime, in clock ticks (USER_HZ 100)
        n(vsize),
        n(rss),
        n(u64::MAX),
        n(sc),
        n(ec),
        n(layout::STACK_TOP - 16),
        "0".into(),
        "0".into(), // kstkesp, kstkeip
        n(p.sigpending),
        n(p.sigmask),
        n(p.sigignore),
        n(p.sigcatch),
        "0".into(),
        "0".into(),
        "0".into(), // wchan, nswap, cnswap
        "17".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(),
        "0".into(), // exit_signal .. cguest_time
        "0".into(),
        "0".into(), // start_data, end_data
        n(p.brk.0),
        n(p.args.0),
        n(p.args.1),
        n(p.args.1),
        n(p.args.1),
        "0".into(), // exit_code
    ];
    format!(
        "{} ({}) {} {}\n",
        p.pid,
        String::from_utf8_lossy(&p.comm),
        state(p).0,
        fields.join(" ")
    )
}

/// /proc/PID/statm (top's VIRT, RES and CODE; ps's vsz): in pages, total
/// size, resident (mapped, accessible), shared (0: kvrm keeps no page
/// cache), text (the first executable mapping), lib (0 since Linux 2.6),
/// data (writable private mappings and the stack), dt (0).
fn statm(p: &ProcInfo) -> String {
    let pages = |m: &(u64, u64, Perms, Vec<u8>, u64)| (m.1 - m.0) / PAGE_SIZE;
    let size: u64 = p.maps.iter().map(pages).sum();
    let resident: u64 = p
        .maps
        .iter()
        .filter(|m| m.2 != Perms::NONE)
        .map(pages)
        .sum();
    let text = p
        .maps
        .iter()
        .find(|m| m.2 .0 & Perms::X.0 != 0)
        .map_or(0, pages);
    let data: u64 = p
        .maps
        .iter()
        .filter(|m| m.2 .0 & Perms::W.0 != 0 && m.2 .0 & Perms::X.0 == 0)
        .map(pages)
        .sum();
    format!("{size} {resident} 0 {text} 0 {data} 0\n")
}

fn status(p: &ProcInfo) -> String {
    let kb = |b: u64| b / 1024;
    let vsize: u64 = p.maps.iter().map(|m| m.1 - m.0).sum();
    let rss: u64 = p
        .maps
        .iter()
        .filter(|m| m.2 != Perms::NONE)
        .map(|m| m.1 - m.0)
        .sum();
    format!(
        "Name:\t{}\nUmask:\t{:04o}\nState:\t{}\nTgid:\t{}\nNgid:\t0\nPid:\t{}\nPPid:\t{}\n\
         TracerPid:\t0\nUid:\t{u}\t{u}\t{u}\t{u}\nGid:\t{g}\t{g}\t{g}\t{g}\nFDSize:\t1024\n\
         Groups:\t\nVmPeak:\t{:8} kB\nVmSize:\t{:8} kB\nVmLck:\t{:8} kB\nVmRSS:\t{:8} kB\n\
         Threads:\t{}\n\
         SigQ:\t0/63000\nSigPnd:\t0000000000000000\nShdPnd:\t{:016x}\nSigBlk:\t{:016x}\n\
         SigIgn:\t{:016x}\nSigCgt:\t{:016x}\nCapInh:\t0000000000000000\n\
         CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\nCapBnd:\t000001ffffffffff\n\
         CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n",
        String::from_utf8_lossy(&p.comm),
        p.umask,
        state(p).1,
        p.pid,
        p.pid,
        p.ppid,
        kb(vsize),
        kb(vsize),
        kb(p.locked),
        kb(rss),
        p.threads,
        p.sigpending,
        p.sigmask,
        p.sigignore,
        p.sigcatch,
        u = p.uid,
        g = p.gid,
    )
}

/// A /proc path, lexically normalized: the process it names (`self`: the
/// caller) and the rest.
fn split_proc(path: &str, me: u32) -> Option<(Option<u32>, &str)> {
    let rest = path.strip_prefix("/proc/")?;
    let (first, tail) = rest.split_once('/').unwrap_or((rest, ""));
    let pid = match first {
        "self" | "thread-self" => Some(me),
        n if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => Some(n.parse().ok()?),
        _ => None,
    };
    Some((pid, if pid.is_some() { tail } else { rest }))
}

/// The files of a /proc/PID directory (and of its task/TID directories):
/// name and d_type.
const PID_DIR: [(&str, u8); 12] = [
    ("cmdline", DT_REG),
    ("comm", DT_REG),
    ("cwd", DT_LNK),
    ("exe", DT_LNK),
    ("fd", DT_DIR),
    ("maps", DT_REG),
    ("mountinfo", DT_REG),
    ("mounts", DT_REG),
    ("stat", DT_REG),
    ("statm", DT_REG),
    ("status", DT_REG),
    ("task", DT_DIR),
];
const DT_DIR: u8 = 4;
const DT_REG: u8 = 8;
const DT_LNK: u8 = 10;

/// `rest` of a /proc/PID path with a leading `task/TID` of one of `p`'s
/// threads taken off (a thread's files are shown as its process's), and
/// whether it named a thread directory.
fn thread_rest<'a>(p: &ProcInfo, rest: &'a str) -> Result<(&'a str, bool), i64> {
    let Some(t) = rest.strip_prefix("task/") else {
        return Ok((rest, false));
    };
    let (tid, tail) = t.split_once('/').unwrap_or((t, ""));
    let tid: u32 = tid.parse().map_err(|_| ENOENT)?;
    if tid == p.pid || p.tids.contains(&tid) {
        Ok((tail, true))
    } else {
        Err(ENOENT)
    }
}

/// `.` and `..` followed by `names`, as getdents64 lists them.
fn dir_list(names: impl IntoIterator<Item = (String, u8)>) -> Vec<DirEnt> {
    let mut v: Vec<DirEnt> = [".", ".."]
        .iter()
        .map(|n| DirEnt {
            ino: 1,
            dtype: DT_DIR,
            name: n.as_bytes().to_vec(),
        })
        .collect();
    for (i, (name, dtype)) in names.into_iter().enumerate() {
        v.push(DirEnt {
            ino: 2 + i as u64,
            dtype,
            name: name.into_bytes(),
        });
    }
    v
}

/// /proc/uptime from the seconds since boot.
fn uptime(boot: libc::timespec) -> String {
    let cs = boot.tv_nsec / 10_000_000;
    format!("{}.{cs:02} 0.00\n", boot.tv_sec)
}

/// The host file whose metadata stands in for an emulated /proc file's.
pub(crate) const PROCFS_FILE_STAND_IN: &str = "/proc/self/stat";

/// Is `path` (lexically normalized) one kvrm answers itself (under /proc or
/// /sys)?
pub(crate) fn is_emulated(path: &[u8]) -> bool {
    path.starts_with(b"/proc/") || path == b"/proc" || sysfs::is_sys(path)
}

/// An emulated path as text. Every name kvrm emulates under /proc and /sys
/// is ASCII, so a path that is not UTF-8 names none of them (None).
fn emulated_name(path: &[u8]) -> Option<&str> {
    std::str::from_utf8(path).ok()
}

/// The host file whose metadata stands in for emulated file `path`'s.
pub(crate) fn file_stand_in(path: &[u8]) -> &'static str {
    if sysfs::is_sys(path) {
        SYSFS_FILE_STAND_IN
    } else {
        PROCFS_FILE_STAND_IN
    }
}

/// Is host path `host` the stand-in of an emulated file (not a directory)?
pub(crate) fn is_file_stand_in(host: &str) -> bool {
    host == PROCFS_FILE_STAND_IN || host == SYSFS_FILE_STAND_IN
}

/// An in-memory read-only file holding `bytes`.
fn memfile(bytes: &[u8]) -> Result<OwnedFd, i64> {
    // SAFETY: memfd_create with a constant name; the result is checked and owned.
    let raw = unsafe {
        libc::memfd_create(
            c"kvrm-proc".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if raw < 0 {
        return Err(std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(EIO as i32) as i64);
    }
    // SAFETY: just created, owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(raw) };
    let mut f = std::fs::File::from(fd);
    std::io::Write::write_all(&mut f, bytes).map_err(|e| crate::sandbox::host_errno(&e))?;
    std::io::Seek::seek(&mut f, std::io::SeekFrom::Start(0))
        .map_err(|e| crate::sandbox::host_errno(&e))?;
    // SAFETY: fcntl on the descriptor just made.
    unsafe {
        libc::fcntl(
            std::os::fd::AsRawFd::as_raw_fd(&f),
            libc::F_ADD_SEALS,
            libc::F_SEAL_WRITE | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_SEAL,
        );
    }
    Ok(OwnedFd::from(f))
}

impl LinuxProcess {
    /// The CPUs this guest sees (sysfs.rs): one in a deterministic run.
    pub(crate) fn cpus(&self) -> Cpus {
        sysfs::guest_cpus(self.det.is_some())
    }

    fn proc_info(&self, pid: u32) -> Result<ProcInfo, i64> {
        match self.procfs.as_ref().and_then(|s| s.procs.get(&pid)) {
            Some(p) => Ok(p.clone()),
            None if pid == self.pid => Ok(self.proc_info_self()),
            None => Err(ENOENT),
        }
    }

    /// The contents of /proc file `path` (lexically normalized), or None when
    /// it is not one kvrm emulates (ENOENT for a missing one).
    pub(crate) fn procfs_file(&self, path: &[u8]) -> Option<Result<Vec<u8>, i64>> {
        let path = emulated_name(path)?;
        if sysfs::is_sys(path.as_bytes()) {
            return match sysfs::lookup(path, &self.cpus()) {
                Some(SysEntry::File(b)) => Some(Ok(b)),
                _ => None,
            };
        }
        let (pid, rest) = split_proc(path, self.pid)?;
        let snap = |f: fn(&ProcSnapshot) -> String| match &self.procfs {
            Some(s) => Ok(f(s).into_bytes()),
            None => Err(ENOENT),
        };
        let Some(pid) = pid else {
            return Some(match rest {
                "cpuinfo" => Ok(cpuinfo(&self.cpus()).into_bytes()),
                "meminfo" => snap(meminfo),
                "vmstat" => snap(vmstat),
                "loadavg" => snap(loadavg),
                "mounts" => Ok(crate::mounts::mounts(self.sandbox.root()).into_bytes()),
                "uptime" => self.clock(7).map(|t| uptime(t).into_bytes()),
                "stat" => self.system_stat().map(String::into_bytes),
                "sysvipc/shm" | "sysvipc/sem" | "sysvipc/msg" => Ok(self.sysvipc_file(rest)),
                _ => return None,
            });
        };
        let mut p = match self.proc_info(pid) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        p.running = pid == self.pid;
        let rest = match thread_rest(&p, rest) {
            Ok((r, _)) => r,
            Err(e) => return Some(Err(e)),
        };
        Some(match rest {
            "maps" => Ok(maps(&p)),
            "stat" => Ok(stat(&p).into_bytes()),
            "status" => Ok(status(&p).into_bytes()),
            "statm" => Ok(statm(&p).into_bytes()),
            "cmdline" => Ok(p.cmdline.clone()),
            // Every guest process has the same root.
            "mounts" => Ok(crate::mounts::mounts(self.sandbox.root()).into_bytes()),
            "mountinfo" => Ok(crate::mounts::mountinfo(self.sandbox.root()).into_bytes()),
            "comm" => {
                let mut c = p.comm.clone();
                c.push(b'\n');
                Ok(c)
            }
            _ => return None,
        })
    }

    /// The entries of /proc directory `path` (lexically normalized), or None
    /// when it is not a directory kvrm emulates (ENOENT for a missing pid or
    /// thread).
    pub(crate) fn procfs_dir(&self, path: &[u8]) -> Option<Result<Vec<DirEnt>, i64>> {
        let path = emulated_name(path)?;
        if sysfs::is_sys(path.as_bytes()) {
            return match sysfs::lookup(path, &self.cpus()) {
                Some(SysEntry::Dir(names)) => Some(Ok(dir_list(names))),
                _ => None,
            };
        }
        if path == "/proc" {
            let mut pids = self.procfs.as_ref().map_or(Vec::new(), |s| s.pids.clone());
            if pids.is_empty() {
                pids.push(self.pid);
            }
            let files = [
                ("self", DT_LNK),
                ("thread-self", DT_LNK),
                ("cpuinfo", DT_REG),
                ("meminfo", DT_REG),
                ("uptime", DT_REG),
                ("stat", DT_REG),
                ("vmstat", DT_REG),
                ("loadavg", DT_REG),
                ("mounts", DT_REG),
            ];
            let names = files
                .iter()
                .map(|&(n, t)| (n.to_string(), t))
                .chain(pids.iter().map(|p| (p.to_string(), DT_DIR)));
            return Some(Ok(dir_list(names)));
        }
        let (Some(pid), rest) = split_proc(path, self.pid)? else {
            return None;
        };
        let p = match self.proc_info(pid) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let (rest, in_thread) = match thread_rest(&p, rest) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        Some(Ok(match rest {
            "" => dir_list(
                PID_DIR
                    .iter()
                    .filter(|(n, _)| !(in_thread && *n == "task"))
                    .map(|&(n, t)| (n.to_string(), t)),
            ),
            "task" if !in_thread => {
                let mut tids = p.tids.clone();
                if tids.is_empty() {
                    tids.push(p.pid);
                }
                dir_list(tids.iter().map(|t| (t.to_string(), DT_DIR)))
            }
            "fd" if pid == self.pid => {
                dir_list(self.fds.open_fds().map(|fd| (fd.to_string(), DT_LNK)))
            }
            // Another process's (as Linux, for its own user or root).
            "fd" if p.uid != self.uid && self.uid != 0 => return Some(Err(EACCES)),
            "fd" => dir_list(p.fds.iter().map(|(fd, _)| (fd.to_string(), DT_LNK))),
            _ => return None,
        }))
    }

    /// A host path whose metadata stands in for emulated /proc entry `path`
    /// (a directory for a directory, a read-only file for a file), or None
    /// when kvrm does not emulate it (an error for a missing one).
    pub(crate) fn procfs_stand_in(&self, path: &[u8]) -> Option<Result<&'static str, i64>> {
        if sysfs::is_sys(path) {
            // Everything under /sys is answered here: a missing entry is
            // ENOENT, whatever the root holds there.
            let Some(path) = emulated_name(path) else {
                return Some(Err(ENOENT));
            };
            return Some(sysfs::entry(path, &self.cpus()).map(|e| match e {
                SysEntry::Dir(_) => SYSFS_DIR_STAND_IN,
                SysEntry::File(_) => SYSFS_FILE_STAND_IN,
            }));
        }
        if let Some(d) = self.procfs_dir(path) {
            return Some(d.map(|_| {
                if path == b"/proc" {
                    "/proc"
                } else if path.ends_with(b"/fd") {
                    "/proc/self/fd"
                } else if path.ends_with(b"/task") {
                    "/proc/self/task"
                } else {
                    "/proc/self"
                }
            }));
        }
        self.procfs_file(path)
            .map(|f| f.map(|_| PROCFS_FILE_STAND_IN))
    }

    /// /proc/stat: no time accounted (zero CPU times), the boot time from the
    /// guest's clocks (CLOCK_REALTIME less CLOCK_BOOTTIME), the process count.
    // time_t is not i64 on every host: keep the casts.
    #[allow(clippy::unnecessary_cast)]
    fn system_stat(&self) -> Result<String, i64> {
        let (real, boot) = (self.clock(0)?, self.clock(7)?);
        let btime =
            real.tv_sec as i64 - boot.tv_sec as i64 - i64::from(real.tv_nsec < boot.tv_nsec);
        let zero = " 0 0 0 0 0 0 0 0 0 0";
        let mut s = format!("cpu {zero}\n");
        for i in &self.cpus().online.0 {
            let _ = writeln!(s, "cpu{i}{zero}");
        }
        let procs = self.procfs.as_ref().map_or(1, |p| p.pids.len().max(1));
        let _ = write!(
            s,
            "intr 0\nctxt 0\nbtime {btime}\nprocesses {procs}\nprocs_running 1\n\
             procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n"
        );
        Ok(s)
    }

    /// For emulated /proc link `path` (exe, cwd, fd/N, self): a host link
    /// whose own metadata stands in for it (lstat, the l- xattr calls).
    pub(crate) fn procfs_link_stand_in(&self, path: &[u8]) -> Option<&'static str> {
        matches!(self.procfs_link(path), Some(Ok(_))).then_some("/proc/self/exe")
    }

    /// Open /proc file `path` as an in-memory read-only file.
    pub(crate) fn procfs_open(&self, path: &[u8]) -> Option<Result<OwnedFd, i64>> {
        let r = self.procfs_file(path)?;
        Some(r.and_then(|bytes| memfile(&bytes)))
    }

    /// readlink of a /proc link: exe, cwd, fd/N of the caller or a guest pid.
    pub(crate) fn procfs_link(&self, path: &[u8]) -> Option<Result<Vec<u8>, i64>> {
        let path = emulated_name(path)?;
        if path == "/proc/self" {
            return Some(Ok(self.pid.to_string().into_bytes()));
        }
        let (Some(pid), rest) = split_proc(path, self.pid)? else {
            return None;
        };
        if pid == self.pid {
            if let Some(n) = rest.strip_prefix("fd/") {
                let fd: u64 = match n.parse() {
                    Ok(fd) => fd,
                    Err(_) => return Some(Err(ENOENT)),
                };
                return Some(self.fd_link(fd));
            }
        }
        let p = match self.proc_info(pid) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let rest = match thread_rest(&p, rest) {
            Ok((r, _)) => r,
            Err(e) => return Some(Err(e)),
        };
        if let Some(n) = rest.strip_prefix("fd/") {
            if p.uid != self.uid && self.uid != 0 {
                return Some(Err(EACCES));
            }
            let file = p.fds.iter().find(|(fd, _)| fd.to_string() == n);
            return Some(file.map_or(Err(ENOENT), |(_, f)| self.file_link(f)));
        }
        Some(match rest {
            "exe" => Ok(p.exe),
            "cwd" => Ok(p.cwd),
            "" | "maps" | "stat" | "statm" | "status" | "cmdline" | "comm" | "task" | "fd"
            | "mounts" | "mountinfo" => Err(EINVAL),
            _ => return None,
        })
    }

    /// What /proc/self/fd/N names: the guest path it was opened by, else what
    /// the host says (pipe:[N], socket:[N], anon_inode:...).
    fn fd_link(&self, fd: u64) -> Result<Vec<u8>, i64> {
        self.file_link(&self.fds.get(fd).map_err(|_| ENOENT)?)
    }

    /// What a /proc/PID/fd/N link to open file `f` names (fd_link).
    fn file_link(&self, f: &crate::fd::FileRef) -> Result<Vec<u8>, i64> {
        let f = crate::fd::LockFile::lock_file(&**f);
        if let Some(g) = &f.guest_path {
            return Ok(g.clone());
        }
        let host = std::fs::read_link(format!("/proc/self/fd/{}", f.host.raw()))
            .map_err(|e| crate::sandbox::host_errno(&e))?;
        let b = host.into_os_string().into_encoded_bytes();
        // A host path (a descriptor kvrm was given, e.g. a redirected stdout)
        // is shown as the guest path when it is inside the root.
        if b.first() == Some(&b'/') {
            let host = std::path::Path::new(std::ffi::OsStr::from_bytes(&b));
            if let Some(g) = self.sandbox.guest_path_of(host) {
                return Ok(g);
            }
        }
        Ok(b)
    }

    /// What /proc shows of this process (the kernel adds pids, threads, maps).
    pub(crate) fn proc_info_self(&self) -> ProcInfo {
        let caught = self
            .sig
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| a[0] > 1)
            .fold(0u64, |m, (i, _)| m | (1 << i));
        let ignored = self
            .sig
            .actions
            .iter()
            .enumerate()
            .filter(|(_, a)| a[0] == 1)
            .fold(0u64, |m, (i, _)| m | (1 << i));
        let comm_len = self.comm.iter().position(|&b| b == 0).unwrap_or(16);
        ProcInfo {
            pid: self.pid,
            comm: self.comm[..comm_len].to_vec(),
            exe: self.exe_link.clone(),
            cwd: self.cwd.clone(),
            uid: self.uid,
            gid: self.gid,
            umask: self.umask,
            sigmask: self.sig.mask,
            sigpending: self.sig.pending,
            sigignore: ignored,
            sigcatch: caught,
            brk: (self.brk_start, self.brk_cur),
            args: self.args_range,
            started_ns: self.started_ns,
            locked: self.mlocked.total(),
            usage: self.usage,
            children_usage: self.children_usage,
            ..ProcInfo::default()
        }
    }
}

/// Split the address space's regions at the named mappings, [heap] and
/// [stack], as /proc/PID/maps lists them.
fn named_regions(
    regions: &[kvrm_isa::Region],
    names: &[NamedMapping],
    brk: (u64, u64),
) -> Vec<(u64, u64, Perms, Vec<u8>, u64)> {
    let heap_end = brk.1.next_multiple_of(PAGE_SIZE);
    let stack_low = layout::STACK_TOP - layout::STACK_SIZE;
    let mut cuts: Vec<u64> = Vec::new();
    for n in names {
        cuts.push(n.start);
        cuts.push(n.end);
    }
    cuts.extend([brk.0, heap_end, stack_low, layout::STACK_TOP]);
    let mut out = Vec::new();
    for r in regions {
        let mut points: Vec<u64> = cuts
            .iter()
            .copied()
            .filter(|&c| c > r.start && c < r.end)
            .collect();
        points.push(r.start);
        points.push(r.end);
        points.sort_unstable();
        points.dedup();
        for w in points.windows(2) {
            let (s, e) = (w[0], w[1]);
            let (name, off) = if let Some(n) = names.iter().find(|n| n.start <= s && s < n.end) {
                (n.name.clone(), n.offset + (s - n.start))
            } else if heap_end > brk.0 && s >= brk.0 && s < heap_end {
                (b"[heap]".to_vec(), 0)
            } else if s >= stack_low && s < layout::STACK_TOP {
                (b"[stack]".to_vec(), 0)
            } else {
                (Vec::new(), 0)
            };
            // Merge with the previous piece when nothing tells them apart.
            if let Some(last) = out.last_mut() {
                let (ls, le, lp, ln, lo): &mut (u64, u64, Perms, Vec<u8>, u64) = last;
                let _ = ls;
                if *le == s
                    && *lp == r.perms
                    && *ln == name
                    && (name.is_empty() || *lo + (s - *ls) == off)
                {
                    *le = e;
                    continue;
                }
            }
            out.push((s, e, r.perms, name, off));
        }
    }
    out
}

impl Kernel {
    /// Does syscall `nr` of `tid` name a /proc path? Then the snapshot its
    /// Linux layer answers from.
    pub(crate) fn procfs_snapshot_for(
        &self,
        tid: Pid,
        n: u64,
        a: [u64; 6],
    ) -> Option<Arc<ProcSnapshot>> {
        let path_arg = match n {
            nr::OPENAT
            | nr::READLINKAT
            | nr::NEWFSTATAT
            | nr::STATX
            | nr::FACCESSAT
            | nr::FACCESSAT2 => a[1],
            // chdir; getxattr, lgetxattr, listxattr, llistxattr.
            nr::CHDIR | 8 | 9 | 11 | 12 => a[0],
            _ => return None,
        };
        let t = self.threads.get(&tid)?;
        let p = self.procs.get(&t.pid)?;
        let mem = self.engine.space(p.space);
        let path = mem.read_cstring(path_arg, 4096).ok()?;
        let norm = if path.first() == Some(&b'/') {
            crate::syscalls::lexical_path(b"/", &path)
        } else {
            crate::syscalls::lexical_path(p.linux.cwd(), &path)
        };
        if !is_emulated(&norm) {
            return None;
        }
        let norm = emulated_name(&norm)?;
        // Only the process the path names: a snapshot of every process per
        // call made start-up quadratic in the processes (glibc reads
        // /proc/self/exe; 4096 GPU lanes are 4096 processes).
        let named = split_proc(norm, t.pid).and_then(|(pid, _)| pid);
        // The command line is guest memory the host may not hold (a GPU
        // lane's stack page stays on the device): read only for the file
        // that shows it, not for every readlink of /proc/self/exe.
        let mut snap = self.proc_snapshot(named, norm.ends_with("/cmdline"));
        if norm == "/proc/loadavg" {
            // Counted over every thread: only for the file that shows it
            // (readlink /proc/self/exe by each of thousands of lanes made
            // their start-up quadratic).
            snap.running = self.threads.values().filter(|t| t.wait.is_none()).count();
        }
        if norm == "/proc" || norm == "/proc/stat" {
            // A listing of /proc: every pid (their numbers only).
            snap.pids = self.procs.keys().copied().collect();
        }
        Some(Arc::new(snap))
    }

    /// What /proc shows now: the memory figures and process `pid`, if any
    /// (its command line only `with_cmdline`).
    pub(crate) fn proc_snapshot(&self, pid: Option<u32>, with_cmdline: bool) -> ProcSnapshot {
        let mut snap = ProcSnapshot {
            memory_limit: self.config.memory_limit,
            memory_used: self.config.memory_limit.saturating_sub(self.commit_room()),
            procs: BTreeMap::new(),
            pids: Vec::new(),
            tasks: self.threads.len(),
            running: 0,
            last_pid: self.next_pid.saturating_sub(1),
        };
        let named = pid.and_then(|pid| self.procs.get_key_value(&pid));
        if let Some((&pid, p)) = named {
            let mut info = p.linux.proc_info_self();
            info.pid = pid;
            info.ppid = p.ppid;
            info.pgid = p.pgid;
            info.sid = p.sid;
            info.threads = p.threads.len().max(1);
            info.tids = p.threads.clone();
            info.zombie = p.exit.is_some();
            // A zombie's address space is gone already.
            if p.exit.is_none() {
                let mem = self.engine.space(p.space);
                info.maps = named_regions(&mem.regions(), &p.linux.map_names, info.brk);
                let (s, e) = info.args;
                if with_cmdline && e > s && e - s < (1 << 20) {
                    let mut buf = vec![0u8; (e - s) as usize];
                    if mem.read_bytes(s, &mut buf).is_ok() {
                        info.cmdline = buf;
                    }
                }
            }
            if let Some(&leader) = p.threads.first() {
                if let Some(t) = self.threads.get(&leader) {
                    info.sigmask = t.sigmask;
                }
            }
            if p.exit.is_none() {
                let fds = &p.linux.fds;
                info.fds = fds
                    .open_fds()
                    .filter_map(|fd| Some((fd, fds.get(fd).ok()?)))
                    .collect();
            }
            snap.procs.insert(pid, info);
        }
        snap
    }
}

impl LinuxProcess {
    /// `start..start+len` now maps file `fd` at offset (or no file): keep its
    /// name for /proc/PID/maps.
    pub(crate) fn name_mapping(&mut self, start: u64, len: u64, file: Option<(u64, u64)>) {
        let end = start.saturating_add(len);
        let name = file.and_then(|(fd, off)| {
            let f = self.fds.get(fd).ok()?;
            let f = crate::fd::LockFile::lock_file(&*f);
            Some((f.guest_path.clone()?, off))
        });
        match name {
            Some((n, off)) => note_mapping(&mut self.map_names, start, end, off, n),
            None => forget_mappings(&mut self.map_names, start, end),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_linux_names() {
        let f = cpu_features();
        assert!(f.starts_with("fp asimd"), "{f}");
        assert!(f.contains("atomics"));
    }

    #[test]
    fn the_reader_is_running_others_sleep_or_are_zombies() {
        // (Linux's letters; qemu-user prints 0 there, so no oracle test.)
        let field = |p: &ProcInfo| stat(p).split(' ').nth(2).map(str::to_owned);
        let mut p = ProcInfo {
            pid: 7,
            comm: b"x".to_vec(),
            ..ProcInfo::default()
        };
        assert_eq!(field(&p).as_deref(), Some("S"));
        p.running = true;
        assert_eq!(field(&p).as_deref(), Some("R"));
        assert!(status(&p).contains("State:\tR (running)"));
        p.zombie = true;
        assert_eq!(field(&p).as_deref(), Some("Z"));
    }

    #[test]
    fn stat_shows_cpu_time_in_clock_ticks() {
        let p = ProcInfo {
            pid: 3,
            comm: b"x".to_vec(),
            usage: crate::syscalls::Usage {
                user_ns: 1_230_000_000,
                sys_ns: 20_000_000,
                maxrss_kb: 0,
            },
            children_usage: crate::syscalls::Usage {
                user_ns: 50_000_000,
                ..Default::default()
            },
            ..ProcInfo::default()
        };
        let s = stat(&p);
        let f: Vec<&str> = s.split(' ').collect();
        // utime, stime, cutime, cstime are fields 14..17.
        assert_eq!(&f[13..17], ["123", "2", "5", "0"]);
    }

    #[test]
    fn maps_lines_are_padded_like_linux() {
        let p = ProcInfo {
            maps: vec![
                (0x400000, 0x401000, Perms::RX, b"/bin/prog".to_vec(), 0),
                (0x7000, 0x8000, Perms::RW, Vec::new(), 0),
            ],
            ..ProcInfo::default()
        };
        let m = String::from_utf8(maps(&p)).unwrap();
        let lines: Vec<&str> = m.lines().collect();
        assert_eq!(
            lines[0],
            "00400000-00401000 r-xp 00000000 00:00 0                                  /bin/prog"
        );
        assert_eq!(lines[0].find('/'), Some(73));
        assert_eq!(lines[1], "00007000-00008000 rw-p 00000000 00:00 0 ");
    }

    #[test]
    fn mapping_names_split_on_unmap() {
        let mut l = Vec::new();
        note_mapping(&mut l, 0x1000, 0x5000, 0, "/f".into());
        forget_mappings(&mut l, 0x2000, 0x3000);
        assert_eq!(l.len(), 2);
        assert_eq!((l[1].start, l[1].offset), (0x3000, 0x2000));
    }
}
