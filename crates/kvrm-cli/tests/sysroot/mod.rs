//! The harness of the suites that run stock Debian arm64 programs (and programs built from
//! Debian's sources) from the sysroot scripts/fetch-debian-arm64.sh unpacks into
//! tests/debian/build/sysroot: debian.rs, shells.rs, compressors.rs, lua_sqlite.rs, runtimes.rs.
//!
//! Every case runs twice in a scratch directory inside the sysroot, as
//! `kvrm run --quiet --fs-root SYSROOT SYSROOT/PROG ARGS` and as
//! `qemu-aarch64 -L SYSROOT SYSROOT/PROG ARGS`, and stdout, stderr and the exit status must be
//! the same. qemu-user without binfmt_misc cannot run the AArch64 programs a shell starts, so
//! under qemu PATH begins with wrappers that run each program under qemu.
//!
//! A suite fetches the sysroot itself when it is missing (root and network needed); otherwise,
//! and without qemu-aarch64, it is skipped with the reason printed (KVRM_REQUIRE_GUESTS=1:
//! fails instead). KVRM_SKIP_GUESTS=1 skips it, KVRM_GUEST_FILTER=SUBSTR selects cases. Each
//! suite records its counts as suite `debian` (kvrm_testkit::counts, scripts/test.sh's summary).

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kvrm_testkit::counts;

/// kvrm runs every case on each engine (the JIT compiling blocks after two runs, so
/// nearly all code that runs is compiled).
const ENGINES: [&str; 2] = ["interp", "jit:2"];

/// One case: the program (a name in the sysroot's /usr/bin, or a path inside the sysroot
/// when it has a `/`), its arguments and stdin.
pub struct Case {
    pub name: &'static str,
    pub prog: &'static str,
    pub args: &'static [&'static str],
    pub stdin: &'static str,
}

pub const fn case(
    name: &'static str,
    prog: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
) -> Case {
    Case {
        name,
        prog,
        args,
        stdin,
    }
}

/// A table of cases and what they need.
pub struct Suite {
    /// The name in messages (`SKIP shells: ...`).
    pub name: &'static str,
    /// Files every scratch directory starts with (name, contents).
    pub files: &'static [(&'static str, &'static str)],
    pub cases: &'static [Case],
    /// Directories of the sysroot on the guest's PATH, first first (`usr/bin`).
    pub path: &'static [&'static str],
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

pub fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1").unwrap_or(false)
}

