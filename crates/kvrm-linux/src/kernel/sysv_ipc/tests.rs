//! Tests of the System V IPC layer as a whole: the structs the guest sees
//! against the arm64 uapi headers, and the calls made through a kernel
//! (permissions of other users, which the guest suites, run as root, cannot
//! show; waiting and waking; SEM_UNDO at exit).

use kvrm_isa::{AddressSpace, CpuState};

use super::*;
use crate::kernel::KernelConfig;

/// Where `pattern` is in `bytes` (it must be there once).
fn find(bytes: &[u8], pattern: &[u8], what: &str) -> usize {
    let hits: Vec<usize> = bytes
        .windows(pattern.len())
        .enumerate()
        .filter(|(_, w)| *w == pattern)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(hits.len(), 1, "{what}: {hits:?}");
    hits[0]
}

/// C assertions that the uapi headers place each field where the
/// encoders put it: (struct, field, offset), and the sizes.
fn layout_assertions() -> Vec<String> {
    let me = Caller {
        pid: 1,
        uid: 0x2121_2121,
        gid: 0x3131_3131,
    };
    let mut perm = Perm::new(0x1111_1111, &me, 0);
    perm.cuid = 0x4141_4141;
    perm.cgid = 0x5151_5151;
    perm.mode = 0x6161_6161;
    perm.seq = 0xb7c3;
    let mut out = Vec::new();
    let mut at = |ty: &str, field: &str, off: usize| {
        out.push(format!(
            "_Static_assert(offsetof(struct {ty}, {field}) == {off}, \"{ty}.{field}\");"
        ));
    };
    let p = perm.encode();
    for (field, v) in [
        ("key", 0x1111_1111u32),
        ("uid", 0x2121_2121),
        ("gid", 0x3131_3131),
        ("cuid", 0x4141_4141),
        ("cgid", 0x5151_5151),
        ("mode", 0x6161_6161),
    ] {
        at("ipc64_perm", field, find(&p, &v.to_le_bytes(), field));
    }
    at(
        "ipc64_perm",
        "seq",
        find(&p, &0xb7c3u16.to_le_bytes(), "seq"),
    );

    let seg = Segment {
        size: 0x0102_0304_0506_0708,
        memory: crate::shared::HostShared::anonymous(1).unwrap(),
        atime: 0x1112_1314_1516_1718,
        dtime: 0x2122_2324_2526_2728,
        ctime: 0x3132_3334_3536_3738,
        cpid: 0x4142_4344,
        lpid: 0x5152_5354,
    };
    let d = seg.encode(&perm, 0x6162_6364_6566_6768);
    for (field, v) in [
        ("shm_segsz", seg.size),
        ("shm_atime", seg.atime as u64),
        ("shm_dtime", seg.dtime as u64),
        ("shm_ctime", seg.ctime as u64),
        ("shm_nattch", 0x6162_6364_6566_6768),
    ] {
        at("shmid64_ds", field, find(&d, &v.to_le_bytes(), field));
    }
    at(
        "shmid64_ds",
        "shm_cpid",
        find(&d, &seg.cpid.to_le_bytes(), "cpid"),
    );
    at(
        "shmid64_ds",
        "shm_lpid",
        find(&d, &seg.lpid.to_le_bytes(), "lpid"),
    );
    at("shmid64_ds", "shm_perm", find(&d, &p, "perm"));

    let mut set = SemSet::new(0x1357, 0x2122_2324_2526_2728);
    set.otime = 0x1112_1314_1516_1718;
    let d = set.encode(&perm);
    for (field, v) in [
        ("sem_otime", set.otime as u64),
        ("sem_ctime", set.ctime as u64),
        ("sem_nsems", 0x1357),
    ] {
        at("semid64_ds", field, find(&d, &v.to_le_bytes(), field));
    }
    at("semid64_ds", "sem_perm", find(&d, &p, "perm"));

    let mut q = Queue::new(0x3132_3334_3536_3738);
    for len in [0x111, 0x222, 0x333] {
        q.push(
            Message {
                mtype: 1,
                text: vec![0; len],
            },
            0x4142_4344,
            0x1112_1314_1516_1718,
        );
    }
    q.take(2, 0x5152_5354, 0x2122_2324_2526_2728);
    q.qbytes = 0x6162_6364_6566_6768;
    let d = q.encode(&perm);
    for (field, v) in [
        ("msg_stime", 0x1112_1314_1516_1718u64),
        ("msg_rtime", 0x2122_2324_2526_2728),
        ("msg_ctime", 0x3132_3334_3536_3738),
        ("msg_cbytes", 0x333),
        ("msg_qnum", 2),
        ("msg_qbytes", 0x6162_6364_6566_6768),
    ] {
        at("msqid64_ds", field, find(&d, &v.to_le_bytes(), field));
    }
    at(
        "msqid64_ds",
        "msg_lspid",
        find(&d, &0x4142_4344u32.to_le_bytes(), "lspid"),
    );
    at(
        "msqid64_ds",
        "msg_lrpid",
        find(&d, &0x5152_5354u32.to_le_bytes(), "lrpid"),
    );
    at("msqid64_ds", "msg_perm", find(&d, &p, "perm"));

    // The info structs: fields in the order the encoders write them.
    let ints = |names: &[&str]| -> Vec<(String, usize)> {
        names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), i * 4))
            .collect()
    };
    let seminfo = [
        "semmap", "semmni", "semmns", "semmnu", "semmsl", "semopm", "semume", "semusz", "semvmx",
        "semaem",
    ];
    for (f, o) in ints(&seminfo) {
        at("seminfo", &f, o);
    }
    let msginfo = [
        "msgpool", "msgmap", "msgmax", "msgmnb", "msgmni", "msgssz", "msgtql",
    ];
    for (f, o) in ints(&msginfo) {
        at("msginfo", &f, o);
    }
    at("msginfo", "msgseg", 28);
    for (i, f) in ["shmmax", "shmmin", "shmmni", "shmseg", "shmall"]
        .iter()
        .enumerate()
    {
        at("shminfo64", f, i * 8);
    }
    at("shm_info", "used_ids", 0);
    for (i, f) in ["shm_tot", "shm_rss", "shm_swp"].iter().enumerate() {
        at("shm_info", f, 8 + i * 8);
    }
    let raw = [1, 2, 3, 4, 5, 6];
    let b = SemBuf::parse_all(&raw)[0];
    assert_eq!((b.num, b.op, b.flags), (0x0201, 0x0403, 0x0605));
    at("sembuf", "sem_num", 0);
    at("sembuf", "sem_op", 2);
    at("sembuf", "sem_flg", 4);
    for (ty, size) in [
        ("ipc64_perm", IPC64_PERM_SIZE),
        ("shmid64_ds", SHMID64_DS_SIZE),
        ("shminfo64", SHMINFO64_SIZE),
        ("shm_info", SHM_INFO_SIZE),
        ("semid64_ds", SEMID64_DS_SIZE),
        ("seminfo", SEMINFO_SIZE),
        ("sembuf", SEMBUF_SIZE),
        ("msqid64_ds", MSQID64_DS_SIZE),
        ("msginfo", MSGINFO_SIZE),
    ] {
        out.push(format!(
            "_Static_assert(sizeof(struct {ty}) == {size}, \"sizeof {ty}\");"
        ));
    }
    out
}

