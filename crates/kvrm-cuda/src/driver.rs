//! The one thin module that talks to CUDA (through `cudarc`): every `unsafe`
//! of the backend is here. Everything above it is safe Rust.
//!
//! Libraries are loaded at run time (`dynamic-loading`): with no driver or no
//! NVRTC the calls here return a [`CudaError`] instead of panicking.

use std::sync::Arc;

use cudarc::driver::{
    result, sys, CudaContext, CudaEvent, CudaFunction, CudaSlice, CudaStream, DevicePtr,
    DevicePtrMut, DeviceRepr, LaunchConfig, PinnedHostSlice, PushKernelArg, ValidAsZeroBits,
};
use cudarc::nvrtc::{CompileOptions, Ptx};

use crate::error::CudaError;
use crate::layout::{
    Control, DebugDev, Hot, LaneStop, PageEvent, Pte, SpaceDev, TraceRec, UploadPiece, Watch,
};

// SAFETY: plain `#[repr(C)]` integer structs with no padding invariants;
// all-zero bytes are valid values.
unsafe impl DeviceRepr for Pte {}
unsafe impl ValidAsZeroBits for Pte {}
unsafe impl DeviceRepr for SpaceDev {}
unsafe impl ValidAsZeroBits for SpaceDev {}
unsafe impl DeviceRepr for PageEvent {}
unsafe impl ValidAsZeroBits for PageEvent {}
unsafe impl DeviceRepr for Control {}
unsafe impl ValidAsZeroBits for Control {}
unsafe impl DeviceRepr for Hot {}
unsafe impl ValidAsZeroBits for Hot {}
unsafe impl DeviceRepr for LaneStop {}
unsafe impl DeviceRepr for UploadPiece {}
unsafe impl ValidAsZeroBits for UploadPiece {}
unsafe impl DeviceRepr for Watch {}
unsafe impl ValidAsZeroBits for Watch {}
unsafe impl DeviceRepr for TraceRec {}
unsafe impl ValidAsZeroBits for TraceRec {}
unsafe impl DeviceRepr for DebugDev {}
unsafe impl ValidAsZeroBits for DebugDev {}
unsafe impl ValidAsZeroBits for LaneStop {}

/// Is libcuda loadable?
pub fn driver_present() -> bool {
    // SAFETY: only tries to dlopen the library.
    unsafe { cudarc::driver::sys::is_culib_present() }
}

/// Is libnvrtc loadable?
pub fn nvrtc_present() -> bool {
    // SAFETY: only tries to dlopen the library.
    unsafe { cudarc::nvrtc::sys::is_culib_present() }
}

/// NVRTC's version (major, minor); `None` without the library.
pub fn nvrtc_version() -> Option<(i32, i32)> {
    if !nvrtc_present() {
        return None;
    }
    let (mut major, mut minor) = (0, 0);
    // SAFETY: nvrtcVersion only writes the two integers it is given.
    let r = catch("nvrtc", || unsafe {
        cudarc::nvrtc::sys::nvrtcVersion(&mut major, &mut minor)
    })
    .ok()?;
    (r == cudarc::nvrtc::sys::nvrtcResult::NVRTC_SUCCESS).then_some((major, minor))
}

fn catch<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, CudaError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| CudaError::Driver(format!("{what}: the CUDA library panicked")))
}

/// The NVRTC options of [`compile_ptx`] besides the architecture.
pub const PTX_OPTIONS: &str = "-std=c++17 --device-int128";

/// Compile CUDA C++ to PTX for `arch` (e.g. `sm_90`) with NVRTC.
pub fn compile_ptx(src: &str, arch: &'static str, name: &str) -> Result<String, CudaError> {
    if !nvrtc_present() {
        return Err(CudaError::NoNvrtc(
            "libnvrtc not found (set LD_LIBRARY_PATH)".into(),
        ));
    }
    let opts = CompileOptions {
        arch: Some(arch),
        options: PTX_OPTIONS.split(' ').map(String::from).collect(),
        name: Some(name.into()),
        ..Default::default()
    };
    let res = catch("nvrtc", || cudarc::nvrtc::compile_ptx_with_opts(src, opts))?;
    match res {
        Ok(ptx) => Ok(ptx.to_src()),
        Err(e) => Err(compile_error(&match &e {
            cudarc::nvrtc::CompileError::CompileError { log, .. } => {
                log.to_string_lossy().into_owned()
            }
            other => other.to_string(),
        })),
    }
}

