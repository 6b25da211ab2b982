//! Scheduling policies: sched_setscheduler, sched_setparam, sched_setattr
//! and sched_rr_get_interval. kvrm's scheduler gives every runnable thread
//! the same slices whatever its policy (a guest cannot starve kvrm or the
//! host), but each thread keeps the policy and priority it was given, with
//! Linux's argument and permission checks, and the getters report them.

use super::{Kernel, Pid};
use crate::abi::errno::*;

const SCHED_OTHER: u32 = 0;
const SCHED_FIFO: u32 = 1;
const SCHED_RR: u32 = 2;
const SCHED_BATCH: u32 = 3;
const SCHED_IDLE: u32 = 5;
const SCHED_DEADLINE: u32 = 6;
/// Or'ed into sched_setscheduler's policy (and reported by getscheduler).
const SCHED_RESET_ON_FORK: u32 = 0x4000_0000;

/// sched_attr.sched_flags.
const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;
const SCHED_FLAG_KEEP_POLICY: u64 = 0x08;
const SCHED_FLAG_KEEP_PARAMS: u64 = 0x10;
const SCHED_FLAG_ALL: u64 = 0x7f;

/// The first sched_attr (48 bytes) and the one with utilization clamps (56).
const SCHED_ATTR_SIZE_VER0: u64 = 48;
const SCHED_ATTR_SIZE: u64 = 56;

/// Round-robin time slice (Linux's default, 100 ms) and the slice fair
/// policies report (a few milliseconds, as a lightly loaded Linux does).
const RR_INTERVAL_NS: u64 = 100_000_000;
const FAIR_INTERVAL_NS: u64 = 3_000_000;

/// A thread's scheduling policy.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Sched {
    pub policy: u32,
    /// 1..=99 under SCHED_FIFO and SCHED_RR, else 0.
    pub priority: u32,
    /// Children start under SCHED_OTHER (a real-time policy is not inherited).
    pub reset_on_fork: bool,
}

impl Sched {
    /// What sched_getscheduler returns.
    pub(crate) fn policy_word(&self) -> u64 {
        u64::from(
            self.policy
                | if self.reset_on_fork {
                    SCHED_RESET_ON_FORK
                } else {
                    0
                },
        )
    }

    /// sched_attr.sched_flags as sched_getattr reports them.
    pub(crate) fn attr_flags(&self) -> u64 {
        if self.reset_on_fork {
            SCHED_FLAG_RESET_ON_FORK
        } else {
            0
        }
    }
}

fn realtime(policy: u32) -> bool {
    policy == SCHED_FIFO || policy == SCHED_RR
}

/// Linux's check of a policy and its priority (EINVAL).
fn check_policy(policy: u32, priority: u32) -> Result<(), i64> {
    let ok = match policy {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => priority == 0,
        SCHED_FIFO | SCHED_RR => (1..=99).contains(&priority),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(EINVAL)
    }
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap_or_default())
}

fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap_or_default())
}

impl Kernel {
    /// A new thread or process `child` of thread `parent` takes its policy;
    /// with reset-on-fork a real-time policy becomes SCHED_OTHER.
    pub(super) fn inherit_sched(&mut self, parent: Pid, child: Pid) {
        let mut s = self
            .threads
            .get(&parent)
            .map(|t| t.sched)
            .unwrap_or_default();
        if s.reset_on_fork {
            if realtime(s.policy) {
                s.policy = SCHED_OTHER;
                s.priority = 0;
            }
            s.reset_on_fork = false;
        }
        if let Some(t) = self.threads.get_mut(&child) {
            t.sched = s;
        }
    }

    /// Guest bytes of the caller's space, or EFAULT.
    fn read_caller(&mut self, me: Pid, addr: u64, len: usize) -> Result<Vec<u8>, i64> {
        let space = self.procs[&self.threads[&me].pid].space;
        let mut b = vec![0u8; len];
        self.engine
            .space(space)
            .read_bytes(addr, &mut b)
            .map_err(|_| EFAULT)?;
        Ok(b)
    }

