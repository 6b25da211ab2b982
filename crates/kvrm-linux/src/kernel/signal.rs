//! Signals as Linux delivers them on arm64.
//!
//! A signal is queued with its `siginfo` on a thread (tkill, tgkill, faults,
//! SIGPIPE) or on a process (kill, SIGCHLD, timers, host signals: any thread
//! that does not block it takes it). Before a thread runs again (each
//! scheduling round, so right after a syscall returns or at the instruction
//! boundary where its slice ended) `Kernel::signal_round` acts on the
//! unblocked ones: ignore, the default action, or a guest handler. A handler
//! gets an `rt_sigframe` on the thread's stack (or its sigaltstack): the
//! siginfo, then a `ucontext` whose `sigcontext` holds x0-x30, sp, pc,
//! pstate and, in `__reserved`, an `fpsimd_context` record and the end
//! marker (`arch/arm64/include/uapi/asm/sigcontext.h`). `rt_sigreturn`
//! restores exactly what the handler left there.
//!
//! A thread that waits in a syscall when a handled signal comes gets EINTR,
//! or re-executes the SVC (pc - 4, x0 as it was) when the handler has
//! SA_RESTART and Linux restarts that call.
//!
//! The frame itself and `rt_sigreturn`: sigframe.rs.

use std::time::Duration;

use kvrm_isa::StopReason;

use super::sigframe::{
    bit, fault_info, put64, stop_pc, AltStack, SigInfo, SI_KERNEL, SI_TKILL, SI_USER, UNBLOCKABLE,
};
use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::{errno::*, signal::*};
use crate::syscalls::{nr, ProcessExit};

/// Syscalls this module services (arm64 numbers).
mod num {
    pub const RT_SIGTIMEDWAIT: u64 = 137;
    pub const RT_SIGQUEUEINFO: u64 = 138;
    pub const RT_SIGRETURN: u64 = 139;
    pub const RT_TGSIGQUEUEINFO: u64 = 240;
}

// sigaction flags (asm-generic/signal.h).
pub(crate) const SA_SIGINFO: u64 = 4;
pub(crate) const SA_RESTORER: u64 = 0x0400_0000;
pub(crate) const SA_ONSTACK: u64 = 0x0800_0000;
pub(crate) const SA_RESTART: u64 = 0x1000_0000;
pub(crate) const SA_NODEFER: u64 = 0x4000_0000;
pub(crate) const SA_RESETHAND: u64 = 0x8000_0000;

const SIGRTMIN: i32 = 32;
/// Queued real-time signals per thread or process beyond which sends fail.
const MAX_QUEUED: usize = 4096;
/// Signals a fault raises: Linux delivers them before any other.
const SYNCHRONOUS: u64 = (1 << (SIGSEGV - 1))
    | (1 << (SIGBUS - 1))
    | (1 << (SIGILL - 1))
    | (1 << (SIGTRAP - 1))
    | (1 << (SIGFPE - 1))
    | (1 << (31 - 1));

/// Pending signals with their siginfo. Standard signals (1-31) are pending
/// once; real-time signals queue.
#[derive(Debug, Clone, Default)]
pub(crate) struct SigQueue {
    /// Bit sig-1 for each signal queued.
    pub set: u64,
    queue: Vec<SigInfo>,
}

impl SigQueue {
    fn push(&mut self, info: SigInfo) -> bool {
        let sig = info.signo();
        if sig < SIGRTMIN && self.set & bit(sig) != 0 {
            return true;
        }
        if self.queue.len() >= MAX_QUEUED {
            return false;
        }
        self.set |= bit(sig);
        self.queue.push(info);
        true
    }

    pub(super) fn take(&mut self, sig: i32) -> Option<SigInfo> {
        let i = self.queue.iter().position(|q| q.signo() == sig)?;
        let info = self.queue.remove(i);
        if !self.queue.iter().any(|q| q.signo() == sig) {
            self.set &= !bit(sig);
        }
        Some(info)
    }

    fn discard(&mut self, set: u64) {
        if self.set & set != 0 {
            self.queue.retain(|q| bit(q.signo()) & set == 0);
            self.set &= !set;
        }
    }
}

