//! [`CudaEngine`]: the CUDA backend as a `kvrm_isa::Engine`.
//!
//! A run launches one CUDA thread per machine (a lane). Each lane runs until
//! it stops or has retired its budget. Lanes that stop as "needs host" (an
//! encoding the kernels do not implement yet) have exactly that instruction
//! executed by the CPU backend's interpreter on the host copy of their
//! address space, counted per instruction name in [`Engine::stats`], and are
//! launched again; lanes that ran out of frames are launched again after the
//! pool grows. Results are the CPU backend's, bit for bit.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cudarc::driver::{CudaEvent, CudaFunction, CudaSlice};
use kvrm_cpu::Cpu;
use kvrm_isa::space::{page_of, PageSource};
use kvrm_isa::table::CLASSES;
use kvrm_isa::{
    decode_a64, reg_writes, table, Access, AddressSpace, CpuState, Engine, FaultKind, MachineId,
    MachineStop, RegWrite, SpaceId, StopReason, TraceEntry, WatchKind, Watchpoint,
};

use crate::devmem::{self, DevSpace, FramePool, Traffic};
use crate::driver::{Gpu, HostBuffer, HostCounter, RunArgs};
use crate::error::CudaError;
use crate::kernels;
use crate::layout::*;
use crate::page_source::DevicePages;

mod arena;
mod export;
mod jit;
use arena::ArenaLayout;
pub use export::DeviceRange;
use jit::Translator;

/// Frames in a fresh pool (64 MiB); it doubles when the device runs out.
const INITIAL_FRAMES: u32 = 16 * 1024;
/// Page events one launch can log before the host re-reads whole tables.
const EVENT_CAP: u32 = 1 << 20;
/// Entries of the device decode memo (`DECODE_CACHE_BITS` in interp.cu).
const DECODE_CACHE: usize = 1 << 16;
/// Instructions per launch while tracing: the trace ring holds one more
/// record per lane (the instruction a lane stops on), so none is lost.
const TRACE_CHUNK: u64 = 4096;
/// Set in a lane's space index when another machine may change that
/// space's memory while the lane runs ([`SpaceSlot::memory_shared`]).
const SHARED_SPACE: u32 = 1 << 31;

struct SpaceSlot {
    /// The host copy of the space, inside the interpreter that runs host steps.
    cpu: Cpu,
    dev: Option<DevSpace>,
    /// Pages a host step wrote, to upload before the next launch.
    extra_dirty: Vec<u64>,
    users: u32,
    /// Where the space reads the pages launches left on the device.
    source: Arc<DevicePages>,
}

impl SpaceSlot {
    /// The space's page source, if stale pages are read through it: the
    /// engine's own, and no contiguous backing (a host view of that memory
    /// reads it in place, so it must hold the device's bytes at once).
    fn lazy_source(&self) -> Option<&DevicePages> {
        let mem = &self.cpu.mem;
        let installed = mem
            .page_source()
            .is_some_and(|s| std::ptr::addr_eq(Arc::as_ptr(s), Arc::as_ptr(&self.source)));
        (installed && mem.contiguous().is_none()).then_some(&*self.source)
    }

    /// Another machine may change the space's memory while one of its lanes
    /// runs: two or more machines use it, or it maps MAP_SHARED memory
    /// (other processes map it too).
    fn memory_shared(&self) -> bool {
        self.users > 1 || self.cpu.mem.has_shared_mappings()
    }

    /// Give the space the engine's page source, if it can take one and
    /// downloads are `lazy` (else every written page comes home after
    /// each launch).
    fn install_source(&mut self, lazy: bool) {
        if lazy && self.cpu.mem.contiguous().is_none() && self.lazy_source().is_none() {
            let source: Arc<dyn PageSource> = self.source.clone();
            self.cpu.mem.set_page_source(Some(source));
        }
    }
}

struct MachineSlot {
    state: CpuState,
    space: SpaceId,
    /// Where this machine last stopped on a breakpoint or watchpoint: its
    /// next instruction there runs without the checks (steps over it).
    resume_pc: Option<u64>,
}

/// Device buffers of a launch's `KvrmDebug`, alive until it is done.
struct DebugBufs {
    args: CudaSlice<DebugDev>,
    _bps: CudaSlice<u64>,
    _watch: CudaSlice<Watch>,
    _step_over: CudaSlice<u8>,
    trace: Option<(CudaSlice<TraceRec>, CudaSlice<u32>)>,
}

#[derive(Default)]
struct Stats {
    launches: u64,
    lanes: u64,
    device_instructions: u64,
    /// ... of them in translated blocks.
    block_instructions: u64,
    host_instructions: u64,
    frame_stops: u64,
    /// Launches whose lanes were ordered by pc ([`CudaEngine::set_regroup`]).
    regrouped: u64,
    ptx_cached: u64,
    fallbacks: BTreeMap<u16, u64>,
    /// Host time before a launch (page sync, state upload, queueing).
    prepare: Duration,
    /// ... of it syncing the spaces' device copies (tables, uploads) ...
    sync: Duration,
    /// ... of that sending the batched uploads.
    flush: Duration,
    /// Waiting for launches to finish (the kernel's time, seen from the host).
    kernel_wait: Duration,
    /// Host time after a launch (states, page events, downloads).
    finish: Duration,
    /// Host time adding spaces (a process's start, a fork's child) ...
    adding_spaces: Duration,
    /// ... and removing them (an exit, an exec), dropping what the engine
    /// held for them.
    removing_spaces: Duration,
}

/// A launch queued on the device and not yet collected.
struct InFlight {
    lanes: Vec<(MachineId, u64)>,
    space_list: Vec<u32>,
    /// Where its arrays are in the launch arena.
    layout: ArenaLayout,
    debug: Option<DebugBufs>,
    done: CudaEvent,
}

/// An asynchronous run ([`CudaEngine::start`]): its first launch is in
/// flight; the rest (host steps, relaunches) happens in `wait`.
struct AsyncRun {
    flight: Option<InFlight>,
    /// (machine, budget left, retired so far) of every machine of the run.
    pending: Vec<(MachineId, u64, u64)>,
    /// Stops of machines that needed no launch (zero budget).
    early: Vec<MachineStop>,
}

/// Receives trace records: the machine and one executed instruction.
pub type TraceSink = Box<dyn FnMut(MachineId, &TraceEntry) + Send>;

/// Many machines on one GPU.
pub struct CudaEngine {
    gpu: Gpu,
    func: CudaFunction,
    /// `kvrm_gather_frames` and `kvrm_scatter`, from the interpreter's module.
    gather: CudaFunction,
    scatter: CudaFunction,
    spaces: Vec<Option<SpaceSlot>>,
    free_spaces: Vec<u32>,
    machines: Vec<Option<MachineSlot>>,
    free_machines: Vec<u32>,
    pool: FramePool,
    /// The per-launch arrays (engine/arena.rs) on the device, and the
    /// page-locked host bytes they are packed in and read back to.
    arena: CudaSlice<u8>,
    arena_host: HostBuffer,
    events: CudaSlice<PageEvent>,
    decode_cache: CudaSlice<u64>,
    gen: u32,
    traffic: Traffic,
    stats: Stats,
    fallback_names: HashMap<u16, &'static str>,
    /// Ranges of guest memory handed out as device memory, per space id.
    exports: HashMap<u32, Vec<(u64, u64)>>,
    /// The pinned host mirror of the launch's retired-instruction counter
    /// (the device counter is in the arena).
    host_progress: HostCounter,
    running: Option<AsyncRun>,
    /// Hot blocks translated to CUDA C (`set_translation`), or `None`.
    translator: Option<Translator>,
    /// Breakpoints and watchpoints (translated blocks do not run while any
    /// is set, nor while tracing).
    breakpoints: Vec<u64>,
    watchpoints: Vec<Watchpoint>,
    /// Where the per-lane trace rings' records go (`set_trace`), or `None`.
    trace_sink: Option<TraceSink>,
    /// The first device error of a run (`Engine::take_error`).
    error: Option<String>,
    /// The warp gate's age bound (`kernels/run.cu`; 0: off) for every
    /// launch, or `None`: [`DEFAULT_WARP_GATE`] where blocks are translated.
    warp_gate: Option<u32>,
    /// Pages launches wrote stay on the device until the host touches
    /// them (`page_source.rs`); `KVRM_CUDA_EAGER_DOWNLOADS=1` downloads
    /// them all after each launch instead, for comparison.
    lazy_downloads: bool,
    /// Lanes reordered by pc every this many instructions (0: never); see
    /// [`CudaEngine::set_regroup`].
    regroup: u64,
}

