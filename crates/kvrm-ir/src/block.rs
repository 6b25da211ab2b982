//! A block: a straight-line list of instructions in SSA form. A value is named
//! by the index of the instruction that defines it, so there are no phis and
//! no value lives outside its block; the last instruction is a terminator.
//! Instructions that may exit (loads, stores, fallbacks) are side exits.

use std::fmt;

use crate::opcodes::{Kind, MemOp, Op, Ty};

/// The value defined by instruction number `.0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Value(pub u32);

/// One argument slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arg {
    None,
    Val(Value),
    Imm(u64),
    Reg(u8),
}

impl Arg {
    pub fn val(self) -> Value {
        match self {
            Arg::Val(v) => v,
            other => panic!("kvrm-ir: {other:?} is not a value"),
        }
    }

    pub fn imm(self) -> u64 {
        match self {
            Arg::Imm(i) => i,
            other => panic!("kvrm-ir: {other:?} is not an immediate"),
        }
    }

    pub fn reg(self) -> u8 {
        match self {
            Arg::Reg(r) => r,
            other => panic!("kvrm-ir: {other:?} is not a register"),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Inst {
    pub op: Op,
    pub args: [Arg; 3],
}

impl Inst {
    pub fn new(op: Op, args: &[Arg]) -> Self {
        let mut a = [Arg::None; 3];
        a[..args.len()].copy_from_slice(args);
        Inst { op, args: a }
    }

    /// The value arguments.
    pub fn values(&self) -> impl Iterator<Item = Value> + '_ {
        self.args.iter().filter_map(|a| match a {
            Arg::Val(v) => Some(*v),
            _ => None,
        })
    }

    pub const NOP: Inst = Inst {
        op: Op::Nop,
        args: [Arg::None; 3],
    };
}

/// A lifted guest block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Guest pc of the first instruction.
    pub start: u64,
    /// Guest instructions covered (the number of `Mark`s).
    pub guest_len: u32,
    pub insts: Vec<Inst>,
}

impl Block {
    pub fn new(start: u64) -> Self {
        Block {
            start,
            guest_len: 0,
            insts: Vec::new(),
        }
    }

    pub fn inst(&self, v: Value) -> &Inst {
        &self.insts[v.0 as usize]
    }

    /// The constant targets of the block's terminator (none for an
    /// indirect branch).
    pub fn static_targets(&self) -> Vec<u64> {
        let Some(last) = self.insts.last() else {
            return Vec::new();
        };
        let targets = match last.op {
            Op::ExitTo => &last.args[..1],
            Op::ExitCond => &last.args[1..3],
            _ => &[],
        };
        targets
            .iter()
            .filter_map(|a| match a {
                Arg::Imm(pc) => Some(*pc),
                _ => None,
            })
            .collect()
    }

    /// Where the call that ends the block (BL, BLR) returns: the constant
    /// it links into X30.
    pub fn return_point(&self) -> Option<u64> {
        let last = self.insts.last()?;
        if !matches!(last.op, Op::ExitTo | Op::ExitIndirect) {
            return None;
        }
        // The link is set by the block's last guest instruction: no `Mark`
        // after it.
        let link = self
            .insts
            .iter()
            .rev()
            .take_while(|i| i.op != Op::Mark)
            .find(|i| i.op == Op::SetReg && i.args[0].reg() == 30)?;
        match link.args[1] {
            Arg::Val(v) => self.const_of(v),
            Arg::Imm(k) => Some(k),
            _ => None,
        }
    }

    /// Guest instructions of the block left to the interpreter.
    pub fn fallbacks(&self) -> usize {
        self.insts.iter().filter(|i| i.op == Op::Fallback).count()
    }

    pub fn ty(&self, v: Value) -> Ty {
        self.inst(v).op.result()
    }

    /// The constant a value is, if it is one.
    pub fn const_of(&self, v: Value) -> Option<u64> {
        let i = self.inst(v);
        match i.op {
            Op::Const | Op::ConstU1 | Op::ConstNzcv => Some(i.args[0].imm()),
            _ => None,
        }
    }

    /// Append an instruction; returns its value.
    pub fn push(&mut self, op: Op, args: &[Arg]) -> Value {
        if op == Op::Mark {
            self.guest_len += 1;
        }
        self.insts.push(Inst::new(op, args));
        Value(self.insts.len() as u32 - 1)
    }

    /// Remove `Nop`s, renumbering values.
    pub fn compact(&mut self) {
        let mut map = vec![Value(u32::MAX); self.insts.len()];
        let mut out = Vec::with_capacity(self.insts.len());
        for (i, inst) in self.insts.iter().enumerate() {
            if inst.op == Op::Nop {
                continue;
            }
            let mut inst = *inst;
            for a in inst.args.iter_mut() {
                if let Arg::Val(v) = a {
                    *v = map[v.0 as usize];
                }
            }
            map[i] = Value(out.len() as u32);
            out.push(inst);
        }
        self.insts = out;
    }

    /// Replace every use of `from` by `to`.
    pub fn replace_uses(&mut self, from: Value, to: Value) {
        for inst in self.insts.iter_mut() {
            for a in inst.args.iter_mut() {
                if *a == Arg::Val(from) {
                    *a = Arg::Val(to);
                }
            }
        }
    }
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "block {:#x} ({} guest instructions):",
            self.start, self.guest_len
        )?;
        for (i, inst) in self.insts.iter().enumerate() {
            if inst.op == Op::Mark {
                writeln!(f, "  ; {:#x}", inst.args[0].imm())?;
                continue;
            }
            write!(f, "  ")?;
            if inst.op.result() != Ty::Void {
                write!(f, "v{i} = ")?;
            }
            write!(f, "{}", inst.op.name())?;
            let kinds = inst.op.args();
            for (k, a) in kinds.iter().zip(inst.args.iter()) {
                match (k, a) {
                    (_, Arg::Val(v)) => write!(f, " v{}", v.0)?,
                    (_, Arg::Reg(r)) if matches!(inst.op, Op::GetVec | Op::SetVec) => {
                        write!(f, " q{r}")?
                    }
                    (_, Arg::Reg(31)) => write!(f, " sp")?,
                    (_, Arg::Reg(r)) => write!(f, " x{r}")?,
                    (Kind::Imm, Arg::Imm(m))
                        if matches!(inst.op, Op::Load | Op::Load128 | Op::Store | Op::Store128) =>
                    {
                        write!(f, " {:?}", MemOp::decode(*m))?
                    }
                    (_, Arg::Imm(m)) => write!(f, " {m:#x}")?,
                    (_, Arg::None) => write!(f, " ?")?,
                }
            }
            writeln!(f)?;
        }
        Ok(())
    }
}
