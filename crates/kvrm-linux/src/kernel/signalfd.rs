//! signalfd: reading pending signals as `signalfd_siginfo` records.
//!
//! The Linux layer makes the descriptor (syscalls/fd_kinds.rs): its host
//! side is an eventfd, which the kernel keeps readable exactly while the
//! owning process has a pending signal of the descriptor's mask, so poll,
//! select and epoll (host calls on host descriptors) see the readiness Linux
//! gives. Every change of a process's pending signals refreshes it. A read
//! takes signals as delivery would (the thread's own first, then the
//! process's) and converts each siginfo to the record.

use std::os::fd::RawFd;

use super::sigframe::SigInfo;
use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::{errno::*, open::O_NONBLOCK, signal::*};
use crate::fd::LockFile;
use crate::syscalls::nr;

/// sizeof(struct signalfd_siginfo).
const RECORD: usize = 128;

const SIGSYS: i32 = 31;
const SI_TIMER: i32 = -2;
const SI_SIGIO: i32 = -5;
const SI_KERNEL: i32 = 0x80;
/// si_code values up to this are SIGPOLL's (POLL_IN..POLL_HUP).
const NSIGPOLL: i32 = 6;

/// The `signalfd_siginfo` of a queued signal, laid out by the union member
/// its (signal, code) selects, as Linux's siginfo layouts do.
fn record(info: &SigInfo) -> [u8; RECORD] {
    let b = &info.0;
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap_or_default());
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
    let mut r = [0u8; RECORD];
    let (signo, code) = (info.signo(), info.code());
    r[0..4].copy_from_slice(&(signo as u32).to_le_bytes());
    r[4..8].copy_from_slice(&u32_at(4).to_le_bytes()); // errno
    r[8..12].copy_from_slice(&(code as u32).to_le_bytes());
    // The union starts at byte 16 of siginfo; field offsets of the record
    // are signalfd_siginfo's.
    enum Layout {
        Kill,
        Rt,
        Timer,
        Poll,
        Fault,
        Child,
        Sys,
    }
    let layout = if code > 0 && code < SI_KERNEL {
        match signo {
            SIGSEGV | SIGBUS | SIGILL | SIGFPE | SIGTRAP => Layout::Fault,
            SIGCHLD => Layout::Child,
            SIGSYS => Layout::Sys,
            _ if code <= NSIGPOLL => Layout::Poll,
            _ => Layout::Kill,
        }
    } else if code == SI_TIMER {
        Layout::Timer
    } else if code == SI_SIGIO {
        Layout::Poll
    } else if code < 0 {
        Layout::Rt
    } else {
        Layout::Kill
    };
    let put64 =
        |r: &mut [u8; RECORD], o: usize, v: u64| r[o..o + 8].copy_from_slice(&v.to_le_bytes());
    match layout {
        Layout::Kill | Layout::Rt | Layout::Child => {
            r[12..16].copy_from_slice(&u32_at(16).to_le_bytes()); // ssi_pid
            r[16..20].copy_from_slice(&u32_at(20).to_le_bytes()); // ssi_uid
            match layout {
                Layout::Rt => {
                    put64(&mut r, 48, u64_at(24)); // ssi_ptr
                    r[44..48].copy_from_slice(&u32_at(24).to_le_bytes()); // ssi_int
                }
                Layout::Child => {
                    r[40..44].copy_from_slice(&u32_at(24).to_le_bytes()); // ssi_status
                    put64(&mut r, 56, u64_at(32)); // ssi_utime
                    put64(&mut r, 64, u64_at(40)); // ssi_stime
                }
                _ => {}
            }
        }
        Layout::Timer => {
            r[24..28].copy_from_slice(&u32_at(16).to_le_bytes()); // ssi_tid (timer id)
            r[32..36].copy_from_slice(&u32_at(20).to_le_bytes()); // ssi_overrun
            put64(&mut r, 48, u64_at(24)); // ssi_ptr
            r[44..48].copy_from_slice(&u32_at(24).to_le_bytes()); // ssi_int
        }
        Layout::Poll => {
            r[28..32].copy_from_slice(&u32_at(16).to_le_bytes()); // ssi_band
            r[20..24].copy_from_slice(&u32_at(24).to_le_bytes()); // ssi_fd
        }
        Layout::Fault => put64(&mut r, 72, u64_at(16)), // ssi_addr
        Layout::Sys => {
            put64(&mut r, 88, u64_at(16)); // ssi_call_addr
            r[84..88].copy_from_slice(&u32_at(24).to_le_bytes()); // ssi_syscall
            r[96..100].copy_from_slice(&u32_at(28).to_le_bytes()); // ssi_arch
        }
    }
    r
}

