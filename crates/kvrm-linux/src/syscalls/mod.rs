//! The Linux syscall layer: one [`LinuxProcess`] holds what the kernel keeps
//! for a process (descriptors, brk, mmap state, cwd, umask, signal
//! dispositions, limits) and services syscalls on any backend's guest memory.
//! Guest pointers are always checked: a bad one gives -EFAULT.

use std::collections::{BTreeMap, HashSet};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

use kvrm_isa::{AddressSpace, PAGE_SIZE};

use crate::abi::{errno::*, layout, signal};
use crate::fd::{FdEntry, FdTable, HostFd, OpenFile};
use crate::sandbox::{Sandbox, PATH_MAX};

pub(crate) mod creds;
mod fd_kinds;
mod fd_paths;
mod fifo;
mod files;
pub(crate) mod knobs;
pub(crate) use files::last_errno;
mod misc;
mod mlock;
mod mm;
pub mod numbers;
mod paths;
mod poll;
mod process;
mod pty;
mod queries;
pub(crate) mod socket;
mod xattr;

/// A guest path made absolute against `base` and normalized lexically.
pub(crate) fn lexical_path(base: &[u8], path: &[u8]) -> Vec<u8> {
    files::lexical(base, path)
}
pub(crate) use fifo::FifoOpen;
pub use misc::fill_random;
pub(crate) use misc::read_timespec as misc_read_timespec;
pub(crate) use misc::timespec_bytes as misc_timespec_bytes;
pub(crate) use misc::{read_rlimit, rusage_bytes, write_rlimit};
pub use numbers::{syscall_name, syscall_number};
pub use process::{clone_flags, die_of_signal};

