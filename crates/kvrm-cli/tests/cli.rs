//! The `kvrm` command's own behaviour: raw runs, JSON output, trace, errors.
//! (Instruction semantics are tested against the oracle elsewhere; these
//! programs only use MOVZ and BRK/SVC/undefined words.)

use std::path::PathBuf;
use std::process::{Command, Output};

fn kvrm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(args)
        .output()
        .expect("kvrm runs")
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
fn cycle_limit_is_exact() {
    let f = raw_file("spin.bin", &[0x1400_0000]); // b . (branch to itself)
    let out = kvrm(&[
        "run",
        "--raw",
        f.to_str().unwrap(),
        "--max-cycles",
        "1000",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["stop"], "cycle_limit");
    assert_eq!(v["cycles"], 1000);
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
}