fn may_install() -> bool {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    root || Command::new("sudo")
        .args(["-n", "true"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Run one of the repository's scripts (`scripts/NAME`); `Err(reason)` when it fails.
pub fn run_script(name: &str) -> Result<(), String> {
    let out = Command::new(repo_root().join("scripts").join(name))
        .output()
        .map_err(|e| format!("scripts/{name}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "scripts/{name} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The sysroot, fetched if needed; `Err(reason)` when the suite cannot run.
pub fn sysroot() -> Result<PathBuf, String> {
    // The tests of a file run in parallel: one of them fetches, the others wait.
    static FETCH: Mutex<()> = Mutex::new(());
    let _one_at_a_time = FETCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let sysroot = repo_root().join("tests/debian/build/sysroot");
    if Command::new("qemu-aarch64")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err("qemu-aarch64 not found (apt-get install qemu-user)".into());
    }
    if !sysroot.join(".kvrm-packages").exists() && !may_install() {
        return Err(format!(
            "{} missing and not root: run scripts/fetch-debian-arm64.sh as root",
            sysroot.display()
        ));
    }
    // Always: the script is quick when the sysroot holds its package list, and refetches
    // when the list grew.
    run_script("fetch-debian-arm64.sh").map_err(|e| format!("{e} (network? apt?)"))?;
    Ok(sysroot)
}

/// Host scripts named after every program of the sysroot directories `dirs` that run it
/// under qemu (an earlier directory's program wins), and `qemu-run PROGRAM ARGS`, which
/// runs an AArch64 program named by its path (in the sysroot or as a guest sees it) under
/// qemu: for programs that start others by path, as gcc's `-wrapper qemu-run` does
/// (`qemu-run --sysroot` prints the sysroot's host path).
fn qemu_wrappers(sysroot: &Path, dirs: &[&str], out: &Path) {
    fs::create_dir_all(out).unwrap();
    let run_by_path = format!(
        "#!/bin/sh\np=$1\nshift\ncase \"$p\" in\n--sysroot) echo {root} ;;\n\
         {wrappers}/*) exec \"$p\" \"$@\" ;;\n\
         {root}/*) exec qemu-aarch64 -L {root} \"$p\" \"$@\" ;;\n\
         /*) exec qemu-aarch64 -L {root} -0 \"$p\" \"{root}$p\" \"$@\" ;;\n\
         */*) exec qemu-aarch64 -L {root} \"$p\" \"$@\" ;;\n\
         *) exec \"$p\" \"$@\" ;;\nesac\n",
        wrappers = out.display(),
        root = sysroot.display()
    );
    write_executable(&out.join("qemu-run"), &run_by_path);
    for dir in dirs.iter().rev() {
        let Ok(entries) = fs::read_dir(sysroot.join(dir)) else {
            continue;
        };
        for e in entries {
            let name = e.unwrap().file_name().into_string().unwrap();
            let path = out.join(&name);
            let script = format!(
                "#!/bin/sh\nexec qemu-aarch64 -L {root} -0 \"{name}\" {root}/{dir}/{name} \"$@\"\n",
                root = sysroot.display()
            );
            write_executable(&path, &script);
        }
    }
}

fn write_executable(path: &Path, script: &str) {
    fs::write(path, script).unwrap();
    let mut perms = fs::metadata(path).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    fs::set_permissions(path, perms).unwrap();
}

#[derive(Debug, PartialEq, Eq)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub status: i32,
}

pub fn run(mut cmd: Command, stdin: &str, timeout: Duration) -> Result<Outcome, String> {
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(|e| format!("{cmd:?}: {e}"))?;
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.as_bytes().to_vec();
    let in_t = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let mut out_pipe = child.stdout.take().unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out_pipe.read_to_end(&mut v);
        v
    });
    let err_t = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err_pipe.read_to_end(&mut v);
        v
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().map_err(|e| e.to_string())? {
            break Some(st);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = in_t.join();
    let stdout = out_t.join().unwrap();
    let stderr = err_t.join().unwrap();
    let status = status.ok_or_else(|| format!("timed out after {}s", timeout.as_secs()))?;
    use std::os::unix::process::ExitStatusExt;
    let status = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    let stderr = stderr
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"qemu: uncaught target signal"))
        .flatten()
        .copied()
        .collect();
    Ok(Outcome {
        stdout,
        stderr,
        status,
    })
}

/// A fresh scratch directory inside the sysroot with `files` (same name for both runs, so
/// that paths in the output agree).
fn fresh_scratch(dir: &Path, files: &[(&str, &str)]) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    // Fixed times: diff -u and ls -l show them.
    let t = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for (name, text) in files {
        fs::write(dir.join(name), text).unwrap();
        fs::File::options()
            .write(true)
            .open(dir.join(name))
            .and_then(|f| f.set_modified(t))
            .unwrap();
    }
}

fn show(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    if s.len() > 600 {
        format!("{}...", &s[..s.floor_char_boundary(600)])
    } else {
        s.into_owned()
    }
}

/// Skip (or fail, with KVRM_REQUIRE_GUESTS=1) `suite` for `why`, counting its cases skipped.
pub fn skip(suite: &Suite, why: &str) {
    if env_flag("KVRM_REQUIRE_GUESTS") {
        counts::record("debian", 0, 1, 0);
        panic!("KVRM_REQUIRE_GUESTS=1: {}: {why}", suite.name);
    }
    counts::record("debian", 0, 0, suite.cases.len());
    eprintln!("SKIP {}: {why}", suite.name);
}

/// The sysroot for `suite`, or `None` after [`skip`] said why not.
pub fn sysroot_or_skip(suite: &Suite) -> Option<PathBuf> {
    if env_flag("KVRM_SKIP_GUESTS") {
        counts::record("debian", 0, 0, suite.cases.len());
        eprintln!("SKIP {}: KVRM_SKIP_GUESTS=1", suite.name);
        return None;
    }
    match sysroot() {
        Ok(s) => Some(s),
        Err(why) => {
            skip(suite, &why);
            None
        }
    }
}

