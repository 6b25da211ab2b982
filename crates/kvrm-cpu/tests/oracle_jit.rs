//! Every oracle fixture replayed with the JIT compiling each block on its
//! first execution (threshold 0), so every lifted instruction runs as
//! compiled code: one test per fixture file, as in `oracle.rs`.
//! `KVRM_ORACLE_FILTER=name` narrows the cases to a file or case name.

use kvrm_cpu::{CpuEngine, ExecMode};
use kvrm_isa::{AddressSpace, Machine};
use kvrm_testkit::MEM_SIZE;

kvrm_testkit::fixture_tests!(
    || Machine::new(
        CpuEngine::with_exec_mode(ExecMode::Jit { threshold: 0 }),
        AddressSpace::flat(MEM_SIZE).expect("flat memory"),
    );
    atomic_excl, atomic_lse, branch, crypto, dp_imm, dp_imm_bitfield, dp_random_seq, dp_reg_1src,
    dp_reg_arith, dp_reg_carry, dp_reg_cond, dp_reg_logic, dp_reg_math, fp_arith, fp_common,
    fp_cvt, ldst_fp, ldst_fpidx, ldst_idx, ldst_imm, ldst_misc, ldst_pair, ldst_reg,
    random_mix_all, random_mix_fp, random_mix_int, random_mix_mem, random_mix_simd,
    simd_fp_arith, simd_fp_misc, simd_int_diff, simd_int_misc, simd_int_rdm, simd_int_same,
    simd_int_shift, simd_ldst_mult, simd_ldst_single, simd_perm, smoke, sys,
);
