//! The kernel as a whole: several top-level guests in one kernel, which types
//! may move between host threads, and a guest fork inside one kvrm process.

use kvrm_linux::{spawn, Kernel, ProcessExit, ProgramSpec, RunEnd};

mod common;
use common::{asm, kernel, run_captured, Capture};

// Engines and kernels move to other host threads (one kernel per thread).
const _: () = {
    const fn assert_send<T: Send>() {}
    assert_send::<Kernel>();
    assert_send::<kvrm_isa::Machine<kvrm_cpu::CpuEngine>>();
    assert_send::<kvrm_cpu::CpuEngine>();
};

fn spec(name: &str) -> ProgramSpec {
    ProgramSpec {
        exe: asm(name),
        argv: vec![name.as_bytes().to_vec()],
        envp: vec![],
        root: asm(""),
        cwd: Some("/".into()),
        lib_prefix: None,
    }
}

/// Two top-level programs in one kernel, each with its own stdout: `run`
/// ends with the first, `run_rest` runs the other to its end.
/// Expected values: qemu-aarch64 ./hello -> "hello, kvrm\n", 0;
/// qemu-aarch64 ./exit42 -> "", 42.
fn two_guests(first: &str, second: &str) -> (Vec<u8>, RunEnd, Vec<u8>) {
    let mut k = kernel(Some(10_000_000));
    let a = spawn(&mut k, &spec(first)).expect("spawn");
    let b = spawn(&mut k, &spec(second)).expect("spawn");
    assert_ne!(a, b);
    assert_eq!(k.first_pid(), Some(a));
    assert_eq!(k.live_processes(), 2);
    let (mut out_a, mut out_b) = (Capture::new(), Capture::new());
    out_a.attach(&mut k, a, 1);
    out_b.attach(&mut k, b, 1);
    let s = k.run();
    k.run_rest();
    assert_eq!(k.live_processes(), 0, "{second} did not end");
    (out_a.contents(), s.end, out_b.contents())
}

#[test]
fn two_guests_in_one_kernel() {
    // The kernel keeps no exit status of a top-level process other than the
    // first (it has no parent to wait for it), so each program is first once.
    let (out, end, other) = two_guests("hello", "exit42");
    assert_eq!(out, b"hello, kvrm\n");
    assert_eq!(end, RunEnd::Exited(ProcessExit::Exited(0)));
    assert_eq!(other, b"");

    let (out, end, other) = two_guests("exit42", "hello");
    assert_eq!(out, b"");
    assert_eq!(end, RunEnd::Exited(ProcessExit::Exited(42)));
    assert_eq!(other, b"hello, kvrm\n");
}

// tests/asm/fork.S: the child writes and exits 3; the parent waits for it
// and prints the status word.
// qemu-aarch64 ./fork -> "child: hello\nstatus 0x0300\n", 0
#[test]
fn fork_wait_in_one_kernel() {
    let o = run_captured(&spec("fork"), Some(10_000_000));
    assert_eq!(o.stdout_string(), "child: hello\nstatus 0x0300\n");
    assert_eq!(o.status(), 0, "{:?}", o.summary.end);
    assert_eq!(o.kernel.live_processes(), 0);
}
