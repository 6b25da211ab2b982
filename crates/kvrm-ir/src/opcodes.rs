//! The opcode table: one line per opcode with its result type and argument
//! kinds. Everything else about an opcode (its name, the verifier's type
//! checks, the printer) is generated from this table, so a backend author reads
//! the IR here.
//!
//! Conventions:
//! - every integer value is a `U64`; 32-bit guest operations are expressed with
//!   explicit `Zext32` / `Sext32` so a backend needs only 64-bit arithmetic;
//! - shift amounts are taken modulo 64 (`Ror32`: modulo 32), as on both hosts;
//! - `Nzcv` values hold the four flags in architectural position (bits 31..28)
//!   and zero elsewhere, exactly as `CpuState::nzcv` does;
//! - `Reg` arguments name X0..X30, and 31 is SP (the lifter turns XZR into
//!   constants and dropped writes); for `GetVec`/`SetVec` they name V0..V31;
//! - SIMD&FP registers are not cached by backends: `GetVec`/`SetVec` read and
//!   write the state, and the helper opcodes below (`Exec`, `Fp*`) read FPCR
//!   and OR their exception flags into FPSR there.

/// Type of an IR value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Void,
    U1,
    U64,
    U128,
    Nzcv,
}

/// What an argument slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A value of this type.
    Val(Ty),
    /// An immediate (u64).
    Imm,
    /// A guest register number 0..=31 (31 = SP).
    Reg,
}

macro_rules! arg_kind {
    (U1) => {
        Kind::Val(Ty::U1)
    };
    (U64) => {
        Kind::Val(Ty::U64)
    };
    (U128) => {
        Kind::Val(Ty::U128)
    };
    (Nzcv) => {
        Kind::Val(Ty::Nzcv)
    };
    (Imm) => {
        Kind::Imm
    };
    (Reg) => {
        Kind::Reg
    };
}

macro_rules! opcodes {
    ($( $(#[$doc:meta])* $name:ident : $ret:ident ( $($arg:ident),* ); )*) => {
        /// An IR opcode (see the table in `opcodes.rs`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Op { $( $(#[$doc])* $name, )* }

        impl Op {
            pub const ALL: &'static [Op] = &[$(Op::$name),*];

            pub fn name(self) -> &'static str {
                match self { $(Op::$name => stringify!($name),)* }
            }

            /// The result type.
            pub fn result(self) -> Ty {
                match self { $(Op::$name => Ty::$ret,)* }
            }

            /// The argument kinds, in order.
            pub fn args(self) -> &'static [Kind] {
                match self { $(Op::$name => &[$(arg_kind!($arg)),*],)* }
            }
        }
    };
}

#[rustfmt::skip]
opcodes! {
    // ----- bookkeeping ------------------------------------------------------
    /// Start of the guest instruction at pc `Imm`: the unit of retirement,
    /// of precise faults and of exits.
    Mark: Void(Imm);
    /// Removed by a pass (skipped by backends).
    Nop: Void();
    // ----- guest state --------------------------------------------------------
    GetReg: U64(Reg);
    SetReg: Void(Reg, U64);
    GetNzcv: Nzcv();
    SetNzcv: Void(Nzcv);
    /// System register `Imm` (a `SYS_*` number) as MRS reads it.
    GetSys: U64(Imm);
    /// SIMD&FP register V`Reg` (128 bits).
    GetVec: U128(Reg);
    SetVec: Void(Reg, U128);
    // ----- constants ------------------------------------------------------------
    Const: U64(Imm);
    ConstU1: U1(Imm);
    ConstNzcv: Nzcv(Imm);
    // ----- 64-bit integer arithmetic -------------------------------------------
    Add: U64(U64, U64);
    Sub: U64(U64, U64);
    Mul: U64(U64, U64);
    /// High 64 bits of the unsigned 128-bit product.
    UMulH: U64(U64, U64);
    /// High 64 bits of the signed 128-bit product.
    SMulH: U64(U64, U64);
    /// Unsigned division; x / 0 = 0.
    UDiv: U64(U64, U64);
    /// Signed division rounding to zero; x / 0 = 0, MIN / -1 = MIN.
    SDiv: U64(U64, U64);
    And: U64(U64, U64);
    Or: U64(U64, U64);
    Xor: U64(U64, U64);
    Not: U64(U64);
    Shl: U64(U64, U64);
    Lshr: U64(U64, U64);
    Ashr: U64(U64, U64);
    Ror: U64(U64, U64);
    /// Rotate the low 32 bits right (amount modulo 32); result zero-extended.
    Ror32: U64(U64, U64);
    Clz: U64(U64);
    Rbit: U64(U64);
    /// Byte reverse of all 64 bits.
    Rev: U64(U64);
    Zext8: U64(U64);
    Zext16: U64(U64);
    Zext32: U64(U64);
    Sext8: U64(U64);
    Sext16: U64(U64);
    Sext32: U64(U64);
    // ----- comparisons and selection ---------------------------------------------
    Eq: U1(U64, U64);
    Ne: U1(U64, U64);
    Select: U64(U1, U64, U64);
    // ----- flags (computed only where a pass keeps them) ------------------------
    /// NZCV of AddWithCarry(a, b, 0), 64-bit.
    AddFlags: Nzcv(U64, U64);
    /// NZCV of AddWithCarry(a, NOT b, 1), 64-bit.
    SubFlags: Nzcv(U64, U64);
    AddFlags32: Nzcv(U64, U64);
    SubFlags32: Nzcv(U64, U64);
    /// N and Z of a logical result, C = V = 0.
    LogicFlags: Nzcv(U64);
    LogicFlags32: Nzcv(U64);
    /// Does condition `Imm` (0..15) hold for the flags?
    CondHolds: U1(Imm, Nzcv);
    SelectNzcv: Nzcv(U1, Nzcv, Nzcv);
    // ----- memory (the Imm is a `MemOp`: size, extension, ordering) ------------
    /// May fault: the block stops precisely at its instruction.
    Load: U64(Imm, U64);
    Load128: U128(Imm, U64);
    /// May fault; a store to a page holding code ends the block after its
    /// instruction.
    Store: Void(Imm, U64, U64);
    Store128: Void(Imm, U64, U128);
    Lo128: U64(U128);
    Hi128: U64(U128);
    Pack128: U128(U64, U64);
    /// Check that `Imm` bytes at the address may be written, stopping with
    /// the fault otherwise (a multi-access store that must be all-or-nothing).
    ProbeWrite: Void(Imm, U64);
    // ----- floating point (helpers: exact soft-float, FPCR from the state) ----
    /// FCVT{N,P,M,Z,A}{S,U} to a general register: the instruction word `Imm`
    /// applied to the low 64 bits of its source; sets FPSR flags.
    FpToInt: U64(Imm, U64);
    /// SCVTF/UCVTF from a general register: word `Imm` applied to Xn's value;
    /// the result is the scalar's bits (zero-extended).
    FpFromInt: U64(Imm, U64);
    /// FCMP/FCMPE (word `Imm`) of two scalars' bits (the second ignored for
    /// the compare-with-zero forms): the NZCV result.
    FpCmp: Nzcv(Imm, U64, U64);
    /// Run the instruction (pc, word) with the interpreter's handler: an
    /// instruction that reads and writes only SIMD&FP registers, FPCR and
    /// FPSR (general registers, flags and memory stay in the block). It stops
    /// the guest (Undefined) only for a reserved encoding.
    Exec: Void(Imm, Imm);
    // ----- control -----------------------------------------------------------
    /// Interpret the instruction (pc, word) with the reference interpreter:
    /// it may read and write any state, fault, jump or stop.
    Fallback: Void(Imm, Imm);
    /// Leave the block to a known pc (terminator).
    ExitTo: Void(Imm);
    /// Leave to the first pc if the condition holds, else the second (terminator).
    ExitCond: Void(U1, Imm, Imm);
    /// Leave to a computed pc (terminator).
    ExitIndirect: Void(U64);
}

