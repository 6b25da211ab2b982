//! Every oracle fixture replayed with the JIT compiling each block on its
//! first execution (threshold 0), so every lifted instruction runs as
//! compiled code. Set KVRM_ORACLE_FILTER=name to run one class file or case.

use kvrm_cpu::{CpuEngine, ExecMode};
use kvrm_isa::{AddressSpace, Machine};
use kvrm_testkit::{run_all_fixtures, MEM_SIZE};

#[test]
fn jit_matches_oracle_fixtures() {
    run_all_fixtures(|| {
        Machine::new(
            CpuEngine::with_exec_mode(ExecMode::Jit { threshold: 0 }),
            AddressSpace::flat(MEM_SIZE).expect("flat memory"),
        )
    });
}
