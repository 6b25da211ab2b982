//! Signals as Linux delivers them on arm64.
//!
//! A signal is queued with its `siginfo` on a thread (tkill, tgkill, faults,
//! SIGPIPE) or on a process (kill, SIGCHLD, timers, host signals: any thread
//! that does not block it takes it). Before a thread runs again (each
//! scheduling round, so right after a syscall returns or at the instruction
//! boundary where its slice ended) [`Kernel::deliver_signals`] acts on the
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

use std::time::Duration;

use kvrm_isa::{CpuState, FaultKind, Perms, StopReason};

use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::{errno::*, signal::*};
use crate::syscalls::{nr, ProcessExit};

/// Syscalls this module services (arm64 numbers).
mod num {
    pub const RT_SIGTIMEDWAIT: u64 = 137;
    pub const RT_SIGQUEUEINFO: u64 = 138;
    pub const RT_SIGRETURN: u64 = 139;
    pub const RT_TGSIGQUEUEINFO: u64 = 240;
    pub const PSELECT6: u64 = 72;
}

// sigaction flags (asm-generic/signal.h).
const SA_SIGINFO: u64 = 4;
const SA_RESTORER: u64 = 0x0400_0000;
const SA_ONSTACK: u64 = 0x0800_0000;
const SA_RESTART: u64 = 0x1000_0000;
const SA_NODEFER: u64 = 0x4000_0000;
const SA_RESETHAND: u64 = 0x8000_0000;

const SS_AUTODISARM: u32 = 1 << 31;

// si_code values (asm-generic/siginfo.h).
pub(crate) const SI_USER: i32 = 0;
pub(crate) const SI_KERNEL: i32 = 0x80;
pub(crate) const SI_TIMER: i32 = -2;
pub(crate) const SI_TKILL: i32 = -6;
const SEGV_MAPERR: i32 = 1;
const SEGV_ACCERR: i32 = 2;
const BUS_ADRALN: i32 = 1;
const ILL_ILLOPC: i32 = 1;
const TRAP_BRKPT: i32 = 1;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;

const SIGRTMIN: i32 = 32;
/// Queued real-time signals per thread or process beyond which sends fail.
const MAX_QUEUED: usize = 4096;
/// SIGKILL and SIGSTOP cannot be blocked.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));
/// Signals a fault raises: Linux delivers them before any other.
const SYNCHRONOUS: u64 = (1 << (SIGSEGV - 1))
    | (1 << (SIGBUS - 1))
    | (1 << (SIGILL - 1))
    | (1 << (SIGTRAP - 1))
    | (1 << (SIGFPE - 1))
    | (1 << (31 - 1));

// The arm64 rt_sigframe: siginfo (128 bytes), then the ucontext.
const UC: usize = 128;
const UC_STACK: usize = UC + 16;
const UC_SIGMASK: usize = UC + 40;
/// uc_mcontext (struct sigcontext), 16-byte aligned after 1024 bits of sigset.
const MC: usize = UC + 176;
const MC_FAULT_ADDRESS: usize = MC;
const MC_REGS: usize = MC + 8;
const MC_SP: usize = MC + 256;
const MC_PC: usize = MC + 264;
const MC_PSTATE: usize = MC + 272;
const MC_RESERVED: usize = MC + 288;
const RESERVED_SIZE: usize = 4096;
/// sizeof(struct rt_sigframe).
pub(crate) const FRAME_SIZE: usize = MC_RESERVED + RESERVED_SIZE;
const FPSIMD_MAGIC: u32 = 0x4650_8001;
const FPSIMD_SIZE: u32 = 528;
const ESR_MAGIC: u32 = 0x4553_5201;

/// Where kvrm maps its `rt_sigreturn` trampoline for handlers without
/// SA_RESTORER (Linux uses the vDSO's): the page above the stack.
const TRAMPOLINE: u64 = crate::abi::layout::STACK_TOP;
/// `mov x8, #139; svc #0`.
const TRAMPOLINE_CODE: [u8; 8] = [0x68, 0x11, 0x80, 0xd2, 0x01, 0x00, 0x00, 0xd4];

fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// A signal's `siginfo_t`, as the guest reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SigInfo(pub [u8; 128]);

impl SigInfo {
    pub fn new(signo: i32, code: i32) -> Self {
        let mut s = SigInfo([0; 128]);
        s.put32(0, signo as u32);
        s.put32(8, code as u32);
        s
    }

