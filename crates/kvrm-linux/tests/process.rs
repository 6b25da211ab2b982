//! ELF loading errors, the initial stack and auxv, and syscalls called
//! directly on a guest memory.

use std::path::{Path, PathBuf};

use kvrm_cpu::Cpu;
use kvrm_isa::features::{hwcap, HWCAP, HWCAP2};
use kvrm_isa::{Backend, AddressSpace, Perms};
use kvrm_linux::abi::{auxv::*, errno::*, layout};
use kvrm_linux::syscalls::nr;
use kvrm_linux::{
    load, load_elf, run, ElfError, LinuxProcess, ProcessConfig, ProgramSpec, RunEnd, SyscallOutcome,
};

fn asm(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/asm")
        .join(name)
}

fn hello_bytes() -> Vec<u8> {
    std::fs::read(asm("hello")).unwrap()
}

// ----- ELF errors ---------------------------------------------------------------

#[test]
fn elf_errors_are_reported_not_panics() {
    let good = hello_bytes();
    let mut mem = AddressSpace::new();
    assert!(load_elf(&good, &mut mem).is_ok());

    let err = |bytes: &[u8]| load_elf(bytes, &mut AddressSpace::new()).unwrap_err();
    assert_eq!(err(b"#!/bin/sh\n"), ElfError::NotElf);
    assert_eq!(err(b""), ElfError::NotElf);
    assert!(matches!(err(&good[..30]), ElfError::Truncated(_)));
    // Program headers cut off.
    assert!(matches!(err(&good[..70]), ElfError::Truncated(_)));
    // Segment data cut off.
    assert!(matches!(err(&good[..0xc0]), ElfError::Truncated(_)));

    let mut x86 = good.clone();
    x86[18..20].copy_from_slice(&62u16.to_le_bytes()); // EM_X86_64
    assert_eq!(err(&x86), ElfError::WrongMachine(62));

    let mut e32 = good.clone();
    e32[4] = 1; // ELFCLASS32
    assert_eq!(err(&e32), ElfError::Elf32);

    let mut be = good.clone();
    be[5] = 2; // ELFDATA2MSB
    assert_eq!(err(&be), ElfError::BigEndian);

    let mut rel = good.clone();
    rel[16..18].copy_from_slice(&1u16.to_le_bytes()); // ET_REL
    assert_eq!(err(&rel), ElfError::NotExecutable(1));

    // Turn the data segment's header into PT_INTERP: a dynamic executable.
    let phoff = u64::from_le_bytes(good[32..40].try_into().unwrap()) as usize;
    let mut dynamic = good.clone();
    dynamic[phoff + 56..phoff + 60].copy_from_slice(&3u32.to_le_bytes());
    assert!(matches!(err(&dynamic), ElfError::Dynamic(_)));

    // Random garbage after a valid ident never panics.
    let mut junk = good.clone();
    for (i, b) in junk.iter_mut().enumerate().skip(16).take(48) {
        *b = (i * 37) as u8;
    }
    let _ = load_elf(&junk, &mut AddressSpace::new());
    for cut in 0..good.len() {
        let _ = load_elf(&good[..cut], &mut AddressSpace::new());
    }
}

#[test]
fn failed_load_leaves_memory_empty() {
    let good = hello_bytes();
    let mut mem = AddressSpace::new();
    assert!(load_elf(&good[..0xd8], &mut mem).is_err());
    assert!(mem.regions().is_empty());
}

#[test]
fn segments_have_their_permissions() {
    let mut mem = AddressSpace::new();
    let l = load_elf(&hello_bytes(), &mut mem).unwrap();
    assert_eq!(l.entry, 0x4000b0);
    assert_eq!(mem.perms_at(0x400000), Some(Perms::RX));
    assert_eq!(mem.perms_at(0x4010d4), Some(Perms::RW));
    assert_eq!(l.brk_start, 0x402000);
    assert_eq!(l.phdr, 0x400040);
    assert_eq!(l.phnum, 2);
    let mut msg = [0u8; 12];
    mem.read_bytes(0x4010d4, &mut msg).unwrap();
    assert_eq!(&msg, b"hello, kvrm\n");
}

