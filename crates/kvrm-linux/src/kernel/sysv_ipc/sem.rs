//! System V semaphore sets: the values, semop's all-or-nothing operations
//! with their undo adjustments (SEM_UNDO), and the structs semctl copies.

use std::collections::BTreeMap;

use super::ids::{put_u32, put_u64, Perm, IPC64_PERM_SIZE};
use crate::abi::errno::*;

/// `sem_flg` bits.
pub(crate) const SEM_UNDO: i16 = 0x1000;
pub(crate) const SEM_NOWAIT: i16 = 0o4000; // IPC_NOWAIT
/// semctl commands besides the IPC_* ones.
pub(crate) const GETPID: i32 = 11;
pub(crate) const GETVAL: i32 = 12;
pub(crate) const GETALL: i32 = 13;
pub(crate) const GETNCNT: i32 = 14;
pub(crate) const GETZCNT: i32 = 15;
pub(crate) const SETVAL: i32 = 16;
pub(crate) const SETALL: i32 = 17;
pub(crate) const SEM_STAT: i32 = 18;
pub(crate) const SEM_INFO: i32 = 19;
pub(crate) const SEM_STAT_ANY: i32 = 20;

/// Linux's defaults: semaphores per set (SEMMSL), sets (SEMMNI), all
/// semaphores (SEMMNS; kvrm also keeps them within the memory limit, 16
/// bytes each), operations per semop (SEMOPM), the largest value (SEMVMX)
/// and adjustment (SEMAEM).
pub(crate) const SEMMSL: usize = 32000;
pub(crate) const SEMMNI: usize = 32000;
pub(crate) const SEMMNS: usize = SEMMNI * SEMMSL;
pub(crate) const SEMOPM: usize = 500;
pub(crate) const SEMVMX: i32 = 32767;
pub(crate) const SEMAEM: i32 = SEMVMX;
/// A process's undo adjustments (semadj) for one set, by semaphore: only
/// the semaphores its SEM_UNDO operations touched (a set may have 32000).
pub(crate) type Adjustments = BTreeMap<u16, i32>;
/// Bytes one semaphore is counted as against the memory limit.
pub(crate) const SEM_BYTES: u64 = 16;
/// `struct seminfo`'s semusz for IPC_INFO.
const SEMUSZ: i32 = 20;

/// Sizes of `struct semid64_ds` (asm-generic/sembuf.h, 64-bit), `struct
/// seminfo` (linux/sem.h) and `struct sembuf`.
pub(crate) const SEMID64_DS_SIZE: usize = 88;
pub(crate) const SEMINFO_SIZE: usize = 40;
pub(crate) const SEMBUF_SIZE: usize = 6;

/// One operation of a semop call (`struct sembuf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SemBuf {
    pub num: u16,
    pub op: i16,
    pub flags: i16,
}

impl SemBuf {
    /// The operations in `raw`, `struct sembuf` after `struct sembuf`:
    /// sem_num (unsigned short), sem_op, sem_flg (shorts).
    pub(crate) fn parse_all(raw: &[u8]) -> Vec<SemBuf> {
        raw.chunks_exact(SEMBUF_SIZE)
            .map(|c| SemBuf {
                num: u16::from_le_bytes([c[0], c[1]]),
                op: i16::from_le_bytes([c[2], c[3]]),
                flags: i16::from_le_bytes([c[4], c[5]]),
            })
            .collect()
    }
}

/// Why a semop cannot go on now: the operation it waits at (its semaphore,
/// and whether it waits for zero rather than for an increase), which
/// GETNCNT and GETZCNT count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Blocked {
    pub num: u16,
    pub for_zero: bool,
}

/// What [`SemSet::apply`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Every operation was applied.
    Done,
    /// Nothing was applied: the call must wait.
    Blocked(Blocked),
    /// Nothing was applied: the call fails (EAGAIN with IPC_NOWAIT,
    /// ERANGE).
    Failed(i64),
}

/// One set.
#[derive(Debug)]
pub(crate) struct SemSet {
    pub values: Vec<i32>,
    /// The process of the last operation on each semaphore (GETPID).
    pub pids: Vec<u32>,
    /// Last semop, last change (seconds; 0: never).
    pub otime: i64,
    pub ctime: i64,
}

