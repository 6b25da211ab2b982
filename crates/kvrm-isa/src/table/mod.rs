//! The A64 encoding table: the single source of the instruction set.
//!
//! One file per instruction class, each a list of `enc(NAME, PATTERN)` lines
//! (see [`crate::decode`] for the pattern syntax). Adding an instruction means
//! one line here, one semantic function per backend, and its oracle tests.

use crate::decode::Encoding;

pub mod atomics;
pub mod branch_sys;
pub mod crypto;
pub mod dp_imm;
pub mod dp_reg;
pub mod fp;
pub mod ldst;
pub mod simd_fp;
pub mod simd_int;
pub mod simd_ldst;
pub mod simd_perm;

/// Every class table, in the order the decode table concatenates them.
pub const CLASSES: &[(&str, &[Encoding])] = &[
    ("dp_imm", dp_imm::ENTRIES),
    ("dp_reg", dp_reg::ENTRIES),
    ("branch_sys", branch_sys::ENTRIES),
    ("ldst", ldst::ENTRIES),
    ("atomics", atomics::ENTRIES),
    ("fp", fp::ENTRIES),
    ("simd_int", simd_int::ENTRIES),
    ("simd_perm", simd_perm::ENTRIES),
    ("simd_ldst", simd_ldst::ENTRIES),
    ("simd_fp", simd_fp::ENTRIES),
    ("crypto", crypto::ENTRIES),
];
