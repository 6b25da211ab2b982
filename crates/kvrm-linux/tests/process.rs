//! ELF loading errors, the initial stack and auxv, and syscalls serviced by
//! the kernel for a process that runs no code (registers and memory set by
//! the test, as if the thread had executed SVC).

use std::path::Path;

use kvrm_isa::features::{hwcap, HWCAP, HWCAP2};
use kvrm_isa::{AddressSpace, CpuState, Perms};
use kvrm_linux::abi::{auxv::*, errno::*, layout};
use kvrm_linux::syscalls::nr;
use kvrm_linux::{
    load_elf, spawn, ElfError, Kernel, LinuxProcess, Pid, ProcessConfig, ProcessExit, ProgramSpec,
    RunEnd,
};

mod common;
use common::{asm, kernel};

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

    // Turn the data segment's header into PT_INTERP: a dynamic executable loads and
    // names its interpreter (the segment's bytes).
    let phoff = u64::from_le_bytes(good[32..40].try_into().unwrap()) as usize;
    let mut dynamic = good.clone();
    dynamic[phoff + 56..phoff + 60].copy_from_slice(&3u32.to_le_bytes());
    let l = load_elf(&dynamic, &mut AddressSpace::new()).unwrap();
    assert!(l.interp.is_some());

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
        lib_prefix: None,
    };
    let mut k = kernel(Some(1000));
    spawn(&mut k, &spec).unwrap();
    let s = k.run();
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
        lib_prefix: None,
    };
    let mut k = kernel(None);
    let pid = spawn(&mut k, &spec).unwrap();
    let st = *k.state(pid).unwrap();
    assert_eq!(st.pc, 0x4000b0);
    assert_eq!(st.sp % 16, 0);
    assert!(st.x.iter().all(|&x| x == 0));
    assert!(st.sp < layout::STACK_TOP && st.sp > layout::STACK_TOP - layout::STACK_SIZE);
    let m = k.space(pid).unwrap();
    let word = |m: &AddressSpace, a: u64| m.read_u64(a).unwrap();
    let cstr = |m: &AddressSpace, a: u64| m.read_cstring(a, 4096).unwrap();
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
        hwcap::EVTSTRM,
    ] {
        assert_eq!(aux[&AT_HWCAP] & missing, 0, "{missing:#x} advertised");
    }
    for present in [hwcap::ATOMICS, hwcap::AES, hwcap::SHA2, hwcap::SHA512] {
        assert_ne!(aux[&AT_HWCAP] & present, 0, "{present:#x} not advertised");
    }
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

// ----- syscalls serviced by the kernel --------------------------------------------

const BUF: u64 = 0x10000;

/// A kernel with one process that runs no code: its registers are set and
/// its syscalls serviced by [`Kernel::service`].
struct Guest {
    kernel: Kernel,
    pid: Pid,
}

impl Guest {
    fn new(root: &Path) -> Self {
        let p = LinuxProcess::new(ProcessConfig {
            root: root.to_path_buf(),
            lib_prefix: None,
            exe_host: asm("hello"),
            exe_link: b"/hello".to_vec(),
            cwd: "/".into(),
            brk_start: 0x80_0000,
        })
        .unwrap();
        let mut mem = AddressSpace::new();
        mem.map(BUF, 0x10000, Perms::RW).unwrap();
        mem.map(0x30000, 0x1000, Perms::R).unwrap();
        let mut kernel = kernel(None);
        let pid = kernel.add_process(mem, CpuState::new(), p);
        Guest { kernel, pid }
    }

    fn mem(&mut self) -> &mut AddressSpace {
        self.kernel.space_mut(self.pid).unwrap()
    }

    /// Service syscall `n`; it must return (not wait, not end the process).
    fn sys(&mut self, n: u64, a: &[u64]) -> i64 {
        self.kernel.service(self.pid, n, a);
        assert!(!self.kernel.is_waiting(self.pid), "syscall {n} waits");
        let st = self
            .kernel
            .state(self.pid)
            .unwrap_or_else(|| panic!("syscall {n} ended the process"));
        st.x[0] as i64
    }

