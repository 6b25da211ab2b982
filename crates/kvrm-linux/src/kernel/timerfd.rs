//! timerfd_create, timerfd_settime, timerfd_gettime (event loops: Erlang's
//! BEAM, libuv, systemd-style services). A timerfd is a host eventfd whose
//! counter the kernel raises when the timer expires: a read returns the
//! expirations since the last read and resets them (EAGAIN, or a wait, when
//! there are none), poll and epoll see it readable while any are pending, as
//! on Linux. The timer itself runs on the kernel's clock like the POSIX timers
//! (timers.rs: the virtual clock in deterministic runs), counts as a deadline
//! when every thread waits, and is kept with a weak reference to its open
//! file description, so it lives as long as a descriptor (in any process, after
//! fork) refers to it. A timerfd refuses writes (EINVAL), as Linux does.

use std::os::fd::{FromRawFd, OwnedFd};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use super::{Kernel, Outcome, Pid};
use crate::abi::{errno::*, open::*};
use crate::fd::{HostFd, LockFile, OpenFile};

const TFD_TIMER_ABSTIME: u64 = 1;
const TFD_TIMER_CANCEL_ON_SET: u64 = 2;

/// One timerfd: its open file description and its timer.
pub(crate) struct TimerFd {
    file: Weak<Mutex<OpenFile>>,
    clock: i32,
    /// When it expires next, on the kernel's clock.
    deadline: Option<Duration>,
    interval: Duration,
}

/// Add `n` expirations to a timerfd's eventfd counter.
fn add_expirations(file: &Mutex<OpenFile>, n: u64) {
    let raw = file.lock_file().host.raw();
    let b = n.to_ne_bytes();
    // SAFETY: an 8-byte write from a valid buffer to an eventfd we own.
    unsafe { libc::write(raw, b.as_ptr().cast(), b.len()) };
}

/// Drop the expirations not read yet (timerfd_settime starts afresh).
fn clear_expirations(file: &Mutex<OpenFile>) {
    let raw = file.lock_file().host.raw();
    let mut b = [0u8; 8];
    // SAFETY: an 8-byte read into a valid buffer from a non-blocking eventfd.
    unsafe { libc::read(raw, b.as_mut_ptr().cast(), b.len()) };
}

/// An itimerspec's two timespecs (interval, value), checked (EINVAL).
fn parse_itimerspec(b: &[u8; 32]) -> Result<(Duration, Duration), i64> {
    let g = |o: usize| i64::from_le_bytes(b[o..o + 8].try_into().unwrap_or_default());
    let ts = |s: i64, ns: i64| {
        if s < 0 || !(0..1_000_000_000).contains(&ns) {
            return Err(EINVAL);
        }
        Ok(Duration::new(s as u64, ns as u32))
    };
    Ok((ts(g(0), g(8))?, ts(g(16), g(24))?))
}

fn itimerspec_bytes(interval: Duration, left: Duration) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, d) in [interval, left].iter().enumerate() {
        b[i * 16..i * 16 + 8].copy_from_slice(&d.as_secs().to_le_bytes());
        b[i * 16 + 8..i * 16 + 16].copy_from_slice(&u64::from(d.subsec_nanos()).to_le_bytes());
    }
    b
}

impl Kernel {
    /// timerfd_create(clockid, flags).
    pub(crate) fn sys_timerfd_create(&mut self, pid: Pid, a: [u64; 6]) -> Outcome {
        let (clock, flags) = (a[0] as i32, a[1]);
        if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 || !matches!(clock, 0 | 1 | 7 | 8 | 9) {
            return Outcome::errno(EINVAL);
        }
        // The _ALARM clocks need CAP_WAKE_ALARM (root here).
        if matches!(clock, 8 | 9) && self.procs[&pid].linux.uid != 0 {
            return Outcome::errno(EPERM);
        }
        // SAFETY: creates a new descriptor that we own.
        let raw = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if raw < 0 {
            let e = std::io::Error::last_os_error().raw_os_error();
            return Outcome::errno(e.unwrap_or(libc::EIO) as i64);
        }
        // SAFETY: `raw` was just created and is ours.
        let host = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut of = OpenFile::new(HostFd::Owned(host), O_RDWR | (flags & O_NONBLOCK));
        of.host_nonblock = true;
        of.pollable = Some(true);
        of.timerfd = true;
        of.counter = true;
        of.guest_path = Some(b"anon_inode:[timerfd]".to_vec());
        let Some(p) = self.procs.get_mut(&pid) else {
            return Outcome::errno(ESRCH);
        };
        let fd = match p.linux.install(of, flags & O_CLOEXEC != 0) {
            Ok(fd) => fd,
            Err(e) => return Outcome::errno(e),
        };
        let Ok(file) = p.linux.fds.get(fd) else {
            return Outcome::errno(EBADF);
        };
        self.timerfds.retain(|t| t.file.strong_count() > 0);
        self.timerfds.push(TimerFd {
            file: Arc::downgrade(&file),
            clock,
            deadline: None,
            interval: Duration::ZERO,
        });
        Outcome::Return(fd)
    }