    pub fn signo(&self) -> i32 {
        i32::from_le_bytes(self.0[..4].try_into().unwrap_or_default())
    }

    pub fn code(&self) -> i32 {
        i32::from_le_bytes(self.0[8..12].try_into().unwrap_or_default())
    }

    fn put32(&mut self, off: usize, v: u32) {
        self.0[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }

    fn put64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    /// kill, tkill, sigqueue: the sender's pid and uid.
    pub fn sender(signo: i32, code: i32, pid: Pid, uid: u32) -> Self {
        let mut s = Self::new(signo, code);
        s.put32(16, pid);
        s.put32(20, uid);
        s
    }

    /// A fault at `addr` (si_addr).
    pub fn fault(signo: i32, code: i32, addr: u64) -> Self {
        let mut s = Self::new(signo, code);
        s.put64(16, addr);
        s
    }

    /// SIGCHLD: the child's pid, uid and exit status or signal.
    pub fn child(signo: i32, exit: ProcessExit, pid: Pid, uid: u32) -> Self {
        let (code, status) = match exit {
            ProcessExit::Exited(s) => (CLD_EXITED, s & 0xff),
            ProcessExit::Signaled(sig) => (CLD_KILLED, sig),
        };
        let mut s = Self::sender(signo, code, pid, uid);
        s.put32(24, status as u32);
        s
    }

    /// A POSIX timer's signal: its id, overruns and sigev_value.
    pub fn timer(signo: i32, id: i32, overrun: i32, value: u64) -> Self {
        let mut s = Self::new(signo, SI_TIMER);
        s.put32(16, id as u32);
        s.put32(20, overrun as u32);
        s.put64(24, value);
        s
    }

    /// The address a fault signal reports (the sigcontext's fault_address).
    fn fault_address(&self) -> u64 {
        match self.signo() {
            SIGSEGV | SIGBUS if self.code() > 0 => {
                u64::from_le_bytes(self.0[16..24].try_into().unwrap_or_default())
            }
            _ => 0,
        }
    }
}

/// The signal a stop that is not a syscall raises, with its siginfo.
pub(crate) fn fault_info(stop: &StopReason) -> Option<SigInfo> {
    Some(match *stop {
        StopReason::Fault { addr, kind, .. } => match kind {
            FaultKind::Alignment => SigInfo::fault(SIGBUS, BUS_ADRALN, addr),
            FaultKind::Permission => SigInfo::fault(SIGSEGV, SEGV_ACCERR, addr),
            FaultKind::Unmapped => SigInfo::fault(SIGSEGV, SEGV_MAPERR, addr),
        },
        StopReason::Undefined { pc, .. } | StopReason::Halted { pc, hlt: true, .. } => {
            SigInfo::fault(SIGILL, ILL_ILLOPC, pc)
        }
        StopReason::Halted { pc, hlt: false, .. } => SigInfo::fault(SIGTRAP, TRAP_BRKPT, pc),
        _ => return None,
    })
}

/// The pc of the instruction a stop happened on.
fn stop_pc(stop: &StopReason) -> Option<u64> {
    match *stop {
        StopReason::Fault { pc, .. }
        | StopReason::Undefined { pc, .. }
        | StopReason::Halted { pc, .. } => Some(pc),
        _ => None,
    }
}

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

    fn take(&mut self, sig: i32) -> Option<SigInfo> {
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

/// The signal Linux takes first from `set`: a synchronous one, else the
/// lowest number.
fn next_signal(set: u64) -> Option<i32> {
    let pick = if set & SYNCHRONOUS != 0 {
        set & SYNCHRONOUS
    } else {
        set
    };
    (pick != 0).then(|| pick.trailing_zeros() as i32 + 1)
}

/// A thread's sigaltstack: sp, flags (SS_DISABLE, SS_AUTODISARM), size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AltStack {
    pub sp: u64,
    pub flags: u32,
    pub size: u64,
}

impl Default for AltStack {
    fn default() -> Self {
        AltStack {
            sp: 0,
            flags: SS_DISABLE,
            size: 0,
        }
    }
}

impl AltStack {
    /// Is `sp` on this stack (SS_AUTODISARM stacks never count)?
    fn contains(&self, sp: u64) -> bool {
        self.flags & SS_AUTODISARM == 0 && sp > self.sp && sp - self.sp <= self.size
    }

