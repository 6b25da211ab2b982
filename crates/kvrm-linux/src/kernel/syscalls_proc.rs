//! The process-level syscalls the kernel services itself: clone, execve,
//! exit, wait, signals between processes, ids and process groups, sleeps,
//! and the calls that may wait (reads and writes that would block, ppoll).

use std::os::fd::RawFd;
use std::time::Duration;

use kvrm_isa::{CpuState, SpaceId};

use super::{Kernel, Outcome, Pid, Process, Thread, Wait};
use crate::abi::{errno::*, signal::*};
use crate::syscalls::clone_flags::*;
use crate::syscalls::{misc_read_timespec, nr, FifoOpen, ProcessExit};

const WNOHANG: u64 = 1;
const WEXITED: u64 = 4;
const WNOWAIT: u64 = 0x0100_0000;
/// SA_NOCLDWAIT: children of a process with it leave no zombies.
const SA_NOCLDWAIT: u64 = 2;

/// The signals whose default action dumps core, named as qemu-user names
/// them when a guest dies of one.
pub fn core_signal_name(sig: i32) -> Option<&'static str> {
    Some(match sig {
        3 => "Quit",
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        11 => "Segmentation fault",
        31 => "Bad system call",
        _ => return None,
    })
}

/// The status word wait4 reports for an exit.
fn wait_status(e: ProcessExit) -> u32 {
    match e {
        ProcessExit::Exited(s) => ((s & 0xff) as u32) << 8,
        ProcessExit::Signaled(sig) => (sig & 0x7f) as u32,
    }
}

