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

/// The same programs with `--engine jit` (the O2 and dyn-O2 variants; all with
/// KVRM_JIT_VARIANTS=all): the same outputs as under qemu-aarch64.
#[test]
fn guest_programs_on_the_jit() {
    let items = items()
        .into_iter()
        .filter(|(v, _)| jit_runs_variant(v))
        .map(|(_, i)| i.on_jit())
        .collect();
    run_suite("guest", items, MISSING_HINT);
}