#[test]
fn static_pie_loads_at_a_base() {
    let mut mem = AddressSpace::new();
    let data = std::fs::read(asm("exit42_pie")).unwrap();
    let l = load_elf(&data, &mut mem).unwrap();
    assert_eq!(l.bias, layout::PIE_BASE);
    assert!(l.entry > layout::PIE_BASE);
    let spec = ProgramSpec {
        exe: asm("exit42_pie"),
        argv: vec![b"exit42_pie".to_vec()],
        envp: vec![],
        root: asm(""),
        cwd: None,
    };
    let mut cpu = Cpu::new(AddressSpace::new());
    let mut p = load(&mut cpu, &spec).unwrap();
    let s = run(&mut cpu, &mut p, Some(1000));
    assert_eq!(s.end.status(), 42, "{:?}", s.end);
}

// ----- the initial stack ----------------------------------------------------------

#[test]
fn stack_and_auxv_layout() {
    let spec = ProgramSpec {
        exe: asm("hello"),
        argv: vec![b"prog".to_vec(), b"arg one".to_vec()],
        envp: vec![b"A=1".to_vec(), b"BB=22".to_vec()],
        root: asm(""),
        cwd: None,
    };
    let mut cpu = Cpu::new(AddressSpace::new());
    load(&mut cpu, &spec).unwrap();
    let st = *cpu.state();
    assert_eq!(st.pc, 0x4000b0);
    assert_eq!(st.sp % 16, 0);
    assert!(st.x.iter().all(|&x| x == 0));
    assert!(st.sp < layout::STACK_TOP && st.sp > layout::STACK_TOP - layout::STACK_SIZE);
    let m = cpu.memory_mut();
    let word = |m: &mut AddressSpace, a: u64| m.read_u64(a).unwrap();
    let cstr = |m: &mut AddressSpace, a: u64| m.read_cstring(a, 4096).unwrap();
    let sp = st.sp;
    assert_eq!(word(m, sp), 2);
    let a0 = word(m, sp + 8);
    assert_eq!(cstr(m, a0), b"prog");
    let a1 = word(m, sp + 16);
    assert_eq!(cstr(m, a1), b"arg one");
    assert_eq!(word(m, sp + 24), 0);
    let e0 = word(m, sp + 32);
    assert_eq!(cstr(m, e0), b"A=1");
    let e1 = word(m, sp + 40);
    assert_eq!(cstr(m, e1), b"BB=22");
    assert_eq!(word(m, sp + 48), 0);
    let mut aux = std::collections::HashMap::new();
    let mut a = sp + 56;
    loop {
        let (k, v) = (word(m, a), word(m, a + 8));
        a += 16;
        if k == AT_NULL {
            break;
        }
        assert!(aux.insert(k, v).is_none(), "duplicate auxv key {k}");
    }
    assert_eq!(aux[&AT_HWCAP], HWCAP);
    // What is not implemented is not advertised.
    for missing in [
        hwcap::FPHP,
        hwcap::ASIMDHP,
        hwcap::SVE,
        hwcap::PACA,
        hwcap::PACG,
        hwcap::AES,
        hwcap::SHA2,
        hwcap::EVTSTRM,
    ] {
        assert_eq!(aux[&AT_HWCAP] & missing, 0, "{missing:#x} advertised");
    }
    assert_ne!(aux[&AT_HWCAP] & hwcap::ATOMICS, 0);
    assert_eq!(aux[&AT_HWCAP2], HWCAP2);
    assert_eq!(aux[&AT_PAGESZ], 4096);
    assert_eq!(aux[&AT_CLKTCK], 100);
    assert_eq!(aux[&AT_BASE], 0);
    assert_eq!(aux[&AT_FLAGS], 0);
    assert_eq!(aux[&AT_SECURE], 0);
    assert_eq!(aux[&AT_ENTRY], 0x4000b0);
    assert_eq!(aux[&AT_PHENT], 56);
    assert_eq!(aux[&AT_PHNUM], 2);
    assert!(aux[&AT_MINSIGSTKSZ] >= 4096);
    // AT_PHDR points at the program headers as in the file.
    let file = hello_bytes();
    let mut ph = vec![0u8; 112];
    m.read_bytes(aux[&AT_PHDR], &mut ph).unwrap();
    assert_eq!(&ph[..], &file[64..176]);
    let plat = aux[&AT_PLATFORM];
    assert_eq!(cstr(m, plat), b"aarch64");
    let execfn = aux[&AT_EXECFN];
    assert_eq!(cstr(m, execfn), asm("hello").as_os_str().as_encoded_bytes());
    let rnd = aux[&AT_RANDOM];
    let mut r = [0u8; 16];
    m.read_bytes(rnd, &mut r).unwrap();
    assert_ne!(r, [0u8; 16]);
    for k in [AT_UID, AT_EUID, AT_GID, AT_EGID] {
        assert!(aux.contains_key(&k));
    }
    // Strings lie above the pointer tables, inside the stack.
    assert!(a0 > a && execfn < layout::STACK_TOP);
}