    fn write_caller(&mut self, me: Pid, addr: u64, bytes: &[u8]) -> Result<(), i64> {
        let space = self.procs[&self.threads[&me].pid].space;
        self.engine
            .space_mut(space)
            .write_bytes(addr, bytes)
            .map_err(|_| EFAULT)
    }

    /// The thread a sched call names (0: the caller).
    fn sched_target(&self, me: Pid, pid: i32) -> Result<Pid, i64> {
        let tid = if pid == 0 { me } else { pid as Pid };
        self.threads.get(&tid).map(|_| tid).ok_or(ESRCH)
    }

    /// sched_setscheduler(pid, policy, param), sched_setparam(pid, param),
    /// sched_setattr(pid, attr, flags).
    pub(super) fn sys_sched_set(&mut self, me: Pid, n: u64, a: [u64; 6]) -> Result<u64, i64> {
        use crate::syscalls::nr::{SCHED_SETATTR, SCHED_SETPARAM};
        let root = self.procs[&self.threads[&me].pid].linux.uid == 0;
        let pid = a[0] as i32;
        match n {
            SCHED_SETATTR => return self.sched_setattr(me, a, root),
            SCHED_SETPARAM => {
                if pid < 0 || a[1] == 0 {
                    return Err(EINVAL);
                }
                let priority = le_u32(&self.read_caller(me, a[1], 4)?, 0);
                let tid = self.sched_target(me, pid)?;
                let cur = self.threads[&tid].sched;
                check_policy(cur.policy, priority)?;
                if realtime(cur.policy) && !root {
                    return Err(EPERM);
                }
                self.threads.get_mut(&tid).ok_or(ESRCH)?.sched.priority = priority;
            }
            _ => {
                // sched_setscheduler
                let word = a[1] as i32;
                if pid < 0 || a[2] == 0 || word < 0 {
                    return Err(EINVAL);
                }
                let priority = le_u32(&self.read_caller(me, a[2], 4)?, 0);
                let tid = self.sched_target(me, pid)?;
                let policy = word as u32 & !SCHED_RESET_ON_FORK;
                if policy == SCHED_DEADLINE {
                    return Err(EINVAL); // only through sched_setattr
                }
                check_policy(policy, priority)?;
                let leaves_idle =
                    self.threads[&tid].sched.policy == SCHED_IDLE && policy != SCHED_IDLE;
                if (realtime(policy) || leaves_idle) && !root {
                    return Err(EPERM);
                }
                self.threads.get_mut(&tid).ok_or(ESRCH)?.sched = Sched {
                    policy,
                    priority,
                    reset_on_fork: word as u32 & SCHED_RESET_ON_FORK != 0,
                };
            }
        }
        Ok(0)
    }