    /// Service syscall `n`, which must end the process; how it ended.
    fn sys_ends(&mut self, n: u64, a: &[u64]) -> ProcessExit {
        self.kernel.service(self.pid, n, a);
        assert!(
            self.kernel.state(self.pid).is_none(),
            "syscall {n} returned"
        );
        assert_eq!(self.kernel.live_processes(), 0);
        // The first process has ended: run() reports how, running nothing.
        match self.kernel.run().end {
            RunEnd::Exited(e) => e,
            e => panic!("{e:?}"),
        }
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
    let mut g = Guest::new(tmp.path());
    assert_eq!(g.sys(nr::WRITE, &[1, 0x10, 5]), -EFAULT);
    assert_eq!(g.sys(nr::WRITE, &[1, u64::MAX - 2, 5]), -EFAULT);
    assert_eq!(
        g.sys(nr::READ, &[0, 0x30000, 5]),
        -EFAULT,
        "read-only buffer"
    );
    assert_eq!(g.sys(nr::OPENAT, &[-100i64 as u64, 0x5, 0, 0]), -EFAULT);
    assert_eq!(g.sys(nr::CLOCK_GETTIME, &[1, 0x30000]), -EFAULT);
    assert_eq!(g.sys(nr::UNAME, &[0x20]), -EFAULT);
    assert_eq!(g.sys(nr::FSTAT, &[1, 0x30000]), -EFAULT);
    assert_eq!(g.sys(nr::WRITE, &[99, BUF, 1]), -EBADF);
    // writev with a bad iovec array.
    assert_eq!(g.sys(nr::WRITEV, &[1, 0x40, 1]), -EFAULT);
}

#[test]
fn mmap_munmap_mprotect() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    let anon = 0x22; // MAP_PRIVATE | MAP_ANONYMOUS
    assert_eq!(g.sys(nr::MMAP, &[0, 0, 3, anon, u64::MAX, 0]), -EINVAL);
    assert_eq!(
        g.sys(nr::MMAP, &[0, 4096, 3, 0x20, u64::MAX, 0]),
        -EINVAL,
        "no type"
    );
    assert_eq!(
        g.sys(nr::MMAP, &[0, 4096, 3, anon, u64::MAX, 1]),
        -EINVAL,
        "offset"
    );
    let a = g.sys(nr::MMAP, &[0, 10000, 3, anon, u64::MAX, 0]) as u64;
    assert_eq!(a % 4096, 0);
    assert!(a < layout::MMAP_TOP);
    assert_eq!(g.mem().read_u64(a + 8192).unwrap(), 0);
    g.mem().write_u64(a, 7).unwrap();
    // MAP_FIXED replaces; MAP_FIXED_NOREPLACE refuses.
    assert_eq!(
        g.sys(nr::MMAP, &[a, 4096, 1, anon | 0x100000, u64::MAX, 0]),
        -EEXIST
    );
    assert_eq!(
        g.sys(nr::MMAP, &[a, 4096, 1, anon | 0x10, u64::MAX, 0]) as u64,
        a
    );
    assert_eq!(g.mem().read_u64(a).unwrap(), 0, "fixed mapping is fresh");
    assert!(g.mem().write_u64(a, 1).is_err(), "read-only now");
    assert_eq!(g.sys(nr::MPROTECT, &[a, 4096, 3]), 0);
    g.mem().write_u64(a, 1).unwrap();
    assert_eq!(g.sys(nr::MPROTECT, &[a + 1, 4096, 3]), -EINVAL);
    assert_eq!(g.sys(nr::MUNMAP, &[a, 0]), -EINVAL);
    assert_eq!(g.sys(nr::MUNMAP, &[a + 1, 4096]), -EINVAL);
    assert_eq!(g.sys(nr::MUNMAP, &[a, 12288]), 0);
    assert!(g.mem().read_u64(a).is_err());
    assert_eq!(g.sys(nr::MPROTECT, &[a, 4096, 3]), -ENOMEM);
    // Two mappings do not overlap.
    let b = g.sys(nr::MMAP, &[0, 8192, 3, anon, u64::MAX, 0]) as u64;
    let c = g.sys(nr::MMAP, &[0, 8192, 3, anon, u64::MAX, 0]) as u64;
    assert!(b + 8192 <= c || c + 8192 <= b);
}