/// The structs the guest sees, checked against the AArch64 kernel's
/// uapi headers by the cross compiler (skipped without it, unless
/// KVRM_REQUIRE_GUESTS=1).
#[test]
fn layouts_match_the_arm64_uapi_headers() {
    let checks = layout_assertions();
    let cc = "aarch64-linux-gnu-gcc";
    if std::process::Command::new(cc)
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(
            std::env::var("KVRM_REQUIRE_GUESTS").as_deref() != Ok("1"),
            "{cc} is missing and KVRM_REQUIRE_GUESTS=1"
        );
        eprintln!("skipped: {cc} is not installed");
        return;
    }
    let mut src = String::from(
        "#include <stddef.h>\n#include <linux/ipc.h>\n#include <linux/shm.h>\n\
         #include <linux/sem.h>\n#include <linux/msg.h>\n",
    );
    for c in &checks {
        src.push_str(c);
        src.push('\n');
    }
    let mut child = std::process::Command::new(cc)
        .args(["-fsyntax-only", "-x", "c", "-"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run the cross compiler");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), src.as_bytes()).unwrap();
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}\n{src}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(checks.len() > 50);
}

#[test]
fn proc_files_have_linux_headers() {
    let p = crate::LinuxProcess::for_tests();
    let shm = String::from_utf8(p.sysvipc_file("sysvipc/shm")).unwrap();
    assert!(shm.starts_with("       key      shmid perms"));
    assert!(shm.ends_with("swap\n"));
    let msg = String::from_utf8(p.sysvipc_file("sysvipc/msg")).unwrap();
    assert!(msg.contains("cbytes       qnum lspid lrpid"));
}

