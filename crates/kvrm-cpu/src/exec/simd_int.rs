//! Semantics of the `simd_int` class.

use crate::exec::ExecFn;

pub const HANDLERS: &[(&str, ExecFn)] = &[];
