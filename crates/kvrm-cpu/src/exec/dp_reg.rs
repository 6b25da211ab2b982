//! Semantics of the `dp_reg` class.

use crate::exec::ExecFn;

pub const HANDLERS: &[(&str, ExecFn)] = &[];
