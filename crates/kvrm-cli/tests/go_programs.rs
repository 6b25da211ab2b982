//! Go programs (tests/go/NAME/main.go, standard library only, GOARCH=arm64, static) and their
//! C companions (tests/go/c/NAME.c), built by scripts/build-go.sh into tests/go/build. Every
//! case runs in a fresh scratch directory under `qemu-aarch64` and under `kvrm run` (plain,
//! then twice with --deterministic), and stdout, stderr and the exit status must be the same:
//! the expected values come from qemu at test time (no recorded files; the Go toolchain's
//! version decides the bytes). Cases whose output depends on scheduling, time or randomness
//! (`det_only`) are compared between the two deterministic runs only; those that print what
//! the machine is (`det_machine`: --deterministic shows one CPU on every host) compare the
//! plain run with qemu.
//!
//! The scratch directory holds `input.txt` and `bin/NAME` (the program, so that kvrm's
//! --fs-root SCRATCH sees it at /bin/NAME; `spawn`, `pipes`, `execself` and `pidfd` find
//! themselves on PATH).
//! qemu-user without binfmt_misc cannot run an AArch64 child, so under qemu PATH starts with
//! wrappers of those names that run them under qemu.
//!
//! The test builds the programs itself when a binary is missing (scripts/build-go.sh installs
//! golang-go when root); without go or qemu-aarch64 it is skipped with the reason printed
//! (KVRM_REQUIRE_GUESTS=1: fails instead). KVRM_SKIP_GUESTS=1 skips it, KVRM_GUEST_FILTER=SUBSTR
//! selects cases, KVRM_GUEST_TIMEOUT=SECONDS bounds each run (default 180).

#[allow(dead_code)] // shared with the Debian-package suites
mod sysroot;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use sysroot::{env_flag, repo_root, run, Outcome};

/// One case: a program of tests/go/build, its arguments, extra environment and stdin.
struct Case {
    name: &'static str,
    prog: &'static str,
    args: &'static [&'static str],
    env: &'static [(&'static str, &'static str)],
    stdin: &'static str,
    /// Compared between two --deterministic runs only, not with qemu.
    det_only: bool,
    /// The deterministic runs see another machine than qemu's (one CPU): only the plain
    /// run is compared with qemu.
    det_machine: bool,
    /// Go's runtime may report a deadlock from two threads at once, on Linux as under
    /// any emulator: its check frees the scheduler's lock before printing, and another
    /// thread going idle can find the deadlock too before the first marks the process as
    /// panicking (the runtime then lets both reports finish). A repeated identical
    /// `fatal error:` line counts as one.
    fatal_once: bool,
}