// ----- syscalls on a guest memory -------------------------------------------------

const BUF: u64 = 0x10000;

fn process(root: &Path) -> (LinuxProcess, AddressSpace) {
    let p = LinuxProcess::new(ProcessConfig {
        root: root.to_path_buf(),
        exe_host: asm("hello"),
        exe_link: b"/hello".to_vec(),
        cwd: "/".into(),
        brk_start: 0x80_0000,
    })
    .unwrap();
    let mut mem = AddressSpace::new();
    mem.map(BUF, 0x10000, Perms::RW).unwrap();
    mem.map(0x30000, 0x1000, Perms::R).unwrap();
    (p, mem)
}

fn sys(p: &mut LinuxProcess, m: &mut AddressSpace, n: u64, a: &[u64]) -> i64 {
    let mut args = [0u64; 6];
    args[..a.len()].copy_from_slice(a);
    match p.syscall(m, n, args) {
        SyscallOutcome::Return(v) => v as i64,
        SyscallOutcome::Exit(e) => panic!("unexpected exit {e:?}"),
    }
}

fn put_str(m: &mut AddressSpace, a: u64, s: &str) -> u64 {
    let mut b = s.as_bytes().to_vec();
    b.push(0);
    m.write_bytes(a, &b).unwrap();
    a
}

#[test]
fn bad_pointers_give_efault() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    assert_eq!(sys(&mut p, &mut m, nr::WRITE, &[1, 0x10, 5]), -EFAULT);
    assert_eq!(
        sys(&mut p, &mut m, nr::WRITE, &[1, u64::MAX - 2, 5]),
        -EFAULT
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::READ, &[0, 0x30000, 5]),
        -EFAULT,
        "read-only buffer"
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::OPENAT, &[-100i64 as u64, 0x5, 0, 0]),
        -EFAULT
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::CLOCK_GETTIME, &[1, 0x30000]),
        -EFAULT
    );
    assert_eq!(sys(&mut p, &mut m, nr::UNAME, &[0x20]), -EFAULT);
    assert_eq!(sys(&mut p, &mut m, nr::FSTAT, &[1, 0x30000]), -EFAULT);
    assert_eq!(sys(&mut p, &mut m, nr::WRITE, &[99, BUF, 1]), -EBADF);
    // writev with a bad iovec array.
    assert_eq!(sys(&mut p, &mut m, nr::WRITEV, &[1, 0x40, 1]), -EFAULT);
}

#[test]
fn mmap_munmap_mprotect() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    let anon = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS
    assert_eq!(
        sys(&mut p, &mut m, nr::MMAP, &[0, 0, 3, anon, u64::MAX, 0]),
        -EINVAL
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::MMAP, &[0, 4096, 3, 0x20, u64::MAX, 0]),
        -EINVAL,
        "no type"
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::MMAP, &[0, 4096, 3, anon, u64::MAX, 1]),
        -EINVAL,
        "offset"
    );
    let a = sys(&mut p, &mut m, nr::MMAP, &[0, 10000, 3, anon, u64::MAX, 0]) as u64;
    assert_eq!(a % 4096, 0);
    assert!(a < layout::MMAP_TOP);
    assert_eq!(m.read_u64(a + 8192).unwrap(), 0);
    m.write_u64(a, 7).unwrap();
    // MAP_FIXED replaces; MAP_FIXED_NOREPLACE refuses.
    assert_eq!(
        sys(
            &mut p,
            &mut m,
            nr::MMAP,
            &[a, 4096, 1, anon | 0x100000, u64::MAX, 0]
        ),
        -EEXIST
    );
    assert_eq!(
        sys(
            &mut p,
            &mut m,
            nr::MMAP,
            &[a, 4096, 1, anon | 0x10, u64::MAX, 0]
        ) as u64,
        a
    );
    assert_eq!(m.read_u64(a).unwrap(), 0, "fixed mapping is fresh");
    assert!(m.write_u64(a, 1).is_err(), "read-only now");
    assert_eq!(sys(&mut p, &mut m, nr::MPROTECT, &[a, 4096, 3]), 0);
    m.write_u64(a, 1).unwrap();
    assert_eq!(
        sys(&mut p, &mut m, nr::MPROTECT, &[a + 1, 4096, 3]),
        -EINVAL
    );
    assert_eq!(sys(&mut p, &mut m, nr::MUNMAP, &[a, 0]), -EINVAL);
    assert_eq!(sys(&mut p, &mut m, nr::MUNMAP, &[a + 1, 4096]), -EINVAL);
    assert_eq!(sys(&mut p, &mut m, nr::MUNMAP, &[a, 12288]), 0);
    assert!(m.read_u64(a).is_err());
    assert_eq!(sys(&mut p, &mut m, nr::MPROTECT, &[a, 4096, 3]), -ENOMEM);
    // Two mappings do not overlap.
    let b = sys(&mut p, &mut m, nr::MMAP, &[0, 8192, 3, anon, u64::MAX, 0]) as u64;
    let c = sys(&mut p, &mut m, nr::MMAP, &[0, 8192, 3, anon, u64::MAX, 0]) as u64;
    assert!(b + 8192 <= c || c + 8192 <= b);
}