// ----- the calls through a kernel: permissions, waiting, undo ------------

/// Guest memory every test process has: its buffers.
const BUF: u64 = 0x10000;
const KEY: u64 = 0x4b56_524d;

/// A kernel on the CPU engine with one process per uid (none runs:
/// their calls are made with `Kernel::service`).
fn kernel_with(uids: &[u32]) -> (Kernel, Vec<Pid>) {
    let mut k = Kernel::new(
        Box::new(kvrm_cpu::CpuEngine::new()),
        KernelConfig {
            deterministic: true,
            ..Default::default()
        },
    );
    let pids = uids
        .iter()
        .map(|&uid| {
            let mut space = AddressSpace::new();
            space.map(BUF, 0x10000, Perms::RW).unwrap();
            let mut linux = LinuxProcess::for_tests();
            linux.uid = uid;
            linux.gid = uid;
            k.add_process(space, CpuState::default(), linux)
        })
        .collect();
    (k, pids)
}

/// Make syscall `nr` as thread `tid`: its x0, or None while it waits.
fn call(k: &mut Kernel, tid: Pid, nr: u64, args: &[u64]) -> Option<i64> {
    k.service(tid, nr, args);
    (!k.is_waiting(tid)).then(|| result(k, tid))
}

fn result(k: &Kernel, tid: Pid) -> i64 {
    k.state(tid).unwrap().x[0] as i64
}

/// semop of `ops` (num, op, flags) from BUF.
fn semop(k: &mut Kernel, tid: Pid, id: i64, ops: &[(u16, i16, i16)]) -> Option<i64> {
    let raw: Vec<u8> = ops
        .iter()
        .flat_map(|&(n, o, f)| [n.to_le_bytes(), o.to_le_bytes(), f.to_le_bytes()])
        .flatten()
        .collect();
    k.space_mut(tid).unwrap().write_bytes(BUF, &raw).unwrap();
    call(k, tid, num::SEMOP, &[id as u64, BUF, ops.len() as u64])
}

fn getval(k: &mut Kernel, tid: Pid, id: i64, n: u64) -> Option<i64> {
    call(k, tid, num::SEMCTL, &[id as u64, n, GETVAL as u64])
}

