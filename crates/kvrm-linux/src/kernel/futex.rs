//! futex: wait queues keyed by the futex word, and the robust-list cleanup of
//! a dying thread. A private futex, or one in memory of one process, is the
//! word's address in its space; a process-shared one (no
//! `FUTEX_PRIVATE_FLAG`) in a shared mapping is the word's place in the
//! mapped object, so processes that map it at different addresses, or that
//! `fork` handed it to, wait and wake on the same word.
//!
//! The engine runs one machine at a time, so comparing the futex word and
//! going to sleep is atomic with respect to every other guest thread: no
//! wake-up can be lost between the two.

use std::time::Duration;

use kvrm_isa::space::SharedObject;
use kvrm_isa::SpaceId;

use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::errno::*;
use crate::syscalls::misc_read_timespec;

const FUTEX_WAIT: u64 = 0;
const FUTEX_WAKE: u64 = 1;
const FUTEX_REQUEUE: u64 = 3;
const FUTEX_CMP_REQUEUE: u64 = 4;
const FUTEX_WAKE_OP: u64 = 5;
const FUTEX_WAIT_BITSET: u64 = 9;
const FUTEX_WAKE_BITSET: u64 = 10;
const FUTEX_PRIVATE_FLAG: u64 = 128;
const FUTEX_CLOCK_REALTIME: u64 = 256;

const FUTEX_WAITERS: u32 = 0x8000_0000;
const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
const FUTEX_TID_MASK: u32 = 0x3fff_ffff;
/// Robust-list entries walked at most (the kernel's ROBUST_LIST_LIMIT).
const ROBUST_LIST_LIMIT: usize = 2048;

/// The word a futex waiter waits on (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FutexKey {
    Private { space: SpaceId, addr: u64 },
    Shared { object: SharedObject, offset: u64 },
}

impl Kernel {
    /// The key of the word at `addr` of `space`; `shared`: a process-shared
    /// futex (one in a shared mapping is then keyed by its place there).
    pub(crate) fn futex_key(&self, space: SpaceId, addr: u64, shared: bool) -> FutexKey {
        if shared {
            if let Some((object, offset)) = self.engine.space(space).shared_location(addr) {
                return FutexKey::Shared { object, offset };
            }
        }
        FutexKey::Private { space, addr }
    }

