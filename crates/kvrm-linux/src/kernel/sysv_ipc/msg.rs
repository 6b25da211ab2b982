//! System V message queues: the messages, which one msgrcv takes, the
//! queue's byte limit, and the structs msgctl copies.

use std::collections::VecDeque;

use super::ids::{put_u32, put_u64, Perm, IPC64_PERM_SIZE};

/// msgrcv flags.
pub(crate) const MSG_NOERROR: u32 = 0o10000;
pub(crate) const MSG_EXCEPT: u32 = 0o20000;
pub(crate) const MSG_COPY: u32 = 0o40000;
/// msgctl commands besides the IPC_* ones.
pub(crate) const MSG_STAT: i32 = 11;
pub(crate) const MSG_INFO: i32 = 12;
pub(crate) const MSG_STAT_ANY: i32 = 13;

/// Linux's defaults: the largest message (MSGMAX), a new queue's byte
/// limit (MSGMNB), queues (MSGMNI), and what `struct msginfo` reports of
/// the pool (MSGPOOL in KiB, MSGMAP, MSGTQL, MSGSSZ, MSGSEG).
pub(crate) const MSGMAX: u64 = 8192;
pub(crate) const MSGMNB: u64 = 16384;
pub(crate) const MSGMNI: usize = 32000;
const MSGPOOL: i32 = (MSGMNI as u64 * MSGMNB / 1024) as i32;
const MSGMAP: i32 = MSGMNB as i32;
const MSGTQL: i32 = MSGMNB as i32;
const MSGSSZ: i32 = 16;
const MSGSEG: u16 = 0xffff;

/// Sizes of `struct msqid64_ds` (asm-generic/msgbuf.h, 64-bit) and
/// `struct msginfo` (linux/msg.h: seven ints and an unsigned short, padded).
pub(crate) const MSQID64_DS_SIZE: usize = 120;
pub(crate) const MSGINFO_SIZE: usize = 32;

/// One message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
}

/// One queue.
#[derive(Debug)]
pub(crate) struct Queue {
    messages: VecDeque<Message>,
    /// Bytes of text queued, and at most (msg_cbytes, msg_qbytes; the limit
    /// bounds the number of messages too).
    pub cbytes: u64,
    pub qbytes: u64,
    /// Last msgsnd, last msgrcv, last change (seconds; 0: never).
    pub stime: i64,
    pub rtime: i64,
    pub ctime: i64,
    /// The process of the last msgsnd and of the last msgrcv.
    pub lspid: u32,
    pub lrpid: u32,
}

impl Queue {
    pub(crate) fn new(now: i64) -> Self {
        Queue {
            messages: VecDeque::new(),
            cbytes: 0,
            qbytes: MSGMNB,
            stime: 0,
            rtime: 0,
            ctime: now,
            lspid: 0,
            lrpid: 0,
        }
    }

    /// Messages queued (msg_qnum).
    pub(crate) fn len(&self) -> usize {
        self.messages.len()
    }

    /// Is there room for one more message of `len` bytes?
    pub(crate) fn fits(&self, len: u64) -> bool {
        self.cbytes + len <= self.qbytes && (self.messages.len() as u64) < self.qbytes
    }

    /// Queue `msg`, sent by `pid` at `now`.
    pub(crate) fn push(&mut self, msg: Message, pid: u32, now: i64) {
        self.cbytes += msg.text.len() as u64;
        self.messages.push_back(msg);
        self.lspid = pid;
        self.stime = now;
    }

    /// The index of the message msgrcv with `msgtyp` and `flags` takes:
    /// with MSG_COPY the `msgtyp`-th message (from 0); else for 0 the
    /// first; for a positive type the first of that type (with MSG_EXCEPT
    /// the first of another type); for a negative one the first of the
    /// lowest type up to its absolute value.
    pub(crate) fn select(&self, msgtyp: i64, flags: u32) -> Option<usize> {
        if flags & MSG_COPY != 0 {
            return usize::try_from(msgtyp)
                .ok()
                .filter(|&i| i < self.messages.len());
        }
        let m = &self.messages;
        match msgtyp {
            0 => (!m.is_empty()).then_some(0),
            t if t > 0 && flags & MSG_EXCEPT != 0 => m.iter().position(|x| x.mtype != t),
            t if t > 0 => m.iter().position(|x| x.mtype == t),
            t => {
                let limit = t.checked_neg().unwrap_or(i64::MAX);
                let mut best: Option<usize> = None;
                for (i, x) in m.iter().enumerate() {
                    if x.mtype <= limit && best.is_none_or(|b| x.mtype < m[b].mtype) {
                        best = Some(i);
                    }
                }
                best
            }
        }
    }

    pub(crate) fn get(&self, index: usize) -> Option<&Message> {
        self.messages.get(index)
    }

    /// Take message `index` out, received by `pid` at `now`.
    pub(crate) fn take(&mut self, index: usize, pid: u32, now: i64) -> Option<Message> {
        let msg = self.messages.remove(index)?;
        self.cbytes -= msg.text.len() as u64;
        self.lrpid = pid;
        self.rtime = now;
        Some(msg)
    }

