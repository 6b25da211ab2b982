//! System V IPC (man 7 sysvipc): shared memory segments (shmget, shmat,
//! shmdt, shmctl), semaphore sets (semget, semop, semtimedop, semctl) and
//! message queues (msgget, msgsnd, msgrcv, msgctl), in one IPC namespace
//! per kernel: every guest process of a run shares it, and none of the
//! host's objects are in it.
//!
//! The objects and their rules are in `ids.rs` (keys, ids, permissions),
//! `shm.rs`, `sem.rs` and `msg.rs`; this file is the syscalls, the waiting
//! and what processes leave behind when they fork, exec and exit.
//!
//! Waiting: a semop, msgsnd or msgrcv that cannot go on puts only its
//! thread to sleep (`Wait::Ipc`, holding the call's operations, message or
//! buffer), as futex waits do. Whenever an object changes (an operation
//! that altered it, semctl SETVAL/SETALL, msgctl IPC_SET, an exiting
//! process's SEM_UNDO adjustments) the calls waiting on it are tried again
//! at once, in the order they began to wait, and again from the first while
//! one of them changes the object; one that completes returns to its thread.
//! Removing the object ends the waits with EIDRM; a handled signal with
//! EINTR (these calls are never restarted); semtimedop's timeout with
//! EAGAIN. The kernel services syscalls one after another, between engine
//! runs, so each attempt is atomic with respect to every guest thread, on
//! the CPU and the CUDA backends alike.

mod ids;
mod msg;
mod sem;
mod shm;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use kvrm_isa::space::{SharedBacking, SharedObject};
use kvrm_isa::{Perms, SpaceId, PAGE_SIZE};

use super::{Kernel, Outcome, Pid, Wait};
use crate::abi::errno::*;
use crate::abi::layout::{MMAP_MIN, USER_TOP};
use crate::syscalls::{misc_read_timespec, LinuxProcess};
use ids::*;
use msg::*;
use sem::*;
use shm::*;

/// The syscalls (arm64 numbers).
mod num {
    pub const MSGGET: u64 = 186;
    pub const MSGCTL: u64 = 187;
    pub const MSGRCV: u64 = 188;
    pub const MSGSND: u64 = 189;
    pub const SEMGET: u64 = 190;
    pub const SEMCTL: u64 = 191;
    pub const SEMTIMEDOP: u64 = 192;
    pub const SEMOP: u64 = 193;
    pub const SHMGET: u64 = 194;
    pub const SHMCTL: u64 = 195;
    pub const SHMAT: u64 = 196;
    pub const SHMDT: u64 = 197;
}

/// Execute permission (S_IXUGO), which SHM_EXEC asks for.
const EXEC: u32 = 0o111;
/// Bytes a queued message is counted as against the memory limit besides
/// its text (so that empty messages, which a raised msg_qbytes lets pile
/// up, are not free).
const MSG_OVERHEAD: u64 = 64;

/// The IPC objects of one kernel.
pub(crate) struct IpcNamespace {
    shm: IdTable<Segment>,
    sem: IdTable<SemSet>,
    msg: IdTable<Queue>,
    /// SEM_UNDO: for each process and semaphore set it used SEM_UNDO on,
    /// what to add to each semaphore when the process ends (semadj).
    undo: BTreeMap<(Pid, i32), Adjustments>,
    /// Messages and their bytes in every queue.
    msg_count: u64,
    msg_bytes: u64,
    /// The next waiter's ticket: waiters are served in ticket order.
    next_ticket: u64,
}

impl Default for IpcNamespace {
    fn default() -> Self {
        IpcNamespace {
            shm: IdTable::new(SHMMNI),
            sem: IdTable::new(SEMMNI),
            msg: IdTable::new(MSGMNI),
            undo: BTreeMap::new(),
            msg_count: 0,
            msg_bytes: 0,
            next_ticket: 0,
        }
    }
}

impl IpcNamespace {
    fn is_empty(&self) -> bool {
        self.shm.len() == 0 && self.sem.len() == 0 && self.msg.len() == 0
    }
}

/// Which table a waiter's object is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WaitOn {
    Sem,
    Msg,
}

/// A thread waiting in semop, semtimedop, msgsnd or msgrcv.
#[derive(Debug, Clone)]
pub(crate) struct IpcWait {
    on: WaitOn,
    id: i32,
    ticket: u64,
    /// semtimedop's timeout: EAGAIN then.
    pub(crate) deadline: Option<Duration>,
    call: BlockedCall,
}

/// What a waiting call does when it can: the call's arguments as read when
/// it began (Linux copies the operations and the message in at once).
#[derive(Debug, Clone)]
enum BlockedCall {
    Semop {
        ops: Vec<SemBuf>,
        blocked: Blocked,
    },
    Msgsnd {
        msg: Message,
    },
    Msgrcv {
        buf: u64,
        size: u64,
        msgtyp: i64,
        flags: u32,
    },
}

impl BlockedCall {
    /// Does completing it change the object, so others may go on?
    fn changes_object(&self) -> bool {
        match self {
            BlockedCall::Semop { ops, .. } => ops.iter().any(|o| o.op != 0),
            BlockedCall::Msgsnd { .. } | BlockedCall::Msgrcv { .. } => true,
        }
    }
}

/// One attempt of a call that may wait.
enum Step {
    /// It completed: this is its result.
    Done(u64),
    /// It must wait (on this semaphore, for semop).
    Wait(Option<Blocked>),
    /// It fails.
    Fail(i64),
}

/// What /proc/sysvipc/{shm,sem,msg} list, made by the kernel for a call
/// that names a /proc path: their lines after the header.
#[derive(Debug, Default)]
pub(crate) struct ProcFiles {
    shm: String,
    sem: String,
    msg: String,
}

