//! The `kvrm` command's own behaviour: raw runs, JSON output, trace, option
//! parsing, errors. (Instruction semantics are tested against the oracle
//! elsewhere; these programs only use MOVZ and BRK/SVC/undefined words, and the
//! ELF runs use the prebuilt crates/kvrm-linux/tests/asm programs.)

use std::path::PathBuf;
use std::process::{Command, Output};

fn kvrm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(args)
        .output()
        .expect("kvrm runs")
}

/// A prebuilt static AArch64 program from crates/kvrm-linux/tests/asm.
fn asm_program(name: &str) -> String {
    format!(
        "{}/../kvrm-linux/tests/asm/{name}",
        env!("CARGO_MANIFEST_DIR")
    )
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn raw_file(name: &str, words: &[u32]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kvrm-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(name);
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    std::fs::write(&path, bytes).expect("write");
    path
}

const MOVZ_X3_0X2A: u32 = 0xd280_0543; // movz x3, #42 (aarch64-linux-gnu-as)
const BRK_0: u32 = 0xd420_0000;
const SVC_0: u32 = 0xd400_0001;

#[test]
fn raw_json_has_the_documented_keys() {
    let f = raw_file("halt.bin", &[MOVZ_X3_0X2A, BRK_0]);
    let out = kvrm(&["run", "--raw", f.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    assert_eq!(v["stop"], "halted");
    assert_eq!(v["cycles"], 1);
    assert_eq!(v["pc"], 4);
    assert_eq!(v["x"].as_array().map(Vec::len), Some(31));
    assert_eq!(v["x"][3], 42);
    assert!(v["sp"].is_u64() && v["nzcv"].is_u64());
}

#[test]
fn raw_load_address_entry_and_syscall_stop() {
    let f = raw_file("svc.bin", &[BRK_0, MOVZ_X3_0X2A, SVC_0]);
    let out = kvrm(&[
        "run",
        "--raw",
        f.to_str().unwrap(),
        "--load-addr",
        "0x1000",
        "--entry",
        "0x1004",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["stop"], "syscall");
    assert_eq!(v["pc"], 0x100c, "pc moves past the SVC");
    assert_eq!(v["cycles"], 2);
}

#[test]
fn undefined_and_fault_stop_cleanly_with_status_1() {
    let f = raw_file("undef.bin", &[0x0000_0000]);
    let out = kvrm(&["run", "--raw", f.to_str().unwrap(), "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["stop"], "undefined");
    assert_eq!(v["encoding"], 0);

    let f = raw_file("fault.bin", &[MOVZ_X3_0X2A]);
    let out = kvrm(&[
        "run",
        "--raw",
        f.to_str().unwrap(),
        "--entry",
        "0x2000000",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["stop"], "fault");
    assert_eq!(v["fault"]["access"], "execute");
    assert_eq!(v["fault"]["addr"], 0x200_0000);
}

#[test]
fn instruction_limit_is_exact_under_both_spellings() {
    let f = raw_file("spin.bin", &[0x1400_0000]); // b . (branch to itself)
    for option in ["--max-instructions", "--max-cycles"] {
        let out = kvrm(&[
            "run",
            "--raw",
            f.to_str().unwrap(),
            option,
            "1000",
            "--json",
        ]);
        assert!(out.status.success(), "{option}: {out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        assert_eq!(v["stop"], "cycle_limit", "{option}");
        assert_eq!(v["cycles"], 1000, "{option}");
    }
}

#[test]
fn instruction_limit_stops_elf_programs() {
    // hello's write syscall is its 6th instruction: a limit of 2 stops it before.
    for option in ["--max-instructions", "--max-cycles"] {
        let out = kvrm(&["run", option, "2", &asm_program("hello")]);
        assert_eq!(out.status.code(), Some(124), "{option}: {out:?}");
        assert_eq!(stdout(&out), "", "{option}");
        assert!(
            stderr(&out).contains("instruction limit of 2 reached"),
            "{option}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn options_after_program_belong_to_the_guest() {
    // `args` writes the first 4 bytes of argv[1] and exits with argc:
    // qemu-aarch64 args --stats -> "--st\n", 2; args --help -> "--he\n", 2;
    // args -E X=1 --json -> "-E\0X" (NUL-terminated "-E" then the next string), 4.
    let args = asm_program("args");
    let out = kvrm(&["run", &args, "--stats"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(stdout(&out), "--st\n");
    assert_eq!(stderr(&out), "", "--stats went to kvrm");

    let out = kvrm(&["run", &args, "--help"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(stdout(&out), "--he\n");

    let out = kvrm(&["run", &args, "-E", "X=1", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    assert_eq!(out.stdout, b"-E\0X\n");

    // kvrm's own options still work before PROGRAM.
    let out = kvrm(&["run", "--stats", &args, "abcdef"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(stdout(&out), "abcd\n");
    assert!(stderr(&out).starts_with("kvrm: "), "{}", stderr(&out));
}

#[test]
fn unknown_options_before_program_are_usage_errors() {
    let out = kvrm(&["run", "--no-such-option", &asm_program("exit42")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(
        stderr(&out).contains("--no-such-option"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stats_apply_to_raw_runs() {
    let f = raw_file("stats.bin", &[MOVZ_X3_0X2A, MOVZ_X3_0X2A, BRK_0]);
    let out = kvrm(&["run", "--stats", "--raw", f.to_str().unwrap(), "--json"]);
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout stays JSON");
    assert_eq!(v["cycles"], 2);
    let err = stderr(&out);
    let line = err.lines().next().unwrap_or_default();
    // "kvrm: 2 instructions in 0.000 s (0.0 M instructions/s)"
    let rest = line
        .strip_prefix("kvrm: 2 instructions in ")
        .unwrap_or_else(|| panic!("{err}"));
    let (secs, ips) = rest.split_once(" s (").unwrap_or_else(|| panic!("{err}"));
    assert!(secs.parse::<f64>().is_ok(), "{err}");
    assert!(ips.ends_with(" M instructions/s)"), "{err}");
    assert!(
        ips.trim_end_matches(" M instructions/s)")
            .parse::<f64>()
            .is_ok(),
        "{err}"
    );
}

#[test]
fn options_of_the_other_mode_are_errors() {
    let raw = raw_file("mode.bin", &[BRK_0]);
    let raw = raw.to_str().unwrap();
    let elf = asm_program("exit42");
    let cases: &[(&[&str], &str)] = &[
        (&["--load-addr", "0x1000", &elf], "--load-addr"),
        (&["--entry", "4", &elf], "--entry"),
        (&["--memory-size", "0x100000", &elf], "--memory-size"),
        (&["--json", &elf], "--json"),
        (&["--raw", raw, "--fs-root", "/tmp"], "--fs-root"),
        (&["--raw", raw, "-E", "A=1"], "-E"),
        (&["--raw", raw, "-U", "HOME"], "-U"),
        (&["--raw", raw, &elf], "PROGRAM"),
    ];
    for (args, option) in cases {
        let mut argv = vec!["run"];
        argv.extend_from_slice(args);
        let out = kvrm(&argv);
        assert_eq!(out.status.code(), Some(2), "{argv:?}: {out:?}");
        assert_eq!(stdout(&out), "", "{argv:?}: nothing runs");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{argv:?}: {err}");
        assert!(
            err.starts_with("kvrm run: ") && err.contains(option) && err.contains("not apply"),
            "{argv:?}: {err}"
        );
    }
    // Without --raw or PROGRAM there is nothing to run.
    let out = kvrm(&["run", "--stats"]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("no PROGRAM"), "{}", stderr(&out));
}

#[test]
fn trace_disassembles_and_shows_written_registers() {
    let f = raw_file("trace.bin", &[MOVZ_X3_0X2A, BRK_0]);
    let out = kvrm(&["run", "--raw", f.to_str().unwrap(), "--trace"]);
    let err = String::from_utf8_lossy(&out.stderr);
    let first = err.lines().next().unwrap_or_default();
    assert!(first.contains("mov x3, #0x2a"), "{err}");
    assert!(first.contains("x3=0x2a"), "{err}");
    assert!(
        err.lines().nth(1).unwrap_or_default().contains("brk"),
        "{err}"
    );
}

#[test]
fn bad_input_gets_one_line_errors() {
    let out = kvrm(&["run", "/nonexistent/prog"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("kvrm: /nonexistent/prog: "), "{err}");

    let f = raw_file("not-elf", &[0x1234_5678]);
    let out = kvrm(&["run", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an ELF file"));

    let out = kvrm(&["run", "--raw", f.to_str().unwrap(), "--memory-size", "0"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid --memory-size"));
}

#[test]
fn help_explains_the_commands() {
    let out = kvrm(&["--help"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for word in ["run", "bench", "--raw", "--fs-root"] {
        assert!(text.contains(word), "--help lacks {word}:\n{text}");
    }
    let out = kvrm(&["run", "--help"]);
    let text = stdout(&out);
    for word in ["--max-instructions", "--max-cycles", "--stats", "PROGRAM"] {
        assert!(text.contains(word), "run --help lacks {word}:\n{text}");
    }
}

/// The busybox that scripts/fetch-busybox.sh fetched, or None (and a
/// printed reason) when it has not been fetched.
fn busybox() -> Option<String> {
    let busybox = format!(
        "{}/../../tests/busybox/build/busybox",
        env!("CARGO_MANIFEST_DIR")
    );
    if !std::path::Path::new(&busybox).exists() {
        eprintln!("skipped: {busybox} not found");
        return None;
    }
    Some(busybox)
}

/// A signal sent to kvrm goes to the guest, whose own handler runs: busybox
/// sh traps SIGTERM while it waits for a child (skipped without busybox:
/// scripts/fetch-busybox.sh).
#[test]
fn host_signals_run_guest_handlers() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let Some(busybox) = busybox() else { return };
    let script = "trap 'echo trapped TERM; exit 3' TERM; echo ready; while :; do :; done";
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(["run", &busybox, "sh", "-c", script])
        .stdout(Stdio::piped())
        .spawn()
        .expect("kvrm runs");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("ready line");
    assert_eq!(line, "ready\n");
    // SAFETY: kill on the pid of the child this test started.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    line.clear();
    out.read_line(&mut line).expect("trap output");
    assert_eq!(line, "trapped TERM\n");
    let status = child.wait().expect("kvrm ends");
    assert_eq!(status.code(), Some(3));
}

/// A guest's kill never reaches a host process: a pid that is none of its
/// kernel's is ESRCH even when another kvrm run has that number as its host
/// pid (zsh waited forever for a reaped child whose pid was another kvrm's).
#[test]
fn guest_kill_stays_inside_its_kernel() {
    use std::process::Stdio;
    let Some(busybox) = busybox() else { return };
    let mut other = Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(["run", &busybox, "sleep", "30"])
        .stdout(Stdio::null())
        .spawn()
        .expect("kvrm runs");
    let pid = other.id().to_string();
    for sig in ["-0", "-TERM"] {
        let out = kvrm(&["run", &busybox, "kill", sig, &pid]);
        assert_eq!(out.status.code(), Some(1), "kill {sig} {pid}: {out:?}");
    }
    let _ = other.kill();
    let _ = other.wait();
}

/// `--engine jit` runs raw images and ELF programs with the same results as the
/// interpreter, and `--stats` shows the JIT's counters; an unknown engine is a
/// usage error. (`jit:1` compiles on the spot; the default `jit` compiles on a
/// background thread, so how much of a short run is compiled varies.)
#[test]
fn engine_switch() {
    // add x1, x1, #1; subs x2, x2, #1; b.ne .-8 (x2 = 0 wraps: 2^64 iterations)
    let f = raw_file("loop.bin", &[0x9100_0421, 0xf100_0442, 0x54ff_ffc1]);
    let mut results = Vec::new();
    for engine in ["interp", "jit:1", "jit"] {
        let out = kvrm(&[
            "run",
            "--raw",
            f.to_str().unwrap(),
            "--json",
            "--stats",
            "--engine",
            engine,
            "--max-instructions",
            "100001",
        ]);
        assert!(out.status.success(), "{out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
        assert_eq!(v["cycles"], 100_001);
        if engine == "jit:1" {
            assert!(
                stderr(&out).contains("jit blocks compiled: 1"),
                "{}",
                stderr(&out)
            );
        }
        assert_eq!(
            stderr(&out).contains("jit blocks compiled"),
            engine != "interp"
        );
        results.push((v["x"].clone(), v["pc"].clone(), v["nzcv"].clone()));
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);

    let out = kvrm(&["run", "--engine", "jit", "--stats", &asm_program("hello")]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(stdout(&out), "hello, kvrm\n");
    assert!(
        stderr(&out).contains("jit code-cache hit rate"),
        "{}",
        stderr(&out)
    );

    let out = kvrm(&["run", "--engine", "fast", &asm_program("hello")]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let out = kvrm(&[
        "bench",
        "--engine",
        "jit",
        "--iterations",
        "1000",
        "--repeat",
        "1",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout(&out).contains("jit"), "{}", stdout(&out));
}

/// 0x00 movz x0, #5; 0x04 movz x2, #0x8000; 0x08 str x0, [x2];
/// 0x0c ldr x3, [x2]; 0x10 add x0, x0, #1; 0x14 brk #0
const STORE_LOAD: [u32; 6] = [
    0xd280_00a0,
    0xd290_0002,
    0xf900_0040,
    0xf940_0043,
    0x9100_0400,
    BRK_0,
];

#[test]
fn raw_breakpoints_and_watchpoints_stop_with_status_126() {
    let f = raw_file("debug.bin", &STORE_LOAD);
    let raw = f.to_str().unwrap();
    // Before the add at 0x10: four instructions ran, x0 is still 5.
    let out = kvrm(&["run", "--raw", raw, "--json", "--break", "0x10"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["stop"], "breakpoint");
    assert_eq!(v["message"], "breakpoint at pc 0x10");
    assert_eq!(v["pc"], 0x10);
    assert_eq!(v["cycles"], 4);
    assert_eq!(v["x"][0], 5);
    assert_eq!(v["x"][3], 5);
    // The 8-byte store at 0x8000 touches 0x8004: stops before it.
    let out = kvrm(&["run", "--raw", raw, "--json", "--watch", "0x8004:4:w"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["stop"], "watchpoint");
    assert_eq!(v["pc"], 8);
    assert_eq!(v["cycles"], 2);
    assert_eq!(v["watch"]["addr"], 0x8004);
    assert_eq!(v["watch"]["access"], "write");
    // A read watchpoint: the load at 0xc, in the text report.
    let out = kvrm(&["run", "--raw", raw, "--watch", "0x8000:r"]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert!(
        stdout(&out).starts_with("stop: watchpoint: read of 0x8000 at pc 0xc\n"),
        "{}",
        stdout(&out)
    );
    // Watched bytes nobody touches, a breakpoint never reached: a normal halt.
    let out = kvrm(&[
        "run",
        "--raw",
        raw,
        "--watch",
        "0x9000:8:rw",
        "--break",
        "0x100",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(stdout(&out).starts_with("stop: halted"), "{}", stdout(&out));
    // Both: the watchpoint at 0x8 comes first.
    let out = kvrm(&["run", "--raw", raw, "--break", "0x10", "--watch", "0x8000"]);
    assert!(stdout(&out).starts_with("stop: watchpoint: write of 0x8000 at pc 0x8\n"));
}

#[test]
fn trace_stops_before_the_breakpoint() {
    let f = raw_file("debug_trace.bin", &STORE_LOAD);
    let out = kvrm(&[
        "run",
        "--raw",
        f.to_str().unwrap(),
        "--trace",
        "--break",
        "0x10",
    ]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    let err = stderr(&out);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 4, "{err}");
    assert!(lines[0].contains("mov x0, #0x5") && lines[0].ends_with("x0=0x5"));
    assert!(lines[2].starts_with("0x000000000008: f9000040  str x0, [x2]"));
    assert!(lines[3].ends_with("x3=0x5"), "{}", lines[3]);
    assert!(!err.contains("add x0"), "the add did not run: {err}");
}

#[test]
fn elf_breakpoints_by_address_and_symbol() {
    let exe = asm_program("exit42");
    // e_entry of the ELF header (offset 24): exit42's _start.
    let bytes = std::fs::read(&exe).unwrap();
    let entry = u64::from_le_bytes(bytes[24..32].try_into().unwrap());
    // The second instruction (movz x8, #94).
    let second = format!("{:#x}", entry + 4);
    let out = kvrm(&["run", "--break", &second, &exe]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert_eq!(stderr(&out), format!("kvrm: breakpoint at pc {second}\n"));
    // exit42 has no symbol table: a name is an error.
    let out = kvrm(&["run", "--break", "_start", &exe]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("no symbol"), "{}", stderr(&out));
    // Not reached (past the exit): the guest's own status.
    let out = kvrm(&["run", "--break", "0x10", &exe]);
    assert_eq!(out.status.code(), Some(42), "{out:?}");
    let out = kvrm(&["run", "--break", "no_such_symbol", &exe]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains("no_such_symbol"), "{}", stderr(&out));
}

#[test]
fn debug_and_mode_options_are_checked() {
    let f = raw_file("modes.bin", &STORE_LOAD);
    let raw = f.to_str().unwrap();
    let exe = asm_program("exit42");
    let cases: [(&[&str], &str); 6] = [
        (
            &["run", "--raw", raw, "--backend", "cpu", "--mode", "async"],
            "--mode async needs the CUDA backend",
        ),
        (
            &["run", "--backend", "cpu", "--mode", "mega", &exe],
            "--mode mega needs the CUDA backend",
        ),
        (
            &["run", "--raw", raw, "--batch", "10"],
            "--batch applies to --mode continuous",
        ),
        (
            &["run", "--raw", raw, "--break", "main"],
            "raw images need a number",
        ),
        (
            &["run", "--raw", raw, "--watch", "0x8000:0"],
            "LEN must be at least 1",
        ),
        (
            &["run", "--raw", raw, "--watch", "0x8000:4:x"],
            "ADDR[:LEN][:r|w|rw]",
        ),
    ];
    for (args, msg) in cases {
        let out = kvrm(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(stderr(&out).contains(msg), "{args:?}: {}", stderr(&out));
    }
    // The CPU backend's own mode is accepted.
    let out = kvrm(&[
        "run",
        "--raw",
        raw,
        "--backend",
        "cpu",
        "--mode",
        "standard",
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    // ELF programs take every mode; `auto` without a GPU runs them on the
    // CPU backend (standard), with a GPU on it in that mode.
    for mode in ["standard", "continuous", "mega", "async"] {
        let out = kvrm(&["run", "--mode", mode, &exe]);
        assert_eq!(out.status.code(), Some(42), "{mode}: {out:?}");
    }
    let out = kvrm(&["run", "--help"]);
    for word in ["--break", "--watch", "--mode", "continuous", "async"] {
        assert!(stdout(&out).contains(word), "help lacks {word}");
    }
}

#[test]
fn cuda_trace_and_modes_without_a_gpu_are_clean_errors() {
    let f = raw_file("cuda.bin", &STORE_LOAD);
    let raw = f.to_str().unwrap();
    for extra in [
        &["--trace"][..],
        &["--mode", "async"],
        &["--mode", "continuous"],
    ] {
        let exe = asm_program("exit42");
        for program in [&["--raw", raw][..], &[&exe]] {
            let mut args = vec!["run", "--backend", "cuda"];
            args.extend_from_slice(extra);
            args.extend_from_slice(program);
            let out = kvrm(&args);
            if out.status.code() == Some(0) || out.status.code() == Some(42) {
                println!("a GPU is present: {args:?} ran");
                continue;
            }
            let err = stderr(&out);
            assert!(!err.contains("CPU backend only"), "{err}");
            assert!(!err.contains("panicked"), "{err}");
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    }
}

/// `--break SYMBOL` on a non-PIE program with a symbol table (assembled here
/// with aarch64-linux-gnu-gcc; skipped without it).
#[test]
fn elf_breakpoint_on_a_symbol() {
    let dir = std::env::temp_dir().join(format!("kvrm-cli-sym-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("mark.S");
    let exe = dir.join("mark");
    std::fs::write(
        &src,
        ".global _start\n.text\n_start:\n movz x0, #42\nmark:\n movz x8, #94\n svc #0\n",
    )
    .unwrap();
    let built = Command::new("aarch64-linux-gnu-gcc")
        .args(["-nostdlib", "-static", "-no-pie", "-o"])
        .arg(&exe)
        .arg(&src)
        .output();
    match built {
        Ok(o) if o.status.success() => {}
        other => {
            println!("skipped: cannot build with aarch64-linux-gnu-gcc: {other:?}");
            return;
        }
    }
    let bytes = std::fs::read(&exe).unwrap();
    let entry = u64::from_le_bytes(bytes[24..32].try_into().unwrap());
    let exe = exe.to_str().unwrap();
    // `mark` is the second instruction of _start (the entry point).
    let out = kvrm(&["run", "-q", "--break", "mark", exe]);
    assert_eq!(out.status.code(), Some(126), "{out:?}");
    assert_eq!(
        stderr(&out),
        format!("kvrm: breakpoint at pc {:#x}\n", entry + 4)
    );
    let out = kvrm(&["run", "--break", "_start", exe]);
    assert_eq!(stderr(&out), format!("kvrm: breakpoint at pc {entry:#x}\n"));
    let _ = std::fs::remove_dir_all(&dir);
}