impl SemSet {
    pub(crate) fn new(nsems: usize, now: i64) -> Self {
        SemSet {
            values: vec![0; nsems],
            pids: vec![0; nsems],
            otime: 0,
            ctime: now,
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }

    /// Apply `ops` (their semaphore numbers checked by the caller) all at
    /// once or not at all, for process `pid` whose adjustments for this set
    /// are `undo` (needed when an operation has SEM_UNDO). Operations apply in order, each to the values the ones
    /// before it left: a decrease below zero, or a wait for zero on a
    /// semaphore that is not, stops the call there (it waits, or fails with
    /// EAGAIN when that operation has IPC_NOWAIT); a value past SEMVMX or an
    /// adjustment past SEMAEM fails with ERANGE. Either way the operations
    /// already applied are taken back.
    pub(crate) fn apply(
        &mut self,
        ops: &[SemBuf],
        mut undo: Option<&mut Adjustments>,
        pid: u32,
    ) -> Attempt {
        let mut outcome = Attempt::Done;
        let mut applied = 0;
        for op in ops {
            let i = op.num as usize;
            let current = self.values[i];
            let delta = i32::from(op.op);
            if (delta == 0 && current != 0) || current + delta < 0 {
                outcome = if op.flags & SEM_NOWAIT != 0 {
                    Attempt::Failed(EAGAIN)
                } else {
                    Attempt::Blocked(Blocked {
                        num: op.num,
                        for_zero: delta == 0,
                    })
                };
                break;
            }
            if current + delta > SEMVMX {
                outcome = Attempt::Failed(ERANGE);
                break;
            }
            if op.flags & SEM_UNDO != 0 {
                let Some(adj) = undo.as_deref_mut() else {
                    outcome = Attempt::Failed(EINVAL);
                    break;
                };
                let new_adj = adj.get(&op.num).copied().unwrap_or(0) - delta;
                if !(-SEMAEM - 1..=SEMAEM).contains(&new_adj) {
                    outcome = Attempt::Failed(ERANGE);
                    break;
                }
                adj.insert(op.num, new_adj);
            }
            self.values[i] = current + delta;
            applied += 1;
        }
        if outcome != Attempt::Done {
            for op in ops[..applied].iter().rev() {
                let i = op.num as usize;
                self.values[i] -= i32::from(op.op);
                if op.flags & SEM_UNDO != 0 {
                    if let Some(adj) = undo.as_deref_mut() {
                        *adj.entry(op.num).or_insert(0) += i32::from(op.op);
                    }
                }
            }
            return outcome;
        }
        for op in ops {
            self.pids[op.num as usize] = pid;
        }
        Attempt::Done
    }

    /// The process ended: add its adjustments `adj`, keeping each value
    /// within 0..=SEMVMX (not an error at exit).
    pub(crate) fn adjust_at_exit(&mut self, adj: &Adjustments, pid: u32) {
        for (&num, &a) in adj {
            let i = num as usize;
            if a != 0 && i < self.values.len() {
                self.values[i] = (self.values[i] + a).clamp(0, SEMVMX);
                self.pids[i] = pid;
            }
        }
    }

    /// `struct semid64_ds`: the perm, sem_otime and sem_ctime (longs at 48
    /// and 56), sem_nsems (a long at 64), two unused longs.
    pub(crate) fn encode(&self, perm: &Perm) -> [u8; SEMID64_DS_SIZE] {
        let mut b = [0u8; SEMID64_DS_SIZE];
        b[..IPC64_PERM_SIZE].copy_from_slice(&perm.encode());
        put_u64(&mut b, 48, self.otime as u64);
        put_u64(&mut b, 56, self.ctime as u64);
        put_u64(&mut b, 64, self.values.len() as u64);
        b
    }
}

/// `struct seminfo`: ten ints, semmap, semmni, semmns, semmnu, semmsl,
/// semopm, semume, semusz, semvmx, semaem. For SEM_INFO (`usage` given:
/// sets and semaphores in use) semusz and semaem say those instead.
pub(crate) fn encode_seminfo(semmns: usize, usage: Option<(usize, usize)>) -> [u8; SEMINFO_SIZE] {
    let semmns = semmns as i32;
    let (semusz, semaem) = match usage {
        Some((sets, sems)) => (sets as i32, sems as i32),
        None => (SEMUSZ, SEMAEM),
    };
    let fields = [
        semmns,
        SEMMNI as i32,
        semmns,
        semmns,
        SEMMSL as i32,
        SEMOPM as i32,
        SEMOPM as i32,
        semusz,
        SEMVMX,
        semaem,
    ];
    let mut b = [0u8; SEMINFO_SIZE];
    for (i, f) in fields.iter().enumerate() {
        put_u32(&mut b, i * 4, *f as u32);
    }
    b
}

#[cfg(test)]
mod tests {
    use super::super::ids::{u32_at, u64_at, Caller};
    use super::*;

    fn op(num: u16, op: i16, flags: i16) -> SemBuf {
        SemBuf { num, op, flags }
    }

