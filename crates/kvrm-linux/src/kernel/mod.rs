//! The virtual Linux kernel: guest processes and threads inside one kvrm
//! process, on any [`Engine`].
//!
//! A guest thread is an engine machine; a guest process is a thread group with
//! an address space (an engine space, shared by its threads, copy-on-write
//! cloned by `fork`) and a [`LinuxProcess`] (descriptors, cwd, signal
//! dispositions, heap). The kernel keeps the process table (guest pids,
//! parents, process groups and sessions, exit statuses), and a scheduler runs
//! the runnable threads in slices. Calls that wait (pipe and terminal reads,
//! `wait4`, `futex`, `nanosleep`, `ppoll`, `rt_sigsuspend`, vfork) block only
//! the calling thread; when every thread waits, the kernel sleeps in the
//! host's `poll` on the descriptors they wait for, up to the next timeout.
//!
//! How a guest syscall travels: the machine stops with
//! [`StopReason::Syscall`]; [`Kernel::syscall`] reads x8 and x0..x5, services
//! the process-level calls itself (`syscalls_proc.rs`, `futex.rs`) and hands
//! the rest to the process's [`LinuxProcess::syscall`] with the address space;
//! the result goes to x0 and the thread is runnable again, or it waits.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::os::fd::{OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvrm_isa::{CpuState, Engine, MachineId, MachineStop, SpaceId, StopReason};

use crate::abi::signal::*;
use crate::syscalls::{Deterministic, LinuxProcess, ProcessExit, SyscallOutcome};

mod caps;
mod futex;
mod ioprio;
mod launch;
mod outside;
mod pidfd;
mod sched;
mod sigframe;
mod sigio;
mod signal;
mod signalfd;
mod sockets;
mod syscalls_proc;
pub(crate) mod sysv_ipc;
mod timerfd;
mod timers;
mod usage;

/// A guest process or thread id.
pub type Pid = u32;

pub use launch::{LaunchMode, LaunchStats, MEGA_SLICE};

/// Instructions a thread runs before the next one gets its turn.
const SLICE: u64 = 20_000;
/// Deterministic runs switch threads at exactly this many instructions.
const DETERMINISTIC_SLICE: u64 = 10_000;
/// With one runnable thread and nothing to watch, check back this often.
const LONE_SLICE: u64 = 5_000_000;
/// Longest slice of an engine that runs its machines side by side: about a
/// second of a GPU lane, the latency of a signal from the host.
const SIDE_BY_SIDE_SLICE: u64 = 1_000_000;

/// How the kernel runs guests.
#[derive(Debug, Clone)]
pub struct KernelConfig {
    /// Threads interleave at fixed instruction counts; the clock is virtual
    /// (one nanosecond per instruction retired, sleeps skip ahead);
    /// `getrandom` and `AT_RANDOM` come from `seed`.
    pub deterministic: bool,
    pub seed: u64,
    /// Bytes of accessible guest mappings, all processes together; beyond
    /// it `mmap`, `brk` and `mremap` fail with ENOMEM.
    pub memory_limit: u64,
    /// Guest processes and threads alive at once; beyond it `clone` fails
    /// with EAGAIN.
    pub max_tasks: usize,
    /// Stop after this many instructions (all threads together).
    pub max_instructions: Option<u64>,
    /// No `kvrm:` reports of guests killed by signals on stderr.
    pub quiet: bool,
    /// AF_INET and AF_INET6 sockets reach the host's network; without it
    /// `socket` refuses them with EACCES (AF_UNIX always works).
    pub net: bool,
    /// How engine runs are issued (`--mode`).
    pub launch: LaunchMode,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            deterministic: false,
            seed: 0,
            memory_limit: default_memory_limit(),
            max_tasks: 4096,
            max_instructions: None,
            quiet: false,
            net: false,
            launch: LaunchMode::Standard,
        }
    }
}

/// Put the threads of a round in a new order. An engine that runs them one
/// after another gives each a turn up to its next syscall; in a fixed order,
/// threads that take a lock before each call and free it after (spinning on
/// short timed waits) can hold it at every turn of the thread woken to take
/// it, round after round, where a real machine's timing varies. `state` is a
/// generator of the kernel's own, so deterministic runs stay deterministic.
fn shuffle_turns(state: &mut u64, machines: &mut [MachineId]) {
    for i in (1..machines.len()).rev() {
        // xorshift64
        let mut x = *state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        *state = x;
        machines.swap(i, (x % (i as u64 + 1)) as usize);
    }
}

/// The side-by-side slice after a round: doubled when no machine stopped
/// for the kernel (`quiet`), else halved, within [SLICE, SIDE_BY_SIDE_SLICE].
fn next_side_slice(slice: u64, quiet: bool) -> u64 {
    if quiet {
        (slice * 2).min(SIDE_BY_SIDE_SLICE)
    } else {
        (slice / 2).max(SLICE)
    }
}

/// The committed bytes of each live space and their sum, kept between
/// calls; `valid` false: sum them again.
#[derive(Default)]
pub(crate) struct CommitCache {
    pub(crate) valid: bool,
    total: u64,
    per_space: HashMap<SpaceId, u64>,
}

/// The default memory limit: the host's physical memory (so a guest cannot
/// make kvrm swap the host to death), at least 1 GiB.
pub fn default_memory_limit() -> u64 {
    // SAFETY: sysconf takes plain integers.
    let (pages, size) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    if pages > 0 && size > 0 {
        (pages as u64).saturating_mul(size as u64).max(1 << 30)
    } else {
        16 << 30
    }
}