impl Op {
    /// Ends a block.
    pub fn is_terminator(self) -> bool {
        matches!(self, Op::ExitTo | Op::ExitCond | Op::ExitIndirect)
    }

    /// May leave the block early (a fault, an interpreted jump or stop), so
    /// every guest register and the flags must be exact before it.
    pub fn may_exit(self) -> bool {
        matches!(
            self,
            Op::Load
                | Op::Load128
                | Op::Store
                | Op::Store128
                | Op::Fallback
                | Op::ProbeWrite
                | Op::Exec
        )
    }

    /// Has an effect besides its result (kept by dead code elimination).
    pub fn has_side_effect(self) -> bool {
        self.may_exit()
            || self.is_terminator()
            || matches!(
                self,
                Op::Mark
                    | Op::SetReg
                    | Op::SetNzcv
                    | Op::SetVec
                    | Op::FpToInt
                    | Op::FpFromInt
                    | Op::FpCmp
            )
    }
}

/// `GetSys` register numbers.
pub const SYS_TPIDR_EL0: u64 = 0;
pub const SYS_FPCR: u64 = 1;
pub const SYS_FPSR: u64 = 2;

/// Zero- or sign-extension of a loaded value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Extend {
    Zero,
    /// Sign-extend to 64 bits.
    Sign64,
    /// Sign-extend to 32 bits, then zero-extend (LDRSB/LDRSH to a W register).
    Sign32,
}

/// Memory ordering of an access.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Order {
    Relaxed,
    Acquire,
    Release,
}

/// The immediate of a memory opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct MemOp {
    /// Access size in bytes: 1, 2, 4, 8 (`Load`/`Store`) or 16 (`*128`).
    pub size: u8,
    pub extend: Extend,
    pub order: Order,
}

impl MemOp {
    pub const fn new(size: u8, extend: Extend) -> Self {
        MemOp {
            size,
            extend,
            order: Order::Relaxed,
        }
    }

    pub fn encode(self) -> u64 {
        let e = match self.extend {
            Extend::Zero => 0,
            Extend::Sign64 => 1,
            Extend::Sign32 => 2,
        };
        let o = match self.order {
            Order::Relaxed => 0,
            Order::Acquire => 1,
            Order::Release => 2,
        };
        self.size as u64 | (e << 8) | (o << 12)
    }

    pub fn decode(imm: u64) -> Self {
        let extend = match (imm >> 8) & 0xf {
            1 => Extend::Sign64,
            2 => Extend::Sign32,
            _ => Extend::Zero,
        };
        let order = match (imm >> 12) & 0xf {
            1 => Order::Acquire,
            2 => Order::Release,
            _ => Order::Relaxed,
        };
        MemOp {
            size: imm as u8,
            extend,
            order,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_consistent() {
        for &op in Op::ALL {
            if op.is_terminator() || op.may_exit() {
                assert_eq!(op.result() == Ty::Void, op != Op::Load && op != Op::Load128);
            }
            assert!(op.args().len() <= 3, "{} has too many arguments", op.name());
        }
    }

    #[test]
    fn memop_round_trips() {
        for size in [1, 2, 4, 8, 16] {
            for extend in [Extend::Zero, Extend::Sign64, Extend::Sign32] {
                for order in [Order::Relaxed, Order::Acquire, Order::Release] {
                    let m = MemOp {
                        size,
                        extend,
                        order,
                    };
                    assert_eq!(MemOp::decode(m.encode()), m);
                }
            }
        }
    }
}