    /// The timerfd behind descriptor `fd` of process `pid`: its index in
    /// `self.timerfds` (EBADF: no descriptor; EINVAL: not a timerfd).
    fn timerfd_index(&self, pid: Pid, fd: u64) -> Result<usize, i64> {
        let file = self.procs.get(&pid).ok_or(ESRCH)?.linux.fds.get(fd)?;
        self.timerfds
            .iter()
            .position(|t| t.file.upgrade().is_some_and(|f| Arc::ptr_eq(&f, &file)))
            .ok_or(EINVAL)
    }

    /// Time left and interval of timerfd `i`.
    fn timerfd_left(&self, i: usize) -> (Duration, Duration) {
        let t = &self.timerfds[i];
        let left = match t.deadline {
            // An armed timer never reports zero (that means disarmed).
            Some(d) => d.saturating_sub(self.now()).max(Duration::from_nanos(1)),
            None => Duration::ZERO,
        };
        (left, t.interval)
    }

    /// timerfd_settime(fd, flags, new, old) and timerfd_gettime(fd, cur).
    pub(crate) fn sys_timerfd_time(&mut self, pid: Pid, set: bool, a: [u64; 6]) -> Outcome {
        self.timerfd_time(pid, set, a).into()
    }

    fn timerfd_time(&mut self, pid: Pid, set: bool, a: [u64; 6]) -> Result<u64, i64> {
        let (fd, flags, new, old) = if set {
            (a[0], a[1], a[2], a[3])
        } else {
            (a[0], 0, 0, a[1])
        };
        if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
            return Err(EINVAL);
        }
        let space = self.procs.get(&pid).ok_or(ESRCH)?.space;
        let parsed = if set {
            let mut b = [0u8; 32];
            self.engine
                .space(space)
                .read_bytes(new, &mut b)
                .map_err(|_| EFAULT)?;
            Some(b)
        } else {
            None
        };
        let i = self.timerfd_index(pid, fd)?;
        let parsed = parsed.map(|b| parse_itimerspec(&b)).transpose()?;
        if old != 0 {
            let (left, interval) = self.timerfd_left(i);
            self.engine
                .space_mut(space)
                .write_bytes(old, &itimerspec_bytes(interval, left))
                .map_err(|_| EFAULT)?;
        }
        let Some((interval, value)) = parsed else {
            return Ok(0);
        };
        let deadline = if value.is_zero() {
            None
        } else if flags & TFD_TIMER_ABSTIME != 0 {
            let clock_now = self.timer_clock_now(pid, self.timerfds[i].clock)?;
            Some(self.now() + value.saturating_sub(clock_now))
        } else {
            Some(self.now() + value)
        };
        let t = &mut self.timerfds[i];
        t.deadline = deadline;
        t.interval = interval;
        if let Some(f) = t.file.upgrade() {
            clear_expirations(&f);
        }
        Ok(0)
    }

    /// Raise the counters of the timerfds that expired; re-arm the periodic
    /// ones.
    pub(crate) fn fire_timerfds(&mut self) {
        let now = self.now();
        self.timerfds.retain(|t| t.file.strong_count() > 0);
        for t in &mut self.timerfds {
            let Some(d) = t.deadline.filter(|&d| d <= now) else {
                continue;
            };
            let mut n = 1u64;
            if t.interval.is_zero() {
                t.deadline = None;
            } else {
                let missed = ((now - d).as_nanos() / t.interval.as_nanos()).min(u32::MAX.into());
                n += missed as u64;
                t.deadline = Some(d + t.interval * (missed as u32 + 1));
            }
            if let Some(f) = t.file.upgrade() {
                add_expirations(&f, n);
            }
        }
    }

    /// The earliest time a timerfd expires.
    pub(crate) fn next_timerfd(&self) -> Option<Duration> {
        self.timerfds
            .iter()
            .filter(|t| t.file.strong_count() > 0)
            .filter_map(|t| t.deadline)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn itimerspecs_round_trip_and_are_checked() {
        let b = itimerspec_bytes(Duration::new(1, 5), Duration::new(0, 999_999_999));
        assert_eq!(
            parse_itimerspec(&b),
            Ok((Duration::new(1, 5), Duration::new(0, 999_999_999)))
        );
        let mut bad = b;
        bad[8..16].copy_from_slice(&1_000_000_000u64.to_le_bytes());
        assert_eq!(parse_itimerspec(&bad), Err(EINVAL));
    }
}
