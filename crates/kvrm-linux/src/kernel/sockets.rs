//! Socket calls that wait. Guest sockets are host sockets kept non-blocking
//! (syscalls/socket.rs): the call is tried at once, and when the host says
//! it would block (EAGAIN; EINPROGRESS or EALREADY for connect) and the
//! guest did not ask for O_NONBLOCK or MSG_DONTWAIT, only the calling thread
//! waits for the descriptor, up to SO_RCVTIMEO / SO_SNDTIMEO, then calls
//! again. Reads and writes of sockets go the same way. Trying first, rather
//! than polling first, keeps a blocking call blocking when another process
//! took what made the descriptor ready (several processes accepting on one
//! listening socket).

use std::time::Duration;

use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::errno::*;
use crate::syscalls::nr::{READ, READV, WRITE, WRITEV};
use crate::syscalls::socket::{
    nr::*, waitall_len, waitall_short, write_segments, EALREADY, EINPROGRESS,
};

/// A unix-domain connect to a full backlog and a MSG_WAITALL receive that
/// has part of its bytes look again this often (no readiness event says
/// when they can go on).
const RECHECK: Duration = Duration::from_millis(2);

impl Kernel {
    /// A call on a socket that may wait: done here, the thread waiting when
    /// it would block. `None` for any other call (the usual path).
    pub(crate) fn socket_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        let (write, flags) = match n {
            READ | READV => (false, 0),
            WRITE | WRITEV => (true, 0),
            RECVFROM => (false, a[3]),
            SENDTO => (true, a[3]),
            RECVMSG => (false, a[2]),
            SENDMSG => (true, a[2]),
            RECVMMSG => (false, a[3]),
            SENDMMSG => (true, a[3]),
            ACCEPT | ACCEPT4 => (false, 0),
            CONNECT => (true, 0),
            _ => return None,
        };
        let pid = self.threads.get(&tid)?.pid;
        let p = self.procs.get(&pid)?;
        let plan = p.linux.socket_wait(a[0], write, flags)?;
        let space = self.engine.space(p.space);
        if waitall_len(space, n, a).is_some_and(|want| waitall_short(plan.raw, want)) {
            // Part of what MSG_WAITALL wants is there: the descriptor is
            // readable already, so look again shortly.
            return Some(Outcome::Wait(Wait::Lock(self.now() + RECHECK)));
        }
        self.linux_call(tid, n, a);
        let Some(machine) = self.threads.get(&tid).map(|t| t.machine) else {
            return Some(Outcome::Gone);
        };
        let r = self.engine.state(machine).x[0] as i64;
        let wait = if r == -EAGAIN && n == CONNECT {
            Wait::Lock(self.now() + RECHECK)
        } else if r == -EAGAIN || (n == CONNECT && (r == -EINPROGRESS || r == -EALREADY)) {
            Wait::Retry {
                fds: vec![(plan.raw, plan.events)],
                deadline: plan.timeout.and_then(|t| self.now().checked_add(t)),
            }
        } else {
            return Some(Outcome::Gone); // the result is in x0
        };
        // The call is made again with the same arguments.
        self.engine.state_mut(machine).x[0] = a[0];
        Some(Outcome::Wait(wait))
    }
}