/// How many turns a lane of a diverged warp waits at a block boundary for
/// the lanes at lower pcs before it runs anyway (`kernels/run.cu`), in
/// launches with translated blocks. Lanes there run one block function per
/// distinct pc, one after another, so lanes that come back together pay:
/// CoreMark with a seed per lane (1,024 lanes, H200) ran 157 M instructions/s
/// with 1,024, 99 M with 64 and 105 M without. The interpreter's lanes share
/// its code at different pcs, and waiting slows them (137 M without, 56-81 M
/// with): it runs without the gate.
pub const DEFAULT_WARP_GATE: u32 = 1024;

fn slot_take<T>(slots: &mut Vec<Option<T>>, free: &mut Vec<u32>, value: T) -> u32 {
    match free.pop() {
        Some(i) => {
            slots[i as usize] = Some(value);
            i
        }
        None => {
            slots.push(Some(value));
            (slots.len() - 1) as u32
        }
    }
}

/// The stop reason of a lane record, or `None` for the kinds the engine
/// handles itself (needs host, out of frames). `pc` is the lane's pc after
/// the launch.
/// A watchpoint as the kernel reads it (`KvrmWatch`).
pub(crate) fn watch_dev(w: &Watchpoint) -> Watch {
    Watch {
        addr: w.addr,
        len: w.len,
        kind: match w.kind {
            WatchKind::Read => 1,
            WatchKind::Write => 2,
            WatchKind::ReadWrite => 3,
        },
        pad: 0,
    }
}

pub(crate) fn lane_stop_reason(s: &LaneStop, pc: u64) -> Option<StopReason> {
    Some(match s.kind {
        STOP_CYCLE_LIMIT => StopReason::CycleLimit,
        STOP_HALTED => StopReason::Halted {
            pc,
            imm: s.aux as u16,
            hlt: (s.aux >> 16) & 1 != 0,
        },
        STOP_SYSCALL => StopReason::Syscall { imm: s.aux as u16 },
        STOP_FAULT => StopReason::Fault {
            addr: s.addr,
            access: match s.aux & 0xff {
                0 => Access::Read,
                1 => Access::Write,
                _ => Access::Execute,
            },
            kind: match (s.aux >> 8) & 0xff {
                0 => FaultKind::Unmapped,
                1 => FaultKind::Permission,
                _ => FaultKind::Alignment,
            },
            pc,
        },
        STOP_UNDEFINED => StopReason::Undefined {
            pc,
            encoding: s.aux,
        },
        STOP_BREAKPOINT => StopReason::Breakpoint { pc },
        STOP_WATCHPOINT => StopReason::Watchpoint {
            pc,
            addr: s.addr,
            access: if s.aux & 0xff == 1 {
                Access::Write
            } else {
                Access::Read
            },
        },
        _ => return None,
    })
}

/// A trace ring record as a [`TraceEntry`].
pub(crate) fn trace_entry(r: &TraceRec) -> TraceEntry {
    let n = (r.nwrites as usize).min(TRACE_WRITES);
    let writes = r.w[..n]
        .iter()
        .map(|w| match w.reg {
            0..=30 => RegWrite::X(w.reg as u8, w.lo),
            31 => RegWrite::Sp(w.lo),
            32 => RegWrite::Nzcv(w.lo),
            33 => RegWrite::Fpsr(w.lo),
            r => RegWrite::V((r - 64) as u8, (w.lo as u128) | ((w.hi as u128) << 64)),
        })
        .collect();
    TraceEntry {
        pc: r.pc,
        word: r.word,
        writes,
    }
}

/// The class (table file) of a decode id.
fn class_of(id: u16) -> &'static str {
    let mut first = 0usize;
    for (name, entries) in CLASSES {
        if (id as usize) < first + entries.len() {
            return name;
        }
        first += entries.len();
    }
    "unknown"
}

impl CudaEngine {
    /// Open GPU 0 and prepare the interpreter kernel (NVRTC or the disk cache).
    pub fn new() -> Result<Self, CudaError> {
        Self::on_device(0)
    }

    pub fn on_device(ordinal: usize) -> Result<Self, CudaError> {
        Self::with_gpu(Gpu::open(ordinal)?)
    }

    /// GPU `ordinal` on a stream of its own: this engine's launches and
    /// copies run beside those of the process's other engines (one per host
    /// thread of a `--lanes` run) instead of after them. Not for device
    /// views shared with other libraries, whose work is ordered with the
    /// default stream's only.
    pub fn on_own_stream(ordinal: usize) -> Result<Self, CudaError> {
        Self::with_gpu(Gpu::open_own_stream(ordinal)?)
    }

    fn with_gpu(gpu: Gpu) -> Result<Self, CudaError> {
        let names = ["kvrm_run", "kvrm_gather_frames", "kvrm_scatter"];
        let (ptx, cached) = kernels::interpreter_ptx(gpu.arch())?;
        let (mut funcs, cached) = match gpu.load_functions(&ptx, &names) {
            // A cache filled elsewhere, by an NVRTC newer than this driver
            // takes: compile it here.
            Err(e) if cached => {
                let ptx = kernels::recompile_interpreter_ptx(gpu.arch()).map_err(|c| {
                    CudaError::Driver(format!(
                        "load module: the cached kernel did not load ({e}) and could not \
                             be compiled here: {c}"
                    ))
                })?;
                (gpu.load_functions(&ptx, &names)?, false)
            }
            r => (r?, cached),
        };
        let scatter = funcs.pop().expect("three functions");
        let gather = funcs.pop().expect("three functions");
        let func = funcs.pop().expect("three functions");
        let pool = FramePool::new(&gpu, INITIAL_FRAMES)?;
        let arena = gpu.zeros::<u8>(ArenaLayout::new(1, 1).total)?;
        let events = gpu.zeros::<PageEvent>(EVENT_CAP as usize)?;
        let decode_cache = gpu.zeros::<u64>(DECODE_CACHE)?;
        let host_progress = gpu.host_counter()?;
        devmem::LIVE_ENGINES.fetch_add(1, Ordering::Relaxed);
        Ok(CudaEngine {
            gpu,
            func,
            gather,
            scatter,
            spaces: Vec::new(),
            free_spaces: Vec::new(),
            machines: Vec::new(),
            free_machines: Vec::new(),
            pool,
            arena,
            arena_host: HostBuffer::default(),
            events,
            decode_cache,
            gen: 0,
            traffic: Traffic::default(),
            stats: Stats {
                ptx_cached: cached as u64,
                ..Stats::default()
            },
            fallback_names: HashMap::new(),
            exports: HashMap::new(),
            host_progress,
            running: None,
            translator: None,
            breakpoints: Vec::new(),
            watchpoints: Vec::new(),
            trace_sink: None,
            error: None,
            // KVRM_CUDA_WARP_GATE=N sets it for every launch, the
            // interpreter's included (0: off), for measuring it.
            warp_gate: std::env::var("KVRM_CUDA_WARP_GATE")
                .ok()
                .and_then(|v| v.parse().ok()),
            lazy_downloads: std::env::var("KVRM_CUDA_EAGER_DOWNLOADS").as_deref() != Ok("1"),
            regroup: std::env::var("KVRM_CUDA_REGROUP")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
        })
    }