/// An NVRTC log as a one-line error: its first error lines.
fn compile_error(text: &str) -> CudaError {
    let first: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("error"))
        .take(3)
        .collect();
    CudaError::Compile(if first.is_empty() {
        text.lines().next().unwrap_or("unknown").to_string()
    } else {
        first.join(" | ")
    })
}

/// The NVRTC options of [`compile_cubin`] besides the architecture:
/// relocatable device code (the module is linked with another), and the
/// optimisation passes spread over the host's cores.
pub const CUBIN_OPTIONS: &str = "-std=c++17 --device-int128 -rdc=true --split-compile=0";

/// Compile CUDA C++ with NVRTC to a relocatable cubin for `arch` (e.g.
/// `sm_90`: a real architecture), for [`Gpu::link_function`].
pub fn compile_cubin(src: &str, arch: &'static str, name: &str) -> Result<Vec<u8>, CudaError> {
    use cudarc::nvrtc::{result, sys};
    if !nvrtc_present() {
        return Err(CudaError::NoNvrtc(
            "libnvrtc not found (set LD_LIBRARY_PATH)".into(),
        ));
    }
    let src = std::ffi::CString::new(src)
        .map_err(|_| CudaError::Compile("the kernel source holds a NUL byte".into()))?;
    let name = std::ffi::CString::new(name).expect("no NUL in a module name");
    let mut options: Vec<String> = CUBIN_OPTIONS.split(' ').map(String::from).collect();
    options.push(format!("-arch={arch}"));
    catch("nvrtc", || {
        let prog = result::create_program(&src, Some(&name))
            .map_err(|e| CudaError::Compile(format!("create program: {e}")))?;
        // SAFETY: `prog` was created just above and is destroyed once, at
        // the end; `src` and `name` outlive it.
        let out = unsafe {
            match result::compile_program(prog, &options) {
                Err(_) => {
                    let log = result::get_program_log(prog).unwrap_or_default();
                    let log = std::ffi::CStr::from_ptr(log.as_ptr()).to_string_lossy();
                    Err(compile_error(&log))
                }
                Ok(()) => {
                    let mut size = 0usize;
                    let mut cubin = Vec::new();
                    let got = sys::nvrtcGetCUBINSize(prog, &mut size)
                        .result()
                        .and_then(|()| {
                            cubin.resize(size, 0u8);
                            sys::nvrtcGetCUBIN(prog, cubin.as_mut_ptr().cast()).result()
                        });
                    match got {
                        Ok(()) if size > 0 => Ok(cubin),
                        Ok(()) => Err(CudaError::Compile("NVRTC made no cubin".into())),
                        Err(e) => Err(CudaError::Compile(format!("get the cubin: {e}"))),
                    }
                }
            }
        };
        // SAFETY: created above, not destroyed before.
        let _ = unsafe { result::destroy_program(prog) };
        out
    })?
}

fn drv(what: &str) -> impl FnOnce(cudarc::driver::DriverError) -> CudaError + '_ {
    move |e| CudaError::Driver(format!("{what}: {e}"))
}

/// Copy `src[offset..offset + out.len()]` into `out` on the stream `src`
/// belongs to, and wait for it: for callers on any thread that have no
/// [`Gpu`] (the page sources; the copy binds the context to the thread).
pub fn read_bytes(src: &CudaSlice<u8>, offset: usize, out: &mut [u8]) -> Result<(), CudaError> {
    in_allocation("read", offset, out.len(), src.len())?;
    if out.is_empty() {
        return Ok(());
    }
    let stream = src.stream().clone();
    let view = src.slice(offset..offset + out.len());
    stream
        .memcpy_dtoh(&view, out)
        .map_err(drv("copy to host"))?;
    stream.synchronize().map_err(drv("synchronize"))
}

/// A copy of `len` bytes at `offset` of an allocation of `size` bytes stays
/// inside it.
fn in_allocation(what: &str, offset: usize, len: usize, size: usize) -> Result<(), CudaError> {
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(CudaError::Driver(format!(
            "{what} of {len} bytes at {offset:#x} past the allocation's {size:#x}"
        )));
    }
    Ok(())
}

