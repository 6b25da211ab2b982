//! Guest programs (tests/guest): AArch64 Linux executables (static, and dynamic ones run with
//! `-L /usr/aarch64-linux-gnu`) built by
//! scripts/build-guests.sh, run with `kvrm run` and compared with the outputs recorded under
//! qemu-aarch64 (scripts/record-guest-expected.sh). See tests/guest/harness.rs for the knobs
//! (KVRM_TEST_RUNNER=qemu-aarch64, KVRM_REQUIRE_GUESTS=1, KVRM_GUEST_FILTER, ...).

#[path = "../../../tests/guest/harness.rs"]
mod harness;

use harness::{
    dyn_sysroot, jit_runs_variant, parse_cases, repo_root, run_suite, Item, GUEST_VARIANTS,
};

/// Every case in every variant whose expected files exist.
fn items() -> Vec<(&'static str, Item)> {
    let dir = repo_root().join("tests/guest");
    let mut items = Vec::new();
    for case in parse_cases(&dir.join("cases.txt")) {
        for v in GUEST_VARIANTS {
            let name = format!("{}-{v}", case.name);
            // The expected files say which variants exist (assembly programs: O2 only).
            if dir.join("expected").join(format!("{name}.status")).exists() {
                let binary = dir.join("build").join(format!("{}-{v}", case.prog));
                let mut case = case.clone();
                if v.starts_with("dyn-") {
                    case.lib_prefix = Some(dyn_sysroot());
                }
                items.push((
                    *v,
                    Item {
                        name,
                        binary,
                        case,
                        engine: None,
                    },
                ));
            }
        }
    }
    assert!(
        !items.is_empty(),
        "no expected files under tests/guest/expected"
    );
    items
}

const MISSING_HINT: &str =
    "run scripts/build-guests.sh (needs gcc-aarch64-linux-gnu, musl-dev:arm64)";

#[test]
fn guest_programs() {
    let items = items().into_iter().map(|(_, i)| i).collect();
    run_suite("guest", items, MISSING_HINT);
}

/// The same programs with `--engine jit:2`, nearly all code compiled (the O2
/// and dyn-O2 variants; all with KVRM_JIT_VARIANTS=all): the same outputs as
/// under qemu-aarch64.
#[test]
fn guest_programs_on_the_jit() {
    run_second_pass(Item::on_jit);
}

/// The same programs on the interpreter alone (the default engine is the
/// JIT); the variants as above.
#[test]
fn guest_programs_on_the_interpreter() {
    run_second_pass(Item::on_interp);
}

/// The variants of `jit_runs_variant`, each item with the engine `engine` sets.
fn run_second_pass(engine: fn(&Item) -> Item) {
    let items = items()
        .into_iter()
        .filter(|(v, _)| jit_runs_variant(v))
        .map(|(_, i)| engine(&i))
        .collect();
    run_suite("guest", items, MISSING_HINT);
}

/// clone3, which qemu-aarch64 7.2 lacks (it says ENOSYS): the oracle is the host kernel.
/// tests/guest/src/clone3.c is built for the host with `cc` and run there; its AArch64 build
/// (clone3-O2) must print the same under kvrm (the checks of struct clone_args are the same on
/// every architecture).
#[test]
fn clone3_matches_the_host_kernel() {
    use std::process::Command;
    let flag = |n: &str| std::env::var(n).is_ok_and(|v| v == "1");
    if flag("KVRM_SKIP_GUESTS") {
        return;
    }
    let skip = |why: &str| {
        assert!(!flag("KVRM_REQUIRE_GUESTS"), "clone3: {why}");
        eprintln!("clone3_matches_the_host_kernel skipped: {why}");
    };
    let root = repo_root();
    let guest = root.join("tests/guest/build/clone3-O2");
    if !guest.exists() {
        return skip(MISSING_HINT);
    }
    let host_bin = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("clone3-host");
    let built = Command::new("cc")
        .args(["-O2", "-pthread", "-o"])
        .arg(&host_bin)
        .arg(root.join("tests/guest/src/clone3.c"))
        .status();
    if !built.is_ok_and(|s| s.success()) {
        return skip("no host C compiler (cc)");
    }
    let host = Command::new(&host_bin)
        .output()
        .expect("run the host build");
    let host_out = String::from_utf8_lossy(&host.stdout).into_owned();
    if host_out.contains("Function not implemented") || host_out.contains("Operation not permitted")
    {
        // A host that filters clone3 (some container seccomp profiles) is no oracle.
        return skip("the host kernel refuses clone3 here");
    }
    let kvrm = Command::new(env!("CARGO_BIN_EXE_kvrm"))
        .arg("run")
        .arg(&guest)
        .output()
        .expect("run kvrm");
    assert_eq!(
        String::from_utf8_lossy(&kvrm.stdout),
        host_out,
        "kvrm stderr: {}",
        String::from_utf8_lossy(&kvrm.stderr)
    );
    assert_eq!(kvrm.status.code(), host.status.code());
}