impl Kernel {
    /// The calls the kernel services itself; `None` for the process's own
    /// Linux layer.
    pub(crate) fn process_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        use nr::*;
        let pid = self.threads.get(&tid)?.pid;
        if let Some(o) = self.signalfd_call(tid, n, a) {
            return Some(o);
        }
        if let Some(o) = self.signal_call(tid, n, a) {
            return Some(o);
        }
        if let Some(o) = self.write_all_call(tid, n, a) {
            return Some(o);
        }
        if let Some(o) = self.socket_call(tid, n, a) {
            return Some(o);
        }
        if let Some(o) = self.sysv_ipc_call(tid, n, a) {
            return Some(o);
        }
        if let Some(o) = self.cpu_clock_call(tid, n, a) {
            return Some(o);
        }
        Some(match n {
            CLONE => self.sys_clone(tid, a),
            CLONE3 => self.sys_clone3(tid, a),
            EXECVE | EXECVEAT => self.sys_execve(tid, n, a),
            EXIT => {
                self.exit_thread(tid, a[0] as i32 & 0xff);
                Outcome::Gone
            }
            EXIT_GROUP => {
                self.exit_process(pid, ProcessExit::Exited(a[0] as i32 & 0xff));
                Outcome::Gone
            }
            WAIT4 => self.sys_wait4(tid, a),
            WAITID => self.sys_waitid(tid, a),
            PIDFD_OPEN => self.sys_pidfd_open(pid, a),
            PIDFD_SEND_SIGNAL => self.sys_pidfd_send_signal(pid, a),
            KILL => self.sys_kill(pid, a[0] as i32, a[1]).into(),
            TKILL => self.sys_tgkill(pid, None, a[0] as i32, a[1]).into(),
            TGKILL => self
                .sys_tgkill(pid, Some(a[0] as i32), a[1] as i32, a[2])
                .into(),
            GETPID => Outcome::Return(pid as u64),
            GETTID => Outcome::Return(tid as u64),
            GETPPID => Outcome::Return(self.procs[&pid].ppid as u64),
            GETPGID | SETPGID | GETSID | SETSID => self.sys_pgrp(pid, n, a[0], a[1]).into(),
            // Another process's limits (a pid of the caller's own goes to its
            // Linux layer as 0).
            PRLIMIT64 if a[0] != 0 => self.sys_prlimit_pid(tid, a).into(),
            TIMERFD_CREATE => self.sys_timerfd_create(pid, a),
            TIMERFD_SETTIME => self.sys_timerfd_time(pid, true, a),
            TIMERFD_GETTIME => self.sys_timerfd_time(pid, false, a),
            IOPRIO_GET => self.sys_ioprio_get(tid, a[0], a[1]).into(),
            IOPRIO_SET => self.sys_ioprio_set(tid, a[0], a[1], a[2]).into(),
            GETPRIORITY | SETPRIORITY => self
                .sys_priority(pid, n == SETPRIORITY, a[0] as i32, a[1] as i32, a[2] as i32)
                .into(),
            SET_TID_ADDRESS => {
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.clear_child_tid = a[0];
                }
                Outcome::Return(tid as u64)
            }
            SET_ROBUST_LIST => {
                if a[1] != 24 {
                    return Some(Outcome::errno(EINVAL));
                }
                if let Some(t) = self.threads.get_mut(&tid) {
                    t.robust_list = a[0];
                }
                Outcome::Return(0)
            }
            FUTEX => self.sys_futex(tid, a),
            SCHED_YIELD => Outcome::Return(0),
            SCHED_GETSCHEDULER | SCHED_GETPARAM | SCHED_GETATTR => {
                self.sys_sched_get(tid, n, a).into()
            }
            SCHED_RR_GET_INTERVAL => self.sys_sched_rr_get_interval(tid, a).into(),
            CAPGET => return self.capget_other(tid, a),
            SCHED_GET_PRIORITY_MAX | SCHED_GET_PRIORITY_MIN => {
                // SCHED_FIFO and SCHED_RR: 1..99; OTHER, BATCH, IDLE, DEADLINE: 0.
                match a[0] as i32 {
                    1 | 2 => Outcome::Return(if n == SCHED_GET_PRIORITY_MAX { 99 } else { 1 }),
                    0 | 3 | 5 | 6 => Outcome::Return(0),
                    _ => Outcome::errno(EINVAL),
                }
            }
            NANOSLEEP => self.sys_sleep(pid, 1, 0, a[0]),
            CLOCK_NANOSLEEP => self.sys_sleep(pid, a[0], a[1], a[2]),
            RT_SIGSUSPEND => self.sys_rt_sigsuspend(tid, a[0], a[1]),
            PPOLL => self.sys_ppoll(pid, a[0], a[1], a[2]),
            PSELECT6 => self.sys_pselect6(pid, a),
            EPOLL_PWAIT => self.sys_epoll_pwait(pid, a),
            SCHED_GETAFFINITY | SCHED_SETAFFINITY => self.sys_sched_affinity(tid, n, a),
            SCHED_SETSCHEDULER | SCHED_SETPARAM | SCHED_SETATTR => {
                self.sys_sched_set(tid, n, a).into()
            }
            FCNTL | FLOCK => return self.lock_call(pid, n, a),
            // An eventfd or timerfd read or write of fewer than 8 bytes is
            // EINVAL at once, never a wait.
            READ | WRITE if a[2] < 8 && self.is_counter_fd(pid, a[0]) => return None,
            READ | READV => return self.io_wait(pid, a[0], false),
            OPENAT => return self.fifo_open_wait(pid, a),
            WRITE | WRITEV => return self.io_wait(pid, a[0], true),
            SPLICE | TEE | VMSPLICE => {
                let (raw, events) = self.procs.get(&pid)?.linux.splice_would_block(n, a)?;
                return Some(Outcome::Wait(Wait::Retry {
                    fds: vec![(raw, events)],
                    deadline: None,
                }));
            }
            _ => return None,
        })
    }

    // ----- creating and ending -------------------------------------------------

    fn sys_clone(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        // arm64: clone(flags, newsp, parent_tidptr, tls, child_tidptr).
        let (flags, newsp, ptid, tls, ctid) = (a[0], a[1], a[2], a[3], a[4]);
        // CLONE_PIDFD stores the pidfd where CLONE_PARENT_SETTID would store the tid.
        if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 {
            return Outcome::errno(EINVAL);
        }
        let args = CloneArgs {
            flags: flags & !0xff,
            exit_signal: flags & 0xff,
            stack: newsp,
            parent_tid: ptid,
            child_tid: ctid,
            pidfd: ptid,
            tls,
        };
        self.clone_task(tid, args)
    }

    /// clone3(args, size): the arguments in a `struct clone_args`.
    fn sys_clone3(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        /// `struct clone_args` of version 0 (up to `tls`) and as known here
        /// (up to `cgroup`).
        const SIZE_VER0: u64 = 64;
        const SIZE_KNOWN: usize = 88;
        const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
        const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
        /// Flags clone(2) knows (all but the exit signal byte).
        const LEGACY: u64 = 0xffff_ff00;
        const CLONE_DETACHED: u64 = 0x0040_0000;
        const CLONE_PARENT: u64 = 0x8000;
        let (uargs, size) = (a[0], a[1]);
        if size > kvrm_isa::PAGE_SIZE {
            return Outcome::errno(E2BIG);
        }
        if size < SIZE_VER0 {
            return Outcome::errno(EINVAL);
        }
        let pid = self.threads[&tid].pid;
        let space = self.procs[&pid].space;
        let mut raw = vec![0u8; size as usize];
        if self
            .engine
            .space_mut(space)
            .read_bytes(uargs, &mut raw)
            .is_err()
        {
            return Outcome::errno(EFAULT);
        }
        // Fields a newer kernel knows must be zero here.
        if raw.len() > SIZE_KNOWN && raw[SIZE_KNOWN..].iter().any(|&b| b != 0) {
            return Outcome::errno(E2BIG);
        }
        raw.resize(raw.len().max(SIZE_KNOWN), 0);
        let field = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&raw[i * 8..i * 8 + 8]);
            u64::from_le_bytes(b)
        };
        let (flags, pidfd, child_tid, parent_tid, exit_signal) =
            (field(0), field(1), field(2), field(3), field(4));
        let (stack, stack_size, tls, set_tid, set_tid_size, cgroup) =
            (field(5), field(6), field(7), field(8), field(9), field(10));
        if set_tid_size > 32
            || (set_tid == 0 && set_tid_size > 0)
            || (set_tid != 0 && set_tid_size == 0)
            || exit_signal > 64
            || (flags & CLONE_INTO_CGROUP != 0
                && (cgroup > i32::MAX as u64 || (size as usize) < SIZE_KNOWN))
        {
            return Outcome::errno(EINVAL);
        }
        if flags & !(LEGACY | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0
            || flags & CLONE_DETACHED != 0
            || (flags & CLONE_SIGHAND != 0 && flags & CLONE_CLEAR_SIGHAND != 0)
            || (flags & (CLONE_THREAD | CLONE_PARENT) != 0 && exit_signal != 0)
            || (stack == 0) != (stack_size == 0)
        {
            return Outcome::errno(EINVAL);
        }
        if set_tid_size > 0 {
            // Choosing the child's pid needs CAP_SYS_ADMIN.
            return Outcome::errno(EPERM);
        }
        if flags & CLONE_INTO_CGROUP != 0 {
            // No cgroups here: the descriptor names none.
            return Outcome::errno(EBADF);
        }
        let args = CloneArgs {
            flags: flags & LEGACY,
            exit_signal,
            stack: stack.wrapping_add(stack_size),
            parent_tid,
            child_tid,
            pidfd,
            tls,
        };
        let clear_handlers = flags & CLONE_CLEAR_SIGHAND != 0;
        let out = self.clone_task(tid, args);
        if clear_handlers {
            if let Outcome::Return(child) = out {
                if let Some(p) = self.procs.get_mut(&(child as Pid)) {
                    p.linux.reset_handled_signals();
                }
            }
        }
        out
    }

    /// clone and clone3: a new thread (`CLONE_THREAD`) or process.
    fn clone_task(&mut self, tid: Pid, args: CloneArgs) -> Outcome {
        let CloneArgs {
            flags,
            exit_signal,
            stack: newsp,
            parent_tid: ptid,
            child_tid: ctid,
            pidfd: pidfd_ptr,
            tls,
        } = args;
        if flags & CLONE_PIDFD != 0 && flags & CLONE_THREAD != 0 {
            return Outcome::errno(EINVAL);
        }
        if self.threads.len() >= self.config.max_tasks {
            return Outcome::errno(EAGAIN);
        }
        let parent = &self.threads[&tid];
        let (pid, machine, sigmask) = (parent.pid, parent.machine, parent.sigmask);
        let mut state: CpuState = *self.engine.state(machine);
        state.x[0] = 0;
        state.excl_size = 0;
        if newsp != 0 {
            state.sp = newsp;
        }
        if flags & CLONE_SETTLS != 0 {
            state.tpidr_el0 = tls;
        }
        let parent_space = self.procs[&pid].space;
        let child = self.alloc_pid();
        let clear_tid = if flags & CLONE_CHILD_CLEARTID != 0 {
            ctid
        } else {
            0
        };
        let child_space = if flags & CLONE_THREAD != 0 {
            if flags & (CLONE_VM | CLONE_SIGHAND) != CLONE_VM | CLONE_SIGHAND {
                return Outcome::errno(EINVAL);
            }
            let m = self.engine.add_machine(parent_space, state);
            self.insert_thread((child, tid), pid, m, sigmask, clear_tid);
            if let Some(p) = self.procs.get_mut(&pid) {
                p.threads.push(child);
            }
            parent_space
        } else {
            if flags & (CLONE_FS | CLONE_FILES | CLONE_SIGHAND) != 0 {
                return Outcome::errno(EINVAL);
            }
            // CLONE_VM without a thread (vfork, posix_spawn): the child runs
            // in the parent's memory until it execs.
            let space = if flags & CLONE_VM != 0 {
                self.vm_shared.insert(parent_space);
                parent_space
            } else {
                self.shm_forked(pid, parent_space);
                let child = self.engine.fork_space(parent_space);
                self.commit_changed(child);
                child
            };
            let det = self.det_for_new_process();
            // SCHED_RESET_ON_FORK: a negative nice value goes back to 0.
            let reset_nice = self.threads[&tid].sched.forked().1;
            let p = &self.procs[&pid];
            let mut linux = p.linux.fork_child(child, pid);
            linux.det = det;
            linux.note_start();
            let proc = Process {
                ppid: pid,
                pgid: p.pgid,
                sid: p.sid,
                linux,
                space,
                threads: vec![child],
                exit: None,
                exit_signal: exit_signal as i32,
                vfork_parent: (flags & CLONE_VFORK != 0).then_some(tid),
                signals: Default::default(),
                nice: if reset_nice { p.nice.max(0) } else { p.nice },
            };
            self.procs.insert(child, proc);
            self.parents.insert(pid);
            let m = self.engine.add_machine(space, state);
            self.insert_thread((child, tid), child, m, sigmask, clear_tid);
            space
        };
        let tid_bytes = child.to_le_bytes();
        if flags & CLONE_PARENT_SETTID != 0
            && self
                .engine
                .space_mut(parent_space)
                .write_bytes(ptid, &tid_bytes)
                .is_err()
        {
            return Outcome::errno(EFAULT);
        }
        if flags & CLONE_PIDFD != 0 {
            // Installed after the child copied the table: only the parent has it.
            let fd = match self.new_pidfd(pid, child, false) {
                Ok(fd) => fd as i32,
                Err(e) => return Outcome::errno(e),
            };
            if self
                .engine
                .space_mut(parent_space)
                .write_bytes(pidfd_ptr, &fd.to_le_bytes())
                .is_err()
            {
                return Outcome::errno(EFAULT);
            }
        }
        if flags & CLONE_CHILD_SETTID != 0 {
            let _ = self
                .engine
                .space_mut(child_space)
                .write_bytes(ctid, &tid_bytes);
        }
        if flags & CLONE_VFORK != 0 && flags & CLONE_THREAD == 0 {
            return Outcome::Wait(Wait::Vfork(child));
        }
        Outcome::Return(child as u64)
    }
}

