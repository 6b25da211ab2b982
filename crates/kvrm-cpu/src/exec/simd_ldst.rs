//! Semantics of the `simd_ldst` class.

use crate::exec::ExecFn;

pub const HANDLERS: &[(&str, ExecFn)] = &[];
