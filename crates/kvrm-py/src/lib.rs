//! `kvrm._kvrm`, the native half of the `kvrm` Python package: the Metal
//! system's machine API (`Machine`, alias `CPU` / `ContinuousCPU` /
//! `AsyncCPU`) on kvrm's backends, zero-copy NumPy views, debugging, a
//! syscall hook, and Python exceptions under `kvrm.KvrmError`.

mod backend;
mod core;
mod disasm;
mod errors;
mod linux;
mod machine;
mod views;

use pyo3::prelude::*;

/// Backends that can run here: ``"cpu"``, and ``"cuda"`` when a CUDA driver,
/// a GPU and NVRTC are present (the first call may compile the GPU kernels).
#[pyfunction]
fn available_backends(py: Python<'_>) -> Vec<&'static str> {
    let mut out = vec!["cpu"];
    if py.detach(|| backend::cuda_engine().is_ok()) {
        out.push("cuda");
    }
    out
}

/// Disassemble one A64 instruction word.
#[pyfunction]
fn disassemble(word: u32) -> String {
    disasm::disassemble(word)
}

#[pymodule]
fn _kvrm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<machine::PyMachine>()?;
    m.add_class::<machine::ExecutionResult>()?;
    m.add_class::<machine::Status>()?;
    m.add_class::<machine::TraceEntry>()?;
    m.add_class::<views::HostArray>()?;
    m.add_class::<views::DeviceArray>()?;
    m.add_class::<linux::CompletedRun>()?;
    m.add_function(wrap_pyfunction!(linux::_run_lanes, m)?)?;
    m.add_function(wrap_pyfunction!(linux::_start, m)?)?;
    m.add_class::<linux::RunningProgram>()?;
    m.add_function(wrap_pyfunction!(available_backends, m)?)?;
    m.add_function(wrap_pyfunction!(disassemble, m)?)?;
    m.add("KvrmError", py.get_type::<errors::KvrmError>())?;
    m.add(
        "BackendUnavailable",
        py.get_type::<errors::BackendUnavailable>(),
    )?;
    m.add("GuestFault", py.get_type::<errors::GuestFault>())?;
    m.add(
        "UndefinedInstruction",
        py.get_type::<errors::UndefinedInstruction>(),
    )?;
    m.add(
        "MemoryAccessError",
        py.get_type::<errors::MemoryAccessError>(),
    )?;
    m.add("MappingError", py.get_type::<errors::MappingError>())?;
    m.add("MachineBusy", py.get_type::<errors::MachineBusy>())?;
    m.add("BadElf", py.get_type::<errors::BadElf>())?;
    m.add("DEFAULT_MEMORY_SIZE", kvrm_isa::space::DEFAULT_RAW_MEMORY)?;
    Ok(())
}
