//! Passes over a block, one file each. Each keeps the block's meaning at every
//! exit, including the side exits of loads, stores and fallbacks (a fault
//! must see every register and flag as the interpreter would).

mod const_fold;
mod dce;
mod dead_flags;
mod get_set;
mod verify;

pub use const_fold::{const_fold, eval_pure};
pub use dce::dead_code_elimination;
pub use dead_flags::dead_flag_elimination;
pub use get_set::get_set_elimination;
pub use verify::{verify, VerifyError};

use crate::block::Block;

/// The standard pipeline: forwarding, flags, folding, then clean-up.
pub fn optimize(b: &mut Block) {
    get_set_elimination(b);
    dead_flag_elimination(b);
    const_fold(b);
    dead_code_elimination(b);
    debug_assert_eq!(verify(b), Ok(()), "{b}");
}