/// Run every case of `suite` (those whose name has $KVRM_GUEST_FILTER) under qemu and kvrm,
/// record the counts and panic with every difference.
pub fn run_suite(suite: &Suite, sysroot: &Path) {
    run_suite_on(suite, sysroot, &ENGINES);
}

/// [`run_suite`] with kvrm on `engines` (`--engine` values).
pub fn run_suite_on(suite: &Suite, sysroot: &Path, engines: &[&str]) {
    let kvrm = PathBuf::from(env!("CARGO_BIN_EXE_kvrm"));
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "{}-{}",
        suite.name,
        std::process::id()
    ));
    let wrappers = work.join("wrappers");
    qemu_wrappers(sysroot, suite.path, &wrappers);
    let filter = std::env::var("KVRM_GUEST_FILTER").unwrap_or_default();
    let cases: Vec<&Case> = suite
        .cases
        .iter()
        .filter(|c| c.name.contains(&filter))
        .collect();
    let timeout = Duration::from_secs(120);
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let guest_path: Vec<String> = suite.path.iter().map(|d| format!("/{d}")).collect();
    let guest_path = guest_path.join(":");
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(cases.len()) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = cases.get(k) else { break };
                let dir = format!("kvrm-{}-{}", std::process::id(), c.name);
                let scratch = sysroot.join("tmp").join(&dir);
                let prog = if c.prog.contains('/') {
                    sysroot.join(c.prog)
                } else {
                    sysroot.join("usr/bin").join(c.prog)
                };
                let base_env = [("HOME", "/"), ("TZ", "UTC")];

                fresh_scratch(&scratch, suite.files);
                let mut q = Command::new("qemu-aarch64");
                q.arg("-L").arg(sysroot).arg(&prog).args(c.args);
                q.current_dir(&scratch)
                    .env_clear()
                    .envs(base_env)
                    .env("PATH", format!("{}:{guest_path}", wrappers.display()))
                    // As a shell would set it: zsh's own search for its directory fails
                    // under qemu -L.
                    .env("PWD", &scratch);
                let expected = run(q, c.stdin, timeout);

                // kvrm on each engine: the interpreter and the JIT.
                for &engine in engines {
                    fresh_scratch(&scratch, suite.files);
                    let mut k = Command::new(&kvrm);
                    k.args(["run", "--quiet", "--engine", engine, "--fs-root"])
                        .arg(sysroot)
                        .arg(&prog)
                        .args(c.args);
                    k.current_dir(&scratch)
                        .env_clear()
                        .envs(base_env)
                        .env("PATH", &guest_path)
                        .env("PWD", format!("/tmp/{dir}"));
                    let actual = run(k, c.stdin, timeout);
                    let _ = fs::remove_dir_all(&scratch);

                    let problem = match (&expected, actual) {
                        (Err(e), _) => Some(format!("qemu: {e}")),
                        (_, Err(e)) => Some(format!("kvrm: {e}")),
                        (Ok(e), Ok(a)) if *e != a => Some(format!(
                            "status {} vs {}\n    stdout (qemu): {:?}\n    stdout (kvrm): {:?}\n    \
                             stderr (qemu): {:?}\n    stderr (kvrm): {:?}",
                            e.status,
                            a.status,
                            show(&e.stdout),
                            show(&a.stdout),
                            show(&e.stderr),
                            show(&a.stderr)
                        )),
                        _ => None,
                    };
                    if let Some(p) = problem {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("  {} (--engine {engine}): {p}", c.name));
                    }
                }
            });
        }
    });
    let _ = fs::remove_dir_all(&work);
    let failures = failures.into_inner().unwrap();
    let passed = cases.len() * engines.len() - failures.len();
    counts::record("debian", passed, failures.len(), 0);
    eprintln!(
        "{}: {passed} passed, {} failed in {:.1}s",
        suite.name,
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    assert!(
        failures.is_empty(),
        "{} of {} {} runs differ from qemu-aarch64:\n{}",
        failures.len(),
        cases.len() * engines.len(),
        suite.name,
        failures.join("\n")
    );
}
