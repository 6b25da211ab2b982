//! The verifier: every argument has the kind and type the opcode table says,
//! every value is defined before its use, the block starts with a `Mark`, has
//! exactly one terminator (last) and as many `Mark`s as guest instructions.

use crate::block::{Arg, Block};
use crate::opcodes::{Kind, Op, Ty};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyError {
    pub inst: usize,
    pub message: String,
}

pub fn verify(b: &Block) -> Result<(), VerifyError> {
    let err = |inst: usize, message: String| Err(VerifyError { inst, message });
    if b.insts.first().map(|i| i.op) != Some(Op::Mark) {
        return err(0, "a block starts with a Mark".into());
    }
    let mut marks = 0;
    for (i, inst) in b.insts.iter().enumerate() {
        let last = i + 1 == b.insts.len();
        if inst.op.is_terminator() != last {
            return err(i, format!("{} terminator placement", inst.op.name()));
        }
        if inst.op == Op::Mark {
            marks += 1;
        }
        let kinds = inst.op.args();
        for (k, a) in inst.args.iter().enumerate() {
            let ok = match (kinds.get(k), a) {
                (None, Arg::None) => true,
                (Some(Kind::Imm), Arg::Imm(_)) => true,
                (Some(Kind::Reg), Arg::Reg(r)) => *r < 32,
                (Some(Kind::Val(t)), Arg::Val(v)) => {
                    if v.0 as usize >= i {
                        return err(i, format!("v{} used before its definition", v.0));
                    }
                    b.ty(*v) == *t && *t != Ty::Void
                }
                _ => false,
            };
            if !ok {
                return err(
                    i,
                    format!(
                        "{}: argument {k} is {a:?}, want {:?}",
                        inst.op.name(),
                        kinds.get(k)
                    ),
                );
            }
        }
    }
    if marks != b.guest_len {
        return err(0, format!("{marks} marks for {} instructions", b.guest_len));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::Value;

    fn ok_block() -> Block {
        let mut b = Block::new(0);
        b.push(Op::Mark, &[Arg::Imm(0)]);
        let x = b.push(Op::GetReg, &[Arg::Reg(3)]);
        b.push(Op::ExitIndirect, &[Arg::Val(x)]);
        b
    }

    #[test]
    fn accepts_a_well_formed_block() {
        assert_eq!(verify(&ok_block()), Ok(()));
    }

    #[test]
    fn rejects_type_errors_order_and_terminators() {
        let mut b = ok_block();
        b.insts[1] = crate::block::Inst::new(Op::GetNzcv, &[]);
        assert!(verify(&b).is_err(), "Nzcv where U64 is wanted");

        let mut b = ok_block();
        b.insts[2].args[0] = Arg::Val(Value(2));
        assert!(verify(&b).is_err(), "use before definition");

        let mut b = ok_block();
        b.insts.pop();
        assert!(verify(&b).is_err(), "no terminator");

        let mut b = ok_block();
        b.guest_len = 2;
        assert!(verify(&b).is_err(), "mark count");
    }
}
