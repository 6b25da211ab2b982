//! The A64 lifter: guest instructions to IR, one file per instruction class
//! (beside the interpreter's `kvrm_cpu::exec` files of the same names).
//!
//! A block starts at a pc and ends at the first branch, at the end of its
//! 4 KiB page (so invalidating a code page drops every block built from it)
//! or after `max_insns` instructions. An instruction the lifter does not know,
//! or an encoding whose fields are reserved, becomes a `Fallback` to the
//! interpreter, which then also raises the right Undefined stop.

use kvrm_isa::decode::{decode_a64, table};

use crate::block::{Arg, Block, Value};
use crate::opcodes::{MemOp, Op};

mod branch;
mod crypto;
mod dp_imm;
mod dp_reg;
mod fp;
mod ldst;
mod simd;
mod simd_ldst;

pub use branch::{FPCR_WRITABLE, FPSR_WRITABLE, ZVA_BYTES};

/// What lifting one instruction did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Lifted {
    /// Emitted; the block continues.
    Next,
    /// Emitted a terminator.
    End,
    /// Not handled (nothing emitted): use the fallback.
    No,
}

/// Lift the block at `start`. `fetch` returns the instruction word at a pc
/// (`None`: not executable, the block ends before it). Returns `None` if not
/// even the first instruction can be fetched.
pub fn lift_block(
    start: u64,
    max_insns: u32,
    mut fetch: impl FnMut(u64) -> Option<u32>,
) -> Option<Block> {
    let mut l = Lifter {
        b: Block::new(start),
        pc: start,
    };
    loop {
        let Some(word) = fetch(l.pc) else {
            if l.b.guest_len == 0 {
                return None;
            }
            let pc = l.pc;
            l.b.push(Op::ExitTo, &[Arg::Imm(pc)]);
            return Some(l.b);
        };
        l.b.push(Op::Mark, &[Arg::Imm(l.pc)]);
        let mark = l.b.insts.len();
        let name = decode_a64(word).map(|id| table().name(id)).unwrap_or("");
        let lifted = lift_one(&mut l, name, word);
        let mut end = lifted == Lifted::End;
        if lifted == Lifted::No {
            debug_assert_eq!(l.b.insts.len(), mark, "{name}: emitted before giving up");
            let pc = l.pc;
            l.b.push(Op::Fallback, &[Arg::Imm(pc), Arg::Imm(word as u64)]);
            // Undefined words, exceptions and system instructions usually
            // stop or jump: what follows them is rarely code.
            end = name.is_empty() || is_system(name);
        }
        if lifted == Lifted::End {
            return Some(l.b);
        }
        l.pc = l.pc.wrapping_add(4);
        if end || l.pc & 0xfff == 0 || l.b.guest_len >= max_insns {
            let pc = l.pc;
            l.b.push(Op::ExitTo, &[Arg::Imm(pc)]);
            return Some(l.b);
        }
    }
}

/// The encoding table's class of an instruction name ("" if none).
fn class_of(name: &str) -> &'static str {
    use std::collections::HashMap;
    use std::sync::OnceLock;
    static BY_NAME: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    let m = BY_NAME.get_or_init(|| {
        let mut m = HashMap::new();
        for (class, entries) in kvrm_isa::table::CLASSES {
            for e in entries.iter() {
                m.insert(e.name, *class);
            }
        }
        m
    });
    m.get(name).copied().unwrap_or("")
}

/// An instruction of the branch / exception / system class.
fn is_system(name: &str) -> bool {
    class_of(name) == "branch_sys"
}

fn lift_one(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let r = dp_imm::lift(l, name, w);
    if r != Lifted::No {
        return r;
    }
    let r = dp_reg::lift(l, name, w);
    if r != Lifted::No {
        return r;
    }
    let r = branch::lift(l, name, w);
    if r != Lifted::No {
        return r;
    }
    match class_of(name) {
        "ldst" => ldst::lift(l, name, w),
        "fp" => fp::lift(l, name, w),
        "simd_ldst" => simd_ldst::lift(l, name, w),
        "crypto" => crypto::lift(l, name, w),
        class => simd::lift(l, class, name, w),
    }
}

