//! Every oracle fixture (tests/oracle/cases) replayed on the CPU backend: one test
//! per fixture file, named after it, so a failure names the file and files run in
//! parallel. `KVRM_ORACLE_FILTER=name` narrows the cases to a file or case name;
//! `cargo test --test oracle NAME` narrows the files.

use kvrm_cpu::CpuEngine;
use kvrm_isa::{AddressSpace, Machine};
use kvrm_testkit::MEM_SIZE;

kvrm_testkit::every_fixture_test!(|| Machine::new(
    CpuEngine::new(),
    AddressSpace::flat(MEM_SIZE).expect("flat memory"),
));
