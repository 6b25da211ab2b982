//! Deterministic runs: `kvrm run --deterministic --seed N --stats` must make a threaded guest
//! reproducible. The same seed twice gives byte-identical stdout and the same instruction count
//! (the `kvrm: N instructions ...` line of --stats) for threads_mutex (whose output is
//! interleaving-independent, and must also match the qemu-recorded expected file) and for
//! threads_order (whose output is the order in which threads took a mutex: it varies between
//! runs under qemu or a real kernel). getrandom_bytes prints getrandom() bytes: the same for the
//! same seed, different for another seed.
//!
//! Needs the guest programs (scripts/build-guests.sh) and the `kvrm` command built in this
//! target directory (`cargo build -p kvrm`, or KVRM_BIN=path); without them the tests are
//! skipped with a reason (KVRM_REQUIRE_GUESTS=1 makes that a failure).

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::have_cross_compiler;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn skip(reason: &str) {
    assert!(
        std::env::var("KVRM_REQUIRE_GUESTS").as_deref() != Ok("1"),
        "KVRM_REQUIRE_GUESTS=1: {reason}"
    );
    println!("skipped: {reason}");
}

/// The `kvrm` command: $KVRM_BIN, else the one built in this target directory (this profile's
/// first, then the other's).
fn kvrm_bin() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("KVRM_BIN") {
        return Some(PathBuf::from(p));
    }
    // this test is target/PROFILE/deps/determinism-HASH
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

/// The kvrm command and the built guest programs `names` (tests/guest/build/NAME), or None
/// (skipped, with the reason printed) when something is missing.
fn setup(names: &[&str]) -> Option<(PathBuf, Vec<PathBuf>)> {
    if !have_cross_compiler() {
        return None;
    }
    let Some(kvrm) = kvrm_bin() else {
        skip("the kvrm command is not built (cargo build -p kvrm, or set KVRM_BIN)");
        return None;
    };
    let mut progs = Vec::new();
    for n in names {
        let p = repo().join("tests/guest/build").join(n);
        if !p.is_file() {
            skip(&format!(
                "tests/guest/build/{n} is missing (run scripts/build-guests.sh)"
            ));
            return None;
        }
        progs.push(p);
    }
    Some((kvrm, progs))
}

#[derive(Debug, PartialEq)]
struct Run {
    stdout: Vec<u8>,
    status: i32,
    instructions: u64,
}

/// `kvrm run --deterministic --seed SEED --stats PROG` in a scratch directory, with the guest
/// harness's environment; killed after two minutes.
fn run_deterministic(kvrm: &Path, prog: &Path, seed: u64) -> Run {
    let scratch = tempfile::tempdir().unwrap();
    let mut child = Command::new(kvrm)
        .args([
            "run",
            "--deterministic",
            "--seed",
            &seed.to_string(),
            "--stats",
        ])
        .arg(prog)
        .current_dir(scratch.path())
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/home/kvrm")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("start kvrm");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait for kvrm") {
            break st;
        }
        if start.elapsed() > Duration::from_secs(120) {
            // SAFETY: kill(2) on the process group of our own unreaped child.
            unsafe { libc::kill(-(child.id() as libc::pid_t), libc::SIGKILL) };
            let _ = child.wait();
            panic!("{}: timed out after 120s", prog.display());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let stdout = out_t.join().unwrap();
    let stderr = err_t.join().unwrap();
    let status = {
        use std::os::unix::process::ExitStatusExt;
        status
            .code()
            .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
    };
    let instructions = instruction_count(&stderr).unwrap_or_else(|| {
        panic!(
            "{}: no `kvrm: N instructions` line on stderr:\n{stderr}",
            prog.display()
        )
    });
    Run {
        stdout,
        status,
        instructions,
    }
}

/// N from the `kvrm: N instructions in ...` line that --stats prints.
fn instruction_count(stderr: &str) -> Option<u64> {
    stderr.lines().find_map(|l| {
        let mut words = l.strip_prefix("kvrm: ")?.split_whitespace();
        let n = words.next()?.parse().ok()?;
        (words.next()? == "instructions").then_some(n)
    })
}

#[test]
fn instruction_count_is_parsed() {
    let stderr = "guest text\nkvrm: 123456 instructions in 0.010 s (12.3 M instructions/s)\n\
                  kvrm: 7 syscalls\n";
    assert_eq!(instruction_count(stderr), Some(123456));
    assert_eq!(instruction_count("kvrm: 7 syscalls\n"), None);
}

#[test]

fn same_seed_same_threaded_run() {
    let Some((kvrm, progs)) = setup(&["threads_mutex-O2", "threads_order-O2"]) else {
        return;
    };
    for prog in &progs {
        let a = run_deterministic(&kvrm, prog, 7);
        let b = run_deterministic(&kvrm, prog, 7);
        let name = prog.file_name().unwrap().to_string_lossy();
        assert_eq!(a.status, 0, "{name}: status");
        assert_eq!(
            String::from_utf8_lossy(&a.stdout),
            String::from_utf8_lossy(&b.stdout),
            "{name}: stdout differs between two runs with --seed 7"
        );
        assert_eq!(
            a.instructions, b.instructions,
            "{name}: instruction count differs between two runs with --seed 7"
        );
        assert_eq!(a, b);
        println!("{name}: {} instructions, twice", a.instructions);
    }
    // threads_mutex's output does not depend on the interleaving: it is qemu's.
    let expected = std::fs::read(repo().join("tests/guest/expected/threads_mutex-O2.stdout"))
        .expect("tests/guest/expected/threads_mutex-O2.stdout");
    let a = run_deterministic(&kvrm, &progs[0], 7);
    assert_eq!(
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&expected)
    );
}

#[test]

fn the_seed_drives_getrandom() {
    let Some((kvrm, progs)) = setup(&["getrandom_bytes-O2"]) else {
        return;
    };
    let prog = &progs[0];
    let a = run_deterministic(&kvrm, prog, 7);
    let b = run_deterministic(&kvrm, prog, 7);
    let c = run_deterministic(&kvrm, prog, 8);
    let text = |r: &Run| String::from_utf8_lossy(&r.stdout).into_owned();
    assert_eq!(a.status, 0, "{}", text(&a));
    assert!(
        text(&a).starts_with("getrandom: 32 bytes: "),
        "unexpected output: {}",
        text(&a)
    );
    assert_eq!(text(&a), text(&b), "same seed, different getrandom bytes");
    assert_eq!(a.instructions, b.instructions);
    assert_ne!(
        text(&a),
        text(&c),
        "--seed 7 and --seed 8 gave the same bytes"
    );
}
