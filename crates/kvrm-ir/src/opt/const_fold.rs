//! Constant folding: an operation whose value arguments are all constants
//! becomes a constant ([`eval_pure`] is the reference meaning of every pure
//! opcode); identities (`x op 0`, `0 op x`, `x & !0`, `x * 1`, a zero
//! extension of a value already that narrow) and address arithmetic
//! `(x + a) + b` fold; a conditional exit on a constant becomes a direct one.

use crate::block::{Arg, Block, Inst, Value};
use crate::opcodes::{Op, Ty};

/// AddWithCarry's NZCV for a `bits`-wide (32 or 64) addition of `x`, `y`, `carry`.
pub fn add_with_carry_flags(x: u64, y: u64, carry: bool, bits64: bool) -> u64 {
    if bits64 {
        let (r1, c1) = x.overflowing_add(y);
        let (r, c2) = r1.overflowing_add(carry as u64);
        let v = ((x ^ r) & (y ^ r)) >> 63;
        ((r >> 63) << 31) | (((r == 0) as u64) << 30) | (((c1 | c2) as u64) << 29) | (v << 28)
    } else {
        let wide = (x as u32 as u64) + (y as u32 as u64) + carry as u64;
        let r = wide as u32;
        let v = (((x as u32 ^ r) & (y as u32 ^ r)) >> 31) as u64;
        (((r >> 31) as u64) << 31) | (((r == 0) as u64) << 30) | ((wide >> 32) << 29) | (v << 28)
    }
}

/// `ConditionHolds(cond)` for packed NZCV.
pub fn cond_holds(cond: u64, nzcv: u64) -> bool {
    let (n, z, c, v) = (
        nzcv >> 31 & 1 != 0,
        nzcv >> 30 & 1 != 0,
        nzcv >> 29 & 1 != 0,
        nzcv >> 28 & 1 != 0,
    );
    let base = match (cond >> 1) & 7 {
        0 => z,
        1 => c,
        2 => n,
        3 => v,
        4 => c && !z,
        5 => n == v,
        6 => n == v && !z,
        _ => true,
    };
    if cond & 1 == 1 && cond & 15 != 15 {
        !base
    } else {
        base
    }
}

/// The value of a pure opcode on constant arguments (immediates and values in
/// argument order; U1 as 0/1), or `None` for opcodes with effects or U128.
pub fn eval_pure(op: Op, a: &[u64]) -> Option<u64> {
    let b = |i: usize| a[i];
    Some(match op {
        Op::Const | Op::ConstU1 | Op::ConstNzcv => b(0),
        Op::Add => b(0).wrapping_add(b(1)),
        Op::Sub => b(0).wrapping_sub(b(1)),
        Op::Mul => b(0).wrapping_mul(b(1)),
        Op::UMulH => ((b(0) as u128 * b(1) as u128) >> 64) as u64,
        Op::SMulH => ((b(0) as i64 as i128 * b(1) as i64 as i128) >> 64) as u64,
        Op::UDiv => b(0).checked_div(b(1)).unwrap_or(0),
        Op::SDiv => {
            if b(1) == 0 {
                0
            } else {
                (b(0) as i64).wrapping_div(b(1) as i64) as u64
            }
        }
        Op::And => b(0) & b(1),
        Op::Or => b(0) | b(1),
        Op::Xor => b(0) ^ b(1),
        Op::Not => !b(0),
        Op::Shl => b(0) << (b(1) & 63),
        Op::Lshr => b(0) >> (b(1) & 63),
        Op::Ashr => ((b(0) as i64) >> (b(1) & 63)) as u64,
        Op::Ror => b(0).rotate_right((b(1) & 63) as u32),
        Op::Ror32 => (b(0) as u32).rotate_right((b(1) & 31) as u32) as u64,
        Op::Clz => b(0).leading_zeros() as u64,
        Op::Rbit => b(0).reverse_bits(),
        Op::Rev => b(0).swap_bytes(),
        Op::Zext8 => b(0) as u8 as u64,
        Op::Zext16 => b(0) as u16 as u64,
        Op::Zext32 => b(0) as u32 as u64,
        Op::Sext8 => b(0) as i8 as i64 as u64,
        Op::Sext16 => b(0) as i16 as i64 as u64,
        Op::Sext32 => b(0) as i32 as i64 as u64,
        Op::Eq => (b(0) == b(1)) as u64,
        Op::Ne => (b(0) != b(1)) as u64,
        Op::Select | Op::SelectNzcv => {
            if b(0) != 0 {
                b(1)
            } else {
                b(2)
            }
        }
        Op::AddFlags => add_with_carry_flags(b(0), b(1), false, true),
        Op::SubFlags => add_with_carry_flags(b(0), !b(1), true, true),
        Op::AddFlags32 => add_with_carry_flags(b(0), b(1), false, false),
        Op::SubFlags32 => add_with_carry_flags(b(0), !b(1), true, false),
        Op::LogicFlags => ((b(0) >> 63) << 31) | (((b(0) == 0) as u64) << 30),
        Op::LogicFlags32 => {
            let r = b(0) as u32;
            (((r >> 31) as u64) << 31) | (((r == 0) as u64) << 30)
        }
        Op::CondHolds => cond_holds(b(0), b(1)) as u64,
        _ => return None,
    })
}