/// What clone and clone3 ask for.
struct CloneArgs {
    /// CLONE_* flags (without the exit signal).
    flags: u64,
    /// Signal to the parent when the child ends.
    exit_signal: u64,
    /// The child's stack pointer (0: the parent's).
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    /// Where CLONE_PIDFD stores the descriptor.
    pidfd: u64,
    tls: u64,
}

impl Kernel {
    /// A new thread `tid` of process `pid` made by thread `creator`.
    fn insert_thread(
        &mut self,
        (tid, creator): (Pid, Pid),
        pid: Pid,
        m: kvrm_isa::MachineId,
        mask: u64,
        ctid: u64,
    ) {
        let parent = &self.threads[&creator];
        let ioprio = super::ioprio::inherited(parent.ioprio);
        let (sched, _) = parent.sched.forked();
        let affinity = parent.affinity.clone();
        self.threads.insert(
            tid,
            Thread {
                pid,
                machine: m,
                sigmask: mask,
                clear_child_tid: ctid,
                robust_list: 0,
                wait: None,
                retrying: false,
                io_done: 0,
                sig: Default::default(),
                ioprio,
                sched,
                affinity,
                usage: Default::default(),
            },
        );
        self.by_machine.insert(m, tid);
    }

    fn sys_execve(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Outcome {
        let pid = self.threads[&tid].pid;
        let room = self.commit_room();
        let p = self
            .procs
            .get_mut(&pid)
            .expect("kvrm: thread without process");
        p.linux.commit_room = room;
        let mem = self.engine.space(p.space);
        let prepared = if n == nr::EXECVEAT {
            p.linux.prepare_execveat(mem, a)
        } else {
            p.linux.prepare_exec(mem, a)
        };
        let mut img = match prepared {
            Ok(img) => img,
            Err(e) => return Outcome::errno(e),
        };
        // The point of no return: the other threads go, this one becomes
        // the leader (keeping the process id) in a new address space.
        let others: Vec<Pid> = p.threads.iter().copied().filter(|&t| t != tid).collect();
        for t in others {
            self.drop_thread(t);
        }
        let mut t = self.threads.remove(&tid).expect("kvrm: no such thread");
        let new_space = self.engine.add_space(std::mem::take(&mut img.space));
        self.commit_changed(new_space);
        self.engine.set_machine_space(t.machine, new_space);
        crate::stack::init_registers(self.engine.state_mut(t.machine), img.entry, img.sp);
        t.clear_child_tid = 0;
        t.robust_list = 0;
        t.sig.altstack = Default::default();
        self.by_machine.insert(t.machine, pid);
        self.threads.insert(pid, t);
        let p = self.procs.get_mut(&pid).expect("kvrm: no such process");
        p.threads = vec![pid];
        let old_space = std::mem::replace(&mut p.space, new_space);
        p.linux.commit_exec(&img);
        p.signals.timers.retain(|t| t.id < 0); // POSIX timers end with exec
        let vfork_parent = p.vfork_parent.take();
        self.release_space(pid, old_space);
        if let Some(parent) = vfork_parent {
            self.wake_vfork(parent, pid);
        }
        Outcome::Gone
    }

    /// Remove a thread and its machine (its process stays).
    fn drop_thread(&mut self, tid: Pid) -> Option<Thread> {
        let t = self.threads.remove(&tid)?;
        self.engine.remove_machine(t.machine);
        self.by_machine.remove(&t.machine);
        if let Some(p) = self.procs.get_mut(&t.pid) {
            p.threads.retain(|&x| x != tid);
        }
        Some(t)
    }

    /// Drop an address space no live process runs in any more (process
    /// `pid` left it).
    fn release_space(&mut self, pid: Pid, space: SpaceId) {
        let used = self.vm_shared.contains(&space)
            && self
                .procs
                .values()
                .any(|p| p.exit.is_none() && p.space == space);
        if !used {
            let detached = self.shm_space_ending(space);
            self.engine.remove_space(space);
            self.commit_space_removed(space);
            self.vm_shared.remove(&space);
            self.shm_space_ended(pid, detached);
        }
    }

    fn wake_vfork(&mut self, parent_tid: Pid, child: Pid) {
        if let Some(t) = self.threads.get_mut(&parent_tid) {
            if matches!(t.wait, Some(Wait::Vfork(c)) if c == child) {
                t.wait = None;
                self.set_return(parent_tid, child as u64);
            }
        }
    }

    /// `exit`: this thread ends; the process ends with its last thread.
    pub(crate) fn exit_thread(&mut self, tid: Pid, code: i32) {
        let Some(t) = self.drop_thread(tid) else {
            return;
        };
        let Some(p) = self.procs.get(&t.pid) else {
            return;
        };
        let space = p.space;
        let last = p.threads.is_empty();
        if !last {
            self.robust_cleanup(space, tid, t.robust_list);
            if t.clear_child_tid != 0
                && self
                    .engine
                    .space_mut(space)
                    .write_bytes(t.clear_child_tid, &[0; 4])
                    .is_ok()
            {
                // As Linux, a process-shared wake.
                let key = self.futex_key(space, t.clear_child_tid, true);
                self.futex_wake(key, 1, u32::MAX);
            }
            return;
        }
        self.exit_process(t.pid, ProcessExit::Exited(code));
    }

    /// The process ends: its threads go, its descriptors close, its parent
    /// is told (or it is reaped at once when nobody will wait for it).
    pub(crate) fn exit_process(&mut self, pid: Pid, exit: ProcessExit) {
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        if p.exit.is_some() {
            return;
        }
        p.exit = Some(exit);
        if let ProcessExit::Signaled(sig) = exit {
            if let Some(name) = core_signal_name(sig).filter(|_| !self.config.quiet) {
                // As qemu-user reports it (each guest process is one of its own).
                eprintln!("kvrm: uncaught target signal {sig} ({name}) - core dumped");
            }
        }
        p.linux.release_resources();
        self.note_rss(pid);
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        let threads = std::mem::take(&mut p.threads);
        let (space, ppid, vfork_parent) = (p.space, p.ppid, p.vfork_parent.take());
        self.merge_counts(pid);
        self.pidfds_ended(pid);
        for t in threads {
            self.drop_thread(t);
        }
        // SEM_UNDO adjustments once its threads are gone (none of them
        // waits on a semaphore any more).
        self.sem_process_exit(pid);
        self.release_space(pid, space);
        if Some(pid) == self.init && self.init_end.is_none() {
            self.init_end = Some(super::RunEnd::Exited(exit));
        }
        if let Some(parent) = vfork_parent {
            self.wake_vfork(parent, pid);
        }
        // Orphans get the nearest live ancestor that is a subreaper, else
        // parent 1; orphaned zombies are gone. Those that asked for a signal
        // when their parent dies (PR_SET_PDEATHSIG) get it.
        let reaper = self.reaper_of(pid);
        let children: Vec<Pid> = if self.parents.remove(&pid) {
            self.procs
                .iter()
                .filter(|(_, c)| c.ppid == pid)
                .map(|(&c, _)| c)
                .collect()
        } else {
            Vec::new()
        };
        if !children.is_empty() {
            self.parents.insert(reaper);
        }
        let uid = self.procs.get(&pid).map_or(0, |p| p.linux.creds.ruid);
        for c in children {
            if self.procs[&c].exit.is_some() {
                self.procs.remove(&c);
            } else if let Some(cp) = self.procs.get_mut(&c) {
                cp.ppid = reaper;
                cp.linux.ppid = reaper;
                let sig = cp.linux.knobs.pdeath_sig;
                if sig != 0 {
                    let info = super::sigframe::SigInfo::sender(sig, 0, pid, uid);
                    let _ = self.send_to_process(c, info);
                }
            }
        }
        let parent_alive = self.procs.get(&ppid).is_some_and(|pp| pp.exit.is_none());
        if !parent_alive {
            if Some(pid) != self.init {
                self.procs.remove(&pid);
                self.orphan_exits.insert(pid, exit);
            }
            return;
        }
        let exit_signal = self.procs[&pid].exit_signal;
        let parent = &self.procs[&ppid];
        let chld = parent.linux.sig.actions[(SIGCHLD - 1) as usize];
        if chld[0] == SIG_IGN || chld[1] & SA_NOCLDWAIT != 0 {
            self.procs.remove(&pid);
        }
        self.notify_parent(pid, ppid, exit_signal, exit);
        let waiting: Vec<Pid> = self
            .threads
            .iter()
            .filter(|(_, t)| t.pid == ppid && matches!(t.wait, Some(Wait::Child)))
            .map(|(&t, _)| t)
            .collect();
        for t in waiting {
            self.wake(t);
        }
    }

    /// Who adopts the orphans of `pid`: its nearest live ancestor marked
    /// with PR_SET_CHILD_SUBREAPER, else 1.
    fn reaper_of(&self, pid: Pid) -> Pid {
        let mut at = self.procs.get(&pid).map_or(1, |p| p.ppid);
        // Parent links cannot loop, but stop after the table's size anyway.
        for _ in 0..self.procs.len() {
            let Some(p) = self.procs.get(&at) else {
                break;
            };
            if p.exit.is_none() && p.linux.knobs.subreaper {
                return at;
            }
            at = p.ppid;
        }
        1
    }

    // ----- waiting for children -------------------------------------------------

    /// The children of `pid` that `sel` selects (wait4's pid argument:
    /// > 0 one child, -1 any, 0 my group, < -1 that group).
    fn matching_children(&self, pid: Pid, sel: i64) -> Vec<Pid> {
        let pgid = self.procs[&pid].pgid;
        self.procs
            .iter()
            .filter(|(&c, p)| {
                p.ppid == pid
                    && Some(c) != self.init
                    && match sel {
                        s if s > 0 => c as i64 == s,
                        -1 => true,
                        0 => p.pgid == pgid,
                        s => p.pgid as i64 == -s,
                    }
            })
            .map(|(&c, _)| c)
            .collect()
    }

    fn sys_wait4(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        let (sel, wstatus, options, rusage) = (a[0] as i32 as i64, a[1], a[2], a[3]);
        const KNOWN: u64 = 1 | 2 | 8 | 0x2000_0000 | 0x4000_0000 | 0x8000_0000;
        if options & !KNOWN != 0 {
            return Outcome::errno(EINVAL);
        }
        let pid = self.threads[&tid].pid;
        let children = self.matching_children(pid, sel);
        if children.is_empty() {
            return Outcome::errno(ECHILD);
        }
        let Some(c) = children
            .iter()
            .copied()
            .find(|c| self.procs[c].exit.is_some())
        else {
            return if options & WNOHANG != 0 {
                Outcome::Return(0)
            } else {
                Outcome::Wait(Wait::Child)
            };
        };
        let exit = self.procs[&c].exit.expect("zombie");
        let space = self.procs[&pid].space;
        let mem = self.engine.space_mut(space);
        if wstatus != 0
            && mem
                .write_bytes(wstatus, &wait_status(exit).to_le_bytes())
                .is_err()
        {
            return Outcome::errno(EFAULT);
        }
        let _ = mem;
        let usage = self.child_usage(pid, c, true);
        let mem = self.engine.space_mut(space);
        if rusage != 0
            && mem
                .write_bytes(rusage, &crate::syscalls::rusage_bytes(&usage))
                .is_err()
        {
            return Outcome::errno(EFAULT);
        }
        self.procs.remove(&c);
        Outcome::Return(c as u64)
    }

    fn sys_waitid(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        let (mut idtype, mut id, infop, options) = (a[0], a[1] as i32 as i64, a[2], a[3]);
        if idtype == super::pidfd::P_PIDFD {
            match self.pidfd_process(self.threads[&tid].pid, a[1]) {
                Ok(Some(target)) => (idtype, id) = (1, target as i64),
                Ok(None) => return Outcome::errno(ECHILD),
                Err(e) => return Outcome::errno(e),
            }
        }
        if options & WEXITED == 0
            || options & !(WNOHANG | WEXITED | 2 | 8 | WNOWAIT | 0xe000_0000) != 0
        {
            return Outcome::errno(EINVAL);
        }
        let sel = match idtype {
            0 => -1,
            1 if id > 0 => id,
            2 if id > 0 => -id,
            2 => 0,
            _ => return Outcome::errno(EINVAL),
        };
        let pid = self.threads[&tid].pid;
        let children = self.matching_children(pid, sel);
        if children.is_empty() {
            return Outcome::errno(ECHILD);
        }
        let found = children
            .iter()
            .copied()
            .find(|c| self.procs[c].exit.is_some());
        let mut info = [0u8; 128];
        if let Some(c) = found {
            let exit = self.procs[&c].exit.expect("zombie");
            let (code, status) = match exit {
                ProcessExit::Exited(s) => (1i32, s & 0xff),
                ProcessExit::Signaled(sig) => (2, sig),
            };
            info[..4].copy_from_slice(&SIGCHLD.to_le_bytes());
            info[8..12].copy_from_slice(&code.to_le_bytes());
            info[16..20].copy_from_slice(&(c as i32).to_le_bytes());
            info[20..24].copy_from_slice(&self.procs[&c].linux.creds.ruid.to_le_bytes());
            info[24..28].copy_from_slice(&status.to_le_bytes());
        } else if options & WNOHANG == 0 {
            return Outcome::Wait(Wait::Child);
        }
        let space = self.procs[&pid].space;
        if infop != 0
            && self
                .engine
                .space_mut(space)
                .write_bytes(infop, &info)
                .is_err()
        {
            return Outcome::errno(EFAULT);
        }
        let ru = a[4];
        if let Some(c) = found {
            let usage = self.child_usage(pid, c, options & WNOWAIT == 0);
            if ru != 0
                && self
                    .engine
                    .space_mut(space)
                    .write_bytes(ru, &crate::syscalls::rusage_bytes(&usage))
                    .is_err()
            {
                return Outcome::errno(EFAULT);
            }
            if options & WNOWAIT == 0 {
                self.procs.remove(&c);
            }
        } else if ru != 0
            && self
                .engine
                .space_mut(space)
                .write_bytes(ru, &[0u8; 144])
                .is_err()
        {
            return Outcome::errno(EFAULT);
        }
        Outcome::Return(0)
    }

    // ----- signals between processes -----------------------------------------

    // signal_process, kill_group, sys_kill, sys_tgkill: see signal.rs.

    fn sys_rt_sigsuspend(&mut self, tid: Pid, set: u64, size: u64) -> Outcome {
        if size != 8 {
            return Outcome::errno(EINVAL);
        }
        let t = &self.threads[&tid];
        let (pid, old_mask) = (t.pid, t.sigmask);
        let space = self.procs[&pid].space;
        let Ok(m) = self.engine.space(space).read_u64(set) else {
            return Outcome::errno(EFAULT);
        };
        let mask = m & !((1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1)));
        if let Some(t) = self.threads.get_mut(&tid) {
            t.sigmask = mask;
        }
        Outcome::Wait(Wait::Signal { old_mask })
    }