/// What a waiting thread waits for.
#[derive(Debug, Clone)]
pub(crate) enum Wait {
    /// Call the syscall again when one of the host descriptors is ready or
    /// at the deadline (reads, writes, ppoll).
    Retry {
        fds: Vec<(RawFd, i16)>,
        deadline: Option<Duration>,
    },
    /// wait4 / waitid: call again when a child changes state.
    Child,
    /// futex wait on a word; 0 when woken, ETIMEDOUT at the deadline.
    Futex {
        key: futex::FutexKey,
        bitset: u32,
        deadline: Option<Duration>,
        /// Place in the futex's queue (`Kernel::futex_waits` when it
        /// joined): waiters are woken and requeued oldest first.
        queued: u64,
    },
    /// The parent of a vfork child, until the child execs or exits.
    Vfork(Pid),
    /// rt_sigsuspend: until a signal arrives; the old mask comes back.
    Signal { old_mask: u64 },
    /// nanosleep / clock_nanosleep: 0 at the deadline.
    Sleep(Duration),
    /// rt_sigtimedwait: a signal of `set` comes (see signal.rs), or EAGAIN
    /// at the deadline.
    SignalIn {
        set: u64,
        deadline: Option<Duration>,
    },
    /// Call again at the deadline, which is not a timeout: a lock another
    /// process holds (crate::locks), a connect in progress, a FIFO opened for
    /// writing whose reader has not come.
    Lock(Duration),
    /// semop, semtimedop, msgsnd, msgrcv: done when the object changes
    /// (sysv_ipc/), EAGAIN at the deadline.
    Ipc(Box<sysv_ipc::IpcWait>),
}

pub(crate) struct Thread {
    pub pid: Pid,
    pub machine: MachineId,
    pub sigmask: u64,
    pub clear_child_tid: u64,
    pub robust_list: u64,
    pub wait: Option<Wait>,
    /// The current call is a retry after a wait (counted once).
    pub retrying: bool,
    /// Bytes the current write already moved before it waited for room
    /// (sockets.rs: a blocking write ends only when all is written).
    pub io_done: u64,
    /// Pending signals of this thread, its sigaltstack.
    pub sig: signal::ThreadSignals,
    /// The I/O priority ioprio_set gave it (ioprio.rs; 0: none).
    pub ioprio: u16,
    /// Its scheduling policy (sched.rs).
    pub sched: sched::Sched,
    /// The CPUs sched_setaffinity gave it (sched.rs; None: the host's mask).
    pub affinity: Option<crate::sysfs::CpuList>,
    /// Its CPU time (usage.rs).
    pub usage: crate::syscalls::Usage,
}

pub(crate) struct Process {
    pub ppid: Pid,
    pub pgid: Pid,
    pub sid: Pid,
    pub linux: LinuxProcess,
    pub space: SpaceId,
    /// Live threads, the leader first.
    pub threads: Vec<Pid>,
    /// Set when the process has ended (a zombie until its parent waits).
    pub exit: Option<ProcessExit>,
    /// The signal the parent gets when this process ends (clone's low byte).
    pub exit_signal: i32,
    /// The thread of the parent that vforked this process, until exec/exit.
    pub vfork_parent: Option<Pid>,
    /// Signals pending for the whole process, its timers.
    pub signals: signal::ProcessSignals,
    /// The nice value (-20..=19; getpriority/setpriority), inherited on fork.
    pub nice: i32,
}

/// The status of a run that ended on a breakpoint or watchpoint (after 124,
/// the instruction limit, and 125, a deadlock).
pub const DEBUG_STOP_STATUS: i32 = 126;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// The first process exited, or was killed by a signal it did not handle.
    Exited(ProcessExit),
    /// The first process stopped on a fault, an undefined instruction or a
    /// breakpoint, which Linux turns into this signal.
    Crashed { stop: StopReason, signal: i32 },
    /// The instruction limit was reached.
    CycleLimit,
    /// Every thread waits for something that cannot happen (a futex nobody
    /// will wake, a child that will never exit...).
    Deadlock,
    /// A guest thread stopped on a breakpoint or a watchpoint
    /// ([`kvrm_isa::Engine::set_breakpoints`]); the run ends there, every
    /// process as it was (none is killed).
    DebugStop { stop: StopReason },
}

impl RunEnd {
    /// The shell's view: exit status, or 128 + signal, 124 at the
    /// instruction limit (as `timeout` reports a time limit), 125 on deadlock.
    pub fn status(&self) -> i32 {
        match *self {
            RunEnd::Exited(e) => e.status(),
            RunEnd::Crashed { signal, .. } => 128 + signal,
            RunEnd::CycleLimit => 124,
            RunEnd::Deadlock => 125,
            RunEnd::DebugStop { .. } => DEBUG_STOP_STATUS,
        }
    }
}

/// The outcome of [`Kernel::run`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSummary {
    pub end: RunEnd,
    pub instructions: u64,
    pub elapsed: Duration,
}

impl RunSummary {
    pub fn ips(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.instructions as f64 / s
        } else {
            0.0
        }
    }
}

/// Host signals that reach kvrm and go to the guest, one bit each.
static HOST_SIGNALS: AtomicU64 = AtomicU64::new(0);
/// Of those, the ones a process sent (kill, sigqueue; not a terminal):
/// they go to the first guest process alone, as a kill of its pid would.
static HOST_SIGNALS_SENT: AtomicU64 = AtomicU64::new(0);
/// The sender of the last of each signal a process sent: pid | uid << 32.
static HOST_SENDERS: [AtomicU64; 64] = [const { AtomicU64::new(0) }; 64];

extern "C" fn record_host_signal(
    sig: libc::c_int,
    info: *mut libc::siginfo_t,
    _ctx: *mut libc::c_void,
) {
    if !(1..=64).contains(&sig) {
        return;
    }
    let bit = 1u64 << (sig - 1);
    // SAFETY: the host passes an SA_SIGINFO handler a valid siginfo (or null).
    if let Some(info) = unsafe { info.as_ref() } {
        // si_code <= 0: sent by a process (SI_USER, SI_QUEUE, SI_TKILL).
        if info.si_code <= 0 {
            // SAFETY: the kill fields are valid for these codes.
            let (pid, uid) = unsafe { (info.si_pid(), info.si_uid()) };
            HOST_SENDERS[(sig - 1) as usize]
                .store(pid as u32 as u64 | (uid as u64) << 32, Ordering::Relaxed);
            HOST_SIGNALS_SENT.fetch_or(bit, Ordering::Relaxed);
        }
    }
    HOST_SIGNALS.fetch_or(bit, Ordering::Relaxed);
}

/// The signals a user or terminal sends kvrm that belong to the guest.
const FORWARDED: [i32; 7] = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGWINCH, 10, 12];

