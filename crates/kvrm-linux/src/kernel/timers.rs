//! Timers that send signals: the interval timers of setitimer/getitimer
//! (`alarm` in glibc and musl) and POSIX timers (timer_create with
//! SIGEV_SIGNAL, SIGEV_THREAD_ID or SIGEV_NONE). They belong to a process,
//! run on the kernel's clock (the virtual one in deterministic runs), count
//! as deadlines when every thread waits, and fire at the start of a
//! scheduling round.

use std::time::Duration;

use super::sigframe::{SigInfo, SI_KERNEL};
use super::{Kernel, Pid};
use crate::abi::{errno::*, signal::*};

/// Syscall numbers (arm64).
pub(crate) mod num {
    pub const GETITIMER: u64 = 102;
    pub const SETITIMER: u64 = 103;
    pub const TIMER_CREATE: u64 = 107;
    pub const TIMER_GETTIME: u64 = 108;
    pub const TIMER_GETOVERRUN: u64 = 109;
    pub const TIMER_SETTIME: u64 = 110;
    pub const TIMER_DELETE: u64 = 111;
}

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD_ID: i32 = 4;
const TIMER_ABSTIME: u64 = 1;
/// The signal of ITIMER_REAL, ITIMER_VIRTUAL, ITIMER_PROF.
const ITIMER_SIGNALS: [i32; 3] = [SIGALRM, SIGVTALRM, SIGPROF];
/// POSIX timers one process may have.
const MAX_TIMERS: usize = 4096;

/// One armed or disarmed timer.
#[derive(Debug, Clone)]
pub(crate) struct Timer {
    /// A POSIX timer's id (>= 0), or -1 - which for setitimer's.
    pub id: i32,
    pub clock: i32,
    /// When it expires next, on the kernel's clock.
    pub deadline: Option<Duration>,
    pub interval: Duration,
    /// 0: SIGEV_NONE.
    pub signo: i32,
    pub value: u64,
    /// SIGEV_THREAD_ID: the thread that gets the signal.
    pub thread: Option<Pid>,
    pub overrun: i32,
}

fn read_pair(b: &[u8], off: usize) -> (i64, i64) {
    let g = |o: usize| i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
    (g(off), g(off + 8))
}

fn put_duration(b: &mut [u8], off: usize, d: Duration, nanos: bool) {
    let sub = if nanos {
        d.subsec_nanos() as u64
    } else {
        d.subsec_micros() as u64
    };
    b[off..off + 8].copy_from_slice(&d.as_secs().to_le_bytes());
    b[off + 8..off + 16].copy_from_slice(&sub.to_le_bytes());
}

/// A (seconds, sub-seconds) pair, `unit` sub-second steps per second.
fn duration(pair: (i64, i64), unit: i64) -> Result<Duration, i64> {
    let (s, sub) = pair;
    if s < 0 || !(0..unit).contains(&sub) {
        return Err(EINVAL);
    }
    Ok(Duration::new(
        s as u64,
        (sub * (1_000_000_000 / unit)) as u32,
    ))
}

impl Kernel {
    /// Send the signals of the timers that expired and re-arm the periodic ones.
    pub(crate) fn fire_timers(&mut self) {
        if self.next_timer().is_none_or(|d| d > self.now()) {
            return;
        }
        let now = self.now();
        let mut sends = Vec::new();
        for (&pid, p) in self.procs.iter_mut() {
            if p.exit.is_some() {
                continue;
            }
            for t in p.signals.timers.iter_mut() {
                let Some(d) = t.deadline.filter(|&d| d <= now) else {
                    continue;
                };
                let mut overrun = 0u128;
                if t.interval.is_zero() {
                    t.deadline = None;
                } else {
                    overrun = (now - d).as_nanos() / t.interval.as_nanos();
                    let steps = (overrun + 1).min(u32::MAX as u128) as u32;
                    t.deadline = Some(d + t.interval * steps);
                }
                t.overrun = overrun.min(i32::MAX as u128) as i32;
                if t.signo != 0 {
                    let info = if t.id < 0 {
                        SigInfo::new(t.signo, SI_KERNEL)
                    } else {
                        SigInfo::timer(t.signo, t.id, t.overrun, t.value)
                    };
                    sends.push((pid, t.thread, info));
                }
            }
        }
        for (pid, thread, info) in sends {
            match thread {
                Some(tid) if self.threads.get(&tid).is_some_and(|t| t.pid == pid) => {
                    let _ = self.send_to_thread(tid, info);
                }
                _ => {
                    let _ = self.send_to_process(pid, info);
                }
            }
        }
    }