/// Syscall numbers this layer implements (arm64 / asm-generic).
#[allow(missing_docs)]
pub mod nr {
    pub const GETCWD: u64 = 17;
    pub const EVENTFD2: u64 = 19;
    pub const DUP: u64 = 23;
    pub const DUP3: u64 = 24;
    pub const FCNTL: u64 = 25;
    pub const IOCTL: u64 = 29;
    pub const INOTIFY_INIT1: u64 = 26;
    pub const INOTIFY_ADD_WATCH: u64 = 27;
    pub const INOTIFY_RM_WATCH: u64 = 28;
    pub const FLOCK: u64 = 32;
    pub const MKNODAT: u64 = 33;
    pub const MKDIRAT: u64 = 34;
    pub const UNLINKAT: u64 = 35;
    pub const SYMLINKAT: u64 = 36;
    pub const LINKAT: u64 = 37;
    pub const RENAMEAT: u64 = 38;
    pub const STATFS: u64 = 43;
    pub const FSTATFS: u64 = 44;
    pub const TRUNCATE: u64 = 45;
    pub const FTRUNCATE: u64 = 46;
    pub const FALLOCATE: u64 = 47;
    pub const FACCESSAT: u64 = 48;
    pub const CHDIR: u64 = 49;
    pub const FCHDIR: u64 = 50;
    pub const FCHMOD: u64 = 52;
    pub const FCHMODAT: u64 = 53;
    pub const FCHOWNAT: u64 = 54;
    pub const FCHOWN: u64 = 55;
    pub const OPENAT: u64 = 56;
    pub const CLOSE: u64 = 57;
    pub const PIPE2: u64 = 59;
    pub const GETDENTS64: u64 = 61;
    pub const LSEEK: u64 = 62;
    pub const READ: u64 = 63;
    pub const WRITE: u64 = 64;
    pub const READV: u64 = 65;
    pub const WRITEV: u64 = 66;
    pub const PREAD64: u64 = 67;
    pub const PWRITE64: u64 = 68;
    pub const PREADV: u64 = 69;
    pub const PWRITEV: u64 = 70;
    pub const EPOLL_CREATE1: u64 = 20;
    pub const EPOLL_CTL: u64 = 21;
    pub const EPOLL_PWAIT: u64 = 22;
    pub const PSELECT6: u64 = 72;
    pub const PPOLL: u64 = 73;
    pub const SCHED_SETAFFINITY: u64 = 122;
    pub const READLINKAT: u64 = 78;
    pub const NEWFSTATAT: u64 = 79;
    pub const FSTAT: u64 = 80;
    pub const SENDFILE: u64 = 71;
    pub const VMSPLICE: u64 = 75;
    pub const SPLICE: u64 = 76;
    pub const TEE: u64 = 77;
    pub const SYNC: u64 = 81;
    pub const FSYNC: u64 = 82;
    pub const FDATASYNC: u64 = 83;
    pub const TIMERFD_CREATE: u64 = 85;
    pub const TIMERFD_SETTIME: u64 = 86;
    pub const TIMERFD_GETTIME: u64 = 87;
    pub const UTIMENSAT: u64 = 88;
    pub const EXIT: u64 = 93;
    pub const EXIT_GROUP: u64 = 94;
    pub const WAITID: u64 = 95;
    pub const SET_TID_ADDRESS: u64 = 96;
    pub const FUTEX: u64 = 98;
    pub const SET_ROBUST_LIST: u64 = 99;
    pub const NANOSLEEP: u64 = 101;
    pub const CLOCK_GETTIME: u64 = 113;
    pub const CLOCK_GETRES: u64 = 114;
    pub const CLOCK_NANOSLEEP: u64 = 115;
    pub const SCHED_GETAFFINITY: u64 = 123;
    pub const SCHED_YIELD: u64 = 124;
    pub const SCHED_GETSCHEDULER: u64 = 120;
    pub const SCHED_GETPARAM: u64 = 121;
    pub const SCHED_GET_PRIORITY_MAX: u64 = 125;
    pub const SCHED_GET_PRIORITY_MIN: u64 = 126;
    pub const SCHED_GETATTR: u64 = 275;
    pub const SCHED_SETPARAM: u64 = 118;
    pub const SCHED_SETSCHEDULER: u64 = 119;
    pub const SCHED_RR_GET_INTERVAL: u64 = 127;
    pub const SCHED_SETATTR: u64 = 274;
    pub const MLOCK: u64 = 228;
    pub const MUNLOCK: u64 = 229;
    pub const MLOCKALL: u64 = 230;
    pub const MUNLOCKALL: u64 = 231;
    pub const MLOCK2: u64 = 284;
    pub const PERSONALITY: u64 = 92;
    pub const CAPGET: u64 = 90;
    pub const CAPSET: u64 = 91;
    pub const SYNC_FILE_RANGE: u64 = 84;
    pub const SYNCFS: u64 = 267;
    pub const READAHEAD: u64 = 213;
    pub const UMOUNT2: u64 = 39;
    pub const MOUNT: u64 = 40;
    pub const PIVOT_ROOT: u64 = 41;
    pub const CHROOT: u64 = 51;
    pub const VHANGUP: u64 = 58;
    pub const QUOTACTL: u64 = 60;
    pub const ACCT: u64 = 89;
    pub const UNSHARE: u64 = 97;
    pub const KEXEC_LOAD: u64 = 104;
    pub const INIT_MODULE: u64 = 105;
    pub const DELETE_MODULE: u64 = 106;
    pub const CLOCK_SETTIME: u64 = 112;
    pub const REBOOT: u64 = 142;
    pub const SETHOSTNAME: u64 = 161;
    pub const SETDOMAINNAME: u64 = 162;
    pub const SETTIMEOFDAY: u64 = 170;
    pub const SWAPON: u64 = 224;
    pub const SWAPOFF: u64 = 225;
    pub const SETNS: u64 = 268;
    pub const FINIT_MODULE: u64 = 273;
    pub const KEXEC_FILE_LOAD: u64 = 294;
    pub const KILL: u64 = 129;
    pub const TKILL: u64 = 130;
    pub const TGKILL: u64 = 131;
    pub const SIGALTSTACK: u64 = 132;
    pub const RT_SIGSUSPEND: u64 = 133;
    pub const RT_SIGACTION: u64 = 134;
    pub const RT_SIGPROCMASK: u64 = 135;
    pub const RT_SIGPENDING: u64 = 136;
    pub const IOPRIO_SET: u64 = 30;
    pub const IOPRIO_GET: u64 = 31;
    pub const SETPRIORITY: u64 = 140;
    pub const GETPRIORITY: u64 = 141;
    pub const SETREGID: u64 = 143;
    pub const SETGID: u64 = 144;
    pub const SETREUID: u64 = 145;
    pub const SETUID: u64 = 146;
    pub const SETRESUID: u64 = 147;
    pub const GETRESUID: u64 = 148;
    pub const SETRESGID: u64 = 149;
    pub const GETRESGID: u64 = 150;
    pub const SETFSUID: u64 = 151;
    pub const SETFSGID: u64 = 152;
    pub const TIMES: u64 = 153;
    pub const SETPGID: u64 = 154;
    pub const GETPGID: u64 = 155;
    pub const GETSID: u64 = 156;
    pub const SETSID: u64 = 157;
    pub const GETGROUPS: u64 = 158;
    pub const SETGROUPS: u64 = 159;
    pub const UNAME: u64 = 160;
    pub const GETRLIMIT: u64 = 163;
    pub const SETRLIMIT: u64 = 164;
    pub const GETRUSAGE: u64 = 165;
    pub const UMASK: u64 = 166;
    pub const PRCTL: u64 = 167;
    pub const GETCPU: u64 = 168;
    pub const GETTIMEOFDAY: u64 = 169;
    pub const GETPID: u64 = 172;
    pub const GETPPID: u64 = 173;
    pub const GETUID: u64 = 174;
    pub const GETEUID: u64 = 175;
    pub const GETGID: u64 = 176;
    pub const GETEGID: u64 = 177;
    pub const GETTID: u64 = 178;
    pub const SYSINFO: u64 = 179;
    pub const BRK: u64 = 214;
    pub const MUNMAP: u64 = 215;
    pub const MREMAP: u64 = 216;
    pub const CLONE: u64 = 220;
    pub const EXECVE: u64 = 221;
    pub const EXECVEAT: u64 = 281;
    pub const MMAP: u64 = 222;
    pub const FADVISE64: u64 = 223;
    pub const MPROTECT: u64 = 226;
    pub const MSYNC: u64 = 227;
    pub const MINCORE: u64 = 232;
    pub const MADVISE: u64 = 233;
    pub const WAIT4: u64 = 260;
    pub const PRLIMIT64: u64 = 261;
    pub const RENAMEAT2: u64 = 276;
    pub const GETRANDOM: u64 = 278;
    pub const MEMFD_CREATE: u64 = 279;
    pub const SIGNALFD4: u64 = 74;
    pub const MEMBARRIER: u64 = 283;
    pub const COPY_FILE_RANGE: u64 = 285;
    pub const STATX: u64 = 291;
    pub const RSEQ: u64 = 293;
    pub const PIDFD_SEND_SIGNAL: u64 = 424;
    pub const PIDFD_OPEN: u64 = 434;
    pub const CLONE3: u64 = 435;
    pub const CLOSE_RANGE: u64 = 436;
    pub const FACCESSAT2: u64 = 439;
}