    /// Set the warp gate's age bound: at a block boundary, a lane whose pc is
    /// not the lowest of its warp's waits up to `turns` turns for the lanes
    /// behind it, so lanes that diverged run together again. 0 turns it off.
    /// `None` restores the default.
    pub fn set_warp_gate(&mut self, turns: Option<u32>) {
        self.warp_gate = turns;
    }

    /// Regroup lanes by pc: a run's launches last at most `chunk`
    /// instructions per lane, and before each the lanes are ordered by pc,
    /// so the 32 lanes of a warp are machines that stand at one pc (lanes
    /// of one program that took different paths otherwise run their warps'
    /// paths one after another). 0 turns it off. `KVRM_CUDA_REGROUP=N`
    /// sets it at start.
    pub fn set_regroup(&mut self, chunk: u64) {
        self.regroup = chunk;
    }

    /// Order `pending` by pc when regrouping (a stable sort: machines at
    /// one pc keep their order).
    fn order_lanes(&mut self, pending: &mut [(MachineId, u64, u64)]) {
        if self.regroup == 0 || pending.len() < 2 {
            return;
        }
        pending.sort_by_key(|&(m, _, _)| self.machine(m).state.pc);
        self.stats.regrouped += 1;
    }

    /// Trace every instruction each lane executes (pc, encoding, registers
    /// written): the kernel fills a ring per lane, read after each launch,
    /// and `sink` gets each machine's records in order (those a host step
    /// ran included). While on, launches run at most 4096 instructions per
    /// lane (the ring holds them all) and translated blocks do not run.
    /// `None` turns it off.
    pub fn set_trace(&mut self, sink: Option<TraceSink>) {
        self.trace_sink = sink;
    }

    fn tracing(&self) -> bool {
        self.trace_sink.is_some()
    }

    /// Breakpoints, watchpoints or the trace: the checked kernel loop only.
    fn debugging(&self) -> bool {
        self.tracing() || !self.breakpoints.is_empty() || !self.watchpoints.is_empty()
    }

    /// The `KvrmDebug` of a launch of `lanes`, or `None` when not debugging.
    fn debug_bufs(&self, lanes: &[(MachineId, u64)]) -> Result<Option<DebugBufs>, CudaError> {
        if !self.debugging() {
            return Ok(None);
        }
        let watch: Vec<Watch> = self.watchpoints.iter().map(watch_dev).collect();
        let step_over: Vec<u8> = lanes
            .iter()
            .map(|&(m, _)| {
                let slot = self.machine(m);
                u8::from(slot.resume_pc == Some(slot.state.pc))
            })
            .collect();
        let bps = self.gpu.upload(&self.breakpoints)?;
        let d_watch = self.gpu.upload(&watch)?;
        let d_step = self.gpu.upload(&step_over)?;
        let cap = if self.tracing() {
            TRACE_CHUNK as u32 + 1
        } else {
            0
        };
        let trace = if self.tracing() {
            Some((
                self.gpu.zeros::<TraceRec>(lanes.len() * cap as usize)?,
                self.gpu.zeros::<u32>(lanes.len())?,
            ))
        } else {
            None
        };
        let args = DebugDev {
            bps: self.gpu.address(&bps),
            watch: self.gpu.address(&d_watch),
            step_over: self.gpu.address(&d_step),
            trace: trace.as_ref().map_or(0, |t| self.gpu.address(&t.0)),
            trace_count: trace.as_ref().map_or(0, |t| self.gpu.address(&t.1)),
            nbps: self.breakpoints.len() as u32,
            nwatch: watch.len() as u32,
            trace_cap: cap,
            pad: 0,
        };
        Ok(Some(DebugBufs {
            args: self.gpu.upload(&[args])?,
            _bps: bps,
            _watch: d_watch,
            _step_over: d_step,
            trace,
        }))
    }

    /// Append what the trace rings of a launch recorded to the machines'
    /// traces.
    fn collect_trace(
        &mut self,
        lanes: &[(MachineId, u64)],
        bufs: &DebugBufs,
    ) -> Result<(), CudaError> {
        let Some((recs, counts)) = &bufs.trace else {
            return Ok(());
        };
        let cap = TRACE_CHUNK as usize + 1;
        let mut n = vec![0u32; lanes.len()];
        self.gpu.read(counts, 0, &mut n)?;
        let mut all = vec![TraceRec::default(); lanes.len() * cap];
        self.gpu.read(recs, 0, &mut all)?;
        if let Some(sink) = self.trace_sink.as_mut() {
            for (i, &(m, _)) in lanes.iter().enumerate() {
                let count = (n[i] as usize).min(cap);
                for r in &all[i * cap..i * cap + count] {
                    sink(m, &trace_entry(r));
                }
            }
        }
        Ok(())
    }

    /// Translate blocks entered `threshold` times or more to CUDA C and run
    /// them compiled (the GPU's `--engine jit`); `None` turns it off. Results
    /// are the interpreter's, instruction counts included.
    pub fn set_translation(&mut self, threshold: Option<u32>) -> Result<(), CudaError> {
        self.translator = match threshold {
            Some(t) => Some(Translator::new(&self.gpu, t)?),
            None => None,
        };
        Ok(())
    }

    /// Wait until a translation compile in flight (if any) is done and its
    /// blocks are in use: benchmarks call it to measure the steady state.
    pub fn wait_for_translation(&mut self) -> Result<(), CudaError> {
        match self.translator.as_mut() {
            Some(t) => t.finish_compile(&self.gpu),
            None => Ok(()),
        }
    }

    /// The CUDA ordinal of the engine's device.
    pub fn ordinal(&self) -> usize {
        self.gpu.ordinal()
    }

    /// The device's name.
    pub fn device_name(&self) -> &str {
        self.gpu.name()
    }

    fn space_slot(&self, s: SpaceId) -> &SpaceSlot {
        self.spaces[s.0 as usize]
            .as_ref()
            .expect("kvrm: no such address space")
    }

    fn space_slot_mut(&mut self, s: SpaceId) -> &mut SpaceSlot {
        self.spaces[s.0 as usize]
            .as_mut()
            .expect("kvrm: no such address space")
    }

    fn machine(&self, m: MachineId) -> &MachineSlot {
        self.machines[m.0 as usize]
            .as_ref()
            .expect("kvrm: no such machine")
    }

    fn machine_mut(&mut self, m: MachineId) -> &mut MachineSlot {
        self.machines[m.0 as usize]
            .as_mut()
            .expect("kvrm: no such machine")
    }

    /// A lane's permission fault on a page the device table denies because
    /// it lies past the end of its file is a bus error, as on the host.
    fn bus_fault(&self, m: MachineId, stop: StopReason) -> StopReason {
        match stop {
            StopReason::Fault {
                addr,
                access,
                kind: FaultKind::Permission,
                pc,
            } if self
                .space_slot(self.machine(m).space)
                .dev
                .as_ref()
                .is_some_and(|d| d.bus_pages.contains(&page_of(addr))) =>
            {
                StopReason::Fault {
                    addr,
                    access,
                    kind: FaultKind::Bus,
                    pc,
                }
            }
            other => other,
        }
    }

