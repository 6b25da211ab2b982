//! Linux programs from Python: `kvrm.run` / `kvrm.run_lanes` on kvrm's
//! virtual kernel, with the guest's stdin/stdout/stderr on pipes (stdin fed
//! and the outputs drained by threads, so no pipe can fill up and stall the
//! guest), and `Machine.load_elf`, the lower-level way (image, stack and
//! registers in a machine; syscalls are the caller's).

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use pyo3::exceptions::PyOSError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use kvrm_cpu::CpuEngine;
use kvrm_isa::{AddressSpace, CpuState, Engine};
use kvrm_linux::{Kernel, KernelConfig, LoadError, ProcessExit, ProgramSpec, RunEnd};

use crate::backend::{self, BackendKind};
use crate::errors::{BackendUnavailable, BadElf, KvrmError};

/// What a Linux program did (``kvrm.run``), like ``subprocess.CompletedProcess``.
#[pyclass(module = "kvrm", frozen, get_all)]
pub struct CompletedRun {
    /// Exit status; minus the signal number when a signal killed it (as
    /// subprocess reports); None when it did not end (``end`` says why).
    pub exit_code: Option<i32>,
    pub stdout: Py<PyBytes>,
    pub stderr: Py<PyBytes>,
    /// Instructions retired, every guest thread and process together.
    pub instructions: u64,
    pub ips: f64,
    /// Wall seconds.
    pub elapsed: f64,
    /// 'exited', 'signaled', 'cycle_limit' or 'deadlock'.
    pub end: &'static str,
    /// The signal that killed it, else None.
    pub signal: Option<i32>,
    /// The stop that crashed it (a fault, an undefined instruction), else ''.
    pub detail: String,
}

#[pymethods]
impl CompletedRun {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "CompletedRun(exit_code={}, end={:?}, stdout={} bytes, stderr={} bytes, instructions={})",
            self.exit_code.map_or("None".to_string(), |c| c.to_string()),
            self.end,
            self.stdout.bind(py).as_bytes().len(),
            self.stderr.bind(py).as_bytes().len(),
            self.instructions
        )
    }
}

/// One program run, built without the GIL.
struct RawRun {
    end: RunEnd,
    instructions: u64,
    elapsed: Duration,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

/// Everything lanes share.
pub struct Common {
    pub exe: PathBuf,
    pub env: Vec<Vec<u8>>,
    pub root: PathBuf,
    pub config: KernelConfig,
    pub kind: BackendKind,
    /// The CPU backend's interpreter or JIT.
    pub engine: kvrm_cpu::ExecMode,
}

/// One lane's own part.
pub struct Lane {
    pub argv: Vec<Vec<u8>>,
    pub stdin: Vec<u8>,
}

enum Failure {
    Load(LoadError),
    Io(std::io::Error),
    Backend(String),
}

/// The host signals the kernel takes over (see `Kernel::new`); Python's own
/// handlers (Ctrl-C's KeyboardInterrupt) come back when the run ends.
struct SignalGuard(Vec<(i32, libc::sigaction)>);

impl SignalGuard {
    const SIGNALS: [i32; 8] = [
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGTERM,
        libc::SIGWINCH,
        libc::SIGUSR1,
        libc::SIGUSR2,
        libc::SIGPIPE,
    ];

    fn save() -> Self {
        let mut saved = Vec::new();
        for sig in Self::SIGNALS {
            // SAFETY: reads the current action into a zeroed struct.
            unsafe {
                let mut old: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(sig, std::ptr::null(), &mut old) == 0 {
                    saved.push((sig, old));
                }
            }
        }
        SignalGuard(saved)
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        for (sig, old) in &self.0 {
            // SAFETY: restores an action read by `save`.
            unsafe {
                libc::sigaction(*sig, old, std::ptr::null_mut());
            }
        }
    }
}

fn engine_for(kind: BackendKind, mode: kvrm_cpu::ExecMode) -> Result<Box<dyn Engine>, Failure> {
    match backend::resolve(kind) {
        BackendKind::Cuda => Ok(Box::new(backend::cuda_engine().map_err(Failure::Backend)?)),
        _ => Ok(Box::new(CpuEngine::with_exec_mode(mode))),
    }
}

fn drain(mut r: std::io::PipeReader) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut out = Vec::new();
        let _ = r.read_to_end(&mut out);
        out
    })
}

