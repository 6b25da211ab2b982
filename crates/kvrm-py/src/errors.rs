//! Python exceptions: one base class, `kvrm.KvrmError`, and a subclass per
//! kind of failure, with the details as attributes.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::{create_exception, IntoPyObjectExt, PyErr};

use kvrm_isa::{MapError, MemFault};

create_exception!(
    kvrm,
    KvrmError,
    PyException,
    "Base class of every error kvrm raises."
);
create_exception!(
    kvrm,
    BackendUnavailable,
    KvrmError,
    "The requested backend cannot run on this machine (the message says why)."
);
create_exception!(
    kvrm,
    GuestFault,
    KvrmError,
    "The guest's memory access failed: attributes pc, addr, access ('read', 'write', 'execute'), kind ('unmapped', 'permission', 'alignment'), result."
);
create_exception!(
    kvrm,
    UndefinedInstruction,
    KvrmError,
    "The guest reached an encoding kvrm does not implement: attributes pc, encoding, result."
);
create_exception!(
    kvrm,
    MemoryAccessError,
    KvrmError,
    "A host access (read_memory, write_memory, load_program, memory_view) touched memory that is not mapped or not allowed: attributes addr, access, kind."
);
create_exception!(
    kvrm,
    MappingError,
    KvrmError,
    "map/unmap/protect was refused (overlap, alignment, ...)."
);
create_exception!(
    kvrm,
    MachineBusy,
    KvrmError,
    "The machine is running (start() without wait(), or another thread's execute)."
);
create_exception!(
    kvrm,
    BadElf,
    KvrmError,
    "The file is not a static AArch64 ELF executable kvrm can load."
);

/// Set attributes on an exception instance (best effort: the message
/// already says it all).
pub fn with_attrs(py: Python<'_>, err: PyErr, attrs: &[(&str, Py<PyAny>)]) -> PyErr {
    let value = err.value(py);
    for (name, v) in attrs {
        let _ = value.setattr(*name, v.clone_ref(py));
    }
    err
}

pub fn host_fault(py: Python<'_>, f: MemFault, what: &str) -> PyErr {
    let err = MemoryAccessError::new_err(format!("{what}: {f}"));
    let attrs = || -> PyResult<[(&str, Py<PyAny>); 3]> {
        Ok([
            ("addr", f.addr.into_py_any(py)?),
            ("access", f.access.as_str().into_py_any(py)?),
            ("kind", f.kind.as_str().into_py_any(py)?),
        ])
    };
    match attrs() {
        Ok(a) => with_attrs(py, err, &a),
        Err(e) => e,
    }
}

pub fn map_error(e: MapError) -> PyErr {
    MappingError::new_err(e.to_string())
}

/// Run `f`, turning a Rust panic into `KvrmError` instead of letting it
/// cross into Python as a `PanicException`.
pub fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => Err(KvrmError::new_err(format!(
            "internal error in kvrm: {}",
            panic_text(&p)
        ))),
    }
}

pub fn panic_text(p: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic".to_string()
    }
}