    /// Run `lanes` (machine, budget left) for one launch; returns each
    /// lane's stop record (states are written back into the machines).
    fn launch(&mut self, lanes: &[(MachineId, u64)]) -> Result<Vec<LaneStop>, CudaError> {
        let flight = self.launch_begin(lanes)?;
        self.launch_end(flight)
    }

    /// Sync the spaces `lanes` run in, upload their states and queue the
    /// kernel; it runs while the host goes on.
    fn launch_begin(&mut self, lanes: &[(MachineId, u64)]) -> Result<InFlight, CudaError> {
        let t0 = Instant::now();
        // The spaces of this launch, numbered for the kernel.
        let mut space_index: HashMap<u32, u32> = HashMap::new();
        let mut space_list: Vec<u32> = Vec::new();
        let mut lane_space = Vec::with_capacity(lanes.len());
        for &(m, _) in lanes {
            let sid = self.machine(m).space.0;
            let idx = *space_index.entry(sid).or_insert_with(|| {
                space_list.push(sid);
                (space_list.len() - 1) as u32
            });
            // The top bit tells the kernel that other machines share the
            // space's memory: its exclusives then compare and swap
            // (atomics.cuh).
            let shared = self.space_slot(SpaceId(sid)).memory_shared();
            lane_space.push(idx | if shared { SHARED_SPACE } else { 0 });
        }
        if let Some(t) = self.translator.as_mut() {
            let spaces: Vec<(u32, &AddressSpace, &[u64])> = space_list
                .iter()
                .map(|&sid| {
                    let slot = self.spaces[sid as usize]
                        .as_ref()
                        .expect("kvrm: no such address space");
                    (sid, &*slot.cpu.mem, &slot.extra_dirty[..])
                })
                .collect();
            t.prepare_launch(&self.gpu, &spaces)?;
        }
        let mut devs = Vec::with_capacity(space_list.len());
        let t_sync = Instant::now();
        // The spaces' page and table writes go up together at the end.
        self.pool.defer_uploads(&self.scatter);
        let mut synced = Ok(());
        for &sid in &space_list {
            synced = self.sync_space(SpaceId(sid));
            if synced.is_err() {
                break;
            }
            devs.push(
                self.space_slot(SpaceId(sid))
                    .dev
                    .as_ref()
                    .map(|d| d.dev(&self.gpu))
                    .unwrap_or_default(),
            );
        }
        let t_flush = Instant::now();
        let flushed = self.pool.flush_uploads(&self.gpu);
        self.stats.flush += t_flush.elapsed();
        synced.and(flushed)?;
        self.stats.sync += t_sync.elapsed();
        self.gen = self.gen.wrapping_add(1).max(1);
        let (free_list, free_count) = self.pool.free_list_for_launch(&self.gpu)?;
        let control = Control {
            frames_next: self.pool.next,
            frames_cap: self.pool.cap,
            events_next: 0,
            events_cap: EVENT_CAP,
            free_next: 0,
            free_count,
            free_list,
        };
        let n = lanes.len();
        let layout = ArenaLayout::new(n, devs.len());
        let chunk = match (self.tracing(), self.regroup) {
            (true, _) => TRACE_CHUNK,
            (false, 0) => u64::MAX,
            (false, r) => r,
        };
        let budgets: Vec<u64> = lanes.iter().map(|&(_, b)| b.min(chunk)).collect();
        let mut host = std::mem::take(&mut self.arena_host);
        let packed = self
            .gpu
            .reserve_host(&mut host, layout.total)
            .and_then(|()| host.bytes_mut(layout.total))
            .map(|bytes| {
                layout.pack(
                    bytes,
                    &control,
                    lanes.iter().map(|&(m, _)| self.machine(m).state),
                    &budgets,
                    &lane_space,
                    &devs,
                )
            });
        self.arena_host = host;
        packed?;
        if self.arena.len() < layout.total {
            self.arena = self.gpu.zeros::<u8>(layout.total.next_power_of_two())?;
        }
        self.gpu
            .write_from_host(&mut self.arena, 0, &self.arena_host, layout.total)?;
        self.host_progress.set(0);
        let debug = self.debug_bufs(lanes)?;
        // Debugging runs the plain interpreter: translated blocks have no checks.
        let translator = self.translator.as_ref().filter(|_| debug.is_none());
        let func = translator.and_then(|t| t.function()).unwrap_or(&self.func);
        let base = self.gpu.address(&self.arena);
        let tb = translator.and_then(|t| t.launch_args());
        let mut pool_frames = self.pool.memory.lock();
        self.gpu.launch_run(
            func,
            RunArgs {
                states: base + layout.states as u64,
                lane_machine: base + layout.lane_machine as u64,
                nlanes: n as u32,
                lane_space: base + layout.lane_space as u64,
                spaces: base + layout.spaces as u64,
                pool: &mut pool_frames,
                control: base,
                events: &mut self.events,
                decode_cache: &mut self.decode_cache,
                budgets: base + layout.budgets as u64,
                stops: base + layout.stops as u64,
                gen: self.gen,
                progress: base + layout.progress as u64,
                host_progress: &self.host_progress,
                tb,
                hot: translator.and_then(|t| t.hot_table()),
                debug: debug.as_ref().map(|d| &d.args),
                // Lanes wait for each other only where blocks run.
                gate: self
                    .warp_gate
                    .unwrap_or(if tb.is_some() { DEFAULT_WARP_GATE } else { 0 }),
            },
        )?;
        drop(pool_frames);
        self.stats.launches += 1;
        self.stats.lanes += n as u64;
        let done = self.gpu.mark()?;
        self.stats.prepare += t0.elapsed();
        Ok(InFlight {
            lanes: lanes.to_vec(),
            space_list,
            layout,
            debug,
            done,
        })
    }

