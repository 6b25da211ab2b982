//! Helpers shared by the integration tests that run guest programs.
// Each test file uses only some of these.
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

use kvrm_cpu::CpuEngine;
use kvrm_linux::{Kernel, KernelConfig, Pid, ProgramSpec, RunSummary};

/// Whether the cross compiler is there; without it the test is skipped with a
/// printed reason, or fails when KVRM_REQUIRE_GUESTS=1 (as CI sets).
pub fn have_cross_compiler() -> bool {
    let ok = Command::new("aarch64-linux-gnu-gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("KVRM_REQUIRE_GUESTS").as_deref() != Ok("1"),
            "aarch64-linux-gnu-gcc is missing and KVRM_REQUIRE_GUESTS=1"
        );
        println!("skipped: aarch64-linux-gnu-gcc is not installed");
    }
    ok
}

/// A committed assembly test program (tests/asm, built by tests/asm/build.sh).
pub fn asm(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/asm")
        .join(name)
}

/// tests/procs/procs (fork, exec, wait, signals; built by its build.sh) as
/// the host kernel's answers were recorded: HOME set, started in `/` of
/// `root`. Returns the spec and the expected stdout (a last `status N`
/// line included).
pub fn procs_spec(root: &Path) -> (ProgramSpec, String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/procs");
    let spec = ProgramSpec {
        exe: dir.join("procs"),
        argv: vec![b"procs".to_vec()],
        envp: vec![b"HOME=/home/kvrm".to_vec()],
        root: root.to_path_buf(),
        cwd: Some("/".into()),
        lib_prefix: None,
    };
    let expected = std::fs::read_to_string(dir.join("procs.expected")).unwrap();
    (spec, expected)
}

/// A kernel on the CPU engine, limited to `max_instructions` (all guests).
pub fn kernel(max_instructions: Option<u64>) -> Kernel {
    Kernel::new(
        Box::new(CpuEngine::new()),
        KernelConfig {
            max_instructions,
            ..KernelConfig::default()
        },
    )
}

/// A temporary file to give a guest as a descriptor.
pub struct Capture(File);

impl Capture {
    pub fn new() -> Self {
        Capture(tempfile::tempfile().unwrap())
    }

    /// Make it descriptor `fd` of guest process `pid`.
    pub fn attach(&self, kernel: &mut Kernel, pid: Pid, fd: u32) {
        kernel.set_stdio(pid, fd, self.0.try_clone().unwrap().into());
    }

    /// Everything written so far.
    pub fn contents(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.0.seek(SeekFrom::Start(0)).unwrap();
        self.0.read_to_end(&mut out).unwrap();
        out
    }
}

/// How a captured run went.
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub summary: RunSummary,
    pub kernel: Kernel,
    pub pid: Pid,
}

impl Outcome {
    pub fn stdout_string(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    pub fn status(&self) -> i32 {
        self.summary.end.status()
    }
}

/// Spawn `spec` as the first process of a fresh kernel with its stdout going
/// to a temporary file; run it to its end, then the processes it left behind
/// (as the host's processes would go on after it).
pub fn run_captured(spec: &ProgramSpec, max_instructions: Option<u64>) -> Outcome {
    let mut kernel = kernel(max_instructions);
    let pid = kvrm_linux::spawn(&mut kernel, spec).expect("spawn");
    assert_eq!(kernel.first_pid(), Some(pid));
    let mut out = Capture::new();
    out.attach(&mut kernel, pid, 1);
    let summary = kernel.run();
    kernel.run_rest();
    Outcome {
        stdout: out.contents(),
        summary,
        kernel,
        pid,
    }
}