/// A virtual Linux kernel over an engine.
pub struct Kernel {
    pub(crate) engine: Box<dyn Engine>,
    pub(crate) config: KernelConfig,
    pub(crate) procs: BTreeMap<Pid, Process>,
    pub(crate) threads: BTreeMap<Pid, Thread>,
    pub(crate) by_machine: HashMap<MachineId, Pid>,
    /// The first process: its end is the run's end.
    pub(crate) init: Option<Pid>,
    pub(crate) init_end: Option<RunEnd>,
    pub(crate) next_pid: Pid,
    /// Instructions retired by every thread so far.
    pub(crate) instructions: u64,
    /// Host time in the engine's runs and in servicing their stops (--stats).
    pub(crate) time_in_engine: Duration,
    pub(crate) time_in_stops: Duration,
    /// Host time servicing each syscall number, by number (--stats).
    syscall_time: BTreeMap<u64, Duration>,
    /// Committed bytes of the live processes' spaces (the memory limit).
    pub(crate) commit: std::cell::RefCell<CommitCache>,
    /// The slice of a side-by-side engine: doubled after each round in
    /// which no machine stopped for the kernel, halved after one with stops.
    side_slice: u64,
    /// State of the generator that orders a round's threads (shuffle_turns).
    turn_order: u64,
    /// Futex waits begun so far: each waiter's place in its queue.
    pub(crate) futex_waits: u64,
    start: Instant,
    /// Deterministic runs: virtual nanoseconds added by skipped sleeps.
    pub(crate) skipped_ns: u64,
    rng: u64,
    /// Syscall counts of processes that ended and of the calls the kernel
    /// services itself.
    counts: BTreeMap<u64, u64>,
    /// The call process_call just handled went to the Linux layer, which
    /// counted it (kernel/sockets.rs: write_all_call).
    linux_counted: bool,
    /// How top-level processes other than the first ended (nobody waits
    /// for them).
    pub(crate) orphan_exits: BTreeMap<Pid, ProcessExit>,
    /// Descriptors that refer to processes (pidfd.rs).
    pub(crate) pidfds: Vec<pidfd::PidFd>,
    /// Pids that may have children in `procs` (added with each child or
    /// orphan adopted, dropped when the process exits): an exit scans the
    /// table for children only then, so thousands of lanes that exit are
    /// not quadratic.
    pub(crate) parents: HashSet<Pid>,
    /// Spaces a CLONE_VM child (vfork, posix_spawn) ran in besides their
    /// process: only these can outlive the exit of one process using them.
    pub(crate) vm_shared: HashSet<SpaceId>,
    /// Processes outside the guest that it can name (outside.rs).
    pub(crate) outside: Vec<outside::Outside>,
    /// Every timerfd (timerfd.rs).
    pub(crate) timerfds: Vec<timerfd::TimerFd>,
    /// Descriptors with O_ASYNC and their last readiness (sigio.rs).
    pub(crate) async_files: Vec<sigio::AsyncFile>,
    /// What the launch mode did (launch.rs).
    launch_stats: LaunchStats,
    /// The System V IPC objects of every guest (sysv_ipc/).
    pub(crate) ipc: sysv_ipc::IpcNamespace,
    /// Some guest made a signalfd: pending-signal changes update their
    /// readiness (signalfd.rs).
    pub(crate) signalfds_made: bool,
    /// `instructions`, readable from other host threads.
    progress: Arc<AtomicU64>,
}