    /// Wait for a launch and bring its results home: lane states, stops,
    /// and the pages the device wrote (marked stale, or downloaded: see
    /// [`devmem::settle_written`]).
    fn launch_end(&mut self, flight: InFlight) -> Result<Vec<LaneStop>, CudaError> {
        let InFlight {
            lanes,
            space_list,
            layout,
            debug,
            done,
        } = flight;
        let lanes = &lanes[..];

        let t0 = Instant::now();
        // Wait for the kernel first, then copy: a copy queued behind the
        // kernel would wait inside the driver, which may hold up the driver
        // calls of other threads' engines for the whole kernel.
        let read = self.gpu.wait_for(&done).and_then(|()| {
            self.gpu
                .read_into_host(&self.arena, 0, &mut self.arena_host, layout.download)
        });
        let t1 = Instant::now();
        self.stats.kernel_wait += t1 - t0;
        read?;
        let (ctl, stops, out_states) = layout.unpack(self.arena_host.bytes(layout.download)?);
        // The pages a syscall's service will likely touch (the stack at sp,
        // the pages its argument registers point into), by space index: if
        // the launch wrote them they come home now, in the launch's one
        // gathered copy, instead of one device read each as the kernel of
        // the process model touches them.
        let index_of: HashMap<u32, usize> = space_list
            .iter()
            .enumerate()
            .map(|(i, &sid)| (sid, i))
            .collect();
        let mut wanted: HashSet<(usize, u64)> = HashSet::new();
        for ((&(m, _), s), st) in lanes.iter().zip(&stops).zip(&out_states) {
            if s.kind != STOP_SYSCALL {
                continue;
            }
            if let Some(&si) = index_of.get(&self.machine(m).space.0) {
                wanted.extend(syscall_pages(st).map(|page| (si, page)));
            }
        }
        for (&(m, _), s) in lanes.iter().zip(out_states) {
            let shared = self.space_slot(self.machine(m).space).memory_shared();
            let slot = self.machine_mut(m);
            slot.state = s;
            // Lanes of a shared space ran beside the others: the end of a
            // launch is a preemption, which clears the exclusive monitor (as
            // the CPU backend does), so a store-exclusive in a later launch
            // cannot succeed across another lane's store it never saw.
            if shared {
                slot.state.excl_size = 0;
            }
        }
        if let Some(d) = &debug {
            self.collect_trace(lanes, d)?;
        }
        let ctl = [ctl];
        // Claims past the pool's end were refused; the counter may overshoot.
        self.pool.next = ctl[0].frames_next.min(self.pool.cap);
        self.pool
            .taken_by_launch(ctl[0].free_next, ctl[0].free_count);
        let logged = ctl[0].events_next.min(EVENT_CAP) as usize;
        let mut events = vec![PageEvent::default(); logged];
        self.gpu.read(&self.events, 0, &mut events)?;

        // Bring the host copies up to date with what the device wrote.
        let mut taken: Vec<Option<SpaceSlot>> = space_list
            .iter()
            .map(|&sid| self.spaces[sid as usize].take())
            .collect();
        let result = (|| -> Result<(), CudaError> {
            // Sources are shared handles: cloned, so the slots can lend
            // their spaces mutably alongside.
            let sources: Vec<Option<Arc<DevicePages>>> = taken
                .iter()
                .map(|s| {
                    let s = s.as_ref().expect("space taken once");
                    s.lazy_source().map(|_| s.source.clone())
                })
                .collect();
            let sources: Vec<Option<&DevicePages>> = sources.iter().map(|s| s.as_deref()).collect();
            let mut refs: Vec<(&mut Option<DevSpace>, &mut AddressSpace)> = taken
                .iter_mut()
                .map(|s| {
                    let s = s.as_mut().expect("space taken once");
                    (&mut s.dev, &mut *s.cpu.mem)
                })
                .collect();
            let written = if ctl[0].events_next > EVENT_CAP {
                // The log overflowed: re-read every table; every page with a
                // frame may have been written (but frames shared by content
                // are read-only pages').
                let mut all = Vec::new();
                for (i, (dev, _)) in refs.iter_mut().enumerate() {
                    if let Some(d) = dev.as_mut() {
                        all.extend(
                            d.reload(&self.gpu)?
                                .into_iter()
                                .filter(|&(_, f)| !self.pool.is_shared(f))
                                .map(|(p, f)| (i, p, f)),
                        );
                    }
                }
                all
            } else {
                devmem::apply_claims(&events, &mut refs)
            };
            devmem::settle_written(
                &self.gpu,
                &mut self.pool,
                &self.gather,
                &written,
                &wanted,
                &mut refs,
                &sources,
                &mut self.traffic,
            )
        })();
        for (sid, slot) in space_list.iter().zip(taken) {
            self.spaces[*sid as usize] = slot;
        }
        self.stats.finish += t1.elapsed();
        result?;
        Ok(stops)
    }

    /// Execute the instruction at `m`'s pc on the host interpreter.
    fn host_step(&mut self, m: MachineId, encoding: u32) -> StopReason {
        let sid = self.machine(m).space;
        let state = self.machine(m).state;
        let id = decode_a64(encoding).unwrap_or(u16::MAX);
        *self.stats.fallbacks.entry(id).or_insert(0) += 1;
        self.fallback_names.entry(id).or_insert_with(|| {
            let t = table();
            let name = if (id as usize) < t.entries.len() {
                t.name(id)
            } else {
                "undecodable"
            };
            // One leaked string per instruction name (bounded by the table).
            Box::leak(format!("cuda host fallback {name}").into_boxed_str())
        });
        let class = class_of(id);
        let resume_pc = self.machine(m).resume_pc;
        let slot = self.space_slot_mut(sid);
        let footprint = devmem::host_write_footprint(class, encoding, &state);
        slot.cpu.state = state;
        // The host copy has the same breakpoints and watchpoints.
        slot.cpu.resume_pc = resume_pc;
        let r = slot.cpu.run_for(1);
        let after = slot.cpu.state;
        let resume_pc = slot.cpu.resume_pc;
        // A page still stale was not written: any host access to one
        // brings it in first (the step's TLBs start empty after a launch
        // marked pages stale, as the epoch moved). Its device copy is the
        // current one, so it must not go up.
        let mem = &slot.cpu.mem;
        match footprint {
            Some(pages) => slot
                .extra_dirty
                .extend(pages.into_iter().filter(|&p| !mem.is_stale(p))),
            None => {
                if let Some(d) = slot.dev.as_ref() {
                    let all = d.mapped_pages();
                    slot.extra_dirty
                        .extend(all.into_iter().filter(|&p| !mem.is_stale(p)));
                }
            }
        }
        self.machine_mut(m).state = after;
        self.machine_mut(m).resume_pc = if r.instructions > 0 { None } else { resume_pc };
        if let Some(sink) = self.trace_sink.as_mut() {
            if r.stop.debug_pc().is_none() {
                let e = TraceEntry {
                    pc: state.pc,
                    word: encoding,
                    writes: reg_writes(&state, &after),
                };
                sink(m, &e);
            }
        }
        self.stats.host_instructions += r.instructions;
        r.stop
    }

    /// Read every stale page of `space` from the device, in one gathered
    /// copy (a fork or an asynchronous run needs them all; page by page,
    /// each would be a round trip).
    fn bring_in_space(&mut self, space: SpaceId) -> Result<(), CudaError> {
        let slot = self.spaces[space.0 as usize]
            .as_mut()
            .expect("kvrm: no such address space");
        if slot.lazy_source().is_none() {
            return Ok(()); // nothing stale here is the engine's
        }
        let source = slot.source.clone();
        let pages = slot.cpu.mem.stale_pages();
        devmem::bring_in_pages(
            &self.gpu,
            &mut self.pool,
            &self.gather,
            &source,
            &mut slot.cpu.mem,
            &pages,
            &mut self.traffic,
        )
    }

    fn try_run(
        &mut self,
        machines: &[MachineId],
        budget: u64,
        out: &mut Vec<MachineStop>,
    ) -> Result<(), CudaError> {
        if self.running.is_some() {
            return Err(CudaError::Driver(
                "a run was started asynchronously and not waited for".into(),
            ));
        }
        let pending = self.prepare_run(machines, budget, out)?;
        self.finish_run(pending, None, out)
    }

    /// The machines of a run that need a launch, as (machine, budget left,
    /// retired so far); a zero budget stops at once, as on the CPU backend.
    fn prepare_run(
        &mut self,
        machines: &[MachineId],
        budget: u64,
        out: &mut Vec<MachineStop>,
    ) -> Result<Vec<(MachineId, u64, u64)>, CudaError> {
        if let Some(e) = self.pool.memory.take_error() {
            // The host was served zeros for a page: nothing after is sound.
            return Err(CudaError::Driver(format!("lazy page read: {e}")));
        }
        let live: Vec<MachineId> = machines
            .iter()
            .copied()
            .filter(|m| self.machines.get(m.0 as usize).is_some_and(|s| s.is_some()))
            .collect();
        if !self.exports.is_empty() {
            // Device views may have written guest memory since the last run.
            let mut spaces: Vec<SpaceId> = live.iter().map(|&m| self.machine(m).space).collect();
            spaces.sort_unstable_by_key(|s| s.0);
            spaces.dedup();
            for s in spaces {
                self.refresh_exports(s)?;
            }
        }
        let mut pending = Vec::with_capacity(live.len());
        for m in live {
            if budget == 0 {
                out.push(MachineStop {
                    machine: m,
                    stop: StopReason::CycleLimit,
                    instructions: 0,
                });
            } else {
                pending.push((m, budget, 0));
            }
        }
        Ok(pending)
    }