#[test]
fn mremap_grows_and_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    let anon = 0x22;
    let a = sys(&mut p, &mut m, nr::MMAP, &[0, 4096, 3, anon, u64::MAX, 0]) as u64;
    m.write_u64(a, 0xabcd).unwrap();
    // Block growth in place, then move.
    let blocker = a + 4096;
    let _ = sys(
        &mut p,
        &mut m,
        nr::MMAP,
        &[blocker, 4096, 1, anon | 0x10, u64::MAX, 0],
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::MREMAP, &[a, 4096, 8192, 0, 0]),
        -ENOMEM
    );
    let b = sys(&mut p, &mut m, nr::MREMAP, &[a, 4096, 8192, 1, 0]) as u64;
    assert_ne!(b, a);
    assert_eq!(m.read_u64(b).unwrap(), 0xabcd);
    m.write_u64(b + 4096, 1).unwrap();
    assert!(m.read_u64(a).is_err());
    // Shrink in place.
    assert_eq!(
        sys(&mut p, &mut m, nr::MREMAP, &[b, 8192, 4096, 0, 0]) as u64,
        b
    );
    assert!(m.read_u64(b + 4096).is_err());
}

#[test]
fn madvise_dontneed_zeroes() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    let a = sys(&mut p, &mut m, nr::MMAP, &[0, 8192, 3, 0x22, u64::MAX, 0]) as u64;
    m.write_u64(a + 4096, 5).unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::MADVISE, &[a, 8192, 4]), 0);
    assert_eq!(m.read_u64(a + 4096).unwrap(), 0);
}

#[test]
fn brk_grows_and_shrinks() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    let start = sys(&mut p, &mut m, nr::BRK, &[0]) as u64;
    assert_eq!(start, 0x80_0000);
    assert!(m.read_u8(start).is_err());
    assert_eq!(
        sys(&mut p, &mut m, nr::BRK, &[start + 100]) as u64,
        start + 100
    );
    m.write_u8(start + 99, 1).unwrap();
    m.write_u8(start + 4095, 1).unwrap();
    assert_eq!(
        sys(&mut p, &mut m, nr::BRK, &[start + 0x5000]) as u64,
        start + 0x5000
    );
    m.write_u8(start + 0x4fff, 1).unwrap();
    assert_eq!(
        sys(&mut p, &mut m, nr::BRK, &[start + 0x1000]) as u64,
        start + 0x1000
    );
    assert!(m.read_u8(start + 0x1000).is_err());
    // Below the start: unchanged.
    assert_eq!(
        sys(&mut p, &mut m, nr::BRK, &[start - 1]) as u64,
        start + 0x1000
    );
    // Into an existing mapping: refused.
    let fixed = start + 0x10000;
    let _ = sys(
        &mut p,
        &mut m,
        nr::MMAP,
        &[fixed, 4096, 3, 0x32, u64::MAX, 0],
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::BRK, &[fixed + 8]) as u64,
        start + 0x1000
    );
}

