//! The backends a Python machine can run on.
//!
//! [`Backend`] is an enum rather than a `Box<dyn Engine>` because the views
//! differ per backend (host pointers for the CPU, device pointers and
//! `__cuda_array_interface__` for CUDA); everything else goes through the
//! shared [`Machine`] facade.

use std::sync::Arc;

use kvrm_cpu::{CpuEngine, ExecMode};
use kvrm_cuda::CudaEngine;
use kvrm_isa::space::ContiguousMemory;
use kvrm_isa::{AddressSpace, CpuState, Machine, RunResult};

/// What the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    Auto,
    Cpu,
    Cuda,
}

impl BackendKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Some(Self::Auto),
            "cpu" => Some(Self::Cpu),
            "cuda" | "gpu" => Some(Self::Cuda),
            _ => None,
        }
    }
}

/// `engine="interp"|"jit"`: how the CPU backend runs guest code (ignored by CUDA).
pub fn parse_engine(s: &str) -> pyo3::PyResult<ExecMode> {
    s.parse().map_err(pyo3::exceptions::PyValueError::new_err)
}

/// The CUDA engine, or why it cannot run here (the text of
/// `BackendUnavailable`).
pub fn cuda_engine() -> Result<CudaEngine, String> {
    CudaEngine::new().map_err(|e| {
        format!("backend 'cuda' is unavailable: {e} (backend='cpu' or 'auto' runs on the CPU)")
    })
}

/// Resolve `auto` to the backend that will run. One machine is one GPU
/// lane, which the CPU outruns, so `auto` is the CPU.
pub fn resolve(kind: BackendKind) -> BackendKind {
    match kind {
        BackendKind::Auto | BackendKind::Cpu => BackendKind::Cpu,
        BackendKind::Cuda => BackendKind::Cuda,
    }
}

/// One machine on the backend that runs it.
pub enum Backend {
    Cpu(Machine<CpuEngine>),
    // Boxed: the engine holds the GPU context and buffers (a large value).
    Cuda(Box<Machine<CudaEngine>>),
}

/// The same expression for every backend's machine.
macro_rules! each {
    ($self:expr, $m:ident => $e:expr) => {
        match $self {
            Backend::Cpu($m) => $e,
            Backend::Cuda($m) => $e,
        }
    };
}

impl Backend {
    /// A machine on `kind` (already resolved) running in `space`; `engine`
    /// chooses the CPU backend's interpreter or JIT.
    pub fn new(kind: BackendKind, space: AddressSpace, engine: ExecMode) -> Result<Self, String> {
        match resolve(kind) {
            BackendKind::Cuda => Ok(Backend::Cuda(Box::new(Machine::new(cuda_engine()?, space)))),
            _ => Ok(Backend::Cpu(Machine::new(
                CpuEngine::with_exec_mode(engine),
                space,
            ))),
        }
    }

    pub fn name(&self) -> &'static str {
        each!(self, m => m.name())
    }
    pub fn state(&self) -> &CpuState {
        each!(self, m => m.state())
    }
    pub fn state_mut(&mut self) -> &mut CpuState {
        each!(self, m => m.state_mut())
    }
    pub fn memory(&self) -> &AddressSpace {
        each!(self, m => m.memory())
    }
    pub fn memory_mut(&mut self) -> &mut AddressSpace {
        each!(self, m => m.memory_mut())
    }
    pub fn run(&mut self, budget: u64) -> RunResult {
        each!(self, m => m.run(budget))
    }

    /// Host memory a NumPy view may point into, if this backend keeps guest
    /// memory in host memory that stays put.
    pub fn host_contiguous(&self) -> Option<Arc<ContiguousMemory>> {
        match self {
            Backend::Cpu(m) => m.memory().contiguous().cloned(),
            // Device memory: `__cuda_array_interface__` views come later.
            Backend::Cuda(_) => None,
        }
    }

    /// Before running: NumPy views may have written guest memory (code
    /// included) behind the backend's back.
    pub fn sync_host_views(&mut self) {
        match self {
            Backend::Cpu(m) => {
                let viewed = m
                    .memory()
                    .contiguous()
                    .is_some_and(|c| Arc::strong_count(c) > 1);
                if viewed {
                    m.memory_mut().contiguous_written();
                }
            }
            Backend::Cuda(_) => {}
        }
    }

    /// Guest memory `[addr, addr + len)` as device memory (CUDA backend).
    pub fn device_view(&mut self, addr: u64, len: u64) -> Result<kvrm_cuda::DeviceRange, String> {
        match self {
            Backend::Cuda(m) => m
                .engine
                .export_range(m.space_id, addr, len)
                .map_err(|e| e.to_string()),
            Backend::Cpu(_) => Err("this machine runs on the CPU backend: its memory is host \
                 memory (memory_view gives a NumPy array)"
                .into()),
        }
    }

    /// Before the host reads or writes guest memory: device views may have
    /// written it (CUDA backend; nothing to do on the CPU).
    pub fn sync_device_views(&mut self) -> Result<(), String> {
        match self {
            Backend::Cuda(m) => m
                .engine
                .refresh_exports(m.space_id)
                .map_err(|e| format!("reading device memory back: {e}")),
            Backend::Cpu(_) => Ok(()),
        }
    }

    /// The host address of the machine's architectural state.
    ///
    /// Stable for the machine's life on the CPU backend: the engine keeps
    /// machine states in a `Vec` that only grows when a machine is added, and
    /// a Python machine never adds one after it is made.
    pub fn host_state_ptr(&mut self) -> Option<*mut CpuState> {
        match self {
            Backend::Cpu(m) => Some(m.state_mut() as *mut CpuState),
            // The engine's host copy of the state is synchronised per launch.
            Backend::Cuda(_) => None,
        }
    }
}