    /// Linux's sas_ss_flags(sp): SS_DISABLE, SS_ONSTACK or 0.
    fn flags_at(&self, sp: u64) -> u32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.contains(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }
}

/// A thread's own signal state besides its mask.
#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadSignals {
    pub pending: SigQueue,
    pub altstack: AltStack,
}

/// A process's shared pending signals and timers.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProcessSignals {
    pub pending: SigQueue,
    pub timers: Vec<super::timers::Timer>,
}

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

fn get32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().unwrap_or_default())
}

fn get64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().unwrap_or_default())
}

/// The bytes of an rt_sigframe for `st` (without the frame record above it).
pub(crate) fn build_frame(st: &CpuState, info: &SigInfo, mask: u64, stack: AltStack) -> Vec<u8> {
    let mut b = vec![0u8; FRAME_SIZE];
    b[..128].copy_from_slice(&info.0);
    put64(&mut b, UC_STACK, stack.sp);
    put32(&mut b, UC_STACK + 8, stack.flags);
    put64(&mut b, UC_STACK + 16, stack.size);
    put64(&mut b, UC_SIGMASK, mask);
    put64(&mut b, MC_FAULT_ADDRESS, info.fault_address());
    for (i, &x) in st.x.iter().enumerate() {
        put64(&mut b, MC_REGS + 8 * i, x);
    }
    put64(&mut b, MC_SP, st.sp);
    put64(&mut b, MC_PC, st.pc);
    put64(&mut b, MC_PSTATE, st.nzcv & 0xf000_0000);
    let fp = MC_RESERVED;
    put32(&mut b, fp, FPSIMD_MAGIC);
    put32(&mut b, fp + 4, FPSIMD_SIZE);
    put32(&mut b, fp + 8, st.fpsr as u32);
    put32(&mut b, fp + 12, st.fpcr as u32);
    for (i, v) in st.v.iter().enumerate() {
        put64(&mut b, fp + 16 + 16 * i, v[0]);
        put64(&mut b, fp + 24 + 16 * i, v[1]);
    }
    // The terminating null record follows (zero bytes).
    b
}

/// What rt_sigreturn takes back from a frame.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Restored {
    pub state: CpuState,
    pub mask: u64,
    pub stack: AltStack,
}

/// Parse a frame the handler may have changed, onto `st` (registers the
/// frame does not hold stay). `None`: a corrupt frame (Linux's badframe).
pub(crate) fn parse_frame(b: &[u8], st: &CpuState) -> Option<Restored> {
    let mut s = *st;
    for (i, x) in s.x.iter_mut().enumerate() {
        *x = get64(b, MC_REGS + 8 * i);
    }
    s.sp = get64(b, MC_SP);
    s.pc = get64(b, MC_PC);
    let pstate = get64(b, MC_PSTATE);
    // Only EL0t, AArch64: any mode or execution-state bit is invalid.
    if pstate & 0x1f != 0 {
        return None;
    }
    s.nzcv = pstate & 0xf000_0000;
    let mut off = 0usize;
    let mut fpsimd = None;
    loop {
        if RESERVED_SIZE - off < 8 || off % 16 != 0 {
            return None;
        }
        let head = MC_RESERVED + off;
        let (magic, size) = (get32(b, head), get32(b, head + 4) as usize);
        if RESERVED_SIZE - off < size {
            return None;
        }
        match magic {
            0 if size == 0 => break,
            0 => return None,
            FPSIMD_MAGIC if fpsimd.is_none() && size == FPSIMD_SIZE as usize => fpsimd = Some(head),
            ESR_MAGIC => {}
            _ => return None,
        }
        if size < 8 {
            return None;
        }
        off += size;
    }
    let fp = fpsimd?;
    s.fpsr = get32(b, fp + 8) as u64;
    s.fpcr = get32(b, fp + 12) as u64;
    for (i, v) in s.v.iter_mut().enumerate() {
        *v = [get64(b, fp + 16 + 16 * i), get64(b, fp + 24 + 16 * i)];
    }
    s.excl_size = 0;
    Some(Restored {
        state: s,
        mask: get64(b, UC_SIGMASK) & !UNBLOCKABLE,
        stack: AltStack {
            sp: get64(b, UC_STACK),
            flags: get32(b, UC_STACK + 8),
            size: get64(b, UC_STACK + 16),
        },
    })
}

