//! What the three kinds of System V IPC objects share: keys and ids, the
//! `ipc64_perm` of each object and its permission checks, and the table
//! that hands out ids.
//!
//! An id names a slot of its kind's table and the slot's use: `id = seq *
//! 32768 + index` (Linux's IPCMNI_SHIFT of 15), where `seq` counts how often
//! the allocation wrapped around the table. Indices are handed out
//! cyclically, each one after the last, within `max(in_use * 3 / 2, 64)`
//! slots, so a removed object's id is not given out again at once and a
//! stale id finds a slot with another `seq` (EINVAL) rather than a new
//! object.

use std::collections::BTreeMap;

use crate::abi::errno::*;

/// `key` of an object that no other process can find by key.
pub(crate) const IPC_PRIVATE: i32 = 0;
/// The `*get` flags.
pub(crate) const IPC_CREAT: u32 = 0o1000;
pub(crate) const IPC_EXCL: u32 = 0o2000;
/// Fail with EAGAIN / ENOMSG instead of waiting (semop, msgsnd, msgrcv).
pub(crate) const IPC_NOWAIT: u32 = 0o4000;

/// The `*ctl` commands common to the three kinds.
pub(crate) const IPC_RMID: i32 = 0;
pub(crate) const IPC_SET: i32 = 1;
pub(crate) const IPC_STAT: i32 = 2;
pub(crate) const IPC_INFO: i32 = 3;

/// The permission bits of `mode` (S_IRWXUGO).
pub(crate) const MODE_BITS: u32 = 0o777;
/// What an operation asks: read (S_IRUGO) or write (S_IWUGO) access.
pub(crate) const READ: u32 = 0o444;
pub(crate) const WRITE: u32 = 0o222;

/// Ids are `seq * SEQ_MULTIPLIER + index`.
pub(crate) const SEQ_MULTIPLIER: i32 = 32768;
/// `seq` starts again at 0 here (`INT_MAX >> 15`, as Linux).
const SEQ_LIMIT: u32 = (i32::MAX as u32) >> 15;
/// Indices are handed out within at least this many slots (Linux's
/// `ipc_min_cycle`), so ids cycle through a few before one comes back.
const MIN_CYCLE: usize = 64;

/// Size of `struct ipc64_perm` (asm-generic/ipcbuf.h, 64-bit).
pub(crate) const IPC64_PERM_SIZE: usize = 48;

/// Who makes a call: its process (tgid) and identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Caller {
    pub pid: u32,
    pub uid: u32,
    pub gid: u32,
}

impl Caller {
    /// Root has CAP_IPC_OWNER (no permission checks on objects) and
    /// CAP_SYS_ADMIN / CAP_SYS_RESOURCE (change or remove any object, raise
    /// a queue's byte limit): the guest has no other capabilities.
    pub(crate) fn privileged(&self) -> bool {
        self.uid == 0
    }
}

/// The owner, creator and access mode of an object (`struct ipc64_perm`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The permission bits, and for shared memory SHM_DEST / SHM_LOCKED.
    pub mode: u32,
    /// The table's wrap count when the object was made (part of its id).
    pub seq: u32,
}

impl Perm {
    /// The perm of a new object of `key` made by `caller` with `flags`'
    /// permission bits.
    pub(crate) fn new(key: i32, caller: &Caller, flags: u32) -> Self {
        Perm {
            key,
            uid: caller.uid,
            gid: caller.gid,
            cuid: caller.uid,
            cgid: caller.gid,
            mode: flags & MODE_BITS,
            seq: 0,
        }
    }

    /// May `caller` have the access `flags` asks for (its low nine bits,
    /// any of the three triads naming the access: 0600 asks read and
    /// write)? The owner's or creator's triad applies to them, the group's
    /// to the group, the others' to everybody else; root may do anything.
    pub(crate) fn permits(&self, caller: &Caller, flags: u32) -> bool {
        let asked = ((flags >> 6) | (flags >> 3) | flags) & 0o7;
        let granted = if caller.uid == self.uid || caller.uid == self.cuid {
            self.mode >> 6
        } else if caller.gid == self.gid || caller.gid == self.cgid {
            self.mode >> 3
        } else {
            self.mode
        };
        asked & !granted & 0o7 == 0 || caller.privileged()
    }

    /// May `caller` change or remove the object (IPC_SET, IPC_RMID)? Its
    /// owner and creator, and root.
    pub(crate) fn may_change(&self, caller: &Caller) -> bool {
        caller.uid == self.uid || caller.uid == self.cuid || caller.privileged()
    }

    /// IPC_SET: the owner and the permission bits from the guest's
    /// `ipc64_perm` (the creator and the other mode bits stay).
    pub(crate) fn set_from(&mut self, raw: &[u8]) {
        self.uid = u32_at(raw, 4);
        self.gid = u32_at(raw, 8);
        self.mode = (self.mode & !MODE_BITS) | (u32_at(raw, 20) & MODE_BITS);
    }

