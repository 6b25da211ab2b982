//! tests/procs/procs.c built with glibc (fork through clone with CLONE_CHILD_SETTID,
//! vfork, posix_spawn through clone3 then clone(CLONE_VM|CLONE_VFORK)), compared with
//! the same expected output as the musl build in processes.rs. Built
//! with aarch64-linux-gnu-gcc; without it the test is skipped with a reason.

use std::path::Path;
use std::process::Command;

use kvrm_linux::ProgramSpec;
use kvrm_testkit::counts;

mod common;
use common::{have_cross_compiler, run_captured};

#[test]
fn glibc_fork_exec_wait_signals() {
    let case = counts::Case::new("guest");
    if !have_cross_compiler() {
        case.skip();
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
        lib_prefix: None,
    };
    let o = run_captured(&spec, Some(5_000_000_000));
    assert_eq!(o.kernel.live_processes(), 0, "guest processes left");
    let mut stdout = o.stdout_string();
    stdout.push_str(&format!("status {}\n", o.status()));
    // glibc's posix_spawn learns of a failed execve through memory the vfork child shares
    // with it. When a guest vfork was a host fork (as in qemu-user) the parent saw a
    // started child that exited with 127 instead of ENOENT; the kernel's vfork child runs
    // in its parent's memory, so the host kernel's answer holds for glibc too.
    let expected = std::fs::read_to_string(dir.join("procs.expected")).unwrap();
    assert_eq!(stdout, expected);
}