impl LinuxProcess {
    /// /proc/sysvipc/`name` (shm, sem or msg), as Linux formats it on a
    /// 64-bit kernel.
    pub(crate) fn sysvipc_file(&self, name: &str) -> Vec<u8> {
        let files = self.sysvipc.as_deref();
        let (header, rows) = match name {
            "sysvipc/shm" => (
                "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
                files.map(|f| f.shm.as_str()),
            ),
            "sysvipc/sem" => (
                "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
                files.map(|f| f.sem.as_str()),
            ),
            _ => (
                "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
                files.map(|f| f.msg.as_str()),
            ),
        };
        let mut s = header.to_string();
        s.push_str(rows.unwrap_or(""));
        s.into_bytes()
    }
}

impl Kernel {
    /// The System V IPC syscalls; `None` for any other.
    pub(crate) fn sysv_ipc_call(&mut self, tid: Pid, n: u64, a: [u64; 6]) -> Option<Outcome> {
        use num::*;
        if !(MSGGET..=SHMDT).contains(&n) {
            return None;
        }
        let c = self.ipc_caller(tid)?;
        Some(match n {
            MSGGET => self.sys_msgget(c, a).into(),
            MSGCTL => self.sys_msgctl(c, a).into(),
            MSGSND => self.sys_msgsnd(c, a).unwrap_or_else(Outcome::errno),
            MSGRCV => self.sys_msgrcv(c, a).unwrap_or_else(Outcome::errno),
            SEMGET => self.sys_semget(c, a).into(),
            SEMCTL => self.sys_semctl(c, a).into(),
            SEMOP => self.sys_semtimedop(c, a, 0).unwrap_or_else(Outcome::errno),
            SEMTIMEDOP => self
                .sys_semtimedop(c, a, a[3])
                .unwrap_or_else(Outcome::errno),
            SHMGET => self.sys_shmget(c, a).into(),
            SHMCTL => self.sys_shmctl(c, a).into(),
            SHMAT => self.sys_shmat(c, a).into(),
            _ => self.sys_shmdt(c, a[0]).into(),
        })
    }

    /// The process of thread `tid` and its identity.
    fn ipc_caller(&self, tid: Pid) -> Option<Caller> {
        let pid = self.threads.get(&tid)?.pid;
        let p = self.procs.get(&pid)?;
        Some(Caller {
            pid,
            uid: p.linux.uid,
            gid: p.linux.gid,
        })
    }

    fn ipc_space(&self, pid: Pid) -> Result<SpaceId, i64> {
        self.procs.get(&pid).map(|p| p.space).ok_or(ESRCH)
    }

    /// The time stamps of IPC objects: seconds of process `pid`'s
    /// CLOCK_REALTIME (the virtual clock of a deterministic run).
    // time_t is not i64 on every host: keep the cast.
    #[allow(clippy::unnecessary_cast)]
    fn ipc_now(&mut self, pid: Pid) -> i64 {
        let now_ns = self.now().as_nanos() as u64;
        let Some(p) = self.procs.get_mut(&pid) else {
            return 0;
        };
        if let Some(d) = p.linux.det.as_mut() {
            d.now_ns = now_ns;
        }
        p.linux.clock(0).map_or(0, |t| t.tv_sec as i64)
    }

    /// A wait in the queue of object `id`, after every earlier one.
    fn ipc_wait(
        &mut self,
        on: WaitOn,
        id: i32,
        deadline: Option<Duration>,
        call: BlockedCall,
    ) -> Outcome {
        let ticket = self.ipc.next_ticket;
        self.ipc.next_ticket += 1;
        Outcome::Wait(Wait::Ipc(Box::new(IpcWait {
            on,
            id,
            ticket,
            deadline,
            call,
        })))
    }

    /// The threads waiting on object `id`, in the order they began to wait.
    fn ipc_waiters(&self, on: WaitOn, id: i32) -> Vec<Pid> {
        let mut w: Vec<(u64, Pid)> = self
            .threads
            .iter()
            .filter_map(|(&tid, t)| match &t.wait {
                Some(Wait::Ipc(w)) if w.on == on && w.id == id => Some((w.ticket, tid)),
                _ => None,
            })
            .collect();
        w.sort_unstable();
        w.into_iter().map(|(_, tid)| tid).collect()
    }

    /// End thread `tid`'s wait with result `v`.
    fn end_ipc_wait(&mut self, tid: Pid, v: u64) {
        if let Some(t) = self.threads.get_mut(&tid) {
            t.wait = None;
        }
        self.set_return(tid, v);
    }

