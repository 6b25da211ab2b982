//! Guest processes (tests/procs/procs.c, built by tests/procs/build.sh): fork, vfork,
//! posix_spawn, execve, wait4 / waitid statuses, signals to children, pipes between
//! processes, pending signals, process groups. Guest processes live inside the kernel
//! (no host fork): one `run` returns once, when the first process ends.
//!
//! The expected output (tests/procs/procs.expected) is the same source built for the host
//! and run natively, i.e. the host Linux kernel's answers; qemu-aarch64 agrees on every
//! line up to the execve tests (it cannot execve an AArch64 program without binfmt_misc).

use kvrm_linux::{spawn, ProgramSpec};

mod common;
use common::{asm, kernel, procs_spec, run_captured};

#[test]
fn fork_exec_wait_signals() {
    let root = tempfile::tempdir().unwrap();
    let (spec, expected) = procs_spec(root.path());
    // Was: "a forked guest must not return from run" (guest forks were host
    // forks). Now the one run returns once, with every guest process ended.
    let o = run_captured(&spec, Some(2_000_000_000));
    assert_eq!(o.kernel.live_processes(), 0, "guest processes left");
    let mut stdout = o.stdout_string();
    stdout.push_str(&format!("status {}\n", o.status()));
    assert_eq!(stdout, expected);
}

/// Put a syscall in x8/x0..x5 and service it as the scheduler does; it must
/// return (not wait).
fn service(k: &mut kvrm_linux::Kernel, pid: kvrm_linux::Pid, nr: u64, a: &[u64]) -> u64 {
    k.service(pid, nr, a);
    assert!(!k.is_waiting(pid), "syscall {nr} waits");
    k.state(pid).expect("the thread is gone").x[0]
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
        lib_prefix: None,
    };
    let mut k = kernel(Some(1000));
    let pid = spawn(&mut k, &spec).expect("spawn");
    let entry = k.state(pid).unwrap().pc;
    // The old test ran segv's first instruction (mov x1, #0, where exit42 has
    // mov x0, #42) before the execve, to have it decoded. The kernel runs no
    // less than a whole run(), which would crash segv (and an instruction limit
    // of 1 would leave none for exit42), so the program is not started here;
    // execve gives the thread a new address space, with code decoded afresh.
    // A syscall closes the exclusive monitor (an exception return does on hardware).
    let st = k.state_mut(pid).unwrap();
    st.excl_addr = 0x1000;
    st.excl_size = 8;
    // The first guest process has kvrm's host pid (not deterministic).
    assert_eq!(
        service(&mut k, pid, nr::GETPID, &[]),
        std::process::id() as u64
    );
    assert_eq!(k.state(pid).unwrap().excl_size, 0);

    let scratch = k.state(pid).unwrap().sp - 4096;
    let put = |k: &mut kvrm_linux::Kernel, at: u64, s: &[u8]| {
        let mem = k.space_mut(pid).unwrap();
        mem.write_bytes(at, s).unwrap();
        mem.write_u8(at + s.len() as u64, 0).unwrap();
        at
    };
    let missing = put(&mut k, scratch, b"/missing");
    let notes = put(&mut k, scratch + 64, b"notes");
    let target = put(&mut k, scratch + 128, b"/exit42");
    let arg0 = put(&mut k, scratch + 192, b"exit42");
    let argv = scratch + 256;
    k.space_mut(pid).unwrap().write_u64(argv, arg0).unwrap();
    k.space_mut(pid).unwrap().write_u64(argv + 8, 0).unwrap();
    // Failures return to the old program, whose memory and registers stay.
    let errno = |v: u64| -(v as i64);
    let r = service(&mut k, pid, nr::EXECVE, &[missing, argv, 0]);
    assert_eq!(errno(r), 2, "ENOENT");
    let r = service(&mut k, pid, nr::EXECVE, &[notes, argv, 0]);
    assert_eq!(errno(r), 13, "EACCES: not executable");
    let r = service(&mut k, pid, nr::EXECVE, &[8, argv, 0]);
    assert_eq!(errno(r), 14, "EFAULT");
    assert!(k.space(pid).unwrap().perms_at(scratch).is_some());
    // Success: a fresh address space, registers of a new process (x0 = 0).
    assert_eq!(service(&mut k, pid, nr::EXECVE, &[target, argv, 0]), 0);
    assert_eq!(k.first_pid(), Some(pid), "execve keeps the pid");
    assert!(
        k.space(pid).unwrap().perms_at(scratch).is_some(),
        "the new stack"
    );
    let st = *k.state(pid).unwrap();
    assert_eq!(st.pc, entry, "exit42 starts where segv did");
    assert_eq!(st.sp & 15, 0);
    let summary = k.run();
    assert_eq!(summary.end.status(), 42, "{:?}", summary.end);
}