#[test]
fn access_follows_the_mode_and_the_owner() {
    let (mut k, p) = kernel_with(&[1000, 2000, 0]);
    let (owner, other, root) = (p[0], p[1], p[2]);
    let id = call(
        &mut k,
        owner,
        num::SEMGET,
        &[KEY, 2, (IPC_CREAT | 0o640) as u64],
    )
    .unwrap();
    assert!(id >= 0);
    // Another user (and group) asks for read and write: refused; asking
    // nothing finds the set, whose operations are then refused.
    let e = |v: i64| Some(-v);
    assert_eq!(
        call(&mut k, other, num::SEMGET, &[KEY, 0, 0o600]),
        e(EACCES)
    );
    assert_eq!(call(&mut k, other, num::SEMGET, &[KEY, 0, 0]), Some(id));
    assert_eq!(getval(&mut k, other, id, 0), e(EACCES));
    assert_eq!(semop(&mut k, other, id, &[(0, 1, 0)]), e(EACCES));
    assert_eq!(
        call(&mut k, other, num::SEMCTL, &[id as u64, 0, IPC_RMID as u64]),
        e(EPERM)
    );
    // Root may do anything; the owner may read and write.
    assert_eq!(getval(&mut k, root, id, 0), Some(0));
    assert_eq!(semop(&mut k, owner, id, &[(1, 3, 0)]), Some(0));
    assert_eq!(getval(&mut k, owner, id, 1), Some(3));
    // IPC_SET by the owner opens it to others.
    let mut ds = [0u8; SEMID64_DS_SIZE];
    put_u32(&mut ds, 4, 1000);
    put_u32(&mut ds, 8, 1000);
    put_u32(&mut ds, 20, 0o666);
    k.space_mut(owner).unwrap().write_bytes(BUF, &ds).unwrap();
    assert_eq!(
        call(
            &mut k,
            owner,
            num::SEMCTL,
            &[id as u64, 0, IPC_SET as u64, BUF]
        ),
        Some(0)
    );
    assert_eq!(getval(&mut k, other, id, 1), Some(3));
    // Shared memory and queues check the same way.
    let shm = call(&mut k, owner, num::SHMGET, &[0, 4096, 0o600]).unwrap();
    assert_eq!(
        call(&mut k, other, num::SHMAT, &[shm as u64, 0, 0]),
        e(EACCES)
    );
    let q = call(&mut k, owner, num::MSGGET, &[0, 0o600]).unwrap();
    assert_eq!(
        call(
            &mut k,
            other,
            num::MSGCTL,
            &[q as u64, IPC_STAT as u64, BUF]
        ),
        e(EACCES)
    );
    // Raising a queue's byte limit past MSGMNB needs privilege.
    let mut mq = [0u8; MSQID64_DS_SIZE];
    put_u32(&mut mq, 4, 1000);
    put_u32(&mut mq, 20, 0o600);
    put_u64(&mut mq, 88, MSGMNB + 1);
    k.space_mut(owner).unwrap().write_bytes(BUF, &mq).unwrap();
    assert_eq!(
        call(&mut k, owner, num::MSGCTL, &[q as u64, IPC_SET as u64, BUF]),
        e(EPERM)
    );
}

#[test]
fn waiters_are_served_first_come_first_served() {
    let (mut k, p) = kernel_with(&[0, 0, 0]);
    let (a, b, c) = (p[0], p[1], p[2]);
    let id = call(&mut k, a, num::SEMGET, &[0, 1, 0o600]).unwrap();
    // b waits for 1, c for 2: both counted by GETNCNT.
    assert_eq!(semop(&mut k, b, id, &[(0, -1, 0)]), None);
    assert_eq!(semop(&mut k, c, id, &[(0, -2, 0)]), None);
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, GETNCNT as u64]),
        Some(2)
    );
    // +2: b, first in line, takes 1; then c cannot have 2.
    assert_eq!(semop(&mut k, a, id, &[(0, 2, 0)]), Some(0));
    assert!(!k.is_waiting(b) && k.is_waiting(c));
    assert_eq!(result(&k, b), 0);
    assert_eq!(getval(&mut k, a, id, 0), Some(1));
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, GETNCNT as u64]),
        Some(1)
    );
    // SETVAL wakes too.
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, SETVAL as u64, 5]),
        Some(0)
    );
    assert!(!k.is_waiting(c));
    assert_eq!(getval(&mut k, a, id, 0), Some(3));
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, GETPID as u64]),
        Some(c as i64)
    );
    // A wait-for-zero, ended by removal with EIDRM.
    assert_eq!(semop(&mut k, b, id, &[(0, 0, 0)]), None);
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, GETZCNT as u64]),
        Some(1)
    );
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, IPC_RMID as u64]),
        Some(0)
    );
    assert_eq!(result(&k, b), -EIDRM);
    assert!(!k.is_waiting(b));
}