#[test]
fn files_in_the_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::fs::write(tmp.path().join("outside"), b"secret").unwrap();
    std::os::unix::fs::symlink("../../outside", root.join("d/link")).unwrap();
    let (mut p, mut m) = process(&root);
    let at = -100i64 as u64;
    // Create, write, seek, read back.
    let path = put_str(&mut m, BUF, "/d/new.txt");
    let fd = sys(
        &mut p,
        &mut m,
        nr::OPENAT,
        &[at, path, 0o102 | 0o1000, 0o644],
    ) as u64; // O_RDWR|O_CREAT|O_TRUNC
    assert!(fd >= 3, "{fd}");
    m.write_bytes(BUF + 0x100, b"abcdef").unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::WRITE, &[fd, BUF + 0x100, 6]), 6);
    assert_eq!(sys(&mut p, &mut m, nr::LSEEK, &[fd, 2, 0]), 2);
    assert_eq!(sys(&mut p, &mut m, nr::READ, &[fd, BUF + 0x200, 100]), 4);
    assert_eq!(m.read_cstring(BUF + 0x200, 4).unwrap(), b"cdef");
    assert_eq!(
        sys(&mut p, &mut m, nr::PREAD64, &[fd, BUF + 0x200, 2, 1]),
        2
    );
    assert_eq!(m.read_cstring(BUF + 0x200, 2).unwrap(), b"bc");
    assert_eq!(std::fs::read(root.join("d/new.txt")).unwrap(), b"abcdef");
    // fstat: size 6, regular file.
    assert_eq!(sys(&mut p, &mut m, nr::FSTAT, &[fd, BUF + 0x400]), 0);
    assert_eq!(m.read_u64(BUF + 0x400 + 48).unwrap(), 6);
    assert_eq!(m.read_u32(BUF + 0x400 + 16).unwrap() & 0o170000, 0o100000);
    // dup / fcntl / close.
    let d = sys(&mut p, &mut m, nr::DUP, &[fd]) as u64;
    assert_eq!(sys(&mut p, &mut m, nr::FCNTL, &[d, 1, 0]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::DUP3, &[fd, 50, 0o2000000]), 50);
    assert_eq!(sys(&mut p, &mut m, nr::FCNTL, &[50, 1, 0]), 1);
    assert_eq!(sys(&mut p, &mut m, nr::DUP3, &[fd, fd, 0]), -EINVAL);
    assert_eq!(sys(&mut p, &mut m, nr::FCNTL, &[fd, 3, 0]) as u64 & 3, 2);
    for f in [fd, d, 50] {
        assert_eq!(sys(&mut p, &mut m, nr::CLOSE, &[f]), 0);
    }
    assert_eq!(sys(&mut p, &mut m, nr::CLOSE, &[fd]), -EBADF);
    // A symlink pointing outside the root does not reach the host file.
    let link = put_str(&mut m, BUF + 0x800, "/d/link");
    assert_eq!(sys(&mut p, &mut m, nr::OPENAT, &[at, link, 0, 0]), -ENOENT);
    let esc = put_str(&mut m, BUF, "../../../outside");
    assert_eq!(sys(&mut p, &mut m, nr::OPENAT, &[at, esc, 0, 0]), -ENOENT);
    // readlinkat gives the stored target; /proc/self/exe the program.
    assert_eq!(
        sys(&mut p, &mut m, nr::READLINKAT, &[at, link, BUF + 0x100, 64]),
        13
    );
    assert_eq!(m.read_cstring(BUF + 0x100, 13).unwrap(), b"../../outside");
    let exe = put_str(&mut m, BUF, "/proc/self/exe");
    assert_eq!(
        sys(&mut p, &mut m, nr::READLINKAT, &[at, exe, BUF + 0x100, 64]),
        6
    );
    // The executable (outside the root) can be read, not written or chmod'ed.
    assert_eq!(sys(&mut p, &mut m, nr::OPENAT, &[at, exe, 2, 0]), -ETXTBSY);
    let xfd = sys(&mut p, &mut m, nr::OPENAT, &[at, exe, 0, 0]) as u64;
    assert_eq!(sys(&mut p, &mut m, nr::READ, &[xfd, BUF + 0x100, 4]), 4);
    assert_eq!(
        m.read_u32(BUF + 0x100).unwrap(),
        u32::from_le_bytes(*b"\x7fELF")
    );
    assert_eq!(sys(&mut p, &mut m, nr::FCHMOD, &[xfd, 0o777]), -EPERM);
    assert_eq!(sys(&mut p, &mut m, nr::WRITE, &[xfd, BUF, 1]), -EBADF);
    // mkdir, chdir, getcwd, relative open, getdents64, unlink, rmdir.
    let sub = put_str(&mut m, BUF, "d/sub");
    assert_eq!(sys(&mut p, &mut m, nr::MKDIRAT, &[at, sub, 0o755]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::MKDIRAT, &[at, sub, 0o755]), -EEXIST);
    assert_eq!(sys(&mut p, &mut m, nr::CHDIR, &[sub]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::GETCWD, &[BUF + 0x100, 64]), 7);
    assert_eq!(m.read_cstring(BUF + 0x100, 64).unwrap(), b"/d/sub");
    assert_eq!(sys(&mut p, &mut m, nr::GETCWD, &[BUF + 0x100, 3]), -ERANGE);
    let up = put_str(&mut m, BUF, "..");
    let dfd = sys(&mut p, &mut m, nr::OPENAT, &[at, up, 0o40000, 0]) as u64; // O_DIRECTORY
    let n = sys(&mut p, &mut m, nr::GETDENTS64, &[dfd, BUF + 0x1000, 4096]);
    assert!(n > 0);
    let mut names = Vec::new();
    let mut off = 0u64;
    while off < n as u64 {
        let reclen = m.read_u16(BUF + 0x1000 + off + 16).unwrap() as u64;
        names.push(
            String::from_utf8(m.read_cstring(BUF + 0x1000 + off + 19, 256).unwrap()).unwrap(),
        );
        off += reclen;
    }
    names.sort();
    assert_eq!(names, [".", "..", "link", "new.txt", "sub"]);
    assert_eq!(
        sys(&mut p, &mut m, nr::GETDENTS64, &[dfd, BUF + 0x1000, 4096]),
        0
    );
    assert_eq!(sys(&mut p, &mut m, nr::LSEEK, &[dfd, 0, 0]), 0);
    assert!(sys(&mut p, &mut m, nr::GETDENTS64, &[dfd, BUF + 0x1000, 4096]) > 0);
    let rel = put_str(&mut m, BUF, "new.txt");
    assert_eq!(
        sys(&mut p, &mut m, nr::NEWFSTATAT, &[dfd, rel, BUF + 0x400, 0]),
        0
    );
    assert_eq!(sys(&mut p, &mut m, nr::UNLINKAT, &[dfd, rel, 0]), 0);
    assert_eq!(
        sys(&mut p, &mut m, nr::NEWFSTATAT, &[dfd, rel, BUF + 0x400, 0]),
        -ENOENT
    );
    let dot = put_str(&mut m, BUF, "/d/sub");
    assert_eq!(sys(&mut p, &mut m, nr::UNLINKAT, &[at, dot, 0x200]), 0);
    let root_path = put_str(&mut m, BUF + 0x900, "/");
    assert_eq!(
        sys(&mut p, &mut m, nr::UNLINKAT, &[at, root_path, 0x200]),
        -16,
        "EBUSY"
    );
    // /dev/null works without a /dev in the root.
    let null = put_str(&mut m, BUF, "/dev/null");
    let nfd = sys(&mut p, &mut m, nr::OPENAT, &[at, null, 2, 0]) as u64;
    assert_eq!(sys(&mut p, &mut m, nr::READ, &[nfd, BUF, 10]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::WRITE, &[nfd, BUF, 10]), 10);
    // statx and faccessat on the root.
    assert_eq!(
        sys(
            &mut p,
            &mut m,
            nr::STATX,
            &[at, root_path, 0, 0x7ff, BUF + 0x400]
        ),
        0
    );
    assert_eq!(
        m.read_u16(BUF + 0x400 + 28).unwrap() as u32 & 0o170000,
        0o040000
    );
    assert_eq!(sys(&mut p, &mut m, nr::FACCESSAT, &[at, root_path, 0]), 0);
    let missing = put_str(&mut m, BUF, "/nope");
    assert_eq!(
        sys(&mut p, &mut m, nr::FACCESSAT, &[at, missing, 0]),
        -ENOENT
    );
}