/// Make the device's default memory pool, which every stream allocates
/// from, hand a stream memory that another stream freed only once that free
/// has completed. By default it may give stream B memory that stream A freed
/// behind a kernel still running, making B wait for that kernel: engines on
/// streams of their own (lanes over host threads) would then run their
/// launches one after another. Freed memory also stays in the pool (the default gives it back
/// at every synchronisation, and the engines free and allocate page tables
/// by the thousand).
fn streams_share_no_freed_memory(ctx: &CudaContext) {
    if !ctx.has_async_alloc() {
        return; // no pools: cudarc allocates and frees synchronously
    }
    use sys::CUmemPool_attribute as A;
    let mut pool: sys::CUmemoryPool = std::ptr::null_mut();
    // SAFETY: plain driver calls on the device of a live context; the
    // attribute values are an int and a u64, as the driver documents for
    // these two attributes. Their results are not needed for correctness
    // (only for speed), so a refusal is ignored.
    unsafe {
        if sys::cuDeviceGetDefaultMemPool(&mut pool, ctx.cu_device())
            .result()
            .is_err()
        {
            return;
        }
        let mut internal_dependencies: i32 = 0;
        let _ = sys::cuMemPoolSetAttribute(
            pool,
            A::CU_MEMPOOL_ATTR_REUSE_ALLOW_INTERNAL_DEPENDENCIES,
            (&mut internal_dependencies as *mut i32).cast(),
        );
        let mut keep: u64 = u64::MAX;
        let _ = sys::cuMemPoolSetAttribute(
            pool,
            A::CU_MEMPOOL_ATTR_RELEASE_THRESHOLD,
            (&mut keep as *mut u64).cast(),
        );
    }
}

/// Page-locked host memory that a launch's large copies go through (the
/// launch arena, the gathered pages). The driver stages a copy between
/// pageable memory and the device through small page-locked buffers of its
/// own, a piece at a time, and the engines of other host threads wait for
/// each other there; page-locked memory the copy engine reads and writes
/// directly. Empty until [`Gpu::reserve_host`] sizes it; its bytes are
/// undefined until written.
#[derive(Default)]
pub struct HostBuffer {
    mem: Option<PinnedHostSlice<u8>>,
}

impl HostBuffer {
    /// Bytes it holds.
    pub fn capacity(&self) -> usize {
        self.mem.as_ref().map_or(0, |m| m.len())
    }

    /// Its first `len` bytes.
    pub fn bytes(&self, len: usize) -> Result<&[u8], CudaError> {
        self.check(len)?;
        match &self.mem {
            Some(m) => Ok(&m.as_slice().map_err(drv("pinned memory"))?[..len]),
            None => Ok(&[]),
        }
    }

    /// Its first `len` bytes, to write.
    pub fn bytes_mut(&mut self, len: usize) -> Result<&mut [u8], CudaError> {
        self.check(len)?;
        match &mut self.mem {
            Some(m) => Ok(&mut m.as_mut_slice().map_err(drv("pinned memory"))?[..len]),
            None => Ok(&mut []),
        }
    }

    fn check(&self, len: usize) -> Result<(), CudaError> {
        if len > self.capacity() {
            return Err(CudaError::Driver(format!(
                "{len} bytes of a host buffer of {}",
                self.capacity()
            )));
        }
        Ok(())
    }
}

/// Lanes per block of `kvrm_run` (its `__launch_bounds__` in run.cu).
pub const RUN_BLOCK: u32 = 128;

/// [`Gpu::run_kernel_shape`]: registers and local memory per lane, blocks
/// resident per SM.
#[derive(Clone, Copy, Debug, Default)]
pub struct KernelShape {
    pub registers: u32,
    pub local_bytes: u32,
    pub blocks_per_sm: u32,
}

/// One GPU: a context and its stream.
pub struct Gpu {
    ctx: Arc<CudaContext>,
    stream: Arc<CudaStream>,
    name: String,
    arch: &'static str,
    /// Waits on this Gpu's events sleep instead of spinning (on a stream of
    /// its own: other host threads want the cores while its kernels run).
    blocking_waits: bool,
}

