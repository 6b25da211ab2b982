//! Fills the kernel cache (`KVRM_CUDA_CACHE`) for an architecture on a
//! machine with libnvrtc and no GPU: the interpreter's PTX and the
//! relocatable interpreter that translated blocks link with. A GPU machine
//! given that cache skips those compiles (about a minute each there).
//!
//!     KVRM_CUDA_CACHE=DIR cuda_precompile [ARCH]    (default sm_90)

use std::time::Instant;

fn main() {
    // NVRTC's architecture name, as `Gpu::arch` gives it for a device.
    let arch: &'static str = Box::leak(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "sm_90".into())
            .into_boxed_str(),
    );
    let t = Instant::now();
    let report = |what: &str, step: Result<bool, kvrm_cuda::CudaError>| match step {
        Ok(cached) => println!(
            "{what} for {arch}: {} ({:.1} s)",
            if cached { "already cached" } else { "compiled" },
            t.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("cuda_precompile: {what}: {e}");
            std::process::exit(1);
        }
    };
    report(
        "interpreter PTX",
        kvrm_cuda::kernels::interpreter_ptx(arch).map(|(_, cached)| cached),
    );
    let linked = kvrm_cuda::kernels::linked_interpreter_source();
    report(
        "relocatable interpreter for translated blocks",
        kvrm_cuda::kernels::module_cubin(&linked, arch).map(|(_, cached)| cached),
    );
}