#[test]
fn undo_at_exit_serves_waiters() {
    let (mut k, p) = kernel_with(&[0, 0, 0]);
    let (a, holder, waiter) = (p[0], p[1], p[2]);
    let id = call(&mut k, a, num::SEMGET, &[0, 2, 0o600]).unwrap();
    assert_eq!(
        call(&mut k, a, num::SEMCTL, &[id as u64, 0, SETVAL as u64, 1]),
        Some(0)
    );
    assert_eq!(
        semop(&mut k, holder, id, &[(0, -1, SEM_UNDO), (1, 4, SEM_UNDO)]),
        Some(0)
    );
    assert_eq!(semop(&mut k, waiter, id, &[(0, -1, 0)]), None);
    k.service(holder, crate::syscalls::nr::EXIT_GROUP, &[0]);
    assert!(
        !k.is_waiting(waiter),
        "the holder's exit gave the semaphore back"
    );
    assert_eq!(result(&k, waiter), 0);
    assert_eq!(getval(&mut k, a, id, 0), Some(0));
    assert_eq!(getval(&mut k, a, id, 1), Some(0), "+4 undone");
}

#[test]
fn a_waiting_receiver_gets_the_message_in_its_memory() {
    let (mut k, p) = kernel_with(&[0, 0]);
    let (sender, receiver) = (p[0], p[1]);
    let q = call(&mut k, sender, num::MSGGET, &[0, 0o600]).unwrap();
    assert_eq!(
        call(
            &mut k,
            receiver,
            num::MSGRCV,
            &[q as u64, BUF + 64, 16, 7, 0]
        ),
        None
    );
    let mut m = 5i64.to_le_bytes().to_vec();
    m.extend_from_slice(b"five");
    k.space_mut(sender).unwrap().write_bytes(BUF, &m).unwrap();
    // Type 5 is not what it waits for; it stays queued.
    assert_eq!(
        call(&mut k, sender, num::MSGSND, &[q as u64, BUF, 4, 0]),
        Some(0)
    );
    assert!(k.is_waiting(receiver));
    m[0] = 7;
    m[8..].copy_from_slice(b"7777");
    k.space_mut(sender).unwrap().write_bytes(BUF, &m).unwrap();
    assert_eq!(
        call(&mut k, sender, num::MSGSND, &[q as u64, BUF, 4, 0]),
        Some(0)
    );
    assert_eq!(result(&k, receiver), 4);
    let mut got = [0u8; 12];
    k.space(receiver)
        .unwrap()
        .read_bytes(BUF + 64, &mut got)
        .unwrap();
    assert_eq!(&got[..8], &7i64.to_le_bytes());
    assert_eq!(&got[8..], b"7777");
    let e = k.ipc.msg.get(q as i32).unwrap();
    assert_eq!((e.obj.len(), e.obj.cbytes), (1, 4), "type 5 is left");
    // A full queue makes the sender wait; a receive makes room.
    let mut ds = [0u8; MSQID64_DS_SIZE];
    put_u32(&mut ds, 20, 0o600);
    put_u64(&mut ds, 88, 6);
    k.space_mut(sender)
        .unwrap()
        .write_bytes(BUF + 256, &ds)
        .unwrap();
    let set = [q as u64, IPC_SET as u64, BUF + 256];
    assert_eq!(call(&mut k, sender, num::MSGCTL, &set), Some(0));
    assert_eq!(
        call(&mut k, sender, num::MSGSND, &[q as u64, BUF, 4, 0]),
        None
    );
    assert_eq!(
        call(
            &mut k,
            receiver,
            num::MSGRCV,
            &[q as u64, BUF + 64, 16, 0, 0]
        ),
        Some(4)
    );
    assert!(!k.is_waiting(sender));
    assert_eq!(result(&k, sender), 0);
}
