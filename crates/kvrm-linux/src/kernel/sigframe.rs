//! The arm64 signal frame (`struct rt_sigframe`, Linux's
//! `arch/arm64/kernel/signal.c` and `arch/arm64/include/uapi/asm/sigcontext.h`):
//! the siginfo (128 bytes), then a `ucontext` (flags, link, `stack_t`, the
//! 1024-bit sigset area) whose `sigcontext` holds fault_address, x0-x30, sp,
//! pc, pstate and 4096 bytes of records: an `fpsimd_context` (fpsr, fpcr,
//! v0-v31) and the null terminator. Above the frame, a frame record {fp, lr}.
//! Building a frame for a handler, and `rt_sigreturn` / `sigaltstack`.

use kvrm_isa::{CpuState, FaultKind, Perms, StopReason};

use super::signal::{SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTORER, SA_SIGINFO};
use super::{Kernel, Outcome, Pid};
use crate::abi::{errno::*, signal::*};
use crate::syscalls::ProcessExit;

pub(crate) const SS_AUTODISARM: u32 = 1 << 31;

// si_code values (asm-generic/siginfo.h).
pub(crate) const SI_USER: i32 = 0;
pub(crate) const SI_KERNEL: i32 = 0x80;
pub(crate) const SI_TIMER: i32 = -2;
pub(crate) const SI_TKILL: i32 = -6;
pub(crate) const SEGV_MAPERR: i32 = 1;
const SEGV_ACCERR: i32 = 2;
const BUS_ADRALN: i32 = 1;
const BUS_ADRERR: i32 = 2;
const ILL_ILLOPC: i32 = 1;
const TRAP_BRKPT: i32 = 1;
const CLD_EXITED: i32 = 1;
const CLD_KILLED: i32 = 2;

/// SIGKILL and SIGSTOP cannot be blocked.
pub(crate) const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

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

pub(crate) fn bit(sig: i32) -> u64 {
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

    pub(crate) fn put32(&mut self, off: usize, v: u32) {
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

    /// An O_ASYNC signal chosen with F_SETSIG: why (POLL_IN...), the
    /// poll band and the descriptor.
    pub fn poll(signo: i32, code: i32, band: i64, fd: i32) -> Self {
        let mut s = Self::new(signo, code);
        s.put64(16, band as u64);
        s.put32(24, fd as u32);
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
            FaultKind::Bus => SigInfo::fault(SIGBUS, BUS_ADRERR, addr),
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
pub(crate) fn stop_pc(stop: &StopReason) -> Option<u64> {
    match *stop {
        StopReason::Fault { pc, .. }
        | StopReason::Undefined { pc, .. }
        | StopReason::Halted { pc, .. } => Some(pc),
        _ => None,
    }
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

fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put64(b: &mut [u8], off: usize, v: u64) {
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
        if RESERVED_SIZE - off < 8 || !off.is_multiple_of(16) {
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
    /// The rt_sigreturn trampoline's address in `space`, mapping it first.
    pub(crate) fn trampoline(&mut self, space: kvrm_isa::SpaceId) -> Result<u64, ()> {
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
    pub(crate) fn setup_frame(
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

    pub(crate) fn sys_rt_sigreturn(&mut self, tid: Pid) -> Outcome {
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

    pub(crate) fn sys_sigaltstack(&mut self, tid: Pid, ss: u64, old: u64) -> Result<u64, i64> {
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
}
