//! Conformance harness shared by crates/kvrm-cli/tests/{guest_programs,busybox}.rs (included with
//! `#[path]`). Runs every case of a suite (`tests/<suite>/cases.txt`, format documented there)
//! with `kvrm run`, compares stdout, stderr and exit status byte for byte with
//! `tests/<suite>/expected/`, and reports every mismatch in one failure.
//!
//! Environment:
//! - `KVRM_TEST_RUNNER=qemu-aarch64` (any path whose name contains "qemu") runs the cases with
//!   qemu-aarch64 instead of kvrm: this checks the expected files and the harness itself.
//!   Another value is used as the kvrm binary.
//! - `KVRM_REQUIRE_GUESTS=1`: missing binaries fail instead of skipping.
//! - `KVRM_SKIP_GUESTS=1`: skip the suite.
//! - `KVRM_GUEST_FILTER=SUBSTR[,SUBSTR...]`: only items whose name contains one of them.
//! - `KVRM_GUEST_SHARD=I/N`: only the I-th of N equal slices (I from 1) of the items the
//!   filter keeps, so a suite longer than one sitting can run in parts (scripts/gpu-check.sh).
//! - `KVRM_GUEST_PROGRESS=1`: print each item's verdict as it ends, so a run cut short still
//!   says what passed.
//! - `KVRM_GUEST_TIMEOUT=SECONDS` (default 120) per item; `KVRM_TEST_JOBS=N` parallel items.
//! - `KVRM_COUNTS_FILE=PATH`: append `SUITE PASSED FAILED SKIPPED` (see kvrm_testkit::counts).
//! - `KVRM_JIT_VARIANTS=all`: the second and third passes (`kvrm run --engine interp`, suites
//!   `guest-interp` and `busybox-interp`; `--engine jit:2`, suites `guest-jit` and `busybox-jit`)
//!   run every guest variant, not only [`JIT_VARIANTS`]. The first pass runs the default engine
//!   (the JIT, compiling blocks after 1000 runs).
//! - `KVRM_TEST_BACKEND=cuda` (or `cpu`, `auto`): `kvrm run --backend BACKEND` for every item
//!   (scripts/gpu-check.sh runs the suites on the GPU this way); the suite's label gets the
//!   backend's name. Unset: kvrm's default backend.
//! - `KVRM_REPO_ROOT=DIR`: the checkout whose `tests/` holds the cases, expected files and
//!   binaries (default: the one the test was built in; a test executable carried to another
//!   machine needs it).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use kvrm_testkit::counts;

/// Guest build variants, in the order they are reported.
pub const GUEST_VARIANTS: &[&str] = &["O0", "O2", "O3", "musl-O2", "dyn-O2"];
/// Guest variants the interpreter and `jit:2` passes run by default (every busybox case runs
/// in every pass).
pub const JIT_VARIANTS: &[&str] = &["O2", "dyn-O2"];

/// Whether the interpreter and `jit:2` passes run guest variant `v`.
pub fn jit_runs_variant(v: &str) -> bool {
    std::env::var("KVRM_JIT_VARIANTS").is_ok_and(|s| s == "all") || JIT_VARIANTS.contains(&v)
}

/// The sysroot of the dynamically linked variants ("dyn-*"): passed as `-L` to kvrm and qemu.
/// `KVRM_DYN_SYSROOT` overrides it.
pub fn dyn_sysroot() -> PathBuf {
    std::env::var_os("KVRM_DYN_SYSROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/aarch64-linux-gnu"))
}
/// `KVRM_TEST_BACKEND`: the backend every kvrm run of the suites names (None: the default).
fn test_backend() -> Option<String> {
    std::env::var("KVRM_TEST_BACKEND")
        .ok()
        .filter(|b| !b.is_empty())
}

/// The environment the guest starts with (before the case's -E/-U).
pub const BASE_ENV: &[(&str, &str)] = &[("PATH", "/usr/bin:/bin"), ("HOME", "/home/kvrm")];