/// Make eventfd `raw` readable or not.
fn set_ready(raw: RawFd, ready: bool) {
    let mut count = [0u8; 8];
    // SAFETY: an 8-byte read and write on an eventfd we own (non-blocking).
    unsafe {
        libc::read(raw, count.as_mut_ptr().cast(), 8);
        if ready {
            let one = 1u64.to_ne_bytes();
            libc::write(raw, one.as_ptr().cast(), 8);
        }
    }
}

impl Kernel {
    /// signalfd4, and read of a signalfd; `None` for other calls.
    pub(crate) fn signalfd_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        match n {
            nr::SIGNALFD4 => {
                let pid = self.threads.get(&tid)?.pid;
                let p = self.procs.get_mut(&pid)?;
                let mem = self.engine.space_mut(p.space);
                let r = p.linux.sys_signalfd4(mem, a[0], a[1], a[2], a[3]);
                if r.is_ok() {
                    self.signalfds_made = true;
                    self.refresh_signalfds(pid);
                }
                Some(r.into())
            }
            nr::READ if self.signalfds_made => {
                let pid = self.threads.get(&tid)?.pid;
                let mask = self.procs.get(&pid)?.linux.signalfd_mask(a[0])?;
                Some(self.read_signalfd(tid, pid, mask, a))
            }
            _ => None,
        }
    }

    fn read_signalfd(&mut self, tid: Pid, pid: Pid, mask: u64, a: [u64; 6]) -> Outcome {
        let (fd, buf, count) = (a[0], a[1], a[2] as usize);
        if count < RECORD {
            return Outcome::errno(EINVAL);
        }
        let mut out = Vec::new();
        while out.len() + RECORD <= count {
            let info = self.dequeue_signal(tid, mask);
            let Some(info) = info else { break };
            out.extend_from_slice(&record(&info));
        }
        if out.is_empty() {
            let Ok(f) = self.procs[&pid].linux.fds.get(fd) else {
                return Outcome::errno(EBADF);
            };
            let f = f.lock_file();
            if f.status & O_NONBLOCK != 0 {
                return Outcome::errno(EAGAIN);
            }
            // Woken when a signal of the mask makes the eventfd readable.
            return Outcome::Wait(Wait::Retry {
                fds: vec![(f.host.raw(), libc::POLLIN)],
                deadline: None,
            });
        }
        self.refresh_signalfds(pid);
        let space = self.procs[&pid].space;
        match self.engine.space_mut(space).write_bytes(buf, &out) {
            Ok(()) => Outcome::Return(out.len() as u64),
            Err(_) => Outcome::errno(EFAULT),
        }
    }

    /// The pending signals of process `pid` changed: its signalfds are
    /// readable exactly when one of their signals is pending.
    pub(crate) fn refresh_signalfds(&mut self, pid: Pid) {
        if !self.signalfds_made {
            return;
        }
        let Some(p) = self.procs.get(&pid) else {
            return;
        };
        let pending = p
            .threads
            .iter()
            .filter_map(|t| self.threads.get(t))
            .fold(p.signals.pending.set, |s, t| s | t.sig.pending.set);
        for fd in p.linux.fds.open_fds() {
            let Ok(f) = p.linux.fds.get(fd) else { continue };
            let f = f.lock_file();
            if let Some(mask) = f.signalfd {
                set_ready(f.host.raw(), pending & mask != 0);
            }
        }
    }
}
