//! Dead flag elimination: NZCV is a value; a `GetNzcv` after a `SetNzcv` (or
//! another get) is that value, and a `SetNzcv` overwritten before anything
//! reads the flags or may exit is dropped, so dead code elimination then
//! removes the flag computation itself.

use crate::block::{Block, Inst, Value};
use crate::opcodes::Op;

pub fn dead_flag_elimination(b: &mut Block) {
    let mut known: Option<Value> = None;
    let mut pending: Option<usize> = None;
    for i in 0..b.insts.len() {
        let inst = b.insts[i];
        match inst.op {
            Op::GetNzcv => match known {
                Some(v) => {
                    b.replace_uses(Value(i as u32), v);
                    b.insts[i] = Inst::NOP;
                }
                None => known = Some(Value(i as u32)),
            },
            Op::SetNzcv => {
                if let Some(j) = pending {
                    b.insts[j] = Inst::NOP;
                }
                pending = Some(i);
                known = Some(inst.args[0].val());
            }
            Op::Fallback => {
                known = None;
                pending = None;
            }
            op if op.may_exit() => pending = None,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Arg;

    #[test]
    fn overwritten_flags_die_and_reads_are_forwarded() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(0)]);
        let f1 = b.push(Op::LogicFlags, &[Arg::Val(x)]);
        b.push(Op::SetNzcv, &[Arg::Val(f1)]);
        let f2 = b.push(Op::SubFlags, &[Arg::Val(x), Arg::Val(x)]);
        b.push(Op::SetNzcv, &[Arg::Val(f2)]);
        let g = b.push(Op::GetNzcv, &[]);
        let c = b.push(Op::CondHolds, &[Arg::Imm(0), Arg::Val(g)]);
        b.push(Op::ExitCond, &[Arg::Val(c), Arg::Imm(0), Arg::Imm(4)]);
        dead_flag_elimination(&mut b);
        assert_eq!(b.insts[3], Inst::NOP);
        assert_eq!(b.insts[6], Inst::NOP);
        assert_eq!(b.insts[7].args[1], Arg::Val(f2));
        crate::opt::dead_code_elimination(&mut b);
        assert!(!b.insts.iter().any(|i| i.op == Op::LogicFlags), "{b}");
    }

    #[test]
    fn flags_before_a_load_stay() {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(0)]);
        let f1 = b.push(Op::LogicFlags, &[Arg::Val(x)]);
        b.push(Op::SetNzcv, &[Arg::Val(f1)]);
        b.push(Op::Load, &[Arg::Imm(8), Arg::Val(x)]);
        b.push(Op::SetNzcv, &[Arg::Val(f1)]);
        b.push(Op::ExitTo, &[Arg::Imm(4)]);
        let before = b.clone();
        dead_flag_elimination(&mut b);
        assert_eq!(b, before);
    }
}
