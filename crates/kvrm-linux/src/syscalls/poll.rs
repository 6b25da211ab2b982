//! pselect6 and epoll, without waiting: like `poll_now`, each call reports
//! what is ready now, or the host descriptors to wait for; the kernel makes
//! the thread wait and calls again.
//!
//! A guest epoll instance is a host epoll instance over the host descriptors
//! behind the guest's; the guest's `data` words are kept as given. The arm64
//! `struct epoll_event` is 16 bytes (u32 events, padding, u64 data), the
//! x86-64 host's is packed into 12.

use std::os::fd::{FromRawFd, OwnedFd, RawFd};

use kvrm_isa::AddressSpace;

use super::files::last_errno;
use super::{read_guest, write_guest, LinuxProcess, SysResult};
use crate::abi::errno::*;
use crate::abi::open::{O_CLOEXEC, O_RDWR};
use crate::fd::{HostFd, LockFile, OpenFile};

/// The largest nfds pselect6 takes (FD_SETSIZE).
const FD_SETSIZE: u64 = 1024;
const EPOLL_EVENT_SIZE: u64 = 16;

/// What a poll-like call found: how many are ready, or what to wait for.
pub(crate) type PollNow = (u64, Vec<(RawFd, i16)>);

impl LinuxProcess {
    /// The host descriptor behind guest descriptor `fd`.
    pub(crate) fn host_fd(&self, fd: u64) -> Result<RawFd, i64> {
        Ok(self.fds.get(fd)?.lock_file().host.raw())
    }

