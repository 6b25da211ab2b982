//! Scheduling policies and CPU affinity, as chrt and taskset set them: kept
//! per guest thread and reported back as Linux does (checked against it
//! through qemu-user, which passes these calls to the host kernel). kvrm's own
//! scheduler runs every runnable thread the same way whatever its policy, and
//! runs guest threads on whichever host threads it has, whatever their mask:
//! the values change what the calls report (and what a forked child or a new
//! thread starts with), nothing else.
//!
//! - sched_setscheduler, sched_setparam, sched_setattr: SCHED_OTHER (0),
//!   SCHED_BATCH (3) and SCHED_IDLE (5) take priority 0; SCHED_FIFO (1) and
//!   SCHED_RR (2) priorities 1..99 and privilege (uid 0 here, or
//!   RLIMIT_RTPRIO); SCHED_DEADLINE (6) valid runtime/deadline/period and
//!   privilege. SCHED_RESET_ON_FORK (or SCHED_FLAG_RESET_ON_FORK) is kept
//!   until the next call that sets a policy; a child forked with it leaves a
//!   real-time or deadline policy for SCHED_OTHER and a negative nice value
//!   for 0. sched_setattr also sets the nice value of the fair policies
//!   (kvrm keeps one per process, as getpriority reports it).
//! - sched_setaffinity: the mask is cut to the guest's online CPUs; nothing
//!   left is EINVAL. sched_getaffinity reports it (the host's mask until one
//!   is set). New threads and forked children start with their creator's.

use super::{Kernel, Outcome, Pid};
use crate::abi::errno::*;
use crate::syscalls::nr;
use crate::sysfs::CpuList;

const SCHED_OTHER: u32 = 0;
const SCHED_FIFO: u32 = 1;
const SCHED_RR: u32 = 2;
const SCHED_BATCH: u32 = 3;
const SCHED_IDLE: u32 = 5;
const SCHED_DEADLINE: u32 = 6;
const SCHED_RESET_ON_FORK: u32 = 0x4000_0000;

const FLAG_RESET_ON_FORK: u64 = 0x01;
const FLAG_KEEP_POLICY: u64 = 0x08;
const FLAG_KEEP_PARAMS: u64 = 0x10;
const FLAG_UTIL_CLAMP: u64 = 0x20 | 0x40;
/// Every sched_flags bit Linux knows (SCHED_FLAG_ALL).
const FLAGS_KNOWN: u64 = 0x7f;

const SCHED_ATTR_SIZE_VER0: u64 = 48;
const SCHED_ATTR_SIZE_VER1: u64 = 56;
/// RLIMIT_RTPRIO's index in the process's limits.
const RLIMIT_RTPRIO: usize = 14;

/// Round-robin time slice (Linux's default, 100 ms) and the slice fair
/// policies report (a few milliseconds, as a lightly loaded Linux does).
const RR_INTERVAL_NS: u64 = 100_000_000;
const FAIR_INTERVAL_NS: u64 = 3_000_000;

/// A thread's scheduling policy and parameters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sched {
    pub policy: u32,
    /// Real-time priority (SCHED_FIFO, SCHED_RR), else 0.
    pub priority: u32,
    pub reset_on_fork: bool,
    /// SCHED_DEADLINE's runtime, deadline and period (ns).
    pub dl: (u64, u64, u64),
}

impl Sched {
    /// What a forked child starts with (and whether its nice value goes
    /// back to 0 if negative).
    pub(crate) fn forked(self) -> (Sched, bool) {
        if !self.reset_on_fork {
            return (self, false);
        }
        let mut s = self;
        s.reset_on_fork = false;
        if rt_or_dl(s.policy) {
            s.policy = SCHED_OTHER;
            s.priority = 0;
            s.dl = (0, 0, 0);
        }
        (s, true)
    }
}