    /// Launch `pending` until every machine has stopped, collecting
    /// `flight` (the first launch, already queued) if there is one.
    fn finish_run(
        &mut self,
        mut pending: Vec<(MachineId, u64, u64)>,
        mut flight: Option<InFlight>,
        out: &mut Vec<MachineStop>,
    ) -> Result<(), CudaError> {
        while !pending.is_empty() {
            let stops = match flight.take() {
                Some(f) => self.launch_end(f)?,
                None => {
                    self.order_lanes(&mut pending);
                    let lanes: Vec<(MachineId, u64)> =
                        pending.iter().map(|&(m, b, _)| (m, b)).collect();
                    self.launch(&lanes)?
                }
            };
            let sid = self.machine(pending[0].0).space;
            if let Some(t) = self.translator.as_mut() {
                let retired: u64 = stops.iter().map(|s| s.retired).sum();
                let slot = self.spaces[sid.0 as usize]
                    .as_ref()
                    .expect("kvrm: no such address space");
                t.after_launch(&self.gpu, stops.len(), retired, &slot.cpu.mem)?;
            }
            let mut next = Vec::new();
            let mut need_frames = false;
            for (&(m, left, done), s) in pending.iter().zip(&stops) {
                let left = left - s.retired.min(left);
                let mut done = done + s.retired;
                self.stats.device_instructions += s.retired;
                self.stats.block_instructions += s.block_retired;
                let pc = self.machine(m).state.pc;
                if s.retired > 0 {
                    self.machine_mut(m).resume_pc = None;
                }
                let stop = match lane_stop_reason(s, pc).map(|r| self.bus_fault(m, r)) {
                    // A launch shortened for the trace ring: go on.
                    Some(StopReason::CycleLimit) if left > 0 => {
                        next.push((m, left, done));
                        continue;
                    }
                    Some(stop) => stop,
                    None if s.kind == STOP_NEED_FRAMES => {
                        need_frames = true;
                        self.stats.frame_stops += 1;
                        next.push((m, left, done));
                        continue;
                    }
                    None if s.kind == STOP_CODE_WRITE => {
                        if let Some(t) = self.translator.as_mut() {
                            t.code_written(s.addr);
                        }
                        if left > 0 {
                            next.push((m, left, done));
                            continue;
                        }
                        StopReason::CycleLimit
                    }
                    None => {
                        // STOP_NEEDS_HOST
                        let before = self.stats.host_instructions;
                        let stop = self.host_step(m, s.aux);
                        let stepped = self.stats.host_instructions - before;
                        done += stepped;
                        let left = left - stepped.min(left);
                        if stop == StopReason::CycleLimit && left > 0 {
                            next.push((m, left, done));
                            continue;
                        }
                        stop
                    }
                };
                if let Some(pc) = stop.debug_pc() {
                    self.machine_mut(m).resume_pc = Some(pc);
                }
                out.push(MachineStop {
                    machine: m,
                    stop,
                    instructions: done,
                });
            }
            if need_frames {
                self.pool.grow(&self.gpu, next.len() as u32 * 4)?;
            }
            pending = next;
        }
        Ok(())
    }
}

/// The asynchronous mode: `start` queues the first launch and returns at
/// once; `progress` reads the instructions retired so far from pinned host
/// memory the kernel stores into (no device synchronisation); `is_running`
/// asks the device without waiting; `wait` collects the launch and finishes
/// the run (host steps, relaunches) as `Engine::run` would. The machines'
/// states and memory are the pre-run ones until `wait` returns.
impl CudaEngine {
    pub fn start(&mut self, machines: &[MachineId], budget: u64) -> Result<(), CudaError> {
        self.start_launch(machines, budget, true)
    }

    /// [`Self::start`]; `bring_in`: read the run's stale pages home first,
    /// for a host that reads the run's spaces while it is in flight (one
    /// that promises not to, `Engine::start_run`, leaves them on the device).
    fn start_launch(
        &mut self,
        machines: &[MachineId],
        budget: u64,
        bring_in: bool,
    ) -> Result<(), CudaError> {
        if self.running.is_some() {
            return Err(CudaError::Driver(
                "an asynchronous run is already in flight".into(),
            ));
        }
        let mut early = Vec::new();
        let pending = self.prepare_run(machines, budget, &mut early)?;
        if bring_in {
            // The host may read the run's spaces while the launch changes
            // their device pages: bring the stale ones home first, so reads
            // see the pre-run memory (and do not wait for the launch).
            let mut spaces: Vec<SpaceId> =
                pending.iter().map(|p| self.machine(p.0).space).collect();
            spaces.sort_unstable_by_key(|s| s.0);
            spaces.dedup();
            for s in spaces {
                self.bring_in_space(s)?;
            }
        }
        let mut pending = pending;
        let flight = if pending.is_empty() {
            None
        } else {
            self.order_lanes(&mut pending);
            let lanes: Vec<(MachineId, u64)> = pending.iter().map(|&(m, b, _)| (m, b)).collect();
            Some(self.launch_begin(&lanes)?)
        };
        self.running = Some(AsyncRun {
            flight,
            pending,
            early,
        });
        Ok(())
    }

    /// Instructions the launch in flight has retired so far (a lower bound
    /// that grows in steps of 65,536 per lane; exact once it is done).
    pub fn progress(&self) -> u64 {
        match &self.running {
            Some(r) if r.flight.is_some() => self.host_progress.get(),
            _ => 0,
        }
    }

    /// Is the launch of an asynchronous run still executing?
    pub fn is_running(&self) -> bool {
        match self.running.as_ref().and_then(|r| r.flight.as_ref()) {
            // An error of the launch counts as done: `wait` reports it.
            Some(f) => !self.gpu.is_done(&f.done).unwrap_or(true),
            None => false,
        }
    }

    /// Was a run started and not yet waited for?
    pub fn has_started_run(&self) -> bool {
        self.running.is_some()
    }

    /// The device failed after it was opened: every machine of the run
    /// that has no stop in `out[first..]` stops with `EngineError` at its pc
    /// (the state of the last launch that completed); the cause is kept
    /// for `take_error`.
    fn fail_run(
        &mut self,
        machines: &[MachineId],
        first: usize,
        out: &mut Vec<MachineStop>,
        e: &CudaError,
    ) {
        let stopped: Vec<MachineId> = out[first..].iter().map(|s| s.machine).collect();
        let mut lanes = Vec::new();
        for &m in machines {
            let Some(Some(slot)) = self.machines.get(m.0 as usize) else {
                continue;
            };
            if stopped.contains(&m) {
                continue;
            }
            let pc = slot.state.pc;
            lanes.push(format!("machine {} at pc {pc:#x}", m.0));
            out.push(MachineStop {
                machine: m,
                stop: StopReason::EngineError { pc },
                instructions: 0,
            });
        }
        let msg = format!(
            "CUDA device error: {}; stopped {} lane(s): {}",
            e.to_string().lines().next().unwrap_or(""),
            lanes.len(),
            lanes.join(", ")
        );
        self.error.get_or_insert(msg);
    }