/// How the guest process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessExit {
    /// exit / exit_group with this status (low 8 bits kept).
    Exited(i32),
    /// Killed by this signal (a fault, an undefined instruction, kill to self).
    Signaled(i32),
}

impl ProcessExit {
    /// The status a shell sees: the exit status, or 128 + the signal number.
    pub fn status(self) -> i32 {
        match self {
            ProcessExit::Exited(s) => s & 0xff,
            ProcessExit::Signaled(sig) => 128 + sig,
        }
    }
}

/// What the run loop does after a syscall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyscallOutcome {
    /// Write this to x0 and continue.
    Return(u64),
    /// The process is gone.
    Exit(ProcessExit),
}

/// What a new process is given besides its memory image.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    /// The host directory that is the guest's `/`.
    pub root: PathBuf,
    /// The read-only library prefix (`-L`), searched first for absolute paths.
    pub lib_prefix: Option<PathBuf>,
    /// The executable's host path (opened for `/proc/self/exe`).
    pub exe_host: PathBuf,
    /// What readlink("/proc/self/exe") returns.
    pub exe_link: Vec<u8>,
    /// Initial guest working directory (absolute guest path, any bytes but NUL).
    pub cwd: Vec<u8>,
    /// First address of the brk heap (page aligned).
    pub brk_start: u64,
}

/// Signal dispositions and the mask. The mask is the calling thread's: the
/// kernel swaps it in for each syscall; pending signals, sigaltstacks and
/// delivery live in the kernel (kernel/signal.rs).
#[derive(Debug, Clone)]
pub(crate) struct SignalState {
    /// Per signal (1..=64, index sig-1): handler, flags, restorer, mask.
    pub actions: [[u64; 4]; 64],
    pub mask: u64,
    /// Signals this layer raised during a call (SIGPIPE, bit sig-1): the
    /// kernel queues them for the calling thread afterwards.
    pub pending: u64,
    /// sigaltstack: sp, flags, size.
    pub altstack: (u64, u32, u64),
}

/// Result of one syscall handler: the value for x0, or an errno.
pub(crate) type SysResult = Result<u64, i64>;

/// The kernel's view of one single-threaded guest process.
pub struct LinuxProcess {
    pub(crate) sandbox: Sandbox,
    pub(crate) fds: FdTable,
    /// The working directory's guest path (bytes: need not be UTF-8).
    pub(crate) cwd: Vec<u8>,
    pub(crate) umask: u32,
    pub(crate) brk_start: u64,
    pub(crate) brk_cur: u64,
    pub(crate) mmap_top: u64,
    pub(crate) sig: SignalState,
    /// RLIMIT_* (0..16): soft, hard.
    pub(crate) rlimits: [[u64; 2]; 16],
    pub(crate) exe_host: PathBuf,
    pub(crate) exe_link: Vec<u8>,
    pub(crate) pid: u32,
    pub(crate) ppid: u32,
    /// The effective user and group ids (`creds.euid`, `creds.egid`).
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Every id and the supplementary groups (creds.rs).
    pub(crate) creds: creds::Creds,
    pub(crate) comm: [u8; 16],
    counts: BTreeMap<u64, u64>,
    warned: HashSet<u64>,
    pub(crate) pending_exit: Option<ProcessExit>,
    /// Bytes this process may still map (the kernel's memory limit less what
    /// every guest address space has committed), set before each syscall.
    pub(crate) commit_room: u64,
    /// Deterministic runs: the virtual clock and the seeded random source.
    pub(crate) det: Option<Deterministic>,
    /// The owner of this process's POSIX record locks (crate::locks).
    pub(crate) lock_owner: u64,
    /// What /proc shows, given by the kernel for calls that name /proc paths.
    pub(crate) procfs: Option<std::sync::Arc<crate::procfs::ProcSnapshot>>,
    /// What /proc/sysvipc shows, given by the kernel with `procfs`.
    pub(crate) sysvipc: Option<std::sync::Arc<crate::kernel::sysv_ipc::ProcFiles>>,
    /// Names of file mappings (/proc/PID/maps).
    pub(crate) map_names: Vec<crate::procfs::NamedMapping>,
    /// What mlock and mlockall locked (mlock.rs).
    pub(crate) mlocked: mlock::MemLocks,
    /// Where the argv strings are in guest memory (/proc/PID/cmdline).
    pub(crate) args_range: (u64, u64),
    /// AF_INET and AF_INET6 sockets allowed (`KernelConfig::net`).
    pub(crate) net: bool,
    /// FIFOs opened for an openat that waited for the other end (fifo.rs).
    fifos: Vec<fifo::PendingFifo>,
    /// CLOCK_BOOTTIME when the process was made (/proc/PID/stat starttime).
    pub(crate) started_ns: u64,
    /// Personality and capabilities (knobs.rs).
    pub(crate) knobs: knobs::Knobs,
    /// Its CPU time and peak memory, its waited-for children's (summed), and
    /// the calling thread's (set by the kernel before each call).
    pub(crate) usage: Usage,
    pub(crate) children_usage: Usage,
    pub(crate) thread_usage: Usage,
}