    /// `struct msqid64_ds`: the perm, msg_stime, msg_rtime, msg_ctime
    /// (longs at 48, 56, 64), msg_cbytes, msg_qnum, msg_qbytes (longs at 72,
    /// 80, 88), msg_lspid and msg_lrpid (ints at 96, 100), two unused longs.
    pub(crate) fn encode(&self, perm: &Perm) -> [u8; MSQID64_DS_SIZE] {
        let mut b = [0u8; MSQID64_DS_SIZE];
        b[..IPC64_PERM_SIZE].copy_from_slice(&perm.encode());
        put_u64(&mut b, 48, self.stime as u64);
        put_u64(&mut b, 56, self.rtime as u64);
        put_u64(&mut b, 64, self.ctime as u64);
        put_u64(&mut b, 72, self.cbytes);
        put_u64(&mut b, 80, self.messages.len() as u64);
        put_u64(&mut b, 88, self.qbytes);
        put_u32(&mut b, 96, self.lspid);
        put_u32(&mut b, 100, self.lrpid);
        b
    }
}

/// `struct msginfo`: msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz,
/// msgtql (ints), msgseg (an unsigned short at 28). For MSG_INFO (`usage`:
/// queues, messages and bytes in use) msgpool, msgmap and msgtql say those.
pub(crate) fn encode_msginfo(usage: Option<(usize, u64, u64)>) -> [u8; MSGINFO_SIZE] {
    let (pool, map, tql) = match usage {
        Some((queues, messages, bytes)) => (queues as i32, messages as i32, bytes as i32),
        None => (MSGPOOL, MSGMAP, MSGTQL),
    };
    let fields = [
        pool,
        map,
        MSGMAX as i32,
        MSGMNB as i32,
        MSGMNI as i32,
        MSGSSZ,
        tql,
    ];
    let mut b = [0u8; MSGINFO_SIZE];
    for (i, f) in fields.iter().enumerate() {
        put_u32(&mut b, i * 4, *f as u32);
    }
    b[28..30].copy_from_slice(&MSGSEG.to_le_bytes());
    b
}

#[cfg(test)]
mod tests {
    use super::super::ids::{u32_at, u64_at, Caller};
    use super::*;

    fn queue(types: &[i64]) -> Queue {
        let mut q = Queue::new(0);
        for (i, &t) in types.iter().enumerate() {
            q.push(
                Message {
                    mtype: t,
                    text: vec![i as u8; i + 1],
                },
                1,
                1,
            );
        }
        q
    }

    #[test]
    fn message_selection_by_type() {
        let q = queue(&[3, 1, 2, 1, 5]);
        assert_eq!(q.select(0, 0), Some(0));
        assert_eq!(q.select(1, 0), Some(1));
        assert_eq!(q.select(4, 0), None);
        assert_eq!(q.select(3, MSG_EXCEPT), Some(1));
        // The lowest type up to |msgtyp|, the first of equals.
        assert_eq!(q.select(-2, 0), Some(1));
        assert_eq!(q.select(-10, 0), Some(1));
        assert_eq!(q.select(-3, 0), Some(1));
        assert_eq!(queue(&[4, 3, 5]).select(-4, 0), Some(1));
        assert_eq!(queue(&[4, 3, 5]).select(-2, 0), None);
        assert_eq!(queue(&[7]).select(i64::MIN, 0), Some(0));
        // MSG_COPY: by position.
        assert_eq!(q.select(4, MSG_COPY), Some(4));
        assert_eq!(q.select(5, MSG_COPY), None);
        assert_eq!(q.select(-1, MSG_COPY), None);
        assert_eq!(Queue::new(0).select(0, 0), None);
    }

    #[test]
    fn the_byte_limit_bounds_bytes_and_messages() {
        let mut q = Queue::new(5);
        assert!(q.fits(16384));
        assert!(!q.fits(16385));
        q.qbytes = 2;
        q.push(
            Message {
                mtype: 1,
                text: vec![],
            },
            1,
            1,
        );
        q.push(
            Message {
                mtype: 1,
                text: vec![],
            },
            1,
            1,
        );
        assert!(!q.fits(0), "two empty messages fill a 2-byte queue");
        let m = q.take(0, 2, 3).unwrap();
        assert_eq!(m.mtype, 1);
        assert_eq!((q.lrpid, q.rtime, q.len()), (2, 3, 1));
    }

    #[test]
    fn layouts() {
        let me = Caller {
            pid: 1,
            uid: 2,
            gid: 3,
        };
        let mut q = queue(&[1, 2]);
        q.lrpid = 9;
        let b = q.encode(&Perm::new(5, &me, 0o600));
        assert_eq!(b.len(), 120);
        assert_eq!(u64_at(&b, 72), 3, "cbytes");
        assert_eq!(u64_at(&b, 80), 2, "qnum");
        assert_eq!(u64_at(&b, 88), 16384, "qbytes");
        assert_eq!((u32_at(&b, 96), u32_at(&b, 100)), (1, 9));
        let i = encode_msginfo(None);
        assert_eq!(u32_at(&i, 8), 8192, "msgmax");
        assert_eq!(u32_at(&i, 12), 16384, "msgmnb");
        assert_eq!(u32_at(&i, 16), 32000, "msgmni");
        assert_eq!(&i[28..30], &[0xff, 0xff], "msgseg");
        let u = encode_msginfo(Some((4, 5, 6)));
        assert_eq!((u32_at(&u, 0), u32_at(&u, 4), u32_at(&u, 24)), (4, 5, 6));
    }
}
