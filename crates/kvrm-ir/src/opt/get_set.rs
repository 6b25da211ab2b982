//! Register get/set elimination: a `GetReg` of a register whose value is known
//! in the block (an earlier get or set) becomes that value, and a `SetReg` that
//! a later set of the same register overwrites, with nothing between that may
//! exit, is dropped. A fallback may change any register, so it forgets all.

use crate::block::{Block, Inst, Value};
use crate::opcodes::Op;

pub fn get_set_elimination(b: &mut Block) {
    let mut known: [Option<Value>; 32] = [None; 32];
    // The last set of each register since the last possible exit.
    let mut pending: [Option<usize>; 32] = [None; 32];
    for i in 0..b.insts.len() {
        let inst = b.insts[i];
        match inst.op {
            Op::GetReg => {
                let r = inst.args[0].reg() as usize;
                match known[r] {
                    Some(v) => {
                        b.replace_uses(Value(i as u32), v);
                        b.insts[i] = Inst::NOP;
                    }
                    None => known[r] = Some(Value(i as u32)),
                }
            }
            Op::SetReg => {
                let r = inst.args[0].reg() as usize;
                if let Some(j) = pending[r] {
                    b.insts[j] = Inst::NOP;
                }
                pending[r] = Some(i);
                known[r] = Some(inst.args[1].val());
            }
            Op::Fallback => {
                known = [None; 32];
                pending = [None; 32];
            }
            op if op.may_exit() => pending = [None; 32],
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Arg;

    #[test]
    fn forwards_and_drops_overwritten_sets() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(1)]);
        let one = b.push(Op::Const, &[Arg::Imm(1)]);
        let y = b.push(Op::Add, &[Arg::Val(x), Arg::Val(one)]);
        b.push(Op::SetReg, &[Arg::Reg(1), Arg::Val(y)]);
        let z = b.push(Op::GetReg, &[Arg::Reg(1)]);
        let w = b.push(Op::Add, &[Arg::Val(z), Arg::Val(one)]);
        b.push(Op::SetReg, &[Arg::Reg(1), Arg::Val(w)]);
        b.push(Op::ExitTo, &[Arg::Imm(4)]);
        get_set_elimination(&mut b);
        assert_eq!(b.insts[4], Inst::NOP, "first set is dead");
        assert_eq!(b.insts[5], Inst::NOP, "get forwarded");
        assert_eq!(b.insts[6].args[0], Arg::Val(y));
    }

    #[test]
    fn keeps_sets_before_a_possible_exit_and_forgets_at_fallbacks() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let c = b.push(Op::Const, &[Arg::Imm(8)]);
        b.push(Op::SetReg, &[Arg::Reg(2), Arg::Val(c)]);
        b.push(Op::Load, &[Arg::Imm(8), Arg::Val(c)]);
        b.push(Op::SetReg, &[Arg::Reg(2), Arg::Val(c)]);
        b.push(Op::Fallback, &[Arg::Imm(4), Arg::Imm(0xd503201f)]);
        let g = b.push(Op::GetReg, &[Arg::Reg(2)]);
        b.push(Op::ExitIndirect, &[Arg::Val(g)]);
        let before = b.clone();
        get_set_elimination(&mut b);
        assert_eq!(b, before);
    }
}