/// CPU time and peak memory accounted to a process or thread: getrusage,
/// times, wait4's and waitid's rusage, /proc/PID/stat, the CPU-time clocks.
/// The kernel adds to it (kernel/usage.rs): user time is the host time of
/// the engine runs, shared among the threads that ran by the instructions
/// each retired (in a deterministic run, one nanosecond per instruction);
/// system time the host time of its syscalls (none in a deterministic run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Usage {
    pub user_ns: u64,
    pub sys_ns: u64,
    /// Peak resident memory (kB), as the kernel saw it at syscalls and exit.
    pub maxrss_kb: u64,
}

impl Usage {
    /// Add `o`'s times; keep the larger peak (how Linux sums children).
    pub fn add(&mut self, o: &Usage) {
        self.user_ns += o.user_ns;
        self.sys_ns += o.sys_ns;
        self.maxrss_kb = self.maxrss_kb.max(o.maxrss_kb);
    }
}

/// What a deterministic run gives the guest instead of the host's time and
/// randomness.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deterministic {
    /// Nanoseconds since the (fixed) start of the run.
    pub now_ns: u64,
    /// splitmix64 state.
    pub rng: u64,
}

/// The fixed wall-clock start of deterministic runs (2026-01-01T00:00:00Z).
pub(crate) const DETERMINISTIC_EPOCH_S: u64 = 1_767_225_600;

pub(crate) const RLIM_INFINITY: u64 = u64::MAX;

/// fs.nr_open, Linux's default: no process holds more descriptors.
pub(crate) const NR_OPEN: u64 = 1 << 20;

/// kvrm's own RLIMIT_NOFILE (soft, hard); 1024 each where the host does not say.
fn host_nofile_limit() -> [u64; 2] {
    let mut r = libc::rlimit {
        rlim_cur: 1024,
        rlim_max: 1024,
    };
    // SAFETY: getrlimit fills the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) } != 0 {
        return [1024, 1024];
    }
    [r.rlim_cur, r.rlim_max]
}

/// An open file description for a guest's standard descriptor, on `host`.
pub fn stdio_file(host: std::os::fd::OwnedFd) -> crate::fd::FileRef {
    let status = host_status_flags(std::os::fd::AsRawFd::as_raw_fd(&host)).unwrap_or(0);
    std::sync::Arc::new(std::sync::Mutex::new(OpenFile::new(
        HostFd::Owned(host),
        status,
    )))
}

impl LinuxProcess {
    /// A process rooted at the host's `/` with nothing loaded, for unit tests.
    #[cfg(test)]
    pub(crate) fn for_tests() -> LinuxProcess {
        LinuxProcess::new(crate::ProcessConfig {
            root: "/".into(),
            lib_prefix: None,
            exe_host: "/bin/true".into(),
            exe_link: b"/bin/true".to_vec(),
            cwd: "/".into(),
            brk_start: 0x100_0000,
        })
        .expect("a test process")
    }
    /// A process whose descriptors 0-2 are the host's stdin, stdout, stderr.
    pub fn new(cfg: ProcessConfig) -> std::io::Result<Self> {
        let mut sandbox = Sandbox::new(&cfg.root)?;
        if let Some(prefix) = &cfg.lib_prefix {
            sandbox = sandbox.with_prefix(prefix)?;
        }
        // The guest inherits kvrm's RLIMIT_NOFILE, as a child process does (qemu's guest too).
        let nofile = host_nofile_limit();
        let mut fds = FdTable::new(nofile[0].min(65536) as usize);
        for (fd, status) in [
            (0, crate::abi::open::O_RDONLY),
            (1, crate::abi::open::O_WRONLY),
            (2, crate::abi::open::O_WRONLY),
        ] {
            let status = host_status_flags(fd).unwrap_or(status);
            fds.set(
                fd as usize,
                FdEntry {
                    file: std::sync::Arc::new(std::sync::Mutex::new(OpenFile::new(
                        HostFd::Borrowed(fd),
                        status,
                    ))),
                    cloexec: false,
                },
            );
        }
        let mut rlimits = [[RLIM_INFINITY; 2]; 16];
        rlimits[3] = [layout::STACK_SIZE, RLIM_INFINITY]; // RLIMIT_STACK
        rlimits[4] = [0, RLIM_INFINITY]; // RLIMIT_CORE
        rlimits[6] = [63_000, 63_000]; // RLIMIT_NPROC
        rlimits[7] = nofile; // RLIMIT_NOFILE
        rlimits[8] = [8 << 20, 8 << 20]; // RLIMIT_MEMLOCK
        rlimits[11] = [63_000, 63_000]; // RLIMIT_SIGPENDING
        rlimits[12] = [819_200, 819_200]; // RLIMIT_MSGQUEUE
        rlimits[13] = [0, 0]; // RLIMIT_NICE
        rlimits[14] = [0, 0]; // RLIMIT_RTPRIO
        let mut comm = [0u8; 16];
        let base = cfg.exe_host.file_name().map_or(&[][..], |n| n.as_bytes());
        for (d, &s) in comm.iter_mut().zip(base.iter().take(15)) {
            *d = s;
        }
        // SAFETY: these libc calls take no arguments and cannot fail.
        let ppid = unsafe { libc::getppid() };
        let creds = creds::Creds::of_host();
        let (uid, gid) = (creds.euid, creds.egid);
        Ok(LinuxProcess {
            sandbox,
            fds,
            cwd: cfg.cwd,
            umask: 0o022,
            brk_start: cfg.brk_start,
            brk_cur: cfg.brk_start,
            mmap_top: layout::MMAP_TOP,
            sig: SignalState {
                actions: [[0; 4]; 64],
                mask: 0,
                pending: 0,
                altstack: (0, signal::SS_DISABLE, 0),
            },
            rlimits,
            exe_host: cfg.exe_host,
            exe_link: cfg.exe_link,
            pid: std::process::id(),
            ppid: ppid as u32,
            uid,
            gid,
            creds,
            comm,
            counts: BTreeMap::new(),
            warned: HashSet::new(),
            pending_exit: None,
            commit_room: u64::MAX,
            det: None,
            lock_owner: crate::locks::new_owner(),
            procfs: None,
            sysvipc: None,
            map_names: Vec::new(),
            mlocked: Default::default(),
            args_range: (0, 0),
            net: false,
            fifos: Vec::new(),
            started_ns: 0,
            knobs: knobs::Knobs::for_uid(uid),
            usage: Usage::default(),
            children_usage: Usage::default(),
            thread_usage: Usage::default(),
        })
    }

