//! Guest memory limits: `kvrm run --memory-limit 4G` runs tests/guest/src/mem_limit.c, whose
//! malloc(64 GiB) must fail (NULL) while a later 1 MiB malloc still works, and kvrm itself must
//! not touch the memory it refused: its peak RSS stays under 200 MiB.
//!
//! Not a qemu-recorded guest case: under qemu-aarch64 the 64 GiB malloc succeeds or fails
//! depending on the host's memory and overcommit policy. The expected output below is what the
//! program prints when the allocation fails (as it does under qemu on a host with less than
//! 64 GiB of memory and swap and the default overcommit heuristic).
//!
//! Needs the guest programs (scripts/build-guests.sh) and the `kvrm` command built in this
//! target directory (`cargo build -p kvrm`, or KVRM_BIN=path); without them the test is
//! skipped with a reason (KVRM_REQUIRE_GUESTS=1 makes that a failure).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::have_cross_compiler;

const EXPECTED: &str = "malloc(64 GiB): NULL\nmalloc(1 MiB): usable, checksum 42240\n";
const MAX_RSS_KIB: i64 = 200 * 1024;

fn require() -> bool {
    std::env::var("KVRM_REQUIRE_GUESTS").as_deref() == Ok("1")
}

fn skip(reason: String) {
    assert!(!require(), "KVRM_REQUIRE_GUESTS=1: {reason}");
    println!("skipped: {reason}");
}

/// The `kvrm` command: $KVRM_BIN, else the one built in this target directory (this profile's
/// first, then the other's).
fn kvrm_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KVRM_BIN") {
        return Some(PathBuf::from(p));
    }
    // this test is target/PROFILE/deps/limits-HASH
    let exe = std::env::current_exe().ok()?;
    let profile_dir = exe.parent()?.parent()?;
    let target = profile_dir.parent()?;
    [
        profile_dir.join("kvrm"),
        target.join("release/kvrm"),
        target.join("debug/kvrm"),
    ]
    .into_iter()
    .find(|p| p.is_file())
}

fn guest(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/guest/build")
        .join(name)
}

struct Measured {
    stdout: String,
    stderr: String,
    /// exit status, or 128 + signal
    status: i32,
    /// the child's peak resident set size (getrusage's ru_maxrss for it alone, from wait4)
    max_rss_kib: i64,
}

/// Runs a command to completion (killing it after `timeout`) and measures its peak RSS.
// The child is reaped by wait4 (for its rusage), not by std's Child::wait.
#[allow(clippy::zombie_processes)]
fn run_measured(cmd: &mut Command, timeout: Duration) -> Measured {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = cmd.spawn().expect("start kvrm");
    let pid = child.id() as libc::pid_t;
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 only writes through the two pointers.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `pid` is our own unreaped child; std's Child never waits for it (not called).
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut ru) };
        assert!(r >= 0, "wait4: {}", std::io::Error::last_os_error());
        if r == pid {
            break;
        }
        if start.elapsed() > timeout {
            // SAFETY: the child is not reaped yet, so `pid` still names it (and its group).
            unsafe { libc::kill(-pid, libc::SIGKILL) };
            panic!("kvrm did not finish in {}s", timeout.as_secs());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let status = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Measured {
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
        status,
        max_rss_kib: ru.ru_maxrss, // KiB on Linux
    }
}

/// The `kvrm` command, or `None` (with the reason printed) when the tests cannot run.
fn kvrm_to_test() -> Option<PathBuf> {
    if !have_cross_compiler() {
        return None;
    }
    let kvrm = kvrm_bin();
    if kvrm.is_none() {
        skip("the kvrm command is not built (cargo build -p kvrm, or set KVRM_BIN)".into());
    }
    kvrm
}

/// `kvrm run --memory-limit LIMIT PROG` in a scratch directory, with a plain environment.
fn run_with_limit(kvrm: &Path, limit: &str, prog: &Path) -> Measured {
    let scratch = tempfile::tempdir().unwrap();
    run_measured(
        Command::new(kvrm)
            .args(["run", "--memory-limit", limit])
            .arg(prog)
            .current_dir(scratch.path())
            .env_clear()
            .env("PATH", "/usr/bin:/bin"),
        Duration::from_secs(120),
    )
}

#[test]
fn malloc_beyond_the_memory_limit_fails_and_rss_stays_small() {
    let Some(kvrm) = kvrm_to_test() else {
        return;
    };
    let variants: Vec<PathBuf> = ["mem_limit-O2", "mem_limit-musl-O2"]
        .iter()
        .map(|n| guest(n))
        .filter(|p| p.is_file())
        .collect();
    if variants.is_empty() {
        skip("tests/guest/build/mem_limit-O2 is missing (run scripts/build-guests.sh)".into());
        return;
    }
    for prog in variants {
        let m = run_with_limit(&kvrm, "4G", &prog);
        let name = prog.file_name().unwrap().to_string_lossy();
        assert_eq!(m.stdout, EXPECTED, "{name}: stdout (stderr: {})", m.stderr);
        assert_eq!(m.status, 0, "{name}: status (stderr: {})", m.stderr);
        assert!(
            m.max_rss_kib < MAX_RSS_KIB,
            "{name}: kvrm's peak RSS was {} MiB, limit {} MiB",
            m.max_rss_kib / 1024,
            MAX_RSS_KIB / 1024
        );
        println!("{name}: ok, kvrm's peak RSS {} MiB", m.max_rss_kib / 1024);
    }
}

/// What tests/guest/src/mem_limit_procs.c prints under `--memory-limit 256M`: exited children's
/// memory stops counting, live ones' counts.
const PROCS_EXPECTED: &str = "one at a time: 20 of 20 children mapped 160 MiB\n\
                              at once, child 1: mapped 100 MiB\n\
                              at once, child 2: mapped 100 MiB\n\
                              at once, child 3: refused\n\
                              after they exit, the parent maps 200 MiB: yes\n";

#[test]
fn the_memory_limit_counts_live_processes_only() {
    let Some(kvrm) = kvrm_to_test() else {
        return;
    };
    let prog = guest("mem_limit_procs-O2");
    if !prog.is_file() {
        skip(
            "tests/guest/build/mem_limit_procs-O2 is missing (run scripts/build-guests.sh)".into(),
        );
        return;
    }
    let m = run_with_limit(&kvrm, "256M", &prog);
    assert_eq!(m.stdout, PROCS_EXPECTED, "stderr: {}", m.stderr);
    assert_eq!(m.status, 0, "stderr: {}", m.stderr);
}