#[test]
fn pipes_and_misc() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    assert_eq!(sys(&mut p, &mut m, nr::PIPE2, &[BUF, 0]), 0);
    let r = m.read_u32(BUF).unwrap() as u64;
    let w = m.read_u32(BUF + 4).unwrap() as u64;
    m.write_bytes(BUF + 0x100, b"ping").unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::WRITE, &[w, BUF + 0x100, 4]), 4);
    assert_eq!(sys(&mut p, &mut m, nr::READ, &[r, BUF + 0x200, 10]), 4);
    assert_eq!(m.read_cstring(BUF + 0x200, 4).unwrap(), b"ping");
    assert_eq!(sys(&mut p, &mut m, nr::LSEEK, &[r, 0, 0]), -ESPIPE);
    assert_eq!(sys(&mut p, &mut m, nr::IOCTL, &[r, 0x5401, BUF]), -ENOTTY);
    // uname
    assert_eq!(sys(&mut p, &mut m, nr::UNAME, &[BUF]), 0);
    assert_eq!(m.read_cstring(BUF, 65).unwrap(), b"Linux");
    assert_eq!(m.read_cstring(BUF + 4 * 65, 65).unwrap(), b"aarch64");
    // Unknown syscalls: -ENOSYS.
    assert_eq!(sys(&mut p, &mut m, 9999, &[]), -ENOSYS);
    assert_eq!(sys(&mut p, &mut m, nr::RSEQ, &[]), -ENOSYS);
    // futex on a changed value.
    m.write_u32(BUF, 5).unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::FUTEX, &[BUF, 128, 4, 0]), -EAGAIN);
    assert_eq!(sys(&mut p, &mut m, nr::FUTEX, &[BUF, 129, 1, 0]), 0);
    // Signals: recorded, read back.
    m.write_bytes(BUF + 0x100, &[0x55; 32]).unwrap();
    assert_eq!(
        sys(&mut p, &mut m, nr::RT_SIGACTION, &[10, BUF + 0x100, 0, 8]),
        0
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::RT_SIGACTION, &[10, 0, BUF + 0x200, 8]),
        0
    );
    assert_eq!(m.read_u64(BUF + 0x218).unwrap(), 0x5555_5555_5555_5555);
    assert_eq!(
        sys(&mut p, &mut m, nr::RT_SIGACTION, &[9, BUF + 0x100, 0, 8]),
        -EINVAL
    );
    assert_eq!(
        sys(&mut p, &mut m, nr::RT_SIGACTION, &[10, 0, 0, 4]),
        -EINVAL
    );
    assert_eq!(sys(&mut p, &mut m, nr::SIGALTSTACK, &[0, BUF + 0x300]), 0);
    assert_eq!(m.read_u32(BUF + 0x308).unwrap(), 2, "SS_DISABLE");
    m.write_bytes(BUF + 0x300, &[0; 24]).unwrap();
    m.write_u64(BUF + 0x310, 100).unwrap();
    assert_eq!(
        sys(&mut p, &mut m, nr::SIGALTSTACK, &[BUF + 0x300, 0]),
        -ENOMEM
    );
    // Limits, time, random.
    assert_eq!(sys(&mut p, &mut m, nr::PRLIMIT64, &[0, 3, 0, BUF]), 0);
    assert_eq!(m.read_u64(BUF).unwrap(), layout::STACK_SIZE);
    assert_eq!(sys(&mut p, &mut m, nr::CLOCK_GETTIME, &[1, BUF]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::CLOCK_GETTIME, &[99, BUF]), -EINVAL);
    assert_eq!(sys(&mut p, &mut m, nr::GETRANDOM, &[BUF, 64, 0]), 64);
    assert_eq!(
        sys(&mut p, &mut m, nr::SCHED_GETAFFINITY, &[0, 128, BUF]),
        8
    );
    assert_eq!(m.read_u64(BUF).unwrap(), 1);
    assert_eq!(
        sys(&mut p, &mut m, nr::SET_TID_ADDRESS, &[BUF]),
        sys(&mut p, &mut m, nr::GETPID, &[])
    );
    m.write_bytes(BUF, &[0u8; 16]).unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::NANOSLEEP, &[BUF, 0]), 0);
    m.write_u64(BUF + 8, 2_000_000_000).unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::NANOSLEEP, &[BUF, 0]), -EINVAL);
    let counts = p.syscall_counts();
    assert!(counts
        .iter()
        .any(|&(n, name, c)| n == nr::WRITE && name == "write" && c == 1));
}