    /// Object `id` changed: try its waiters' calls again, first come first
    /// served, from the first again whenever one completes and changes it.
    fn ipc_serve(&mut self, on: WaitOn, id: i32) {
        'again: loop {
            for tid in self.ipc_waiters(on, id) {
                let Some(Some(Wait::Ipc(w))) = self.threads.get(&tid).map(|t| t.wait.clone())
                else {
                    continue;
                };
                let Some(c) = self.ipc_caller(tid) else {
                    continue;
                };
                let step = match &w.call {
                    BlockedCall::Semop { ops, .. } => self.semop_attempt(c.pid, id, ops),
                    BlockedCall::Msgsnd { msg } => self.msgsnd_attempt(c, id, msg, 0),
                    &BlockedCall::Msgrcv {
                        buf,
                        size,
                        msgtyp,
                        flags,
                    } => self.msgrcv_attempt(c, id, buf, size, msgtyp, flags),
                };
                match step {
                    Step::Wait(Some(now_blocked)) => {
                        if let Some(Some(Wait::Ipc(w))) =
                            self.threads.get_mut(&tid).map(|t| t.wait.as_mut())
                        {
                            if let BlockedCall::Semop { blocked, .. } = &mut w.call {
                                *blocked = now_blocked;
                            }
                        }
                    }
                    Step::Wait(None) => {}
                    Step::Done(v) => {
                        self.end_ipc_wait(tid, v);
                        if w.call.changes_object() {
                            continue 'again;
                        }
                    }
                    Step::Fail(e) => self.end_ipc_wait(tid, (-e) as u64),
                }
            }
            break;
        }
    }

    /// Object `id` was removed: its waiters fail with EIDRM.
    fn ipc_removed(&mut self, on: WaitOn, id: i32) {
        for tid in self.ipc_waiters(on, id) {
            self.end_ipc_wait(tid, (-EIDRM) as u64);
        }
    }

    /// What /proc/sysvipc shows now (`None`: no objects, the headers alone).
    pub(crate) fn sysvipc_proc_files(&self) -> Option<Arc<ProcFiles>> {
        if self.ipc.is_empty() {
            return None;
        }
        let mut f = ProcFiles::default();
        let counts = self.shm_attach_counts();
        for (id, e) in self.ipc.shm.iter() {
            let (p, s) = (&e.perm, &e.obj);
            let nattch = counts.get(&s.object()).copied().unwrap_or(0);
            if p.mode & SHM_DEST != 0 && nattch == 0 {
                continue; // gone, though not taken out of the table yet
            }
            let _ = writeln!(
                f.shm,
                "{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}",
                p.key,
                id,
                p.mode,
                s.size,
                s.cpid,
                s.lpid,
                nattch,
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                s.atime,
                s.dtime,
                s.ctime,
                s.resident_pages() * PAGE_SIZE,
                0
            );
        }
        for (id, e) in self.ipc.sem.iter() {
            let (p, s) = (&e.perm, &e.obj);
            let _ = writeln!(
                f.sem,
                "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}",
                p.key,
                id,
                p.mode,
                s.len(),
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                s.otime,
                s.ctime
            );
        }
        for (id, e) in self.ipc.msg.iter() {
            let (p, q) = (&e.perm, &e.obj);
            let _ = writeln!(
                f.msg,
                "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}",
                p.key,
                id,
                p.mode,
                q.cbytes,
                q.len(),
                q.lspid,
                q.lrpid,
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                q.stime,
                q.rtime,
                q.ctime
            );
        }
        Some(Arc::new(f))
    }

    // ----- shared memory ------------------------------------------------------

    /// Attachments of each segment: in every live address space, each run
    /// of shared pages that shows the segment's pages in order (a partly
    /// unmapped attachment still counts once).
    fn shm_attach_counts(&self) -> HashMap<SharedObject, u64> {
        let mut counts = HashMap::new();
        if self.ipc.shm.len() == 0 {
            return counts;
        }
        for (_, e) in self.ipc.shm.iter() {
            counts.insert(e.obj.object(), 0);
        }
        let spaces: BTreeSet<SpaceId> = self
            .procs
            .values()
            .filter(|p| p.exit.is_none())
            .map(|p| p.space)
            .collect();
        for space in spaces {
            let mem = self.engine.space(space);
            if !mem.has_shared_mappings() {
                continue;
            }
            // (object, end address, next backing page) of the piece before.
            let mut prev: Option<(SharedObject, u64, u64)> = None;
            for p in mem.shared_pieces(0, u64::MAX) {
                let obj = p.backing.object().0;
                let Some(n) = counts.get_mut(&obj) else {
                    prev = None;
                    continue;
                };
                if prev != Some((obj, p.start, p.first)) {
                    *n += 1;
                }
                prev = Some((obj, p.end, p.first + (p.end - p.start) / PAGE_SIZE));
            }
        }
        counts
    }

    /// The segments attached in `space`, by id.
    fn shm_attached_in(&self, space: SpaceId) -> Vec<i32> {
        if self.ipc.shm.len() == 0 || !self.engine.space(space).has_shared_mappings() {
            return Vec::new();
        }
        let shown: HashSet<SharedObject> = self
            .engine
            .space(space)
            .shared_pieces(0, u64::MAX)
            .iter()
            .map(|p| p.backing.object().0)
            .collect();
        self.ipc
            .shm
            .iter()
            .filter(|(_, e)| shown.contains(&e.obj.object()))
            .map(|(id, _)| id)
            .collect()
    }

    /// Take out the segments marked for removal that nothing attaches any
    /// more (their memory goes with the last space that held it).
    fn shm_destroy_unused(&mut self) {
        if !self
            .ipc
            .shm
            .iter()
            .any(|(_, e)| e.perm.mode & SHM_DEST != 0)
        {
            return;
        }
        let counts = self.shm_attach_counts();
        let unused: Vec<i32> = self
            .ipc
            .shm
            .iter()
            .filter(|(_, e)| {
                e.perm.mode & SHM_DEST != 0 && counts.get(&e.obj.object()).is_none_or(|&n| n == 0)
            })
            .map(|(id, _)| id)
            .collect();
        for id in unused {
            self.ipc.shm.remove(id);
        }
    }

    /// Process `pid` forked a child from `parent_space`: its attachments
    /// are the child's too, which counts as attaching them (Linux's
    /// shm_open of the copied mappings).
    pub(crate) fn shm_forked(&mut self, pid: Pid, parent_space: SpaceId) {
        let ids = self.shm_attached_in(parent_space);
        if ids.is_empty() {
            return;
        }
        let now = self.ipc_now(pid);
        for id in ids {
            if let Ok(e) = self.ipc.shm.get_mut(id) {
                e.obj.atime = now;
                e.obj.lpid = pid;
            }
        }
    }

    /// Address space `space` of process `pid` is about to go (exit, exec):
    /// the segments it attaches, which it detaches.
    pub(crate) fn shm_space_ending(&self, space: SpaceId) -> Vec<i32> {
        self.shm_attached_in(space)
    }

    /// The space went: its segments were detached by `pid`, and those
    /// marked for removal may be gone now.
    pub(crate) fn shm_space_ended(&mut self, pid: Pid, detached: Vec<i32>) {
        if detached.is_empty() {
            return;
        }
        let now = self.ipc_now(pid);
        for id in detached {
            if let Ok(e) = self.ipc.shm.get_mut(id) {
                e.obj.dtime = now;
                e.obj.lpid = pid;
            }
        }
        self.shm_destroy_unused();
    }

    /// shmget(key, size, shmflg).
    fn sys_shmget(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (key, size, flags) = (a[0] as i32, a[1], a[2] as u32);
        let now = self.ipc_now(c.pid);
        self.shm_destroy_unused();
        let limit = self.config.memory_limit;
        let total_pages: u64 = self.ipc.shm.iter().map(|(_, e)| e.obj.pages()).sum();
        let make = || {
            if !(SHMMIN..=SHMMAX).contains(&size) {
                return Err(EINVAL);
            }
            let pages = size.div_ceil(PAGE_SIZE);
            if total_pages.saturating_add(pages) > SHMALL {
                return Err(ENOSPC);
            }
            // The guests' memory limit bounds all segments together.
            if total_pages.saturating_add(pages).saturating_mul(PAGE_SIZE) > limit {
                return Err(ENOMEM);
            }
            Ok(Segment {
                size,
                memory: crate::shared::HostShared::anonymous(pages)?,
                atime: 0,
                dtime: 0,
                ctime: now,
                cpid: c.pid,
                lpid: 0,
            })
        };
        let exists = |s: &Segment| if s.size < size { Err(EINVAL) } else { Ok(()) };
        get_or_create(&mut self.ipc.shm, key, flags, &c, exists, make).map(|id| id as u64)
    }

    /// shmat(shmid, shmaddr, shmflg): the address the segment is attached at.
    fn sys_shmat(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (id, mut addr, flags) = (a[0] as i32, a[1], a[2] as u32);
        if id < 0 {
            return Err(EINVAL);
        }
        if addr != 0 {
            if addr & (SHMLBA - 1) != 0 {
                if flags & SHM_RND == 0 {
                    return Err(EINVAL);
                }
                addr &= !(SHMLBA - 1);
                if addr == 0 && flags & SHM_REMAP != 0 {
                    return Err(EINVAL);
                }
            }
        } else if flags & SHM_REMAP != 0 {
            return Err(EINVAL);
        }
        let (mut perms, mut access) = if flags & SHM_RDONLY != 0 {
            (Perms::R, READ)
        } else {
            (Perms::RW, READ | WRITE)
        };
        if flags & SHM_EXEC != 0 {
            perms = Perms(perms.0 | Perms::X.0);
            access |= EXEC;
        }
        let now = self.ipc_now(c.pid);
        self.shm_destroy_unused();
        let e = self.ipc.shm.get(id)?;
        if !e.perm.permits(&c, access) {
            return Err(EACCES);
        }
        let len = e.obj.pages() * PAGE_SIZE;
        let name = format!("/SYSV{:08x} (deleted)", e.perm.key as u32).into_bytes();
        let memory = e.obj.memory.clone();
        // Attaching maps memory: the memory limit applies, as to mmap.
        if len > self.commit_room() {
            return Err(ENOMEM);
        }
        let space = self.ipc_space(c.pid)?;
        let mmap_top = self.procs[&c.pid].linux.mmap_top;
        let mem = self.engine.space_mut(space);
        let base = if addr != 0 {
            let end = addr.checked_add(len).ok_or(EINVAL)?;
            if end > USER_TOP {
                return Err(ENOMEM);
            }
            if flags & SHM_REMAP == 0 && mem.overlaps(addr, end) {
                return Err(EINVAL);
            }
            mem.map_fixed(addr, len, perms).map_err(|_| ENOMEM)?;
            addr
        } else {
            let base = mem
                .find_free_below(len, MMAP_MIN, mmap_top)
                .map_err(|_| ENOMEM)?;
            mem.map(base, len, perms).map_err(|_| ENOMEM)?;
            base
        };
        let backing: Arc<dyn SharedBacking> = if flags & SHM_RDONLY != 0 {
            Arc::new(ReadOnlyAttach(memory))
        } else {
            memory
        };
        if mem.attach_shared(base, len, backing, 0).is_err() {
            let _ = mem.unmap(base, len);
            return Err(ENOMEM);
        }
        self.commit_changed(space);
        if let Some(p) = self.procs.get_mut(&c.pid) {
            crate::procfs::note_mapping(&mut p.linux.map_names, base, base + len, 0, name);
        }
        if let Ok(e) = self.ipc.shm.get_mut(id) {
            e.obj.atime = now;
            e.obj.lpid = c.pid;
        }
        Ok(base)
    }

    /// shmdt(shmaddr): detach the segment attached at `addr`: the first
    /// piece of a segment at or above `addr` whose offset in it is its
    /// distance from `addr`, and the segment's other pieces that lie as
    /// attached at `addr` within its size.
    fn sys_shmdt(&mut self, c: Caller, addr: u64) -> Result<u64, i64> {
        if addr & (PAGE_SIZE - 1) != 0 {
            return Err(EINVAL);
        }
        let now = self.ipc_now(c.pid);
        let segments: HashMap<SharedObject, (i32, u64)> = self
            .ipc
            .shm
            .iter()
            .map(|(id, e)| (e.obj.object(), (id, e.obj.pages() * PAGE_SIZE)))
            .collect();
        let space = self.ipc_space(c.pid)?;
        let mem = self.engine.space_mut(space);
        let in_place = |start: u64, first: u64| (start - addr) / PAGE_SIZE == first;
        let mut found: Option<(SharedObject, i32, u64)> = None;
        let mut ranges = Vec::new();
        for p in mem.shared_pieces(addr, USER_TOP) {
            let obj = p.backing.object().0;
            match found {
                None => {
                    if let Some(&(id, len)) = segments.get(&obj) {
                        if in_place(p.start, p.first) {
                            found = Some((obj, id, len));
                            ranges.push((p.start, p.end));
                        }
                    }
                }
                Some((seg, _, len)) => {
                    if p.end - addr > len {
                        break;
                    }
                    if obj == seg && in_place(p.start, p.first) {
                        ranges.push((p.start, p.end));
                    }
                }
            }
        }
        let Some((_, id, _)) = found else {
            return Err(EINVAL);
        };
        for &(s, e) in &ranges {
            let _ = mem.unmap(s, e - s);
        }
        self.commit_changed(space);
        if let Some(p) = self.procs.get_mut(&c.pid) {
            for (s, e) in ranges {
                crate::procfs::forget_mappings(&mut p.linux.map_names, s, e);
            }
        }
        if let Ok(e) = self.ipc.shm.get_mut(id) {
            e.obj.dtime = now;
            e.obj.lpid = c.pid;
        }
        self.shm_destroy_unused();
        Ok(0)
    }

    /// shmctl(shmid, cmd, buf).
    fn sys_shmctl(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (id, cmd, buf) = (a[0] as i32, a[1] as i32, a[2]);
        if cmd < 0 || id < 0 {
            return Err(EINVAL);
        }
        self.shm_destroy_unused();
        match cmd {
            IPC_INFO => {
                self.proc_write(c.pid, buf, &encode_shminfo())?;
                Ok(self.ipc.shm.max_index())
            }
            SHM_INFO => {
                let (mut total, mut rss) = (0, 0);
                for (_, e) in self.ipc.shm.iter() {
                    total += e.obj.pages();
                    rss += e.obj.resident_pages();
                }
                let info = encode_shm_info(self.ipc.shm.len(), total, rss);
                self.proc_write(c.pid, buf, &info)?;
                Ok(self.ipc.shm.max_index())
            }
            IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
                let counts = self.shm_attach_counts();
                let (ret, e) =
                    self.ipc
                        .shm
                        .for_stat(&c, id, cmd != IPC_STAT, cmd == SHM_STAT_ANY)?;
                let nattch = counts.get(&e.obj.object()).copied().unwrap_or(0);
                let ds = e.obj.encode(&e.perm, nattch);
                self.proc_write(c.pid, buf, &ds)?;
                Ok(ret)
            }
            IPC_SET => {
                let raw = self.proc_read(c.pid, buf, SHMID64_DS_SIZE)?;
                let now = self.ipc_now(c.pid);
                let e = self.ipc.shm.changeable(&c, id)?;
                e.perm.set_from(&raw[..IPC64_PERM_SIZE]);
                e.obj.ctime = now;
                Ok(0)
            }
            IPC_RMID => {
                let e = self.ipc.shm.changeable(&c, id)?;
                // Gone when nothing attaches it; until then its id works,
                // its key is no longer found.
                e.perm.mode |= SHM_DEST;
                e.perm.key = IPC_PRIVATE;
                self.shm_destroy_unused();
                Ok(0)
            }
            SHM_LOCK | SHM_UNLOCK => {
                // Locking needs CAP_IPC_LOCK, or to own the segment (and a
                // RLIMIT_MEMLOCK above 0 to lock). Guest memory is never
                // swapped by kvrm: the flag is all there is to it.
                let memlock = self.procs.get(&c.pid).map_or(0, |p| p.linux.rlimits[8][0]);
                let e = self.ipc.shm.get_mut(id)?;
                if !c.privileged() {
                    let owner = c.uid == e.perm.uid || c.uid == e.perm.cuid;
                    if !owner || (cmd == SHM_LOCK && memlock == 0) {
                        return Err(EPERM);
                    }
                }
                if cmd == SHM_LOCK {
                    e.perm.mode |= SHM_LOCKED;
                } else {
                    e.perm.mode &= !SHM_LOCKED;
                }
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }

    // ----- semaphores ---------------------------------------------------------

    /// Semaphores in every set, and the most there may be (SEMMNS, and 16
    /// bytes each within the memory limit).
    fn sems_in_use(&self) -> usize {
        self.ipc.sem.iter().map(|(_, e)| e.obj.len()).sum()
    }

    fn sem_limit(&self) -> usize {
        SEMMNS.min(usize::try_from(self.config.memory_limit / SEM_BYTES).unwrap_or(usize::MAX))
    }

    /// semget(key, nsems, semflg).
    fn sys_semget(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (key, nsems, flags) = (a[0] as i32, a[1] as i32, a[2] as u32);
        if nsems < 0 || nsems as usize > SEMMSL {
            return Err(EINVAL);
        }
        let nsems = nsems as usize;
        let now = self.ipc_now(c.pid);
        let (in_use, limit) = (self.sems_in_use(), self.sem_limit());
        let make = || {
            if nsems == 0 {
                return Err(EINVAL);
            }
            if in_use + nsems > limit {
                return Err(ENOSPC);
            }
            Ok(SemSet::new(nsems, now))
        };
        let exists = |s: &SemSet| if nsems > s.len() { Err(EINVAL) } else { Ok(()) };
        get_or_create(&mut self.ipc.sem, key, flags, &c, exists, make).map(|id| id as u64)
    }

    /// Threads waiting at semaphore `num` of set `id` for an increase
    /// (GETNCNT) or for zero (GETZCNT).
    fn sem_waiting(&self, id: i32, num: u16, for_zero: bool) -> u64 {
        self.threads
            .values()
            .filter(|t| match &t.wait {
                Some(Wait::Ipc(w)) if w.on == WaitOn::Sem && w.id == id => matches!(
                    w.call,
                    BlockedCall::Semop { blocked, .. } if blocked == Blocked { num, for_zero }
                ),
                _ => false,
            })
            .count() as u64
    }

    /// Forget every process's adjustments of semaphore `num` of set `id`
    /// (every semaphore: `None`), as SETVAL and SETALL do.
    fn sem_clear_undo(&mut self, id: i32, num: Option<usize>) {
        for ((_, set), adj) in self.ipc.undo.iter_mut() {
            if *set != id {
                continue;
            }
            match num {
                Some(n) => {
                    adj.remove(&(n as u16));
                }
                None => adj.clear(),
            }
        }
    }

    /// semctl(semid, semnum, cmd, arg): `arg` is the union semun, passed by
    /// value (an int for SETVAL, a pointer otherwise).
    fn sys_semctl(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (id, semnum, cmd, arg) = (a[0] as i32, a[1] as i32, a[2] as i32, a[3]);
        if id < 0 {
            return Err(EINVAL);
        }
        match cmd {
            IPC_INFO | SEM_INFO => {
                let usage = (cmd == SEM_INFO).then(|| (self.ipc.sem.len(), self.sems_in_use()));
                let info = encode_seminfo(self.sem_limit(), usage);
                self.proc_write(c.pid, arg, &info)?;
                Ok(self.ipc.sem.max_index())
            }
            IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
                let (ret, e) =
                    self.ipc
                        .sem
                        .for_stat(&c, id, cmd != IPC_STAT, cmd == SEM_STAT_ANY)?;
                let ds = e.obj.encode(&e.perm);
                self.proc_write(c.pid, arg, &ds)?;
                Ok(ret)
            }
            GETALL | GETVAL | GETPID | GETNCNT | GETZCNT | SETALL => {
                self.semctl_values(c, id, semnum, cmd, arg)
            }
            SETVAL => {
                let val = arg as i32;
                if !(0..=SEMVMX).contains(&val) {
                    return Err(ERANGE);
                }
                let e = self.ipc.sem.get(id)?;
                let n = usize::try_from(semnum)
                    .ok()
                    .filter(|&n| n < e.obj.len())
                    .ok_or(EINVAL)?;
                if !e.perm.permits(&c, WRITE) {
                    return Err(EACCES);
                }
                let now = self.ipc_now(c.pid);
                self.sem_clear_undo(id, Some(n));
                let e = self.ipc.sem.get_mut(id)?;
                e.obj.values[n] = val;
                e.obj.pids[n] = c.pid;
                e.obj.ctime = now;
                self.ipc_serve(WaitOn::Sem, id);
                Ok(0)
            }
            IPC_SET => {
                let raw = self.proc_read(c.pid, arg, SEMID64_DS_SIZE)?;
                let now = self.ipc_now(c.pid);
                let e = self.ipc.sem.changeable(&c, id)?;
                e.perm.set_from(&raw[..IPC64_PERM_SIZE]);
                e.obj.ctime = now;
                Ok(0)
            }
            IPC_RMID => {
                self.ipc.sem.changeable(&c, id)?;
                self.ipc.sem.remove(id);
                self.ipc.undo.retain(|&(_, set), _| set != id);
                self.ipc_removed(WaitOn::Sem, id);
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }

    /// semctl's commands on values: GETALL, SETALL, and GETVAL, GETPID,
    /// GETNCNT, GETZCNT of semaphore `semnum`.
    fn semctl_values(
        &mut self,
        c: Caller,
        id: i32,
        semnum: i32,
        cmd: i32,
        arg: u64,
    ) -> Result<u64, i64> {
        let e = self.ipc.sem.get(id)?;
        let nsems = e.obj.len();
        if !e.perm.permits(&c, if cmd == SETALL { WRITE } else { READ }) {
            return Err(EACCES);
        }
        match cmd {
            GETALL => {
                let bytes: Vec<u8> = e
                    .obj
                    .values
                    .iter()
                    .flat_map(|&v| (v as u16).to_le_bytes())
                    .collect();
                self.proc_write(c.pid, arg, &bytes)?;
                Ok(0)
            }
            SETALL => {
                let raw = self.proc_read(c.pid, arg, nsems * 2)?;
                let values: Vec<i32> = raw
                    .chunks_exact(2)
                    .map(|b| i32::from(u16::from_le_bytes([b[0], b[1]])))
                    .collect();
                if values.iter().any(|&v| v > SEMVMX) {
                    return Err(ERANGE);
                }
                let now = self.ipc_now(c.pid);
                self.sem_clear_undo(id, None);
                let e = self.ipc.sem.get_mut(id)?;
                e.obj.values = values;
                e.obj.pids.iter_mut().for_each(|p| *p = c.pid);
                e.obj.ctime = now;
                self.ipc_serve(WaitOn::Sem, id);
                Ok(0)
            }
            _ => {
                let n = usize::try_from(semnum)
                    .ok()
                    .filter(|&n| n < nsems)
                    .ok_or(EINVAL)?;
                Ok(match cmd {
                    GETVAL => e.obj.values[n] as u64,
                    GETPID => u64::from(e.obj.pids[n]),
                    _ => self.sem_waiting(id, n as u16, cmd == GETZCNT),
                })
            }
        }
    }

    /// semop(semid, sops, nsops) and semtimedop(..., timeout).
    fn sys_semtimedop(&mut self, c: Caller, a: [u64; 6], timeout: u64) -> Result<Outcome, i64> {
        let (id, sops, nsops) = (a[0] as i32, a[1], a[2] as u32 as usize);
        if nsops < 1 || id < 0 {
            return Err(EINVAL);
        }
        if nsops > SEMOPM {
            return Err(E2BIG);
        }
        let ops = SemBuf::parse_all(&self.proc_read(c.pid, sops, nsops * SEMBUF_SIZE)?);
        let deadline = if timeout != 0 {
            let space = self.ipc_space(c.pid)?;
            let (s, ns) = misc_read_timespec(self.engine.space(space), timeout)?;
            Some(
                self.now()
                    .saturating_add(Duration::new(s as u64, ns as u32)),
            )
        } else {
            None
        };
        let highest = ops.iter().map(|o| o.num).max().unwrap_or(0);
        let alter = ops.iter().any(|o| o.op != 0);
        let e = self.ipc.sem.get(id)?;
        if highest as usize >= e.obj.len() {
            return Err(EFBIG);
        }
        if !e.perm.permits(&c, if alter { WRITE } else { READ }) {
            return Err(EACCES);
        }
        match self.semop_attempt(c.pid, id, &ops) {
            Step::Done(v) => {
                if alter {
                    self.ipc_serve(WaitOn::Sem, id);
                }
                Ok(Outcome::Return(v))
            }
            Step::Fail(e) => Err(e),
            Step::Wait(blocked) => {
                if deadline.is_some_and(|d| d <= self.now()) {
                    return Err(EAGAIN);
                }
                let blocked = blocked.unwrap_or(Blocked {
                    num: 0,
                    for_zero: false,
                });
                Ok(self.ipc_wait(
                    WaitOn::Sem,
                    id,
                    deadline,
                    BlockedCall::Semop { ops, blocked },
                ))
            }
        }
    }

    /// Try `ops` on set `id` for process `pid`.
    fn semop_attempt(&mut self, pid: Pid, id: i32, ops: &[SemBuf]) -> Step {
        let now = self.ipc_now(pid);
        let ns = &mut self.ipc;
        // Only a waiter can find its set gone (removal ends the waits).
        let Ok(e) = ns.sem.get_mut(id) else {
            return Step::Fail(EIDRM);
        };
        let undo = if ops.iter().any(|o| o.flags & SEM_UNDO != 0) {
            Some(ns.undo.entry((pid, id)).or_default())
        } else {
            None
        };
        match e.obj.apply(ops, undo, pid) {
            Attempt::Done => {
                e.obj.otime = now;
                Step::Done(0)
            }
            Attempt::Blocked(b) => Step::Wait(Some(b)),
            Attempt::Failed(err) => Step::Fail(err),
        }
    }

    /// Process `pid` ended: its SEM_UNDO adjustments are applied (as the
    /// kernel does at exit, not at exec) and the sets' waiters try again.
    pub(crate) fn sem_process_exit(&mut self, pid: Pid) {
        let sets: Vec<i32> = self
            .ipc
            .undo
            .range((pid, i32::MIN)..=(pid, i32::MAX))
            .map(|(&(_, id), _)| id)
            .collect();
        for id in sets {
            let Some(adj) = self.ipc.undo.remove(&(pid, id)) else {
                continue;
            };
            if adj.values().all(|&a| a == 0) {
                continue;
            }
            if let Ok(e) = self.ipc.sem.get_mut(id) {
                e.obj.adjust_at_exit(&adj, pid);
                self.ipc_serve(WaitOn::Sem, id);
            }
        }
    }

    // ----- message queues -----------------------------------------------------

    /// msgget(key, msgflg).
    fn sys_msgget(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (key, flags) = (a[0] as i32, a[1] as u32);
        let now = self.ipc_now(c.pid);
        let make = || Ok(Queue::new(now));
        get_or_create(&mut self.ipc.msg, key, flags, &c, |_| Ok(()), make).map(|id| id as u64)
    }

    /// msgsnd(msqid, msgp, msgsz, msgflg): `msgp` is a long mtype and the
    /// text.
    fn sys_msgsnd(&mut self, c: Caller, a: [u64; 6]) -> Result<Outcome, i64> {
        let (id, msgp, size, flags) = (a[0] as i32, a[1], a[2], a[3] as u32);
        let raw_type = self.proc_read(c.pid, msgp, 8)?;
        let mtype = u64_at(&raw_type, 0) as i64;
        if size > MSGMAX || id < 0 || mtype < 1 {
            return Err(EINVAL);
        }
        let text = self.proc_read(c.pid, msgp.checked_add(8).ok_or(EFAULT)?, size as usize)?;
        self.ipc.msg.get(id)?;
        let msg = Message { mtype, text };
        match self.msgsnd_attempt(c, id, &msg, flags) {
            Step::Done(v) => {
                self.ipc_serve(WaitOn::Msg, id);
                Ok(Outcome::Return(v))
            }
            Step::Fail(e) => Err(e),
            Step::Wait(_) => Ok(self.ipc_wait(WaitOn::Msg, id, None, BlockedCall::Msgsnd { msg })),
        }
    }

    /// Queue `msg` on queue `id` for `c`, if it fits.
    fn msgsnd_attempt(&mut self, c: Caller, id: i32, msg: &Message, flags: u32) -> Step {
        let now = self.ipc_now(c.pid);
        let limit = self.config.memory_limit;
        let ns = &mut self.ipc;
        let Ok(e) = ns.msg.get_mut(id) else {
            return Step::Fail(EIDRM);
        };
        if !e.perm.permits(&c, WRITE) {
            return Step::Fail(EACCES);
        }
        let len = msg.text.len() as u64;
        if !e.obj.fits(len) {
            return if flags & IPC_NOWAIT != 0 {
                Step::Fail(EAGAIN)
            } else {
                Step::Wait(None)
            };
        }
        // All queued messages together stay within the memory limit, each
        // counted with what it costs besides its text.
        let charged = |count: u64, bytes: u64| bytes + count * MSG_OVERHEAD;
        if charged(ns.msg_count + 1, ns.msg_bytes + len) > limit {
            return Step::Fail(ENOMEM);
        }
        e.obj.push(msg.clone(), c.pid, now);
        ns.msg_count += 1;
        ns.msg_bytes += len;
        Step::Done(0)
    }

    /// msgrcv(msqid, msgp, msgsz, msgtyp, msgflg): the bytes of text
    /// received.
    fn sys_msgrcv(&mut self, c: Caller, a: [u64; 6]) -> Result<Outcome, i64> {
        let (id, buf, size, msgtyp, flags) = (a[0] as i32, a[1], a[2], a[3] as i64, a[4] as u32);
        if id < 0 || (size as i64) < 0 {
            return Err(EINVAL);
        }
        if flags & MSG_COPY != 0 && (flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0) {
            return Err(EINVAL);
        }
        self.ipc.msg.get(id)?;
        match self.msgrcv_attempt(c, id, buf, size, msgtyp, flags) {
            Step::Done(v) => {
                if flags & MSG_COPY == 0 {
                    self.ipc_serve(WaitOn::Msg, id);
                }
                Ok(Outcome::Return(v))
            }
            Step::Fail(e) => Err(e),
            Step::Wait(_) => Ok(self.ipc_wait(
                WaitOn::Msg,
                id,
                None,
                BlockedCall::Msgrcv {
                    buf,
                    size,
                    msgtyp,
                    flags,
                },
            )),
        }
    }

    /// Take (or with MSG_COPY copy) the message msgrcv selects from queue
    /// `id` into `buf`. As on Linux, a message too long for `size` stays
    /// (E2BIG) unless MSG_NOERROR cuts it; one taken but not stored (a bad
    /// buffer) is lost (EFAULT).
    fn msgrcv_attempt(
        &mut self,
        c: Caller,
        id: i32,
        buf: u64,
        size: u64,
        msgtyp: i64,
        flags: u32,
    ) -> Step {
        let now = self.ipc_now(c.pid);
        let ns = &mut self.ipc;
        let Ok(e) = ns.msg.get_mut(id) else {
            return Step::Fail(EIDRM);
        };
        if !e.perm.permits(&c, READ) {
            return Step::Fail(EACCES);
        }
        let Some(index) = e.obj.select(msgtyp, flags) else {
            return if flags & IPC_NOWAIT != 0 {
                Step::Fail(ENOMSG)
            } else {
                Step::Wait(None)
            };
        };
        let len = e.obj.get(index).map_or(0, |m| m.text.len() as u64);
        if size < len && flags & MSG_NOERROR == 0 {
            return Step::Fail(E2BIG);
        }
        let msg = if flags & MSG_COPY != 0 {
            // The copy is made in a buffer of min(size, MSGMAX) bytes.
            if len > size.min(MSGMAX) {
                return Step::Fail(EINVAL);
            }
            e.obj.get(index).cloned()
        } else {
            let m = e.obj.take(index, c.pid, now);
            ns.msg_count -= 1;
            ns.msg_bytes -= len;
            m
        };
        let Some(msg) = msg else {
            return Step::Fail(EIDRM);
        };
        let n = size.min(len) as usize;
        let stored = self
            .proc_write(c.pid, buf, &msg.mtype.to_le_bytes())
            .and_then(|_| self.proc_write(c.pid, buf.wrapping_add(8), &msg.text[..n]));
        match stored {
            Ok(()) => Step::Done(n as u64),
            Err(e) => Step::Fail(e),
        }
    }

    /// msgctl(msqid, cmd, buf).
    fn sys_msgctl(&mut self, c: Caller, a: [u64; 6]) -> Result<u64, i64> {
        let (id, cmd, buf) = (a[0] as i32, a[1] as i32, a[2]);
        if id < 0 || cmd < 0 {
            return Err(EINVAL);
        }
        match cmd {
            IPC_INFO | MSG_INFO => {
                let ns = &self.ipc;
                let usage = (cmd == MSG_INFO).then_some((ns.msg.len(), ns.msg_count, ns.msg_bytes));
                self.proc_write(c.pid, buf, &encode_msginfo(usage))?;
                Ok(self.ipc.msg.max_index())
            }
            IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
                let (ret, e) =
                    self.ipc
                        .msg
                        .for_stat(&c, id, cmd != IPC_STAT, cmd == MSG_STAT_ANY)?;
                let ds = e.obj.encode(&e.perm);
                self.proc_write(c.pid, buf, &ds)?;
                Ok(ret)
            }
            IPC_SET => {
                let raw = self.proc_read(c.pid, buf, MSQID64_DS_SIZE)?;
                let now = self.ipc_now(c.pid);
                let e = self.ipc.msg.changeable(&c, id)?;
                let qbytes = u64_at(&raw, 88);
                if qbytes > MSGMNB && !c.privileged() {
                    return Err(EPERM);
                }
                e.obj.qbytes = qbytes;
                e.perm.set_from(&raw[..IPC64_PERM_SIZE]);
                e.obj.ctime = now;
                // Senders may fit now; receivers check their access again.
                self.ipc_serve(WaitOn::Msg, id);
                Ok(0)
            }
            IPC_RMID => {
                self.ipc.msg.changeable(&c, id)?;
                if let Some(e) = self.ipc.msg.remove(id) {
                    self.ipc.msg_count -= e.obj.len() as u64;
                    self.ipc.msg_bytes -= e.obj.cbytes;
                }
                self.ipc_removed(WaitOn::Msg, id);
                Ok(0)
            }
            _ => Err(EINVAL),
        }
    }
}

#[cfg(test)]
mod tests;