/// Run one program to the end of its first process.
fn run_one(common: &Common, lane: &Lane) -> Result<RawRun, Failure> {
    run_one_with(common, lane, |_| {})
}

/// [`run_one`], calling `on_kernel` once the kernel exists (before the
/// program is loaded).
fn run_one_with(
    common: &Common,
    lane: &Lane,
    on_kernel: impl FnOnce(&Kernel),
) -> Result<RawRun, Failure> {
    let spec = ProgramSpec {
        exe: common.exe.clone(),
        argv: lane.argv.clone(),
        envp: common.env.clone(),
        root: common.root.clone(),
        cwd: None,
        lib_prefix: None,
    };
    let mut kernel = Kernel::new(
        engine_for(common.kind, common.engine)?,
        common.config.clone(),
    );
    on_kernel(&kernel);
    let pid = kvrm_linux::spawn(&mut kernel, &spec).map_err(Failure::Load)?;
    let (in_r, mut in_w) = std::io::pipe().map_err(Failure::Io)?;
    let (out_r, out_w) = std::io::pipe().map_err(Failure::Io)?;
    let (err_r, err_w) = std::io::pipe().map_err(Failure::Io)?;
    kernel.set_stdio(pid, 0, OwnedFd::from(in_r));
    kernel.set_stdio(pid, 1, OwnedFd::from(out_w));
    kernel.set_stdio(pid, 2, OwnedFd::from(err_w));
    let stdin = lane.stdin.clone();
    // A guest that never reads its stdin gets EPIPE here once it is gone.
    let feeder = std::thread::spawn(move || {
        let _ = in_w.write_all(&stdin);
    });
    let out = drain(out_r);
    let err = drain(err_r);
    let summary = kernel.run();
    // Processes the program left behind end with it, and the kernel's
    // descriptors close, so the drains see end-of-file.
    drop(kernel);
    let _ = feeder.join();
    Ok(RawRun {
        end: summary.end,
        instructions: summary.instructions,
        elapsed: summary.elapsed,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    })
}

/// An OSError subclass as Python's own `open` raises it (errno, message,
/// filename): FileNotFoundError for a missing program.
pub fn io_error(e: &std::io::Error, path: &std::path::Path) -> PyErr {
    use pyo3::exceptions::{PyFileNotFoundError, PyPermissionError};
    let args = (
        e.raw_os_error().unwrap_or(0),
        e.to_string(),
        path.display().to_string(),
    );
    match e.kind() {
        std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
        std::io::ErrorKind::PermissionDenied => PyPermissionError::new_err(args),
        _ => PyOSError::new_err(args),
    }
}

