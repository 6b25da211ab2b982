//! Zero-copy NumPy views of host memory the machine runs on.
//!
//! A [`HostArray`] describes a piece of host memory through NumPy's
//! `__array_interface__` (no NumPy headers needed at build time, and it works
//! under the stable ABI). `numpy.asarray(host_array)` makes an array whose
//! `base` is the `HostArray`, and the `HostArray` holds an `Arc` of the
//! memory's owner: the array can outlive the machine object, never the
//! memory. The CUDA backend will describe device memory the same way through
//! `__cuda_array_interface__`.

use std::sync::Arc;

use kvrm_isa::space::ContiguousMemory;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use crate::machine::Shared;

/// What keeps the memory behind a view alive.
pub enum Owner {
    /// Guest memory: the address space's contiguous backing.
    Contiguous(#[allow(dead_code)] Arc<ContiguousMemory>),
    /// The machine itself (its register file lives in its engine).
    Machine(#[allow(dead_code)] Arc<Shared>),
}

/// Host memory exposed to NumPy (``numpy.asarray(obj)`` makes the view).
#[pyclass(module = "kvrm", frozen)]
pub struct HostArray {
    ptr: usize,
    shape: Vec<usize>,
    typestr: &'static str,
    _owner: Owner,
}

impl HostArray {
    /// A NumPy array over `ptr` kept alive by `owner`.
    pub fn numpy<'py>(
        py: Python<'py>,
        ptr: usize,
        shape: Vec<usize>,
        typestr: &'static str,
        owner: Owner,
    ) -> PyResult<Bound<'py, PyAny>> {
        let obj = Bound::new(
            py,
            HostArray {
                ptr,
                shape,
                typestr,
                _owner: owner,
            },
        )?;
        py.import("numpy")?.call_method1("asarray", (obj,))
    }
}

#[pymethods]
impl HostArray {
    #[getter]
    fn __array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("version", 3)?;
        d.set_item("shape", pyo3::types::PyTuple::new(py, &self.shape)?)?;
        d.set_item("typestr", self.typestr)?;
        d.set_item("data", (self.ptr, false))?;
        Ok(d)
    }
}
