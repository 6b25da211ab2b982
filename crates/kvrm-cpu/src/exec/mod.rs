//! Semantics of every A64 instruction, one file per instruction class.
//!
//! Each class file exports `HANDLERS: &[(&str, ExecFn)]`, binding the names of
//! its entries in `kvrm_isa::table` to semantic functions. A semantic function
//! receives the CPU and the 32-bit encoding and returns a [`Flow`]:
//! - `Next`: done, the loop advances pc by 4;
//! - `Jump`: done, the function has set pc;
//! - `StopRetired`: done (pc already set), then stop with the reason given to `Cpu::stop`;
//! - `Stop`: not done (fault, undefined); pc still names the instruction.
//!
//! Reserved field values inside a matched pattern return `cpu.undefined(word)`.

use std::sync::OnceLock;

use kvrm_isa::{decode_a64, table};

use crate::Cpu;

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

/// What the run loop does after an instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    Next,
    Jump,
    StopRetired,
    Stop,
}

/// A semantic function.
pub type ExecFn = fn(&mut Cpu, u32) -> Flow;

/// All class handler lists.
pub const CLASS_HANDLERS: &[(&str, &[(&str, ExecFn)])] = &[
    ("dp_imm", dp_imm::HANDLERS),
    ("dp_reg", dp_reg::HANDLERS),
    ("branch_sys", branch_sys::HANDLERS),
    ("ldst", ldst::HANDLERS),
    ("atomics", atomics::HANDLERS),
    ("fp", fp::HANDLERS),
    ("simd_int", simd_int::HANDLERS),
    ("simd_perm", simd_perm::HANDLERS),
    ("simd_ldst", simd_ldst::HANDLERS),
    ("simd_fp", simd_fp::HANDLERS),
    ("crypto", crypto::HANDLERS),
];

/// Semantic function for each decode-table id (unbound names stop as Undefined).
fn handlers_by_id() -> &'static [ExecFn] {
    static BY_ID: OnceLock<Vec<ExecFn>> = OnceLock::new();
    BY_ID.get_or_init(|| {
        let t = table();
        let mut by_id: Vec<ExecFn> = vec![undefined as ExecFn; t.entries.len()];
        for (_, list) in CLASS_HANDLERS {
            for &(name, f) in *list {
                if let Some(id) = t.id_of(name) {
                    by_id[id as usize] = f;
                }
            }
        }
        by_id
    })
}

/// The semantic function for an instruction word.
pub fn handler_for(word: u32) -> ExecFn {
    match decode_a64(word) {
        Some(id) => handlers_by_id()[id as usize],
        None => undefined,
    }
}

/// Stop with `Undefined` naming the encoding.
pub fn undefined(cpu: &mut Cpu, word: u32) -> Flow {
    cpu.undefined(word)
}

/// Unwrap a guest memory access or stop the guest with the fault.
#[macro_export]
macro_rules! mem {
    ($cpu:expr, $access:expr) => {
        match $access {
            Ok(v) => v,
            Err(f) => return $cpu.fault(f),
        }
    };
}

/// `AddWithCarry` from the Arm ARM for a `bits`-wide (32 or 64) operation:
/// returns the result (zero-extended) and the NZCV flags in architectural position.
#[inline(always)]
pub fn add_with_carry(x: u64, y: u64, carry: bool, sf: bool) -> (u64, u64) {
    // Branch-free: each flag is computed as a 0/1 value and shifted into place.
    if sf {
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(carry as u64);
        let n = r >> 63;
        let z = (r == 0) as u64;
        let c = (c1 | c2) as u64;
        let v = ((x ^ r) & (y ^ r)) >> 63;
        (r, (n << 31) | (z << 30) | (c << 29) | (v << 28))
    } else {
        let wide = (x as u32 as u64) + (y as u32 as u64) + carry as u64;
        let r = wide as u32;
        let n = (r >> 31) as u64;
        let z = (r == 0) as u64;
        let c = wide >> 32;
        let v = (((x as u32 ^ r) & (y as u32 ^ r)) >> 31) as u64;
        (r as u64, (n << 31) | (z << 30) | (c << 29) | (v << 28))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_entry_has_a_cpu_handler() {
        let t = table();
        let mut bound = std::collections::HashSet::new();
        for (class, list) in CLASS_HANDLERS {
            for &(name, _) in *list {
                assert!(
                    t.id_of(name).is_some(),
                    "{class}: handler {name} names no table entry"
                );
                assert!(bound.insert(name), "{name} bound twice");
            }
        }
        for e in &t.entries {
            assert!(
                bound.contains(e.name),
                "table entry {} has no CPU handler",
                e.name
            );
        }
    }
}
