//! kvrm's block IR: a guest basic block lifted from A64 into a small typed SSA
//! form, optimised by separate passes and consumed by backends (Cranelift for
//! the CPU, CUDA C later). Nothing here refers to host pointers or to a
//! backend's types.
//!
//! - [`opcodes`]: the opcode table (result and argument types per opcode);
//! - [`block`]: blocks, values and instructions;
//! - [`lift`]: A64 to IR, one file per instruction class; anything not lifted
//!   is a `Fallback` to the interpreter for that one instruction;
//! - [`opt`]: get/set elimination, dead flags, constant folding, dead code
//!   elimination, and the verifier.

pub mod block;
pub mod lift;
pub mod opcodes;
pub mod opt;

pub use block::{Arg, Block, Inst, Value};
pub use lift::lift_block;
pub use opcodes::{Extend, Kind, MemOp, Op, Order, Ty};