    /// Finish the run `start` began: one stop per machine into `out`.
    pub fn wait(&mut self, out: &mut Vec<MachineStop>) -> Result<(), CudaError> {
        let Some(run) = self.running.take() else {
            return Err(CudaError::Driver("no asynchronous run to wait for".into()));
        };
        out.extend(run.early);
        self.finish_run(run.pending, run.flight, out)
    }
}

/// The pages a syscall stopped at `st` probably reads or writes: the
/// stack's (at sp) and those its six argument registers point into (values
/// that are no address of the space match no page the launch wrote, and
/// cost nothing).
fn syscall_pages(st: &CpuState) -> impl Iterator<Item = u64> + '_ {
    std::iter::once(page_of(st.sp)).chain(st.x[..6].iter().map(|&x| page_of(x)))
}

impl Drop for CudaEngine {
    fn drop(&mut self) {
        devmem::LIVE_ENGINES.fetch_sub(1, Ordering::Relaxed);
    }
}

impl CudaEngine {
    fn add_space_slot(&mut self, space: AddressSpace) -> SpaceId {
        let mut cpu = Cpu::new(space);
        cpu.set_breakpoints(&self.breakpoints);
        cpu.set_watchpoints(&self.watchpoints);
        let mut slot = SpaceSlot {
            cpu,
            dev: None,
            extra_dirty: Vec::new(),
            users: 0,
            source: Arc::new(DevicePages::new(self.pool.memory.clone())),
        };
        slot.install_source(self.lazy_downloads);
        SpaceId(slot_take(&mut self.spaces, &mut self.free_spaces, slot))
    }

    fn remove_space_slot(&mut self, space: SpaceId) -> Option<AddressSpace> {
        let slot = self.spaces.get_mut(space.0 as usize)?.take()?;
        self.free_spaces.push(space.0);
        self.exports.remove(&space.0);
        if let Some(t) = self.translator.as_mut() {
            t.forget_space(space.0);
        }
        let stale = slot.lazy_source().is_some() && !slot.cpu.mem.stale_pages().is_empty();
        if let Some(d) = slot.dev.as_ref() {
            let frames: Vec<u32> = d.frames().collect();
            if stale {
                // Pages left on the device stay readable through the
                // space's source: its frames are reused only once the space
                // is dropped (most callers drop it at once).
                slot.source.lease(frames);
            } else {
                self.pool.release(frames);
            }
        }
        let mut mem = slot.cpu.mem.into_space();
        if !stale {
            // Nothing to read from the device: the space leaves without the
            // source (a space with one gets no window on the CPU backend).
            mem.set_page_source(None);
        }
        Some(mem)
    }
}