#[test]
fn mremap_grows_and_moves() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    let anon = 0x22;
    let a = g.sys(nr::MMAP, &[0, 4096, 3, anon, u64::MAX, 0]) as u64;
    g.mem().write_u64(a, 0xabcd).unwrap();
    // Block growth in place, then move.
    let blocker = a + 4096;
    let _ = g.sys(nr::MMAP, &[blocker, 4096, 1, anon | 0x10, u64::MAX, 0]);
    assert_eq!(g.sys(nr::MREMAP, &[a, 4096, 8192, 0, 0]), -ENOMEM);
    let b = g.sys(nr::MREMAP, &[a, 4096, 8192, 1, 0]) as u64;
    assert_ne!(b, a);
    assert_eq!(g.mem().read_u64(b).unwrap(), 0xabcd);
    g.mem().write_u64(b + 4096, 1).unwrap();
    assert!(g.mem().read_u64(a).is_err());
    // Shrink in place.
    assert_eq!(g.sys(nr::MREMAP, &[b, 8192, 4096, 0, 0]) as u64, b);
    assert!(g.mem().read_u64(b + 4096).is_err());
}

#[test]
fn madvise_dontneed_zeroes() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    let a = g.sys(nr::MMAP, &[0, 8192, 3, 0x22, u64::MAX, 0]) as u64;
    g.mem().write_u64(a + 4096, 5).unwrap();
    assert_eq!(g.sys(nr::MADVISE, &[a, 8192, 4]), 0);
    assert_eq!(g.mem().read_u64(a + 4096).unwrap(), 0);
}

#[test]
fn brk_grows_and_shrinks() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    let start = g.sys(nr::BRK, &[0]) as u64;
    assert_eq!(start, 0x80_0000);
    assert!(g.mem().read_u8(start).is_err());
    assert_eq!(g.sys(nr::BRK, &[start + 100]) as u64, start + 100);
    g.mem().write_u8(start + 99, 1).unwrap();
    g.mem().write_u8(start + 4095, 1).unwrap();
    assert_eq!(g.sys(nr::BRK, &[start + 0x5000]) as u64, start + 0x5000);
    g.mem().write_u8(start + 0x4fff, 1).unwrap();
    assert_eq!(g.sys(nr::BRK, &[start + 0x1000]) as u64, start + 0x1000);
    assert!(g.mem().read_u8(start + 0x1000).is_err());
    // Below the start: unchanged.
    assert_eq!(g.sys(nr::BRK, &[start - 1]) as u64, start + 0x1000);
    // Into an existing mapping: refused.
    let fixed = start + 0x10000;
    let _ = g.sys(nr::MMAP, &[fixed, 4096, 3, 0x32, u64::MAX, 0]);
    assert_eq!(g.sys(nr::BRK, &[fixed + 8]) as u64, start + 0x1000);
}