    fn sys_pgrp(&mut self, me: Pid, n: u64, a0: u64, a1: u64) -> Result<u64, i64> {
        let who = |p: u64| if p == 0 { me } else { p as Pid };
        match n {
            nr::GETPGID | nr::GETSID if self.outside(who(a0)).is_some() => {
                let o = self.outside(who(a0)).ok_or(ESRCH)?;
                Ok(if n == nr::GETPGID { o.pgid } else { o.sid } as u64)
            }
            nr::GETPGID => Ok(self.procs.get(&who(a0)).ok_or(ESRCH)?.pgid as u64),
            nr::GETSID => Ok(self.procs.get(&who(a0)).ok_or(ESRCH)?.sid as u64),
            nr::SETPGID => {
                let target = who(a0);
                if (a1 as i64) < 0 {
                    return Err(EINVAL);
                }
                let pgid = if a1 == 0 { target } else { a1 as Pid };
                let sid = self.procs[&me].sid;
                let p = self.procs.get_mut(&target).ok_or(ESRCH)?;
                if target != me && p.ppid != me {
                    return Err(ESRCH);
                }
                if p.sid != sid || p.pgid == target && p.sid == target {
                    return Err(EPERM);
                }
                p.pgid = pgid;
                Ok(0)
            }
            _ => {
                let p = self.procs.get_mut(&me).ok_or(ESRCH)?;
                if p.pgid == me {
                    return Err(EPERM);
                }
                p.pgid = me;
                p.sid = me;
                Ok(me as u64)
            }
        }
    }

