//! Engines: many guest machines per backend.
//!
//! An [`Engine`] owns address spaces ([`AddressSpace`], the neutral type every
//! backend shares) and machines (architectural state + the address space it
//! runs in). [`Engine::run`] runs a set of machines for a budget of
//! instructions each and reports one [`MachineStop`] per machine. Guest threads
//! are machines that share an address space; a forked process gets a
//! copy-on-write clone of its parent's.
//!
//! The Linux kernel (`kvrm-linux`) drives any engine through this trait; the
//! CPU backend and the CUDA backend implement it. [`Machine`] is the one-machine
//! special case (raw programs, the oracle replay).

use std::time::{Duration, Instant};

use crate::space::AddressSpace;
use crate::state::CpuState;
use crate::stop::{MemFault, StopReason, Watchpoint};

/// An address space owned by an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpaceId(pub u32);

/// A machine (one guest CPU) owned by an engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MachineId(pub u32);

/// Why one machine stopped, and how far it got.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MachineStop {
    pub machine: MachineId,
    pub stop: StopReason,
    /// Instructions this machine retired in the call.
    pub instructions: u64,
}

/// A backend that runs many machines.
///
/// Host access to guest memory goes through [`Engine::space`] /
/// [`Engine::space_mut`]; an engine that keeps memory elsewhere (a GPU)
/// synchronises through the address space's dirty and stale page tracking.
pub trait Engine: Send {
    /// Short backend name (`"cpu"`, `"cuda"`).
    fn name(&self) -> &'static str;

    /// Take ownership of an address space.
    fn add_space(&mut self, space: AddressSpace) -> SpaceId;
    /// A copy-on-write clone of `space` (for `fork`).
    fn fork_space(&mut self, space: SpaceId) -> SpaceId;
    /// Drop an address space no machine runs in any more.
    fn remove_space(&mut self, space: SpaceId) -> Option<AddressSpace>;
    fn space(&self, space: SpaceId) -> &AddressSpace;
    fn space_mut(&mut self, space: SpaceId) -> &mut AddressSpace;

    /// A new machine with `state`, running in `space`.
    fn add_machine(&mut self, space: SpaceId, state: CpuState) -> MachineId;
    fn remove_machine(&mut self, machine: MachineId);
    /// The address space `machine` runs in.
    fn machine_space(&self, machine: MachineId) -> SpaceId;
    /// Move `machine` to another address space (`execve`).
    fn set_machine_space(&mut self, machine: MachineId, space: SpaceId);
    fn state(&self, machine: MachineId) -> &CpuState;
    fn state_mut(&mut self, machine: MachineId) -> &mut CpuState;

    /// Run each of `machines` until it stops or has retired `budget`
    /// instructions (then its stop is [`StopReason::CycleLimit`]); append one
    /// stop per machine to `out`, in any order.
    fn run(&mut self, machines: &[MachineId], budget: u64, out: &mut Vec<MachineStop>);

    /// Does one `run` advance its machines side by side (a GPU launch), so
    /// that a longer budget costs no machine its turn? The kernel then
    /// lengthens slices while no machine needs it, saving round trips.
    fn runs_side_by_side(&self) -> bool {
        false
    }

    /// Start what [`Self::run`] would do and return without waiting for it,
    /// where this engine can (a GPU launch runs while the host goes on).
    /// `false`: it cannot (the default), nothing was started; call `run`.
    /// While a run is in flight, the host may touch only machines and
    /// address spaces outside it, until [`Self::wait_run`] returns.
    fn start_run(&mut self, _machines: &[MachineId], _budget: u64) -> bool {
        false
    }

    /// Instructions the run in flight has retired so far: a lower bound,
    /// read without waiting for the engine (0 when none is in flight).
    fn run_progress(&self) -> u64 {
        0
    }

    /// Is the run [`Self::start_run`] began still executing?
    fn run_in_flight(&self) -> bool {
        false
    }