#[test]
fn files_in_the_sandbox() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    std::fs::create_dir_all(root.join("d")).unwrap();
    std::fs::write(tmp.path().join("outside"), b"secret").unwrap();
    std::os::unix::fs::symlink("../../outside", root.join("d/link")).unwrap();
    let mut g = Guest::new(&root);
    let at = -100i64 as u64;
    // Create, write, seek, read back.
    let path = put_str(g.mem(), BUF, "/d/new.txt");
    let fd = g.sys(nr::OPENAT, &[at, path, 0o102 | 0o1000, 0o644]) as u64; // O_RDWR|O_CREAT|O_TRUNC
    assert!(fd >= 3, "{fd}");
    g.mem().write_bytes(BUF + 0x100, b"abcdef").unwrap();
    assert_eq!(g.sys(nr::WRITE, &[fd, BUF + 0x100, 6]), 6);
    assert_eq!(g.sys(nr::LSEEK, &[fd, 2, 0]), 2);
    assert_eq!(g.sys(nr::READ, &[fd, BUF + 0x200, 100]), 4);
    assert_eq!(g.mem().read_cstring(BUF + 0x200, 4).unwrap(), b"cdef");
    assert_eq!(g.sys(nr::PREAD64, &[fd, BUF + 0x200, 2, 1]), 2);
    assert_eq!(g.mem().read_cstring(BUF + 0x200, 2).unwrap(), b"bc");
    assert_eq!(std::fs::read(root.join("d/new.txt")).unwrap(), b"abcdef");
    // fstat: size 6, regular file.
    assert_eq!(g.sys(nr::FSTAT, &[fd, BUF + 0x400]), 0);
    assert_eq!(g.mem().read_u64(BUF + 0x400 + 48).unwrap(), 6);
    assert_eq!(
        g.mem().read_u32(BUF + 0x400 + 16).unwrap() & 0o170000,
        0o100000
    );
    // dup / fcntl / close.
    let d = g.sys(nr::DUP, &[fd]) as u64;
    assert_eq!(g.sys(nr::FCNTL, &[d, 1, 0]), 0);
    assert_eq!(g.sys(nr::DUP3, &[fd, 50, 0o2000000]), 50);
    assert_eq!(g.sys(nr::FCNTL, &[50, 1, 0]), 1);
    assert_eq!(g.sys(nr::DUP3, &[fd, fd, 0]), -EINVAL);
    assert_eq!(g.sys(nr::FCNTL, &[fd, 3, 0]) as u64 & 3, 2);
    for f in [fd, d, 50] {
        assert_eq!(g.sys(nr::CLOSE, &[f]), 0);
    }
    assert_eq!(g.sys(nr::CLOSE, &[fd]), -EBADF);
    // A symlink pointing outside the root does not reach the host file.
    let link = put_str(g.mem(), BUF + 0x800, "/d/link");
    assert_eq!(g.sys(nr::OPENAT, &[at, link, 0, 0]), -ENOENT);
    let esc = put_str(g.mem(), BUF, "../../../outside");
    assert_eq!(g.sys(nr::OPENAT, &[at, esc, 0, 0]), -ENOENT);
    // readlinkat gives the stored target; /proc/self/exe the program.
    assert_eq!(g.sys(nr::READLINKAT, &[at, link, BUF + 0x100, 64]), 13);
    assert_eq!(
        g.mem().read_cstring(BUF + 0x100, 13).unwrap(),
        b"../../outside"
    );
    let exe = put_str(g.mem(), BUF, "/proc/self/exe");
    assert_eq!(g.sys(nr::READLINKAT, &[at, exe, BUF + 0x100, 64]), 6);
    // The executable (outside the root) can be read, not written or chmod'ed.
    assert_eq!(g.sys(nr::OPENAT, &[at, exe, 2, 0]), -ETXTBSY);
    let xfd = g.sys(nr::OPENAT, &[at, exe, 0, 0]) as u64;
    assert_eq!(g.sys(nr::READ, &[xfd, BUF + 0x100, 4]), 4);
    assert_eq!(
        g.mem().read_u32(BUF + 0x100).unwrap(),
        u32::from_le_bytes(*b"\x7fELF")
    );
    assert_eq!(g.sys(nr::FCHMOD, &[xfd, 0o777]), -EPERM);
    assert_eq!(g.sys(nr::WRITE, &[xfd, BUF, 1]), -EBADF);
    // mkdir, chdir, getcwd, relative open, getdents64, unlink, rmdir.
    let sub = put_str(g.mem(), BUF, "d/sub");
    assert_eq!(g.sys(nr::MKDIRAT, &[at, sub, 0o755]), 0);
    assert_eq!(g.sys(nr::MKDIRAT, &[at, sub, 0o755]), -EEXIST);
    assert_eq!(g.sys(nr::CHDIR, &[sub]), 0);
    assert_eq!(g.sys(nr::GETCWD, &[BUF + 0x100, 64]), 7);
    assert_eq!(g.mem().read_cstring(BUF + 0x100, 64).unwrap(), b"/d/sub");
    assert_eq!(g.sys(nr::GETCWD, &[BUF + 0x100, 3]), -ERANGE);
    let up = put_str(g.mem(), BUF, "..");
    let dfd = g.sys(nr::OPENAT, &[at, up, 0o40000, 0]) as u64; // O_DIRECTORY
    let n = g.sys(nr::GETDENTS64, &[dfd, BUF + 0x1000, 4096]);
    assert!(n > 0);
    let mut names = Vec::new();
    let mut off = 0u64;
    while off < n as u64 {
        let reclen = g.mem().read_u16(BUF + 0x1000 + off + 16).unwrap() as u64;
        names.push(
            String::from_utf8(g.mem().read_cstring(BUF + 0x1000 + off + 19, 256).unwrap()).unwrap(),
        );
        off += reclen;
    }
    names.sort();
    assert_eq!(names, [".", "..", "link", "new.txt", "sub"]);
    assert_eq!(g.sys(nr::GETDENTS64, &[dfd, BUF + 0x1000, 4096]), 0);
    assert_eq!(g.sys(nr::LSEEK, &[dfd, 0, 0]), 0);
    assert!(g.sys(nr::GETDENTS64, &[dfd, BUF + 0x1000, 4096]) > 0);
    let rel = put_str(g.mem(), BUF, "new.txt");
    assert_eq!(g.sys(nr::NEWFSTATAT, &[dfd, rel, BUF + 0x400, 0]), 0);
    assert_eq!(g.sys(nr::UNLINKAT, &[dfd, rel, 0]), 0);
    assert_eq!(g.sys(nr::NEWFSTATAT, &[dfd, rel, BUF + 0x400, 0]), -ENOENT);
    let dot = put_str(g.mem(), BUF, "/d/sub");
    assert_eq!(g.sys(nr::UNLINKAT, &[at, dot, 0x200]), 0);
    let root_path = put_str(g.mem(), BUF + 0x900, "/");
    assert_eq!(g.sys(nr::UNLINKAT, &[at, root_path, 0x200]), -16, "EBUSY");
    // /dev/null works without a /dev in the root.
    let null = put_str(g.mem(), BUF, "/dev/null");
    let nfd = g.sys(nr::OPENAT, &[at, null, 2, 0]) as u64;
    assert_eq!(g.sys(nr::READ, &[nfd, BUF, 10]), 0);
    assert_eq!(g.sys(nr::WRITE, &[nfd, BUF, 10]), 10);
    // statx and faccessat on the root.
    assert_eq!(g.sys(nr::STATX, &[at, root_path, 0, 0x7ff, BUF + 0x400]), 0);
    assert_eq!(
        g.mem().read_u16(BUF + 0x400 + 28).unwrap() as u32 & 0o170000,
        0o040000
    );
    assert_eq!(g.sys(nr::FACCESSAT, &[at, root_path, 0]), 0);
    let missing = put_str(g.mem(), BUF, "/nope");
    assert_eq!(g.sys(nr::FACCESSAT, &[at, missing, 0]), -ENOENT);
}