fn const_op(ty: Ty) -> Op {
    match ty {
        Ty::U1 => Op::ConstU1,
        Ty::Nzcv => Op::ConstNzcv,
        _ => Op::Const,
    }
}

pub fn const_fold(b: &mut Block) {
    for i in 0..b.insts.len() {
        let inst = b.insts[i];
        let op = inst.op;
        if matches!(op, Op::Const | Op::ConstU1 | Op::ConstNzcv | Op::Nop) {
            continue;
        }
        let n = op.args().len();
        let consts: Vec<Option<u64>> = inst.args[..n]
            .iter()
            .map(|a| match a {
                Arg::Imm(k) => Some(*k),
                Arg::Val(v) => b.const_of(*v),
                _ => None,
            })
            .collect();
        if consts.iter().all(Option::is_some) && op.result() != Ty::Void {
            let args: Vec<u64> = consts.iter().map(|c| c.unwrap_or(0)).collect();
            if let Some(k) = eval_pure(op, &args) {
                b.insts[i] = Inst::new(const_op(op.result()), &[Arg::Imm(k)]);
                continue;
            }
        }
        match op {
            // CondHolds of AL/NV is true whatever the flags.
            Op::CondHolds if inst.args[0].imm() & 14 == 14 => {
                b.insts[i] = Inst::new(Op::ConstU1, &[Arg::Imm(1)]);
            }
            Op::Select | Op::SelectNzcv => {
                if let Some(c) = consts[0] {
                    let pick = if c != 0 { inst.args[1] } else { inst.args[2] };
                    b.replace_uses(Value(i as u32), pick.val());
                    b.insts[i] = Inst::NOP;
                }
            }
            Op::Add | Op::Sub | Op::Or | Op::Xor | Op::Shl | Op::Lshr | Op::Ashr | Op::Ror
                if consts[1] == Some(0) =>
            {
                b.replace_uses(Value(i as u32), inst.args[0].val());
                b.insts[i] = Inst::NOP;
            }
            Op::Add | Op::Or | Op::Xor if consts[0] == Some(0) => {
                b.replace_uses(Value(i as u32), inst.args[1].val());
                b.insts[i] = Inst::NOP;
            }
            Op::And | Op::Mul if consts[1] == Some(if op == Op::And { u64::MAX } else { 1 }) => {
                b.replace_uses(Value(i as u32), inst.args[0].val());
                b.insts[i] = Inst::NOP;
            }
            Op::And | Op::Mul if consts[0] == Some(if op == Op::And { u64::MAX } else { 1 }) => {
                b.replace_uses(Value(i as u32), inst.args[1].val());
                b.insts[i] = Inst::NOP;
            }
            Op::Zext8 | Op::Zext16 | Op::Zext32 => {
                let x = inst.args[0].val();
                if zero_extended_from(b, x).is_some_and(|n| n <= zext_bytes(op)) {
                    b.replace_uses(Value(i as u32), x);
                    b.insts[i] = Inst::NOP;
                }
            }
            Op::Add => {
                // (x + a) + b -> x + (a + b): addressing after an add.
                let (x, k) = (inst.args[0].val(), consts[1]);
                let inner = b.insts[x.0 as usize];
                if let (Some(k), Op::Add) = (k, inner.op) {
                    if let Some(a) = b.const_of(inner.args[1].val()) {
                        let sum = Inst::new(Op::Const, &[Arg::Imm(a.wrapping_add(k))]);
                        // Reuse this slot's constant argument for the sum.
                        let kv = inst.args[1].val();
                        if b.insts[kv.0 as usize].op == Op::Const && uses(b, kv) == 1 {
                            b.insts[kv.0 as usize] = sum;
                            b.insts[i].args[0] = inner.args[0];
                        }
                    }
                }
            }
            Op::ExitCond => {
                if let Some(c) = consts[0] {
                    let to = if c != 0 { inst.args[1] } else { inst.args[2] };
                    b.insts[i] = Inst::new(Op::ExitTo, &[to]);
                }
            }
            _ => {}
        }
    }
}

/// Bytes kept by a zero extension.
fn zext_bytes(op: Op) -> u64 {
    match op {
        Op::Zext8 => 1,
        Op::Zext16 => 2,
        _ => 4,
    }
}

/// The width in bytes that `v` is known to be zero-extended from: a load of
/// that size (loads zero-extend) or a zero extension.
fn zero_extended_from(b: &Block, v: Value) -> Option<u64> {
    let def = b.insts[v.0 as usize];
    match def.op {
        Op::Load => Some(def.args[0].imm()),
        Op::Zext8 | Op::Zext16 | Op::Zext32 => Some(zext_bytes(def.op)),
        _ => None,
    }
}