    /// The child of a fork: a copy of this process's state, sharing its open
    /// file descriptions (pending signals are not inherited).
    pub(crate) fn fork_child(&self, pid: u32, ppid: u32) -> LinuxProcess {
        let mut sig = self.sig.clone();
        sig.pending = 0;
        LinuxProcess {
            sandbox: self.sandbox.clone(),
            fds: self.fds.clone(),
            cwd: self.cwd.clone(),
            umask: self.umask,
            brk_start: self.brk_start,
            brk_cur: self.brk_cur,
            mmap_top: self.mmap_top,
            sig,
            rlimits: self.rlimits,
            exe_host: self.exe_host.clone(),
            exe_link: self.exe_link.clone(),
            pid,
            ppid,
            uid: self.uid,
            gid: self.gid,
            creds: self.creds.clone(),
            comm: self.comm,
            counts: BTreeMap::new(),
            warned: self.warned.clone(),
            pending_exit: None,
            commit_room: self.commit_room,
            det: None,
            lock_owner: crate::locks::new_owner(),
            procfs: None,
            sysvipc: None,
            map_names: self.map_names.clone(),
            // Memory locks are not inherited.
            mlocked: Default::default(),
            args_range: self.args_range,
            net: self.net,
            fifos: Vec::new(),
            started_ns: 0,
            knobs: self.knobs.for_child(),
            usage: Usage::default(),
            children_usage: Usage::default(),
            thread_usage: Usage::default(),
        }
    }

    /// The process starts now (after its clock is set up): keep the time for
    /// /proc/PID/stat.
    pub(crate) fn note_start(&mut self) {
        if let Ok(t) = self.clock(7) {
            self.started_ns = t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64;
        }
    }

    /// The process ended: close its descriptors (so pipe readers see EOF).
    pub(crate) fn release_resources(&mut self) {
        self.release_all_locks();
        let limit = self.fds.limit;
        self.fds = FdTable::new(limit);
    }

    /// Take the syscall counts (number -> count) of this process.
    pub(crate) fn take_counts(&mut self) -> BTreeMap<u64, u64> {
        std::mem::take(&mut self.counts)
    }

    /// Make guest descriptor `fd` (0, 1 or 2 usually) refer to the host
    /// descriptor `host` instead of the host's own stdin/stdout/stderr.
    pub fn set_stdio(&mut self, fd: u32, host: std::os::fd::OwnedFd) {
        self.set_stdio_file(fd, stdio_file(host));
    }

    /// Make guest descriptor `fd` (0-2) an open file description that other
    /// processes may share (one host descriptor for many lanes).
    pub fn set_stdio_file(&mut self, fd: u32, file: crate::fd::FileRef) {
        self.fds.set(
            fd as usize,
            FdEntry {
                file,
                cloexec: false,
            },
        );
    }

    /// The sandbox the guest's paths resolve in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// The guest's current directory.
    pub fn cwd(&self) -> &[u8] {
        &self.cwd
    }

    /// The current program break.
    pub fn brk(&self) -> u64 {
        self.brk_cur
    }

    /// Syscalls serviced so far: (number, name, count), by number.
    pub fn syscall_counts(&self) -> Vec<(u64, &'static str, u64)> {
        self.counts
            .iter()
            .map(|(&n, &c)| (n, syscall_name(n).unwrap_or("?"), c))
            .collect()
    }

    /// Service syscall `nr` with arguments x0..x5.
    pub fn syscall(&mut self, mem: &mut AddressSpace, nr: u64, a: [u64; 6]) -> SyscallOutcome {
        *self.counts.entry(nr).or_insert(0) += 1;
        let r = self.dispatch(mem, nr, a);
        self.finish(nr, a, r)
    }