    /// prlimit64(pid, resource, new, old) naming a process by pid (any of
    /// its threads): the same user's or, for root, anyone's.
    fn sys_prlimit_pid(&mut self, me: Pid, a: [u64; 6]) -> Result<u64, i64> {
        use crate::syscalls::{read_rlimit, write_rlimit};
        let caller = self.threads[&me].pid;
        let space = self.procs[&caller].space;
        let new = read_rlimit(self.engine.space(space), a[1], a[2])?;
        let target = match self.threads.get(&(a[0] as Pid)) {
            Some(t) if (a[0] as i32) > 0 && self.procs[&t.pid].exit.is_none() => t.pid,
            // Never the host's processes (outside.rs).
            _ if self.outside(a[0] as Pid).is_some() => return Err(EPERM),
            _ => return Err(ESRCH),
        };
        let uid = self.procs[&caller].linux.uid;
        if uid != 0 && uid != self.procs[&target].linux.uid {
            return Err(EPERM);
        }
        let p = self.procs.get_mut(&target).ok_or(ESRCH)?;
        let was = p.linux.swap_rlimit(a[1], new, uid == 0)?;
        write_rlimit(self.engine.space_mut(space), a[3], was)?;
        Ok(0)
    }

    /// getpriority/setpriority over guest processes (Linux keeps a nice value per
    /// thread; kvrm keeps one per process). getpriority returns 20 - nice, as the
    /// raw syscall does.
    fn sys_priority(
        &mut self,
        me: Pid,
        set: bool,
        which: i32,
        who: i32,
        prio: i32,
    ) -> Result<u64, i64> {
        let live = |p: &Process| p.exit.is_none();
        if let Some(o) = (which == 0 && who > 0)
            .then(|| self.outside(who as Pid))
            .flatten()
        {
            return if set {
                Err(EPERM)
            } else {
                Ok((20 - o.nice) as u64)
            };
        }
        let targets: Vec<Pid> = match which {
            0 => {
                // PRIO_PROCESS
                let tid = if who == 0 { me } else { who as Pid };
                let pid = self.threads.get(&tid).map(|t| t.pid);
                pid.into_iter().filter(|p| live(&self.procs[p])).collect()
            }
            1 => {
                // PRIO_PGRP
                let pgid = if who == 0 {
                    self.procs[&me].pgid
                } else {
                    who as Pid
                };
                let of = |p: &Process| p.pgid == pgid && live(p);
                self.procs
                    .iter()
                    .filter(|(_, p)| of(p))
                    .map(|(&k, _)| k)
                    .collect()
            }
            2 => {
                // PRIO_USER
                let uid = if who == 0 {
                    self.procs[&me].linux.uid
                } else {
                    who as u32
                };
                let of = |p: &Process| p.linux.uid == uid && live(p);
                self.procs
                    .iter()
                    .filter(|(_, p)| of(p))
                    .map(|(&k, _)| k)
                    .collect()
            }
            _ => return Err(EINVAL),
        };
        if targets.is_empty() {
            return Err(ESRCH);
        }
        if !set {
            let nice = targets
                .iter()
                .map(|p| self.procs[p].nice)
                .min()
                .unwrap_or(0);
            return Ok((20 - nice) as u64);
        }
        let nice = prio.clamp(-20, 19);
        // Raising priority needs CAP_SYS_NICE (root here; RLIMIT_NICE is 0).
        let root = self.procs[&me].linux.uid == 0;
        for p in targets {
            let p = self.procs.get_mut(&p).ok_or(ESRCH)?;
            if nice < p.nice && !root {
                return Err(EACCES);
            }
            p.nice = nice;
        }
        Ok(0)
    }