    #[test]
    fn operations_apply_all_or_nothing() {
        let mut s = SemSet::new(3, 0);
        assert_eq!(s.apply(&[op(0, 2, 0), op(1, 1, 0)], None, 5), Attempt::Done);
        assert_eq!(s.values, [2, 1, 0]);
        assert_eq!(s.pids, [5, 5, 0]);
        // The second operation cannot go on: the first is taken back.
        let r = s.apply(&[op(0, -1, 0), op(2, -1, 0)], None, 6);
        assert_eq!(
            r,
            Attempt::Blocked(Blocked {
                num: 2,
                for_zero: false
            })
        );
        assert_eq!(s.values, [2, 1, 0]);
        assert_eq!(s.pids, [5, 5, 0], "no pid changes when nothing applied");
        // Wait-for-zero on a semaphore that is not zero; IPC_NOWAIT.
        assert_eq!(
            s.apply(&[op(1, 0, 0)], None, 6),
            Attempt::Blocked(Blocked {
                num: 1,
                for_zero: true
            })
        );
        assert_eq!(
            s.apply(&[op(1, 0, SEM_NOWAIT)], None, 6),
            Attempt::Failed(EAGAIN)
        );
        // Operations on one semaphore see each other's results.
        assert_eq!(
            s.apply(&[op(0, -2, 0), op(0, 1, 0)], None, 6),
            Attempt::Done
        );
        assert_eq!(s.values[0], 1);
        assert_eq!(
            s.apply(&[op(0, -1, 0), op(0, -1, 0)], None, 6),
            Attempt::Blocked(Blocked {
                num: 0,
                for_zero: false
            })
        );
        assert_eq!(s.values[0], 1);
        // Past SEMVMX.
        assert_eq!(
            s.apply(&[op(2, 1, 0), op(1, 32767, 0)], None, 6),
            Attempt::Failed(ERANGE)
        );
        assert_eq!(s.values, [1, 1, 0]);
    }

    #[test]
    fn undo_adjustments_follow_the_operations() {
        let mut s = SemSet::new(2, 0);
        let mut adj = Adjustments::new();
        assert_eq!(
            s.apply(&[op(0, 3, SEM_UNDO)], Some(&mut adj), 1),
            Attempt::Done
        );
        assert_eq!(adj, Adjustments::from([(0, -3)]));
        assert_eq!(
            s.apply(
                &[op(0, -1, SEM_UNDO), op(1, -1, SEM_UNDO)],
                Some(&mut adj),
                1
            ),
            Attempt::Blocked(Blocked {
                num: 1,
                for_zero: false
            })
        );
        assert_eq!(
            adj,
            Adjustments::from([(0, -3)]),
            "a blocked call leaves the adjustments"
        );
        assert_eq!(
            s.apply(&[op(0, -1, SEM_UNDO)], Some(&mut adj), 1),
            Attempt::Done
        );
        assert_eq!((s.values[0], adj[&0]), (2, -2));
        // Another process took the semaphore to 0 meanwhile; at exit the
        // adjustment would go below zero: the value stops at 0.
        s.values[0] = 1;
        s.adjust_at_exit(&adj, 9);
        assert_eq!((s.values[0], s.pids[0]), (0, 9));
        assert_eq!(s.pids[1], 0, "untouched semaphores keep their pid");
        // An adjustment past SEMAEM is ERANGE.
        let mut big = Adjustments::from([(0, -32768)]);
        assert_eq!(
            s.apply(&[op(0, 1, SEM_UNDO)], Some(&mut big), 1),
            Attempt::Failed(ERANGE)
        );
    }

    #[test]
    fn layouts() {
        let raw = [1, 0, 0xff, 0xff, 0x00, 0x10, 2, 0, 3, 0, 0, 0x08];
        assert_eq!(
            SemBuf::parse_all(&raw),
            [op(1, -1, SEM_UNDO), op(2, 3, SEM_NOWAIT)]
        );
        let me = Caller {
            pid: 1,
            uid: 2,
            gid: 3,
        };
        let mut s = SemSet::new(4, 99);
        s.otime = 98;
        let b = s.encode(&Perm::new(5, &me, 0o600));
        assert_eq!(b.len(), 88);
        assert_eq!(
            (u64_at(&b, 48), u64_at(&b, 56), u64_at(&b, 64)),
            (98, 99, 4)
        );
        let i = encode_seminfo(SEMMNS, None);
        assert_eq!(u32_at(&i, 4), 32000, "semmni");
        assert_eq!(u32_at(&i, 16), 32000, "semmsl");
        assert_eq!(u32_at(&i, 20), 500, "semopm");
        assert_eq!(u32_at(&i, 28), 20, "semusz");
        assert_eq!(u32_at(&i, 32), 32767, "semvmx");
        let u = encode_seminfo(SEMMNS, Some((2, 7)));
        assert_eq!((u32_at(&u, 28), u32_at(&u, 36)), (2, 7));
    }
}
