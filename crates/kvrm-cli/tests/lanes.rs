//! `kvrm run --lanes N` and `--backend`: every lane must give exactly what
//! the same program gives run alone (compared file by file), `{lane}`
//! reaches arguments and -E values, failures show in the status files, the
//! summary and kvrm's exit status, and the CUDA backend's absence is one
//! clear line (this test machine has no GPU; on one these checks skip).
//!
//! Programs: tests/guest/build (scripts/build-guests.sh; missing ones skip
//! with a reason, or fail with KVRM_REQUIRE_GUESTS=1) and the prebuilt
//! crates/kvrm-linux/tests/asm programs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A guest conformance program, or `None` (with the reason printed) when
/// it has not been built.
fn guest(name: &str) -> Option<PathBuf> {
    let p = repo().join("tests/guest/build").join(name);
    if p.exists() {
        return Some(p);
    }
    let msg = format!("{} missing: run scripts/build-guests.sh", p.display());
    assert!(
        std::env::var("KVRM_REQUIRE_GUESTS").as_deref() != Ok("1"),
        "KVRM_REQUIRE_GUESTS=1: {msg}"
    );
    println!("skipped: {msg}");
    None
}

fn asm(name: &str) -> PathBuf {
    repo().join("crates/kvrm-linux/tests/asm").join(name)
}

/// A fresh scratch directory (the guests' cwd).
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kvrm-lanes-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

/// Run kvrm in `cwd` with the guest suite's fixed environment and `stdin`
/// (a file, or nothing).
fn kvrm(cwd: &Path, args: &[&str], stdin: Option<&Path>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kvrm"));
    c.args(args)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("HOME", "/home/kvrm");
    match stdin {
        Some(f) => c.stdin(std::fs::File::open(f).expect("stdin file")),
        None => c.stdin(Stdio::null()),
    };
    c.output().expect("kvrm runs")
}

/// The `.status` text of a single run's exit: the code, or `signal N`.
fn status_text(out: &Output) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (out.status.code(), out.status.signal()) {
        (Some(c), _) => format!("{c}\n"),
        (None, Some(s)) => format!("signal {s}\n"),
        _ => unreachable!("a process ends with a code or a signal"),
    }
}