#[derive(Debug, Clone, Default)]
pub struct Case {
    pub name: String,
    pub prog: String,
    pub args: Vec<String>,
    pub stdin: Option<String>,
    pub copy: Vec<String>,
    pub env: Vec<String>,
    pub unset: Vec<String>,
    pub fsroot: bool,
    /// Passed as `--net` to kvrm (guest sockets on the host's network; qemu needs nothing).
    pub net: bool,
    /// Passed as `-L DIR` (dynamically linked variants).
    pub lib_prefix: Option<PathBuf>,
}

/// One run: a case with a concrete binary and expected-file stem.
#[derive(Debug, Clone)]
pub struct Item {
    pub name: String,
    pub binary: PathBuf,
    pub case: Case,
    /// `kvrm run --engine ENGINE` (None: the default engine).
    pub engine: Option<&'static str>,
}

impl Item {
    /// The same run with `kvrm run --engine jit:2`: blocks are compiled on
    /// their third run, so nearly all the code that runs is compiled code.
    pub fn on_jit(&self) -> Item {
        Item {
            engine: Some("jit:2"),
            ..self.clone()
        }
    }

    /// The same run on the interpreter alone (`kvrm run --engine interp`).
    pub fn on_interp(&self) -> Item {
        Item {
            engine: Some("interp"),
            ..self.clone()
        }
    }
}

pub fn repo_root() -> PathBuf {
    if let Some(dir) = std::env::var_os("KVRM_REPO_ROOT").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

pub fn parse_cases(path: &Path) -> Vec<Case> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut cases: Vec<Case> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let (key, val) = line.split_once(' ').unwrap_or((line, ""));
        if key == "case" {
            let (name, prog) = val.split_once(' ').unwrap_or((val, ""));
            let prog = if prog.is_empty() { name } else { prog };
            cases.push(Case {
                name: name.to_string(),
                prog: prog.to_string(),
                ..Case::default()
            });
            continue;
        }
        let where_ = format!("{}:{}", path.display(), i + 1);
        let cur = cases
            .last_mut()
            .unwrap_or_else(|| panic!("{where_}: '{key}' outside a case"));
        match key {
            "args" => cur.args.extend(val.split_whitespace().map(str::to_string)),
            "arg" => cur.args.push(val.to_string()),
            "stdin" => cur.stdin = Some(val.to_string()),
            "copy" => cur.copy.push(val.to_string()),
            "env" => cur.env.push(val.to_string()),
            "unset" => cur.unset.push(val.to_string()),
            "fsroot" => cur.fsroot = true,
            "net" => cur.net = true,
            _ => panic!("{where_}: unknown key '{key}'"),
        }
    }
    cases
}

enum Runner {
    Kvrm(PathBuf),
    Qemu(PathBuf),
}

fn runner() -> Runner {
    match std::env::var("KVRM_TEST_RUNNER") {
        Ok(r) if !r.is_empty() => {
            let p = PathBuf::from(&r);
            let is_qemu = p
                .file_name()
                .map(|n| n.to_string_lossy().contains("qemu"))
                .unwrap_or(false);
            if is_qemu {
                Runner::Qemu(p)
            } else {
                Runner::Kvrm(p)
            }
        }
        _ => Runner::Kvrm(PathBuf::from(env!("CARGO_BIN_EXE_kvrm"))),
    }
}

struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: String,
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1").unwrap_or(false)
}