impl Kernel {
    /// A kernel with no processes yet (see [`crate::spawn`]).
    pub fn new(engine: Box<dyn Engine>, config: KernelConfig) -> Self {
        let next_pid = if config.deterministic {
            1000
        } else {
            std::process::id()
        };
        // SAFETY: ignoring SIGPIPE (guest writes to closed pipes get EPIPE and
        // the kernel raises the guest's SIGPIPE) and recording the signals the
        // guest should get: the handler only touches an atomic.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
            for sig in FORWARDED {
                let mut sa: libc::sigaction = std::mem::zeroed();
                sa.sa_sigaction = record_host_signal
                    as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
                    as libc::sighandler_t;
                sa.sa_flags = libc::SA_SIGINFO;
                libc::sigemptyset(&mut sa.sa_mask);
                libc::sigaction(sig, &sa, std::ptr::null_mut());
            }
        }
        let rng = config.seed ^ 0x6b76_726d_5345_4544;
        Kernel {
            engine,
            config,
            procs: BTreeMap::new(),
            threads: BTreeMap::new(),
            by_machine: HashMap::new(),
            init: None,
            init_end: None,
            next_pid,
            instructions: 0,
            side_slice: SLICE,
            turn_order: 0x9e37_79b9_7f4a_7c15,
            futex_waits: 0,
            commit: Default::default(),
            parents: HashSet::new(),
            vm_shared: HashSet::new(),
            time_in_engine: Duration::ZERO,
            time_in_stops: Duration::ZERO,
            syscall_time: BTreeMap::new(),
            start: Instant::now(),
            skipped_ns: 0,
            rng,
            counts: BTreeMap::new(),
            linux_counted: false,
            orphan_exits: BTreeMap::new(),
            pidfds: Vec::new(),
            outside: Vec::new(),
            timerfds: Vec::new(),
            async_files: Vec::new(),
            launch_stats: LaunchStats::default(),
            ipc: Default::default(),
            signalfds_made: false,
            progress: Arc::new(AtomicU64::new(0)),
        }
    }

    /// The engine the guests run on.
    pub fn engine(&self) -> &dyn Engine {
        self.engine.as_ref()
    }

    pub fn engine_mut(&mut self) -> &mut dyn Engine {
        self.engine.as_mut()
    }

    /// Instructions retired so far, all threads.
    pub fn instructions(&self) -> u64 {
        self.instructions
    }

    /// Guest processes that have not ended.
    pub fn live_processes(&self) -> usize {
        self.procs.values().filter(|p| p.exit.is_none()).count()
    }

    /// The process `pid`'s Linux state (descriptors, syscall counts...).
    pub fn process(&self, pid: Pid) -> Option<&LinuxProcess> {
        self.procs.get(&pid).map(|p| &p.linux)
    }

    /// Syscalls serviced so far, every process: (number, name, count).
    pub fn syscall_counts(&self) -> Vec<(u64, &'static str, u64)> {
        let mut all = self.counts.clone();
        for p in self.procs.values() {
            for (nr, _, c) in p.linux.syscall_counts() {
                *all.entry(nr).or_insert(0) += c;
            }
        }
        all.into_iter()
            .map(|(n, c)| (n, crate::syscall_name(n).unwrap_or("?"), c))
            .collect()
    }

    /// Fold an ended process's syscall counts into the kernel's.
    pub(crate) fn merge_counts(&mut self, pid: Pid) {
        if let Some(p) = self.procs.get_mut(&pid) {
            for (nr, c) in p.linux.take_counts() {
                *self.counts.entry(nr).or_insert(0) += c;
            }
        }
    }

    /// How process `pid` ended, if it did: a top-level process (nobody's
    /// child) or a zombie not yet waited for.
    pub fn exit_status(&self, pid: Pid) -> Option<ProcessExit> {
        self.procs
            .get(&pid)
            .and_then(|p| p.exit)
            .or_else(|| self.orphan_exits.get(&pid).copied())
    }

    /// The first process (the one [`Self::run`] waits for).
    pub fn first_pid(&self) -> Option<Pid> {
        self.init
    }

    /// The registers of thread `tid` (a process's main thread has its pid).
    pub fn state(&self, tid: Pid) -> Option<&CpuState> {
        self.threads.get(&tid).map(|t| self.engine.state(t.machine))
    }

    pub fn state_mut(&mut self, tid: Pid) -> Option<&mut CpuState> {
        let m = self.threads.get(&tid)?.machine;
        Some(self.engine.state_mut(m))
    }

    /// The address space of process `pid`.
    pub fn space(&self, pid: Pid) -> Option<&kvrm_isa::AddressSpace> {
        self.procs.get(&pid).map(|p| self.engine.space(p.space))
    }

    pub fn space_mut(&mut self, pid: Pid) -> Option<&mut kvrm_isa::AddressSpace> {
        let s = self.procs.get(&pid)?.space;
        Some(self.engine.space_mut(s))
    }

    /// Service syscall `nr` for thread `tid` as if it had executed SVC with
    /// these arguments: x0 holds the result afterwards (unless the thread
    /// now waits or is gone). For tests and tools.
    pub fn service(&mut self, tid: Pid, nr: u64, args: &[u64]) {
        if let Some(st) = self.state_mut(tid) {
            st.x[8] = nr;
            for (i, v) in args.iter().take(6).enumerate() {
                st.x[i] = *v;
            }
        }
        self.syscall(tid);
    }

    /// Does thread `tid` wait (in a blocking call)?
    pub fn is_waiting(&self, tid: Pid) -> bool {
        self.threads.get(&tid).is_some_and(|t| t.wait.is_some())
    }

    /// Make guest descriptor `fd` of process `pid` refer to host descriptor `host`.
    pub fn set_stdio(&mut self, pid: Pid, fd: u32, host: OwnedFd) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.linux.set_stdio(fd, host);
        }
    }

    /// Give process `pid` the open file description `file` (made with
    /// [`crate::stdio_file`]) as descriptor `fd`: processes given the same
    /// one share a host descriptor and its offset, as after a fork.
    pub fn set_stdio_file(&mut self, pid: Pid, fd: u32, file: crate::fd::FileRef) {
        if let Some(p) = self.procs.get_mut(&pid) {
            p.linux.set_stdio_file(fd, file);
        }
    }

    pub(crate) fn alloc_pid(&mut self) -> Pid {
        loop {
            let pid = self.next_pid;
            self.next_pid = self.next_pid.wrapping_add(1).max(2);
            let taken = self.procs.contains_key(&pid)
                || self.threads.contains_key(&pid)
                || self.outside.iter().any(|o| o.pid == pid);
            if !taken {
                return pid;
            }
        }
    }

    /// `len` bytes of process `pid`'s memory at `addr` (EFAULT; ESRCH for
    /// no such process).
    pub(crate) fn proc_read(&self, pid: Pid, addr: u64, len: usize) -> Result<Vec<u8>, i64> {
        let space = self.procs.get(&pid).ok_or(crate::abi::errno::ESRCH)?.space;
        crate::syscalls::read_guest(self.engine.space(space), addr, len)
    }

    /// Write `bytes` into process `pid`'s memory at `addr` (EFAULT, ESRCH).
    pub(crate) fn proc_write(&mut self, pid: Pid, addr: u64, bytes: &[u8]) -> Result<(), i64> {
        let space = self.procs.get(&pid).ok_or(crate::abi::errno::ESRCH)?.space;
        crate::syscalls::write_guest(self.engine.space_mut(space), addr, bytes)
    }

    /// The clock of waits and deadlines: host time since the start, or the
    /// virtual clock of a deterministic run.
    pub(crate) fn now(&self) -> Duration {
        if self.config.deterministic {
            Duration::from_nanos(self.instructions + self.skipped_ns)
        } else {
            self.start.elapsed()
        }
    }

    /// A seeded random value for a new process's random source.
    fn next_seed(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        self.rng
    }

    /// Add a top-level process: its memory image, registers and Linux
    /// state. The first one added is the one [`Self::run`] waits for.
    pub fn add_process(
        &mut self,
        space: kvrm_isa::AddressSpace,
        state: CpuState,
        mut linux: LinuxProcess,
    ) -> Pid {
        let pid = self.alloc_pid();
        let space = self.engine.add_space(space);
        self.commit_changed(space);
        let machine = self.engine.add_machine(space, state);
        linux.pid = pid;
        let (pgid, sid) = if self.config.deterministic {
            (pid, pid)
        } else {
            // SAFETY: plain queries of this process.
            unsafe { (libc::getpgrp() as Pid, libc::getsid(0) as Pid) }
        };
        linux.rlimits[9] = [self.config.memory_limit; 2]; // RLIMIT_AS
        linux.rlimits[6] = [self.config.max_tasks as u64; 2]; // RLIMIT_NPROC
        linux.net = self.config.net;
        if self.config.deterministic {
            linux.ppid = 1;
        }
        let ppid = linux.ppid;
        self.parents.insert(ppid);
        if self.procs.is_empty() && self.outside.is_empty() {
            self.outside = outside::outside_of(pid, [ppid, pgid, sid], self.config.deterministic);
        }
        self.procs.insert(
            pid,
            Process {
                ppid,
                pgid,
                sid,
                linux,
                space,
                threads: vec![pid],
                exit: None,
                exit_signal: SIGCHLD,
                vfork_parent: None,
                signals: Default::default(),
                // The guest starts with kvrm's own niceness, as under qemu.
                // SAFETY: getpriority has no memory arguments.
                nice: unsafe { libc::getpriority(libc::PRIO_PROCESS, 0) }.clamp(-20, 19),
            },
        );
        self.threads.insert(
            pid,
            Thread {
                pid,
                machine,
                sigmask: 0,
                clear_child_tid: 0,
                robust_list: 0,
                wait: None,
                retrying: false,
                io_done: 0,
                sig: Default::default(),
                ioprio: ioprio::host_ioprio(),
                sched: Default::default(),
                affinity: None,
                usage: Default::default(),
            },
        );
        self.by_machine.insert(machine, pid);
        if self.init.is_none() {
            self.init = Some(pid);
        }
        pid
    }

    /// A new random seed for a deterministic process (`None` otherwise).
    pub(crate) fn det_for_new_process(&mut self) -> Option<Deterministic> {
        if self.config.deterministic {
            let rng = self.next_seed();
            Some(Deterministic { now_ns: 0, rng })
        } else {
            None
        }
    }

    /// The deterministic random source for AT_RANDOM of the first process.
    pub fn seeded_random(&mut self) -> Option<[u8; 16]> {
        if !self.config.deterministic {
            return None;
        }
        let a = self.next_seed();
        let b = self.next_seed();
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&a.to_le_bytes());
        out[8..].copy_from_slice(&b.to_le_bytes());
        Some(out)
    }

    /// Run until the first process ends (or the instruction limit). Other
    /// processes may still be alive then: [`Self::run_rest`] runs them.
    pub fn run(&mut self) -> RunSummary {
        let start = Instant::now();
        let end = loop {
            if let Some(end) = self.init_end {
                break end;
            }
            if let Some(end) = self.step() {
                break end;
            }
        };
        RunSummary {
            end,
            instructions: self.instructions,
            elapsed: start.elapsed(),
        }
    }

    /// Run the remaining processes (after the first one ended) until none
    /// is left or all of them wait forever.
    pub fn run_rest(&mut self) {
        while self.live_processes() > 0 {
            if self.step().is_some() {
                break;
            }
        }
    }

    /// One scheduling round: deliver host signals, run every runnable thread
    /// for a slice, service their stops, then wake waiters whose event came.
    /// Returns how the run ends when it can go no further.
    fn step(&mut self) -> Option<RunEnd> {
        self.take_host_signals();
        self.sync_async();
        self.signal_round();
        if self.threads.is_empty() && self.init_end.is_some() {
            return None; // a signal ended the last process
        }
        let mut runnable: Vec<MachineId> = self
            .threads
            .values()
            .filter(|t| t.wait.is_none())
            .map(|t| t.machine)
            .collect();
        if !self.engine.runs_side_by_side() {
            shuffle_turns(&mut self.turn_order, &mut runnable);
        }
        if runnable.is_empty() {
            if self.threads.is_empty() {
                return Some(RunEnd::Deadlock);
            }
            if !self.wait_for_events() {
                return Some(RunEnd::Deadlock);
            }
            return None;
        }
        let waiting = self.threads.len() > runnable.len();
        let mut slice = if self.config.deterministic {
            DETERMINISTIC_SLICE
        } else if runnable.len() == 1 && !waiting {
            LONE_SLICE
        } else if self.engine.runs_side_by_side() && !waiting {
            self.side_slice
        } else {
            SLICE
        };
        if !self.config.deterministic {
            slice = self.mode_slice(slice, waiting);
        }
        if self.config.deterministic {
            let now = self.now().as_nanos() as u64;
            self.engine.set_virtual_counter(Some(now));
        }
        let mut stops: Vec<MachineStop> = Vec::with_capacity(runnable.len());
        if let Some(max) = self.config.max_instructions {
            // Exact limits: one machine at a time, never past the limit.
            for m in runnable {
                let left = max.saturating_sub(self.instructions);
                if left == 0 {
                    return Some(RunEnd::CycleLimit);
                }
                slice = slice.min(left);
                stops.clear();
                let t0 = Instant::now();
                self.launch(&[m], slice, &mut stops);
                self.account_run(&stops, t0.elapsed());
                self.handle_stops(&stops);
                if self.init_end.is_some() {
                    return None;
                }
            }
        } else {
            let t0 = Instant::now();
            self.launch(&runnable, slice, &mut stops);
            let t1 = Instant::now();
            self.account_run(&stops, t1 - t0);
            self.handle_stops(&stops);
            self.time_in_engine += t1 - t0;
            self.time_in_stops += t1.elapsed();
            // Lanes that stopped waited for the whole launch: shorter
            // launches while they do, longer ones while none does.
            let quiet = stops.iter().all(|s| s.stop == StopReason::CycleLimit);
            self.side_slice = next_side_slice(self.side_slice, quiet);
        }
        if waiting {
            self.poll_waiters(Duration::ZERO);
        }
        None
    }

    fn handle_stops(&mut self, stops: &[MachineStop]) {
        let retired: u64 = stops.iter().map(|s| s.instructions).sum();
        self.progress
            .store(self.instructions + retired, Ordering::Relaxed);
        for s in stops {
            self.instructions += s.instructions;
            let Some(&tid) = self.by_machine.get(&s.machine) else {
                continue;
            };
            match s.stop {
                StopReason::Syscall { .. } => self.syscall(tid),
                StopReason::CycleLimit => {}
                StopReason::Breakpoint { .. } | StopReason::Watchpoint { .. } => {
                    if self.init_end.is_none() {
                        self.init_end = Some(RunEnd::DebugStop { stop: s.stop });
                    }
                }
                stop => {
                    if self.take_fault_signal(tid, &stop) {
                        continue; // the guest's handler runs
                    }
                    let signal = crate::signal_for_stop(&stop).unwrap_or(SIGSEGV);
                    let pid = self.threads[&tid].pid;
                    if !self.config.quiet {
                        eprintln!("kvrm: {stop}: guest killed by signal {signal}");
                    }
                    if Some(pid) == self.init {
                        self.init_end = Some(RunEnd::Crashed { stop, signal });
                    }
                    self.exit_process(pid, ProcessExit::Signaled(signal));
                }
            }
        }
    }

    /// Host signals that reach kvrm go to the guest: those a terminal sends
    /// (Ctrl-C) to the processes of the first process's group, as the
    /// terminal sends them to its foreground group; those a process sends
    /// (`kill PID`) to the first process alone, whose guest pid is kvrm's
    /// host pid, with the sender's pid and uid. (A guest's kill never
    /// reaches the host: a pid that is none of its kernel's is ESRCH, even
    /// when another host process has that number.)
    fn take_host_signals(&mut self) {
        let bits = HOST_SIGNALS.swap(0, Ordering::Relaxed);
        if bits == 0 {
            return;
        }
        let sent = HOST_SIGNALS_SENT.swap(0, Ordering::Relaxed) & bits;
        let Some((init, pgid)) = self
            .init
            .and_then(|i| self.procs.get(&i).map(|p| (i, p.pgid)))
        else {
            return;
        };
        for sig in 1..=64 {
            let bit = 1u64 << (sig - 1);
            if sent & bit != 0 && self.procs[&init].exit.is_none() {
                let who = HOST_SENDERS[sig - 1].load(Ordering::Relaxed);
                let info = signal::sender_info(sig as i32, who as u32, (who >> 32) as u32);
                let _ = self.send_to_process(init, info);
            } else if bits & bit != 0 {
                let _ = self.kill_group(pgid, sig as u64);
            }
        }
    }

    // ----- syscalls ----------------------------------------------------------

    /// Service the syscall thread `tid` stopped on.
    pub(crate) fn syscall(&mut self, tid: Pid) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let m = t.machine;
        let st = self.engine.state_mut(m);
        // An exception return clears the exclusive monitor.
        st.excl_size = 0;
        let nr = st.x[8];
        let a = [st.x[0], st.x[1], st.x[2], st.x[3], st.x[4], st.x[5]];
        let t0 = Instant::now();
        self.dispatch(tid, nr, a);
        self.deliver_to(tid); // signals act as the call returns
        self.note_syscall_time(nr, t0.elapsed());
    }

    /// Add `spent` to syscall `nr`'s service time (--stats). Known numbers
    /// only: a guest trying every number grows no map.
    fn note_syscall_time(&mut self, nr: u64, spent: Duration) {
        if crate::syscall_name(nr).is_some() {
            *self.syscall_time.entry(nr).or_default() += spent;
        }
    }

    /// Host time servicing each syscall number so far (--stats).
    pub fn syscall_times(&self) -> &BTreeMap<u64, Duration> {
        &self.syscall_time
    }

    /// Run syscall `nr` for `tid` and write its result, or make it wait.
    pub(crate) fn dispatch(&mut self, tid: Pid, nr: u64, a: [u64; 6]) {
        let t0 = Instant::now();
        if let Some(pid) = self.threads.get(&tid).map(|t| t.pid) {
            self.note_rss(pid);
        }
        self.dispatch_call(tid, nr, a);
        self.account_syscall(tid, t0.elapsed());
    }

    fn dispatch_call(&mut self, tid: Pid, nr: u64, a: [u64; 6]) {
        let retry = self.threads.get(&tid).is_some_and(|t| t.retrying);
        // The host checks file access as the guest would be checked.
        if let Some(p) = self.threads.get(&tid).and_then(|t| self.procs.get(&t.pid)) {
            crate::syscalls::creds::apply_to_host(&p.linux.creds);
        }
        let out = self.process_call(tid, nr, a);
        let linux_counted = std::mem::take(&mut self.linux_counted);
        if out.is_some() && !retry && !linux_counted {
            *self.counts.entry(nr).or_insert(0) += 1;
        }
        if let Some(o) = &out {
            tracing::trace!(
                "[{tid}] syscall {}({:#x}, {:#x}, {:#x}, {:#x}) = {}",
                crate::syscall_name(nr).unwrap_or("?"),
                a[0],
                a[1],
                a[2],
                a[3],
                match o {
                    Outcome::Return(v) => format!("{:#x}", v),
                    Outcome::Wait(w) => format!("waits: {w:?}"),
                    Outcome::Gone => "gone".into(),
                }
            );
        }
        match out {
            Some(Outcome::Return(v)) => self.set_return(tid, v),
            Some(Outcome::Wait(w)) => {
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.wait = Some(w);
                }
            }
            Some(Outcome::Gone) => {}
            None => self.linux_call(tid, nr, a),
        }
    }

    pub(crate) fn set_return(&mut self, tid: Pid, v: u64) {
        if let Some(t) = self.threads.get(&tid) {
            self.engine.state_mut(t.machine).x[0] = v;
        }
    }

    /// A syscall of the process's own Linux layer (files, memory, ...).
    fn linux_call(&mut self, tid: Pid, nr: u64, a: [u64; 6]) {
        let now_ns = self.now().as_nanos() as u64;
        // Only the mapping calls charge the memory limit; the room is a sum
        // over every process, so the others get none (a call that charged
        // anyway would fail with ENOMEM, not pass the limit).
        use crate::syscalls::nr::{BRK, MMAP, MREMAP};
        let room = if matches!(nr, BRK | MMAP | MREMAP) {
            self.commit_room()
        } else {
            0
        };
        let procfs = self.procfs_snapshot_for(tid, nr, a);
        let sysvipc = procfs.as_ref().and_then(|_| self.sysvipc_proc_files());
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let (pid, mask, usage) = (t.pid, t.sigmask, t.usage);
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        p.linux.sig.mask = mask;
        p.linux.thread_usage = usage;
        p.linux.commit_room = room;
        if let Some(d) = p.linux.det.as_mut() {
            d.now_ns = now_ns;
        }
        let space = self.engine.space_mut(p.space);
        p.linux.procfs = procfs;
        p.linux.sysvipc = sysvipc;
        let out = p.linux.syscall(space, nr, a);
        p.linux.procfs = None;
        p.linux.sysvipc = None;
        let (space_id, mask) = (p.space, p.linux.sig.mask);
        self.commit_changed(space_id);
        if let Some(t) = self.threads.get_mut(&tid) {
            t.sigmask = mask;
        }
        match out {
            SyscallOutcome::Return(v) => self.set_return(tid, v),
            SyscallOutcome::Exit(e) => self.exit_process(pid, e),
        }
        {
            use crate::syscalls::nr::{FCNTL, IOCTL, READ, READV};
            use crate::syscalls::socket::nr::{ACCEPT, ACCEPT4, RECVFROM, RECVMMSG, RECVMSG};
            match nr {
                FCNTL | IOCTL => self.note_async(pid, a[0]),
                READ | READV | RECVFROM | RECVMSG | RECVMMSG | ACCEPT | ACCEPT4 => {
                    self.resample_async(pid, a[0])
                }
                _ => {}
            }
        }
        self.after_linux_call(tid, nr);
    }

    /// Host time in the engine's runs and in servicing their stops.
    pub fn host_times(&self) -> (Duration, Duration) {
        (self.time_in_engine, self.time_in_stops)
    }

    /// Bytes the guests may still map under the memory limit.
    pub(crate) fn commit_room(&self) -> u64 {
        let mut c = self.commit.borrow_mut();
        if !c.valid {
            c.per_space.clear();
            for p in self.procs.values().filter(|p| p.exit.is_none()) {
                let bytes = self.engine.space(p.space).committed_bytes();
                c.per_space.insert(p.space, bytes);
            }
            c.total = c.per_space.values().sum();
            c.valid = true;
        }
        self.config.memory_limit.saturating_sub(c.total)
    }

    /// `space`, a live one, joined the engine (spawn, fork, exec) or may
    /// have mapped or unmapped memory: its committed bytes count as they are
    /// now. (Summing every space again instead, after each spawn or exit,
    /// was quadratic in thousands of lanes that exit while others still
    /// grow their heaps.)
    pub(crate) fn commit_changed(&self, space: SpaceId) {
        let now = self.engine.space(space).committed_bytes();
        let c = &mut *self.commit.borrow_mut();
        if c.valid {
            let before = c.per_space.insert(space, now).unwrap_or(0);
            c.total = c.total - before + now;
        }
    }

    /// `space` left the engine (exit, exec): its bytes no longer count.
    pub(crate) fn commit_space_removed(&self, space: SpaceId) {
        let c = &mut *self.commit.borrow_mut();
        if let Some(bytes) = c.per_space.remove(&space) {
            c.total -= bytes;
        }
    }

    // ----- waiting -----------------------------------------------------------

    /// Wake the waiters whose event happened, waiting at most `timeout` in
    /// the host's poll for a descriptor to become ready.
    fn poll_waiters(&mut self, timeout: Duration) {
        self.poll_waiters_outside(timeout, &HashSet::new());
    }

    /// [`Self::poll_waiters`] for the threads whose address space is not
    /// one of `busy` (those of a run in flight, which the host must not
    /// touch until it is collected).
    fn poll_waiters_outside(&mut self, timeout: Duration, busy: &HashSet<SpaceId>) {
        let mut polls: Vec<libc::pollfd> = Vec::new();
        let mut owners: Vec<Pid> = Vec::new();
        let free = |engine: &dyn Engine, t: &Thread| {
            busy.is_empty() || !busy.contains(&engine.machine_space(t.machine))
        };
        for (&tid, t) in &self.threads {
            if !free(&*self.engine, t) {
                continue;
            }
            if let Some(Wait::Retry { fds, .. }) = &t.wait {
                for &(fd, events) in fds {
                    polls.push(libc::pollfd {
                        fd,
                        events,
                        revents: 0,
                    });
                    owners.push(tid);
                }
            }
        }
        // O_ASYNC descriptors not ready yet: a ready one ends the wait
        // (sync_async then signals its owner); 0 owns none of them.
        if !timeout.is_zero() {
            for (fd, events) in self.async_poll_fds() {
                polls.push(libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                });
                owners.push(0);
            }
        }
        if !polls.is_empty() || !timeout.is_zero() {
            // ppoll: waits shorter than a millisecond (a run in flight) too.
            let ts = libc::timespec {
                tv_sec: timeout.as_secs().min(i32::MAX as u64) as _,
                tv_nsec: timeout.subsec_nanos() as _,
            };
            // SAFETY: `polls` is a valid array of pollfd structures (it may be
            // empty: then this is a sleep that a host signal interrupts);
            // `ts` lives across the call; no signal mask is passed.
            unsafe { libc::ppoll(polls.as_mut_ptr(), polls.len() as _, &ts, std::ptr::null()) };
        }
        let mut ready: Vec<Pid> = polls
            .iter()
            .zip(&owners)
            .filter(|(p, &t)| p.revents != 0 && t != 0)
            .map(|(_, &t)| t)
            .collect();
        self.sync_async();
        ready.dedup();
        let now = self.now();
        for (&tid, t) in &self.threads {
            if !free(&*self.engine, t) {
                continue;
            }
            let due = match &t.wait {
                Some(Wait::Retry {
                    deadline: Some(d), ..
                })
                | Some(Wait::Sleep(d))
                | Some(Wait::Lock(d))
                | Some(Wait::Futex {
                    deadline: Some(d), ..
                })
                | Some(Wait::SignalIn {
                    deadline: Some(d), ..
                }) => *d <= now,
                Some(Wait::Ipc(w)) => w.deadline.is_some_and(|d| d <= now),
                _ => false,
            };
            if due {
                ready.push(tid);
            }
        }
        ready.sort_unstable();
        ready.dedup();
        for tid in ready {
            self.wake(tid);
        }
    }

    /// The earliest deadline any thread waits for.
    fn next_deadline(&self) -> Option<Duration> {
        self.threads
            .values()
            .filter_map(|t| match &t.wait {
                Some(Wait::Retry { deadline, .. }) => *deadline,
                Some(Wait::Futex { deadline, .. }) => *deadline,
                Some(Wait::SignalIn { deadline, .. }) => *deadline,
                Some(Wait::Ipc(w)) => w.deadline,
                Some(Wait::Sleep(d)) | Some(Wait::Lock(d)) => Some(*d),
                _ => None,
            })
            .chain(self.next_timer())
            .chain(self.next_timerfd())
            .min()
    }

    /// Threads in a blocking call.
    fn waiting_threads(&self) -> usize {
        self.threads.values().filter(|t| t.wait.is_some()).count()
    }

    /// Every thread waits: sleep until a descriptor is ready, a deadline
    /// passes or a host signal comes. `false` when nothing can ever wake
    /// any of them.
    fn wait_for_events(&mut self) -> bool {
        let fds_waited = self
            .threads
            .values()
            .any(|t| matches!(&t.wait, Some(Wait::Retry { fds, .. }) if !fds.is_empty()));
        let deadline = self.next_deadline();
        let fds_waited = fds_waited || !self.async_poll_fds().is_empty();
        if !fds_waited && deadline.is_none() && !self.host_signal_may_come() {
            return false;
        }
        if self.config.deterministic {
            if let Some(d) = deadline {
                // The virtual clock only moves with instructions: a host wait
                // would never reach the deadline. Descriptors ready now wake
                // their threads; otherwise nothing happens before the
                // deadline in virtual time, so skip ahead to it (a poll or
                // epoll_pwait with a timeout, as Go's netpoller does).
                if fds_waited {
                    let before = self.waiting_threads();
                    self.poll_waiters(Duration::ZERO);
                    if self.waiting_threads() < before {
                        return true;
                    }
                }
                let now = self.now();
                self.skipped_ns += d.saturating_sub(now).as_nanos() as u64;
                self.poll_waiters(Duration::ZERO);
                return true;
            }
        }
        let timeout = match deadline {
            Some(d) => d.saturating_sub(self.now()).max(Duration::from_millis(1)),
            None => Duration::from_secs(3600),
        };
        self.poll_waiters(timeout);
        true
    }

    /// Thread `tid`'s event came: finish or retry its call.
    pub(crate) fn wake(&mut self, tid: Pid) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        let Some(w) = t.wait.take() else {
            return;
        };
        match w {
            Wait::Retry { .. } | Wait::Child | Wait::Lock(_) => {
                t.retrying = true;
                let st = self.engine.state(t.machine);
                let nr = st.x[8];
                let a = [st.x[0], st.x[1], st.x[2], st.x[3], st.x[4], st.x[5]];
                // The retry sees the same arguments: x0 was not written yet.
                let keep = w.clone();
                self.dispatch_retry(tid, nr, a, keep);
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.retrying = false;
                }
            }
            Wait::Futex { deadline, .. } => {
                let timed_out = deadline.is_some_and(|d| d <= self.now());
                let v = if timed_out {
                    -crate::abi::errno::ETIMEDOUT
                } else {
                    0
                };
                self.set_return(tid, v as u64);
            }
            Wait::Vfork(child) => self.set_return(tid, child as u64),
            Wait::Signal { old_mask } => {
                t.sigmask = old_mask;
                self.set_return(tid, (-crate::abi::errno::EINTR) as u64);
            }
            Wait::Sleep(_) => self.set_return(tid, 0),
            Wait::SignalIn { .. } => self.set_return(tid, (-crate::abi::errno::EAGAIN) as u64),
            // Woken only at its deadline (completions end the wait directly).
            Wait::Ipc(_) => self.set_return(tid, (-crate::abi::errno::EAGAIN) as u64),
        }
    }

    /// Retry a waiting call. A deadline it waited with carries over; once
    /// it has passed, a call that would wait again returns 0 (ppoll's
    /// timeout; a socket's: sockets::timed_out_result).
    fn dispatch_retry(&mut self, tid: Pid, nr: u64, a: [u64; 6], old: Wait) {
        self.dispatch(tid, nr, a);
        let Wait::Retry {
            deadline: Some(old_deadline),
            ..
        } = old
        else {
            return;
        };
        let expired = old_deadline <= self.now();
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        if let Some(Wait::Retry { deadline, .. }) = t.wait.as_mut() {
            if expired {
                t.wait = None;
                let pid = t.pid;
                // A send timeout after part was sent returns that part.
                let done = std::mem::take(&mut t.io_done);
                let r = if done > 0 {
                    done
                } else {
                    sockets::timed_out_result(nr)
                };
                self.set_return(tid, r);
                if matches!(
                    nr,
                    crate::syscalls::nr::PPOLL | crate::syscalls::nr::PSELECT6
                ) {
                    self.clear_poll_results(pid, nr, a);
                }
            } else {
                *deadline = Some(old_deadline);
            }
        }
    }
}

