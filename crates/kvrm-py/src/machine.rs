//! `kvrm.Machine` (also `CPU`, `ContinuousCPU`, `AsyncCPU`): one guest
//! machine with the Metal system's API.
//!
//! The machine lives in an `Arc<Shared>`: the Python object, a background
//! run (`start`) and NumPy views each hold the `Arc`, so none of them can see
//! it freed. Runs hold the machine's mutex; the other methods only *try* the
//! mutex and raise `MachineBusy` rather than block while a run holds it.
//! Progress is an atomic counter the run loop stores after every batch, so
//! `poll()` never waits. A syscall hook is called with the mutex released,
//! so it can use the machine (read its registers and memory).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyTuple};
use pyo3::IntoPyObjectExt;

use kvrm_isa::space::DEFAULT_RAW_MEMORY;
use kvrm_isa::{AddressSpace, Perms, StopReason};

use crate::backend::{Backend, BackendKind};
use crate::core::{Core, Event, Reason, Trace, Watch, WatchKind};
use crate::errors::{
    guarded, host_fault, map_error, panic_text, with_attrs, BackendUnavailable, GuestFault,
    KvrmError, MachineBusy, UndefinedInstruction,
};
use crate::views::{DeviceArray, HostArray, Owner};

/// Default batch of the background and continuous runs: small enough that
/// `poll()` sees progress every few milliseconds.
const DEFAULT_BATCH: u64 = 1_000_000;
const DEFAULT_MAX_CYCLES: u64 = 100_000_000;

pub struct Shared {
    pub core: Mutex<Core>,
    pub backend: &'static str,
    /// The CPU backend's interpreter or JIT.
    pub engine: kvrm_cpu::ExecMode,
    progress: AtomicU64,
    running: AtomicBool,
    cancel: AtomicBool,
    /// The syscall hook is running (the machine is free for it to use).
    in_hook: AtomicBool,
    hook: Mutex<Option<Py<PyAny>>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Core> {
        self.core.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The machine, or `MachineBusy` if a run holds it.
    pub fn try_core(&self) -> PyResult<MutexGuard<'_, Core>> {
        // A background run may not have taken the mutex yet.
        if self.running.load(Ordering::Acquire) && !self.in_hook.load(Ordering::Acquire) {
            return Err(MachineBusy::new_err(
                "a background run is in progress: wait() for it (or cancel() it) first",
            ));
        }
        match self.core.try_lock() {
            Ok(g) => Ok(g),
            Err(TryLockError::Poisoned(e)) => Ok(e.into_inner()),
            Err(TryLockError::WouldBlock) => Err(MachineBusy::new_err(
                "the machine is running: wait() for it (or cancel() it) first",
            )),
        }
    }
}

/// What a run produced (built without the GIL).
pub struct Outcome {
    reason: Reason,
    cycles: u64,
    elapsed: Duration,
    batches: u64,
    final_pc: u64,
    syscall_number: Option<u64>,
    error: Option<PyErr>,
}

/// Run up to `total` instructions in batches of `batch`, calling the
/// syscall hook on SVC. Called without the GIL. `interruptible`: a run in
/// the caller's thread checks for Python signals (Ctrl-C) between batches.
fn run_loop(shared: &Shared, total: u64, batch: u64, interruptible: bool) -> Outcome {
    let start = Instant::now();
    let batch = batch.max(1);
    let mut done = 0u64;
    let mut batches = 0u64;
    let mut error = None;
    shared.progress.store(0, Ordering::Relaxed);
    let mut core = shared.lock();
    let reason = loop {
        if done >= total {
            break Reason::Isa(StopReason::CycleLimit);
        }
        if shared.cancel.swap(false, Ordering::Relaxed) {
            break Reason::Cancelled;
        }
        let n = batch.min(total - done);
        let (ran, ev) = core.run_chunk(n, batches == 0);
        done += ran;
        batches += 1;
        shared.progress.store(done, Ordering::Relaxed);
        match ev {
            Event::Budget => {
                if interruptible {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        error = Some(e);
                        break Reason::Cancelled;
                    }
                }
            }
            Event::Stop(r) => break r,
            Event::Syscall => {
                let has_hook = shared.hook.lock().map(|h| h.is_some()).unwrap_or(false);
                if !has_hook {
                    break Reason::Isa(StopReason::Syscall { imm: 0 });
                }
                let s = core.backend.state();
                let number = s.x[8];
                let args = [s.x[0], s.x[1], s.x[2], s.x[3], s.x[4], s.x[5]];
                // Let the hook use the machine.
                drop(core);
                shared.in_hook.store(true, Ordering::Release);
                let answer = Python::attach(|py| call_hook(py, shared, number, args));
                shared.in_hook.store(false, Ordering::Release);
                core = shared.lock();
                match answer {
                    Ok(Some(x0)) => core.backend.state_mut().x[0] = x0,
                    Ok(None) => break Reason::Isa(StopReason::Syscall { imm: 0 }),
                    Err(e) => {
                        error = Some(e);
                        break Reason::Isa(StopReason::Syscall { imm: 0 });
                    }
                }
            }
        }
    };
    let state = core.backend.state();
    Outcome {
        reason,
        cycles: done,
        elapsed: start.elapsed(),
        batches,
        final_pc: state.pc,
        syscall_number: matches!(reason, Reason::Isa(StopReason::Syscall { .. }))
            .then_some(state.x[8]),
        error,
    }
}

fn call_hook(
    py: Python<'_>,
    shared: &Shared,
    number: u64,
    args: [u64; 6],
) -> PyResult<Option<u64>> {
    let hook = match shared.hook.lock() {
        Ok(h) => h.as_ref().map(|h| h.clone_ref(py)),
        Err(_) => None,
    };
    let Some(hook) = hook else {
        return Ok(None);
    };
    let ret = hook.call1(py, (number, PyTuple::new(py, args)?))?;
    let ret = ret.bind(py);
    if ret.is_none() {
        return Ok(None);
    }
    to_u64(ret)
        .map(Some)
        .map_err(|_| PyTypeError::new_err("the syscall hook must return an int (x0) or None"))
}