fn to_py(py: Python<'_>, r: Result<RawRun, Failure>) -> PyResult<CompletedRun> {
    let r = match r {
        Ok(r) => r,
        Err(Failure::Backend(why)) => return Err(BackendUnavailable::new_err(why)),
        Err(Failure::Io(e)) => return Err(PyOSError::new_err(e.to_string())),
        Err(Failure::Load(LoadError::Read { path, source })) => {
            return Err(io_error(&source, &path))
        }
        Err(Failure::Load(e @ LoadError::Elf { .. })) => {
            return Err(BadElf::new_err(e.to_string()))
        }
        Err(Failure::Load(e)) => return Err(KvrmError::new_err(e.to_string())),
    };
    let (exit_code, end, signal, detail) = match r.end {
        RunEnd::Exited(ProcessExit::Exited(s)) => (Some(s & 0xff), "exited", None, String::new()),
        RunEnd::Exited(ProcessExit::Signaled(sig)) => {
            (Some(-sig), "signaled", Some(sig), String::new())
        }
        RunEnd::Crashed { stop, signal } => {
            (Some(-signal), "signaled", Some(signal), stop.to_string())
        }
        RunEnd::CycleLimit => (None, "cycle_limit", None, String::new()),
        RunEnd::DebugStop { stop } => (None, stop.kind_str(), None, stop.to_string()),
        RunEnd::Deadlock => (
            None,
            "deadlock",
            None,
            "every guest thread waits for something that cannot happen".to_string(),
        ),
    };
    let secs = r.elapsed.as_secs_f64();
    Ok(CompletedRun {
        exit_code,
        stdout: PyBytes::new(py, &r.stdout).unbind(),
        stderr: PyBytes::new(py, &r.stderr).unbind(),
        instructions: r.instructions,
        ips: if secs > 0.0 {
            r.instructions as f64 / secs
        } else {
            0.0
        },
        elapsed: secs,
        end,
        signal,
        detail,
    })
}

/// Run every lane, on up to one host thread per core, without the GIL.
pub fn run_lanes(py: Python<'_>, common: Common, lanes: Vec<Lane>) -> PyResult<Vec<CompletedRun>> {
    if backend::resolve(common.kind) == BackendKind::Cuda {
        // Fail once, with the reason, rather than once per lane.
        backend::cuda_engine().map_err(BackendUnavailable::new_err)?;
    }
    let n = lanes.len();
    let results: Vec<Mutex<Option<Result<RawRun, Failure>>>> =
        (0..n).map(|_| Mutex::new(None)).collect();
    let workers = std::thread::available_parallelism()
        .map(|p| p.get())
        .unwrap_or(1)
        .min(n)
        .max(1);
    let next = AtomicUsize::new(0);
    py.detach(|| {
        let _signals = SignalGuard::save();
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_one(&common, &lanes[i])
                    }))
                    .unwrap_or_else(|p| {
                        Err(Failure::Backend(format!(
                            "internal error in kvrm: {}",
                            crate::errors::panic_text(&p)
                        )))
                    });
                    *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                });
            }
        });
    });
    results
        .into_iter()
        .map(|m| {
            let r = m
                .into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| Err(Failure::Backend("lane did not run".into())));
            to_py(py, r)
        })
        .collect()
}