/// What a process-level call does to its thread.
pub(crate) enum Outcome {
    Return(u64),
    Wait(Wait),
    /// The thread (or its process) is gone.
    Gone,
}

impl Outcome {
    pub(crate) fn errno(e: i64) -> Self {
        Outcome::Return((-e) as u64)
    }
}

impl From<Result<u64, i64>> for Outcome {
    fn from(r: Result<u64, i64>) -> Self {
        match r {
            Ok(v) => Outcome::Return(v),
            Err(e) => Outcome::errno(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_slices_grow_while_quiet_and_shrink_on_stops() {
        let mut s = SLICE;
        let mut grown = vec![s];
        while s < SIDE_BY_SIDE_SLICE {
            s = next_side_slice(s, true);
            grown.push(s);
        }
        // 20,000 doubles to the 1 M cap in six rounds, and stays there.
        assert_eq!(grown.len(), 7, "{grown:?}");
        assert_eq!(next_side_slice(s, true), SIDE_BY_SIDE_SLICE);
        assert_eq!(next_side_slice(s, false), SIDE_BY_SIDE_SLICE / 2);
        let mut t = s;
        for _ in 0..10 {
            t = next_side_slice(t, false);
        }
        assert_eq!(t, SLICE, "never below the plain slice");
    }

    #[test]
    fn turns_are_shuffled_reproducibly() {
        let ids: Vec<MachineId> = (0..6).map(MachineId).collect();
        let rounds = |seed: u64| {
            let mut state = seed;
            (0..50)
                .map(|_| {
                    let mut m = ids.clone();
                    shuffle_turns(&mut state, &mut m);
                    m
                })
                .collect::<Vec<_>>()
        };
        let a = rounds(0x9e37_79b9_7f4a_7c15);
        assert_eq!(a, rounds(0x9e37_79b9_7f4a_7c15), "same seed, same order");
        for order in &a {
            let mut sorted = order.clone();
            sorted.sort_by_key(|m| m.0);
            assert_eq!(sorted, ids, "a permutation");
        }
        // Every thread goes first in some round.
        for id in &ids {
            assert!(a.iter().any(|o| o[0] == *id), "{id:?} never first");
        }
    }
}