#[test]
fn exit_and_kill_end_the_process() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    let pid = sys(&mut p, &mut m, nr::GETPID, &[]) as u64;
    assert_eq!(sys(&mut p, &mut m, nr::TGKILL, &[pid, pid, 0]), 0);
    assert_eq!(
        sys(&mut p, &mut m, nr::KILL, &[pid, 17]),
        0,
        "SIGCHLD is ignored"
    );
    // Other pids are the host's: one above any pid_max does not exist.
    assert_eq!(sys(&mut p, &mut m, nr::KILL, &[0x7fff_fff0, 6]), -ESRCH);
    assert_eq!(sys(&mut p, &mut m, nr::TKILL, &[0x7fff_fff0, 6]), -ESRCH);
    // Blocked: pending, not acted on; rt_sigpending reports it.
    let set = 0x7fff_f000_0000u64;
    m.map(set, 4096, Perms::RW).unwrap();
    m.write_u64(set, 1 << 9).unwrap(); // SIGUSR1
    assert_eq!(sys(&mut p, &mut m, nr::RT_SIGPROCMASK, &[0, set, 0, 8]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::TKILL, &[pid, 10]), 0);
    assert_eq!(sys(&mut p, &mut m, nr::RT_SIGPENDING, &[set + 8, 8]), 0);
    assert_eq!(m.read_u64(set + 8).unwrap(), 1 << 9);
    // Unblocking it takes the default action (musl's raise blocks around tkill).
    let out = p.syscall(&mut m, nr::RT_SIGPROCMASK, [1, set, 0, 8, 0, 0]);
    assert_eq!(
        out,
        SyscallOutcome::Exit(kvrm_linux::ProcessExit::Signaled(10))
    );
    let out = p.syscall(&mut m, nr::TGKILL, [pid, pid, 6, 0, 0, 0]);
    assert_eq!(
        out,
        SyscallOutcome::Exit(kvrm_linux::ProcessExit::Signaled(6))
    );
    let out = p.syscall(&mut m, nr::EXIT_GROUP, [0x1_07, 0, 0, 0, 0, 0]);
    match out {
        SyscallOutcome::Exit(e) => assert_eq!(e.status(), 7),
        o => panic!("{o:?}"),
    }
    assert_eq!(
        RunEnd::Exited(kvrm_linux::ProcessExit::Signaled(6)).status(),
        134
    );
}

