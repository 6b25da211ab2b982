//! CPython's own regression tests (Debian's libpython3.11-testsuite, in the sysroot of
//! scripts/fetch-debian-arm64.sh) under kvrm: descriptors and files (`test_os`),
//! pseudo-terminals (`test_pty`), select, poll, epoll and selectors, fork and wait4, threads,
//! mmap, resource limits, struct. The verdicts are CPython's, written against Linux, not
//! against kvrm: every module must pass, on both engines. qemu-aarch64 is no oracle here (it
//! fails some of these modules itself), so this suite checks CPython's verdict instead of
//! comparing with qemu.

#[allow(dead_code)] // the harness's comparing runner is not used here
mod sysroot;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use kvrm_testkit::counts;
use sysroot::{case, run, sysroot_or_skip, Case, Suite};

const MODULES: &[&str] = &[
    "test_os",
    "test_pty",
    "test_select",
    "test_poll",
    "test_epoll",
    "test_selectors",
    "test_fork1",
    "test_wait4",
    "test_thread",
    "test_mmap",
    "test_resource",
    "test_struct",
];

const CASES: &[Case] = &[case("regrtest", "python3.11", &[], "")];

const SUITE: Suite = Suite {
    name: "cpython",
    files: &[],
    cases: CASES,
    path: &["usr/bin"],
};

#[test]
fn cpython_regression_tests_pass() {
    let Some(root) = sysroot_or_skip(&SUITE) else {
        return;
    };
    let python = root.join("usr/bin/python3.11");
    if !root.join("usr/lib/python3.11/test/regrtest.py").exists() {
        sysroot::skip(&SUITE, "the sysroot has no libpython3.11-testsuite");
        return;
    }
    let kvrm = PathBuf::from(env!("CARGO_BIN_EXE_kvrm"));
    // The tests' scratch files go to a directory of the run's inside the root: the
    // sysroot has no /tmp.
    let scratch_name = format!("kvrm-cpython-{}", std::process::id());
    let scratch = root.join(&scratch_name);
    let mut failures = Vec::new();
    let mut passed = 0;
    for engine in ["interp", "jit"] {
        let _ = std::fs::remove_dir_all(&scratch);
        std::fs::create_dir_all(&scratch).unwrap();
        let mut cmd = Command::new(&kvrm);
        cmd.current_dir(&scratch)
            .env_clear()
            .args(["run", "--quiet", "--net", "--engine", engine, "--fs-root"])
            .arg(&root)
            .args(["-E", "PATH=/usr/bin:/bin", "-E", "HOME=/home/kvrm"])
            .arg("-E")
            .arg(format!("TMPDIR=/{scratch_name}"))
            .arg(&python)
            .args(["-m", "test"])
            .args(MODULES);
        match run(cmd, "", Duration::from_secs(900)) {
            Ok(out) => {
                let stdout = String::from_utf8_lossy(&out.stdout);
                if out.status == 0 && stdout.contains("Tests result: SUCCESS") {
                    passed += 1;
                    eprintln!("cpython ({engine}): {} modules passed", MODULES.len());
                } else {
                    let tail: Vec<&str> = stdout.lines().rev().take(30).collect();
                    let tail: Vec<&str> = tail.into_iter().rev().collect();
                    failures.push(format!(
                        "{engine}: status {}\n{}\n{}",
                        out.status,
                        tail.join("\n"),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
            Err(e) => failures.push(format!("{engine}: {e}")),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    counts::record("debian", passed, failures.len(), 0);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