/// The arguments of the `kvrm_run` kernel (see `kernels/run.cu`).
/// The kernel's arguments. The per-launch arrays are device addresses inside
/// the engine's launch arena (engine/arena.rs), which outlives the launch.
pub struct RunArgs<'a> {
    pub states: u64,
    pub lane_machine: u64,
    pub nlanes: u32,
    pub lane_space: u64,
    pub spaces: u64,
    pub pool: &'a mut CudaSlice<u8>,
    pub control: u64,
    pub events: &'a mut CudaSlice<PageEvent>,
    pub decode_cache: &'a mut CudaSlice<u64>,
    pub budgets: u64,
    pub stops: u64,
    pub gen: u32,
    pub progress: u64,
    pub host_progress: &'a HostCounter,
    pub tb: Option<(&'a CudaSlice<u8>, &'a CudaSlice<u64>, u32)>,
    pub hot: Option<&'a CudaSlice<Hot>>,
    /// Breakpoints, watchpoints and the trace ring (`KvrmDebug`), or `None`.
    pub debug: Option<&'a CudaSlice<DebugDev>>,
    /// The warp gate's age bound (`kernels/run.cu`), 0 for none.
    pub gate: u32,
}

pub struct HostCounter {
    _mem: PinnedHostSlice<u64>,
    ptr: *mut u64,
}

// SAFETY: the pointer is into `_mem`, which lives as long as the counter;
// the host only does volatile loads and stores of one aligned u64.
unsafe impl Send for HostCounter {}
unsafe impl Sync for HostCounter {}

impl HostCounter {
    /// The current value (the device may be storing it concurrently).
    pub fn get(&self) -> u64 {
        // SAFETY: aligned, live, mapped memory; a torn read cannot happen
        // for an aligned u64 on the hosts CUDA supports.
        unsafe { std::ptr::read_volatile(self.ptr) }
    }

    /// Set it (only while no kernel stores into it).
    pub fn set(&self, v: u64) {
        // SAFETY: as in `get`.
        unsafe { std::ptr::write_volatile(self.ptr, v) }
    }

    /// The device's address of the counter: with unified addressing (every
    /// 64-bit platform CUDA supports) mapped pinned memory has the same
    /// address on both sides.
    fn device_addr(&self) -> u64 {
        self.ptr as u64
    }
}

impl Gpu {
    /// Open GPU `ordinal`, on the context's default (legacy) stream: its
    /// work is ordered with other libraries' work on that stream (device
    /// views of guest memory written by CuPy or PyTorch, for one).
    pub fn open(ordinal: usize) -> Result<Gpu, CudaError> {
        Self::open_on(ordinal, false)
    }

    /// Open GPU `ordinal` on a stream of its own, whose work runs beside
    /// that of the process's other streams (other engines' launches).
    pub fn open_own_stream(ordinal: usize) -> Result<Gpu, CudaError> {
        Self::open_on(ordinal, true)
    }

