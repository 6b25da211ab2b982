//! Semantics of the `atomics` class.

use crate::exec::ExecFn;

pub const HANDLERS: &[(&str, ExecFn)] = &[];
