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

/// Guest memory on the GPU, described for CUDA libraries:
/// ``__cuda_array_interface__`` (CuPy, Numba, ``torch.as_tensor``) and
/// DLPack (``torch.from_dlpack``, ``cupy.from_dlpack``). No copy is made:
/// a write through the tensor is the guest's memory at its next run or host
/// access, a guest store shows in the tensor after the run. The view keeps
/// the machine (and so its device memory) alive.
#[pyclass(module = "kvrm", frozen)]
pub struct DeviceArray {
    ptr: u64,
    len: u64,
    device: i32,
    owner: Arc<Shared>,
}

impl DeviceArray {
    pub fn new(ptr: u64, len: u64, device: usize, owner: Arc<Shared>) -> Self {
        DeviceArray {
            ptr,
            len,
            device: device as i32,
            owner,
        }
    }
}

/// DLPack's C structures (dlpack.h, version 0.8 ABI: the unversioned
/// `DLManagedTensor` every consumer accepts).
mod dlpack {
    use std::ffi::c_void;

    pub const DEVICE_CUDA: i32 = 2;
    pub const DTYPE_UINT: u8 = 1;

    #[repr(C)]
    pub struct Device {
        pub device_type: i32,
        pub device_id: i32,
    }

    #[repr(C)]
    pub struct DataType {
        pub code: u8,
        pub bits: u8,
        pub lanes: u16,
    }

    #[repr(C)]
    pub struct Tensor {
        pub data: *mut c_void,
        pub device: Device,
        pub ndim: i32,
        pub dtype: DataType,
        pub shape: *mut i64,
        pub strides: *mut i64,
        pub byte_offset: u64,
    }

    #[repr(C)]
    pub struct ManagedTensor {
        pub dl_tensor: Tensor,
        pub manager_ctx: *mut c_void,
        pub deleter: Option<unsafe extern "C" fn(*mut ManagedTensor)>,
    }
}

/// What a DLPack tensor owns: the structure itself, its shape, and the
/// machine whose device memory it points into.
struct Exported {
    tensor: dlpack::ManagedTensor,
    shape: [i64; 1],
    _owner: Arc<Shared>,
}

const DLTENSOR: &std::ffi::CStr = c"dltensor";

/// DLPack's deleter: the consumer is done with the tensor.
unsafe extern "C" fn delete_exported(t: *mut dlpack::ManagedTensor) {
    if !t.is_null() {
        // SAFETY: `manager_ctx` is the leaked `Box<Exported>` that holds `t`;
        // DLPack calls the deleter once.
        let ctx = unsafe { (*t).manager_ctx } as *mut Exported;
        drop(unsafe { Box::from_raw(ctx) });
    }
}

/// The capsule's destructor: a capsule nobody consumed (still named
/// "dltensor") still owns its tensor.
unsafe extern "C" fn drop_capsule(capsule: *mut pyo3::ffi::PyObject) {
    // SAFETY: called by Python with the capsule being destroyed.
    unsafe {
        if pyo3::ffi::PyCapsule_IsValid(capsule, DLTENSOR.as_ptr()) == 1 {
            let t = pyo3::ffi::PyCapsule_GetPointer(capsule, DLTENSOR.as_ptr())
                as *mut dlpack::ManagedTensor;
            delete_exported(t);
        } else {
            pyo3::ffi::PyErr_Clear();
        }
    }
}

#[pymethods]
impl DeviceArray {
    /// Bytes in the view.
    fn __len__(&self) -> usize {
        self.len as usize
    }

    /// The device address of the first byte.
    #[getter]
    fn ptr(&self) -> u64 {
        self.ptr
    }

    #[getter]
    fn __cuda_array_interface__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item("version", 3)?;
        d.set_item("shape", (self.len,))?;
        d.set_item("typestr", "|u1")?;
        d.set_item("data", (self.ptr, false))?;
        d.set_item("strides", py.None())?;
        // kvrm finishes its device work before returning to Python.
        d.set_item("stream", py.None())?;
        Ok(d)
    }

    /// ``(kDLCUDA, device ordinal)``.
    fn __dlpack_device__(&self) -> (i32, i32) {
        (dlpack::DEVICE_CUDA, self.device)
    }

    /// A DLPack capsule over the view (``torch.from_dlpack(view)``). kvrm's
    /// device work is complete when this returns, so any consumer stream may
    /// use it at once.
    #[pyo3(signature = (*, stream = None, max_version = None, dl_device = None, copy = None))]
    fn __dlpack__<'py>(
        &self,
        py: Python<'py>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<&Bound<'py, PyAny>>,
        dl_device: Option<(i32, i32)>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = (stream, max_version);
        if let Some(dev) = dl_device {
            if dev != (dlpack::DEVICE_CUDA, self.device) {
                return Err(pyo3::exceptions::PyBufferError::new_err(format!(
                    "kvrm device memory lives on CUDA device {}; asked for {dev:?}",
                    self.device
                )));
            }
        }
        if copy == Some(true) {
            return Err(pyo3::exceptions::PyBufferError::new_err(
                "kvrm exports guest memory without copying (copy=True is not supported)",
            ));
        }
        let exported = Box::into_raw(Box::new(Exported {
            tensor: dlpack::ManagedTensor {
                dl_tensor: dlpack::Tensor {
                    data: self.ptr as *mut std::ffi::c_void,
                    device: dlpack::Device {
                        device_type: dlpack::DEVICE_CUDA,
                        device_id: self.device,
                    },
                    ndim: 1,
                    dtype: dlpack::DataType {
                        code: dlpack::DTYPE_UINT,
                        bits: 8,
                        lanes: 1,
                    },
                    shape: std::ptr::null_mut(),
                    strides: std::ptr::null_mut(),
                    byte_offset: 0,
                },
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_exported),
            },
            shape: [self.len as i64],
            _owner: self.owner.clone(),
        }));
        // SAFETY: `exported` is a valid, uniquely owned allocation; the
        // pointers set here point into it and live as long as it does.
        unsafe {
            (*exported).tensor.dl_tensor.shape = (*exported).shape.as_mut_ptr();
            (*exported).tensor.manager_ctx = exported as *mut std::ffi::c_void;
            let tensor = std::ptr::addr_of_mut!((*exported).tensor);
            let capsule = pyo3::ffi::PyCapsule_New(
                tensor as *mut std::ffi::c_void,
                DLTENSOR.as_ptr(),
                Some(drop_capsule),
            );
            if capsule.is_null() {
                delete_exported(tensor);
                return Err(PyErr::fetch(py));
            }
            Ok(Bound::from_owned_ptr(py, capsule))
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<kvrm.DeviceArray {} bytes at cuda:{} {:#x}>",
            self.len, self.device, self.ptr
        )
    }
}