fn scratch_dir(suite: &str, item: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("{suite}-{}-{n}-{item}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("create scratch directory");
    dir
}

fn run_item(
    suite_dir: &Path,
    suite: &str,
    item: &Item,
    runner: &Runner,
    timeout: Duration,
) -> Result<Outcome, String> {
    let case = &item.case;
    let scratch = scratch_dir(suite, &item.name);
    for c in &case.copy {
        let from = suite_dir.join("inputs").join(c);
        let to = scratch.join(Path::new(c).file_name().unwrap());
        fs::copy(&from, &to).map_err(|e| format!("copy {}: {e}", from.display()))?;
    }
    let mut cmd = match runner {
        Runner::Kvrm(k) => {
            let mut c = Command::new(k);
            c.arg("run");
            if let Some(backend) = test_backend() {
                c.arg("--backend").arg(backend);
            }
            if let Some(engine) = item.engine {
                c.arg("--engine").arg(engine);
            }
            if case.fsroot {
                c.arg("--fs-root").arg(&scratch);
            }
            if case.net {
                c.arg("--net");
            }
            c
        }
        Runner::Qemu(q) => Command::new(q),
    };
    if let Some(prefix) = &case.lib_prefix {
        cmd.arg("-L").arg(prefix);
    }
    for e in &case.env {
        cmd.arg("-E").arg(e);
    }
    for u in &case.unset {
        cmd.arg("-U").arg(u);
    }
    cmd.arg(&item.binary).args(&case.args);
    cmd.current_dir(&scratch)
        .env_clear()
        .envs(BASE_ENV.iter().copied());
    match &case.stdin {
        Some(f) => {
            let p = suite_dir.join("inputs").join(f);
            cmd.stdin(fs::File::open(&p).map_err(|e| format!("{}: {e}", p.display()))?);
        }
        None => {
            cmd.stdin(Stdio::null());
        }
    }
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
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
    let stdout = out_t.join().unwrap();
    let mut stderr = err_t.join().unwrap();
    let _ = fs::remove_dir_all(&scratch);
    let status = status.ok_or_else(|| format!("timed out after {}s", timeout.as_secs()))?;
    let code = match status.code() {
        Some(c) => c,
        None => {
            use std::os::unix::process::ExitStatusExt;
            128 + status.signal().unwrap_or(0)
        }
    };
    stderr = match runner {
        Runner::Qemu(_) => strip_lines(&stderr, is_qemu_signal_line),
        Runner::Kvrm(_) => strip_lines(&stderr, is_kvrm_signal_line),
    };
    Ok(Outcome {
        stdout,
        stderr,
        status: format!("{code}\n"),
    })
}

/// qemu-aarch64 reports a guest's fatal signal on its own stderr ("qemu: uncaught target
/// signal 11 (Segmentation fault) - core dumped").
fn is_qemu_signal_line(line: &[u8]) -> bool {
    line.starts_with(b"qemu: uncaught target signal")
}

/// kvrm reports a guest killed by a signal the same way ("kvrm: uncaught target signal 6
/// (Aborted) - core dumped"), after the cause of a fault ("kvrm: fault: write of 0x0
/// (unmapped) at pc 0x4006a8: guest killed by signal 11"); like qemu's, these lines are not
/// the guest's output.
fn is_kvrm_signal_line(line: &[u8]) -> bool {
    if line.starts_with(b"kvrm: uncaught target signal") {
        return true;
    }
    let Some(rest) = line.strip_prefix(b"kvrm: ") else {
        return false;
    };
    let text = String::from_utf8_lossy(rest);
    text.rsplit_once(": guest killed by signal ")
        .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// `s` without the lines `drop` selects.
fn strip_lines(s: &[u8], drop: fn(&[u8]) -> bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for (i, line) in s.split(|&b| b == b'\n').enumerate() {
        if drop(line) {
            continue;
        }
        if i > 0 && !out.is_empty() {
            out.push(b'\n');
        }
        out.extend_from_slice(line);
    }
    // keep python's "\n".join semantics: a kept trailing empty segment restores the final newline
    if s.ends_with(b"\n") && !out.is_empty() && !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

fn show(line: &[u8]) -> String {
    let s = String::from_utf8_lossy(line);
    let mut e: String = s.escape_debug().collect();
    if e.len() > 160 {
        let mut cut = 160;
        while !e.is_char_boundary(cut) {
            cut -= 1;
        }
        e.truncate(cut);
        e.push_str("...");
    }
    e
}

/// Describes the first differing line of two byte strings.
fn first_difference(what: &str, expected: &[u8], actual: &[u8]) -> String {
    let el: Vec<&[u8]> = expected.split_inclusive(|&b| b == b'\n').collect();
    let al: Vec<&[u8]> = actual.split_inclusive(|&b| b == b'\n').collect();
    let n = el.len().max(al.len());
    for i in 0..n {
        let e = el.get(i).copied();
        let a = al.get(i).copied();
        if e != a {
            let fmt = |x: Option<&[u8]>| {
                x.map(|l| format!("\"{}\"", show(l)))
                    .unwrap_or_else(|| "<end>".to_string())
            };
            return format!(
                "{what} differs at line {} ({} vs {} bytes in all)\n      expected: {}\n      actual:   {}",
                i + 1,
                expected.len(),
                actual.len(),
                fmt(e),
                fmt(a)
            );
        }
    }
    format!("{what} differs")
}

/// Runs the items of one suite and panics with every mismatch. Items with an
/// explicit engine are reported (and counted) as the suite `SUITE-jit`
/// (`jit:N`) or `SUITE-interp`.
pub fn run_suite(suite_name: &str, items: Vec<Item>, missing_hint: &str) {
    let root = repo_root();
    let suite_dir = root.join("tests").join(suite_name);
    let mut label = match items.first().and_then(|i| i.engine) {
        Some(e) => format!("{suite_name}-{}", e.split(':').next().unwrap_or(e)),
        None => suite_name.to_string(),
    };
    if let Some(backend) = test_backend() {
        label = format!("{label}-{backend}");
    }
    let suite = label.as_str();
    let filter = std::env::var("KVRM_GUEST_FILTER").unwrap_or_default();
    let filters: Vec<&str> = filter.split(',').collect();
    let items: Vec<Item> = items
        .into_iter()
        .filter(|i| filters.iter().any(|f| i.name.contains(f)))
        .collect();
    let items = match std::env::var("KVRM_GUEST_SHARD") {
        Ok(spec) if !spec.is_empty() => shard(items, &spec),
        _ => items,
    };
    let progress = env_flag("KVRM_GUEST_PROGRESS");
    if env_flag("KVRM_SKIP_GUESTS") {
        eprintln!("SKIP {suite}: KVRM_SKIP_GUESTS=1");
        counts::record(suite, 0, 0, items.len());
        return;
    }
    let (present, missing): (Vec<Item>, Vec<Item>) =
        items.into_iter().partition(|i| i.binary.exists());
    // Missing binaries skip their items, or fail them with KVRM_REQUIRE_GUESTS=1
    // (after the present ones have run).
    let require = env_flag("KVRM_REQUIRE_GUESTS");
    let mut missing_failure = None;
    if !missing.is_empty() {
        let names: Vec<&str> = missing.iter().map(|i| i.name.as_str()).collect();
        let msg = format!(
            "{} of {} {suite} items have no binary ({}{}); {missing_hint}",
            missing.len(),
            missing.len() + present.len(),
            names.iter().take(8).copied().collect::<Vec<_>>().join(", "),
            if names.len() > 8 { ", ..." } else { "" }
        );
        if require {
            missing_failure = Some(format!("KVRM_REQUIRE_GUESTS=1: {msg}"));
        } else {
            eprintln!("SKIP: {msg}");
        }
    }
    let (missing_failed, missing_skipped) = if require {
        (missing.len(), 0)
    } else {
        (0, missing.len())
    };
    if present.is_empty() {
        counts::record(suite, 0, missing_failed, missing_skipped);
        if let Some(msg) = missing_failure {
            panic!("{msg}");
        }
        eprintln!("SKIP {suite}: nothing to run");
        return;
    }
    let runner = runner();
    match &runner {
        Runner::Kvrm(p) => eprintln!(
            "{suite}: {} items with kvrm ({})",
            present.len(),
            p.display()
        ),
        Runner::Qemu(p) => eprintln!(
            "{suite}: {} items with {} (checking the expected files)",
            present.len(),
            p.display()
        ),
    }
    let timeout = Duration::from_secs(
        std::env::var("KVRM_GUEST_TIMEOUT")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(120),
    );
    let jobs = std::env::var("KVRM_TEST_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(2)
        })
        .max(1);
    let next = AtomicUsize::new(0);
    let failures: Mutex<Vec<(usize, String)>> = Mutex::new(Vec::new());
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..jobs.min(present.len()) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = present.get(k) else { break };
                let exp = |ext: &str| {
                    fs::read(
                        suite_dir
                            .join("expected")
                            .join(format!("{}.{ext}", item.name)),
                    )
                };
                let mut problems = Vec::new();
                match (exp("stdout"), exp("stderr"), exp("status")) {
                    (Ok(eo), Ok(ee), Ok(es)) => {
                        match run_item(&suite_dir, suite, item, &runner, timeout) {
                            Ok(got) => {
                                let es = String::from_utf8_lossy(&es).to_string();
                                if got.status != es {
                                    problems.push(format!(
                                        "status: expected {}, got {}",
                                        es.trim(),
                                        got.status.trim()
                                    ));
                                }
                                if got.stdout != eo {
                                    problems.push(first_difference("stdout", &eo, &got.stdout));
                                }
                                if got.stderr != ee {
                                    problems.push(first_difference("stderr", &ee, &got.stderr));
                                }
                            }
                            Err(e) => problems.push(e),
                        }
                    }
                    _ => problems
                        .push("expected files missing (run the recording script)".to_string()),
                }
                if progress {
                    let verdict = if problems.is_empty() { "ok" } else { "FAILED" };
                    eprintln!("{suite} {}: {verdict}", item.name);
                }
                if !problems.is_empty() {
                    let text = format!("  {}:\n    {}", item.name, problems.join("\n    "));
                    failures.lock().unwrap().push((k, text));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    let passed = present.len() - failures.len();
    counts::record(
        suite,
        passed,
        failures.len() + missing_failed,
        missing_skipped,
    );
    eprintln!(
        "{suite}: {passed} passed, {} failed in {:.1}s",
        failures.len(),
        start.elapsed().as_secs_f64()
    );
    let mut report: Vec<String> = failures.into_iter().map(|(_, t)| t).collect();
    if !report.is_empty() {
        report.insert(
            0,
            format!(
                "{} of {} {suite} items failed:",
                report.len(),
                present.len()
            ),
        );
    }
    report.extend(missing_failure);
    if !report.is_empty() {
        panic!("{}", report.join("\n"));
    }
}

/// The `i`-th of `n` contiguous slices of `items` (`spec` is "i/n", i from 1), sizes differing
/// by at most one. A malformed spec is a test failure, not a silent full run.
fn shard<T>(items: Vec<T>, spec: &str) -> Vec<T> {
    let parsed = spec.split_once('/').and_then(|(i, n)| {
        Some((
            i.trim().parse::<usize>().ok()?,
            n.trim().parse::<usize>().ok()?,
        ))
    });
    let Some((i, n)) = parsed.filter(|&(i, n)| n > 0 && (1..=n).contains(&i)) else {
        panic!("KVRM_GUEST_SHARD={spec}: expected I/N with 1 <= I <= N");
    };
    let len = items.len();
    let (lo, hi) = ((i - 1) * len / n, i * len / n);
    items.into_iter().skip(lo).take(hi - lo).collect()
}

#[test]
fn shards_cover_every_item_once() {
    let items: Vec<usize> = (0..10).collect();
    let parts: Vec<Vec<usize>> = (1..=3)
        .map(|i| shard(items.clone(), &format!("{i}/3")))
        .collect();
    assert_eq!(parts, vec![vec![0, 1, 2], vec![3, 4, 5], vec![6, 7, 8, 9]]);
    assert_eq!(shard(items.clone(), "1/1"), items);
    for bad in ["0/3", "4/3", "1/0", "x", "1/"] {
        assert!(
            std::panic::catch_unwind(|| shard(vec![1], bad)).is_err(),
            "{bad}"
        );
    }
}
