//! File locks between a kvrm guest and another host process (this test): the guest's POSIX
//! record locks and flock locks are visible to the host and the host's to the guest, and a guest
//! waiting for a lock (F_SETLKW, flock) gets it once the host lets go. Locks between guest
//! processes are tested by tests/guest/src/file_locks.c (expected output from qemu-aarch64).
//!
//! The guest program (built here with aarch64-linux-gnu-gcc -static) reads commands from stdin,
//! one per line, and answers each with one line.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

const PROBE: &str = r#"
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
int main(int argc, char **argv) {
    int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
    char line[100], op;
    long s, l;
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("ready\n");
    while (fgets(line, sizeof line, stdin)) {
        s = l = 0;
        sscanf(line, "%c %ld %ld", &op, &s, &l);
        struct flock f = {.l_whence = SEEK_SET, .l_start = s, .l_len = l};
        int r = 0, cmd = F_SETLK;
        switch (op) {
        case 'w': f.l_type = F_WRLCK; break;
        case 'W': f.l_type = F_WRLCK; cmd = F_SETLKW; break;
        case 'r': f.l_type = F_RDLCK; break;
        case 'u': f.l_type = F_UNLCK; break;
        case 'g': f.l_type = F_WRLCK; cmd = F_GETLK; break;
        case 'f': r = flock(fd, LOCK_EX | LOCK_NB); goto done;
        case 'F': r = flock(fd, LOCK_EX); goto done;
        case 'U': r = flock(fd, LOCK_UN); goto done;
        default: return 0;
        }
        r = fcntl(fd, cmd, &f);
        if (r == 0 && cmd == F_GETLK) {
            if (f.l_type == F_UNLCK) printf("free\n");
            else printf("%s by %d\n", f.l_type == F_WRLCK ? "write" : "read", (int)f.l_pid);
            continue;
        }
    done:
        printf("%s\n", r == 0 ? "ok" : strerror(errno));
    }
    return 0;
}
"#;

fn build_probe(dir: &Path) -> Option<PathBuf> {
    let src = dir.join("lock_probe.c");
    let exe = dir.join("lock_probe");
    std::fs::write(&src, PROBE).unwrap();
    let ok = Command::new("aarch64-linux-gnu-gcc")
        .args(["-static", "-O2", "-o"])
        .arg(&exe)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var("KVRM_REQUIRE_GUESTS").as_deref() != Ok("1"),
            "aarch64-linux-gnu-gcc is missing and KVRM_REQUIRE_GUESTS=1"
        );
        eprintln!("SKIP: aarch64-linux-gnu-gcc is not installed");
        return None;
    }
    Some(exe)
}

/// The guest program's stdin and stdout.
struct Probe {
    to: Option<std::process::ChildStdin>,
    from: BufReader<std::process::ChildStdout>,
}

impl Probe {
    /// Send `cmd` (none if empty) and read the answer; `cmd!`: send only.
    fn ask(&mut self, cmd: &str) -> String {
        let (cmd, answer) = match cmd.strip_suffix('!') {
            Some(c) => (c, false),
            None => (cmd, true),
        };
        if let Some(to) = self.to.as_mut().filter(|_| !cmd.is_empty()) {
            writeln!(to, "{cmd}").unwrap();
            to.flush().unwrap();
        }
        if !answer {
            return String::new();
        }
        let mut line = String::new();
        self.from.read_line(&mut line).unwrap();
        line.trim_end().to_string()
    }
}

/// This process's POSIX lock call on `file`: F_GETLK answers (type, pid).
fn host_lock(file: &std::fs::File, cmd: i32, ty: i16, start: i64, len: i64) -> (i32, i16, i32) {
    // SAFETY: a plain C struct, then fcntl on an open descriptor.
    let mut f: libc::flock = unsafe { std::mem::zeroed() };
    f.l_type = ty;
    f.l_whence = libc::SEEK_SET as i16;
    f.l_start = start;
    f.l_len = len;
    let r = unsafe { libc::fcntl(file.as_raw_fd(), cmd, &mut f) };
    let e = if r < 0 {
        std::io::Error::last_os_error().raw_os_error().unwrap_or(-1)
    } else {
        0
    };
    (e, f.l_type, f.l_pid)
}

#[test]
fn guest_and_host_process_locks_see_each_other() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("locks-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let Some(probe) = build_probe(&dir) else {
        return;
    };
    let file_path = dir.join("lockfile");
    std::fs::write(&file_path, b"some bytes").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .args(["run", "--fs-root"])
        .arg(&dir)
        .arg(&probe)
        .arg("/lockfile")
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut p = Probe {
        to: Some(child.stdin.take().unwrap()),
        from: BufReader::new(child.stdout.take().unwrap()),
    };
    let mut ask = |cmd: &str| p.ask(cmd);
    assert_eq!(ask(""), "ready");
    let host = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&file_path)
        .unwrap();
    let me = std::process::id() as i32;
    let (wr, un) = (libc::F_WRLCK as i16, libc::F_UNLCK as i16);

    // The guest's POSIX lock is kvrm's on the host.
    assert_eq!(ask("w 0 10"), "ok");
    assert_eq!(host_lock(&host, libc::F_GETLK, wr, 0, 10), (0, wr, -1));
    assert_eq!(host_lock(&host, libc::F_SETLK, wr, 5, 1).0, libc::EAGAIN);
    assert_eq!(host_lock(&host, libc::F_GETLK, wr, 10, 10).1, un);

    // The host's POSIX lock stops the guest; F_SETLKW waits for it.
    assert_eq!(host_lock(&host, libc::F_SETLK, wr, 100, 10).0, 0);
    assert_eq!(ask("g 100 10"), format!("write by {me}"));
    assert_eq!(ask("w 105 1"), "Resource temporarily unavailable");
    ask("W 100 10!");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(host_lock(&host, libc::F_SETLK, un, 100, 10).0, 0);
    assert_eq!(ask(""), "ok");
    assert_eq!(host_lock(&host, libc::F_GETLK, wr, 100, 1), (0, wr, -1));

    // flock both ways.
    assert_eq!(ask("f"), "ok");
    // SAFETY: flock on an open descriptor.
    let host_flock = |op| unsafe { libc::flock(host.as_raw_fd(), op) };
    assert!(host_flock(libc::LOCK_EX | libc::LOCK_NB) < 0);
    assert_eq!(ask("U"), "ok");
    assert_eq!(host_flock(libc::LOCK_EX | libc::LOCK_NB), 0);
    assert_eq!(ask("f"), "Resource temporarily unavailable");
    ask("F!");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(host_flock(libc::LOCK_UN), 0);
    assert_eq!(ask(""), "ok");

    // Unlocking (and ending) lets go on the host too.
    assert_eq!(ask("u 0 0"), "ok");
    assert_eq!(host_lock(&host, libc::F_GETLK, wr, 0, 0).1, un);
    assert_eq!(ask("w 0 0"), "ok");
    ask("q!");
    assert!(child.wait().unwrap().success());
    assert_eq!(host_lock(&host, libc::F_GETLK, wr, 0, 0).1, un);
    let _ = std::fs::remove_dir_all(&dir);
}
