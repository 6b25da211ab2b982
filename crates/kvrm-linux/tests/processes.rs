//! Guest processes (tests/procs/procs.c, built by tests/procs/build.sh): fork, vfork,
//! posix_spawn, execve, wait4 / waitid statuses, signals to children, pipes between
//! processes, pending signals, process groups. A guest fork is a fork of this test
//! process; the forked copy ends (exit or signal) when its guest does.
//!
//! The expected output (tests/procs/procs.expected) is the same source built for the host
//! and run natively, i.e. the host Linux kernel's answers; qemu-aarch64 agrees on every
//! line up to the execve tests (it cannot execve an AArch64 program without binfmt_misc).

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use kvrm_cpu::Cpu;
use kvrm_isa::AddressSpace;
use kvrm_linux::{load, run, ProgramSpec};

#[test]
fn fork_exec_wait_signals() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/procs");
    let root = tempfile::tempdir().unwrap();
    let spec = ProgramSpec {
        exe: dir.join("procs"),
        argv: vec![b"procs".to_vec()],
        envp: vec![b"HOME=/home/kvrm".to_vec()],
        root: root.path().to_path_buf(),
        cwd: Some("/".into()),
    };
    let mut cpu = Cpu::new(AddressSpace::new());
    let mut proc = load(&mut cpu, &spec).expect("load");
    let mut out = tempfile::tempfile().unwrap();
    proc.set_stdio(1, out.try_clone().unwrap().into());
    let summary = run(&mut cpu, &mut proc, Some(2_000_000_000));
    assert!(
        !proc.is_forked_child(),
        "a forked guest must not return from run"
    );
    let mut stdout = String::new();
    out.seek(SeekFrom::Start(0)).unwrap();
    out.read_to_string(&mut stdout).unwrap();
    stdout.push_str(&format!("status {}\n", summary.end.status()));
    let expected = std::fs::read_to_string(dir.join("procs.expected")).unwrap();
    assert_eq!(stdout, expected);
}

fn asm(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/asm")
        .join(name)
}

/// Put a syscall in x8/x0..x5 and service it as the run loop does.
fn service(cpu: &mut Cpu, proc: &mut kvrm_linux::LinuxProcess, nr: u64, a: &[u64]) -> u64 {
    cpu.state.x[8] = nr;
    for (i, v) in a.iter().enumerate() {
        cpu.state.x[i] = *v;
    }
    match proc.service(cpu) {
        kvrm_linux::SyscallOutcome::Return(v) => {
            assert_eq!(cpu.state.x[0], v);
            v
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn execve_replaces_the_program_in_place() {
    use kvrm_linux::syscalls::nr;
    // The sandbox holds exit42 and a text file; segv runs first. Both start at 0x400078.
    let root = tempfile::tempdir().unwrap();
    std::fs::copy(asm("exit42"), root.path().join("exit42")).unwrap();
    std::fs::write(root.path().join("notes"), b"text").unwrap();
    let spec = ProgramSpec {
        exe: asm("segv"),
        argv: vec![b"segv".to_vec()],
        envp: vec![],
        root: root.path().to_path_buf(),
        cwd: Some("/".into()),
    };
    let mut cpu = Cpu::new(AddressSpace::new());
    let mut proc = load(&mut cpu, &spec).expect("load");
    let entry = cpu.state.pc;
    // Decode segv's first instruction (mov x1, #0), where exit42 has mov x0, #42.
    let r = kvrm_isa::Backend::run(&mut cpu, 1);
    assert_eq!(r.instructions, 1);
    // A syscall closes the exclusive monitor (an exception return does on hardware).
    cpu.state.excl_addr = 0x1000;
    cpu.state.excl_size = 8;
    let pid = service(&mut cpu, &mut proc, nr::GETPID, &[]);
    assert_eq!(pid, std::process::id() as u64);
    assert_eq!(cpu.state.excl_size, 0);

    let scratch = cpu.state.sp - 4096;
    let put = |cpu: &mut Cpu, at: u64, s: &[u8]| {
        cpu.mem.write_bytes(at, s).unwrap();
        cpu.mem.write_u8(at + s.len() as u64, 0).unwrap();
        at
    };
    let missing = put(&mut cpu, scratch, b"/missing");
    let notes = put(&mut cpu, scratch + 64, b"notes");
    let target = put(&mut cpu, scratch + 128, b"/exit42");
    let arg0 = put(&mut cpu, scratch + 192, b"exit42");
    let argv = scratch + 256;
    cpu.mem.write_u64(argv, arg0).unwrap();
    cpu.mem.write_u64(argv + 8, 0).unwrap();
    // Failures return to the old program, whose memory and registers stay.
    let errno = |v: u64| -(v as i64);
    let r = service(&mut cpu, &mut proc, nr::EXECVE, &[missing, argv, 0]);
    assert_eq!(errno(r), 2, "ENOENT");
    let r = service(&mut cpu, &mut proc, nr::EXECVE, &[notes, argv, 0]);
    assert_eq!(errno(r), 13, "EACCES: not executable");
    let r = service(&mut cpu, &mut proc, nr::EXECVE, &[8, argv, 0]);
    assert_eq!(errno(r), 14, "EFAULT");
    assert!(cpu.mem.perms_at(scratch).is_some());
    // Success: a fresh address space, registers of a new process, no stale decoded code.
    assert_eq!(
        service(&mut cpu, &mut proc, nr::EXECVE, &[target, argv, 0]),
        0
    );
    assert!(cpu.mem.perms_at(scratch).is_some(), "the new stack");
    assert_eq!(cpu.state.pc, entry, "exit42 starts where segv did");
    assert_eq!(cpu.state.sp & 15, 0);
    let summary = run(&mut cpu, &mut proc, Some(1000));
    assert_eq!(summary.end.status(), 42);
}
