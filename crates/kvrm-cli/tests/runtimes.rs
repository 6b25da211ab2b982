//! Language runtimes and a compiler from Debian arm64, as a user runs them: Node.js 18 (V8
//! writes and patches AArch64 code as it runs; worker threads and Atomics), Ruby 3.1 (fibers,
//! threads), PHP 8.2, and gcc-12 itself: cc1 compiling C to assembly, and the gcc driver
//! starting cc1, as, collect2 and ld to build a program that then runs; Go 1.19's `go build`
//! (the compiler and linker, Go programs with many threads) and the program it built; OpenJDK
//! 17's `java` running a source file (javac compiles it inside the JVM, then HotSpot runs it:
//! code it compiles and patches as it runs, SIGSEGV for null checks and stack overflow, many
//! threads). Each case is compared with qemu-aarch64 on both engines (harness:
//! sysroot/mod.rs).

#[allow(dead_code)] // run_suite: this suite runs on engines of its own
mod sysroot;

use sysroot::{case, run_suite_on, sysroot_or_skip, Case, Suite};

macro_rules! file {
    ($name:literal) => {
        (
            $name,
            include_str!(concat!("../../../tests/debian/runtimes/", $name)),
        )
    };
}

const FILES: &[(&str, &str)] = &[
    file!("basics.js"),
    file!("workers.js"),
    file!("basics.rb"),
    file!("basics.php"),
    file!("prog.c"),
    file!("cc.sh"),
    file!("main.go"),
    file!("go.mod"),
    file!("go_build.sh"),
    file!("Basics.java"),
];

const CC1: &str = "usr/lib/gcc/aarch64-linux-gnu/12/cc1";
const JAVA: &str = "usr/lib/jvm/java-17-openjdk-arm64/bin/java";

const CASES: &[Case] = &[
    case("node_basics", "node", &["basics.js"], ""),
    case("node_workers", "node", &["workers.js"], ""),
    case(
        "node_eval_stdin",
        "node",
        &["-"],
        "const os = require('os'); process.stdout.write(os.EOL + [1, 2, 3].map(x => x * 2) + '\\n');\n",
    ),
    case("ruby_basics", "ruby3.1", &["basics.rb"], ""),
    case("ruby_syntax_error", "ruby3.1", &["-e", "def x(; end"], ""),
    // -n: no php.ini (none is installed).
    case("php_basics", "php8.2", &["-n", "basics.php"], ""),
    case(
        "gcc_cc1_O2",
        CC1,
        &["-quiet", "-imultiarch", "aarch64-linux-gnu", "-O2", "prog.c", "-o", "-"],
        "",
    ),
    case(
        "gcc_cc1_O0_error",
        CC1,
        &["-quiet", "-imultiarch", "aarch64-linux-gnu", "-", "-o", "-"],
        "int main(void) { return undeclared; }\n",
    ),
    case("gcc_driver", "dash", &["cc.sh"], ""),
    case("go_build", "dash", &["go_build.sh"], ""),
    // No performance data file in /tmp; the source and the output in UTF-8 whatever the
    // locale (the suite runs without LANG: glibc's C.UTF-8 is not in the sysroot).
    case(
        "java_source_file",
        JAVA,
        &[
            "-XX:-UsePerfData",
            "-Dfile.encoding=UTF-8",
            "-Dsun.stdout.encoding=UTF-8",
            "Basics.java",
        ],
        "",
    ),
];

const SUITE: Suite = Suite {
    name: "runtimes",
    files: FILES,
    cases: CASES,
    path: &["usr/bin"],
};

#[test]
fn language_runtimes_and_gcc_match_qemu() {
    let Some(root) = sysroot_or_skip(&SUITE) else {
        return;
    };
    // The JIT at its default threshold, as users run it: with every block compiled after two
    // runs (the other suites' `jit:2`) V8's start-up alone takes about 25 s here.
    run_suite_on(&SUITE, &root, &["interp", "jit"]);
}