/// A Python int as 64 bits (negative numbers are two's complement).
fn to_u64(v: &Bound<'_, PyAny>) -> PyResult<u64> {
    if let Ok(u) = v.extract::<u64>() {
        return Ok(u);
    }
    v.extract::<i64>().map(|i| i as u64)
}

fn to_u128(v: &Bound<'_, PyAny>) -> PyResult<u128> {
    if let Ok(u) = v.extract::<u128>() {
        return Ok(u);
    }
    v.extract::<i128>().map(|i| i as u128)
}

/// The fault `read_bytes(addr, size)` would report, without the buffer.
fn check_readable(mem: &AddressSpace, addr: u64, size: u64) -> Result<(), kvrm_isa::MemFault> {
    use kvrm_isa::{Access, FaultKind, MemFault};
    let fault = |addr, kind| MemFault {
        addr,
        access: Access::Read,
        kind,
    };
    if size == 0 {
        return Ok(());
    }
    let end = addr
        .checked_add(size)
        .ok_or(fault(addr, FaultKind::Unmapped))?;
    let mut cursor = addr;
    for r in mem.regions() {
        if r.end <= cursor {
            continue;
        }
        if r.start > cursor {
            break;
        }
        if !r.perms.read() {
            return Err(fault(cursor, FaultKind::Permission));
        }
        cursor = r.end;
        if cursor >= end {
            return Ok(());
        }
    }
    Err(fault(cursor, FaultKind::Unmapped))
}

/// Bytes of any bytes-like object (bytes, bytearray, memoryview, array).
fn bytes_of(data: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = data.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = data.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    let b = data.py().get_type::<PyBytes>().call1((data,))?;
    Ok(b.cast::<PyBytes>()?.as_bytes().to_vec())
}

fn parse_perms(p: &Bound<'_, PyAny>) -> PyResult<Perms> {
    if let Ok(bits) = p.extract::<u8>() {
        if bits <= 7 {
            return Ok(Perms(bits));
        }
    } else if let Ok(s) = p.extract::<String>() {
        let mut bits = 0u8;
        for c in s.chars() {
            bits |= match c {
                'r' => 1,
                'w' => 2,
                'x' => 4,
                '-' => 0,
                _ => {
                    return Err(PyValueError::new_err(format!(
                        "bad permission string {s:?}"
                    )))
                }
            };
        }
        return Ok(Perms(bits));
    }
    Err(PyValueError::new_err(
        "perms must be a string like 'rwx' / 'r-x' or bits (1=r, 2=w, 4=x)",
    ))
}

/// A register named by number (0..=30, 31 = sp) or name.
#[derive(Clone, Copy)]
enum Reg {
    X(usize),
    Sp,
    Pc,
    Nzcv,
    Fpcr,
    Fpsr,
    Tpidr,
}

fn parse_reg(r: &Bound<'_, PyAny>) -> PyResult<Reg> {
    if let Ok(n) = r.extract::<i64>() {
        return match n {
            0..=30 => Ok(Reg::X(n as usize)),
            31 => Ok(Reg::Sp),
            _ => Err(PyIndexError::new_err(format!(
                "register {n}: use 0..30 for x0..x30, 31 for sp"
            ))),
        };
    }
    let name: String = r.extract().map_err(|_| {
        PyTypeError::new_err("a register is an int (0..31) or a name ('x5', 'sp', 'pc')")
    })?;
    let lower = name.to_ascii_lowercase();
    let reg = match lower.as_str() {
        "sp" => Reg::Sp,
        "pc" => Reg::Pc,
        "nzcv" => Reg::Nzcv,
        "fpcr" => Reg::Fpcr,
        "fpsr" => Reg::Fpsr,
        "tpidr_el0" => Reg::Tpidr,
        "lr" => Reg::X(30),
        "fp" => Reg::X(29),
        _ => match lower
            .strip_prefix('x')
            .and_then(|d| d.parse::<usize>().ok())
        {
            Some(n) if n <= 30 => Reg::X(n),
            _ => return Err(PyValueError::new_err(format!("no register named {name:?}"))),
        },
    };
    Ok(reg)
}

/// How a run ended (`execute*`, `wait`).
#[pyclass(module = "kvrm", frozen, get_all)]
pub struct ExecutionResult {
    /// Instructions retired during the call.
    pub cycles_executed: u64,
    /// Instructions per second of the call (wall time, hooks included).
    pub ips: f64,
    /// 'halted', 'syscall', 'cycle_limit', 'breakpoint', 'watchpoint',
    /// 'cancelled' ('fault' and 'undefined' raise, with this on `.result`).
    pub stop_reason: String,
    /// The pc after the run (at a BRK/HLT, after an SVC, at a breakpoint).
    pub final_pc: u64,
    /// Wall seconds of the call.
    pub elapsed: f64,
    /// Batches the run loop dispatched.
    pub batches: u64,
    /// x8 when the run stopped at a syscall, else None.
    pub syscall_number: Option<u64>,
    /// The watched address that was hit ('watchpoint'), else None.
    pub watch_addr: Option<u64>,
    /// The backend's own description of the stop.
    pub detail: String,
}

#[pymethods]
impl ExecutionResult {
    fn __repr__(&self) -> String {
        format!(
            "ExecutionResult(stop_reason={:?}, cycles_executed={}, final_pc={:#x}, ips={:.0})",
            self.stop_reason, self.cycles_executed, self.final_pc, self.ips
        )
    }
}

