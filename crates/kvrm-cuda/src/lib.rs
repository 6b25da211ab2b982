//! kvrm's CUDA backend: many A64 machines per GPU launch.
//!
//! See [`engine::CudaEngine`]. The kernels are CUDA C++ files in `kernels/`,
//! one per instruction class beside the CPU backend's `exec/<class>.rs`,
//! compiled at run time by NVRTC ([`kernels`]). All CUDA calls go through
//! [`driver`].

pub mod driver;
pub mod error;
pub mod kernels;
pub mod layout;

pub use error::CudaError;
pub mod devmem;
pub mod engine;

pub use engine::CudaEngine;