    fn finish(&mut self, nr: u64, a: [u64; 6], r: SysResult) -> SyscallOutcome {
        if let Some(exit) = self.pending_exit.take() {
            return SyscallOutcome::Exit(exit);
        }
        let ret = match r {
            Ok(v) => v,
            Err(e) => (-e) as u64,
        };
        tracing::trace!(
            "syscall {}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {:#x}",
            syscall_name(nr).unwrap_or("?"),
            a[0],
            a[1],
            a[2],
            a[3],
            a[4],
            a[5],
            ret
        );
        SyscallOutcome::Return(ret)
    }

    fn dispatch(&mut self, mem: &mut AddressSpace, n: u64, a: [u64; 6]) -> SysResult {
        use nr::*;
        match n {
            // Files and descriptors.
            READ => self.sys_read(mem, a[0], a[1], a[2], None),
            WRITE => self.sys_write(mem, a[0], a[1], a[2], None),
            PREAD64 => self.sys_read(mem, a[0], a[1], a[2], Some(a[3] as i64)),
            PWRITE64 => self.sys_write(mem, a[0], a[1], a[2], Some(a[3] as i64)),
            READV => self.sys_readv(mem, a[0], a[1], a[2], None),
            WRITEV => self.sys_writev(mem, a[0], a[1], a[2], None),
            PREADV => self.sys_readv(mem, a[0], a[1], a[2], Some(a[3] as i64)),
            PWRITEV => self.sys_writev(mem, a[0], a[1], a[2], Some(a[3] as i64)),
            OPENAT => self.sys_openat(mem, a[0], a[1], a[2], a[3]),
            CLOSE => {
                self.release_locks_of_fd(a[0]);
                self.fds.close(a[0]).map(|_| 0)
            }
            CLOSE_RANGE => {
                let r = self.sys_close_range(a[0], a[1], a[2]);
                self.release_orphan_locks();
                r
            }
            LSEEK => self.sys_lseek(a[0], a[1] as i64, a[2]),
            FSTAT => self.sys_fstat(mem, a[0], a[1]),
            NEWFSTATAT => self.sys_newfstatat(mem, a[0], a[1], a[2], a[3]),
            STATX => self.sys_statx(mem, a[0], a[1], a[2], a[3], a[4]),
            STATFS => self.sys_statfs(mem, a[0], a[1]),
            FSTATFS => self.sys_fstatfs(mem, a[0], a[1]),
            GETDENTS64 => self.sys_getdents64(mem, a[0], a[1], a[2]),
            READLINKAT => self.sys_readlinkat(mem, a[0], a[1], a[2], a[3]),
            // The request is an unsigned int: Linux drops the upper half (musl
            // passes requests with bit 31 set sign-extended).
            IOCTL => self.sys_ioctl(mem, a[0], a[1] as u32 as u64, a[2]),
            FCNTL if crate::locks::is_lock_cmd(a[1]) => {
                match self.fcntl_lock(mem, a[0], a[1], a[2]) {
                    crate::locks::LockResult::Done(r) => r,
                    crate::locks::LockResult::WouldWait => Err(EAGAIN),
                }
            }
            FCNTL => self.sys_fcntl(mem, a[0], a[1], a[2]),
            FLOCK => match self.flock(a[0], a[1]) {
                crate::locks::LockResult::Done(r) => r,
                crate::locks::LockResult::WouldWait => Err(EAGAIN),
            },
            DUP => self.sys_dup(a[0]),
            DUP3 => {
                if a[0] != a[1] && self.fds.get(a[0]).is_ok() {
                    self.release_locks_of_fd(a[1]);
                }
                self.sys_dup3(a[0], a[1], a[2])
            }
            PIPE2 => self.sys_pipe2(mem, a[0], a[1]),
            EVENTFD2 => self.sys_eventfd2(a[0], a[1]),
            MEMFD_CREATE => self.sys_memfd_create(mem, a[0], a[1]),
            GETCWD => self.sys_getcwd(mem, a[0], a[1]),
            CHDIR => self.sys_chdir(mem, a[0]),
            FCHDIR => self.sys_fchdir(a[0]),
            UNLINKAT => self.sys_unlinkat(mem, a[0], a[1], a[2]),
            MKDIRAT => self.sys_mkdirat(mem, a[0], a[1], a[2]),
            MKNODAT => self.sys_mknodat(mem, a[0], a[1], a[2]),
            RENAMEAT => self.sys_renameat2(mem, a[0], a[1], a[2], a[3], 0),
            RENAMEAT2 => self.sys_renameat2(mem, a[0], a[1], a[2], a[3], a[4]),
            SYMLINKAT => self.sys_symlinkat(mem, a[0], a[1], a[2]),
            LINKAT => self.sys_linkat(mem, a[0], a[1], a[2], a[3], a[4]),
            FACCESSAT => self.sys_faccessat(mem, a[0], a[1], a[2], 0),
            FACCESSAT2 => self.sys_faccessat(mem, a[0], a[1], a[2], a[3]),
            FCHMODAT => self.sys_fchmodat(mem, a[0], a[1], a[2]),
            FCHMOD => self.sys_fchmod(a[0], a[1]),
            FCHOWNAT => self.sys_fchownat(mem, a[0], a[1], a[2], a[3], a[4]),
            FCHOWN => self.sys_fchown(a[0], a[1], a[2]),
            UTIMENSAT => self.sys_utimensat(mem, a[0], a[1], a[2], a[3]),
            TRUNCATE => self.sys_truncate(mem, a[0], a[1]),
            FTRUNCATE => self.sys_ftruncate(a[0], a[1]),
            FALLOCATE => self.sys_fallocate(a[0], a[1], a[2], a[3]),
            UMASK => {
                let old = self.umask;
                self.umask = (a[0] & 0o777) as u32;
                Ok(old as u64)
            }
            5..=16 => {
                use xattr::{Op, Target};
                let op = [Op::Set, Op::Get, Op::List, Op::Remove][((n - 5) / 3) as usize];
                let target = [Target::Path, Target::Link, Target::Fd][((n - 5) % 3) as usize];
                self.sys_xattr(mem, op, target, a)
            }
            FSYNC | FDATASYNC | FADVISE64 => self.fds.entry(a[0]).map(|_| 0),
            SYNC => Ok(0),
            EPOLL_CREATE1 => self.sys_epoll_create1(a[0]),
            198..=212 | 242 | 243 | 269 => self.socket_call(mem, n, a),
            EPOLL_CTL => self.sys_epoll_ctl(mem, a[0], a[1], a[2], a[3]),
            // Memory.
            BRK => self.sys_brk(mem, a[0]),
            MMAP => self.sys_mmap(mem, a[0], a[1], a[2], a[3], a[4], a[5]),
            MUNMAP => self.sys_munmap(mem, a[0], a[1]),
            MPROTECT => self.sys_mprotect(mem, a[0], a[1], a[2]),
            MREMAP => self.sys_mremap(mem, a[0], a[1], a[2], a[3], a[4]),
            MADVISE => self.sys_madvise(mem, a[0], a[1], a[2]),
            MLOCK => self.sys_mlock(mem, a[0], a[1], 0, true),
            MLOCK2 => self.sys_mlock(mem, a[0], a[1], a[2], true),
            MUNLOCK => self.sys_mlock(mem, a[0], a[1], 0, false),
            MLOCKALL => self.sys_mlockall(mem, a[0]),
            MUNLOCKALL => self.sys_munlockall(),
            MINCORE => self.sys_mincore(mem, a[0], a[1], a[2]),
            MSYNC => self.sys_msync(mem, a[0], a[1], a[2]),
            MEMBARRIER => Ok(0),
            // Calls that change the machine as a whole (mounts, the root, the
            // host name, the clock, swap, modules, reboot, namespaces): the
            // sandbox refuses them as an unprivileged container does.
            MOUNT | UMOUNT2 | PIVOT_ROOT | CHROOT | VHANGUP | QUOTACTL | ACCT | KEXEC_LOAD
            | KEXEC_FILE_LOAD | INIT_MODULE | FINIT_MODULE | DELETE_MODULE | CLOCK_SETTIME
            | REBOOT | SETHOSTNAME | SETDOMAINNAME | SETTIMEOFDAY | SWAPON | SWAPOFF | SETNS => {
                Err(EPERM)
            }
            // unshare(0) changes nothing; new namespaces and private tables
            // are refused like the calls above.
            UNSHARE => {
                use clone_flags::*;
                // The namespaces: NEWTIME, NEWNS, NEWCGROUP, NEWUTS, NEWIPC,
                // NEWUSER, NEWPID, NEWNET; and CLONE_SYSVSEM.
                const NAMESPACES: u64 = 0x80 | 0x2_0000 | 0x7e00_0000;
                const SYSVSEM: u64 = 0x4_0000;
                const KNOWN: u64 = CLONE_THREAD
                    | CLONE_FS
                    | CLONE_SIGHAND
                    | CLONE_VM
                    | CLONE_FILES
                    | SYSVSEM
                    | NAMESPACES;
                match a[0] {
                    0 => Ok(0),
                    f if f & !KNOWN != 0 => Err(EINVAL),
                    _ => Err(EPERM),
                }
            }
            // Process, signals, time, information.
            RSEQ => Err(ENOSYS),
            RT_SIGACTION => self.sys_rt_sigaction(mem, a[0], a[1], a[2], a[3]),
            RT_SIGPROCMASK => self.sys_rt_sigprocmask(mem, a[0], a[1], a[2], a[3]),
            RT_SIGPENDING => {
                misc::write_u64(mem, a[0], self.sig.pending & self.sig.mask).map(|_| 0)
            }
            SIGALTSTACK => self.sys_sigaltstack(mem, a[0], a[1]),
            SENDFILE => self.sys_sendfile(mem, a[0], a[1], a[2], a[3]),
            COPY_FILE_RANGE => self.sys_copy_file_range(mem, a),
            SPLICE => self.sys_splice(mem, a),
            TEE => self.sys_tee(a[0], a[1], a[2], a[3]),
            VMSPLICE => self.sys_vmsplice(mem, a[0], a[1], a[2], a[3]),
            PERSONALITY => self.sys_personality(a[0]),
            CAPGET => self.sys_capget(mem, a[0], a[1], self.knobs.caps),
            CAPSET => self.sys_capset(mem, a[0], a[1]),
            SYNC_FILE_RANGE => self.sys_sync_file_range(a[0], a[1], a[2], a[3]),
            SYNCFS => self.sys_syncfs(a[0]),
            READAHEAD => self.sys_readahead(a[0], a[1], a[2]),
            INOTIFY_INIT1 => self.sys_inotify_init1(a[0]),
            INOTIFY_ADD_WATCH => self.sys_inotify_add_watch(mem, a[0], a[1], a[2]),
            INOTIFY_RM_WATCH => self.sys_inotify_rm_watch(a[0], a[1]),
            GETUID => Ok(self.creds.ruid as u64),
            GETEUID => Ok(self.creds.euid as u64),
            GETGID => Ok(self.creds.rgid as u64),
            GETEGID => Ok(self.creds.egid as u64),
            GETRESUID => self.sys_getresids(mem, [a[0], a[1], a[2]], false),
            GETRESGID => self.sys_getresids(mem, [a[0], a[1], a[2]], true),
            SETUID => self.sys_setuids(&[a[0]]),
            SETREUID => self.sys_setuids(&[a[0], a[1]]),
            SETRESUID => self.sys_setuids(&[a[0], a[1], a[2]]),
            SETGID => self.sys_setgids(&[a[0]]),
            SETREGID => self.sys_setgids(&[a[0], a[1]]),
            SETRESGID => self.sys_setgids(&[a[0], a[1], a[2]]),
            SETFSUID => self.sys_setfsid(a[0], false),
            SETFSGID => self.sys_setfsid(a[0], true),
            SETGROUPS => self.sys_setgroups(mem, a[0], a[1]),
            GETGROUPS => self.sys_getgroups(mem, a[0], a[1]),
            UNAME => self.sys_uname(mem, a[0]),
            SYSINFO => self.sys_sysinfo(mem, a[0]),
            PRCTL => self.sys_prctl(mem, a[0], a[1]),
            GETRLIMIT => self.sys_prlimit64(mem, 0, a[0], 0, a[1]),
            SETRLIMIT => self.sys_prlimit64(mem, 0, a[0], a[1], 0),
            PRLIMIT64 => self.sys_prlimit64(mem, a[0], a[1], a[2], a[3]),
            GETRUSAGE => self.sys_getrusage(mem, a[0] as i32, a[1]),
            TIMES => self.sys_times(mem, a[0]),
            CLOCK_GETTIME => self.sys_clock_gettime(mem, a[0], a[1]),
            CLOCK_GETRES => self.sys_clock_getres(mem, a[0], a[1]),
            GETTIMEOFDAY => self.sys_gettimeofday(mem, a[0], a[1]),
            GETRANDOM => self.sys_getrandom(mem, a[0], a[1], a[2]),
            GETCPU => {
                for p in [a[0], a[1]] {
                    if p != 0 {
                        misc::write_u32(mem, p, 0)?;
                    }
                }
                Ok(0)
            }
            _ => {
                if self.warned.insert(n) {
                    tracing::warn!(
                        "unimplemented syscall {} ({}): returning -ENOSYS",
                        n,
                        syscall_name(n).unwrap_or("unknown")
                    );
                }
                Err(ENOSYS)
            }
        }
    }
}