fn uses(b: &Block, v: Value) -> usize {
    b.insts
        .iter()
        .flat_map(|i| i.values())
        .filter(|&u| u == v)
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_constants_identities_and_addresses() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let two = b.push(Op::Const, &[Arg::Imm(2)]);
        let three = b.push(Op::Const, &[Arg::Imm(3)]);
        let five = b.push(Op::Add, &[Arg::Val(two), Arg::Val(three)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(1)]);
        let zero = b.push(Op::Const, &[Arg::Imm(0)]);
        let same = b.push(Op::Or, &[Arg::Val(x), Arg::Val(zero)]);
        let a1 = b.push(Op::Add, &[Arg::Val(same), Arg::Val(five)]);
        let eight = b.push(Op::Const, &[Arg::Imm(8)]);
        let a2 = b.push(Op::Add, &[Arg::Val(a1), Arg::Val(eight)]);
        let l = b.push(Op::Load, &[Arg::Imm(8), Arg::Val(a2)]);
        let f = b.push(Op::ConstNzcv, &[Arg::Imm(0x4000_0000)]);
        let c = b.push(Op::CondHolds, &[Arg::Imm(0), Arg::Val(f)]);
        b.push(Op::SetReg, &[Arg::Reg(2), Arg::Val(l)]);
        b.push(Op::ExitCond, &[Arg::Val(c), Arg::Imm(0x40), Arg::Imm(4)]);
        const_fold(&mut b);
        assert_eq!(b.const_of(five), Some(5));
        assert_eq!(b.insts[a1.0 as usize].args[0], Arg::Val(x), "or x, 0 is x");
        assert_eq!(b.insts[a2.0 as usize].args[0], Arg::Val(x), "{b}");
        assert_eq!(b.const_of(b.insts[a2.0 as usize].args[1].val()), Some(13));
        assert_eq!(b.insts.last().map(|i| i.op), Some(Op::ExitTo));
        assert_eq!(b.insts.last().map(|i| i.args[0]), Some(Arg::Imm(0x40)));
        crate::opt::dead_code_elimination(&mut b);
        assert_eq!(crate::opt::verify(&b), Ok(()));
    }

    #[test]
    fn folds_identities_with_the_constant_first_and_narrow_extensions() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(1)]);
        let zero = b.push(Op::Const, &[Arg::Imm(0)]);
        let ones = b.push(Op::Const, &[Arg::Imm(u64::MAX)]);
        let one = b.push(Op::Const, &[Arg::Imm(1)]);
        let or = b.push(Op::Or, &[Arg::Val(zero), Arg::Val(x)]); // mov x, x1
        let and = b.push(Op::And, &[Arg::Val(ones), Arg::Val(or)]);
        let mul = b.push(Op::Mul, &[Arg::Val(and), Arg::Val(one)]);
        let byte = b.push(Op::Load, &[Arg::Imm(1), Arg::Val(mul)]);
        let w = b.push(Op::Zext32, &[Arg::Val(byte)]);
        let wide = b.push(Op::Load, &[Arg::Imm(8), Arg::Val(w)]);
        let kept = b.push(Op::Zext16, &[Arg::Val(wide)]);
        let sub = b.push(Op::Sub, &[Arg::Val(zero), Arg::Val(kept)]); // neg: not an identity
        b.push(Op::SetReg, &[Arg::Reg(2), Arg::Val(sub)]);
        b.push(Op::ExitTo, &[Arg::Imm(4)]);
        const_fold(&mut b);
        assert_eq!(b.insts[byte.0 as usize].args[1], Arg::Val(x), "{b}");
        assert_eq!(b.insts[wide.0 as usize].args[1], Arg::Val(byte), "{b}");
        assert_eq!(
            b.insts[kept.0 as usize].op,
            Op::Zext16,
            "an 8-byte load is wider"
        );
        assert_eq!(
            b.insts[sub.0 as usize].args[0],
            Arg::Val(zero),
            "0 - x stays"
        );
        crate::opt::dead_code_elimination(&mut b);
        assert_eq!(crate::opt::verify(&b), Ok(()));
    }

    #[test]
    fn flags_match_add_with_carry() {
        assert_eq!(eval_pure(Op::SubFlags, &[5, 5]), Some(0x6000_0000), "Z C");
        assert_eq!(eval_pure(Op::SubFlags32, &[0, 1]), Some(0x8000_0000), "N");
        assert_eq!(
            eval_pure(Op::AddFlags, &[i64::MAX as u64, 1]),
            Some(0x9000_0000),
            "N V"
        );
        assert_eq!(
            eval_pure(Op::AddFlags32, &[0xffff_ffff, 1]),
            Some(0x6000_0000),
            "Z C"
        );
        assert_eq!(
            eval_pure(Op::CondHolds, &[0xb, 0x8000_0000]),
            Some(1),
            "LT: N != V"
        );
    }
}
