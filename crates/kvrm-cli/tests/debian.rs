//! Stock Debian arm64 programs, dynamically linked (coreutils, grep, sed, gawk, dash, findutils,
//! diffutils, sqlite3), from the sysroot scripts/fetch-debian-arm64.sh unpacks into
//! tests/debian/build/sysroot. Every case runs twice in a scratch directory inside the sysroot,
//! as `kvrm run --quiet --fs-root SYSROOT SYSROOT/usr/bin/PROG ARGS` and as
//! `qemu-aarch64 -L SYSROOT SYSROOT/usr/bin/PROG ARGS`, and stdout, stderr and the exit status
//! must be the same. qemu-user without binfmt_misc cannot run the AArch64 programs a shell
//! starts, so under qemu PATH begins with wrappers that run each program under qemu.
//!
//! The test fetches the sysroot itself when it is missing (root and network needed); otherwise,
//! and without qemu-aarch64, it is skipped with the reason printed (KVRM_REQUIRE_GUESTS=1:
//! fails instead). KVRM_SKIP_GUESTS=1 skips it, KVRM_GUEST_FILTER=SUBSTR selects cases.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// One case: the program (a name in the sysroot's /usr/bin), its arguments and stdin.
struct Case {
    name: &'static str,
    prog: &'static str,
    args: &'static [&'static str],
    stdin: &'static str,
}