/// The process image of `exe` in a fresh address space, with the registers
/// a new Linux process starts with (`Machine.load_elf`).
pub fn load_image(
    exe: &std::path::Path,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> PyResult<(AddressSpace, CpuState)> {
    let data = std::fs::read(exe).map_err(|e| io_error(&e, exe))?;
    let mut space = AddressSpace::new();
    let loaded = kvrm_linux::load_elf(&data, &mut space)
        .map_err(|e| BadElf::new_err(format!("{}: {e}", exe.display())))?;
    let mut random = [0u8; 16];
    kvrm_linux::syscalls::fill_random(&mut random);
    // SAFETY: plain queries of this process.
    let (uid, euid, gid, egid) = unsafe {
        (
            libc::getuid(),
            libc::geteuid(),
            libc::getgid(),
            libc::getegid(),
        )
    };
    let img = kvrm_linux::ProcessImage {
        argv,
        envp,
        execfn: exe.as_os_str().as_encoded_bytes().to_vec(),
        random,
        uid,
        euid,
        gid,
        egid,
    };
    let info = kvrm_linux::stack::setup_stack(&mut space, &loaded, None, &img)
        .map_err(|f| KvrmError::new_err(format!("cannot build the initial stack: {f}")))?;
    let mut state = CpuState::new();
    kvrm_linux::stack::init_registers(&mut state, loaded.entry, info.sp);
    Ok((space, state))
}

/// `os.fsencode(obj)`: str (with surrogateescape), bytes or a path.
pub fn fsencode(obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    let b = obj.py().import("os")?.call_method1("fsencode", (obj,))?;
    Ok(b.cast::<PyBytes>()?.as_bytes().to_vec())
}

fn fsencode_all(items: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    items.try_iter()?.map(|i| fsencode(&i?)).collect()
}

/// Native half of `kvrm.run` / `kvrm.run_lanes`: `lanes` is a list of
/// (argv, stdin bytes); `env` a list of b"NAME=VALUE".
#[pyfunction]
#[pyo3(signature = (path, lanes, env, fs_root, backend, max_cycles, deterministic, seed, memory_limit, engine = "jit"))]
#[allow(clippy::too_many_arguments)]
pub fn _run_lanes(
    py: Python<'_>,
    path: &Bound<'_, PyAny>,
    lanes: &Bound<'_, PyAny>,
    env: &Bound<'_, PyAny>,
    fs_root: &Bound<'_, PyAny>,
    backend: &str,
    max_cycles: Option<u64>,
    deterministic: bool,
    seed: u64,
    memory_limit: Option<u64>,
    engine: &str,
) -> PyResult<Vec<CompletedRun>> {
    let (common, lanes) = parse_run(
        path,
        lanes,
        env,
        fs_root,
        backend,
        (max_cycles, deterministic, seed, memory_limit),
        engine,
    )?;
    run_lanes(py, common, lanes)
}

/// The arguments of `_run_lanes` and `_start` as the runs' common part and
/// lanes; `limits` is (max_cycles, deterministic, seed, memory_limit).
fn parse_run(
    path: &Bound<'_, PyAny>,
    lanes: &Bound<'_, PyAny>,
    env: &Bound<'_, PyAny>,
    fs_root: &Bound<'_, PyAny>,
    backend: &str,
    limits: (Option<u64>, bool, u64, Option<u64>),
    engine: &str,
) -> PyResult<(Common, Vec<Lane>)> {
    let (max_cycles, deterministic, seed, memory_limit) = limits;
    let engine = backend::parse_engine(engine)?;
    use std::os::unix::ffi::OsStringExt;
    let kind = BackendKind::parse(backend).ok_or_else(|| {
        pyo3::exceptions::PyValueError::new_err(format!(
            "unknown backend {backend:?}: use 'auto', 'cpu' or 'cuda'"
        ))
    })?;
    let exe = PathBuf::from(std::ffi::OsString::from_vec(fsencode(path)?));
    let root = PathBuf::from(std::ffi::OsString::from_vec(fsencode(fs_root)?));
    let mut config = KernelConfig {
        deterministic,
        seed,
        max_instructions: max_cycles,
        ..KernelConfig::default()
    };
    if let Some(m) = memory_limit {
        config.memory_limit = m;
    }
    let lanes = lanes
        .try_iter()?
        .map(|lane| {
            let lane = lane?;
            let argv = fsencode_all(&lane.get_item(0)?)?;
            let stdin = lane.get_item(1)?;
            let stdin = stdin.cast::<PyBytes>()?.as_bytes().to_vec();
            Ok(Lane { argv, stdin })
        })
        .collect::<PyResult<Vec<_>>>()?;
    let common = Common {
        exe,
        env: fsencode_all(env)?,
        root,
        config,
        kind,
        engine,
    };
    Ok((common, lanes))
}

/// Native half of `kvrm.start`: the one lane of `lanes` runs on a thread of
/// its own; the call returns at once.
#[pyfunction]
#[pyo3(signature = (path, lanes, env, fs_root, backend, max_cycles, deterministic, seed, memory_limit, engine = "jit"))]
#[allow(clippy::too_many_arguments)]
pub fn _start(
    path: &Bound<'_, PyAny>,
    lanes: &Bound<'_, PyAny>,
    env: &Bound<'_, PyAny>,
    fs_root: &Bound<'_, PyAny>,
    backend: &str,
    max_cycles: Option<u64>,
    deterministic: bool,
    seed: u64,
    memory_limit: Option<u64>,
    engine: &str,
) -> PyResult<RunningProgram> {
    let (common, mut lanes) = parse_run(
        path,
        lanes,
        env,
        fs_root,
        backend,
        (max_cycles, deterministic, seed, memory_limit),
        engine,
    )?;
    let lane = match (lanes.pop(), lanes.is_empty()) {
        (Some(lane), true) => lane,
        _ => {
            return Err(pyo3::exceptions::PyValueError::new_err(
                "_start runs exactly one lane",
            ))
        }
    };
    if backend::resolve(common.kind) == BackendKind::Cuda {
        // The reason now, not at wait().
        backend::cuda_engine().map_err(BackendUnavailable::new_err)?;
    }
    let progress: Arc<OnceLock<Arc<AtomicU64>>> = Arc::default();
    let slot = progress.clone();
    let thread = std::thread::Builder::new()
        .name("kvrm-start".into())
        .spawn(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // The kernel takes over the host signals it forwards to
                // guests; Python keeps them (Ctrl-C stays Python's while the
                // program runs in the background): put its handlers back at
                // once, one start at a time so no start saves another's.
                static SIGNALS: Mutex<()> = Mutex::new(());
                let lock = SIGNALS.lock().unwrap_or_else(|e| e.into_inner());
                let guard = SignalGuard::save();
                run_one_with(&common, &lane, move |kernel| {
                    let _ = slot.set(kernel.progress_counter());
                    drop(guard);
                    drop(lock);
                })
            }))
            .unwrap_or_else(|p| {
                Err(Failure::Backend(format!(
                    "internal error in kvrm: {}",
                    crate::errors::panic_text(&p)
                )))
            })
        })
        .map_err(|e| PyOSError::new_err(format!("cannot start a thread: {e}")))?;
    Ok(RunningProgram {
        progress,
        thread: Mutex::new(Some(thread)),
        result: Mutex::new(None),
    })
}