    /// `struct ipc64_perm`: key, uid, gid, cuid, cgid, mode (all 32-bit),
    /// the 16-bit seq at 24, then padding and two unused longs.
    pub(crate) fn encode(&self) -> [u8; IPC64_PERM_SIZE] {
        let mut b = [0u8; IPC64_PERM_SIZE];
        put_u32(&mut b, 0, self.key as u32);
        put_u32(&mut b, 4, self.uid);
        put_u32(&mut b, 8, self.gid);
        put_u32(&mut b, 12, self.cuid);
        put_u32(&mut b, 16, self.cgid);
        put_u32(&mut b, 20, self.mode);
        b[24..26].copy_from_slice(&(self.seq as u16).to_le_bytes());
        b
    }
}

pub(crate) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

pub(crate) fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut w = [0u8; 8];
        w.copy_from_slice(s);
        u64::from_le_bytes(w)
    })
}

/// One object in its table.
#[derive(Debug)]
pub(crate) struct Entry<T> {
    pub perm: Perm,
    pub obj: T,
}

/// The objects of one kind (shared memory, semaphore sets or message
/// queues) by index, and the state that makes their ids.
#[derive(Debug)]
pub(crate) struct IdTable<T> {
    slots: BTreeMap<usize, Entry<T>>,
    /// The `seq` new objects get.
    seq: u32,
    /// The index handed out last (a new one at or below it wraps `seq`).
    last_index: Option<usize>,
    /// Where the cyclic search for a free index starts.
    next_index: usize,
    /// At most this many objects (SHMMNI, SEMMNI, MSGMNI).
    limit: usize,
}

impl<T> IdTable<T> {
    pub(crate) fn new(limit: usize) -> Self {
        IdTable {
            slots: BTreeMap::new(),
            seq: 0,
            last_index: None,
            next_index: 0,
            limit: limit.min(SEQ_MULTIPLIER as usize),
        }
    }

    /// Objects in the table.
    pub(crate) fn len(&self) -> usize {
        self.slots.len()
    }

    /// The id of the object at `index`.
    fn id_of(index: usize, perm: &Perm) -> i32 {
        perm.seq as i32 * SEQ_MULTIPLIER + index as i32
    }

    /// The id of the object whose key is `key` (not IPC_PRIVATE).
    pub(crate) fn find_key(&self, key: i32) -> Option<i32> {
        if key == IPC_PRIVATE {
            return None;
        }
        self.slots
            .iter()
            .find(|(_, e)| e.perm.key == key)
            .map(|(&i, e)| Self::id_of(i, &e.perm))
    }

    /// Add an object: its id, or ENOSPC when the table is full.
    pub(crate) fn insert(&mut self, mut perm: Perm, obj: T) -> Result<i32, i64> {
        if self.slots.len() >= self.limit {
            return Err(ENOSPC);
        }
        // Cycle within a window a half larger than the objects in use (at
        // least MIN_CYCLE slots, at most the table): from the slot after the
        // last one handed out to the window's end, then from its start.
        let window = (self.slots.len() * 3 / 2)
            .max(MIN_CYCLE)
            .min(SEQ_MULTIPLIER as usize);
        let free = |i: &usize| !self.slots.contains_key(i);
        let index = (self.next_index..window)
            .find(free)
            .or_else(|| (0..window.min(self.next_index)).find(free))
            .ok_or(ENOSPC)?;
        if self.last_index.is_some_and(|last| index <= last) {
            self.seq += 1;
            if self.seq >= SEQ_LIMIT {
                self.seq = 0;
            }
        }
        self.last_index = Some(index);
        self.next_index = index + 1;
        perm.seq = self.seq;
        let id = Self::id_of(index, &perm);
        self.slots.insert(index, Entry { perm, obj });
        Ok(id)
    }

    /// The slot `id` names, if it holds the object of that id.
    fn index_of(&self, id: i32) -> Option<usize> {
        if id < 0 {
            return None;
        }
        let index = (id % SEQ_MULTIPLIER) as usize;
        let seq = (id / SEQ_MULTIPLIER) as u32;
        self.slots
            .get(&index)
            .filter(|e| e.perm.seq == seq)
            .map(|_| index)
    }

    /// The object of `id`: EINVAL for an id no object has (never used,
    /// removed, or of an earlier use of its slot).
    pub(crate) fn get(&self, id: i32) -> Result<&Entry<T>, i64> {
        self.index_of(id)
            .and_then(|i| self.slots.get(&i))
            .ok_or(EINVAL)
    }