impl Kernel {
    /// How late thread `tid`'s timed futex waits end. Linux lets the timer
    /// of a thread without a real-time or deadline policy fire up to its
    /// timer slack (PR_SET_TIMERSLACK; 50 µs by default) after the time asked
    /// for, and on an idle machine a short wait lasts about that long. kvrm
    /// ends them that late, so a thread waiting a microsecond at a time in a
    /// loop (CPython's GIL after `sys.setswitchinterval(1e-6)`) sleeps as
    /// long as on Linux instead of spinning through every round.
    pub(crate) fn timer_slack(&self, tid: Pid) -> std::time::Duration {
        let Some(t) = self.threads.get(&tid) else {
            return std::time::Duration::ZERO;
        };
        if rt_or_dl(t.sched.policy) {
            return std::time::Duration::ZERO;
        }
        let ns = self
            .procs
            .get(&t.pid)
            .map_or(0, |p| p.linux.knobs.timer_slack);
        std::time::Duration::from_nanos(ns)
    }
}

fn rt_or_dl(policy: u32) -> bool {
    matches!(policy, SCHED_FIFO | SCHED_RR | SCHED_DEADLINE)
}

fn fair(policy: u32) -> bool {
    matches!(policy, SCHED_OTHER | SCHED_BATCH | SCHED_IDLE)
}

/// What a set call asks for (struct sched_attr's fields).
struct Request {
    /// None: keep the current policy (sched_setparam, SCHED_FLAG_KEEP_POLICY).
    policy: Option<u32>,
    flags: u64,
    nice: Option<i32>,
    priority: u32,
    dl: (u64, u64, u64),
}