    /// pselect6's sets checked without waiting; on success the sets are
    /// rewritten to what is ready.
    pub(crate) fn select_now(
        &mut self,
        mem: &mut AddressSpace,
        nfds: u64,
        sets: [u64; 3],
    ) -> Result<PollNow, i64> {
        if nfds > FD_SETSIZE {
            return Err(EINVAL);
        }
        let bytes = nfds.div_ceil(64) as usize * 8;
        let mut bits: [Vec<u8>; 3] = Default::default();
        for (i, &p) in sets.iter().enumerate() {
            if p != 0 {
                bits[i] = read_guest(mem, p, bytes)?;
            }
        }
        let is_set =
            |v: &Vec<u8>, fd: usize| v.get(fd / 8).is_some_and(|b| b & (1 << (fd % 8)) != 0);
        let mut polls = Vec::new();
        let mut guest_fds = Vec::new();
        for fd in 0..nfds as usize {
            let mut events = 0i16;
            if is_set(&bits[0], fd) {
                events |= libc::POLLIN;
            }
            if is_set(&bits[1], fd) {
                events |= libc::POLLOUT;
            }
            if is_set(&bits[2], fd) {
                events |= libc::POLLPRI;
            }
            if events != 0 {
                let host = self.host_fd(fd as u64)?;
                polls.push(libc::pollfd {
                    fd: host,
                    events,
                    revents: 0,
                });
                guest_fds.push(fd);
            }
        }
        // SAFETY: `polls` is a valid array of pollfd structures.
        if unsafe { libc::poll(polls.as_mut_ptr(), polls.len() as _, 0) } < 0 {
            return Err(last_errno());
        }
        let mut out: [Vec<u8>; 3] = [vec![0; bytes], vec![0; bytes], vec![0; bytes]];
        let mut count = 0;
        for (p, &fd) in polls.iter().zip(&guest_fds) {
            let r = p.revents;
            let hits = [
                p.events & libc::POLLIN != 0
                    && r & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) != 0,
                p.events & libc::POLLOUT != 0 && r & (libc::POLLOUT | libc::POLLERR) != 0,
                p.events & libc::POLLPRI != 0 && r & libc::POLLPRI != 0,
            ];
            for (i, hit) in hits.into_iter().enumerate() {
                if hit {
                    out[i][fd / 8] |= 1 << (fd % 8);
                    count += 1;
                }
            }
            if r & libc::POLLNVAL != 0 {
                return Err(EBADF);
            }
        }
        if count == 0 {
            return Ok((0, polls.iter().map(|p| (p.fd, p.events)).collect()));
        }
        for (i, &p) in sets.iter().enumerate() {
            if p != 0 {
                write_guest(mem, p, &out[i])?;
            }
        }
        Ok((count, Vec::new()))
    }

    pub(crate) fn sys_epoll_create1(&mut self, flags: u64) -> SysResult {
        if flags & !O_CLOEXEC != 0 {
            return Err(EINVAL);
        }
        // SAFETY: creates a new descriptor that we own.
        let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if raw < 0 {
            return Err(last_errno());
        }
        // SAFETY: `raw` was just created and is ours.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let mut f = OpenFile::new(HostFd::Owned(fd), O_RDWR);
        f.pollable = Some(true);
        self.install(f, flags & O_CLOEXEC != 0)
    }

    pub(crate) fn sys_epoll_ctl(
        &mut self,
        mem: &mut AddressSpace,
        epfd: u64,
        op: u64,
        fd: u64,
        event: u64,
    ) -> SysResult {
        let ep = self.host_fd(epfd)?;
        let target = self.host_fd(fd)?;
        let mut ev = libc::epoll_event { events: 0, u64: 0 };
        if op != libc::EPOLL_CTL_DEL as u64 {
            let b = read_guest(mem, event, EPOLL_EVENT_SIZE as usize)?;
            ev.events = u32::from_le_bytes(b[..4].try_into().unwrap_or_default());
            ev.u64 = u64::from_le_bytes(b[8..].try_into().unwrap_or_default());
        }
        // SAFETY: both descriptors are open; `ev` is a valid event.
        if unsafe { libc::epoll_ctl(ep, op as i32, target, &mut ev) } < 0 {
            return Err(last_errno());
        }
        Ok(0)
    }

    /// epoll_pwait without waiting: events copied out, or the epoll
    /// descriptor to wait on (it is readable when an event is ready).
    pub(crate) fn epoll_wait_now(
        &mut self,
        mem: &mut AddressSpace,
        epfd: u64,
        events: u64,
        max: u64,
    ) -> Result<PollNow, i64> {
        if max == 0 || max > i32::MAX as u64 / EPOLL_EVENT_SIZE {
            return Err(EINVAL);
        }
        let ep = self.host_fd(epfd)?;
        super::check_writable(mem, events, max * EPOLL_EVENT_SIZE)?;
        // All the ready events up to `max`, as Linux gives them: a second
        // host call could not add the rest (level-triggered events would
        // come again). No more can be ready than descriptors can be open.
        let n = max.min(super::NR_OPEN) as usize;
        // Not zeroed: a large `max` costs only the pages the events fill.
        let mut got: Vec<libc::epoll_event> = Vec::with_capacity(n);
        // SAFETY: `got` has room for `n` events.
        let r = unsafe { libc::epoll_wait(ep, got.as_mut_ptr(), n as i32, 0) };
        if r < 0 {
            return Err(last_errno());
        }
        // SAFETY: epoll_wait wrote the first `r` (<= n) events.
        unsafe { got.set_len(r as usize) };
        if r == 0 {
            return Ok((0, vec![(ep, libc::POLLIN)]));
        }
        let mut out = vec![0u8; r as usize * EPOLL_EVENT_SIZE as usize];
        for (i, e) in got.iter().enumerate() {
            let o = i * EPOLL_EVENT_SIZE as usize;
            let (evs, data) = (e.events, e.u64);
            out[o..o + 4].copy_from_slice(&evs.to_le_bytes());
            out[o + 8..o + 16].copy_from_slice(&data.to_le_bytes());
        }
        write_guest(mem, events, &out)?;
        Ok((r as u64, Vec::new()))
    }
}