    /// The guest's clock `clk` now, as a duration (absolute timer settings).
    pub(crate) fn timer_clock_now(&mut self, pid: Pid, clk: i32) -> Result<Duration, i64> {
        let now_ns = self.now().as_nanos() as u64;
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        if let Some(d) = p.linux.det.as_mut() {
            d.now_ns = now_ns;
        }
        let ts = p.linux.clock(clk)?;
        Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// A timer's time left and interval.
    fn timer_left(&self, t: &Timer) -> (Duration, Duration) {
        let left = match t.deadline {
            // An armed timer never reports zero (that means disarmed).
            Some(d) => d.saturating_sub(self.now()).max(Duration::from_nanos(1000)),
            None => Duration::ZERO,
        };
        (left, t.interval)
    }

    pub(crate) fn timer_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Result<u64, i64> {
        let pid = self.threads.get(&tid).ok_or(ESRCH)?.pid;
        let space = self.procs[&pid].space;
        match n {
            num::GETITIMER | num::SETITIMER => {
                let which = a[0];
                if which > 2 {
                    return Err(EINVAL);
                }
                let id = -1 - which as i32;
                let (new, old) = if n == num::GETITIMER {
                    (None, a[1])
                } else {
                    let mut b = [0u8; 32];
                    if a[1] != 0 {
                        self.engine
                            .space(space)
                            .read_bytes(a[1], &mut b)
                            .map_err(|_| EFAULT)?;
                    }
                    let interval = duration(read_pair(&b, 0), 1_000_000)?;
                    let value = duration(read_pair(&b, 16), 1_000_000)?;
                    (Some((interval, value)), a[2])
                };
                let cur = self.procs[&pid].signals.timers.iter().find(|t| t.id == id);
                let (left, interval) =
                    cur.map_or((Duration::ZERO, Duration::ZERO), |t| self.timer_left(t));
                if old != 0 {
                    let mut b = [0u8; 32];
                    put_duration(&mut b, 0, interval, false);
                    put_duration(&mut b, 16, left, false);
                    self.engine
                        .space_mut(space)
                        .write_bytes(old, &b)
                        .map_err(|_| EFAULT)?;
                }
                if let Some((interval, value)) = new {
                    let deadline = (!value.is_zero()).then(|| self.now() + value);
                    let timers = &mut self.procs.get_mut(&pid).ok_or(ESRCH)?.signals.timers;
                    timers.retain(|t| t.id != id);
                    timers.push(Timer {
                        id,
                        clock: 0,
                        deadline,
                        interval,
                        signo: ITIMER_SIGNALS[which as usize],
                        value: 0,
                        thread: None,
                        overrun: 0,
                    });
                }
                Ok(0)
            }
            num::TIMER_CREATE => {
                let (clock, sevp, idp) = (a[0] as i32, a[1], a[2]);
                if !matches!(clock, 0 | 1 | 2 | 3 | 7 | 8 | 9 | 11) {
                    return Err(EINVAL);
                }
                let timers = &self.procs[&pid].signals.timers;
                if timers.len() >= MAX_TIMERS {
                    return Err(EAGAIN);
                }
                let id = (0..)
                    .find(|i| !timers.iter().any(|t| t.id == *i))
                    .unwrap_or(0);
                let (mut signo, mut value, mut thread) = (SIGALRM, id as u64, None);
                if sevp != 0 {
                    let mut b = [0u8; 20];
                    self.engine
                        .space(space)
                        .read_bytes(sevp, &mut b)
                        .map_err(|_| EFAULT)?;
                    value = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
                    signo = i32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
                    let notify = i32::from_le_bytes(b[12..16].try_into().unwrap_or_default());
                    let target = i32::from_le_bytes(b[16..20].try_into().unwrap_or_default());
                    match notify {
                        SIGEV_NONE => signo = 0,
                        SIGEV_SIGNAL => {}
                        SIGEV_THREAD_ID => {
                            let ok = self
                                .threads
                                .get(&(target as Pid))
                                .is_some_and(|t| t.pid == pid);
                            if !ok {
                                return Err(EINVAL);
                            }
                            thread = Some(target as Pid);
                        }
                        _ => return Err(EINVAL),
                    }
                    if notify != SIGEV_NONE && !(1..=NSIG).contains(&signo) {
                        return Err(EINVAL);
                    }
                }
                self.engine
                    .space_mut(space)
                    .write_bytes(idp, &id.to_le_bytes())
                    .map_err(|_| EFAULT)?;
                self.procs
                    .get_mut(&pid)
                    .ok_or(ESRCH)?
                    .signals
                    .timers
                    .push(Timer {
                        id,
                        clock,
                        deadline: None,
                        interval: Duration::ZERO,
                        signo,
                        value,
                        thread,
                        overrun: 0,
                    });
                Ok(0)
            }
            num::TIMER_SETTIME | num::TIMER_GETTIME | num::TIMER_GETOVERRUN | num::TIMER_DELETE => {
                let id = a[0] as i32;
                let timers = &self.procs[&pid].signals.timers;
                let t = timers
                    .iter()
                    .find(|t| t.id == id && id >= 0)
                    .ok_or(EINVAL)?
                    .clone();
                match n {
                    num::TIMER_DELETE => {
                        if let Some(p) = self.procs.get_mut(&pid) {
                            p.signals.timers.retain(|t| t.id != id);
                        }
                        Ok(0)
                    }
                    num::TIMER_GETOVERRUN => Ok(t.overrun as u64),
                    _ => {
                        let (flags, new, old) = if n == num::TIMER_GETTIME {
                            (0, 0, a[1])
                        } else {
                            (a[1], a[2], a[3])
                        };
                        let parsed = if new != 0 {
                            let mut b = [0u8; 32];
                            self.engine
                                .space(space)
                                .read_bytes(new, &mut b)
                                .map_err(|_| EFAULT)?;
                            let interval = duration(read_pair(&b, 0), 1_000_000_000)?;
                            let value = duration(read_pair(&b, 16), 1_000_000_000)?;
                            Some((interval, value))
                        } else if n == num::TIMER_SETTIME {
                            return Err(EINVAL);
                        } else {
                            None
                        };
                        if old != 0 {
                            let (left, interval) = self.timer_left(&t);
                            let mut b = [0u8; 32];
                            put_duration(&mut b, 0, interval, true);
                            put_duration(&mut b, 16, left, true);
                            self.engine
                                .space_mut(space)
                                .write_bytes(old, &b)
                                .map_err(|_| EFAULT)?;
                        }
                        if let Some((interval, value)) = parsed {
                            let deadline = if value.is_zero() {
                                None
                            } else if flags & TIMER_ABSTIME != 0 {
                                let clock_now = self.timer_clock_now(pid, t.clock)?;
                                Some(self.now() + value.saturating_sub(clock_now))
                            } else {
                                Some(self.now() + value)
                            };
                            if let Some(tm) = self
                                .procs
                                .get_mut(&pid)
                                .and_then(|p| p.signals.timers.iter_mut().find(|t| t.id == id))
                            {
                                tm.deadline = deadline;
                                tm.interval = interval;
                                tm.overrun = 0;
                            }
                        }
                        Ok(0)
                    }
                }
            }
            _ => Err(ENOSYS),
        }
    }
}
