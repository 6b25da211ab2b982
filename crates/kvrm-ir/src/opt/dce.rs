//! Dead code elimination: drop every instruction without side effects whose
//! value nothing uses, then renumber.

use crate::block::{Block, Inst};
use crate::opcodes::Op;

pub fn dead_code_elimination(b: &mut Block) {
    let mut used = vec![false; b.insts.len()];
    for i in (0..b.insts.len()).rev() {
        let inst = b.insts[i];
        if inst.op == Op::Nop {
            continue;
        }
        if !inst.op.has_side_effect() && !used[i] {
            b.insts[i] = Inst::NOP;
            continue;
        }
        for v in inst.values() {
            used[v.0 as usize] = true;
        }
    }
    b.compact();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Arg;

    #[test]
    fn unused_values_go_and_effects_stay() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(0)]);
        let _dead = b.push(Op::Not, &[Arg::Val(x)]);
        let l = b.push(Op::Load, &[Arg::Imm(8), Arg::Val(x)]); // unused but may fault
        let _ = l;
        b.push(Op::ExitIndirect, &[Arg::Val(x)]);
        dead_code_elimination(&mut b);
        let ops: Vec<Op> = b.insts.iter().map(|i| i.op).collect();
        assert_eq!(ops, [Op::Mark, Op::GetReg, Op::Load, Op::ExitIndirect]);
        assert_eq!(crate::opt::verify(&b), Ok(()));
    }
}
