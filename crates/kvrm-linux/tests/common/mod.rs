//! Helpers shared by the integration tests that build guest programs.

use std::process::Command;

/// Whether the cross compiler is there; without it the test is skipped with a
/// printed reason, or fails when KVRM_REQUIRE_GUESTS=1 (as CI sets).
pub fn have_cross_compiler() -> bool {
    let ok = Command::new("aarch64-linux-gnu-gcc")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var("KVRM_REQUIRE_GUESTS").as_deref() != Ok("1"),
            "aarch64-linux-gnu-gcc is missing and KVRM_REQUIRE_GUESTS=1"
        );
        println!("skipped: aarch64-linux-gnu-gcc is not installed");
    }
    ok
}
