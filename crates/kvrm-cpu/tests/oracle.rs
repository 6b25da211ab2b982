//! Every oracle fixture (tests/oracle/cases) replayed on the CPU backend.
//! Set KVRM_ORACLE_FILTER=name to run one class file or case.

use kvrm_cpu::CpuEngine;
use kvrm_isa::{AddressSpace, Machine};
use kvrm_testkit::{run_all_fixtures, MEM_SIZE};

#[test]
fn cpu_backend_matches_oracle_fixtures() {
    run_all_fixtures(|| {
        Machine::new(
            CpuEngine::new(),
            AddressSpace::flat(MEM_SIZE).expect("flat memory"),
        )
    });
}