/// The guest status flags of a host descriptor (access mode, append, nonblock).
fn host_status_flags(fd: i32) -> Option<u64> {
    // SAFETY: F_GETFL on any descriptor number is harmless.
    let fl = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if fl < 0 {
        return None;
    }
    Some(files::guest_flags_from_host(fl))
}

// ----- guest memory helpers ---------------------------------------------------

/// Read `len` guest bytes, or EFAULT.
pub(crate) fn read_guest(mem: &AddressSpace, addr: u64, len: usize) -> Result<Vec<u8>, i64> {
    let mut buf = vec![0u8; len];
    mem.read_bytes(addr, &mut buf).map_err(|_| EFAULT)?;
    Ok(buf)
}

/// Write guest bytes, or EFAULT (all or nothing).
pub(crate) fn write_guest(mem: &mut AddressSpace, addr: u64, bytes: &[u8]) -> Result<(), i64> {
    mem.write_bytes(addr, bytes).map_err(|_| EFAULT)
}

/// Check that `[addr, addr+len)` is writable by the guest, or EFAULT.
pub(crate) fn check_writable(mem: &AddressSpace, addr: u64, len: u64) -> Result<(), i64> {
    if len == 0 {
        return Ok(());
    }
    let last = addr.checked_add(len - 1).ok_or(EFAULT)?;
    let mut page = addr & !(PAGE_SIZE - 1);
    loop {
        match mem.perms_at(page) {
            Some(p) if p.write() => {}
            _ => return Err(EFAULT),
        }
        match page.checked_add(PAGE_SIZE) {
            Some(next) if next <= last => page = next,
            _ => return Ok(()),
        }
    }
}

/// Read a NUL-terminated guest path: EFAULT, ENAMETOOLONG.
pub(crate) fn read_path(mem: &AddressSpace, addr: u64) -> Result<Vec<u8>, i64> {
    let s = mem.read_cstring(addr, PATH_MAX).map_err(|_| EFAULT)?;
    if s.len() >= PATH_MAX {
        return Err(ENAMETOOLONG);
    }
    Ok(s)
}