const fn case(
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

/// Files every scratch directory starts with.
const FILES: &[(&str, &str)] = &[
    ("words.txt", "pear\napple\nfig\napple\nbanana\ncherry\nfig\napple\n"),
    ("nums.txt", "10\n3\n250\n-4\n42\n7\n3\n"),
    (
        "people.txt",
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice A:/home/alice:/bin/sh\n\
         bob:x:1001:1001:Bob B:/home/bob:/usr/bin/zsh\n",
    ),
    ("edit.sed", "s/apple/APPLE/g\n/fig/d\n$a\\\nthe end\n"),
    (
        "sum.awk",
        "{ n[$1]++; total += length($1) }\nEND { for (w in n) printf \"%s=%d\\n\", w, n[w] | \"sort\"; \
         close(\"sort\"); printf \"total %d mean %.3f\\n\", total, total / NR }\n",
    ),
    (
        "script.sh",
        "set -e\ncount=0\nfor w in $(sort -u words.txt); do\n  count=$((count + 1))\n  \
         printf '%d %s %s\\n' \"$count\" \"$w\" \"$(grep -c \"^$w\\$\" words.txt)\"\ndone\n\
         echo \"args: $# $*\"\nexit 4\n",
    ),
    ("other.txt", "pear\napple\nkiwi\napple\nbanana\ncherry\nfig\n"),
];

const CASES: &[Case] = &[
    // coreutils
    case("sort", "sort", &["words.txt"], ""),
    case("sort_numeric_reverse", "sort", &["-n", "-r", "nums.txt"], ""),
    case("sort_key", "sort", &["-t:", "-k3,3n", "people.txt"], ""),
    case("sort_stdin_unique", "sort", &["-u"], "b\na\nc\na\n"),
    case("sort_missing", "sort", &["nosuch.txt"], ""),
    case("uniq_count", "uniq", &["-c"], "a\na\nb\nc\nc\nc\n"),
    case("wc", "wc", &["words.txt", "nums.txt"], ""),
    case("wc_stdin", "wc", &["-l"], "1\n2\n3\n"),
    case("cat_number", "cat", &["-n", "words.txt"], ""),
    case("cat_stdin", "cat", &[], "from stdin\n"),
    case("head", "head", &["-n", "3", "words.txt"], ""),
    case("tail", "tail", &["-n", "2", "words.txt"], ""),
    case("cut", "cut", &["-d:", "-f1,3,7", "people.txt"], ""),
    case("tr", "tr", &["a-z", "A-Z"], "hello, world\n"),
    case("ls", "ls", &[], ""),
    case("ls_all_one", "ls", &["-a1"], ""),
    case("ls_missing", "ls", &["nosuch", "words.txt"], ""),
    case("seq", "seq", &["1", "3", "20"], ""),
    case("expr", "expr", &["6", "*", "7"], ""),
    case("factor", "factor", &["1001", "65536", "999983"], ""),
    case("date_utc", "date", &["-u", "-d", "@86400", "+%F %T %A"], ""),
    case("sha256sum", "sha256sum", &["words.txt", "nums.txt"], ""),
    case("md5sum_check_fail", "md5sum", &["-c"], "00000000000000000000000000000000  words.txt\n"),
    case("base64", "base64", &["people.txt"], ""),
    case("od", "od", &["-A", "x", "-t", "x1z", "nums.txt"], ""),
    case("printf", "printf", &["%5.2f|%-6s|%x\\n", "3.14159", "ab", "255"], ""),
    case("stat_format", "stat", &["-c", "%n %s %F", "words.txt", "."], ""),
    case("stat_fs", "stat", &["-f", "-c", "%n %T %l %s", ".", "words.txt"], ""),
    case("true", "true", &[], ""),
    case("false", "false", &[], ""),
    // grep (PCRE2 for -P)
    case("grep_n", "grep", &["-n", "apple", "words.txt"], ""),
    case("grep_count_invert", "grep", &["-vc", "apple", "words.txt"], ""),
    case("grep_extended", "grep", &["-E", "^(fig|pear)$", "words.txt"], ""),
    case("grep_perl", "grep", &["-P", "\\d{2,}", "nums.txt"], ""),
    case("grep_recursive", "grep", &["-r", "-l", "banana", "."], ""),
    case("grep_no_match", "grep", &["kiwi", "words.txt"], ""),
    case("grep_missing", "grep", &["x", "nosuch.txt"], ""),
    case("grep_stdin", "grep", &["-i", "B"], "abc\nxyz\nBcd\n"),
    // sed
    case("sed_subst", "sed", &["s/a/A/g", "words.txt"], ""),
    case("sed_range", "sed", &["-n", "2,4p"], "1\n2\n3\n4\n5\n"),
    case("sed_script", "sed", &["-f", "edit.sed", "words.txt"], ""),
    case("sed_bad", "sed", &["s/x"], ""),
    // gawk
    case("gawk_sum", "gawk", &["{ s += $1 } END { print s, NR, s / NR }", "nums.txt"], ""),
    case("gawk_fields", "gawk", &["-F:", "{ print $1, $NF }", "people.txt"], ""),
    case("gawk_script", "gawk", &["-f", "sum.awk", "words.txt"], ""),
    case(
        "gawk_printf",
        "gawk",
        &["BEGIN { printf \"%.6f %e %d %s\\n\", atan2(1, 1) * 4, 12345.678, 2^40, toupper(\"x\") }"],
        "",
    ),
    // find, diff
    case("find", "find", &[".", "-name", "*.txt", "-size", "-1k", "-o", "-name", "*.sh"], ""),
    case("diff", "diff", &["-u", "words.txt", "other.txt"], ""),
    case("ls_long", "ls", &["-ln", "--time-style=+%s", "words.txt", "nums.txt"], ""),
    case("cmp", "cmp", &["words.txt", "other.txt"], ""),
    // dash: pipelines of the programs above
    case(
        "dash_pipeline",
        "dash",
        &["-c", "sort words.txt | uniq -c | sort -k1,1nr -k2 | head -n 3"],
        "",
    ),
    case(
        "dash_substitution",
        "dash",
        &["-c", "x=$(seq 10 | gawk '{ s += $1 } END { print s }'); echo \"sum=$x\"; \
               n=$(grep -c a words.txt); echo \"a-lines=$n\"; [ \"$n\" -gt 3 ] && echo many"],
        "",
    ),
    case(
        "dash_loop_files",
        "dash",
        &["-c", "for f in *.txt; do printf '%s ' \"$f\"; wc -l < \"$f\"; done | sort"],
        "",
    ),
    case(
        "dash_sed_inplace",
        "dash",
        &["-c", "cp words.txt w2 && sed -i 's/fig/FIG/' w2 && cat w2 && rm w2 && ls w2"],
        "",
    ),
    case(
        "dash_status",
        "dash",
        &["-c", "grep -q kiwi words.txt; echo grep=$?; nosuchcmd; echo missing=$?; \
               false | true; echo pipe=$?; (exit 7); echo sub=$?"],
        "",
    ),
    case("dash_script", "dash", &["script.sh", "one", "two"], ""),
    case(
        "dash_stdin_script",
        "dash",
        &[],
        "read a b; echo \"$b $a\" | tr a-z A-Z\nexit 2\n",
    ),
    case(
        "dash_redirections",
        "dash",
        &["-c", "sort -r nums.txt > out.txt 2>&1; head -n 2 < out.txt; cat nosuch 2>&1 | sed 's/^/err: /'; \
               echo appended >> out.txt; tail -n 1 out.txt"],
        "",
    ),
    // sqlite3 (rollback journal and WAL)
    case(
        "sqlite_memory",
        "sqlite3",
        &[":memory:", "create table t(a, b); insert into t values (1, 'x'), (2, 'y'); \
                      select a * 10, upper(b) from t order by a desc; select sum(a) from t;"],
        "",
    ),
    case(
        "sqlite_journal",
        "dash",
        &["-c", "sqlite3 db 'create table t(k integer primary key, v text)' && \
               for i in 1 2 3 4 5; do sqlite3 db \"insert into t(v) values ('row$i')\"; done && \
               sqlite3 db 'begin; update t set v = upper(v) where k > 3; commit; select * from t' && \
               sqlite3 db 'pragma journal_mode; pragma integrity_check'"],
        "",
    ),
    case(
        "sqlite_wal",
        "dash",
        &["-c", "sqlite3 db 'pragma journal_mode=wal; create table t(x); insert into t values (1), (2)' && \
               sqlite3 db 'insert into t select x + 10 from t; select count(*), sum(x) from t' && \
               sqlite3 db 'pragma wal_checkpoint(truncate); select * from t order by x' && \
               sqlite3 db 'pragma journal_mode'"],
        "",
    ),
    case(
        "sqlite_stdin",
        "sqlite3",
        &["-batch"],
        "create table p(name, age);\ninsert into p values ('ann', 31), ('bob', 27);\n\
         .mode csv\nselect * from p order by age;\nselect nosuch from p;\n",
    ),
];

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("repository root")
}