    pub(crate) fn get_mut(&mut self, id: i32) -> Result<&mut Entry<T>, i64> {
        let i = self.index_of(id).ok_or(EINVAL)?;
        self.slots.get_mut(&i).ok_or(EINVAL)
    }

    /// The object of `id` for a call that changes or removes it (IPC_SET,
    /// IPC_RMID): EPERM unless `c` owns or made it, or is privileged.
    pub(crate) fn changeable(&mut self, c: &Caller, id: i32) -> Result<&mut Entry<T>, i64> {
        let e = self.get_mut(id)?;
        if !e.perm.may_change(c) {
            return Err(EPERM);
        }
        Ok(e)
    }

    /// Take the object of `id` out of the table (its id is never valid again
    /// until the slot's `seq` comes round).
    pub(crate) fn remove(&mut self, id: i32) -> Option<Entry<T>> {
        let i = self.index_of(id)?;
        self.slots.remove(&i)
    }

    /// The object at table index `index` and its id (the *_STAT commands
    /// take an index): EINVAL for an empty slot.
    pub(crate) fn at_index(&self, index: i32) -> Result<(i32, &Entry<T>), i64> {
        let i = usize::try_from(index).map_err(|_| EINVAL)?;
        let e = self.slots.get(&i).ok_or(EINVAL)?;
        Ok((Self::id_of(i, &e.perm), e))
    }

    /// The object an IPC_STAT (`by_index` false: `id` is an id) or *_STAT /
    /// *_STAT_ANY (`by_index`: `id` is a table index) reports, and what the
    /// call returns (0, or the object's id for the by-index ones). EACCES
    /// without read permission, except for *_STAT_ANY (`any`).
    pub(crate) fn for_stat(
        &self,
        c: &Caller,
        id: i32,
        by_index: bool,
        any: bool,
    ) -> Result<(u64, &Entry<T>), i64> {
        let (ret, e) = if by_index {
            let (full_id, e) = self.at_index(id)?;
            (full_id as u64, e)
        } else {
            (0, self.get(id)?)
        };
        if !any && !e.perm.permits(c, READ) {
            return Err(EACCES);
        }
        Ok((ret, e))
    }

    /// The highest index in use (the *_INFO commands return it), 0 when
    /// the table is empty.
    pub(crate) fn max_index(&self) -> u64 {
        self.slots.keys().next_back().map_or(0, |&i| i as u64)
    }

    /// Every object with its id, by index.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (i32, &Entry<T>)> {
        self.slots
            .iter()
            .map(|(&i, e)| (Self::id_of(i, &e.perm), e))
    }
}

