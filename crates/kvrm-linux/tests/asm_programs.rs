//! Tiny AArch64 assembly programs (tests/asm/*.S, built by tests/asm/build.sh)
//! run through the Linux layer on the CPU backend. Expected stdout and exit
//! status were recorded with qemu-aarch64 (commands in each test).

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use kvrm_cpu::Cpu;
use kvrm_isa::AddressSpace;
use kvrm_linux::{load, run, ProgramSpec, RunEnd};

fn asm_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/asm")
}

struct Outcome {
    stdout: Vec<u8>,
    status: i32,
    end: RunEnd,
}

fn run_prog(name: &str, args: &[&str], root: &Path, cwd: &str) -> Outcome {
    let exe = asm_dir().join(name);
    let mut argv = vec![name.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let spec = ProgramSpec {
        exe,
        argv,
        envp: vec![b"KVRM_TEST=1".to_vec()],
        root: root.to_path_buf(),
        cwd: Some(cwd.to_string()),
    };
    let mut cpu = Cpu::new(AddressSpace::new());
    let mut proc = load(&mut cpu, &spec).expect("load");
    let mut out = tempfile::tempfile().unwrap();
    proc.set_stdio(1, out.try_clone().unwrap().into());
    let summary = run(&mut cpu, &mut proc, Some(10_000_000));
    let mut stdout = Vec::new();
    out.seek(SeekFrom::Start(0)).unwrap();
    out.read_to_end(&mut stdout).unwrap();
    Outcome {
        stdout,
        status: summary.end.status(),
        end: summary.end,
    }
}

fn check(name: &str, args: &[&str], stdout: &str, status: i32) {
    let o = run_prog(name, args, &asm_dir(), "/");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        stdout,
        "{name}: stdout ({:?})",
        o.end
    );
    assert_eq!(o.status, status, "{name}: exit status ({:?})", o.end);
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
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir(tmp.path().join("sub")).unwrap();
    std::fs::write(tmp.path().join("sub/data.txt"), b"in sub\n").unwrap();
    std::fs::copy(asm_dir().join("cat"), tmp.path().join("cat")).unwrap();
    let o = run_prog("cat", &[], tmp.path(), "/sub");
    assert_eq!(o.stdout, b"in sub\n");
    assert_eq!(o.status, 0);
}
