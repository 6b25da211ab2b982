//! `--backend cpu|cuda|auto`: which engine runs the guests.
//!
//! `auto` (the default) takes the GPU only where it is the faster choice: a
//! `--lanes` run of at least [`AUTO_GPU_MIN_LANES`] lanes. One machine is one
//! GPU lane, which the CPU interpreter outruns about 200 times (300 M vs
//! 1.5 M instructions/s), so a single program under `auto` runs on the CPU.

use kvrm_cpu::ExecMode;
use kvrm_cuda::CudaEngine;

/// From this many lanes `--backend auto` runs them on a GPU when one is usable.
/// A first threshold: where the GPU beats every host core depends on the
/// program and the CUDA engine's speed, so measure on the GPU and set it.
pub const AUTO_GPU_MIN_LANES: usize = 64;

/// The `--backend` choice as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum BackendChoice {
    /// The CPU backend (the interpreter), on every host core for `--lanes`.
    Cpu,
    /// kvrm's CUDA backend: every lane in the same GPU launches.
    Cuda,
    /// The GPU for `--lanes` runs of 64 lanes or more when one is usable, else the CPU.
    #[default]
    Auto,
}

/// The backend a run got.
pub enum Backend {
    Cpu,
    Cuda(Box<CudaEngine>),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Cpu => "cpu",
            Backend::Cuda(_) => "cuda",
        }
    }
}

/// A CUDA error on one line (NVRTC logs can span several).
fn one_line(e: &kvrm_cuda::CudaError) -> String {
    e.to_string()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The CPU backend's engine: `--engine`, else the JIT (faster than the
/// interpreter on every program measured, with the same results and counts;
/// cold code is interpreted, so short runs start as fast).
pub fn cpu_mode(exec: Option<ExecMode>) -> ExecMode {
    exec.unwrap_or(ExecMode::JIT)
}

/// The engine `backend` runs with: `--engine`, else its default (the JIT on
/// the CPU; the interpreter kernel on the GPU, whose JIT is opt-in while its
/// NVRTC compile takes seconds).
pub fn mode_for(backend: &Backend, exec: Option<ExecMode>) -> ExecMode {
    match backend {
        Backend::Cpu => cpu_mode(exec),
        Backend::Cuda(_) => exec.unwrap_or(ExecMode::Interp),
    }
}

/// The CUDA engine, translating hot blocks to CUDA C under `--engine jit`
/// (the GPU's JIT: same threshold, counted in entries of a block).
fn cuda_engine(exec: Option<ExecMode>) -> Result<CudaEngine, kvrm_cuda::CudaError> {
    with_engine_mode(CudaEngine::new()?, exec)
}

fn with_engine_mode(
    mut e: CudaEngine,
    exec: Option<ExecMode>,
) -> Result<CudaEngine, kvrm_cuda::CudaError> {
    if let Some(ExecMode::Jit { threshold }) = exec {
        e.set_translation(Some(threshold))?;
    }
    Ok(e)
}

/// Another CUDA engine on GPU `ordinal` in the mode of `exec`, on a stream
/// of its own so that its launches run beside the other engines' (the host
/// threads of a `--lanes` run).
pub fn another_cuda_engine(ordinal: usize, exec: Option<ExecMode>) -> anyhow::Result<CudaEngine> {
    CudaEngine::on_own_stream(ordinal)
        .and_then(|e| with_engine_mode(e, exec))
        .map_err(|e| anyhow::anyhow!("CUDA backend: another engine: {}", one_line(&e)))
}

/// Open the backend for a run of `lanes` lanes. `gpu_fits`: the run can go
/// on the GPU under `auto` (false where only the CPU backend does what was
/// asked). `--backend cuda` with no usable GPU is an error; `auto` that
/// wanted the GPU says once on stderr that it runs on the CPU (not with `quiet`).
pub fn open(
    choice: BackendChoice,
    lanes: usize,
    gpu_fits: bool,
    quiet: bool,
    exec: Option<ExecMode>,
) -> anyhow::Result<Backend> {
    open_in_mode(choice, lanes, gpu_fits, quiet, exec, None)
}

/// [`open`] for a run in `--mode gpu_mode` (a mode other than standard, which
/// only the GPU has): `auto` then takes the GPU for any number of lanes, and
/// where there is none says that the run is standard on the CPU.
pub fn open_in_mode(
    choice: BackendChoice,
    lanes: usize,
    gpu_fits: bool,
    quiet: bool,
    exec: Option<ExecMode>,
    gpu_mode: Option<&str>,
) -> anyhow::Result<Backend> {
    let wants_gpu = lanes >= AUTO_GPU_MIN_LANES || gpu_mode.is_some();
    match choice {
        BackendChoice::Cpu => Ok(Backend::Cpu),
        BackendChoice::Cuda => match cuda_engine(exec) {
            Ok(e) => Ok(Backend::Cuda(Box::new(e))),
            Err(e) => anyhow::bail!("CUDA backend unavailable: {}", one_line(&e)),
        },
        BackendChoice::Auto if gpu_fits && wants_gpu => match cuda_engine(exec) {
            Ok(e) => Ok(Backend::Cuda(Box::new(e))),
            Err(e) => {
                if !quiet {
                    let mode = gpu_mode
                        .map(|m| format!(" in standard mode (--mode {m} needs a GPU)"))
                        .unwrap_or_default();
                    eprintln!(
                        "kvrm: no usable GPU ({}); running on the CPU backend{mode}",
                        one_line(&e)
                    );
                }
                Ok(Backend::Cpu)
            }
        },
        BackendChoice::Auto => Ok(Backend::Cpu),
    }
}