/// Progress of a background run (`poll()`).
#[pyclass(module = "kvrm", frozen, get_all)]
pub struct Status {
    /// Instructions retired so far (updated after every batch).
    pub cycles_executed: u64,
    /// Whether the run is still going.
    pub is_running: bool,
}

#[pymethods]
impl Status {
    fn __repr__(&self) -> String {
        format!(
            "Status(cycles_executed={}, is_running={})",
            self.cycles_executed, self.is_running
        )
    }
}

/// One traced instruction (`read_trace()`).
#[pyclass(module = "kvrm", frozen, get_all)]
pub struct TraceEntry {
    pub pc: u64,
    pub encoding: u32,
    pub disassembly: String,
    /// {register name: new value} for the registers it changed.
    pub registers: Py<PyDict>,
}

#[pymethods]
impl TraceEntry {
    fn __repr__(&self, py: Python<'_>) -> String {
        let regs = self
            .registers
            .bind(py)
            .repr()
            .map(|r| r.to_string())
            .unwrap_or_default();
        format!(
            "TraceEntry(pc={:#x}, encoding={:#010x}, disassembly={:?}, registers={regs})",
            self.pc, self.encoding, self.disassembly
        )
    }
}

fn reason_detail(r: &Reason) -> String {
    match r {
        Reason::Isa(StopReason::Syscall { .. }) => "syscall: SVC".to_string(),
        Reason::Isa(s) => s.to_string(),
        Reason::Breakpoint { pc } => format!("breakpoint at pc {pc:#x}"),
        Reason::Watchpoint {
            watch_addr,
            addr,
            access,
        } => format!(
            "watchpoint {watch_addr:#x}: {} of {addr:#x}",
            access.as_str()
        ),
        Reason::Cancelled => "cancelled".to_string(),
    }
}

/// The result of a run, or the exception it raises.
pub fn finish(py: Python<'_>, o: Outcome) -> PyResult<ExecutionResult> {
    let secs = o.elapsed.as_secs_f64();
    let result = ExecutionResult {
        cycles_executed: o.cycles,
        ips: if secs > 0.0 {
            o.cycles as f64 / secs
        } else {
            0.0
        },
        stop_reason: o.reason.name().to_string(),
        final_pc: o.final_pc,
        elapsed: secs,
        batches: o.batches,
        syscall_number: o.syscall_number,
        watch_addr: match o.reason {
            Reason::Watchpoint { watch_addr, .. } => Some(watch_addr),
            _ => None,
        },
        detail: reason_detail(&o.reason),
    };
    if let Some(e) = o.error {
        return Err(e);
    }
    match o.reason {
        Reason::Isa(StopReason::Fault {
            addr,
            access,
            kind,
            pc,
        }) => {
            let err = GuestFault::new_err(result.detail.clone());
            Err(with_attrs(
                py,
                err,
                &[
                    ("pc", pc.into_py_any(py)?),
                    ("addr", addr.into_py_any(py)?),
                    ("access", access.as_str().into_py_any(py)?),
                    ("kind", kind.as_str().into_py_any(py)?),
                    ("result", result.into_py_any(py)?),
                ],
            ))
        }
        Reason::Isa(StopReason::Undefined { pc, encoding }) => {
            let err = UndefinedInstruction::new_err(result.detail.clone());
            Err(with_attrs(
                py,
                err,
                &[
                    ("pc", pc.into_py_any(py)?),
                    ("encoding", encoding.into_py_any(py)?),
                    ("result", result.into_py_any(py)?),
                ],
            ))
        }
        _ => Ok(result),
    }
}

/// An ARM64 machine: registers, memory, and ways to run it.
///
/// ``Machine(backend="auto", *, memory_size=16 MiB, cycles_per_batch=1_000_000, engine="jit")``
///
/// A new machine has flat read/write/execute memory of ``memory_size`` bytes
/// at address 0 (``memory_size=0``: no memory; ``map()`` some), all registers
/// zero. ``backend`` is ``"auto"`` (the CPU: one machine is one GPU lane,
/// which the CPU outruns), ``"cpu"``, or ``"cuda"`` (kvrm's CUDA engine;
/// ``BackendUnavailable``, with the reason, where there is no driver, GPU or
/// NVRTC); ``machine.backend`` says which one runs. Zero-copy views are
/// CPU-only for now. ``engine`` is how the CPU backend runs guest code:
/// ``"jit"`` (the default: hot blocks compiled) or ``"interp"`` (the
/// interpreter); the same results and instruction counts. ``CPU``, ``ContinuousCPU`` and
/// ``AsyncCPU`` are this class under the Metal system's names.
#[pyclass(name = "Machine", module = "kvrm", weakref, subclass)]
pub struct PyMachine {
    shared: Arc<Shared>,
    job: Mutex<Option<JoinHandle<Outcome>>>,
    cycles_per_batch: AtomicU64,
}

impl Drop for PyMachine {
    fn drop(&mut self) {
        // A background run of a machine nobody can wait() for any more.
        self.shared.cancel.store(true, Ordering::Relaxed);
    }
}

impl PyMachine {
    fn core(&self) -> PyResult<MutexGuard<'_, Core>> {
        self.shared.try_core()
    }

    fn check_idle(&self) -> PyResult<()> {
        if self.shared.running.load(Ordering::Acquire) {
            return Err(MachineBusy::new_err(
                "a background run is in progress: wait() for it (or cancel() it) first",
            ));
        }
        Ok(())
    }

    /// Run synchronously with the GIL released.
    fn run_sync(&self, py: Python<'_>, total: u64, batch: u64) -> PyResult<ExecutionResult> {
        self.check_idle()?;
        drop(self.core()?); // fail fast with MachineBusy rather than block
        let shared = self.shared.clone();
        let outcome = py.detach(move || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                run_loop(&shared, total, batch, true)
            }))
        });
        match outcome {
            Ok(o) => finish(py, o),
            Err(p) => Err(KvrmError::new_err(format!(
                "internal error in kvrm: {}",
                panic_text(&p)
            ))),
        }
    }

    pub fn with_core<T>(&self, f: impl FnOnce(&mut Core) -> PyResult<T>) -> PyResult<T> {
        guarded(|| f(&mut *self.core()?))
    }

    /// `with_core` for a host access to guest memory: what device views
    /// (CUDA) wrote is brought in first.
    fn with_memory<T>(&self, f: impl FnOnce(&mut Core) -> PyResult<T>) -> PyResult<T> {
        self.with_core(|c| {
            c.backend.sync_device_views().map_err(KvrmError::new_err)?;
            f(c)
        })
    }
}