    pub(crate) fn sys_futex(&mut self, tid: Pid, a: [u64; 6]) -> Outcome {
        let (uaddr, op, val, timeout, uaddr2, val3) = (a[0], a[1], a[2], a[3], a[4], a[5]);
        let pid = self.threads[&tid].pid;
        let space = self.procs[&pid].space;
        let cmd = op & 0x7f;
        let shared = op & FUTEX_PRIVATE_FLAG == 0;
        let key = self.futex_key(space, uaddr, shared);
        let read = |k: &Kernel, addr: u64| {
            if addr & 3 != 0 {
                return Err(EINVAL);
            }
            k.engine.space(space).read_u32(addr).map_err(|_| EFAULT)
        };
        match cmd {
            FUTEX_WAIT | FUTEX_WAIT_BITSET => {
                let bitset = if cmd == FUTEX_WAIT {
                    u32::MAX
                } else {
                    val3 as u32
                };
                if bitset == 0 {
                    return Outcome::errno(EINVAL);
                }
                match read(self, uaddr) {
                    Ok(cur) if cur != val as u32 => return Outcome::errno(EAGAIN),
                    Ok(_) => {}
                    Err(e) => return Outcome::errno(e),
                }
                let deadline = if timeout == 0 {
                    None
                } else {
                    let (s, ns) = match misc_read_timespec(self.engine.space(space), timeout) {
                        Ok(t) => t,
                        Err(e) => return Outcome::errno(e),
                    };
                    let d = Duration::new(s as u64, ns as u32);
                    let now = self.now();
                    // How far the deadline lies ahead (`Ok`) or behind (`Err`).
                    let ahead = if cmd == FUTEX_WAIT {
                        Ok(d)
                    } else {
                        // Absolute, on CLOCK_REALTIME if asked, else CLOCK_MONOTONIC.
                        let clk = if op & FUTEX_CLOCK_REALTIME != 0 { 0 } else { 1 };
                        match self.guest_clock_now(pid, clk) {
                            Ok(guest_now) => d.checked_sub(guest_now).ok_or_else(|| guest_now - d),
                            Err(e) => return Outcome::errno(e),
                        }
                    };
                    // Linux's timer fires at the end of its slack, even for a deadline
                    // passed less than the slack ago (one computed a microsecond ahead,
                    // before an emulated path to this call): it sleeps until then.
                    let slack = self.timer_slack(tid);
                    match ahead {
                        Ok(left) => Some(now + left + slack),
                        Err(behind) if behind < slack => Some(now + (slack - behind)),
                        Err(_) => return Outcome::errno(ETIMEDOUT),
                    }
                };
                Outcome::Wait(Wait::Futex {
                    key,
                    bitset,
                    deadline,
                    queued: self.next_futex_place(),
                })
            }
            FUTEX_WAKE | FUTEX_WAKE_BITSET => {
                let bitset = if cmd == FUTEX_WAKE {
                    u32::MAX
                } else {
                    val3 as u32
                };
                if bitset == 0 {
                    return Outcome::errno(EINVAL);
                }
                Outcome::Return(self.futex_wake(key, val as usize, bitset))
            }
            FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
                if cmd == FUTEX_CMP_REQUEUE {
                    match read(self, uaddr) {
                        Ok(cur) if cur != val3 as u32 => return Outcome::errno(EAGAIN),
                        Ok(_) => {}
                        Err(e) => return Outcome::errno(e),
                    }
                }
                let woken = self.futex_wake(key, val as usize, u32::MAX);
                // The fourth argument is a count here, not a timeout.
                let to = self.futex_key(space, uaddr2, shared);
                let moved = self.futex_requeue(key, to, timeout as usize);
                Outcome::Return(if cmd == FUTEX_CMP_REQUEUE {
                    woken + moved
                } else {
                    woken
                })
            }
            FUTEX_WAKE_OP => {
                let key2 = self.futex_key(space, uaddr2, shared);
                self.futex_wake_op(space, [key, key2], uaddr2, [val, timeout], val3 as u32)
            }
            _ => Outcome::errno(ENOSYS),
        }
    }

    fn guest_clock_now(&mut self, pid: Pid, clk: i32) -> Result<Duration, i64> {
        let now_ns = self.now().as_nanos() as u64;
        let p = self.procs.get_mut(&pid).ok_or(ESRCH)?;
        if let Some(d) = p.linux.det.as_mut() {
            d.now_ns = now_ns;
        }
        let ts = p.linux.clock(clk)?;
        Ok(Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32))
    }

    /// A new waiter's place at the end of its futex's queue.
    fn next_futex_place(&mut self) -> u64 {
        self.futex_waits += 1;
        self.futex_waits
    }

    /// The threads waiting on `key` whose bitset meets `bitset`, oldest
    /// first. Linux queues a futex's waiters of one priority in the order
    /// they came and wakes from the front: waking by thread id instead let
    /// threads that wait again and again (CPython's GIL under contention)
    /// be woken every time while older waiters never were.
    fn futex_queue(&self, key: FutexKey, bitset: u32) -> Vec<Pid> {
        let mut queue: Vec<(u64, Pid)> = self
            .threads
            .iter()
            .filter_map(|(&tid, t)| match t.wait {
                Some(Wait::Futex {
                    key: k,
                    bitset: b,
                    queued,
                    ..
                }) if k == key && b & bitset != 0 => Some((queued, tid)),
                _ => None,
            })
            .collect();
        queue.sort_unstable();
        queue.into_iter().map(|(_, tid)| tid).collect()
    }

    /// Wake up to `n` threads waiting on `key` whose bitset meets `bitset`,
    /// oldest first; returns how many.
    pub(crate) fn futex_wake(&mut self, key: FutexKey, n: usize, bitset: u32) -> u64 {
        let woken: Vec<Pid> = self.futex_queue(key, bitset).into_iter().take(n).collect();
        for &tid in &woken {
            if let Some(t) = self.threads.get_mut(&tid) {
                t.wait = None;
            }
            self.set_return(tid, 0);
        }
        woken.len() as u64
    }

    /// Move up to `n` waiters from `from` to the end of `to`'s queue, oldest
    /// first; returns how many.
    fn futex_requeue(&mut self, from: FutexKey, to: FutexKey, n: usize) -> u64 {
        let moved: Vec<Pid> = self
            .futex_queue(from, u32::MAX)
            .into_iter()
            .take(n)
            .collect();
        for &tid in &moved {
            let place = self.next_futex_place();
            if let Some(Some(Wait::Futex { key, queued, .. })) =
                self.threads.get_mut(&tid).map(|t| t.wait.as_mut())
            {
                *key = to;
                *queued = place;
            }
        }
        moved.len() as u64
    }

    /// FUTEX_WAKE_OP: change the word at `uaddr2`, wake `counts[0]` waiters
    /// of `keys[0]` and, if the old word meets the encoded condition,
    /// `counts[1]` of `keys[1]` (the word at `uaddr2`).
    fn futex_wake_op(
        &mut self,
        space: SpaceId,
        keys: [FutexKey; 2],
        uaddr2: u64,
        counts: [u64; 2],
        encoded: u32,
    ) -> Outcome {
        let op = (encoded >> 28) & 0xf;
        let cmp = (encoded >> 24) & 0xf;
        let mut oparg = (encoded >> 12) & 0xfff;
        let cmparg = encoded & 0xfff;
        if op & 8 != 0 {
            oparg = 1u32.checked_shl(oparg).unwrap_or(0);
        }
        if uaddr2 & 3 != 0 {
            return Outcome::errno(EINVAL);
        }
        let mem = self.engine.space_mut(space);
        let Ok(old) = mem.read_u32(uaddr2) else {
            return Outcome::errno(EFAULT);
        };
        let new = match op & 7 {
            0 => oparg,
            1 => old.wrapping_add(oparg),
            2 => old | oparg,
            3 => old & !oparg,
            4 => old ^ oparg,
            _ => return Outcome::errno(ENOSYS),
        };
        if mem.write_bytes(uaddr2, &new.to_le_bytes()).is_err() {
            return Outcome::errno(EFAULT);
        }
        let mut woken = self.futex_wake(keys[0], counts[0] as usize, u32::MAX);
        let (o, c) = (old as i32, cmparg as i32);
        let hit = match cmp {
            0 => o == c,
            1 => o != c,
            2 => o < c,
            3 => o <= c,
            4 => o > c,
            5 => o >= c,
            _ => return Outcome::errno(ENOSYS),
        };
        if hit {
            woken += self.futex_wake(keys[1], counts[1] as usize, u32::MAX);
        }
        Outcome::Return(woken)
    }

    /// A thread died holding robust futexes: mark each owner-died and wake a
    /// waiter, as Linux does (struct robust_list_head: list, futex_offset,
    /// list_op_pending).
    pub(crate) fn robust_cleanup(&mut self, space: SpaceId, tid: Pid, head: u64) {
        if head == 0 {
            return;
        }
        let mem = self.engine.space(space);
        let (Ok(first), Ok(offset), Ok(pending)) = (
            mem.read_u64(head),
            mem.read_u64(head + 8),
            mem.read_u64(head + 16),
        ) else {
            return;
        };
        let mut entries = Vec::new();
        let mut entry = first;
        while entry != head && entry != 0 && entries.len() < ROBUST_LIST_LIMIT {
            entries.push(entry);
            match mem.read_u64(entry) {
                Ok(next) => entry = next,
                Err(_) => break,
            }
        }
        if pending != 0 {
            entries.push(pending);
        }
        for e in entries {
            let word = e.wrapping_add(offset);
            let mem = self.engine.space_mut(space);
            let Ok(v) = mem.read_u32(word) else {
                continue;
            };
            if v & FUTEX_TID_MASK != tid {
                continue;
            }
            let nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
            if mem.write_bytes(word, &nv.to_le_bytes()).is_ok() && v & FUTEX_WAITERS != 0 {
                // As Linux, a process-shared wake.
                let key = self.futex_key(space, word, true);
                self.futex_wake(key, 1, u32::MAX);
            }
        }
    }
}