    fn open_on(ordinal: usize, own_stream: bool) -> Result<Gpu, CudaError> {
        if !driver_present() {
            return Err(CudaError::NoDriver("libcuda not found".into()));
        }
        let count = catch("device count", CudaContext::device_count)?
            .map_err(|e| CudaError::NoDevice(e.to_string()))?;
        if count as usize <= ordinal {
            return Err(CudaError::NoDevice(format!(
                "{count} device(s), wanted #{ordinal}"
            )));
        }
        let ctx = catch("context", || CudaContext::new(ordinal))?
            .map_err(|e| CudaError::NoDevice(e.to_string()))?;
        let name = ctx.name().map_err(drv("device name"))?;
        let (major, minor) = ctx
            .compute_capability()
            .map_err(drv("compute capability"))?;
        let arch: &'static str = Box::leak(format!("sm_{major}{minor}").into_boxed_str());
        streams_share_no_freed_memory(&ctx);
        let stream = if own_stream {
            // SAFETY: `ctx` is this Gpu's own handle of the context and
            // everything allocated through it is used on its one stream, so
            // there are no uses on other streams for events to order.
            unsafe { ctx.disable_event_tracking() };
            ctx.new_stream().map_err(drv("stream"))?
        } else {
            ctx.default_stream()
        };
        Ok(Gpu {
            ctx,
            stream,
            name,
            arch,
            blocking_waits: own_stream,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// The CUDA ordinal of the device.
    pub fn ordinal(&self) -> usize {
        self.ctx.ordinal()
    }

    /// NVRTC architecture name of the device (`sm_90` on an H100/H200).
    pub fn arch(&self) -> &'static str {
        self.arch
    }

    pub fn load_function(&self, ptx: &str, name: &str) -> Result<CudaFunction, CudaError> {
        Ok(self.load_functions(ptx, &[name])?.remove(0))
    }

    /// Several functions of one module (loaded, and so JIT-compiled, once).
    pub fn load_functions(
        &self,
        ptx: &str,
        names: &[&str],
    ) -> Result<Vec<CudaFunction>, CudaError> {
        let module = self
            .ctx
            .load_module(Ptx::from_src(ptx))
            .map_err(drv("load module"))?;
        names
            .iter()
            .map(|name| {
                let f = module.load_function(name).map_err(drv("load function"))?;
                Gpu::prefer_l1(&f);
                Ok(f)
            })
            .collect()
    }

    /// Link relocatable cubins (from [`compile_cubin`]) into one module and
    /// load its function `name`.
    pub fn link_function(&self, cubins: &[&[u8]], name: &str) -> Result<CudaFunction, CudaError> {
        use cudarc::driver::sys::{CUjitInputType, CUjit_option};
        self.ctx.bind_to_thread().map_err(drv("bind the context"))?;
        let mut log = vec![0u8; 8192];
        let mut options = [
            CUjit_option::CU_JIT_ERROR_LOG_BUFFER,
            CUjit_option::CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
        ];
        let mut values = [log.as_mut_ptr().cast(), log.len() as *mut std::ffi::c_void];
        let mut state: sys::CUlinkState = std::ptr::null_mut();
        let check = |r: sys::CUresult, what: &str, log: &[u8]| -> Result<(), CudaError> {
            if r == sys::CUresult::CUDA_SUCCESS {
                return Ok(());
            }
            let end = log.iter().position(|&b| b == 0).unwrap_or(log.len());
            let text = String::from_utf8_lossy(&log[..end]);
            Err(CudaError::Driver(format!(
                "link the translated blocks: {what}: {r:?} {}",
                text.lines().next().unwrap_or("")
            )))
        };
        // SAFETY: the options point at `log`, which outlives the link state;
        // each image is a cubin NVRTC made, alive for the call that adds it;
        // the linked image is copied out before the state is destroyed.
        unsafe {
            let r = sys::cuLinkCreate_v2(2, options.as_mut_ptr(), values.as_mut_ptr(), &mut state);
            check(r, "create", &log)?;
            let mut linked = Vec::new();
            let mut result = Ok(());
            for (i, cubin) in cubins.iter().enumerate() {
                let name = std::ffi::CString::new(format!("module{i}")).expect("no NUL");
                let r = sys::cuLinkAddData_v2(
                    state,
                    CUjitInputType::CU_JIT_INPUT_CUBIN,
                    cubin.as_ptr() as *mut std::ffi::c_void,
                    cubin.len(),
                    name.as_ptr(),
                    0,
                    std::ptr::null_mut(),
                    std::ptr::null_mut(),
                );
                result = check(r, "add a module", &log);
                if result.is_err() {
                    break;
                }
            }
            if result.is_ok() {
                let mut out: *mut std::ffi::c_void = std::ptr::null_mut();
                let mut size = 0usize;
                let r = sys::cuLinkComplete(state, &mut out, &mut size);
                result = check(r, "complete", &log);
                if result.is_ok() {
                    linked = std::slice::from_raw_parts(out as *const u8, size).to_vec();
                }
            }
            let _ = sys::cuLinkDestroy(state);
            result?;
            let module = self
                .ctx
                .load_module(Ptx::from_binary(linked))
                .map_err(drv("load the linked module"))?;
            let f = module.load_function(name).map_err(drv("load function"))?;
            Gpu::prefer_l1(&f);
            Ok(f)
        }
    }

    fn prefer_l1(f: &CudaFunction) {
        // The interpreter uses no shared memory: give L1 the whole carveout
        // (lane states live in local memory, cached there). A hint only.
        let _ = f.set_attribute(
            cudarc::driver::sys::CUfunction_attribute_enum::CU_FUNC_ATTRIBUTE_PREFERRED_SHARED_MEMORY_CARVEOUT,
            0,
        );
        let _ = f.set_function_cache_config(
            cudarc::driver::sys::CUfunc_cache_enum::CU_FUNC_CACHE_PREFER_L1,
        );
    }

    /// `kvrm_gather_frames` (kernels/run.cu): frames `frames[0..n)` of
    /// `pool` into `out`, one after another.
    pub fn gather_frames(
        &self,
        f: &CudaFunction,
        pool: &CudaSlice<u8>,
        frames: &CudaSlice<u32>,
        n: u32,
        out: &mut CudaSlice<u8>,
    ) -> Result<(), CudaError> {
        let cfg = LaunchConfig {
            grid_dim: (n.saturating_mul(4).clamp(1, 4096), 1, 1),
            block_dim: (128, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = self.stream.launch_builder(f);
        b.arg(pool).arg(frames).arg(&n).arg(out);
        // SAFETY: matches `kvrm_gather_frames`' parameters; the caller sizes
        // `frames` for `n` entries of frames inside `pool`, and `out` for `n`
        // pages.
        unsafe { b.launch(cfg) }.map_err(drv("launch gather"))?;
        Ok(())
    }

    /// `kvrm_scatter` (kernels/run.cu): each of `pieces[0..n)` from `src`
    /// to its device address.
    pub fn scatter(
        &self,
        f: &CudaFunction,
        pieces: &CudaSlice<UploadPiece>,
        n: u32,
        src: &CudaSlice<u8>,
    ) -> Result<(), CudaError> {
        let cfg = LaunchConfig {
            grid_dim: (n.clamp(1, 65_535), 1, 1),
            block_dim: (128, 1, 1),
            shared_mem_bytes: 0,
        };
        let mut b = self.stream.launch_builder(f);
        b.arg(pieces).arg(&n).arg(src);
        // SAFETY: matches `kvrm_scatter`'s parameters; the caller sizes
        // `pieces` for `n` entries, each naming bytes inside `src` and a
        // device range it owns (pool frames, page-table slots).
        unsafe { b.launch(cfg) }.map_err(drv("launch scatter"))?;
        Ok(())
    }

    pub fn zeros<T: DeviceRepr + ValidAsZeroBits>(
        &self,
        n: usize,
    ) -> Result<CudaSlice<T>, CudaError> {
        self.stream.alloc_zeros(n.max(1)).map_err(drv("alloc"))
    }

    pub fn upload<T: DeviceRepr>(&self, data: &[T]) -> Result<CudaSlice<T>, CudaError> {
        if data.is_empty() {
            // SAFETY: a one-element allocation nobody reads before writing.
            return unsafe { self.stream.alloc(1) }.map_err(drv("alloc"));
        }
        self.stream.clone_htod(data).map_err(drv("upload"))
    }

    /// Copy `data` to `dst[offset..]`.
    pub fn write<T: DeviceRepr>(
        &self,
        dst: &mut CudaSlice<T>,
        offset: usize,
        data: &[T],
    ) -> Result<(), CudaError> {
        if data.is_empty() {
            return Ok(());
        }
        let mut view = dst.slice_mut(offset..offset + data.len());
        self.stream
            .memcpy_htod(data, &mut view)
            .map_err(drv("copy to device"))
    }

    /// Copy `src[offset..offset + out.len()]` into `out` (waits for it).
    pub fn read<T: DeviceRepr>(
        &self,
        src: &CudaSlice<T>,
        offset: usize,
        out: &mut [T],
    ) -> Result<(), CudaError> {
        if out.is_empty() {
            return Ok(());
        }
        let view = src.slice(offset..offset + out.len());
        self.stream
            .memcpy_dtoh(&view, out)
            .map_err(drv("copy to host"))?;
        self.sync()
    }

    /// Make `buf` hold at least `len` bytes (page-locked; grown to a power
    /// of two, since pinning is slow and freeing it waits for the device).
    pub fn reserve_host(&self, buf: &mut HostBuffer, len: usize) -> Result<(), CudaError> {
        if buf.capacity() >= len {
            return Ok(());
        }
        buf.mem = None;
        // SAFETY: the bytes start undefined, which HostBuffer documents;
        // flags 0: plain page-locked memory (write-combined memory, cudarc's
        // default, is slow for the host to read).
        let mem = unsafe {
            self.ctx
                .alloc_pinned_with_flags::<u8>(len.next_power_of_two().max(1 << 16), 0)
        }
        .map_err(drv("pinned allocation"))?;
        buf.mem = Some(mem);
        Ok(())
    }

    /// Copy the first `len` bytes of `src` to `dst[offset..]`, and wait
    /// for it (so `src` may be written again at once).
    pub fn write_from_host(
        &self,
        dst: &mut CudaSlice<u8>,
        offset: usize,
        src: &HostBuffer,
        len: usize,
    ) -> Result<(), CudaError> {
        in_allocation("write", offset, len, dst.len())?;
        let bytes = src.bytes(len)?;
        if bytes.is_empty() {
            return Ok(());
        }
        let (ptr, record) = dst.device_ptr_mut(&self.stream);
        // SAFETY: the destination range lies inside `dst` (checked above);
        // `bytes` stays borrowed until the stream has finished the copy
        // (synchronised below).
        let queued = unsafe {
            result::memcpy_htod_async(ptr + offset as u64, bytes, self.stream.cu_stream())
        };
        drop(record);
        queued.map_err(drv("copy to device"))?;
        self.sync()
    }

    /// Copy `len` bytes of `src[offset..]` into the start of `dst` (sized
    /// by [`Gpu::reserve_host`]), and wait for it.
    pub fn read_into_host(
        &self,
        src: &CudaSlice<u8>,
        offset: usize,
        dst: &mut HostBuffer,
        len: usize,
    ) -> Result<(), CudaError> {
        in_allocation("read", offset, len, src.len())?;
        let bytes = dst.bytes_mut(len)?;
        if bytes.is_empty() {
            return Ok(());
        }
        let (ptr, record) = src.device_ptr(&self.stream);
        // SAFETY: the source range lies inside `src` (checked above);
        // `bytes` stays borrowed until the stream has finished the copy
        // (synchronised below).
        let queued = unsafe {
            result::memcpy_dtoh_async(bytes, ptr + offset as u64, self.stream.cu_stream())
        };
        drop(record);
        queued.map_err(drv("copy to host"))?;
        self.sync()
    }

    /// A new allocation holding a copy of `src`.
    pub fn duplicate<T: DeviceRepr>(&self, src: &CudaSlice<T>) -> Result<CudaSlice<T>, CudaError> {
        self.stream.clone_dtod(src).map_err(drv("device copy"))
    }

    /// Copy the first `n` elements of `src` into `dst`.
    pub fn copy<T: DeviceRepr>(
        &self,
        src: &CudaSlice<T>,
        dst: &mut CudaSlice<T>,
        n: usize,
    ) -> Result<(), CudaError> {
        if n == 0 {
            return Ok(());
        }
        let from = src.slice(0..n);
        let mut to = dst.slice_mut(0..n);
        self.stream
            .memcpy_dtod(&from, &mut to)
            .map_err(drv("device copy"))
    }

    /// The device address of `s` (for pointers stored in device structs).
    pub fn address<T>(&self, s: &CudaSlice<T>) -> u64 {
        let (ptr, _sync) = s.device_ptr(&self.stream);
        ptr
    }

    pub fn sync(&self) -> Result<(), CudaError> {
        self.stream.synchronize().map_err(drv("synchronize"))
    }

    /// A counter in pinned host memory mapped into the device.
    pub fn host_counter(&self) -> Result<HostCounter, CudaError> {
        // SAFETY: a one-element allocation, zeroed below before any use.
        let mut mem = unsafe {
            self.ctx.alloc_pinned_with_flags::<u64>(
                1,
                sys::CU_MEMHOSTALLOC_DEVICEMAP | sys::CU_MEMHOSTALLOC_PORTABLE,
            )
        }
        .map_err(drv("pinned allocation"))?;
        let ptr = mem.as_mut_ptr().map_err(drv("pinned allocation"))?;
        let c = HostCounter { _mem: mem, ptr };
        c.set(0);
        Ok(c)
    }

    /// An event marking the work queued so far (`is_done` asks without
    /// waiting).
    pub fn mark(&self) -> Result<CudaEvent, CudaError> {
        // (A blocking event also keeps timing: cudarc's flag type holds one
        // flag, and the cost of timing is small beside a launch's.)
        let flags = self
            .blocking_waits
            .then_some(sys::CUevent_flags::CU_EVENT_BLOCKING_SYNC);
        self.stream.record_event(flags).map_err(drv("record event"))
    }

    /// Wait until the work before `event` has finished.
    pub fn wait_for(&self, event: &CudaEvent) -> Result<(), CudaError> {
        event.synchronize().map_err(drv("wait for event"))
    }

    /// Has the work before `event` finished? Errors of that work surface here.
    pub fn is_done(&self, event: &CudaEvent) -> Result<bool, CudaError> {
        event.try_is_complete().map_err(drv("query event"))
    }

    /// What the compiled `kvrm_run` uses per lane, and how many of its
    /// blocks (`RUN_BLOCK` lanes each) one SM holds at once: with one warp per
    /// scheduler a lane's latency goes unhidden, so this bounds throughput.
    pub fn run_kernel_shape(&self, f: &CudaFunction) -> Result<KernelShape, CudaError> {
        let attr = |a| f.get_attribute(a).map_err(drv("function attribute"));
        use sys::CUfunction_attribute_enum as A;
        Ok(KernelShape {
            registers: attr(A::CU_FUNC_ATTRIBUTE_NUM_REGS)? as u32,
            local_bytes: attr(A::CU_FUNC_ATTRIBUTE_LOCAL_SIZE_BYTES)? as u32,
            blocks_per_sm: f
                .occupancy_max_active_blocks_per_multiprocessor(RUN_BLOCK, 0, None)
                .map_err(drv("occupancy"))?,
        })
    }

    /// Queue `kvrm_run` over `args.nlanes` threads (it runs asynchronously:
    /// `sync`, a read, or `is_done` on a later `mark` waits for it).
    pub fn launch_run(&self, f: &CudaFunction, a: RunArgs<'_>) -> Result<(), CudaError> {
        let block = RUN_BLOCK;
        let cfg = LaunchConfig {
            grid_dim: (a.nlanes.div_ceil(block).max(1), 1, 1),
            block_dim: (block, 1, 1),
            shared_mem_bytes: 0,
        };
        let host_progress = a.host_progress.device_addr();
        let (tb_enabled, tb_pages, tb_mask) = match a.tb {
            Some((e, p, m)) => (self.address(e), self.address(p), m),
            None => (0, 0, 0),
        };
        let hot = a.hot.map_or(0, |h| self.address(h));
        let dbg = a.debug.map_or(0, |d| self.address(d));
        let mut b = self.stream.launch_builder(f);
        b.arg(&a.states)
            .arg(&a.lane_machine)
            .arg(&a.nlanes)
            .arg(&a.lane_space)
            .arg(&a.spaces)
            .arg(a.pool)
            .arg(&a.control)
            .arg(a.events)
            .arg(a.decode_cache)
            .arg(&a.budgets)
            .arg(&a.stops)
            .arg(&a.gen)
            .arg(&a.progress)
            .arg(&host_progress)
            .arg(&tb_enabled)
            .arg(&tb_pages)
            .arg(&tb_mask)
            .arg(&hot)
            .arg(&dbg)
            .arg(&a.gate);
        // SAFETY: the argument list matches `kvrm_run`'s parameters in
        // kernels/run.cu one for one (types and order; the u64 addresses are
        // its pointers); every array is sized for `nlanes` lanes by the
        // caller (engine.rs, in its live launch arena).
        unsafe { b.launch(cfg) }.map_err(drv("launch"))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_buffer_refuses_bytes_past_its_capacity() {
        // (Sizing one needs a GPU; the GPU tests run the launches through it.)
        let mut empty = HostBuffer::default();
        assert_eq!(empty.capacity(), 0);
        assert!(empty
            .bytes(0)
            .expect("no bytes of an empty buffer")
            .is_empty());
        assert!(empty.bytes_mut(0).expect("no bytes, to write").is_empty());
        let err = empty.bytes(1).expect_err("one byte past the capacity");
        assert!(
            err.to_string().contains("1 bytes of a host buffer of 0"),
            "{err}"
        );
        assert!(empty.bytes_mut(4096).is_err());
    }
}