/// A Linux program running in the background (``kvrm.start``): ``poll()``
/// and ``is_running()`` never block; ``wait()`` returns its ``CompletedRun``.
#[pyclass(module = "kvrm", frozen)]
pub struct RunningProgram {
    /// The kernel's instruction counter, once the kernel exists.
    progress: Arc<OnceLock<Arc<AtomicU64>>>,
    thread: Mutex<Option<std::thread::JoinHandle<Result<RawRun, Failure>>>>,
    /// What `wait` returned (or raised), for later calls.
    result: Mutex<Option<PyResult<Py<CompletedRun>>>>,
}

#[pymethods]
impl RunningProgram {
    /// Instructions retired so far, every guest thread and process together
    /// (read from a counter the kernel updates; never blocks).
    fn poll(&self) -> u64 {
        self.progress.get().map_or(0, |p| p.load(Ordering::Relaxed))
    }

    /// Is the program still running?
    fn is_running(&self) -> bool {
        let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner());
        thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Wait for the program's first process to end (without the GIL) and
    /// return its ``CompletedRun``; raises what ``kvrm.run`` raises.
    /// Later calls return the same result.
    fn wait(&self, py: Python<'_>) -> PyResult<Py<CompletedRun>> {
        let mut result = self.result.lock().unwrap_or_else(|e| e.into_inner());
        if result.is_none() {
            let thread = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take();
            let raw = match thread {
                Some(t) => py.detach(|| t.join()).unwrap_or_else(|_| {
                    Err(Failure::Backend(
                        "internal error in kvrm: the run panicked".into(),
                    ))
                }),
                None => Err(Failure::Backend("the run was already collected".into())),
            };
            *result = Some(to_py(py, raw).and_then(|r| Py::new(py, r)));
        }
        match result.as_ref().expect("set above") {
            Ok(r) => Ok(r.clone_ref(py)),
            Err(e) => Err(e.clone_ref(py)),
        }
    }

    fn __repr__(&self) -> String {
        let state = if self.is_running() { "running" } else { "done" };
        format!("RunningProgram({state}, instructions={})", self.poll())
    }
}