impl Kernel {
    /// The signal syscalls serviced here; `None` for the others.
    pub(crate) fn signal_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        use super::timers::num as tn;
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
        Ok(0)
    }

    pub(crate) fn kill_group(&mut self, pgid: Pid, sig: u64) -> Result<u64, i64> {
        if sig > NSIG as u64 {
            return Err(EINVAL);
        }
        self.kill_group_info(pgid, SigInfo::new(sig as i32, SI_KERNEL))
    }

    fn kill_group_info(&mut self, pgid: Pid, info: SigInfo) -> Result<u64, i64> {
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
        let uid = self.procs.get(&ppid).map_or(0, |p| p.linux.uid);
        let _ = self.send_to_process(ppid, SigInfo::child(sig, exit, child, uid));
    }

    pub(crate) fn sys_kill(&mut self, me: Pid, target: i32, sig: u64) -> Result<u64, i64> {
        if sig > NSIG as u64 {
            return Err(EINVAL);
        }
        let uid = self.procs.get(&me).map_or(0, |p| p.linux.uid);
        let info = SigInfo::sender(sig as i32, SI_USER, me, uid);
        match target {
            t if t > 0 => self.send_to_process(t as Pid, info),
            0 => self.kill_group_info(self.procs[&me].pgid, info),
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
            t => self.kill_group_info(t.unsigned_abs(), info),
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
        let uid = self.procs.get(&me).map_or(0, |p| p.linux.uid);
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
        let uid = p.linux.uid;
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

    // ----- delivering ---------------------------------------------------------

    /// Timers that expired send their signals; then each thread acts on its
    /// unblocked pending signals (run at the start of a scheduling round).
    pub(crate) fn signal_round(&mut self) {
        self.fire_timers();
        // A default action may end a process and signal its parent (SIGCHLD),
        // a thread visited earlier: go round again while anything happened.
        for _ in 0..8 {
            let mut acted = false;
            let tids: Vec<Pid> = self.threads.keys().copied().collect();
            for tid in tids {
                // Each handler blocks its own signal: this ends.
                for _ in 0..=NSIG {
                    if !self.deliver_one(tid) {
                        break;
                    }
                    acted = true;
                }
            }
            if !acted {
                break;
            }
        }
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
        let mut saved_mask = t.sigmask;
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
        let st = self.engine.state_mut(m);
        let nr_called = st.x[8];
        let restartable = match &w {
            Wait::Retry { .. } => !matches!(nr_called, nr::PPOLL | num::PSELECT6),
            Wait::Child => true,
            // A futex wait with a timeout ends with EINTR (restart_block).
            Wait::Futex { deadline, .. } => deadline.is_none(),
            _ => false,
        };
        if restart && restartable {
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

    /// The rt_sigreturn trampoline's address in `space`, mapping it first.
    fn trampoline(&mut self, space: kvrm_isa::SpaceId) -> Result<u64, ()> {
        let mem = self.engine.space_mut(space);
        if mem.perms_at(TRAMPOLINE).is_none() {
            mem.map(TRAMPOLINE, kvrm_isa::PAGE_SIZE, Perms::RX)
                .map_err(|_| ())?;
            mem.write_bytes_force(TRAMPOLINE, &TRAMPOLINE_CODE)
                .map_err(|_| ())?;
        }
        match mem.read::<8>(TRAMPOLINE) {
            Ok(code) if code == TRAMPOLINE_CODE => Ok(TRAMPOLINE),
            _ => Err(()),
        }
    }

    /// Write the rt_sigframe and enter the handler (Linux's setup_rt_frame).
    fn setup_frame(
        &mut self,
        tid: Pid,
        info: &SigInfo,
        act: [u64; 4],
        saved_mask: u64,
    ) -> Result<(), ()> {
        let sig = info.signo();
        let t = &self.threads[&tid];
        let (m, pid, stack) = (t.machine, t.pid, t.sig.altstack);
        let space = self.procs[&pid].space;
        let st = *self.engine.state(m);
        let flags = act[1];
        let mut top = st.sp;
        let mut switched = false;
        if flags & SA_ONSTACK != 0 && stack.flags_at(st.sp) == 0 {
            top = stack.sp.wrapping_add(stack.size);
            switched = true;
        }
        let restorer = if flags & SA_RESTORER != 0 {
            act[2]
        } else {
            self.trampoline(space)?
        };
        // The frame record {fp, lr} sits above the frame, 16-byte aligned.
        let record = top.wrapping_sub(16) & !15;
        let frame = record.wrapping_sub(FRAME_SIZE as u64);
        let mut b = build_frame(&st, info, saved_mask, stack);
        b.extend_from_slice(&st.x[29].to_le_bytes());
        b.extend_from_slice(&st.x[30].to_le_bytes());
        self.engine
            .space_mut(space)
            .write_bytes(frame, &b)
            .map_err(|_| ())?;
        let s = self.engine.state_mut(m);
        s.x[0] = sig as u64;
        if flags & SA_SIGINFO != 0 {
            s.x[1] = frame;
            s.x[2] = frame + UC as u64;
        }
        s.sp = frame;
        s.x[29] = record;
        s.x[30] = restorer;
        s.pc = act[0];
        s.excl_size = 0;
        let t = self.threads.get_mut(&tid).ok_or(())?;
        let mut block = act[3];
        if flags & SA_NODEFER == 0 {
            block |= bit(sig);
        }
        t.sigmask = (t.sigmask | block) & !UNBLOCKABLE;
        if switched && stack.flags & SS_AUTODISARM != 0 {
            t.sig.altstack = AltStack::default();
        }
        if flags & SA_RESETHAND != 0 {
            if let Some(p) = self.procs.get_mut(&pid) {
                p.linux.sig.actions[(sig - 1) as usize][0] = SIG_DFL;
            }
        }
        tracing::trace!(
            "[{tid}] signal {sig}: handler {:#x}, frame {frame:#x}",
            act[0]
        );
        Ok(())
    }

    // ----- syscalls -----------------------------------------------------------

    fn sys_rt_sigreturn(&mut self, tid: Pid) -> Outcome {
        let t = &self.threads[&tid];
        let (m, pid) = (t.machine, t.pid);
        let space = self.procs[&pid].space;
        let st = *self.engine.state(m);
        let mut b = vec![0u8; FRAME_SIZE];
        let restored =
            if st.sp & 15 == 0 && self.engine.space(space).read_bytes(st.sp, &mut b).is_ok() {
                parse_frame(&b, &st)
            } else {
                None
            };
        let Some(r) = restored else {
            // Linux: arm64_notify_segfault(sp).
            tracing::debug!("[{tid}] rt_sigreturn: bad frame at {:#x}", st.sp);
            let info = SigInfo::fault(SIGSEGV, SEGV_MAPERR, st.sp);
            let sig_act = self.procs[&pid].linux.sig.actions[(SIGSEGV - 1) as usize];
            if matches!(sig_act[0], SIG_DFL | SIG_IGN) || t.sigmask & bit(SIGSEGV) != 0 {
                self.exit_process(pid, ProcessExit::Signaled(SIGSEGV));
                return Outcome::Gone;
            }
            let _ = self.send_to_thread(tid, info);
            return Outcome::Return(0);
        };
        *self.engine.state_mut(m) = r.state;
        let t = self.threads.get_mut(&tid).expect("kvrm: no such thread");
        t.sigmask = r.mask;
        // restore_altstack: only when not running on the current one.
        let cur = t.sig.altstack;
        if !cur.contains(r.state.sp) {
            let mode = r.stack.flags & !SS_AUTODISARM;
            if mode == SS_DISABLE {
                t.sig.altstack = AltStack::default();
            } else if (mode == 0 || mode == SS_ONSTACK) && r.stack.size >= MINSIGSTKSZ {
                t.sig.altstack = AltStack {
                    sp: r.stack.sp,
                    flags: r.stack.flags & SS_AUTODISARM,
                    size: r.stack.size,
                };
            }
        }
        // x0 is the interrupted x0: "return" it.
        Outcome::Return(r.state.x[0])
    }

    fn sys_sigaltstack(&mut self, tid: Pid, ss: u64, old: u64) -> Result<u64, i64> {
        let t = &self.threads[&tid];
        let (m, pid, cur) = (t.machine, t.pid, t.sig.altstack);
        let sp = self.engine.state(m).sp;
        let space = self.procs[&pid].space;
        let new = if ss != 0 {
            let mut b = [0u8; 24];
            self.engine
                .space(space)
                .read_bytes(ss, &mut b)
                .map_err(|_| EFAULT)?;
            Some(AltStack {
                sp: get64(&b, 0),
                flags: get32(&b, 8),
                size: get64(&b, 16),
            })
        } else {
            None
        };
        if old != 0 {
            let mut b = [0u8; 24];
            put64(&mut b, 0, cur.sp);
            put32(&mut b, 8, cur.flags_at(sp) | (cur.flags & SS_AUTODISARM));
            put64(&mut b, 16, cur.size);
            self.engine
                .space_mut(space)
                .write_bytes(old, &b)
                .map_err(|_| EFAULT)?;
        }
        if let Some(n) = new {
            if cur.contains(sp) {
                return Err(EPERM);
            }
            let mode = n.flags & !SS_AUTODISARM;
            let stack = match mode {
                SS_DISABLE => AltStack::default(),
                0 | SS_ONSTACK if n.size < MINSIGSTKSZ => return Err(ENOMEM),
                0 | SS_ONSTACK => AltStack {
                    sp: n.sp,
                    flags: n.flags & SS_AUTODISARM,
                    size: n.size,
                },
                _ => return Err(EINVAL),
            };
            if let Some(t) = self.threads.get_mut(&tid) {
                t.sig.altstack = stack;
            }
        }
        Ok(0)
    }

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
        let own = t.sig.pending.set & set;
        let shared = self.procs[&pid].signals.pending.set & set;
        let found = if let Some(sig) = next_signal(own) {
            self.threads
                .get_mut(&tid)
                .and_then(|t| t.sig.pending.take(sig))
        } else if let Some(sig) = next_signal(shared) {
            self.procs
                .get_mut(&pid)
                .and_then(|p| p.signals.pending.take(sig))
        } else {
            None
        };
        if let Some(info) = found {
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
        Outcome::Wait(Wait::SigWait { set, deadline })
    }

    /// A thread of `pid` (or thread `only`) waits in rt_sigtimedwait for
    /// this signal: it returns with it. `true` when one took it.
    fn complete_sigwait(&mut self, pid: Pid, only: Option<Pid>, info: &SigInfo) -> bool {
        let b = bit(info.signo());
        let waiter = self.threads.iter().find(|(&tid, t)| {
            t.pid == pid
                && only.is_none_or(|o| o == tid)
                && matches!(t.wait, Some(Wait::SigWait { set, .. }) if set & b != 0)
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
    fn frame_layout_matches_linux() {
        // sizeof(struct rt_sigframe) on arm64: 128 + sizeof(struct ucontext).
        assert_eq!(FRAME_SIZE, 4688);
        assert_eq!(FRAME_SIZE % 16, 0);
        assert_eq!(MC_RESERVED % 16, 0);
    }

    #[test]
    fn frame_round_trips() {
        let mut st = CpuState::new();
        for i in 0..31 {
            st.x[i] = 0x1000 + i as u64;
        }
        st.sp = 0x7000;
        st.pc = 0x400123;
        st.nzcv = 0x6000_0000;
        st.fpsr = 0x1f;
        st.fpcr = 1 << 24;
        for i in 0..32 {
            st.v[i] = [i as u64, !(i as u64)];
        }
        let info = SigInfo::fault(SIGSEGV, SEGV_MAPERR, 0xdead);
        let b = build_frame(&st, &info, 0x55, AltStack::default());
        assert_eq!(get64(&b, MC_FAULT_ADDRESS), 0xdead);
        let r = parse_frame(&b, &CpuState::new()).expect("valid frame");
        assert_eq!(r.state, st);
        assert_eq!(r.mask, 0x55);
    }

    #[test]
    fn corrupt_frames_are_refused() {
        let st = CpuState::new();
        let good = build_frame(&st, &SigInfo::new(SIGUSR1, SI_USER), 0, AltStack::default());
        let mut no_fp = good.clone();
        put32(&mut no_fp, MC_RESERVED, 0x1234_5678);
        assert!(parse_frame(&no_fp, &st).is_none());
        let mut el1 = good.clone();
        put64(&mut el1, MC_PSTATE, 0x5);
        assert!(parse_frame(&el1, &st).is_none());
        let mut bad_size = good;
        put32(&mut bad_size, MC_RESERVED + 4, 512);
        assert!(parse_frame(&bad_size, &st).is_none());
    }

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
