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

/// The memory limit counts every process of the kernel, as each maps: K
/// copies of `mmap` (map one page, write it, unmap) under a limit with room
/// for K pages all exit 0; with room for K - 1 pages, the round in which all
/// of them map leaves one without (its mmap fails, its store faults).
/// Expected values: qemu-aarch64 ./mmap -> "mmap ok\n", 0.
#[test]
fn memory_limit_counts_every_process() {
    const K: usize = 4;
    let committed = {
        let mut probe = kernel(None);
        (0..K)
            .map(|_| {
                let pid = spawn(&mut probe, &spec("mmap")).expect("spawn");
                probe.space(pid).expect("space").committed_bytes()
            })
            .sum::<u64>()
    };
    let run_with_room = |pages: u64| -> Vec<Option<ProcessExit>> {
        let mut k = Kernel::new(
            Box::new(kvrm_cpu::CpuEngine::new()),
            kvrm_linux::KernelConfig {
                memory_limit: committed + pages * 4096,
                ..Default::default()
            },
        );
        let mut outs = Vec::new();
        let pids: Vec<_> = (0..K)
            .map(|_| {
                let pid = spawn(&mut k, &spec("mmap")).expect("spawn");
                let out = Capture::new();
                out.attach(&mut k, pid, 1);
                outs.push(out);
                pid
            })
            .collect();
        k.run();
        k.run_rest();
        pids.iter().map(|&p| k.exit_status(p)).collect()
    };
    let ok = run_with_room(K as u64);
    assert!(
        ok.iter().all(|e| *e == Some(ProcessExit::Exited(0))),
        "room for every page: {ok:?}"
    );
    let short = run_with_room(K as u64 - 1);
    let failed = short
        .iter()
        .filter(|e| **e != Some(ProcessExit::Exited(0)))
        .count();
    assert_eq!(failed, 1, "room for all pages but one: {short:?}");
}
