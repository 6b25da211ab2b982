//! Busybox applets (tests/busybox): Debian's busybox-static for arm64, fetched by
//! scripts/fetch-busybox.sh, run with `kvrm run` and compared with the outputs recorded under
//! qemu-aarch64 (scripts/record-busybox-expected.sh). See tests/guest/harness.rs for the knobs.

#[path = "../../../tests/guest/harness.rs"]
#[allow(dead_code)] // shared with guest_programs.rs
mod harness;

use harness::{parse_cases, repo_root, run_suite, Item};

fn items() -> Vec<Item> {
    let dir = repo_root().join("tests/busybox");
    let binary = dir.join("build/busybox");
    let items: Vec<Item> = parse_cases(&dir.join("cases.txt"))
        .into_iter()
        .map(|case| Item {
            name: case.name.clone(),
            binary: binary.clone(),
            case,
            engine: None,
        })
        .collect();
    assert!(!items.is_empty(), "no cases in tests/busybox/cases.txt");
    items
}

#[test]
fn busybox_applets() {
    run_suite("busybox", items(), "run scripts/fetch-busybox.sh");
}

/// Every applet again with `--engine jit:2` (nearly all code compiled).
#[test]
fn busybox_applets_on_the_jit() {
    let items = items().iter().map(Item::on_jit).collect();
    run_suite("busybox", items, "run scripts/fetch-busybox.sh");
}

/// Every applet again on the interpreter alone (the default is the JIT).
#[test]
fn busybox_applets_on_the_interpreter() {
    let items = items().iter().map(Item::on_interp).collect();
    run_suite("busybox", items, "run scripts/fetch-busybox.sh");
}
