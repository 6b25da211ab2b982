//! Semantics of the `simd_fp` class.

use crate::exec::ExecFn;

pub const HANDLERS: &[(&str, ExecFn)] = &[];