/// The block under construction and the pc of the instruction being lifted.
pub(crate) struct Lifter {
    pub b: Block,
    pub pc: u64,
}

impl Lifter {
    pub fn c(&mut self, v: u64) -> Value {
        self.b.push(Op::Const, &[Arg::Imm(v)])
    }

    pub fn un(&mut self, op: Op, a: Value) -> Value {
        self.b.push(op, &[Arg::Val(a)])
    }

    pub fn bin(&mut self, op: Op, a: Value, b: Value) -> Value {
        self.b.push(op, &[Arg::Val(a), Arg::Val(b)])
    }

    /// `op(a, constant)`.
    pub fn bin_c(&mut self, op: Op, a: Value, k: u64) -> Value {
        let k = self.c(k);
        self.bin(op, a, k)
    }

    /// Xn where 31 reads as zero.
    pub fn x(&mut self, n: u32) -> Value {
        if n == 31 {
            self.c(0)
        } else {
            self.b.push(Op::GetReg, &[Arg::Reg(n as u8)])
        }
    }

    /// Xn where 31 is SP.
    pub fn xsp(&mut self, n: u32) -> Value {
        self.b.push(Op::GetReg, &[Arg::Reg(n as u8)])
    }

    /// Write Xn; 31 discards.
    pub fn set_x(&mut self, n: u32, v: Value) {
        if n != 31 {
            self.b.push(Op::SetReg, &[Arg::Reg(n as u8), Arg::Val(v)]);
        }
    }

    /// Write Xn; 31 is SP.
    pub fn set_xsp(&mut self, n: u32, v: Value) {
        self.b.push(Op::SetReg, &[Arg::Reg(n as u8), Arg::Val(v)]);
    }

    /// `v` truncated to the operation width (zero-extended).
    pub fn width(&mut self, v: Value, sf: bool) -> Value {
        if sf {
            v
        } else {
            self.un(Op::Zext32, v)
        }
    }

    pub fn nzcv(&mut self) -> Value {
        self.b.push(Op::GetNzcv, &[])
    }

    pub fn set_nzcv(&mut self, v: Value) {
        self.b.push(Op::SetNzcv, &[Arg::Val(v)]);
    }

    pub fn cond(&mut self, cond: u32) -> Value {
        let f = self.nzcv();
        self.b
            .push(Op::CondHolds, &[Arg::Imm(cond as u64), Arg::Val(f)])
    }

    pub fn load(&mut self, m: MemOp, addr: Value) -> Value {
        let op = if m.size == 16 { Op::Load128 } else { Op::Load };
        self.b.push(op, &[Arg::Imm(m.encode()), Arg::Val(addr)])
    }

    pub fn store(&mut self, m: MemOp, addr: Value, v: Value) {
        let op = if m.size == 16 {
            Op::Store128
        } else {
            Op::Store
        };
        self.b
            .push(op, &[Arg::Imm(m.encode()), Arg::Val(addr), Arg::Val(v)]);
    }

    /// The low 64 bits of Vn.
    pub fn vlo(&mut self, n: u32) -> Value {
        let v = self.b.push(Op::GetVec, &[Arg::Reg(n as u8)]);
        self.un(Op::Lo128, v)
    }

    /// Write a scalar (already zero-extended) to Vd, clearing the upper bits.
    pub fn set_vscalar(&mut self, d: u32, v: Value) {
        let z = self.c(0);
        let q = self.bin(Op::Pack128, v, z);
        self.set_vec(d, q);
    }

    pub fn set_vec(&mut self, d: u32, v: Value) {
        self.b.push(Op::SetVec, &[Arg::Reg(d as u8), Arg::Val(v)]);
    }

    pub fn get_vec(&mut self, n: u32) -> Value {
        self.b.push(Op::GetVec, &[Arg::Reg(n as u8)])
    }

    pub fn exit_to(&mut self, pc: u64) {
        self.b.push(Op::ExitTo, &[Arg::Imm(pc)]);
    }
}

#[cfg(test)]
mod tests;