fn read(dir: &Path, lane: usize, ext: &str) -> Vec<u8> {
    let p = dir.join(format!("lane-{lane}.{ext}"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The summary's value for `key` (`exited 0: 8` -> "8").
fn summary_value(stdout: &[u8], key: &str) -> String {
    let s = text(stdout);
    s.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}: ")).map(str::to_string))
        .unwrap_or_else(|| panic!("no `{key}:` in the summary:\n{s}"))
}

/// `--lanes 8` on the CPU backend: every lane's stdout, stderr and status
/// are the single run's (`kvrm run --quiet PROGRAM ARGS`, same cwd, env, stdin).
fn lanes_match_single(name: &str, program: &Path, args: &[&str], stdin: Option<&Path>) {
    let cwd = scratch(name);
    let prog = program.to_str().unwrap();
    let mut single_args = vec!["run", "--quiet", "--backend", "cpu", prog];
    single_args.extend(args);
    let single = kvrm(&cwd, &single_args, stdin);
    let out_dir = cwd.join("lanes");
    let out = out_dir.to_str().unwrap();
    let mut lane_args = vec![
        "run",
        "--backend",
        "cpu",
        "--lanes",
        "8",
        "--out",
        out,
        prog,
    ];
    lane_args.extend(args);
    let lanes = kvrm(&cwd, &lane_args, stdin);
    let all_ok = single.status.code() == Some(0);
    assert_eq!(lanes.status.success(), all_ok, "{name}: {lanes:?}");
    assert!(lanes.stderr.is_empty(), "{name}: {}", text(&lanes.stderr));
    for lane in 0..8 {
        assert_eq!(
            text(&read(&out_dir, lane, "stdout")),
            text(&single.stdout),
            "{name} lane {lane}"
        );
        assert_eq!(
            text(&read(&out_dir, lane, "stderr")),
            text(&single.stderr),
            "{name} lane {lane}"
        );
        assert_eq!(
            text(&read(&out_dir, lane, "status")),
            status_text(&single),
            "{name} lane {lane}"
        );
    }
    assert_eq!(
        summary_value(&lanes.stdout, "exited 0"),
        if all_ok { "8" } else { "0" }
    );
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn cpu_lanes_give_what_a_single_run_gives() {
    let inputs = repo().join("tests/guest/inputs");
    let cases: [(&str, &[&str], Option<PathBuf>); 5] = [
        ("intmath-O2", &[], None),
        ("sha256-O2", &[], None),
        ("threads_mutex-O2", &[], None),
        ("stdin_sum-O2", &[], Some(inputs.join("numbers.txt"))),
        ("proc_pipeline-O2", &[], None),
    ];
    for (name, args, stdin) in cases {
        if let Some(p) = guest(name) {
            lanes_match_single(name, &p, args, stdin.as_deref());
        }
    }
    // Always there: a fork and wait inside every lane.
    lanes_match_single("asm-fork", &asm("fork"), &[], None);
}

/// `--stats` with CPU lanes: the engines' counters summed over the lanes.
#[test]
fn cpu_lane_stats_are_summed() {
    let Some(p) = guest("sha256-O2") else {
        return;
    };
    let cwd = scratch("stats");
    let args = [
        "run",
        "--backend",
        "cpu",
        "--engine",
        "jit:2",
        "--lanes",
        "4",
        "--stats",
    ];
    let out = kvrm(&cwd, &[&args[..], &[p.to_str().unwrap()]].concat(), None);
    assert!(out.status.success(), "{out:?}");
    let err = text(&out.stderr);
    let value = |name: &str| -> u64 {
        err.lines()
            .find_map(|l| l.strip_prefix(&format!("kvrm: {name}: ")))
            .unwrap_or_else(|| panic!("no `{name}` in:\n{err}"))
            .parse()
            .expect("a count")
    };
    let compiled = value("jit blocks compiled, all lanes");
    assert!(compiled >= 4, "every lane installs code:\n{err}");
    let reused = value("jit of them reused, compiled before from the same code, all lanes");
    assert!(reused <= compiled, "{err}");
    let rate = "jit code-cache hit rate: instructions run compiled (per mille), mean of 4 lanes";
    assert!(value(rate) <= 1000, "{err}");
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn failing_lanes_are_reported_and_fail_the_run() {
    let Some(p) = guest("exitcode-O2") else {
        return;
    };
    for (mode, status) in [
        ("exit3", "3"),
        ("abort", "signal 6"),
        ("sigterm", "signal 15"),
    ] {
        lanes_match_single(&format!("exitcode-{mode}"), &p, &[mode], None);
        let cwd = scratch(mode);
        let out = cwd.join("out");
        let r = kvrm(
            &cwd,
            &[
                "run",
                "--backend",
                "cpu",
                "--lanes",
                "3",
                "--out",
                out.to_str().unwrap(),
                p.to_str().unwrap(),
                mode,
            ],
            None,
        );
        assert_eq!(r.status.code(), Some(1), "{mode}: {r:?}");
        assert_eq!(text(&read(&out, 2, "status")), format!("{status}\n"));
        assert_eq!(
            summary_value(&r.stdout, "failed"),
            format!("3 (lane 0: {status}, lane 1: {status}, lane 2: {status})")
        );
        assert_eq!(summary_value(&r.stdout, "exited 0"), "0");
        let _ = std::fs::remove_dir_all(&cwd);
    }
}

#[test]
fn lane_index_reaches_arguments_and_environment() {
    let Some(p) = guest("args_env-O2") else {
        return;
    };
    let cwd = scratch("subst");
    let out = cwd.join("out");
    let prog = p.to_str().unwrap();
    let r = kvrm(
        &cwd,
        &[
            "run",
            "--backend",
            "cpu",
            "--lanes",
            "5",
            "--out",
            out.to_str().unwrap(),
            "-E",
            "KVRM_TEST_A=lane{lane}/{lane}",
            prog,
            "a{lane}",
            "{lane}{lane}x",
        ],
        None,
    );
    // args_env exits with its argc (3).
    assert_eq!(r.status.code(), Some(1), "{r:?}");
    for lane in 0..5 {
        let env = format!("KVRM_TEST_A=lane{lane}/{lane}");
        let (a1, a2) = (format!("a{lane}"), format!("{lane}{lane}x"));
        let single = kvrm(
            &cwd,
            &[
                "run",
                "--quiet",
                "--backend",
                "cpu",
                "-E",
                &env,
                prog,
                &a1,
                &a2,
            ],
            None,
        );
        assert_eq!(
            text(&read(&out, lane, "stdout")),
            text(&single.stdout),
            "lane {lane}"
        );
        assert_eq!(
            text(&read(&out, lane, "status")),
            status_text(&single),
            "lane {lane}"
        );
        // The substituted values reached the guest.
        let got = text(&single.stdout);
        assert!(
            got.contains(&format!("[{a1}]")) && got.contains(&env),
            "{got}"
        );
    }
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn without_out_lane_zero_speaks_then_the_summary() {
    let cwd = scratch("noout");
    let hello = asm("hello");
    let single = kvrm(
        &cwd,
        &["run", "--backend", "cpu", hello.to_str().unwrap()],
        None,
    );
    // 4 lanes: lane 0's output, then the summary naming the backend.
    for (threads, backend) in [
        (None, "cpu backend"),
        (Some("3"), "cpu backend, 3 host threads"),
    ] {
        let mut args = vec!["run", "--backend", "cpu", "--lanes", "4"];
        args.extend(threads.map(|n| ["--host-threads", n]).into_iter().flatten());
        args.push(hello.to_str().unwrap());
        let r = kvrm(&cwd, &args, None);
        assert!(r.status.success(), "{r:?}");
        let out = text(&r.stdout);
        let (first, summary) = out.split_at(single.stdout.len());
        assert_eq!(first, text(&single.stdout), "lane 0's output, once");
        assert!(
            summary.starts_with(&format!("lanes: 4 ({backend}")),
            "{summary}"
        );
        assert_eq!(summary_value(&r.stdout, "exited 0"), "4");
        assert_eq!(summary_value(&r.stdout, "failed"), "0");
    }
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn raw_image_lanes_match_a_single_run() {
    let cwd = scratch("raw");
    // movz x3, #42 ; brk #0 (aarch64-linux-gnu-as)
    let image = cwd.join("halt.bin");
    let words: [u32; 2] = [0xd280_0543, 0xd420_0000];
    std::fs::write(
        &image,
        words
            .iter()
            .flat_map(|w| w.to_le_bytes())
            .collect::<Vec<u8>>(),
    )
    .unwrap();
    let img = image.to_str().unwrap();
    let single = kvrm(
        &cwd,
        &["run", "--backend", "cpu", "--raw", img, "--json"],
        None,
    );
    let out = cwd.join("out");
    let r = kvrm(
        &cwd,
        &[
            "run",
            "--backend",
            "cpu",
            "--raw",
            img,
            "--json",
            "--lanes",
            "3",
            "--out",
            out.to_str().unwrap(),
        ],
        None,
    );
    assert!(r.status.success(), "{r:?}");
    // Everything but the measured speed.
    let strip = |b: &[u8]| {
        let mut v: serde_json::Value = serde_json::from_slice(b).expect("JSON");
        v.as_object_mut().unwrap().remove("ips");
        v
    };
    for lane in 0..3 {
        assert_eq!(strip(&read(&out, lane, "stdout")), strip(&single.stdout));
        assert_eq!(text(&read(&out, lane, "status")), status_text(&single));
    }
    let _ = std::fs::remove_dir_all(&cwd);
}

/// `Some(stderr)` of a `--backend cuda` run that found no GPU; `None` on a GPU machine.
fn no_gpu(r: &Output) -> Option<String> {
    let e = text(&r.stderr);
    if r.status.success() && !e.contains("CUDA backend unavailable") {
        println!("skipped: a GPU is usable here");
        return None;
    }
    Some(e)
}

#[test]
fn cuda_without_a_gpu_is_one_line_and_a_failure() {
    let cwd = scratch("nocuda");
    let hello = asm("hello");
    let h = hello.to_str().unwrap();
    let image = cwd.join("halt.bin");
    std::fs::write(&image, 0xd420_0000u32.to_le_bytes()).unwrap();
    for args in [
        vec!["run", "--backend", "cuda", h],
        vec!["run", "--backend", "cuda", "--lanes", "4", h],
        vec!["run", "--backend", "cuda", "--raw", image.to_str().unwrap()],
        vec!["bench", "--backend", "cuda", "--repeat", "1"],
    ] {
        let r = kvrm(&cwd, &args, None);
        let Some(e) = no_gpu(&r) else {
            return;
        };
        assert_ne!(r.status.code(), Some(0), "{args:?}");
        assert!(r.status.code().is_some(), "an error, not a crash: {r:?}");
        assert!(
            e.starts_with("kvrm: CUDA backend unavailable: "),
            "{args:?}: {e}"
        );
        assert_eq!(e.lines().count(), 1, "{args:?}: {e}");
        assert!(r.stdout.is_empty(), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn auto_falls_back_to_the_cpu_once_and_quiet_silences_it() {
    let cwd = scratch("auto");
    let hello = asm("hello");
    let h = hello.to_str().unwrap();
    let r = kvrm(&cwd, &["run", "--lanes", "64", h], None);
    assert!(r.status.success(), "{r:?}");
    let e = text(&r.stderr);
    if !e.contains("no usable GPU") && text(&r.stdout).contains("cuda backend") {
        println!("skipped: a GPU is usable here");
        return;
    }
    assert_eq!(e.matches("kvrm: no usable GPU (").count(), 1, "{e}");
    assert!(
        e.ends_with("); running on the CPU backend\n") && e.lines().count() == 1,
        "{e}"
    );
    assert_eq!(summary_value(&r.stdout, "exited 0"), "64");
    assert!(summary_value(&r.stdout, "lanes").starts_with("64 (cpu backend"));
    let q = kvrm(&cwd, &["run", "--quiet", "--lanes", "64", h], None);
    assert!(q.status.success() && q.stderr.is_empty(), "{q:?}");
    assert_eq!(summary_value(&q.stdout, "exited 0"), "64");
    // One program under auto: the CPU, no note (stderr stays the guest's).
    let one = kvrm(&cwd, &["run", h], None);
    assert!(one.status.success() && one.stderr.is_empty(), "{one:?}");
    let _ = std::fs::remove_dir_all(&cwd);
}

#[test]
fn lane_options_are_checked() {
    let cwd = scratch("usage");
    let h = asm("hello");
    for args in [
        vec!["run", "--lanes", "0", h.to_str().unwrap()],
        vec!["run", "--out", "x", h.to_str().unwrap()],
        vec!["run", "--lanes", "2", "--trace", h.to_str().unwrap()],
        vec!["run", "--backend", "gpu", h.to_str().unwrap()],
        vec!["run", "--host-threads", "2", h.to_str().unwrap()],
        vec![
            "run",
            "--lanes",
            "2",
            "--host-threads",
            "0",
            h.to_str().unwrap(),
        ],
    ] {
        let r = kvrm(&cwd, &args, None);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {r:?}");
    }
    // A program that cannot start: one error line, as a single run gives.
    let missing = cwd.join("missing");
    let m = missing.to_str().unwrap();
    let single = kvrm(&cwd, &["run", "--backend", "cpu", m], None);
    let lanes = kvrm(&cwd, &["run", "--backend", "cpu", "--lanes", "4", m], None);
    assert_eq!(lanes.status.code(), Some(1), "{lanes:?}");
    assert_eq!(text(&lanes.stderr), text(&single.stderr));
    assert_eq!(text(&lanes.stderr).lines().count(), 1, "{lanes:?}");
    assert!(lanes.stdout.is_empty(), "{lanes:?}");
    let _ = std::fs::remove_dir_all(&cwd);
}