    // ----- calls that wait ---------------------------------------------------

    /// The guest's clock `clk` as a duration (for absolute sleeps).
    fn guest_clock(&mut self, pid: Pid, clk: i32) -> Result<Duration, i64> {
        let now_ns = self.now().as_nanos() as u64;
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        if let Some(d) = p.linux.det.as_mut() {
            d.now_ns = now_ns;
        }
        let ts = p.linux.clock(clk)?;
        Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    fn sys_sleep(&mut self, pid: Pid, clk: u64, flags: u64, req: u64) -> Outcome {
        const TIMER_ABSTIME: u64 = 1;
        if !matches!(clk, 0 | 1 | 7 | 8 | 9) {
            return Outcome::errno(EINVAL);
        }
        let space = self.procs[&pid].space;
        let (s, ns) = match misc_read_timespec(self.engine.space(space), req) {
            Ok(t) => t,
            Err(e) => return Outcome::errno(e),
        };
        let mut d = Duration::new(s as u64, ns as u32);
        if flags & TIMER_ABSTIME != 0 {
            match self.guest_clock(pid, clk as i32) {
                Ok(now) => d = d.saturating_sub(now),
                Err(e) => return Outcome::errno(e),
            }
        }
        Outcome::Wait(Wait::Sleep(self.now() + d))
    }

    fn sys_ppoll(&mut self, pid: Pid, fds: u64, nfds: u64, tmo: u64) -> Outcome {
        let p = self.procs.get_mut(&pid).expect("kvrm: no such process");
        let mem = self.engine.space_mut(p.space);
        let now = p.linux.poll_now(mem, fds, nfds);
        let out = self.poll_outcome(pid, now, tmo);
        if matches!(out, Outcome::Return(0)) {
            self.clear_poll_results(pid, nr::PPOLL, [fds, nfds, 0, 0, 0, 0]);
        }
        out
    }

    /// pselect6(nfds, readfds, writefds, exceptfds, timeout, sigmask).
    fn sys_pselect6(&mut self, pid: Pid, a: [u64; 6]) -> Outcome {
        let p = self.procs.get_mut(&pid).expect("kvrm: no such process");
        let mem = self.engine.space_mut(p.space);
        let now = p.linux.select_now(mem, a[0], [a[1], a[2], a[3]]);
        let out = self.poll_outcome(pid, now, a[4]);
        if matches!(out, Outcome::Return(0)) {
            self.clear_poll_results(pid, nr::PSELECT6, a);
        }
        out
    }

    /// ppoll or pselect6 (`n`, arguments `a`) returns 0, nothing ready: as on
    /// Linux, every revents is 0 and the descriptor sets are empty (they held
    /// the question until now; a call that waited returns at its timeout).
    pub(crate) fn clear_poll_results(&mut self, pid: Pid, n: u64, a: [u64; 6]) {
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        let mem = self.engine.space_mut(p.space);
        // The addresses were read successfully before: a failure here can
        // only be a concurrent unmap, which Linux would report no better.
        if n == nr::PPOLL {
            for i in 0..a[1].min(1 << 20) {
                let _ = mem.write_bytes(a[0] + i * 8 + 6, &[0, 0]);
            }
        } else if n == nr::PSELECT6 {
            let zeros = vec![0u8; a[0].min(1024).div_ceil(64) as usize * 8];
            for &set in &a[1..4] {
                if set != 0 {
                    let _ = mem.write_bytes(set, &zeros);
                }
            }
        }
    }

    /// What ppoll and pselect6 do with what is ready now: return the count,
    /// or wait for the descriptors until the timeout (`tmo`: a guest
    /// timespec, 0 for none; a zero timespec returns at once).
    fn poll_outcome(
        &mut self,
        pid: Pid,
        ready: Result<(u64, Vec<(RawFd, i16)>), i64>,
        tmo: u64,
    ) -> Outcome {
        let (count, wait_on) = match ready {
            Ok(r) => r,
            Err(e) => return Outcome::errno(e),
        };
        if count > 0 {
            return Outcome::Return(count);
        }
        let deadline = if tmo != 0 {
            let space = self.procs[&pid].space;
            match misc_read_timespec(self.engine.space(space), tmo) {
                Ok((0, 0)) => return Outcome::Return(0),
                Ok((s, ns)) => Some(self.now() + Duration::new(s as u64, ns as u32)),
                Err(e) => return Outcome::errno(e),
            }
        } else {
            None
        };
        Outcome::Wait(Wait::Retry {
            fds: wait_on,
            deadline,
        })
    }

    /// epoll_pwait(epfd, events, maxevents, timeout_ms, sigmask).
    fn sys_epoll_pwait(&mut self, pid: Pid, a: [u64; 6]) -> Outcome {
        let now = self.now();
        let p = self.procs.get_mut(&pid).expect("kvrm: no such process");
        let mem = self.engine.space_mut(p.space);
        let (count, wait_on) = match p.linux.epoll_wait_now(mem, a[0], a[1], a[2]) {
            Ok(r) => r,
            Err(e) => return Outcome::errno(e),
        };
        let timeout = a[3] as i32;
        if count > 0 || timeout == 0 {
            return Outcome::Return(count);
        }
        let deadline = (timeout > 0).then(|| now + Duration::from_millis(timeout as u64));
        Outcome::Wait(Wait::Retry {
            fds: wait_on,
            deadline,
        })
    }

    /// A read or write of `fd` that would have to wait makes the thread
    /// wait for the descriptor; otherwise the Linux layer does the call.
    /// openat of a FIFO waits for its other end (syscalls/fifo.rs); `None`: go on.
    fn fifo_open_wait(&mut self, pid: Pid, a: [u64; 6]) -> Option<Outcome> {
        let p = self.procs.get_mut(&pid)?;
        let mem = self.engine.space(p.space);
        let wait = match p.linux.fifo_open_wait(mem, a[0], a[1], a[2]) {
            FifoOpen::Proceed => return None,
            FifoOpen::AwaitWriter(raw) => Wait::Retry {
                fds: vec![(raw, libc::POLLIN)],
                deadline: None,
            },
            // Nothing to poll for a reader to come: look again soon (not a
            // timeout: the open goes on waiting).
            FifoOpen::AwaitReader => Wait::Lock(self.now() + Duration::from_millis(5)),
        };
        Some(Outcome::Wait(wait))
    }

    /// Is descriptor `fd` of process `pid` an eventfd or a timerfd?
    fn is_counter_fd(&self, pid: Pid, fd: u64) -> bool {
        use crate::fd::LockFile;
        self.procs
            .get(&pid)
            .and_then(|p| p.linux.fds.get(fd).ok())
            .is_some_and(|f| f.lock_file().counter)
    }

    pub(crate) fn io_wait(&mut self, pid: Pid, fd: u64, write: bool) -> Option<Outcome> {
        let (raw, events) = self.procs.get(&pid)?.linux.would_block(fd, write)?;
        Some(Outcome::Wait(Wait::Retry {
            fds: vec![(raw, events)],
            deadline: None,
        }))
    }
}