const fn case(name: &'static str, args: &'static [&'static str]) -> Case {
    Case {
        name,
        prog: name,
        args,
        env: &[],
        stdin: "",
        det_only: false,
        det_machine: false,
        fatal_once: false,
    }
}

/// `o` with each run of identical consecutive `fatal error:` lines of stderr made one.
fn one_fatal_report(mut o: Outcome) -> Outcome {
    let mut kept: Vec<&[u8]> = Vec::new();
    for line in o.stderr.split_inclusive(|&b| b == b'\n') {
        if line.starts_with(b"fatal error: ") && kept.last() == Some(&line) {
            continue;
        }
        kept.push(line);
    }
    o.stderr = kept.concat();
    o
}

/// Programs that run themselves as children, found on PATH by their name.
const SELF_SPAWNING: [&str; 4] = ["spawn", "pipes", "execself", "pidfd"];

const CASES: &[Case] = &[
    case("hello", &[]),
    case("goroutines", &[]),
    case("timers", &[]),
    case("jsonrt", &[]),
    case("text", &[]),
    case("crypto", &[]),
    case("panics", &[]),
    case("nilderef", &[]),
    case("gc", &[]),
    case("stress", &[]),
    case("spawn", &[]),
    case("pipes", &[]),
    case("execself", &[]),
    case("pidfd", &[]),
    Case {
        env: &[("GO_TEST_VAR", "go value")],
        stdin: "from stdin\n",
        ..case("envfile", &["first", "two words", ""])
    },
    case("exitstatus", &[]),
    Case {
        det_machine: true,
        ..case("sysinfo", &[])
    },
    case("signals", &[]),
    case("preempt", &[]),
    // The goroutine dump of a deadlock shows heap addresses, which depend on scheduling.
    Case {
        env: &[("GOTRACEBACK", "none")],
        fatal_once: true,
        ..case("deadlock", &[])
    },
    Case {
        det_only: true,
        ..case("schedorder", &[])
    },
    Case {
        prog: "timed_waits-c",
        ..case("timed_waits_c", &[])
    },
];

/// The directory of built programs, building them if one is missing; `Err(reason)` when the
/// suite cannot run.
fn programs() -> Result<PathBuf, String> {
    if Command::new("qemu-aarch64")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err("qemu-aarch64 not found (apt-get install qemu-user)".into());
    }
    let root = repo_root();
    let build = root.join("tests/go/build");
    let missing = CASES.iter().any(|c| !build.join(c.prog).exists());
    if missing {
        let out = Command::new(root.join("scripts/build-go.sh"))
            .output()
            .map_err(|e| format!("scripts/build-go.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "scripts/build-go.sh failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        if let Some(c) = CASES.iter().find(|c| !build.join(c.prog).exists()) {
            return Err(format!(
                "scripts/build-go.sh did not build {} (aarch64-linux-gnu-gcc missing?)",
                c.prog
            ));
        }
    }
    Ok(build)
}

fn fresh_scratch(dir: &Path, prog: &Path) -> Result<PathBuf, String> {
    let _ = fs::remove_dir_all(dir);
    let bin = dir.join("bin");
    fs::create_dir_all(&bin).map_err(|e| format!("{}: {e}", bin.display()))?;
    fs::write(
        dir.join("input.txt"),
        "the first line\nthe second line has more words\n\nlast\n",
    )
    .map_err(|e| format!("input.txt: {e}"))?;
    let name = prog.file_name().ok_or("program without a name")?;
    let copy = bin.join(name);
    fs::copy(prog, &copy).map_err(|e| format!("{}: {e}", copy.display()))?;
    Ok(copy)
}

fn write_wrapper(dir: &Path, name: &str, target: &Path) -> std::io::Result<()> {
    fs::create_dir_all(dir)?;
    let path = dir.join(name);
    let script = format!(
        "#!/bin/sh\nexec qemu-aarch64 -0 {name} {} \"$@\"\n",
        target.display()
    );
    fs::write(&path, script)?;
    let mut perms = fs::metadata(&path)?.permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(&path, perms)
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.len() > 1500 {
        format!("{}...", &s[..s.floor_char_boundary(1500)])
    } else {
        s.into_owned()
    }
}

fn differ(what: &str, e: &Outcome, a: &Outcome) -> String {
    format!(
        "{what}: status {} vs {}\n    stdout: {:?}\n        vs: {:?}\n    stderr: {:?}\n        vs: {:?}",
        e.status,
        a.status,
        show(&e.stdout),
        show(&a.stdout),
        show(&e.stderr),
        show(&a.stderr)
    )
}

const HOME: &str = "/home/kvrm";

/// Run one case: `Err` describes every way it failed.
fn check_case(c: &Case, build: &Path, work: &Path, wrappers: &Path) -> Result<(), String> {
    let timeout = Duration::from_secs(
        std::env::var("KVRM_GUEST_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(180),
    );
    let kvrm = PathBuf::from(env!("CARGO_BIN_EXE_kvrm"));
    let scratch = work.join(c.name);
    let prog = build.join(c.prog);

    let run_kvrm = |extra: &[&str]| -> Result<Outcome, String> {
        let copy = fresh_scratch(&scratch, &prog)?;
        let mut k = Command::new(&kvrm);
        k.args(["run", "--quiet"])
            .args(extra)
            .arg("--fs-root")
            .arg(&scratch)
            .arg(&copy)
            .args(c.args);
        k.current_dir(&scratch)
            .env_clear()
            .env("PATH", "/bin:/usr/bin")
            .env("HOME", HOME)
            .envs(c.env.iter().copied());
        run(k, c.stdin, timeout)
            .map(|o| if c.fatal_once { one_fatal_report(o) } else { o })
            .map_err(|e| format!("kvrm {extra:?}: {e}"))
    };

    let mut problems = Vec::new();
    let det1 = run_kvrm(&["--deterministic"]);
    let det2 = run_kvrm(&["--deterministic"]);
    match (&det1, &det2) {
        (Ok(a), Ok(b)) if a != b => {
            problems.push(differ("two --deterministic runs (first vs second)", a, b))
        }
        (Err(e), _) | (_, Err(e)) => problems.push(e.clone()),
        _ => {}
    }
    if c.det_only {
        if let Ok(a) = &det1 {
            if a.status != 0 || a.stdout.is_empty() {
                problems.push(differ("deterministic run: expected status 0", a, a));
            }
        }
    } else {
        let copy = fresh_scratch(&scratch, &prog)?;
        let mut q = Command::new("qemu-aarch64");
        q.arg(&copy).args(c.args);
        q.current_dir(&scratch)
            .env_clear()
            .env("PATH", format!("{}:/bin:/usr/bin", wrappers.display()))
            .env("HOME", HOME)
            .envs(c.env.iter().copied());
        let mut expected = run(q, c.stdin, timeout).map_err(|e| format!("qemu: {e}"))?;
        if c.fatal_once {
            expected = one_fatal_report(expected);
        }
        let plain = run_kvrm(&[]);
        let mut compared = vec![("kvrm", &plain)];
        if !c.det_machine {
            compared.push(("kvrm --deterministic", &det1));
        }
        for (what, got) in compared {
            match got {
                Ok(a) if *a != expected => {
                    problems.push(differ(&format!("qemu vs {what}"), &expected, a))
                }
                Err(e) => problems.push(e.clone()),
                _ => {}
            }
        }
    }
    let _ = fs::remove_dir_all(&scratch);
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n  "))
    }
}

#[test]
fn go_programs_match_qemu() {
    if env_flag("KVRM_SKIP_GUESTS") {
        eprintln!("SKIP go: KVRM_SKIP_GUESTS=1");
        kvrm_testkit::counts::record("go", 0, 0, CASES.len());
        return;
    }
    let build = match programs() {
        Ok(b) => b,
        Err(why) => {
            if env_flag("KVRM_REQUIRE_GUESTS") {
                panic!("KVRM_REQUIRE_GUESTS=1: {why}");
            }
            eprintln!("SKIP go: {why}");
            kvrm_testkit::counts::record("go", 0, 0, CASES.len());
            return;
        }
    };
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("go-{}", std::process::id()));
    let wrappers = work.join("wrappers");
    for name in SELF_SPAWNING {
        write_wrapper(&wrappers, name, &build.join(name)).expect("qemu wrapper");
    }
    let filter = std::env::var("KVRM_GUEST_FILTER").unwrap_or_default();
    let cases: Vec<&Case> = CASES.iter().filter(|c| c.name.contains(&filter)).collect();
    let jobs = std::env::var("KVRM_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        });
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, cases.len().max(1)) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = cases.get(k) else { break };
                if let Err(p) = check_case(c, &build, &work, &wrappers) {
                    failures
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .push(format!("  {}: {p}", c.name));
                }
            });
        }
    });
    let _ = fs::remove_dir_all(&work);
    let failures = failures
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    kvrm_testkit::counts::record("go", cases.len() - failures.len(), failures.len(), 0);
    eprintln!(
        "go: {} passed, {} failed",
        cases.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} Go cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn repeated_fatal_reports_count_once() {
    let o = |stderr: &str| Outcome {
        stdout: b"1\n".to_vec(),
        stderr: stderr.as_bytes().to_vec(),
        status: 2,
    };
    let twice = "fatal error: all goroutines are asleep - deadlock!\n".repeat(2);
    assert_eq!(one_fatal_report(o(&twice)), o(&twice[..twice.len() / 2]));
    // Other repeated lines, and different fatal errors, stay.
    let other = "x\nx\nfatal error: a\nfatal error: b\n";
    assert_eq!(one_fatal_report(o(other)), o(other));
}