    fn sched_setattr(&mut self, me: Pid, a: [u64; 6], root: bool) -> Result<u64, i64> {
        let pid = a[0] as i32;
        if a[2] != 0 || a[1] == 0 || pid < 0 {
            return Err(EINVAL);
        }
        let mut size = u64::from(le_u32(&self.read_caller(me, a[1], 4)?, 0));
        if size == 0 {
            size = SCHED_ATTR_SIZE_VER0;
        }
        let too_big = |this: &mut Self| -> Result<u64, i64> {
            this.write_caller(me, a[1], &(SCHED_ATTR_SIZE as u32).to_le_bytes())?;
            Err(E2BIG)
        };
        if !(SCHED_ATTR_SIZE_VER0..=kvrm_isa::PAGE_SIZE).contains(&size) {
            return too_big(self);
        }
        let attr = self.read_caller(me, a[1], size as usize)?;
        // A newer caller's larger struct is fine if what we do not know is zero.
        if attr[SCHED_ATTR_SIZE.min(size) as usize..]
            .iter()
            .any(|&b| b != 0)
        {
            return too_big(self);
        }
        let mut attr = attr;
        attr.resize(SCHED_ATTR_SIZE as usize, 0);
        let word = le_u32(&attr, 4);
        let flags = le_u64(&attr, 8);
        let nice = (le_u32(&attr, 16) as i32).clamp(-20, 19);
        let priority = le_u32(&attr, 20);
        let (runtime, deadline, period) = (le_u64(&attr, 24), le_u64(&attr, 32), le_u64(&attr, 40));
        if (word as i32) < 0 {
            return Err(EINVAL);
        }
        let tid = self.sched_target(me, pid)?;
        if flags & !SCHED_FLAG_ALL != 0 {
            return Err(EINVAL);
        }
        let cur = self.threads[&tid].sched;
        let policy = if flags & SCHED_FLAG_KEEP_POLICY != 0 {
            cur.policy
        } else {
            word
        };
        check_policy(policy, priority)?;
        if policy == SCHED_DEADLINE {
            // Linux's admission rules: 0 < runtime (>= 1 µs) <= deadline <= period.
            let valid = deadline != 0
                && runtime >= 1 << 10
                && runtime <= deadline
                && (period == 0 || deadline <= period);
            if !valid {
                return Err(EINVAL);
            }
        }
        // Leaving SCHED_IDLE raises priority: CAP_SYS_NICE too (RLIMIT_NICE is 0).
        let leaves_idle = cur.policy == SCHED_IDLE && policy != SCHED_IDLE;
        if (realtime(policy) || policy == SCHED_DEADLINE || leaves_idle) && !root {
            return Err(EPERM);
        }
        let owner = self.threads[&tid].pid;
        let fair = matches!(policy, SCHED_OTHER | SCHED_BATCH | SCHED_IDLE);
        if fair && flags & SCHED_FLAG_KEEP_PARAMS == 0 {
            let p = self.procs.get_mut(&owner).ok_or(ESRCH)?;
            // Raising priority needs CAP_SYS_NICE (root here; RLIMIT_NICE is 0).
            if nice < p.nice && !root {
                return Err(EPERM);
            }
            p.nice = nice;
        }
        let t = self.threads.get_mut(&tid).ok_or(ESRCH)?;
        t.sched.policy = policy;
        if flags & SCHED_FLAG_KEEP_PARAMS == 0 {
            t.sched.priority = priority;
        }
        t.sched.reset_on_fork = flags & SCHED_FLAG_RESET_ON_FORK != 0;
        Ok(0)
    }

    /// sched_rr_get_interval(pid, tp): the slice of the thread's policy.
    pub(super) fn sys_sched_rr_get_interval(&mut self, me: Pid, a: [u64; 6]) -> Result<u64, i64> {
        let pid = a[0] as i32;
        if pid < 0 {
            return Err(EINVAL);
        }
        let tid = self.sched_target(me, pid)?;
        let ns = match self.threads[&tid].sched.policy {
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

    /// capget naming another process: its capabilities, or ESRCH for a pid
    /// that does not exist (after the header checks, as Linux orders them);
    /// `None`: the caller's own, answered by the Linux layer.
    pub(super) fn capget_other(&mut self, me: Pid, a: [u64; 6]) -> Option<super::Outcome> {
        let hdr = self.read_caller(me, a[0], 8).ok()?;
        let version = u32::from_le_bytes(hdr[..4].try_into().ok()?);
        let pid = i32::from_le_bytes(hdr[4..].try_into().ok()?);
        let caller = self.threads[&me].pid;
        if pid <= 0 || pid as Pid == caller || a[1] == 0 {
            return None;
        }
        if !crate::syscalls::knobs::cap_version_known(version) {
            return None;
        }
        let Some(owner) = self.threads.get(&(pid as Pid)).map(|t| t.pid) else {
            return Some(super::Outcome::errno(ESRCH));
        };
        let caps = self.procs[&owner].linux.knobs.caps;
        let p = self.procs.get_mut(&caller)?;
        let mem = self.engine.space_mut(p.space);
        Some(p.linux.sys_capget(mem, a[0], a[1], caps).into())
    }
}