#[pymethods]
impl PyMachine {
    #[new]
    #[pyo3(
        signature = (backend = "auto", *, memory_size = DEFAULT_RAW_MEMORY, cycles_per_batch = DEFAULT_BATCH, engine = "jit"),
        text_signature = "(backend='auto', *, memory_size=16777216, cycles_per_batch=1000000, engine='jit')"
    )]
    fn new(backend: &str, memory_size: u64, cycles_per_batch: u64, engine: &str) -> PyResult<Self> {
        let engine = crate::backend::parse_engine(engine)?;
        let kind = BackendKind::parse(backend).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown backend {backend:?}: use 'auto', 'cpu' or 'cuda'"
            ))
        })?;
        let space = if memory_size == 0 {
            AddressSpace::new()
        } else if crate::backend::resolve(kind) == BackendKind::Cuda {
            // Guest memory lives on the device; no host view to back.
            AddressSpace::flat(memory_size).map_err(map_error)?
        } else {
            AddressSpace::flat_contiguous(memory_size).map_err(|e| match e {
                kvrm_isa::MapError::NoSpace(n) => crate::errors::MappingError::new_err(format!(
                    "cannot allocate {n:#x} bytes of guest memory on this host"
                )),
                other => map_error(other),
            })?
        };
        let backend = Backend::new(kind, space, engine).map_err(BackendUnavailable::new_err)?;
        Ok(PyMachine {
            shared: Arc::new(Shared {
                backend: backend.name(),
                engine,
                core: Mutex::new(Core::new(backend)),
                progress: AtomicU64::new(0),
                running: AtomicBool::new(false),
                cancel: AtomicBool::new(false),
                in_hook: AtomicBool::new(false),
                hook: Mutex::new(None),
            }),
            job: Mutex::new(None),
            cycles_per_batch: AtomicU64::new(cycles_per_batch.max(1)),
        })
    }

    /// The backend that runs this machine: ``"cpu"`` (or ``"cuda"``).
    #[getter]
    fn backend(&self) -> &'static str {
        self.shared.backend
    }

    /// How the CPU backend runs guest code: ``"interp"`` or ``"jit"``.
    #[getter]
    fn engine(&self) -> &'static str {
        self.shared.engine.name()
    }

    /// Instructions per batch of ``execute_continuous`` and ``start``.
    #[getter]
    fn cycles_per_batch(&self) -> u64 {
        self.cycles_per_batch.load(Ordering::Relaxed)
    }
    #[setter]
    fn set_cycles_per_batch(&self, n: u64) {
        self.cycles_per_batch.store(n.max(1), Ordering::Relaxed)
    }

    fn __repr__(&self) -> String {
        match self.shared.try_core() {
            Ok(c) => format!(
                "<kvrm.Machine backend={} pc={:#x}>",
                self.shared.backend,
                c.backend.state().pc
            ),
            Err(_) => format!("<kvrm.Machine backend={} running>", self.shared.backend),
        }
    }

    // A hook that closes over its machine is a reference cycle through Rust:
    // tell the garbage collector about it.
    fn __traverse__(&self, visit: pyo3::PyVisit<'_>) -> Result<(), pyo3::PyTraverseError> {
        if let Ok(hook) = self.shared.hook.try_lock() {
            if let Some(h) = hook.as_ref() {
                visit.call(h)?;
            }
        }
        Ok(())
    }

    fn __clear__(&mut self) {
        if let Ok(mut hook) = self.shared.hook.try_lock() {
            *hook = None;
        }
    }

    // ----- program and registers ------------------------------------------

    /// Copy ``program`` (bytes-like) into guest memory at ``addr``; the range
    /// must be mapped (write permission is not needed).
    #[pyo3(signature = (program, addr = 0))]
    fn load_program(&self, py: Python<'_>, program: &Bound<'_, PyAny>, addr: u64) -> PyResult<()> {
        let bytes = bytes_of(program)?;
        self.with_memory(|c| {
            c.backend
                .memory_mut()
                .write_bytes_force(addr, &bytes)
                .map_err(|f| host_fault(py, f, "load_program"))
        })
    }

    /// Set the program counter.
    fn set_pc(&self, addr: u64) -> PyResult<()> {
        self.with_core(|c| {
            c.backend.state_mut().pc = addr;
            Ok(())
        })
    }

    /// Read a register: ``n`` is 0..30 (x0..x30), 31 (sp), or a name
    /// (``"x5"``, ``"sp"``, ``"pc"``, ``"lr"``, ``"nzcv"``, ``"fpcr"``, ``"fpsr"``, ``"tpidr_el0"``).
    fn get_register(&self, n: &Bound<'_, PyAny>) -> PyResult<u64> {
        let reg = parse_reg(n)?;
        self.with_core(|c| {
            let s = c.backend.state();
            Ok(match reg {
                Reg::X(i) => s.x[i],
                Reg::Sp => s.sp,
                Reg::Pc => s.pc,
                Reg::Nzcv => s.nzcv,
                Reg::Fpcr => s.fpcr,
                Reg::Fpsr => s.fpsr,
                Reg::Tpidr => s.tpidr_el0,
            })
        })
    }

    /// Write a register (see ``get_register``); negative values are stored
    /// as two's complement.
    fn set_register(&self, n: &Bound<'_, PyAny>, value: &Bound<'_, PyAny>) -> PyResult<()> {
        let reg = parse_reg(n)?;
        let v = to_u64(value)?;
        self.with_core(|c| {
            let s = c.backend.state_mut();
            match reg {
                Reg::X(i) => s.x[i] = v,
                Reg::Sp => s.sp = v,
                Reg::Pc => s.pc = v,
                Reg::Nzcv => s.nzcv = v,
                Reg::Fpcr => s.fpcr = v,
                Reg::Fpsr => s.fpsr = v,
                Reg::Tpidr => s.tpidr_el0 = v,
            }
            Ok(())
        })
    }

    /// The 128-bit SIMD&FP register ``v<n>`` as an int.
    fn get_vector(&self, n: u32) -> PyResult<u128> {
        if n > 31 {
            return Err(PyIndexError::new_err("vector registers are v0..v31"));
        }
        self.with_core(|c| Ok(c.backend.state().vreg(n)))
    }

    /// Write the 128-bit SIMD&FP register ``v<n>``.
    fn set_vector(&self, n: u32, value: &Bound<'_, PyAny>) -> PyResult<()> {
        if n > 31 {
            return Err(PyIndexError::new_err("vector registers are v0..v31"));
        }
        let v = to_u128(value)?;
        self.with_core(|c| {
            c.backend.state_mut().set_vreg(n, v);
            Ok(())
        })
    }

    /// x0..x30 as a list of ints (a copy; see ``registers_view``).
    #[getter]
    fn registers(&self) -> PyResult<Vec<u64>> {
        self.with_core(|c| Ok(c.backend.state().x.to_vec()))
    }

    #[getter]
    fn pc(&self) -> PyResult<u64> {
        self.with_core(|c| Ok(c.backend.state().pc))
    }
    #[setter(pc)]
    fn set_pc_prop(&self, v: u64) -> PyResult<()> {
        self.set_pc(v)
    }
    #[getter]
    fn sp(&self) -> PyResult<u64> {
        self.with_core(|c| Ok(c.backend.state().sp))
    }
    #[setter]
    fn set_sp(&self, v: u64) -> PyResult<()> {
        self.with_core(|c| {
            c.backend.state_mut().sp = v;
            Ok(())
        })
    }
    /// NZCV in architectural position (N = bit 31 ... V = bit 28).
    #[getter]
    fn nzcv(&self) -> PyResult<u64> {
        self.with_core(|c| Ok(c.backend.state().nzcv))
    }
    #[setter]
    fn set_nzcv(&self, v: u64) -> PyResult<()> {
        self.with_core(|c| {
            c.backend.state_mut().nzcv = v & 0xf000_0000;
            Ok(())
        })
    }
    #[getter]
    fn fpcr(&self) -> PyResult<u64> {
        self.with_core(|c| Ok(c.backend.state().fpcr))
    }
    #[setter]
    fn set_fpcr(&self, v: u64) -> PyResult<()> {
        self.with_core(|c| {
            c.backend.state_mut().fpcr = v;
            Ok(())
        })
    }
    #[getter]
    fn fpsr(&self) -> PyResult<u64> {
        self.with_core(|c| Ok(c.backend.state().fpsr))
    }
    #[setter]
    fn set_fpsr(&self, v: u64) -> PyResult<()> {
        self.with_core(|c| {
            c.backend.state_mut().fpsr = v;
            Ok(())
        })
    }

    // ----- memory ------------------------------------------------------------

    /// ``size`` bytes of guest memory at ``addr`` (needs read permission).
    fn read_memory<'py>(
        &self,
        py: Python<'py>,
        addr: u64,
        size: usize,
    ) -> PyResult<Bound<'py, PyBytes>> {
        self.with_memory(|c| {
            let mem = c.backend.memory();
            // Fail on an unreadable range before allocating for it, and never
            // abort on an allocation the host refuses.
            check_readable(mem, addr, size as u64).map_err(|f| host_fault(py, f, "read_memory"))?;
            let mut buf = Vec::new();
            buf.try_reserve_exact(size).map_err(|_| {
                pyo3::exceptions::PyMemoryError::new_err(format!(
                    "read_memory: cannot allocate {size} bytes"
                ))
            })?;
            buf.resize(size, 0);
            mem.read_bytes(addr, &mut buf)
                .map_err(|f| host_fault(py, f, "read_memory"))?;
            Ok(PyBytes::new(py, &buf))
        })
    }

    /// Write bytes-like ``data`` at ``addr`` (mapped memory; write permission
    /// is not needed, as for a debugger). All or nothing.
    fn write_memory(&self, py: Python<'_>, addr: u64, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let bytes = bytes_of(data)?;
        self.with_memory(|c| {
            c.backend
                .memory_mut()
                .write_bytes_force(addr, &bytes)
                .map_err(|f| host_fault(py, f, "write_memory"))
        })
    }

    /// Map ``[addr, addr+size)`` (page aligned) with ``perms`` (``"rwx"``,
    /// ``"r-x"``, ... or bits 1=r 2=w 4=x). New memory reads as zeros.
    #[pyo3(signature = (addr, size, perms = None))]
    fn map(&self, addr: u64, size: u64, perms: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
        let perms = perms.map(parse_perms).transpose()?.unwrap_or(Perms::RWX);
        self.with_memory(|c| {
            c.backend
                .memory_mut()
                .map(addr, size, perms)
                .map_err(map_error)
        })
    }

    /// Unmap ``[addr, addr+size)`` (page aligned; holes are fine).
    fn unmap(&self, addr: u64, size: u64) -> PyResult<()> {
        self.with_memory(|c| c.backend.memory_mut().unmap(addr, size).map_err(map_error))
    }

    /// Change the permissions of mapped ``[addr, addr+size)``.
    fn protect(&self, addr: u64, size: u64, perms: &Bound<'_, PyAny>) -> PyResult<()> {
        let perms = parse_perms(perms)?;
        self.with_memory(|c| {
            c.backend
                .memory_mut()
                .protect(addr, size, perms)
                .map_err(map_error)
        })
    }

    /// The mappings as ``[(start, end, "rwx"), ...]`` in address order.
    fn regions(&self) -> PyResult<Vec<(u64, u64, String)>> {
        self.with_core(|c| {
            Ok(c.backend
                .memory()
                .regions()
                .into_iter()
                .map(|r| (r.start, r.end, r.perms.to_string()))
                .collect())
        })
    }

    /// Load the static AArch64 ELF executable at ``path`` as Linux would
    /// start it (segments, stack with argv/envp/auxv, sp and pc), replacing
    /// this machine's memory and registers; returns the entry point. The
    /// guest's syscalls are the caller's: ``on_syscall`` or the ``"syscall"``
    /// stops (``kvrm.run`` runs programs under kvrm's Linux kernel).
    /// ``args`` are argv[1:]; ``env`` a list of ``"NAME=VALUE"`` (default none).
    /// Refused while zero-copy views of the old memory or registers exist.
    #[pyo3(signature = (path, args = None, env = None))]
    fn load_elf(
        &self,
        path: &Bound<'_, PyAny>,
        args: Option<&Bound<'_, PyAny>>,
        env: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        use std::os::unix::ffi::OsStringExt;
        let exe_bytes = crate::linux::fsencode(path)?;
        let exe = std::path::PathBuf::from(std::ffi::OsString::from_vec(exe_bytes.clone()));
        let mut argv = vec![exe_bytes];
        if let Some(a) = args {
            for item in a.try_iter()? {
                argv.push(crate::linux::fsencode(&item?)?);
            }
        }
        let mut envp = Vec::new();
        if let Some(e) = env {
            for item in e.try_iter()? {
                envp.push(crate::linux::fsencode(&item?)?);
            }
        }
        self.check_idle()?;
        let (space, state) = guarded(|| crate::linux::load_image(&exe, argv, envp))?;
        let shared = &self.shared;
        self.with_memory(|c| {
            // The machine object itself holds one reference; views hold the others.
            let register_views = Arc::strong_count(shared) > 1;
            let memory_views = c
                .backend
                .host_contiguous()
                .is_some_and(|m| Arc::strong_count(&m) > 2);
            if register_views || memory_views {
                return Err(KvrmError::new_err(
                    "zero-copy views of this machine are alive: delete them before load_elf \
                     replaces its memory and registers",
                ));
            }
            let kind = BackendKind::parse(shared.backend).unwrap_or(BackendKind::Cpu);
            let mut b =
                Backend::new(kind, space, shared.engine).map_err(BackendUnavailable::new_err)?;
            *b.state_mut() = state;
            c.backend = b;
            Ok(state.pc)
        })
    }

    // ----- zero-copy views ---------------------------------------------------

    /// Guest memory ``[addr, addr+size)`` without copying. On the CPU
    /// backend: a NumPy ``uint8`` array (a write through it is the guest's
    /// memory, a guest store shows in it); it needs the machine's contiguous
    /// memory (the default flat memory) and keeps that memory alive. On the
    /// CUDA backend: a ``DeviceArray`` of device memory with
    /// ``__cuda_array_interface__`` and ``__dlpack__``
    /// (``torch.from_dlpack(view)``, ``cupy.asarray(view)``); it stays valid
    /// until the machine maps or unmaps memory. ``size`` defaults to the rest
    /// of the mapping at ``addr``. Do not write through a view while a
    /// background run is going (as with a GPU's shared memory).
    #[pyo3(signature = (addr = 0, size = None))]
    fn memory_view<'py>(
        &self,
        py: Python<'py>,
        addr: u64,
        size: Option<u64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        if self.shared.backend == "cuda" {
            let range = self.with_core(|c| {
                let size = match size {
                    Some(s) => s,
                    None => c
                        .backend
                        .memory()
                        .regions()
                        .iter()
                        .find(|r| r.start <= addr && addr < r.end)
                        .map_or(0, |r| r.end - addr),
                };
                c.backend
                    .device_view(addr, size)
                    .map_err(|e| PyValueError::new_err(format!("memory_view: {e}")))
            })?;
            let view = DeviceArray::new(range.ptr, range.len, range.device, self.shared.clone());
            return Ok(Bound::new(py, view)?.into_any());
        }
        let (mem, offset, len) = self.with_core(|c| {
            let Some(mem) = c.backend.host_contiguous() else {
                return Err(KvrmError::new_err(
                    "this machine's memory is not contiguous host memory (made with memory_size=0, \
                     or not on the CPU backend): use read_memory/write_memory",
                ));
            };
            let base = mem.guest_base();
            let end_all = base + mem.len() as u64;
            let size = size.unwrap_or(end_all.saturating_sub(addr));
            let end = addr.checked_add(size).filter(|&e| addr >= base && e <= end_all && size > 0);
            let Some(end) = end else {
                return Err(PyValueError::new_err(format!(
                    "memory_view({addr:#x}, {size:#x}) is outside the contiguous memory {base:#x}..{end_all:#x}"
                )));
            };
            if !c.backend.memory().fully_mapped(addr, end) {
                return Err(PyValueError::new_err(format!(
                    "memory_view: {addr:#x}..{end:#x} is not fully mapped"
                )));
            }
            Ok((mem, (addr - base) as usize, size as usize))
        })?;
        let ptr = mem.as_ptr() as usize + offset;
        HostArray::numpy(py, ptr, vec![len], "|u1", Owner::Contiguous(mem))
    }

    /// A NumPy ``uint64`` array of x0..x30 over the machine's own register
    /// file, without copying (writes go to the machine). It keeps the
    /// machine alive. Coherent while the machine is stopped.
    fn registers_view<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let ptr = self.with_core(|c| {
            c.backend
                .host_state_ptr()
                .ok_or_else(|| KvrmError::new_err("this backend keeps registers off the host"))
        })?;
        HostArray::numpy(
            py,
            ptr as usize,
            vec![31],
            "<u8",
            Owner::Machine(self.shared.clone()),
        )
    }

    // ----- running -----------------------------------------------------------

    /// Run until the guest stops or ``max_cycles`` instructions have retired
    /// (the Metal system's standard mode). Releases the GIL; Ctrl-C stops it
    /// between batches (``KeyboardInterrupt``). Returns an
    /// ``ExecutionResult``; a fault raises ``GuestFault``, an unimplemented
    /// encoding ``UndefinedInstruction``.
    #[pyo3(signature = (max_cycles = DEFAULT_MAX_CYCLES), text_signature = "($self, max_cycles=100000000)")]
    fn execute(&self, py: Python<'_>, max_cycles: u64) -> PyResult<ExecutionResult> {
        // Batches only make progress visible and Ctrl-C possible.
        self.run_sync(py, max_cycles, self.cycles_per_batch())
    }

    /// Run up to ``max_batches`` batches of ``cycles_per_batch``
    /// instructions in Rust's batch loop, stopping early at a halt, syscall,
    /// breakpoint, watchpoint or fault. Releases the GIL.
    #[pyo3(signature = (max_batches = 10, cycles_per_batch = None))]
    fn execute_continuous(
        &self,
        py: Python<'_>,
        max_batches: u64,
        cycles_per_batch: Option<u64>,
    ) -> PyResult<ExecutionResult> {
        let batch = cycles_per_batch
            .unwrap_or_else(|| self.cycles_per_batch())
            .max(1);
        self.run_sync(py, max_batches.saturating_mul(batch), batch)
    }

    /// One run of ``total_cycles`` instructions (a single dispatch).
    /// Releases the GIL.
    #[pyo3(signature = (total_cycles = DEFAULT_MAX_CYCLES), text_signature = "($self, total_cycles=100000000)")]
    fn execute_mega(&self, py: Python<'_>, total_cycles: u64) -> PyResult<ExecutionResult> {
        self.run_sync(py, total_cycles, total_cycles)
    }

    /// Execute ``n`` instructions (stops early like ``execute``).
    #[pyo3(signature = (n = 1))]
    fn step(&self, py: Python<'_>, n: u64) -> PyResult<ExecutionResult> {
        self.run_sync(py, n, n)
    }

    /// Start running on a background thread and return at once. Follow with
    /// ``poll()`` / ``is_running()`` and ``wait()``.
    #[pyo3(signature = (max_cycles = DEFAULT_MAX_CYCLES, cycles_per_batch = None), text_signature = "($self, max_cycles=100000000, cycles_per_batch=None)")]
    fn start(&self, max_cycles: u64, cycles_per_batch: Option<u64>) -> PyResult<()> {
        self.check_idle()?;
        drop(self.core()?);
        let mut job = self.job.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = job.take() {
            // A finished run nobody waited for: its result is dropped.
            let _ = old.join();
        }
        let batch = cycles_per_batch
            .unwrap_or_else(|| self.cycles_per_batch())
            .max(1);
        let shared = self.shared.clone();
        shared.cancel.store(false, Ordering::Relaxed);
        shared.progress.store(0, Ordering::Relaxed);
        shared.running.store(true, Ordering::Release);
        let spawned = std::thread::Builder::new()
            .name("kvrm-run".into())
            .spawn(move || {
                let o = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    run_loop(&shared, max_cycles, batch, false)
                }))
                .unwrap_or_else(|p| Outcome {
                    reason: Reason::Cancelled,
                    cycles: shared.progress.load(Ordering::Relaxed),
                    elapsed: Duration::ZERO,
                    batches: 0,
                    final_pc: 0,
                    syscall_number: None,
                    error: Some(KvrmError::new_err(format!(
                        "internal error in kvrm: {}",
                        panic_text(&p)
                    ))),
                });
                shared.running.store(false, Ordering::Release);
                o
            });
        match spawned {
            Ok(h) => {
                *job = Some(h);
                Ok(())
            }
            Err(e) => {
                self.shared.running.store(false, Ordering::Release);
                Err(KvrmError::new_err(format!("cannot start a thread: {e}")))
            }
        }
    }

    /// Progress of the background run; never blocks.
    fn poll(&self) -> Status {
        Status {
            cycles_executed: self.shared.progress.load(Ordering::Relaxed),
            is_running: self.shared.running.load(Ordering::Acquire),
        }
    }

    /// Whether a background run is still going; never blocks.
    fn is_running(&self) -> bool {
        self.shared.running.load(Ordering::Acquire)
    }

    /// Ask the background run to stop after its current batch
    /// (``stop_reason == "cancelled"``).
    fn cancel(&self) {
        if self.shared.running.load(Ordering::Acquire) {
            self.shared.cancel.store(true, Ordering::Relaxed);
        }
    }

    /// Wait for the background run (releasing the GIL) and return its
    /// ``ExecutionResult`` (or raise its ``GuestFault`` / ...). Ctrl-C
    /// interrupts the wait, not the run (``cancel()`` stops that).
    fn wait(&self, py: Python<'_>) -> PyResult<ExecutionResult> {
        let handle = self
            .job
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .ok_or_else(|| KvrmError::new_err("no background run: call start() first"))?;
        // Wait in short sleeps so that Ctrl-C reaches Python; the run keeps
        // going and can be waited for again.
        while !handle.is_finished() {
            py.detach(|| std::thread::sleep(Duration::from_millis(2)));
            if let Err(e) = py.check_signals() {
                *self.job.lock().unwrap_or_else(|e| e.into_inner()) = Some(handle);
                return Err(e);
            }
        }
        match py.detach(move || handle.join()) {
            Ok(o) => finish(py, o),
            Err(p) => Err(KvrmError::new_err(format!(
                "internal error in kvrm: {}",
                panic_text(&p)
            ))),
        }
    }

    // ----- syscalls ----------------------------------------------------------

    /// Call ``fn(number, args)`` when the guest executes SVC: ``number`` is
    /// x8, ``args`` the tuple x0..x5. Return an int to write x0 and go on,
    /// or None to stop the run with ``stop_reason == "syscall"``. An
    /// exception in ``fn`` stops the run and is raised by ``execute*`` /
    /// ``wait``. ``on_syscall(None)`` removes the hook. Returns ``fn`` (so it
    /// works as a decorator).
    fn on_syscall(&self, py: Python<'_>, hook: Py<PyAny>) -> PyResult<Py<PyAny>> {
        let h = hook.bind(py);
        if !h.is_none() && !h.is_callable() {
            return Err(PyTypeError::new_err("on_syscall needs a callable or None"));
        }
        let stored = (!h.is_none()).then(|| hook.clone_ref(py));
        *self.shared.hook.lock().unwrap_or_else(|e| e.into_inner()) = stored;
        Ok(hook)
    }

    // ----- debugging ---------------------------------------------------------

    /// Stop before executing the instruction at ``addr``
    /// (``stop_reason == "breakpoint"``). Runs single-step while any is set.
    fn set_breakpoint(&self, addr: u64) -> PyResult<()> {
        self.with_core(|c| {
            c.breakpoints.insert(addr);
            Ok(())
        })
    }

    /// Remove the breakpoint at ``addr`` (KeyError if none).
    fn clear_breakpoint(&self, addr: u64) -> PyResult<()> {
        self.with_core(|c| {
            if c.breakpoints.remove(&addr) {
                Ok(())
            } else {
                Err(pyo3::exceptions::PyKeyError::new_err(format!(
                    "no breakpoint at {addr:#x}"
                )))
            }
        })
    }

    /// The breakpoint addresses, sorted.
    #[getter]
    fn breakpoints(&self) -> PyResult<Vec<u64>> {
        self.with_core(|c| Ok(c.breakpoints.iter().copied().collect()))
    }

    /// Stop after an instruction that accesses ``[addr, addr+size)``:
    /// ``kind`` is ``"write"``/``"w"``, ``"read"``/``"r"`` or
    /// ``"access"``/``"rw"`` (``stop_reason == "watchpoint"``). Works at full
    /// speed through page protection; accesses are not decoded, so one that
    /// starts up to 15 bytes before the range counts as touching it.
    #[pyo3(signature = (addr, size = 8, kind = "write"))]
    fn set_watchpoint(&self, addr: u64, size: u64, kind: &str) -> PyResult<()> {
        let kind = WatchKind::parse(kind).ok_or_else(|| {
            PyValueError::new_err(format!(
                "watchpoint kind {kind:?}: use 'read', 'write' or 'access'"
            ))
        })?;
        if size == 0 {
            return Err(PyValueError::new_err(
                "a watchpoint covers at least one byte",
            ));
        }
        self.with_core(|c| {
            c.watchpoints.retain(|w| w.addr != addr);
            c.watchpoints.push(Watch { addr, size, kind });
            Ok(())
        })
    }

    /// Remove the watchpoint at ``addr`` (KeyError if none).
    fn clear_watchpoint(&self, addr: u64) -> PyResult<()> {
        self.with_core(|c| {
            let before = c.watchpoints.len();
            c.watchpoints.retain(|w| w.addr != addr);
            if c.watchpoints.len() == before {
                return Err(pyo3::exceptions::PyKeyError::new_err(format!(
                    "no watchpoint at {addr:#x}"
                )));
            }
            Ok(())
        })
    }

    /// The watchpoints as ``[(addr, size, kind), ...]``.
    #[getter]
    fn watchpoints(&self) -> PyResult<Vec<(u64, u64, &'static str)>> {
        self.with_core(|c| {
            Ok(c.watchpoints
                .iter()
                .map(|w| (w.addr, w.size, w.kind.as_str()))
                .collect())
        })
    }

    /// Record the last ``n`` executed instructions (``n = 0`` turns tracing
    /// off). Runs single-step while on. Clears what was recorded.
    #[pyo3(signature = (n = 1000))]
    fn enable_trace(&self, n: usize) -> PyResult<()> {
        self.with_core(|c| {
            c.trace = (n > 0).then(|| Trace {
                capacity: n,
                records: Default::default(),
            });
            Ok(())
        })
    }

    /// The recorded instructions, oldest first, as ``TraceEntry`` objects
    /// (pc, encoding, disassembly, registers written); the record is
    /// emptied.
    fn read_trace(&self, py: Python<'_>) -> PyResult<Vec<TraceEntry>> {
        let records = self.with_core(|c| {
            Ok(c.trace
                .as_mut()
                .map(|t| std::mem::take(&mut t.records))
                .unwrap_or_default())
        })?;
        records
            .into_iter()
            .map(|r| {
                let regs = PyDict::new(py);
                for (name, v) in r.written {
                    regs.set_item(name, v)?;
                }
                Ok(TraceEntry {
                    pc: r.pc,
                    encoding: r.encoding,
                    disassembly: crate::disasm::disassemble(r.encoding),
                    registers: regs.unbind(),
                })
            })
            .collect()
    }
}
