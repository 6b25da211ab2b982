//! The machine API every backend (CPU interpreter, CUDA) implements.

use std::time::Duration;

use crate::memory::{GuestMemory, MapError, DEFAULT_RAW_MEMORY};
use crate::state::CpuState;
use crate::stop::{MemFault, StopReason};

/// The outcome of one `run` call.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunResult {
    pub stop: StopReason,
    /// Instructions retired during this call.
    pub instructions: u64,
    /// Wall time of this call.
    pub elapsed: Duration,
}

impl RunResult {
    /// Instructions per second of this call.
    pub fn ips(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.instructions as f64 / secs
        } else {
            0.0
        }
    }
}

/// One emulated AArch64 CPU with its guest memory.
///
/// The CPU backend keeps both in host memory; a GPU backend keeps them on the
/// device and synchronises what these accessors touch.
pub trait Backend {
    /// Short backend name (`"cpu"`, `"cuda"`).
    fn name(&self) -> &'static str;
    fn state(&self) -> &CpuState;
    fn state_mut(&mut self) -> &mut CpuState;
    fn memory(&self) -> &GuestMemory;
    fn memory_mut(&mut self) -> &mut GuestMemory;
    /// Run until a stop reason or until `max_instructions` have retired.
    fn run(&mut self, max_instructions: u64) -> RunResult;
    /// Replace the whole guest memory (a new address space, as after
    /// `execve`), dropping everything decoded from the old one.
    fn reset_memory(&mut self, mem: GuestMemory) {
        *self.memory_mut() = mem;
    }

    // ----- conveniences in the ancestor's vocabulary -----------------------

    /// Copy `bytes` into guest memory at `addr` (the ancestor's `load_program`).
    /// The range must be mapped; write permission is not required.
    fn load_program(&mut self, bytes: &[u8], addr: u64) -> Result<(), MemFault> {
        self.memory_mut().write_bytes_force(addr, bytes)
    }
    fn set_pc(&mut self, pc: u64) {
        self.state_mut().pc = pc;
    }
    fn pc(&self) -> u64 {
        self.state().pc
    }
    /// Read x0..x30 (31 reads as 0, XZR).
    fn reg(&self, n: u32) -> u64 {
        self.state().xr(n)
    }
    fn set_reg(&mut self, n: u32, value: u64) {
        self.state_mut().set_xr(n, value)
    }
}

/// Flat guest memory of `size` bytes at address 0, as raw programs expect.
pub fn raw_memory(size: Option<u64>) -> Result<GuestMemory, MapError> {
    GuestMemory::flat(size.unwrap_or(DEFAULT_RAW_MEMORY))
}
