//! Every oracle fixture replayed with the JIT's first tier alone (template
//! code for each block on its first execution, `ExecMode::TEMPLATES`), so
//! every lifted instruction runs as template code: one test per fixture file.
//! `KVRM_ORACLE_FILTER=name` narrows the cases to a file or case name.

use kvrm_cpu::{CpuEngine, ExecMode};
use kvrm_isa::{AddressSpace, Machine};
use kvrm_testkit::MEM_SIZE;

kvrm_testkit::every_fixture_test!(|| Machine::new(
    CpuEngine::with_exec_mode(ExecMode::TEMPLATES),
    AddressSpace::flat(MEM_SIZE).expect("flat memory"),
));
