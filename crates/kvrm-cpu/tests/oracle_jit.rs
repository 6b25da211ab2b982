//! Every oracle fixture replayed with the JIT compiling each block on its
//! first execution (threshold 0), so every lifted instruction runs as
//! compiled code: one test per fixture file, as in `oracle.rs`.
//! `KVRM_ORACLE_FILTER=name` narrows the cases to a file or case name.

use kvrm_cpu::{CpuEngine, ExecMode};
use kvrm_isa::{AddressSpace, Machine};
use kvrm_testkit::MEM_SIZE;

kvrm_testkit::every_fixture_test!(|| Machine::new(
    CpuEngine::with_exec_mode(ExecMode::Jit { threshold: 0 }),
    AddressSpace::flat(MEM_SIZE).expect("flat memory"),
));