#[test]
fn pipes_and_misc() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    assert_eq!(g.sys(nr::PIPE2, &[BUF, 0]), 0);
    let r = g.mem().read_u32(BUF).unwrap() as u64;
    let w = g.mem().read_u32(BUF + 4).unwrap() as u64;
    g.mem().write_bytes(BUF + 0x100, b"ping").unwrap();
    assert_eq!(g.sys(nr::WRITE, &[w, BUF + 0x100, 4]), 4);
    assert_eq!(g.sys(nr::READ, &[r, BUF + 0x200, 10]), 4);
    assert_eq!(g.mem().read_cstring(BUF + 0x200, 4).unwrap(), b"ping");
    assert_eq!(g.sys(nr::LSEEK, &[r, 0, 0]), -ESPIPE);
    assert_eq!(g.sys(nr::IOCTL, &[r, 0x5401, BUF]), -ENOTTY);
    // uname
    assert_eq!(g.sys(nr::UNAME, &[BUF]), 0);
    assert_eq!(g.mem().read_cstring(BUF, 65).unwrap(), b"Linux");
    assert_eq!(g.mem().read_cstring(BUF + 4 * 65, 65).unwrap(), b"aarch64");
    // Unknown syscalls: -ENOSYS.
    assert_eq!(g.sys(9999, &[]), -ENOSYS);
    assert_eq!(g.sys(nr::RSEQ, &[]), -ENOSYS);
    // futex on a changed value.
    g.mem().write_u32(BUF, 5).unwrap();
    assert_eq!(g.sys(nr::FUTEX, &[BUF, 128, 4, 0]), -EAGAIN);
    assert_eq!(g.sys(nr::FUTEX, &[BUF, 129, 1, 0]), 0);
    // Signals: recorded, read back.
    g.mem().write_bytes(BUF + 0x100, &[0x55; 32]).unwrap();
    assert_eq!(g.sys(nr::RT_SIGACTION, &[10, BUF + 0x100, 0, 8]), 0);
    assert_eq!(g.sys(nr::RT_SIGACTION, &[10, 0, BUF + 0x200, 8]), 0);
    assert_eq!(
        g.mem().read_u64(BUF + 0x218).unwrap(),
        0x5555_5555_5555_5555
    );
    assert_eq!(g.sys(nr::RT_SIGACTION, &[9, BUF + 0x100, 0, 8]), -EINVAL);
    assert_eq!(g.sys(nr::RT_SIGACTION, &[10, 0, 0, 4]), -EINVAL);
    assert_eq!(g.sys(nr::SIGALTSTACK, &[0, BUF + 0x300]), 0);
    assert_eq!(g.mem().read_u32(BUF + 0x308).unwrap(), 2, "SS_DISABLE");
    g.mem().write_bytes(BUF + 0x300, &[0; 24]).unwrap();
    g.mem().write_u64(BUF + 0x310, 100).unwrap();
    assert_eq!(g.sys(nr::SIGALTSTACK, &[BUF + 0x300, 0]), -ENOMEM);
    // Limits, time, random.
    assert_eq!(g.sys(nr::PRLIMIT64, &[0, 3, 0, BUF]), 0);
    assert_eq!(g.mem().read_u64(BUF).unwrap(), layout::STACK_SIZE);
    assert_eq!(g.sys(nr::CLOCK_GETTIME, &[1, BUF]), 0);
    assert_eq!(g.sys(nr::CLOCK_GETTIME, &[99, BUF]), -EINVAL);
    assert_eq!(g.sys(nr::GETRANDOM, &[BUF, 64, 0]), 64);
    // The host's CPUs, as qemu-user passes the call through.
    let mut host = [0u8; 128];
    // SAFETY: the kernel writes at most 128 bytes into `host`.
    let n = unsafe { libc::syscall(libc::SYS_sched_getaffinity, 0, 128, host.as_mut_ptr()) };
    assert_eq!(g.sys(nr::SCHED_GETAFFINITY, &[0, 128, BUF]), n as i64);
    assert_eq!(
        g.mem().read_u64(BUF).unwrap().to_le_bytes(),
        host[..8],
        "the host's first 64 CPUs"
    );
    assert_eq!(g.sys(nr::SET_TID_ADDRESS, &[BUF]), g.sys(nr::GETPID, &[]));
    g.mem().write_bytes(BUF, &[0u8; 16]).unwrap();
    g.mem().write_u64(BUF + 8, 2_000_000_000).unwrap();
    assert_eq!(g.sys(nr::NANOSLEEP, &[BUF, 0]), -EINVAL);
    let counts = g.kernel.process(g.pid).unwrap().syscall_counts();
    assert!(counts
        .iter()
        .any(|&(n, name, c)| n == nr::WRITE && name == "write" && c == 1));
    assert!(g
        .kernel
        .syscall_counts()
        .iter()
        .any(|&(n, name, c)| n == nr::WRITE && name == "write" && c == 1));
    // A sleep makes the thread wait (the scheduler wakes it with 0 at the
    // deadline, here already passed); it does not return at once any more.
    g.mem().write_u64(BUF + 8, 0).unwrap();
    g.kernel.service(g.pid, nr::NANOSLEEP, &[BUF, 0]);
    assert!(g.kernel.is_waiting(g.pid));
}