/// Check `r` against thread state `cur`: the new state, or EINVAL.
fn apply(cur: Sched, r: &Request) -> Result<Sched, i64> {
    let (policy, reset) = match r.policy {
        None => (cur.policy, cur.reset_on_fork),
        Some(p) => {
            if !matches!(
                p,
                SCHED_OTHER | SCHED_FIFO | SCHED_RR | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE
            ) {
                return Err(EINVAL);
            }
            (p, r.flags & FLAG_RESET_ON_FORK != 0)
        }
    };
    if r.flags & !FLAGS_KNOWN != 0 || r.priority > 99 {
        return Err(EINVAL);
    }
    let rt = matches!(policy, SCHED_FIFO | SCHED_RR);
    if rt != (r.priority != 0) {
        return Err(EINVAL);
    }
    let (runtime, deadline, period) = r.dl;
    if policy == SCHED_DEADLINE {
        let period_ok = period == 0 || deadline <= period;
        if deadline == 0 || runtime < 1024 || runtime > deadline || !period_ok {
            return Err(EINVAL);
        }
    }
    Ok(Sched {
        policy,
        priority: r.priority,
        reset_on_fork: reset,
        dl: if policy == SCHED_DEADLINE {
            r.dl
        } else {
            (0, 0, 0)
        },
    })
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

impl Kernel {
    /// Bytes from the memory of thread `me`'s process (EFAULT).
    pub(super) fn read_caller(&self, me: Pid, addr: u64, len: usize) -> Result<Vec<u8>, i64> {
        self.proc_read(self.threads.get(&me).ok_or(ESRCH)?.pid, addr, len)
    }

    /// Bytes into the memory of thread `me`'s process (EFAULT).
    pub(super) fn write_caller(&mut self, me: Pid, addr: u64, bytes: &[u8]) -> Result<(), i64> {
        self.proc_write(self.threads.get(&me).ok_or(ESRCH)?.pid, addr, bytes)
    }

    /// The live thread `pid` names for thread `me` (0: itself), ESRCH.
    fn sched_target(&self, me: Pid, pid: i32) -> Result<Pid, i64> {
        let tid = if pid == 0 { me } else { pid as Pid };
        match self.threads.get(&tid) {
            Some(t) if self.procs.get(&t.pid).is_some_and(|p| p.exit.is_none()) => Ok(tid),
            // Changing an outside process is refused (outside.rs).
            _ if self.outside(tid).is_some() => Err(EPERM),
            _ => Err(ESRCH),
        }
    }

    /// May thread `me` change thread `target`'s scheduling (same user, or
    /// root)? EPERM if not.
    fn sched_may_change(&self, me: Pid, target: Pid) -> Result<(), i64> {
        let uid = |t: Pid| self.procs[&self.threads[&t].pid].linux.uid;
        if uid(me) != 0 && uid(me) != uid(target) {
            return Err(EPERM);
        }
        Ok(())
    }

    /// sched_rr_get_interval(pid, tp): the slice of the thread's policy.
    pub(super) fn sys_sched_rr_get_interval(&mut self, me: Pid, a: [u64; 6]) -> Result<u64, i64> {
        let pid = a[0] as i32;
        if pid < 0 {
            return Err(EINVAL);
        }
        let policy = match self.outside(pid as Pid) {
            Some(_) => SCHED_OTHER,
            None => self.threads[&self.sched_target(me, pid)?].sched.policy,
        };
        let ns = match policy {
            SCHED_RR => RR_INTERVAL_NS,
            SCHED_FIFO | SCHED_DEADLINE => 0,
            _ => FAIR_INTERVAL_NS,
        };
        let ts = crate::syscalls::misc_timespec_bytes(
            (ns / 1_000_000_000) as i64,
            (ns % 1_000_000_000) as i64,
        );
        self.write_caller(me, a[1], &ts)?;
        Ok(0)
    }

    /// sched_setscheduler(pid, policy, param), sched_setparam(pid, param),
    /// sched_setattr(pid, attr, flags).
    pub(crate) fn sys_sched_set(&mut self, me: Pid, n: u64, a: [u64; 6]) -> Result<u64, i64> {
        let pid = a[0] as i32;
        let (req, target) = match n {
            nr::SCHED_SETSCHEDULER | nr::SCHED_SETPARAM => {
                let param = if n == nr::SCHED_SETPARAM { a[1] } else { a[2] };
                let raw_policy = a[1] as i32;
                if param == 0 || pid < 0 || (n == nr::SCHED_SETSCHEDULER && raw_policy < 0) {
                    return Err(EINVAL);
                }
                let priority = le_u32(&self.read_caller(me, param, 4)?, 0);
                let target = self.sched_target(me, pid)?;
                let policy = (n == nr::SCHED_SETSCHEDULER)
                    .then_some(raw_policy as u32 & !SCHED_RESET_ON_FORK);
                let flags = if raw_policy as u32 & SCHED_RESET_ON_FORK != 0 {
                    FLAG_RESET_ON_FORK
                } else {
                    0
                };
                let req = Request {
                    policy,
                    flags,
                    nice: None,
                    priority,
                    dl: (0, 0, 0),
                };
                (req, target)
            }
            _ => {
                let (uattr, flags) = (a[1], a[2]);
                if uattr == 0 || pid < 0 || flags as u32 != 0 {
                    return Err(EINVAL);
                }
                let mut size = u64::from(le_u32(&self.read_caller(me, uattr, 4)?, 0));
                if size == 0 {
                    size = SCHED_ATTR_SIZE_VER0;
                }
                if !(SCHED_ATTR_SIZE_VER0..=kvrm_isa::PAGE_SIZE).contains(&size) {
                    // Linux writes the size it knows back before E2BIG.
                    let _ =
                        self.write_caller(me, uattr, &(SCHED_ATTR_SIZE_VER1 as u32).to_le_bytes());
                    return Err(E2BIG);
                }
                let attr = self.read_caller(me, uattr, size as usize)?;
                if attr.len() > SCHED_ATTR_SIZE_VER1 as usize
                    && attr[SCHED_ATTR_SIZE_VER1 as usize..]
                        .iter()
                        .any(|&b| b != 0)
                {
                    let _ =
                        self.write_caller(me, uattr, &(SCHED_ATTR_SIZE_VER1 as u32).to_le_bytes());
                    return Err(E2BIG);
                }
                let sflags = le_u64(&attr, 8);
                if sflags & FLAG_UTIL_CLAMP != 0 && size < SCHED_ATTR_SIZE_VER1 {
                    return Err(EINVAL);
                }
                let policy = le_u32(&attr, 4);
                if (policy as i32) < 0 {
                    return Err(EINVAL);
                }
                let target = self.sched_target(me, pid)?;
                let mut req = Request {
                    policy: (sflags & FLAG_KEEP_POLICY == 0).then_some(policy),
                    flags: sflags,
                    nice: Some((le_u32(&attr, 16) as i32).clamp(-20, 19)),
                    priority: le_u32(&attr, 20),
                    dl: (le_u64(&attr, 24), le_u64(&attr, 32), le_u64(&attr, 40)),
                };
                if sflags & FLAG_KEEP_PARAMS != 0 {
                    let cur = self.threads[&target].sched;
                    req.priority = cur.priority;
                    req.dl = cur.dl;
                }
                (req, target)
            }
        };
        let cur = self.threads[&target].sched;
        let new = apply(cur, &req)?;
        self.sched_may_change(me, target)?;
        let caller = self.threads[&me].pid;
        let root = self.procs[&caller].linux.uid == 0;
        let owner = self.threads[&target].pid;
        if !root {
            let rtprio = self.procs[&caller].linux.rlimits[RLIMIT_RTPRIO][0];
            let rt = matches!(new.policy, SCHED_FIFO | SCHED_RR);
            if new.policy == SCHED_DEADLINE
                || (rt && u64::from(new.priority) > rtprio)
                || (cur.reset_on_fork && !new.reset_on_fork)
            {
                return Err(EPERM);
            }
            // A lower nice value needs privilege (RLIMIT_NICE is 0 here).
            if req
                .nice
                .is_some_and(|n| fair(new.policy) && n < self.procs[&owner].nice)
            {
                return Err(EPERM);
            }
        }
        if let Some(nice) = req.nice.filter(|_| fair(new.policy)) {
            if let Some(p) = self.procs.get_mut(&owner) {
                p.nice = nice;
            }
        }
        if let Some(t) = self.threads.get_mut(&target) {
            t.sched = new;
        }
        Ok(0)
    }

    /// sched_getscheduler, sched_getparam, sched_getattr: the thread's
    /// policy (with SCHED_RESET_ON_FORK), real-time priority, and for
    /// sched_getattr its flags, nice value (its process's) and deadline
    /// parameters.
    pub(crate) fn sys_sched_get(&mut self, me: Pid, n: u64, a: [u64; 6]) -> Result<u64, i64> {
        let pid = a[0] as i32;
        let bad = match n {
            nr::SCHED_GETPARAM => a[1] == 0,
            nr::SCHED_GETATTR => {
                a[1] == 0
                    || a[2] > kvrm_isa::PAGE_SIZE
                    || a[2] < SCHED_ATTR_SIZE_VER0
                    || a[3] as u32 != 0
            }
            _ => false,
        };
        if pid < 0 || bad {
            return Err(EINVAL);
        }
        let tid = if pid == 0 { me } else { pid as Pid };
        let (s, nice) = match self.outside(tid) {
            // An outside process: a shell's defaults, with its nice value.
            Some(o) => (Sched::default(), o.nice),
            None => {
                let owner = self.threads.get(&tid).ok_or(ESRCH)?.pid;
                (self.threads[&tid].sched, self.procs[&owner].nice)
            }
        };
        let bytes = match n {
            nr::SCHED_GETPARAM => s.priority.to_le_bytes().to_vec(),
            nr::SCHED_GETATTR => {
                let size = a[2].min(SCHED_ATTR_SIZE_VER1);
                let mut attr = vec![0u8; SCHED_ATTR_SIZE_VER1 as usize];
                attr[0..4].copy_from_slice(&(size as u32).to_le_bytes());
                attr[4..8].copy_from_slice(&s.policy.to_le_bytes());
                let flags = if s.reset_on_fork {
                    FLAG_RESET_ON_FORK
                } else {
                    0
                };
                attr[8..16].copy_from_slice(&flags.to_le_bytes());
                attr[16..20].copy_from_slice(&nice.to_le_bytes());
                attr[20..24].copy_from_slice(&s.priority.to_le_bytes());
                attr[24..32].copy_from_slice(&s.dl.0.to_le_bytes());
                attr[32..40].copy_from_slice(&s.dl.1.to_le_bytes());
                attr[40..48].copy_from_slice(&s.dl.2.to_le_bytes());
                attr.truncate(size as usize);
                attr
            }
            _ => {
                let reset = if s.reset_on_fork {
                    SCHED_RESET_ON_FORK
                } else {
                    0
                };
                return Ok(u64::from(s.policy | reset));
            }
        };
        self.write_caller(me, a[1], &bytes)?;
        Ok(0)
    }

    /// sched_getaffinity(pid, len, mask) and sched_setaffinity(pid, len,
    /// mask).
    pub(crate) fn sys_sched_affinity(&mut self, me: Pid, n: u64, a: [u64; 6]) -> Outcome {
        let r = if n == nr::SCHED_SETAFFINITY {
            self.set_affinity(me, a)
        } else {
            self.get_affinity(me, a)
        };
        r.into()
    }

    fn set_affinity(&mut self, me: Pid, a: [u64; 6]) -> Result<u64, i64> {
        let (pid, len, ptr) = (a[0] as i32, a[1], a[2]);
        // Bits past the ones Linux keeps (NR_CPUS, at most 8192 here) are
        // not read.
        let bytes = self.read_caller(me, ptr, len.min(1024) as usize)?;
        let target = self.sched_target(me, pid)?;
        self.sched_may_change(me, target)?;
        let caller = self.threads[&me].pid;
        let online = self.procs[&caller].linux.cpus().online;
        let set = CpuList(
            online
                .0
                .iter()
                .copied()
                .filter(|&c| {
                    bytes
                        .get(c as usize / 8)
                        .is_some_and(|b| b >> (c % 8) & 1 != 0)
                })
                .collect(),
        );
        if set.0.is_empty() {
            return Err(EINVAL);
        }
        if let Some(t) = self.threads.get_mut(&target) {
            t.affinity = Some(set);
        }
        Ok(0)
    }

    fn get_affinity(&mut self, me: Pid, a: [u64; 6]) -> Result<u64, i64> {
        let (pid, len, ptr) = (a[0] as i32, a[1], a[2]);
        // An outside process: the host's mask, as kvrm started with.
        let target = match self.outside(pid as Pid) {
            Some(_) => None,
            None => Some(self.sched_target(me, pid)?),
        };
        let caller = self.threads[&me].pid;
        // The host's answer (its size, and its mask until one is set).
        let mut bytes = self.procs[&caller].linux.host_affinity(len)?;
        if let Some(set) = target.and_then(|t| self.threads[&t].affinity.as_ref()) {
            bytes.iter_mut().for_each(|b| *b = 0);
            for &c in &set.0 {
                if let Some(b) = bytes.get_mut(c as usize / 8) {
                    *b |= 1 << (c % 8);
                }
            }
        }
        self.write_caller(me, ptr, &bytes)?;
        Ok(bytes.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(policy: Option<u32>, priority: u32, flags: u64) -> Request {
        Request {
            policy,
            flags,
            nice: None,
            priority,
            dl: (0, 0, 0),
        }
    }

    #[test]
    fn policies_and_priorities_are_checked_as_linux_checks_them() {
        let cur = Sched::default();
        assert_eq!(
            apply(cur, &req(Some(SCHED_BATCH), 0, 0)).map(|s| s.policy),
            Ok(3)
        );
        assert_eq!(apply(cur, &req(Some(SCHED_BATCH), 1, 0)), Err(EINVAL));
        assert_eq!(apply(cur, &req(Some(SCHED_FIFO), 0, 0)), Err(EINVAL));
        assert_eq!(apply(cur, &req(Some(SCHED_RR), 100, 0)), Err(EINVAL));
        assert_eq!(apply(cur, &req(Some(4), 0, 0)), Err(EINVAL));
        assert_eq!(apply(cur, &req(Some(SCHED_OTHER), 0, 0x100)), Err(EINVAL));
        assert_eq!(apply(cur, &req(Some(SCHED_DEADLINE), 0, 0)), Err(EINVAL));
        let idle = apply(cur, &req(Some(SCHED_IDLE), 0, FLAG_RESET_ON_FORK)).unwrap();
        assert!(idle.reset_on_fork);
        // sched_setparam keeps the policy and the reset flag.
        assert_eq!(apply(idle, &req(None, 0, 0)), Ok(idle));
    }

    #[test]
    fn reset_on_fork_leaves_real_time_for_other() {
        let rr = Sched {
            policy: SCHED_RR,
            priority: 5,
            reset_on_fork: true,
            dl: (0, 0, 0),
        };
        assert_eq!(rr.forked(), (Sched::default(), true));
        let batch = Sched {
            policy: SCHED_BATCH,
            reset_on_fork: true,
            ..Sched::default()
        };
        assert_eq!(batch.forked().0.policy, SCHED_BATCH);
        assert!(!batch.forked().0.reset_on_fork);
    }
}