impl Kernel {
    /// write(), writev(), sendto() and sendmsg() of a descriptor the guest
    /// blocks on but the host does not (pipes, sockets;
    /// `OpenFile::host_nonblock`): as on Linux, the call ends only when
    /// every byte is written, waiting for room as often as it takes. A
    /// handled signal, an error or a send timeout after part was written
    /// ends it with the count written so far (`Thread::io_done`, kept across
    /// the waits). A vectored call is made whole first (so a pipe write of
    /// at most PIPE_BUF bytes stays atomic); after a short count, the rest
    /// goes out as writes (sends) of what is left of each buffer in turn.
    /// `None`: the usual path.
    pub(crate) fn write_all_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        let (flags, socket) = match n {
            WRITE | WRITEV => (0, false),
            SENDTO => (a[3], true),
            SENDMSG => (a[2], true),
            _ => return None,
        };
        let t = self.threads.get(&tid)?;
        let (pid, done, machine) = (t.pid, t.io_done, t.machine);
        let p = self.procs.get(&pid)?;
        let raw = p.linux.blocking_write_fd(a[0], flags, socket)?;
        let (call, rest, want) = if n == WRITEV || n == SENDMSG {
            let segments = write_segments(self.engine.space(p.space), n, a)?;
            let want = segments.iter().map(|&(_, l)| l).sum::<u64>();
            match rest_of_segments(&segments, done) {
                None => (n, a, want),
                Some((base, len)) if socket => (SENDTO, [a[0], base, len, flags, 0, 0], want),
                Some((base, len)) => (WRITE, [a[0], base, len, 0, 0, 0], want),
            }
        } else {
            // The rest of the buffer, through the usual paths.
            let mut rest = a;
            rest[1] = a[1].wrapping_add(done);
            rest[2] = a[2].saturating_sub(done);
            (n, rest, a[2])
        };
        match self
            .socket_call(tid, call, rest)
            .or_else(|| self.io_wait(pid, a[0], true))
        {
            Some(Outcome::Wait(w)) => return Some(Outcome::Wait(w)),
            Some(Outcome::Return(v)) => self.set_return(tid, v),
            Some(Outcome::Gone) => {}
            None => self.linux_call(tid, call, rest),
        }
        // The process's Linux layer counted the call.
        self.linux_counted = true;
        let r = self.engine.state(machine).x[0] as i64;
        let t = self.threads.get_mut(&tid)?;
        if r > 0 && done + (r as u64) < want {
            // Short: wait for room, then write the rest.
            t.io_done = done + r as u64;
            self.engine.state_mut(machine).x[0] = a[0];
            return Some(Outcome::Wait(Wait::Retry {
                fds: vec![(raw, libc::POLLOUT)],
                deadline: None,
            }));
        }
        t.io_done = 0;
        let total = if r >= 0 {
            done + r as u64
        } else if done > 0 {
            done
        } else {
            r as u64
        };
        Some(Outcome::Return(total))
    }
}

/// Where a vectored write that has written `done` bytes goes on: the rest
/// of the first buffer not yet written in full (`None` before anything
/// was written, or when nothing is left).
fn rest_of_segments(segments: &[(u64, u64)], done: u64) -> Option<(u64, u64)> {
    if done == 0 {
        return None;
    }
    let mut skip = done;
    for &(base, len) in segments {
        if skip < len {
            return Some((base.wrapping_add(skip), len - skip));
        }
        skip -= len;
    }
    None
}

/// What a call that waited with a deadline returns when it passes: 0 for
/// ppoll and the like, EAGAIN for a socket's SO_RCVTIMEO / SO_SNDTIMEO,
/// EINPROGRESS for connect.
pub(crate) fn timed_out_result(n: u64) -> u64 {
    match n {
        CONNECT => (-EINPROGRESS) as u64,
        READ | READV | WRITE | WRITEV | RECVFROM | SENDTO | RECVMSG | SENDMSG | RECVMMSG
        | SENDMMSG | ACCEPT | ACCEPT4 => (-EAGAIN) as u64,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::rest_of_segments;

    #[test]
    fn vectored_writes_go_on_where_they_stopped() {
        let segs = [(0x1000, 10), (0x2000, 0), (0x3000, 5)];
        assert_eq!(rest_of_segments(&segs, 0), None);
        assert_eq!(rest_of_segments(&segs, 4), Some((0x1004, 6)));
        assert_eq!(rest_of_segments(&segs, 10), Some((0x3000, 5)));
        assert_eq!(rest_of_segments(&segs, 12), Some((0x3002, 3)));
        assert_eq!(rest_of_segments(&segs, 15), None);
    }
}