#[test]
fn exit_and_kill_end_the_process() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    let pid = g.sys(nr::GETPID, &[]) as u64;
    assert_eq!(g.sys(nr::TGKILL, &[pid, pid, 0]), 0);
    assert_eq!(g.sys(nr::KILL, &[pid, 17]), 0, "SIGCHLD is ignored");
    // Pids are the kernel's own: one nobody has does not exist.
    assert_eq!(g.sys(nr::KILL, &[0x7fff_fff0, 6]), -ESRCH);
    assert_eq!(g.sys(nr::TKILL, &[0x7fff_fff0, 6]), -ESRCH);
    // Blocked: pending, not acted on; rt_sigpending reports it.
    let set = 0x7fff_f000_0000u64;
    g.mem().map(set, 4096, Perms::RW).unwrap();
    g.mem().write_u64(set, 1 << 9).unwrap(); // SIGUSR1
    assert_eq!(g.sys(nr::RT_SIGPROCMASK, &[0, set, 0, 8]), 0);
    assert_eq!(g.sys(nr::TKILL, &[pid, 10]), 0);
    assert_eq!(g.sys(nr::RT_SIGPENDING, &[set + 8, 8]), 0);
    assert_eq!(g.mem().read_u64(set + 8).unwrap(), 1 << 9);
    // Unblocking it takes the default action (musl's raise blocks around tkill).
    assert_eq!(
        g.sys_ends(nr::RT_SIGPROCMASK, &[1, set, 0, 8]),
        ProcessExit::Signaled(10)
    );
    // Each ending on a process of its own (an ended process makes no more calls).
    let mut g = Guest::new(tmp.path());
    let pid = g.sys(nr::GETPID, &[]) as u64;
    assert_eq!(
        g.sys_ends(nr::TGKILL, &[pid, pid, 6]),
        ProcessExit::Signaled(6)
    );
    let mut g = Guest::new(tmp.path());
    assert_eq!(g.sys_ends(nr::EXIT_GROUP, &[0x1_07]).status(), 7);
    assert_eq!(RunEnd::Exited(ProcessExit::Signaled(6)).status(), 134);
}

