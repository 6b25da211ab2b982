//! Static glibc programs (tests/c/*.c) run by the virtual kernel. They are
//! built with aarch64-linux-gnu-gcc; without it they are skipped with a reason.
//! Expected stdout and exit status were recorded with qemu-aarch64. Each test is
//! one run of the "guest" suite in scripts/test.sh's summary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use kvrm_linux::ProgramSpec;
use kvrm_testkit::counts;

mod common;
use common::{have_cross_compiler, run_captured};

/// Build all programs once into a temporary directory.
fn build_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("kvrm-linux-c-{}", std::process::id()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/c/build.sh");
        let ok = Command::new("sh")
            .arg(&script)
            .arg(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "building the C test programs failed (is aarch64-linux-gnu-gcc installed?)"
        );
        dir
    })
}

fn run_c(name: &str, args: &[&str], env: &[&str]) -> (String, i32) {
    let dir = build_dir();
    let root = tempfile::tempdir().unwrap();
    let mut argv = vec![name.as_bytes().to_vec()];
    argv.extend(args.iter().map(|a| a.as_bytes().to_vec()));
    let spec = ProgramSpec {
        exe: dir.join(name),
        argv,
        envp: env.iter().map(|e| e.as_bytes().to_vec()).collect(),
        root: root.path().to_path_buf(),
        cwd: Some("/".into()),
        lib_prefix: None,
    };
    let o = run_captured(&spec, Some(2_000_000_000));
    (o.stdout_string(), o.status())
}

#[test]
fn glibc_hello() {
    let case = counts::Case::new("guest");
    if !have_cross_compiler() {
        case.skip();
        return;
    }
    let (out, status) = run_c("hello", &["q"], &[]);
    assert_eq!(out, "hello from glibc, argc=2\nargv[1]=q\n");
    assert_eq!(status, 3);
}

#[test]
fn glibc_files() {
    let case = counts::Case::new("guest");
    if !have_cross_compiler() {
        case.skip();
        return;
    }
    let (out, status) = run_c("files", &[], &[]);
    let expected = "read 4: 3456\nsize 10 regular 1\ngot: line one\ngot: line two\n\
        readlink: f.txt\nentry .\nentry ..\nentry f.txt\nentry h.txt\nentry link\nentry sub\n\
        cwd ends with scratch: 1\nopen missing: -1 No such file or directory\n\
        stat via link: 1\nlstat link: 1\naccess: 0 -1\npipe: through a pipe\n\
        pipe2: into the pipe\nrmdir scratch: 0\n";
    assert_eq!(out, expected);
    assert_eq!(status, 0);
}

#[test]
fn glibc_memory() {
    let case = counts::Case::new("guest");
    if !have_cross_compiler() {
        case.skip();
        return;
    }
    let (out, status) = run_c("mem", &[], &[]);
    let expected = "sum 250008\nbig 1 1\nsorted 0 500 999\nmapped\nmunmap 0\n\
        mmap 0: 0xffffffffffffffff\nfloat 85.997559 28.6659 8.599756e+11\n";
    assert_eq!(out, expected);
    assert_eq!(status, 0);
}

#[test]
fn glibc_environment() {
    let case = counts::Case::new("guest");
    if !have_cross_compiler() {
        case.skip();
        return;
    }
    let (out, status) = run_c("env", &[], &["KVRM_E=x", "PATH=/bin"]);
    let expected = "KVRM_E=x\nsysname Linux machine aarch64\npagesize 4096\n\
        hwcap fp 1 asimd 1\nplatform aarch64\ntime moves: 1\nrealtime sane: 1\n\
        stack limit 8388608\npid positive: 1\n";
    assert_eq!(out, expected);
    assert_eq!(status, 0);
}

#[test]
fn glibc_abort_is_sigabrt() {
    let case = counts::Case::new("guest");
    if !have_cross_compiler() {
        case.skip();
        return;
    }
    let (out, status) = run_c("abort", &[], &[]);
    assert_eq!(out, "about to abort\n");
    assert_eq!(status, 134);
}