    /// Finish the run [`Self::start_run`] began: what `run` would have
    /// appended to `out` (an engine failure stops machines with
    /// [`StopReason::EngineError`], as in `run`).
    fn wait_run(&mut self, _out: &mut Vec<MachineStop>) {}

    /// Deterministic runs: what the generic timer (CNTVCT_EL0) reads during
    /// the next `run`, in nanoseconds; `None` for the host's time.
    fn set_virtual_counter(&mut self, _ticks: Option<u64>) {}

    /// Counters for `--stats` (name, value), backend specific.
    fn stats(&self) -> Vec<(&'static str, u64)> {
        Vec::new()
    }

    /// Stop any machine about to execute an instruction at one of `pcs`
    /// ([`StopReason::Breakpoint`], the instruction not executed); an empty
    /// list removes them. A run of a machine that last stopped on a
    /// breakpoint or watchpoint and still has that pc steps over it: the
    /// first instruction executes without the checks. Returns `false` if
    /// this engine has no breakpoints (the default).
    fn set_breakpoints(&mut self, _pcs: &[u64]) -> bool {
        false
    }

    /// Stop any machine about to access watched memory
    /// ([`StopReason::Watchpoint`], the instruction not executed); an empty
    /// list removes them. Resuming steps over it as for breakpoints. Returns
    /// `false` if this engine has no watchpoints (the default).
    fn set_watchpoints(&mut self, _watch: &[Watchpoint]) -> bool {
        false
    }

    /// Why the last run stopped machines with [`StopReason::EngineError`]
    /// (one line: the cause, the machines and their pcs), once.
    fn take_error(&mut self) -> Option<String> {
        None
    }
}

/// The outcome of one [`Machine::run`] call.
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

/// One machine on an engine of its own: the raw-program API (load bytes, set
/// pc, run for N instructions, read registers and memory).
pub struct Machine<E: Engine> {
    pub engine: E,
    pub id: MachineId,
    pub space_id: SpaceId,
}

impl<E: Engine> Machine<E> {
    /// A machine with zeroed state in `space`.
    pub fn new(mut engine: E, space: AddressSpace) -> Self {
        let space_id = engine.add_space(space);
        let id = engine.add_machine(space_id, CpuState::new());
        Machine {
            engine,
            id,
            space_id,
        }
    }

    pub fn name(&self) -> &'static str {
        self.engine.name()
    }
    pub fn state(&self) -> &CpuState {
        self.engine.state(self.id)
    }
    pub fn state_mut(&mut self) -> &mut CpuState {
        self.engine.state_mut(self.id)
    }
    pub fn memory(&self) -> &AddressSpace {
        self.engine.space(self.space_id)
    }
    pub fn memory_mut(&mut self) -> &mut AddressSpace {
        self.engine.space_mut(self.space_id)
    }

    /// Run until a stop or until `max_instructions` have retired.
    pub fn run(&mut self, max_instructions: u64) -> RunResult {
        let start = Instant::now();
        let mut out = Vec::with_capacity(1);
        self.engine.run(&[self.id], max_instructions, &mut out);
        let s = out.pop().unwrap_or(MachineStop {
            machine: self.id,
            stop: StopReason::CycleLimit,
            instructions: 0,
        });
        RunResult {
            stop: s.stop,
            instructions: s.instructions,
            elapsed: start.elapsed(),
        }
    }

    /// Copy `bytes` into guest memory at `addr` (the Metal system's
    /// `load_program`). The range must be mapped; write permission is not
    /// required.
    pub fn load_program(&mut self, bytes: &[u8], addr: u64) -> Result<(), MemFault> {
        self.memory_mut().write_bytes_force(addr, bytes)
    }
    pub fn set_pc(&mut self, pc: u64) {
        self.state_mut().pc = pc;
    }
    pub fn pc(&self) -> u64 {
        self.state().pc
    }
    /// Read x0..x30 (31 reads as 0, XZR).
    pub fn reg(&self, n: u32) -> u64 {
        self.state().xr(n)
    }
    pub fn set_reg(&mut self, n: u32, value: u64) {
        self.state_mut().set_xr(n, value)
    }
}