#[test]
fn readv_writev_and_partial_buffers() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut p, mut m) = process(tmp.path());
    let at = -100i64 as u64;
    let path = put_str(&mut m, BUF, "/v.txt");
    let fd = sys(&mut p, &mut m, nr::OPENAT, &[at, path, 0o102, 0o644]) as u64;
    m.write_bytes(BUF + 0x100, b"abc").unwrap();
    m.write_bytes(BUF + 0x200, b"defgh").unwrap();
    let iov = BUF + 0x300;
    for (i, (b, l)) in [(BUF + 0x100, 3u64), (BUF + 0x200, 0), (BUF + 0x200, 5)]
        .into_iter()
        .enumerate()
    {
        m.write_u64(iov + 16 * i as u64, b).unwrap();
        m.write_u64(iov + 16 * i as u64 + 8, l).unwrap();
    }
    assert_eq!(sys(&mut p, &mut m, nr::WRITEV, &[fd, iov, 3]), 8);
    assert_eq!(sys(&mut p, &mut m, nr::WRITEV, &[fd, iov, 2000]), -EINVAL);
    assert_eq!(
        std::fs::read(tmp.path().join("v.txt")).unwrap(),
        b"abcdefgh"
    );
    // readv scatters: 3 bytes, 0, then the rest.
    m.write_bytes(BUF + 0x100, &[0; 16]).unwrap();
    m.write_bytes(BUF + 0x200, &[0; 16]).unwrap();
    assert_eq!(sys(&mut p, &mut m, nr::PREADV, &[fd, iov, 3, 1]), 7);
    assert_eq!(m.read_cstring(BUF + 0x100, 16).unwrap(), b"bcd");
    assert_eq!(m.read_cstring(BUF + 0x200, 16).unwrap(), b"efgh");
    // A read whose buffer runs into an unmapped page reads what fits.
    let end = BUF + 0x10000 - 4;
    assert_eq!(sys(&mut p, &mut m, nr::PREAD64, &[fd, end, 100, 0]), 4);
    assert_eq!(m.read_u32(end).unwrap(), u32::from_le_bytes(*b"abcd"));
    // A write from a buffer that runs into unmapped memory writes what is there.
    assert_eq!(sys(&mut p, &mut m, nr::PWRITE64, &[fd, end, 100, 8]), 4);
    assert_eq!(
        std::fs::read(tmp.path().join("v.txt")).unwrap(),
        b"abcdefghabcd"
    );
    // Huge counts are fine when the file is short.
    assert_eq!(
        sys(&mut p, &mut m, nr::PREAD64, &[fd, BUF, u64::MAX >> 1, 0]),
        12
    );
}