/// The `*get` calls: the id of the object `key` names, or a new one.
/// `exists` checks an existing object against the call (a size or count it
/// cannot satisfy: EINVAL); `make` builds a new object (or fails: ENOSPC,
/// ENOMEM, EINVAL). IPC_PRIVATE always makes one; otherwise without
/// IPC_CREAT a missing key is ENOENT, with IPC_CREAT|IPC_EXCL an existing
/// one is EEXIST; then an object the caller may not access as `flags` asks
/// is EACCES.
pub(crate) fn get_or_create<T>(
    table: &mut IdTable<T>,
    key: i32,
    flags: u32,
    caller: &Caller,
    exists: impl FnOnce(&T) -> Result<(), i64>,
    make: impl FnOnce() -> Result<T, i64>,
) -> Result<i32, i64> {
    let found = table.find_key(key);
    let Some(id) = found else {
        if key != IPC_PRIVATE && flags & IPC_CREAT == 0 {
            return Err(ENOENT);
        }
        // The object's own checks (size, count) come before a full table.
        let obj = make()?;
        return table.insert(Perm::new(key, caller, flags), obj);
    };
    if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
        return Err(EEXIST);
    }
    let e = table.get(id)?;
    exists(&e.obj)?;
    if !e.perm.permits(caller, flags) {
        return Err(EACCES);
    }
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: Caller = Caller {
        pid: 100,
        uid: 1000,
        gid: 1000,
    };

    #[test]
    fn ids_carry_a_sequence_number_so_stale_ids_fail() {
        let mut t: IdTable<()> = IdTable::new(4096);
        let a = t.insert(Perm::new(0, &ME, 0o600), ()).unwrap();
        let b = t.insert(Perm::new(0, &ME, 0o600), ()).unwrap();
        assert_eq!((a, b), (0, 1), "indices 0 and 1, seq 0");
        assert!(t.remove(a).is_some());
        // The next index is 2, not the freed 0 (cyclic).
        let c = t.insert(Perm::new(0, &ME, 0o600), ()).unwrap();
        assert_eq!(c, 2);
        assert_eq!(t.get(a).unwrap_err(), EINVAL);
        // With few objects in use the cycle is 64 slots: make and remove
        // objects until it wraps to index 0, now with seq 1, so the old id
        // 0 stays invalid.
        t.remove(b);
        t.remove(c);
        for i in 3..64 {
            let x = t.insert(Perm::new(0, &ME, 0o600), ()).unwrap();
            assert_eq!(x, i);
            t.remove(x);
        }
        let wrapped = t.insert(Perm::new(0, &ME, 0o600), ()).unwrap();
        assert_eq!(wrapped, SEQ_MULTIPLIER, "index 0 with seq 1");
        assert_eq!(t.get(a).unwrap_err(), EINVAL);
        assert!(t.get(wrapped).is_ok());
        assert_eq!(t.at_index(0).unwrap().0, wrapped);
        assert_eq!(t.max_index(), 0);
        // Many objects in use widen the cycle (half as many again).
        let mut u: IdTable<()> = IdTable::new(4096);
        for i in 0..100 {
            assert_eq!(u.insert(Perm::new(0, &ME, 0), ()).unwrap(), i);
        }
        assert_eq!(u.max_index(), 99);
        assert_eq!(t.get(-1).unwrap_err(), EINVAL);
    }

    #[test]
    fn a_full_table_is_enospc() {
        let mut t: IdTable<()> = IdTable::new(2);
        t.insert(Perm::new(0, &ME, 0), ()).unwrap();
        t.insert(Perm::new(0, &ME, 0), ()).unwrap();
        assert_eq!(t.insert(Perm::new(0, &ME, 0), ()).unwrap_err(), ENOSPC);
    }

    #[test]
    fn get_or_create_follows_the_key_rules() {
        let mut t: IdTable<u32> = IdTable::new(16);
        let ok = |_: &u32| Ok(());
        assert_eq!(
            get_or_create(&mut t, 7, 0o600, &ME, ok, || Ok(1)).unwrap_err(),
            ENOENT
        );
        let id = get_or_create(&mut t, 7, IPC_CREAT | 0o600, &ME, ok, || Ok(1)).unwrap();
        assert_eq!(get_or_create(&mut t, 7, 0, &ME, ok, || Ok(2)), Ok(id));
        assert_eq!(
            get_or_create(&mut t, 7, IPC_CREAT | IPC_EXCL, &ME, ok, || Ok(2)).unwrap_err(),
            EEXIST
        );
        // A private key always makes a new object.
        let p = get_or_create(&mut t, IPC_PRIVATE, 0, &ME, ok, || Ok(3)).unwrap();
        assert_ne!(p, id);
        // The existing object's own checks come before the permission check.
        let other = Caller { uid: 2000, ..ME };
        let small = |_: &u32| Err(EINVAL);
        assert_eq!(
            get_or_create(&mut t, 7, 0o600, &other, small, || Ok(0)).unwrap_err(),
            EINVAL
        );
        assert_eq!(
            get_or_create(&mut t, 7, 0o600, &other, ok, || Ok(0)).unwrap_err(),
            EACCES
        );
        assert_eq!(get_or_create(&mut t, 7, 0, &other, ok, || Ok(0)), Ok(id));
    }

    #[test]
    fn permissions_use_the_owner_group_or_other_triad() {
        let p = Perm::new(1, &ME, 0o640);
        assert!(p.permits(&ME, READ | WRITE));
        let group = Caller { uid: 2000, ..ME };
        assert!(p.permits(&group, READ));
        assert!(!p.permits(&group, WRITE));
        let other = Caller {
            uid: 2000,
            gid: 2000,
            ..ME
        };
        assert!(!p.permits(&other, READ));
        assert!(p.permits(&other, 0));
        let root = Caller {
            uid: 0,
            gid: 0,
            ..ME
        };
        assert!(p.permits(&root, READ | WRITE));
        assert!(!p.may_change(&other));
        assert!(p.may_change(&root));
    }

    #[test]
    fn ipc64_perm_layout() {
        let mut p = Perm::new(0x1234_5678, &ME, 0o1640);
        p.seq = 3;
        let b = p.encode();
        assert_eq!(b.len(), 48);
        assert_eq!(u32_at(&b, 0), 0x1234_5678);
        assert_eq!(u32_at(&b, 4), 1000);
        assert_eq!(u32_at(&b, 12), 1000);
        assert_eq!(u32_at(&b, 20), 0o640, "only the permission bits of flags");
        assert_eq!(&b[24..26], &[3, 0]);
        assert!(b[26..].iter().all(|&x| x == 0));
        let mut q = p.clone();
        let mut raw = [0u8; 48];
        put_u32(&mut raw, 4, 7);
        put_u32(&mut raw, 8, 8);
        put_u32(&mut raw, 20, 0o7777);
        q.mode |= 0o1000;
        q.set_from(&raw);
        assert_eq!((q.uid, q.gid, q.cuid, q.mode), (7, 8, 1000, 0o1777));
    }
}