#[test]
fn readv_writev_and_partial_buffers() {
    let tmp = tempfile::tempdir().unwrap();
    let mut g = Guest::new(tmp.path());
    let at = -100i64 as u64;
    let path = put_str(g.mem(), BUF, "/v.txt");
    let fd = g.sys(nr::OPENAT, &[at, path, 0o102, 0o644]) as u64;
    g.mem().write_bytes(BUF + 0x100, b"abc").unwrap();
    g.mem().write_bytes(BUF + 0x200, b"defgh").unwrap();
    let iov = BUF + 0x300;
    for (i, (b, l)) in [(BUF + 0x100, 3u64), (BUF + 0x200, 0), (BUF + 0x200, 5)]
        .into_iter()
        .enumerate()
    {
        g.mem().write_u64(iov + 16 * i as u64, b).unwrap();
        g.mem().write_u64(iov + 16 * i as u64 + 8, l).unwrap();
    }
    assert_eq!(g.sys(nr::WRITEV, &[fd, iov, 3]), 8);
    assert_eq!(g.sys(nr::WRITEV, &[fd, iov, 2000]), -EINVAL);
    assert_eq!(
        std::fs::read(tmp.path().join("v.txt")).unwrap(),
        b"abcdefgh"
    );
    // readv scatters: 3 bytes, 0, then the rest.
    g.mem().write_bytes(BUF + 0x100, &[0; 16]).unwrap();
    g.mem().write_bytes(BUF + 0x200, &[0; 16]).unwrap();
    assert_eq!(g.sys(nr::PREADV, &[fd, iov, 3, 1]), 7);
    assert_eq!(g.mem().read_cstring(BUF + 0x100, 16).unwrap(), b"bcd");
    assert_eq!(g.mem().read_cstring(BUF + 0x200, 16).unwrap(), b"efgh");
    // A read whose buffer runs into an unmapped page reads what fits.
    let end = BUF + 0x10000 - 4;
    assert_eq!(g.sys(nr::PREAD64, &[fd, end, 100, 0]), 4);
    assert_eq!(g.mem().read_u32(end).unwrap(), u32::from_le_bytes(*b"abcd"));
    // A write from a buffer that runs into unmapped memory writes what is there.
    assert_eq!(g.sys(nr::PWRITE64, &[fd, end, 100, 8]), 4);
    assert_eq!(
        std::fs::read(tmp.path().join("v.txt")).unwrap(),
        b"abcdefghabcd"
    );
    // Huge counts are fine when the file is short.
    assert_eq!(g.sys(nr::PREAD64, &[fd, BUF, u64::MAX >> 1, 0]), 12);
}
