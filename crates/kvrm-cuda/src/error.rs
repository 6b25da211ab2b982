//! Errors of the CUDA backend: each names why in one line.

/// Why the CUDA backend cannot run (or stopped working).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CudaError {
    /// libcuda could not be loaded.
    #[error("no CUDA driver: {0}")]
    NoDriver(String),
    /// The driver loaded but there is no usable device.
    #[error("no CUDA device: {0}")]
    NoDevice(String),
    /// libnvrtc could not be loaded.
    #[error("no NVRTC library: {0}")]
    NoNvrtc(String),
    /// NVRTC rejected the kernels (the log's first lines).
    #[error("kernel compilation failed: {0}")]
    Compile(String),
    /// A driver call failed.
    #[error("CUDA driver error in {0}")]
    Driver(String),
}
