//! Guest sockets and the `--net` gate. What qemu-aarch64 can judge (TCP, UDP and AF_UNIX
//! traffic) is in tests/guest (net_*.c, unix_sockets.c, recorded with qemu); here is what only
//! kvrm has: without `--net` AF_INET and AF_INET6 sockets are refused with EACCES while AF_UNIX
//! works, pathname sockets stay inside `--fs-root`, and glibc's getaddrinfo reads /etc/hosts and
//! /etc/nsswitch.conf from the fs-root (the expected answers are the files this test writes).
//!
//! The guest program is built here with aarch64-linux-gnu-gcc -static; it runs each command of
//! its argument list and prints one line per result.

use std::path::{Path, PathBuf};
use std::process::Command;

const PROBE: &str = r#"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
static const char *res(int r) { return r >= 0 ? "ok" : strerror(errno); }
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "gate")) {
            int sv[2];
            printf("inet stream: %s\n", res(socket(AF_INET, SOCK_STREAM, 0)));
            printf("inet6 dgram: %s\n", res(socket(AF_INET6, SOCK_DGRAM, 0)));
            printf("inet socketpair: %s\n", res(socketpair(AF_INET, SOCK_STREAM, 0, sv)));
            printf("unix stream: %s\n", res(socket(AF_UNIX, SOCK_STREAM, 0)));
            printf("unix socketpair: %s\n", res(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)));
        } else if (!strcmp(argv[i], "bind") && i + 1 < argc) {
            struct sockaddr_un a = {0};
            a.sun_family = AF_UNIX;
            strncpy(a.sun_path, argv[++i], sizeof a.sun_path - 1);
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            printf("bind %s: %s\n", argv[i], res(bind(s, (struct sockaddr *)&a, sizeof a)));
            socklen_t l = sizeof a;
            memset(&a, 0, sizeof a);
            getsockname(s, (struct sockaddr *)&a, &l);
            printf("name %s\n", a.sun_path);
        } else if (!strcmp(argv[i], "resolve") && i + 2 < argc) {
            int fam = !strcmp(argv[i + 1], "4") ? AF_INET : AF_INET6;
            const char *name = argv[i + 2];
            i += 2;
            struct addrinfo hints = {0}, *ai, *p;
            hints.ai_family = fam;
            hints.ai_socktype = SOCK_STREAM;
            int r = getaddrinfo(name, "80", &hints, &ai);
            if (r != 0) { printf("%s: %s\n", name, gai_strerror(r)); continue; }
            for (p = ai; p; p = p->ai_next) {
                char host[64];
                void *a = fam == AF_INET ? (void *)&((struct sockaddr_in *)p->ai_addr)->sin_addr
                                         : (void *)&((struct sockaddr_in6 *)p->ai_addr)->sin6_addr;
                inet_ntop(fam, a, host, sizeof host);
                printf("%s: %s\n", name, host);
            }
            freeaddrinfo(ai);
        }
    }
    return 0;
}
"#;

/// A fresh scratch directory holding the built probe, or `None` (skip) without the cross compiler.
fn setup(name: &str) -> Option<(PathBuf, PathBuf)> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("sockets-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("socket_probe.c");
    let exe = dir.join("socket_probe");
    std::fs::write(&src, PROBE).unwrap();
    let ok = Command::new("aarch64-linux-gnu-gcc")
        .args(["-static", "-O2", "-w", "-o"])
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
    Some((dir, exe))
}

/// `kvrm run --quiet [--net] --fs-root ROOT EXE ARGS`: its stdout (the run must succeed).
fn run(net: bool, root: &Path, exe: &Path, args: &[&str]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kvrm"));
    cmd.args(["run", "--quiet"]);
    if net {
        cmd.arg("--net");
    }
    let out = cmd
        .arg("--fs-root")
        .arg(root)
        .arg(exe)
        .args(args)
        .current_dir(root)
        .output()
        .expect("run kvrm");
    assert!(
        out.status.success(),
        "kvrm failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn network_families_need_net() {
    let Some((dir, exe)) = setup("gate") else {
        return;
    };
    let without = run(false, &dir, &exe, &["gate"]);
    assert_eq!(
        without,
        "inet stream: Permission denied\n\
         inet6 dgram: Permission denied\n\
         inet socketpair: Permission denied\n\
         unix stream: ok\n\
         unix socketpair: ok\n"
    );
    // With --net the host decides: sockets open, an AF_INET socketpair is EOPNOTSUPP.
    let with = run(true, &dir, &exe, &["gate"]);
    assert_eq!(
        with,
        "inet stream: ok\n\
         inet6 dgram: ok\n\
         inet socketpair: Operation not supported\n\
         unix stream: ok\n\
         unix socketpair: ok\n"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn pathname_sockets_stay_inside_the_root() {
    let Some((dir, exe)) = setup("root") else {
        return;
    };
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("sub")).unwrap();
    // A symbolic link to an absolute host path is read as a guest path (inside the root).
    std::os::unix::fs::symlink(&dir, root.join("sub/out")).unwrap();
    let out = run(
        false,
        &root,
        &exe,
        &[
            "bind",
            "/../../escape.sock",
            "bind",
            "sub/out/link.sock",
            "bind",
            "/sub/plain.sock",
        ],
    );
    assert_eq!(
        out,
        "bind /../../escape.sock: ok\nname /../../escape.sock\n\
         bind sub/out/link.sock: No such file or directory\nname \n\
         bind /sub/plain.sock: ok\nname /sub/plain.sock\n"
    );
    assert!(root.join("escape.sock").exists());
    assert!(root.join("sub/plain.sock").exists());
    assert!(!dir.join("escape.sock").exists());
    assert!(!dir.join("link.sock").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn getaddrinfo_reads_the_fs_root() {
    let Some((dir, exe)) = setup("resolve") else {
        return;
    };
    let root = dir.join("root");
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/hosts"),
        "127.0.0.1 localhost\n::1 localhost\n10.11.12.13 kvrm-test-host\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/nsswitch.conf"), "hosts: files\n").unwrap();
    let args = [
        "resolve",
        "4",
        "localhost",
        "resolve",
        "6",
        "localhost",
        "resolve",
        "4",
        "kvrm-test-host",
    ];
    let expected = "localhost: 127.0.0.1\nlocalhost: ::1\nkvrm-test-host: 10.11.12.13\n";
    assert_eq!(run(false, &root, &exe, &args), expected);
    assert_eq!(run(true, &root, &exe, &args), expected);
    let _ = std::fs::remove_dir_all(&dir);
}
