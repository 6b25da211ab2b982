//! Tiny AArch64 assembly programs (tests/asm/*.S, built by tests/asm/build.sh)
//! run by the virtual kernel on the CPU engine. Expected stdout and exit
//! status were recorded with qemu-aarch64 (commands in each test).

use std::path::Path;

use kvrm_linux::ProgramSpec;
use kvrm_testkit::counts;

mod common;
use common::{asm, run_captured, Outcome};

fn run_prog(name: &str, args: &[&str], root: &Path, cwd: &str) -> Outcome {
    let mut argv = vec![name.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let spec = ProgramSpec {
        exe: asm(name),
        argv,
        envp: vec![b"KVRM_TEST=1".to_vec()],
        root: root.to_path_buf(),
        cwd: Some(cwd.into()),
        lib_prefix: None,
    };
    run_captured(&spec, Some(10_000_000))
}

fn check(name: &str, args: &[&str], stdout: &str, status: i32) {
    let _case = counts::Case::new("guest");
    let o = run_prog(name, args, &asm(""), "/");
    assert_eq!(
        o.stdout_string(),
        stdout,
        "{name}: stdout ({:?})",
        o.summary.end
    );
    assert_eq!(
        o.status(),
        status,
        "{name}: exit status ({:?})",
        o.summary.end
    );
}

// qemu-aarch64 ./hello; echo $?  -> "hello, kvrm\n", 0
#[test]
fn hello() {
    check("hello", &[], "hello, kvrm\n", 0);
}

// qemu-aarch64 ./exit42 -> 42
#[test]
fn exit_status() {
    check("exit42", &[], "", 42);
}

// qemu-aarch64 ./args abcdef x y -> "abcd\n", 4 (argc)
#[test]
fn argc_and_argv_on_the_stack() {
    check("args", &["abcdef", "x", "y"], "abcd\n", 4);
}

// qemu-aarch64 ./brk -> "brk ok!\n", 0
#[test]
fn brk_grows_the_heap() {
    check("brk", &[], "brk ok!\n", 0);
}

// qemu-aarch64 ./mmap -> "mmap ok\n", 0
#[test]
fn mmap_anonymous_and_zero_length() {
    check("mmap", &[], "mmap ok\n", 0);
}

// qemu-aarch64 ./efault -> 14
#[test]
fn bad_pointer_is_efault() {
    check("efault", &[], "", 14);
}

// qemu-aarch64 ./segv -> 139 (SIGSEGV)
#[test]
fn segfault_is_signal_11() {
    check("segv", &[], "", 139);
}

// qemu-aarch64 ./sigill -> 132 (SIGILL)
#[test]
fn undefined_is_signal_4() {
    check("sigill", &[], "", 132);
}

// (cd tests/asm && qemu-aarch64 ./cat) -> "sandboxed data\n", 0
#[test]
fn open_read_in_root() {
    check("cat", &[], "sandboxed data\n", 0);
}

// qemu reaches the host's /etc/passwd (exit 1); in the sandbox the path is
// root/etc/passwd, which does not exist: -ENOENT, exit 2.
#[test]
fn dotdot_cannot_escape_the_root() {
    check("escape", &[], "", 2);
}

#[test]
fn cwd_is_applied() {
    let _case = counts::Case::new("guest");
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    std::fs::write(tmp.path().join("sub/data.txt"), b"in sub\n").unwrap();
    std::fs::copy(asm("cat"), tmp.path().join("cat")).unwrap();
    let o = run_prog("cat", &[], tmp.path(), "/sub");
    assert_eq!(o.stdout, b"in sub\n");
    assert_eq!(o.status(), 0);
}