impl Engine for CudaEngine {
    fn name(&self) -> &'static str {
        "cuda"
    }

    fn add_space(&mut self, space: AddressSpace) -> SpaceId {
        let t0 = Instant::now();
        let id = self.add_space_slot(space);
        self.stats.adding_spaces += t0.elapsed();
        id
    }

    fn fork_space(&mut self, space: SpaceId) -> SpaceId {
        // The fork copies every page: the stale ones come home first, in
        // one copy (else the fork reads them one by one). If that fails,
        // the fork still reads them through the page source.
        if let Err(e) = self.bring_in_space(space) {
            self.error.get_or_insert(format!("CUDA device error: {e}"));
        }
        let child = self.space_slot_mut(space).cpu.mem.fork();
        self.add_space(child)
    }

    fn remove_space(&mut self, space: SpaceId) -> Option<AddressSpace> {
        let t0 = Instant::now();
        let out = self.remove_space_slot(space);
        self.stats.removing_spaces += t0.elapsed();
        out
    }

    fn space(&self, space: SpaceId) -> &AddressSpace {
        &self.space_slot(space).cpu.mem
    }

    fn space_mut(&mut self, space: SpaceId) -> &mut AddressSpace {
        &mut self.space_slot_mut(space).cpu.mem
    }

    fn add_machine(&mut self, space: SpaceId, state: CpuState) -> MachineId {
        self.space_slot_mut(space).users += 1;
        let slot = MachineSlot {
            state,
            space,
            resume_pc: None,
        };
        MachineId(slot_take(&mut self.machines, &mut self.free_machines, slot))
    }

    fn remove_machine(&mut self, machine: MachineId) {
        if let Some(slot) = self
            .machines
            .get_mut(machine.0 as usize)
            .and_then(Option::take)
        {
            if let Some(Some(s)) = self.spaces.get_mut(slot.space.0 as usize) {
                s.users = s.users.saturating_sub(1);
            }
            self.free_machines.push(machine.0);
        }
    }

    fn machine_space(&self, machine: MachineId) -> SpaceId {
        self.machine(machine).space
    }

    fn set_machine_space(&mut self, machine: MachineId, space: SpaceId) {
        let old = self.machine(machine).space;
        self.space_slot_mut(old).users -= 1;
        self.space_slot_mut(space).users += 1;
        self.machine_mut(machine).space = space;
    }

    fn state(&self, machine: MachineId) -> &CpuState {
        &self.machine(machine).state
    }

    fn state_mut(&mut self, machine: MachineId) -> &mut CpuState {
        &mut self.machine_mut(machine).state
    }

    fn run(&mut self, machines: &[MachineId], budget: u64, out: &mut Vec<MachineStop>) {
        let first = out.len();
        if let Err(e) = self.try_run(machines, budget, out) {
            self.fail_run(machines, first, out, &e);
        }
    }

    fn start_run(&mut self, machines: &[MachineId], budget: u64) -> bool {
        // Not started: `run` reports the same failure as stops.
        self.start_launch(machines, budget, false).is_ok()
    }

    fn run_progress(&self) -> u64 {
        self.progress()
    }

    fn run_in_flight(&self) -> bool {
        self.is_running()
    }

    fn wait_run(&mut self, out: &mut Vec<MachineStop>) {
        // The machines that may need a failure stop (those that needed no
        // launch already have theirs).
        let machines: Vec<MachineId> = self
            .running
            .as_ref()
            .map_or_else(Vec::new, |r| r.pending.iter().map(|p| p.0).collect());
        let first = out.len();
        if let Err(e) = self.wait(out) {
            self.fail_run(&machines, first, out, &e);
        }
    }

    fn take_error(&mut self) -> Option<String> {
        self.error.take()
    }

    fn set_breakpoints(&mut self, pcs: &[u64]) -> bool {
        self.breakpoints = pcs.to_vec();
        for slot in self.spaces.iter_mut().flatten() {
            slot.cpu.set_breakpoints(pcs);
        }
        true
    }

    fn set_watchpoints(&mut self, watch: &[Watchpoint]) -> bool {
        self.watchpoints = watch.to_vec();
        for slot in self.spaces.iter_mut().flatten() {
            slot.cpu.set_watchpoints(watch);
        }
        true
    }

    fn runs_side_by_side(&self) -> bool {
        true
    }

    fn stats(&self) -> Vec<(&'static str, u64)> {
        // The kernel that ran last (with translated blocks, the linked one).
        let func = self
            .translator
            .as_ref()
            .and_then(|t| t.function())
            .unwrap_or(&self.func);
        let shape = self.gpu.run_kernel_shape(func).unwrap_or_default();
        let mut v = vec![
            ("cuda launches", self.stats.launches),
            ("cuda lanes launched", self.stats.lanes),
            ("cuda device instructions", self.stats.device_instructions),
            (
                "cuda ... of them in translated blocks",
                self.stats.block_instructions,
            ),
            (
                "cuda host fallback instructions",
                self.stats.host_instructions,
            ),
            ("cuda relaunches for frames", self.stats.frame_stops),
            (
                "cuda launches with lanes regrouped by pc",
                self.stats.regrouped,
            ),
            ("cuda pages uploaded", self.traffic.pages_up),
            (
                "cuda pages downloaded",
                self.traffic.pages_down + self.pool.memory.pages_read(),
            ),
            (
                "cuda ... of them when the host touched them",
                self.traffic.pages_brought_in + self.pool.memory.pages_read(),
            ),
            (
                "cuda pages left on the device after launches",
                self.traffic.pages_stale,
            ),
            ("cuda page tables built", self.traffic.table_builds),
            ("cuda page tables updated", self.traffic.table_updates),
            ("cuda page table entries uploaded", self.traffic.ptes_up),
            ("cuda frames in use", self.pool.next as u64),
            ("cuda frame pool grows", self.pool.grows),
            ("cuda frames reused", self.pool.recycled),
            (
                "cuda read-only pages sharing a frame",
                self.pool.shared_hits,
            ),
            ("cuda kernel from disk cache", self.stats.ptx_cached),
            ("cuda kernel registers per lane", shape.registers as u64),
            (
                "cuda kernel local memory per lane (bytes)",
                shape.local_bytes as u64,
            ),
            (
                "cuda kernel blocks of 128 lanes per SM at once",
                shape.blocks_per_sm as u64,
            ),
            (
                "cuda host time before launches (us)",
                self.stats.prepare.as_micros() as u64,
            ),
            (
                "cuda ... of it syncing page tables and pages (us)",
                self.stats.sync.as_micros() as u64,
            ),
            (
                "cuda ... of that building page tables (us)",
                self.traffic.build_time.as_micros() as u64,
            ),
            (
                "cuda ... of which updating tables after mapping changes (us)",
                self.traffic.update_time.as_micros() as u64,
            ),
            (
                "cuda ... of that giving pages frames (us)",
                self.traffic.placing_time.as_micros() as u64,
            ),
            (
                "cuda ... of that staging pages and table entries (us)",
                self.traffic.staging_time.as_micros() as u64,
            ),
            (
                "cuda ... of that sending the batched uploads (us)",
                self.stats.flush.as_micros() as u64,
            ),
            (
                "cuda wait for kernels (us)",
                self.stats.kernel_wait.as_micros() as u64,
            ),
            (
                "cuda host time after launches (us)",
                self.stats.finish.as_micros() as u64,
            ),
            (
                "cuda ... of it marking written pages stale (us)",
                self.traffic.marking_time.as_micros() as u64,
            ),
            (
                "cuda host time adding spaces (us)",
                self.stats.adding_spaces.as_micros() as u64,
            ),
            (
                "cuda host time removing spaces (us)",
                self.stats.removing_spaces.as_micros() as u64,
            ),
            (
                "cuda time reading pages from the device in batches (us)",
                self.traffic.download_time.as_micros() as u64,
            ),
            (
                "cuda time putting batched pages into host spaces (us)",
                self.traffic.landing_time.as_micros() as u64,
            ),
        ];
        if let Some(t) = &self.translator {
            v.extend([
                ("cuda jit blocks", t.stats.blocks),
                ("cuda jit compiles", t.stats.compiles),
                ("cuda jit blocks still compiling", t.compiling_blocks()),
                ("cuda jit compile ms", t.stats.compile_ms),
                ("cuda jit code-page writes", t.stats.code_writes),
                ("cuda jit failed compiles", t.stats.failed),
            ]);
        }
        for (&id, &n) in &self.stats.fallbacks {
            let name = self
                .fallback_names
                .get(&id)
                .copied()
                .unwrap_or("cuda host fallback");
            v.push((name, n));
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_of_decode_ids_follow_the_table() {
        let t = table();
        let mut first = 0;
        for (name, entries) in CLASSES {
            for (i, e) in entries.iter().enumerate() {
                let id = (first + i) as u16;
                assert_eq!(t.name(id), e.name);
                assert_eq!(class_of(id), *name);
            }
            first += entries.len();
        }
        assert_eq!(class_of(u16::MAX), "unknown");
    }

    /// Pages a launch wrote stay on the device until the host touches
    /// them; every way the host can touch one sees the device's bytes.
    /// Needs a GPU (skips without one).
    #[test]
    fn written_pages_are_read_when_touched() {
        let Ok(mut engine) = CudaEngine::new() else {
            println!("skipped: no CUDA device");
            return;
        };
        let stat =
            |e: &CudaEngine, name: &str| e.stats().iter().find(|s| s.0 == name).map_or(0, |s| s.1);
        // movz x0, #5; movz x2, #0x8000; loop: str x0, [x2]; ldr x3, [x2];
        // add x0, x0, #1; cmp x0, #8; b.ne loop; brk #0 (stores 5, 6, 7).
        let program = crate::host_debug::PROGRAM;
        let mut space = AddressSpace::flat(0x10000).unwrap();
        let code: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
        space.write_bytes_force(0, &code).unwrap();
        let sid = engine.add_space(space);
        let m = engine.add_machine(sid, CpuState::new());
        let mut out = Vec::new();
        engine.run(&[m], 1000, &mut out);
        assert!(engine.take_error().is_none());
        assert_eq!(engine.state(m).x[0], 8);
        assert!(engine.space(sid).is_stale(8), "left on the device");
        assert!(stat(&engine, "cuda pages left on the device after launches") >= 1);
        let touched = "cuda ... of them when the host touched them";
        assert_eq!(stat(&engine, touched), 0);
        assert_eq!(engine.space(sid).read_u64(0x8000).unwrap(), 7);
        assert_eq!(engine.space(sid).read_u8(0x8001).unwrap(), 0);
        assert_eq!(stat(&engine, touched), 1, "read once, then cached");
        // A partial host write keeps the device's other bytes.
        engine.space_mut(sid).write_u8(0x8008, 1).unwrap();
        assert!(!engine.space(sid).is_stale(8));
        assert_eq!(engine.space(sid).read_u64(0x8000).unwrap(), 7);
        // Run again: the host's byte went up, the device's stores come back.
        engine.state_mut(m).pc = 0;
        out.clear();
        engine.run(&[m], 1000, &mut out);
        assert!(engine.space(sid).is_stale(8));
        assert_eq!(engine.space(sid).read_u64(0x8000).unwrap(), 7);
        assert_eq!(engine.space(sid).read_u8(0x8008).unwrap(), 1);
        // A fork and a removed space see the device's bytes, the latter
        // even after the engine is gone.
        engine.state_mut(m).pc = 0;
        out.clear();
        engine.run(&[m], 1000, &mut out);
        let child = engine.fork_space(sid);
        assert_eq!(engine.space(child).read_u64(0x8000).unwrap(), 7);
        engine.state_mut(m).pc = 0;
        out.clear();
        engine.run(&[m], 1000, &mut out);
        engine.remove_machine(m);
        let removed = engine.remove_space(sid).expect("a space");
        assert!(removed.is_stale(8), "still on the device");
        drop(engine);
        assert_eq!(removed.read_u64(0x8000).unwrap(), 7);
        assert_eq!(removed.read_u8(0x8008).unwrap(), 1);
    }

    #[test]
    fn no_gpu_is_an_error_not_a_panic() {
        if crate::driver::driver_present() {
            println!("skipped: a CUDA driver is present");
            return;
        }
        let e = CudaEngine::new().err().expect("no driver, no engine");
        assert!(matches!(e, CudaError::NoDriver(_)), "{e}");
        assert!(!e.to_string().contains('\n'));
    }
}
