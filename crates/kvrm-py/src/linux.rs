//! Linux programs from Python: `kvrm.run` / `kvrm.run_lanes` on kvrm's
//! virtual kernel, with the guest's stdin/stdout/stderr on pipes (stdin fed
//! and the outputs drained by threads, so no pipe can fill up and stall the
//! guest), and `Machine.load_elf`, the lower-level way (image, stack and
//! registers in a machine; syscalls are the caller's).

use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
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
    let (uid, gid) = unsafe { (libc::getuid(), libc::getgid()) };
    let img = kvrm_linux::ProcessImage {
        argv,
        envp,
        execfn: exe.as_os_str().as_encoded_bytes().to_vec(),
        random,
        uid,
        gid,
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
    run_lanes(py, common, lanes)
}
