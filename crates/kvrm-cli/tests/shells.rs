//! Debian's static shells for arm64 (bash-static, zsh-static, mksh's mksh-static and lksh, the
//! dynamic mksh, sash) on the scripts of tests/debian/shells: command substitution, pipes,
//! `trap` on USR1/USR2/TERM/EXIT with `kill -SIG $$`, background jobs and `wait`, the status
//! of killed children, here-documents, subshells, loops, `read` from a pipe. Each shell on
//! each script is compared with qemu-aarch64 (harness: sysroot/mod.rs). Non-interactive only.

mod sysroot;

use sysroot::{case, run_suite, sysroot_or_skip, Case, Suite};

macro_rules! script {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../tests/debian/shells/", $name)),
        )
    };
}

const FILES: &[(&str, &str)] = &[
    script!("subst.sh"),
    script!("traps.sh"),
    script!("jobs.sh"),
    script!("misc.sh"),
    script!("pipes.sh"),
    script!("sash.sh"),
    script!("bash.sh"),
    script!("zsh.sh"),
    script!("mksh.sh"),
    ("words.txt", "pear\napple\nfig\napple\n"),
];

/// mksh-static is /usr/lib/klibc/bin/mksh (usr/bin/mksh-static links there absolutely).
const MKSH_STATIC: &str = "usr/lib/klibc/bin/mksh";

macro_rules! every_script {
    ($($shell:literal: $prog:expr),* $(,)?) => {
        &[$(
            case(concat!($shell, "_subst"), $prog, &["subst.sh"], ""),
            case(concat!($shell, "_traps"), $prog, &["traps.sh"], ""),
            case(concat!($shell, "_jobs"), $prog, &["jobs.sh"], ""),
            case(concat!($shell, "_misc"), $prog, &["misc.sh"], ""),
            case(concat!($shell, "_pipes"), $prog, &["pipes.sh"], ""),
            case(
                concat!($shell, "_c"),
                $prog,
                &["-c", "trap 'echo bye $?' EXIT; x=$(echo \"$0:$#:$1\" | tr : ' '); echo \"$x\"; \
                       (sleep 0.1; exit 6) & wait $!; echo bg=$?; exit 2", "name", "arg"],
                "",
            ),
            case(
                concat!($shell, "_stdin"),
                $prog,
                &[],
                "x=$(echo piped | tr a-z A-Z)\necho \"$x\"\nfor i in 1 2; do echo $i; done | sort -r\nexit 4\n",
            ),
        )*]
    };
}

const CASES: &[Case] = every_script!(
    "bash": "bash-static",
    "zsh": "zsh-static",
    "mksh": "mksh",
    "mksh_static": MKSH_STATIC,
    "lksh": "lksh",
);

const OWN_CASES: &[Case] = &[
    case("bash_only", "bash-static", &["bash.sh"], ""),
    case("zsh_only", "zsh-static", &["zsh.sh"], ""),
    case("mksh_only", "mksh", &["mksh.sh"], ""),
    case("mksh_static_only", MKSH_STATIC, &["mksh.sh"], ""),
    case("lksh_only", "lksh", &["mksh.sh"], ""),
    case("sash_script", "sash", &["-f", "sash.sh"], ""),
    case("sash_c", "sash", &["-c", "echo $HOME; -echo built in"], ""),
];

const SUITE: Suite = Suite {
    name: "shells",
    files: FILES,
    cases: CASES,
    path: &["usr/bin"],
};

/// Scripts for one shell: the features of bash, zsh and mksh of their own, sash's built-ins.
const OWN: Suite = Suite {
    name: "shells_own",
    files: FILES,
    cases: OWN_CASES,
    path: &["usr/bin"],
};

#[test]
fn shells_match_qemu() {
    if let Some(root) = sysroot_or_skip(&SUITE) {
        run_suite(&SUITE, &root);
    }
}

#[test]
fn bash_and_sash_scripts_match_qemu() {
    if let Some(root) = sysroot_or_skip(&OWN) {
        run_suite(&OWN, &root);
    }
}
