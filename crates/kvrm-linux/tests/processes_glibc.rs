//! tests/procs/procs.c built with glibc (fork through clone with CLONE_CHILD_SETTID,
//! vfork, posix_spawn through clone3 then clone(CLONE_VM|CLONE_VFORK)), compared with
//! the same expected output as the musl build in processes.rs (but for one line). Built
//! with aarch64-linux-gnu-gcc; without it the test is skipped with a reason.

use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::process::Command;

use kvrm_cpu::Cpu;
use kvrm_isa::AddressSpace;
use kvrm_linux::{load, run, ProgramSpec};

mod common;
use common::have_cross_compiler;

#[test]
fn glibc_fork_exec_wait_signals() {
    if !have_cross_compiler() {
        return;
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/procs");
    let build = tempfile::tempdir().unwrap();
    let exe = build.path().join("procs-glibc");
    let ok = Command::new("aarch64-linux-gnu-gcc")
        .args(["-static", "-O2", "-w", "-o"])
        .arg(&exe)
        .arg(dir.join("procs.c"))
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(ok, "building procs.c with aarch64-linux-gnu-gcc failed");
    let root = tempfile::tempdir().unwrap();
    let spec = ProgramSpec {
        exe,
        argv: vec![b"procs".to_vec()],
        envp: vec![b"HOME=/home/kvrm".to_vec()],
        root: root.path().to_path_buf(),
        cwd: Some("/".into()),
    };
    let mut cpu = Cpu::new(AddressSpace::new());
    let mut proc = load(&mut cpu, &spec).expect("load");
    let mut out = tempfile::tempfile().unwrap();
    proc.set_stdio(1, out.try_clone().unwrap().into());
    let summary = run(&mut cpu, &mut proc, Some(5_000_000_000));
    let mut stdout = String::new();
    out.seek(SeekFrom::Start(0)).unwrap();
    out.read_to_string(&mut stdout).unwrap();
    stdout.push_str(&format!("status {}\n", summary.end.status()));
    // glibc's posix_spawn learns of a failed execve through memory the vfork child shares
    // with it; the guest's vfork is a fork (as in qemu-user), so the parent sees a started
    // child that exits with 127 instead of ENOENT.
    let expected = std::fs::read_to_string(dir.join("procs.expected"))
        .unwrap()
        .replace(
            "posix_spawn(missing): ENOENT\n",
            "posix_spawn(missing): 0\nmissing child: exited 127\n",
        );
    assert_eq!(stdout, expected);
}