fn env_flag(name: &str) -> bool {
    std::env::var(name).map(|v| v == "1").unwrap_or(false)
}

/// The sysroot, fetched if needed; `Err(reason)` when the suite cannot run.
fn sysroot() -> Result<PathBuf, String> {
    // The tests of this file run in parallel: one of them fetches, the others wait.
    static FETCH: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one_at_a_time = FETCH
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let root = repo_root();
    let sysroot = root.join("tests/debian/build/sysroot");
    if Command::new("qemu-aarch64")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_err()
    {
        return Err("qemu-aarch64 not found (apt-get install qemu-user)".into());
    }
    let stamp = sysroot.join(".kvrm-packages");
    if !stamp.exists() {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0
            && !Command::new("sudo")
                .args(["-n", "true"])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        {
            return Err(format!(
                "{} missing and not root: run scripts/fetch-debian-arm64.sh as root",
                sysroot.display()
            ));
        }
        let out = Command::new(root.join("scripts/fetch-debian-arm64.sh"))
            .output()
            .map_err(|e| format!("scripts/fetch-debian-arm64.sh: {e}"))?;
        if !out.status.success() || !stamp.exists() {
            return Err(format!(
                "scripts/fetch-debian-arm64.sh failed (network? apt?): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    Ok(sysroot)
}

/// Host scripts named after every program of the sysroot's /usr/bin that run it under qemu.
fn qemu_wrappers(sysroot: &Path, dir: &Path) {
    fs::create_dir_all(dir).unwrap();
    for e in fs::read_dir(sysroot.join("usr/bin")).unwrap() {
        let name = e.unwrap().file_name().into_string().unwrap();
        let path = dir.join(&name);
        let script = format!(
            "#!/bin/sh\nexec qemu-aarch64 -L {root} -0 \"{name}\" {root}/usr/bin/{name} \"$@\"\n",
            root = sysroot.display()
        );
        fs::write(&path, script).unwrap();
        let mut perms = fs::metadata(&path).unwrap().permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        fs::set_permissions(&path, perms).unwrap();
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    status: i32,
}

fn run(mut cmd: Command, stdin: &str, timeout: Duration) -> Result<Outcome, String> {
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

/// A fresh scratch directory inside the sysroot with [`FILES`] (same name for both runs, so
/// that paths in the output agree).
fn fresh_scratch(dir: &Path) {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    // Fixed times: diff -u and ls -l show them.
    let t = std::time::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    for (name, text) in FILES {
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

#[test]
fn debian_programs_match_qemu() {
    if env_flag("KVRM_SKIP_GUESTS") {
        eprintln!("SKIP debian: KVRM_SKIP_GUESTS=1");
        return;
    }
    let sysroot = match sysroot() {
        Ok(s) => s,
        Err(why) => {
            if env_flag("KVRM_REQUIRE_GUESTS") {
                panic!("KVRM_REQUIRE_GUESTS=1: {why}");
            }
            eprintln!("SKIP debian: {why}");
            return;
        }
    };
    let kvrm = PathBuf::from(env!("CARGO_BIN_EXE_kvrm"));
    let work =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("debian-{}", std::process::id()));
    let wrappers = work.join("wrappers");
    qemu_wrappers(&sysroot, &wrappers);
    let filter = std::env::var("KVRM_GUEST_FILTER").unwrap_or_default();
    let cases: Vec<&Case> = CASES.iter().filter(|c| c.name.contains(&filter)).collect();
    let timeout = Duration::from_secs(120);
    let jobs = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2);
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.min(cases.len()) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(c) = cases.get(k) else { break };
                let scratch =
                    sysroot
                        .join("tmp")
                        .join(format!("kvrm-{}-{}", std::process::id(), c.name));
                let prog = sysroot.join("usr/bin").join(c.prog);
                let guest_path = "/usr/bin:/bin";
                let base_env = [("HOME", "/"), ("TZ", "UTC")];

                fresh_scratch(&scratch);
                let mut q = Command::new("qemu-aarch64");
                q.arg("-L").arg(&sysroot).arg(&prog).args(c.args);
                q.current_dir(&scratch)
                    .env_clear()
                    .envs(base_env)
                    .env("PATH", format!("{}:{guest_path}", wrappers.display()));
                let expected = run(q, c.stdin, timeout);

                // kvrm on each engine: the interpreter and the JIT (compiling
                // blocks on their third run, so most code runs compiled).
                for engine in ["interp", "jit:2"] {
                    fresh_scratch(&scratch);
                    let mut k = Command::new(&kvrm);
                    k.args(["run", "--quiet", "--engine", engine, "--fs-root"])
                        .arg(&sysroot)
                        .arg(&prog)
                        .args(c.args);
                    k.current_dir(&scratch)
                        .env_clear()
                        .envs(base_env)
                        .env("PATH", guest_path);
                    let actual = run(k, c.stdin, timeout);
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
                let _ = fs::remove_dir_all(&scratch);
            });
        }
    });
    let _ = fs::remove_dir_all(&work);
    let failures = failures.into_inner().unwrap();
    eprintln!(
        "debian: {} runs (interp and jit) passed, {} failed",
        2 * cases.len() - failures.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {} Debian runs (interp and jit) differ from qemu-aarch64:\n{}",
        failures.len(),
        2 * cases.len(),
        failures.join("\n")
    );
}

/// An absolute PROGRAM path that does not exist on the host is looked up in --fs-root, and
/// /proc/self/exe is the program's guest path (not the dynamic loader's).
#[test]
fn absolute_program_path_inside_fs_root() {
    let Ok(sysroot) = sysroot() else {
        eprintln!("SKIP: no Debian sysroot (scripts/fetch-debian-arm64.sh)");
        return;
    };
    let link = sysroot.join("usr/bin/kvrm-test-readlink");
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink("readlink", &link).unwrap();
    let guest = "/usr/bin/kvrm-test-readlink";
    assert!(!Path::new(guest).exists());
    let out = Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(["run", "--quiet", "--fs-root"])
        .arg(&sysroot)
        .args([guest, "/proc/self/exe"])
        .current_dir(&sysroot)
        .output()
        .unwrap();
    let _ = fs::remove_file(&link);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/usr/bin/readlink\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success());
}

/// /proc files kvrm makes from its own state: /proc/self/comm as the host kernel shows it,
/// /proc/meminfo from --memory-limit, /proc/cpuinfo's Features.
#[test]
fn proc_files_from_kvrm_state() {
    let Ok(sysroot) = sysroot() else {
        eprintln!("SKIP: no Debian sysroot (scripts/fetch-debian-arm64.sh)");
        return;
    };
    let kvrm = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kvrm"))
            .args(["run", "--quiet", "--memory-limit", "256M", "--fs-root"])
            .arg(&sysroot)
            .arg(sysroot.join("usr/bin").join(args[0]))
            .args(&args[1..])
            .current_dir(&sysroot)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let host = Command::new("cat").arg("/proc/self/comm").output().unwrap();
    assert_eq!(kvrm(&["cat", "/proc/self/comm"]).as_bytes(), host.stdout);
    let mem = kvrm(&["grep", "MemTotal", "/proc/meminfo"]);
    assert_eq!(mem, "MemTotal:         262144 kB\n");
    let features = kvrm(&["grep", "-m1", "^Features", "/proc/cpuinfo"]);
    assert!(features.starts_with("Features\t: fp asimd "), "{features}");
}