/// A signal from host process `pid` of user `uid` (a kill of kvrm): the
/// siginfo a kill from a guest process would give.
pub(crate) fn sender_info(sig: i32, pid: u32, uid: u32) -> SigInfo {
    SigInfo::sender(sig, SI_USER, pid, uid)
}

/// The signal Linux takes first from `set`: a synchronous one, else the
/// lowest number.
pub(super) fn next_signal(set: u64) -> Option<i32> {
    let pick = if set & SYNCHRONOUS != 0 {
        set & SYNCHRONOUS
    } else {
        set
    };
    (pick != 0).then(|| pick.trailing_zeros() as i32 + 1)
}

/// A thread's own signal state besides its mask.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadSignals {
    pub pending: SigQueue,
    pub altstack: AltStack,
    /// The mask before ppoll / pselect6 / epoll_pwait set the call's own:
    /// it comes back when the call returns (or in the frame of a handler
    /// that interrupted it).
    pub saved_mask: Option<u64>,
}

/// A process's shared pending signals and timers.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProcessSignals {
    pub pending: SigQueue,
    pub timers: Vec<super::timers::Timer>,
}

impl Kernel {
    /// The signal syscalls serviced here; `None` for the others.
    pub(crate) fn signal_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        use super::timers::num as tn;
        if matches!(n, nr::PPOLL | nr::PSELECT6 | nr::EPOLL_PWAIT) {
            self.set_call_mask(tid, n, a);
            return None;
        }
        Some(match n {
            num::RT_SIGRETURN => self.sys_rt_sigreturn(tid),
            nr::SIGALTSTACK => self.sys_sigaltstack(tid, a[0], a[1]).into(),
            nr::RT_SIGPENDING => self.sys_rt_sigpending(tid, a[0], a[1]).into(),
            num::RT_SIGTIMEDWAIT => self.sys_rt_sigtimedwait(tid, a),
            num::RT_SIGQUEUEINFO => self
                .sys_sigqueueinfo(tid, a[0] as i32, None, a[1], a[2])
                .into(),
            num::RT_TGSIGQUEUEINFO => self
                .sys_sigqueueinfo(tid, a[0] as i32, Some(a[1] as i32), a[2], a[3])
                .into(),
            tn::GETITIMER
            | tn::SETITIMER
            | tn::TIMER_CREATE
            | tn::TIMER_SETTIME
            | tn::TIMER_GETTIME
            | tn::TIMER_GETOVERRUN
            | tn::TIMER_DELETE => self.timer_call(tid, n, a).into(),
            _ => return None,
        })
    }

    // ----- sending ------------------------------------------------------------

    /// Is `sig` ignored by process `pid` (SIG_IGN, or SIG_DFL that ignores)?
    fn ignores(&self, pid: Pid, sig: i32) -> bool {
        let Some(p) = self.procs.get(&pid) else {
            return true;
        };
        match p.linux.sig.actions[(sig - 1) as usize][0] {
            SIG_IGN => true,
            SIG_DFL => default_ignores(sig),
            _ => false,
        }
    }

    /// Queue a signal for process `pid`: any of its threads that does not
    /// block it takes it.
    pub(crate) fn send_to_process(&mut self, pid: Pid, info: SigInfo) -> Result<u64, i64> {
        let sig = info.signo();
        if !(0..=NSIG).contains(&sig) {
            return Err(EINVAL);
        }
        let p = self.procs.get(&pid).ok_or(ESRCH)?;
        if p.exit.is_some() || sig == 0 {
            return Ok(0);
        }
        if sig == SIGKILL {
            self.exit_process(pid, ProcessExit::Signaled(SIGKILL));
            return Ok(0);
        }
        let leader_mask = p
            .threads
            .first()
            .and_then(|t| self.threads.get(t))
            .map_or(0, |t| t.sigmask);
        if self.complete_sigwait(pid, None, &info) {
            return Ok(0);
        }
        if leader_mask & bit(sig) == 0 && self.ignores(pid, sig) {
            return Ok(0);
        }
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        if !p.signals.pending.push(info) {
            return Err(EAGAIN);
        }
        self.refresh_signalfds(pid);
        Ok(0)
    }

    /// Queue a signal for thread `tid` only.
    pub(crate) fn send_to_thread(&mut self, tid: Pid, info: SigInfo) -> Result<u64, i64> {
        let sig = info.signo();
        if !(0..=NSIG).contains(&sig) {
            return Err(EINVAL);
        }
        let t = self.threads.get(&tid).ok_or(ESRCH)?;
        let (pid, mask) = (t.pid, t.sigmask);
        if sig == 0 {
            return Ok(0);
        }
        if sig == SIGKILL {
            self.exit_process(pid, ProcessExit::Signaled(SIGKILL));
            return Ok(0);
        }
        if self.complete_sigwait(pid, Some(tid), &info) {
            return Ok(0);
        }
        if mask & bit(sig) == 0 && self.ignores(pid, sig) {
            return Ok(0);
        }
        let t = self.threads.get_mut(&tid).ok_or(ESRCH)?;
        if !t.sig.pending.push(info) {
            return Err(EAGAIN);
        }
        self.refresh_signalfds(pid);
        Ok(0)
    }

    pub(crate) fn kill_group(&mut self, pgid: Pid, sig: u64) -> Result<u64, i64> {
        if sig > NSIG as u64 {
            return Err(EINVAL);
        }
        self.kill_group_signal(pgid, SigInfo::new(sig as i32, SI_KERNEL))
    }

    pub(crate) fn kill_group_signal(&mut self, pgid: Pid, info: SigInfo) -> Result<u64, i64> {
        let members: Vec<Pid> = self
            .procs
            .iter()
            .filter(|(_, p)| p.pgid == pgid && p.exit.is_none())
            .map(|(&p, _)| p)
            .collect();
        if members.is_empty() {
            return Err(ESRCH);
        }
        for p in members {
            self.send_to_process(p, info)?;
        }
        Ok(0)
    }

    /// The process ended: its parent gets `sig` (SIGCHLD) with CLD_* info.
    pub(crate) fn notify_parent(&mut self, child: Pid, ppid: Pid, sig: i32, exit: ProcessExit) {
        if !(1..=NSIG).contains(&sig) {
            return;
        }
        let uid = self.procs.get(&child).map_or(0, |p| p.linux.creds.ruid);
        let _ = self.send_to_process(ppid, SigInfo::child(sig, exit, child, uid));
    }

    pub(crate) fn sys_kill(&mut self, me: Pid, target: i32, sig: u64) -> Result<u64, i64> {
        if sig > NSIG as u64 {
            return Err(EINVAL);
        }
        let uid = self.procs.get(&me).map_or(0, |p| p.linux.creds.ruid);
        let info = SigInfo::sender(sig as i32, SI_USER, me, uid);
        let outside = match target {
            t if t > 0 => self.kill_outside(t as Pid, false, sig),
            t if t < -1 && !self.procs.values().any(|p| p.pgid == t.unsigned_abs()) => {
                self.kill_outside(t.unsigned_abs(), true, sig)
            }
            _ => None,
        };
        if let Some(r) = outside {
            return r;
        }
        match target {
            t if t > 0 => self.send_to_process(t as Pid, info),
            0 => self.kill_group_signal(self.procs[&me].pgid, info),
            -1 => {
                let all: Vec<Pid> = self
                    .procs
                    .iter()
                    .filter(|(&p, pr)| p != me && pr.exit.is_none())
                    .map(|(&p, _)| p)
                    .collect();
                for p in all {
                    self.send_to_process(p, info)?;
                }
                // The sender last: it may end itself.
                self.send_to_process(me, info)
            }
            t => self.kill_group_signal(t.unsigned_abs(), info),
        }
    }

    pub(crate) fn sys_tgkill(
        &mut self,
        me: Pid,
        tgid: Option<i32>,
        tid: i32,
        sig: u64,
    ) -> Result<u64, i64> {
        if tid <= 0 || tgid.is_some_and(|g| g <= 0) || sig > NSIG as u64 {
            return Err(EINVAL);
        }
        let t = self.threads.get(&(tid as Pid)).ok_or(ESRCH)?;
        if tgid.is_some_and(|g| g as Pid != t.pid) {
            return Err(ESRCH);
        }
        let uid = self.procs.get(&me).map_or(0, |p| p.linux.creds.ruid);
        self.send_to_thread(tid as Pid, SigInfo::sender(sig as i32, SI_TKILL, me, uid))
    }

    /// rt_sigqueueinfo / rt_tgsigqueueinfo: the caller's siginfo.
    fn sys_sigqueueinfo(
        &mut self,
        tid: Pid,
        target: i32,
        thread: Option<i32>,
        sig: u64,
        uinfo: u64,
    ) -> Result<u64, i64> {
        if sig > NSIG as u64 || target <= 0 {
            return Err(EINVAL);
        }
        let me = self.threads[&tid].pid;
        let space = self.procs[&me].space;
        let mut info = SigInfo([0; 128]);
        self.engine
            .space(space)
            .read_bytes(uinfo, &mut info.0)
            .map_err(|_| EFAULT)?;
        // Only the kernel may claim kernel codes, except to oneself.
        if (info.code() >= 0 || info.code() == SI_TKILL) && target as Pid != me {
            return Err(EPERM);
        }
        info.put32(0, sig as u32);
        match thread {
            None => self.send_to_process(target as Pid, info),
            Some(t) => {
                let th = self.threads.get(&(t as Pid)).ok_or(ESRCH)?;
                if th.pid != target as Pid {
                    return Err(ESRCH);
                }
                self.send_to_thread(t as Pid, info)
            }
        }
    }

    /// The Linux layer raised signals for the calling thread (SIGPIPE), and
    /// rt_sigaction may have made pending signals ignored (then discarded).
    pub(crate) fn after_linux_call(&mut self, tid: Pid, n: u64) {
        let Some(pid) = self.threads.get(&tid).map(|t| t.pid) else {
            return;
        };
        let Some(p) = self.procs.get_mut(&pid) else {
            return;
        };
        let raised = std::mem::take(&mut p.linux.sig.pending);
        let uid = p.linux.creds.ruid;
        for sig in 1..=NSIG {
            if raised & bit(sig) != 0 {
                let _ = self.send_to_thread(tid, SigInfo::sender(sig, SI_USER, pid, uid));
            }
        }
        if n == nr::RT_SIGACTION {
            let ignored: u64 = (1..=NSIG)
                .filter(|&s| self.ignores(pid, s))
                .fold(0, |m, s| m | bit(s));
            let threads = self.procs[&pid].threads.clone();
            for t in threads {
                if let Some(t) = self.threads.get_mut(&t) {
                    t.sig.pending.discard(ignored);
                }
            }
            if let Some(p) = self.procs.get_mut(&pid) {
                p.signals.pending.discard(ignored);
            }
        }
    }

    /// ppoll, pselect6 and epoll_pwait wait with the mask they are given.
    fn set_call_mask(&mut self, tid: Pid, n: u64, a: [u64; 6]) {
        let Some(t) = self.threads.get(&tid) else {
            return;
        };
        let space = self.procs[&t.pid].space;
        let mem = self.engine.space(space);
        let ptr = match n {
            nr::PPOLL if a[4] == 8 => a[3],
            nr::EPOLL_PWAIT if a[5] == 8 => a[4],
            // pselect6's last argument points to {const sigset_t *ss; size_t len}.
            nr::PSELECT6 if a[5] != 0 => match (mem.read_u64(a[5]), mem.read_u64(a[5] + 8)) {
                (Ok(p), Ok(8)) => p,
                _ => 0,
            },
            _ => 0,
        };
        if ptr == 0 {
            return;
        }
        let Ok(mask) = mem.read_u64(ptr) else {
            return;
        };
        if let Some(t) = self.threads.get_mut(&tid) {
            t.sig.saved_mask.get_or_insert(t.sigmask);
            t.sigmask = mask & !UNBLOCKABLE;
        }
    }

    /// Could a host signal (SIGINT, SIGTERM...) run a guest handler in a
    /// thread that waits? Then the kernel waits for one rather than report
    /// a deadlock (a guest in pause() waiting for SIGTERM).
    pub(crate) fn host_signal_may_come(&self) -> bool {
        self.threads.values().any(|t| {
            t.wait.is_some()
                && !matches!(t.wait, Some(Wait::Vfork(_)))
                && self.procs.get(&t.pid).is_some_and(|p| {
                    super::FORWARDED.iter().any(|&sig| {
                        t.sigmask & bit(sig) == 0
                            && !matches!(
                                p.linux.sig.actions[(sig - 1) as usize][0],
                                SIG_DFL | SIG_IGN
                            )
                    })
                })
        })
    }

    // ----- delivering ---------------------------------------------------------

    /// Timers that expired send their signals; then each thread acts on its
    /// unblocked pending signals (run at the start of a scheduling round).
    pub(crate) fn signal_round(&mut self) {
        self.fire_timers();
        self.fire_timerfds();
        // A default action may end a process and signal its parent (SIGCHLD),
        // a thread visited earlier: go round again while anything happened.
        for _ in 0..8 {
            let mut acted = false;
            let tids: Vec<Pid> = self.threads.keys().copied().collect();
            for tid in tids {
                acted |= self.deliver_to(tid);
            }
            if !acted {
                break;
            }
        }
    }

    /// Act on the unblocked pending signals of thread `tid` (each scheduling
    /// round, and as its syscall returns); `true` if it took any.
    pub(crate) fn deliver_to(&mut self, tid: Pid) -> bool {
        // A call with its own mask returned: the thread's comes back.
        if let Some(t) = self.threads.get_mut(&tid) {
            if t.wait.is_none() {
                if let Some(m) = t.sig.saved_mask.take() {
                    t.sigmask = m;
                }
            }
        }
        let mut acted = false;
        // Each handler blocks its own signal: this ends.
        for _ in 0..=NSIG {
            if !self.deliver_one(tid) {
                break;
            }
            acted = true;
        }
        acted
    }

    /// Act on one unblocked pending signal of `tid`; `false` when there was
    /// none (or the thread is gone).
    fn deliver_one(&mut self, tid: Pid) -> bool {
        let Some(t) = self.threads.get(&tid) else {
            return false;
        };
        if matches!(t.wait, Some(Wait::Vfork(_))) {
            return false;
        }
        let Some(p) = self.procs.get(&t.pid) else {
            return false;
        };
        let own = t.sig.pending.set & !t.sigmask;
        let shared = p.signals.pending.set & !t.sigmask;
        let Some(sig) = next_signal(own).or_else(|| next_signal(shared)) else {
            return false;
        };
        let pid = t.pid;
        let act = p.linux.sig.actions[(sig - 1) as usize];
        let info = if own & bit(sig) != 0 {
            self.threads
                .get_mut(&tid)
                .and_then(|t| t.sig.pending.take(sig))
        } else {
            self.procs
                .get_mut(&pid)
                .and_then(|p| p.signals.pending.take(sig))
        };
        let info = info.unwrap_or_else(|| SigInfo::new(sig, SI_KERNEL));
        self.refresh_signalfds(pid);
        match act[0] {
            SIG_IGN => true,
            SIG_DFL if default_ignores(sig) => true,
            SIG_DFL => {
                self.exit_process(pid, ProcessExit::Signaled(sig));
                true
            }
            _ => {
                self.run_handler(tid, &info, act);
                true
            }
        }
    }

    /// A fault, undefined instruction or breakpoint of `tid`: `true` when
    /// the guest's handler takes it (its frame is set up), `false` when the
    /// default action must end the process (no handler, or blocked).
    pub(crate) fn take_fault_signal(&mut self, tid: Pid, stop: &StopReason) -> bool {
        let (Some(info), Some(pc)) = (fault_info(stop), stop_pc(stop)) else {
            return false;
        };
        let Some(t) = self.threads.get(&tid) else {
            return false;
        };
        let sig = info.signo();
        let Some(p) = self.procs.get(&t.pid) else {
            return false;
        };
        let act = p.linux.sig.actions[(sig - 1) as usize];
        if matches!(act[0], SIG_DFL | SIG_IGN) || t.sigmask & bit(sig) != 0 {
            return false;
        }
        self.engine.state_mut(t.machine).pc = pc;
        self.run_handler(tid, &info, act);
        true
    }

    /// Enter the handler `act` for `info` on thread `tid`: end its wait
    /// (EINTR or restart), build the frame, switch registers and mask.
    fn run_handler(&mut self, tid: Pid, info: &SigInfo, act: [u64; 4]) {
        let Some(t) = self.threads.get_mut(&tid) else {
            return;
        };
        let mut saved_mask = t.sig.saved_mask.take().unwrap_or(t.sigmask);
        if let Some(w) = t.wait.take() {
            if let Some(m) = self.interrupt_wait(tid, w, act[1]) {
                saved_mask = m;
            }
        }
        if self.setup_frame(tid, info, act, saved_mask).is_err() {
            // No room for the frame: Linux's force_sigsegv.
            if let Some(pid) = self.threads.get(&tid).map(|t| t.pid) {
                self.exit_process(pid, ProcessExit::Signaled(SIGSEGV));
            }
        }
    }

    /// A handled signal ends `tid`'s wait `w`: x0 = -EINTR, or the SVC is
    /// re-executed (SA_RESTART, for the calls Linux restarts). Returns the
    /// mask rt_sigsuspend saved (the frame restores it).
    fn interrupt_wait(&mut self, tid: Pid, w: Wait, flags: u64) -> Option<u64> {
        let t = &self.threads[&tid];
        let (m, pid) = (t.machine, t.pid);
        let restart = flags & SA_RESTART != 0;
        let eintr = (-EINTR) as u64;
        let now = self.now();
        // A write that moved part of its bytes returns their count.
        let done = self
            .threads
            .get_mut(&tid)
            .map_or(0, |t| std::mem::take(&mut t.io_done));
        let st = self.engine.state_mut(m);
        let nr_called = st.x[8];
        let restartable = match &w {
            // A socket call with SO_RCVTIMEO / SO_SNDTIMEO ends with EINTR too.
            Wait::Retry { deadline, .. } => {
                deadline.is_none()
                    && !matches!(nr_called, nr::PPOLL | nr::PSELECT6 | nr::EPOLL_PWAIT)
            }
            Wait::Child => true,
            // A futex wait with a timeout ends with EINTR (restart_block).
            Wait::Futex { deadline, .. } => deadline.is_none(),
            _ => false,
        };
        if done > 0 {
            st.x[0] = done;
        } else if restart && restartable {
            st.pc = st.pc.wrapping_sub(4);
        } else {
            st.x[0] = eintr;
        }
        match w {
            Wait::Signal { old_mask } => Some(old_mask),
            Wait::Sleep(deadline) => {
                // nanosleep / relative clock_nanosleep report the time left.
                let rem = match nr_called {
                    nr::NANOSLEEP => st.x[1],
                    nr::CLOCK_NANOSLEEP if st.x[1] & 1 == 0 => st.x[3],
                    _ => 0,
                };
                if rem != 0 {
                    let left = deadline.saturating_sub(now);
                    let mut ts = [0u8; 16];
                    put64(&mut ts, 0, left.as_secs());
                    put64(&mut ts, 8, left.subsec_nanos() as u64);
                    let space = self.procs[&pid].space;
                    let _ = self.engine.space_mut(space).write_bytes(rem, &ts);
                }
                None
            }
            _ => None,
        }
    }

    // ----- syscalls -----------------------------------------------------------

    fn sys_rt_sigpending(&mut self, tid: Pid, set: u64, size: u64) -> Result<u64, i64> {
        if size > 8 {
            return Err(EINVAL);
        }
        let t = &self.threads[&tid];
        let p = &self.procs[&t.pid];
        let pending = (t.sig.pending.set | p.signals.pending.set) & t.sigmask;
        let space = p.space;
        self.engine
            .space_mut(space)
            .write_bytes(set, &pending.to_le_bytes()[..size as usize])
            .map_err(|_| EFAULT)?;
        Ok(0)
    }

    /// rt_sigtimedwait(set, info, timeout, sigsetsize).
    fn sys_rt_sigtimedwait(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        let (uset, uinfo, tmo, size) = (a[0], a[1], a[2], a[3]);
        if size != 8 {
            return Outcome::errno(EINVAL);
        }
        let t = &self.threads[&tid];
        let pid = t.pid;
        let space = self.procs[&pid].space;
        let set = match self.engine.space(space).read_u64(uset) {
            Ok(s) => s & !UNBLOCKABLE,
            Err(_) => return Outcome::errno(EFAULT),
        };
        let deadline = if tmo != 0 {
            match crate::syscalls::misc_read_timespec(self.engine.space(space), tmo) {
                Ok((s, ns)) => Some(self.now() + Duration::new(s as u64, ns as u32)),
                Err(e) => return Outcome::errno(e),
            }
        } else {
            None
        };
        let found = self.dequeue_signal(tid, set);
        if let Some(info) = found {
            self.refresh_signalfds(pid);
            if uinfo != 0
                && self
                    .engine
                    .space_mut(space)
                    .write_bytes(uinfo, &info.0)
                    .is_err()
            {
                return Outcome::errno(EFAULT);
            }
            return Outcome::Return(info.signo() as u64);
        }
        if deadline.is_some_and(|d| d <= self.now()) {
            return Outcome::errno(EAGAIN);
        }
        Outcome::Wait(Wait::SignalIn { set, deadline })
    }

    /// Take the signal of `set` that thread `tid` would get first: its own
    /// pending ones before its process's.
    pub(crate) fn dequeue_signal(&mut self, tid: Pid, set: u64) -> Option<SigInfo> {
        let t = self.threads.get(&tid)?;
        let pid = t.pid;
        let own = t.sig.pending.set & set;
        let shared = self.procs.get(&pid)?.signals.pending.set & set;
        if let Some(sig) = next_signal(own) {
            self.threads
                .get_mut(&tid)
                .and_then(|t| t.sig.pending.take(sig))
        } else if let Some(sig) = next_signal(shared) {
            self.procs
                .get_mut(&pid)
                .and_then(|p| p.signals.pending.take(sig))
        } else {
            None
        }
    }

    /// A thread of `pid` (or thread `only`) waits in rt_sigtimedwait for
    /// this signal: it returns with it. `true` when one took it.
    fn complete_sigwait(&mut self, pid: Pid, only: Option<Pid>, info: &SigInfo) -> bool {
        let b = bit(info.signo());
        let waiter = self.threads.iter().find(|(&tid, t)| {
            t.pid == pid
                && only.is_none_or(|o| o == tid)
                && matches!(t.wait, Some(Wait::SignalIn { set, .. }) if set & b != 0)
        });
        let Some((&tid, t)) = waiter else {
            return false;
        };
        let m = t.machine;
        let space = self.procs[&pid].space;
        let uinfo = self.engine.state(m).x[1];
        if uinfo != 0 {
            let _ = self.engine.space_mut(space).write_bytes(uinfo, &info.0);
        }
        if let Some(t) = self.threads.get_mut(&tid) {
            t.wait = None;
        }
        self.set_return(tid, info.signo() as u64);
        true
    }

    /// The earliest time a timer of any process expires.
    pub(crate) fn next_timer(&self) -> Option<Duration> {
        self.procs
            .values()
            .filter(|p| p.exit.is_none())
            .flat_map(|p| p.signals.timers.iter().filter_map(|t| t.deadline))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_signals_do_not_queue() {
        let mut q = SigQueue::default();
        q.push(SigInfo::new(SIGUSR1, SI_USER));
        q.push(SigInfo::new(SIGUSR1, SI_USER));
        q.push(SigInfo::new(40, -1));
        q.push(SigInfo::new(40, -1));
        assert!(q.take(SIGUSR1).is_some());
        assert!(q.take(SIGUSR1).is_none());
        assert!(q.take(40).is_some());
        assert_eq!(q.set, bit(40));
        assert!(q.take(40).is_some());
        assert_eq!(q.set, 0);
        assert_eq!(next_signal(bit(SIGSEGV) | bit(SIGHUP)), Some(SIGSEGV));
    }
}
