//! `kvrm run --lanes N`: N isolated copies of a Linux program or a raw image.
//!
//! On the CPU backend every lane has its own engine (and kernel) and the
//! lanes are spread over the host's cores by a work queue. On the CUDA
//! backend lanes share engines so that they run in the same GPU launches:
//! Linux programs as top-level processes of a kernel (each with its own
//! address space and stdio), one kernel and engine per host thread, each
//! thread a slice of the lanes (`--host-threads`); raw images as N machines
//! of one engine.

use std::fs::File;
use std::io::{IsTerminal, Read, Write};
use std::ops::Range;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use kvrm_cpu::CpuEngine;
use kvrm_isa::{CpuState, Engine, Machine, MachineId, MachineStop, RunResult, StopReason};
use kvrm_linux::{Kernel, ProcessExit, RunEnd, StatsReport};

use crate::backend::{Backend, BackendChoice};
use crate::raw::{self, RawRunOptions};
use crate::run_elf::{ElfRunOptions, Exit};

/// The `--lanes` options.
#[derive(Debug, Clone)]
pub struct LaneOptions {
    pub lanes: usize,
    /// `--out DIR`: every lane's stdout, stderr and status as files.
    pub out: Option<PathBuf>,
    pub backend: BackendChoice,
    pub quiet: bool,
    /// `--stats`: the engines' counters on stderr (the lanes' sums on the
    /// CPU backend's Linux lanes).
    pub stats: bool,
    /// `--host-threads`: the host threads running the lanes (CPU backend)
    /// or servicing them (CUDA backend, Linux programs); `None`: the default.
    pub host_threads: Option<usize>,
}

/// How a lane ended; its `.status` file holds [`LaneStatus::to_string`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LaneStatus {
    /// The exit code (a raw image: the exit status a single run has).
    Exit(i32),
    /// Killed by this signal.
    Signal(i32),
    /// `--max-instructions` reached.
    InstructionLimit,
    /// It waits for something that cannot happen.
    Deadlock,
    /// It could not start.
    Error(String),
}

impl std::fmt::Display for LaneStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LaneStatus::Exit(c) => write!(f, "{c}"),
            LaneStatus::Signal(s) => write!(f, "signal {s}"),
            LaneStatus::InstructionLimit => f.write_str("instruction-limit"),
            LaneStatus::Deadlock => f.write_str("deadlock"),
            LaneStatus::Error(e) => write!(f, "error: {e}"),
        }
    }
}

impl LaneStatus {
    fn of_exit(e: ProcessExit) -> Self {
        match e {
            ProcessExit::Exited(c) => LaneStatus::Exit(c & 0xff),
            ProcessExit::Signaled(s) => LaneStatus::Signal(s),
        }
    }

    fn of_run_end(end: RunEnd) -> Self {
        match end {
            RunEnd::Exited(e) => Self::of_exit(e),
            RunEnd::Crashed { signal, .. } => LaneStatus::Signal(signal),
            RunEnd::CycleLimit => LaneStatus::InstructionLimit,
            RunEnd::Deadlock => LaneStatus::Deadlock,
            RunEnd::DebugStop { stop } => LaneStatus::Error(stop.to_string()),
        }
    }
}

/// Where the lanes' stdin, stdout and stderr come from and go.
struct LaneIo {
    out: Option<PathBuf>,
    /// A file holding kvrm's stdin (each lane opens it at offset 0).
    stdin: Option<PathBuf>,
}

impl LaneIo {
    /// `read_stdin`: read kvrm's stdin once, to its end, unless it is a terminal.
    fn new(out: Option<&Path>, read_stdin: bool) -> anyhow::Result<Self> {
        if let Some(dir) = out {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("--out {}: cannot create it", dir.display()))?;
        }
        let mut io = LaneIo {
            out: out.map(Path::to_path_buf),
            stdin: None,
        };
        let stdin = std::io::stdin();
        if read_stdin && !stdin.is_terminal() {
            let mut bytes = Vec::new();
            stdin
                .lock()
                .read_to_end(&mut bytes)
                .context("cannot read stdin")?;
            if !bytes.is_empty() {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos());
                let path = std::env::temp_dir()
                    .join(format!("kvrm-lanes-stdin-{}-{nanos}", std::process::id()));
                let mut f = File::options()
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .with_context(|| format!("cannot create {}", path.display()))?;
                io.stdin = Some(path.clone());
                f.write_all(&bytes)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
        }
        Ok(io)
    }

    fn file(&self, lane: usize, ext: &str) -> Option<PathBuf> {
        self.out
            .as_ref()
            .map(|d| d.join(format!("lane-{lane}.{ext}")))
    }

    fn stdin(&self) -> anyhow::Result<OwnedFd> {
        let path = self.stdin.as_deref().unwrap_or(Path::new("/dev/null"));
        let f = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(f.into())
    }

    /// A lane's stdout (`fd` 1) or stderr (2): its file under --out; without
    /// it kvrm's own for lane 0 and nothing for the others.
    fn output(&self, lane: usize, fd: u32) -> anyhow::Result<OwnedFd> {
        let ext = if fd == 1 { "stdout" } else { "stderr" };
        if let Some(path) = self.file(lane, ext) {
            let f =
                File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
            return Ok(f.into());
        }
        if lane == 0 {
            let own = if fd == 1 {
                std::io::stdout().as_fd().try_clone_to_owned()
            } else {
                std::io::stderr().as_fd().try_clone_to_owned()
            };
            return own.context("cannot duplicate kvrm's stdout/stderr");
        }
        let f = File::options()
            .write(true)
            .open("/dev/null")
            .context("cannot open /dev/null")?;
        Ok(f.into())
    }

    /// A raw lane's report: its stdout file, or kvrm's stdout for lane 0.
    fn write_report(&self, lane: usize, report: &str) -> anyhow::Result<()> {
        match self.file(lane, "stdout") {
            Some(path) => {
                std::fs::write(&path, report)
                    .with_context(|| format!("cannot write {}", path.display()))?;
                let err = self.file(lane, "stderr").expect("--out given");
                std::fs::write(&err, "").with_context(|| format!("cannot write {}", err.display()))
            }
            None if lane == 0 => {
                print!("{report}");
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn write_status(&self, lane: usize, status: &LaneStatus) -> anyhow::Result<()> {
        if let Some(path) = self.file(lane, "status") {
            std::fs::write(&path, format!("{status}\n"))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
        Ok(())
    }
}

impl Drop for LaneIo {
    fn drop(&mut self) {
        if let Some(p) = &self.stdin {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Every lane's status and the instructions of all lanes.
struct LanesRun {
    statuses: Vec<LaneStatus>,
    instructions: u64,
    elapsed: Duration,
    /// "cpu backend, 16 host threads", "cuda backend, NVIDIA H200".
    engine: String,
}

/// Run `work(lane)` for every lane on `threads` host threads (default: one
/// per core; a work queue); returns each lane's result, in lane order.
pub(crate) fn on_all_cores<T: Send>(
    lanes: usize,
    threads: Option<usize>,
    work: impl Fn(usize) -> T + Sync,
) -> (Vec<T>, usize) {
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .min(lanes)
        .max(1);
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..lanes).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| loop {
                let lane = next.fetch_add(1, Ordering::Relaxed);
                if lane >= lanes {
                    break;
                }
                let r = work(lane);
                results.lock().unwrap_or_else(|e| e.into_inner())[lane] = Some(r);
            });
        }
    });
    let results = results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every lane ran"))
        .collect();
    (results, threads)
}

/// An engine's `--stats` counters.
type EngineStats = Vec<(&'static str, u64)>;

/// One lane of a Linux program on its own CPU kernel: its status, its
/// instructions and its engine's counters.
fn elf_lane_on_cpu(
    opts: &ElfRunOptions,
    io: &LaneIo,
    lane: usize,
) -> (LaneStatus, u64, EngineStats) {
    let run = || -> anyhow::Result<(LaneStatus, u64, EngineStats)> {
        let o = opts.for_lane(lane);
        let spec = o.program_spec()?;
        let mut config = o.kernel_config();
        config.quiet = true; // a lane's end is in its status, not on kvrm's stderr
        let mut kernel = Kernel::new(
            Box::new(CpuEngine::with_exec_mode(crate::backend::cpu_mode(
                opts.engine,
            ))),
            config,
        );
        stop_signals_end_kvrm();
        let pid = kvrm_linux::spawn(&mut kernel, &spec)?;
        kernel.set_stdio(pid, 0, io.stdin()?);
        kernel.set_stdio(pid, 1, io.output(lane, 1)?);
        kernel.set_stdio(pid, 2, io.output(lane, 2)?);
        let summary = kernel.run();
        if summary.end != RunEnd::CycleLimit {
            // Processes it left running write to the lane's files too.
            kernel.run_rest();
        }
        Ok((
            LaneStatus::of_run_end(summary.end),
            kernel.instructions(),
            kernel.engine().stats(),
        ))
    };
    run().unwrap_or_else(|e| (LaneStatus::Error(crate::error_chain(&e)), 0, Vec::new()))
}

/// Print the counters of every lane's engine, summed (shares, which do not
/// add up, as the mean of the lanes).
fn print_lane_stats(lanes: &[EngineStats]) {
    let mut total: Vec<(&'static str, u64)> = Vec::new();
    for (name, v) in lanes.iter().flatten() {
        match total.iter_mut().find(|(n, _)| n == name) {
            Some((_, t)) => *t += v,
            None => total.push((name, *v)),
        }
    }
    for (name, v) in total {
        if name.contains("per mille") {
            let n = lanes
                .iter()
                .filter(|l| l.iter().any(|(m, _)| *m == name))
                .count();
            eprintln!("kvrm: {name}, mean of {n} lanes: {}", v / n.max(1) as u64);
        } else {
            eprintln!("kvrm: {name}, all lanes: {v}");
        }
    }
}

/// Ctrl-C and friends end kvrm, every lane with it. (Each kernel forwards
/// them to its guests, but with one kernel per lane only one lane would get
/// each signal.)
fn stop_signals_end_kvrm() {
    for sig in [libc::SIGHUP, libc::SIGINT, libc::SIGQUIT, libc::SIGTERM] {
        // SAFETY: restores the default disposition of a signal.
        unsafe {
            libc::signal(sig, libc::SIG_DFL);
        }
    }
}

/// What one kernel gave for its share of the lanes.
struct KernelLanes {
    statuses: Vec<LaneStatus>,
    instructions: u64,
    /// `--stats`: the kernel's report and the times loading its lanes and
    /// tearing them down.
    stats: Option<(StatsReport, Duration, Duration)>,
}

/// The lanes `lanes` of a Linux program, each a top-level process of one
/// kernel on `engine` (each process its own address space and stdio): the
/// scheduler runs all of them in each `Engine::run` call. `side_by_side`:
/// other kernels run beside this one in the process.
fn elf_lanes_one_kernel(
    engine: Box<dyn Engine>,
    opts: &ElfRunOptions,
    io: &LaneIo,
    lanes: Range<usize>,
    stats: bool,
    side_by_side: bool,
) -> anyhow::Result<KernelLanes> {
    // Descriptors: lanes share one for /dev/null (stdin without input, the
    // discarded output of lanes past 0); --out files are each lane's own.
    let null_in = kvrm_linux::stdio_file(open_null(false)?);
    let null_out = kvrm_linux::stdio_file(open_null(true)?);
    let mut config = opts.kernel_config();
    config.quiet = true;
    // The limits are per lane, as when each lane has a kernel of its own.
    if opts.memory_limit.is_some() {
        config.memory_limit = config.memory_limit.saturating_mul(lanes.len() as u64);
    }
    config.max_tasks = config.max_tasks.saturating_mul(lanes.len());
    let mut kernel = Kernel::new(engine, config);
    if side_by_side {
        stop_signals_end_kvrm();
    }
    let mut pids = Vec::with_capacity(lanes.len());
    // The program is loaded once; every lane whose program `{lane}` does not
    // change starts on a copy-on-write copy of it.
    let mut image: Option<kvrm_linux::LoadedImage> = None;
    let loading = Instant::now();
    for lane in lanes {
        let spec = opts.for_lane(lane).program_spec()?;
        let pid = match image.as_mut().filter(|i| i.fits(&spec)) {
            Some(i) => kvrm_linux::spawn_from(&mut kernel, i, &spec),
            None => kvrm_linux::LoadedImage::load(&spec)
                .and_then(|i| kvrm_linux::spawn_from(&mut kernel, image.insert(i), &spec)),
        }
        .with_context(|| format!("lane {lane}"))?;
        match io.stdin {
            Some(_) => kernel.set_stdio(pid, 0, io.stdin()?),
            None => kernel.set_stdio_file(pid, 0, null_in.clone()),
        }
        for fd in [1, 2] {
            if io.out.is_none() && lane > 0 {
                kernel.set_stdio_file(pid, fd, null_out.clone());
            } else {
                kernel.set_stdio(pid, fd, io.output(lane, fd)?);
            }
        }
        pids.push(pid);
    }
    let loading = loading.elapsed();
    let summary = kernel.run();
    kernel.run_rest();
    let report = stats.then(|| StatsReport::of(&summary, &kernel));
    let statuses = pids
        .iter()
        .map(|&pid| {
            kernel
                .exit_status(pid)
                .map_or(LaneStatus::Deadlock, LaneStatus::of_exit)
        })
        .collect();
    let instructions = kernel.instructions();
    let teardown = Instant::now();
    drop(kernel);
    Ok(KernelLanes {
        statuses,
        instructions,
        stats: report.map(|r| (r, loading, teardown.elapsed())),
    })
}

/// The lanes of a Linux program split over `threads` host threads, in
/// order, each thread a kernel on an engine of its own (`first` for the
/// first, `another()` for the rest). A thread loads, services and tears
/// down its lanes while the GPU runs the other threads' launches; with one
/// thread the GPU would wait for all of that. Prints `--stats` (the
/// kernels' reports merged) when `stats`.
fn elf_lanes_on_threads(
    first: Box<dyn Engine>,
    another: impl Fn() -> anyhow::Result<Box<dyn Engine>> + Sync,
    opts: &ElfRunOptions,
    io: &LaneIo,
    lanes: usize,
    threads: usize,
    stats: bool,
) -> anyhow::Result<(Vec<LaneStatus>, u64)> {
    // Descriptors: each --out file and the stdin copy is a lane's own.
    let own_files = if io.out.is_some() { 2 } else { 0 } + u64::from(io.stdin.is_some());
    raise_open_files(lanes, own_files)?;
    let threads = threads.clamp(1, lanes.max(1));
    let side_by_side = threads > 1;
    let mut first = Some(first);
    let results: Vec<anyhow::Result<KernelLanes>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let share = t * lanes / threads..(t + 1) * lanes / threads;
                let engine = first.take();
                let another = &another;
                s.spawn(move || {
                    let engine = match engine {
                        Some(e) => e,
                        None => another()?,
                    };
                    elf_lanes_one_kernel(engine, opts, io, share, stats, side_by_side)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(anyhow::anyhow!("a host thread of the lanes panicked")))
            })
            .collect()
    });
    let mut statuses = Vec::with_capacity(lanes);
    let mut instructions = 0;
    let mut report = StatsReport::default();
    let (mut loading, mut teardown) = (Duration::ZERO, Duration::ZERO);
    for r in results {
        let r = r?;
        statuses.extend(r.statuses);
        instructions += r.instructions;
        if let Some((rep, load, down)) = r.stats {
            report.merge(&rep);
            loading = loading.max(load);
            teardown = teardown.max(down);
        }
    }
    if stats {
        eprint!("{report}");
        let each = if side_by_side {
            ", the longest thread"
        } else {
            ""
        };
        eprintln!(
            "kvrm: loading the {lanes} lanes took {:.3} s{each}",
            loading.as_secs_f64()
        );
        eprintln!(
            "kvrm: tearing the lanes down took {:.3} s{each}",
            teardown.as_secs_f64()
        );
    }
    Ok((statuses, instructions))
}

/// /dev/null, for reading or for writing.
fn open_null(write: bool) -> anyhow::Result<OwnedFd> {
    let f = File::options()
        .read(!write)
        .write(write)
        .open("/dev/null")
        .context("cannot open /dev/null")?;
    Ok(f.into())
}

/// Allow the open descriptors of `lanes` lanes holding `per_lane` each,
/// and some to spare for the guests' own files.
fn raise_open_files(lanes: usize, per_lane: u64) -> anyhow::Result<()> {
    let want = per_lane * lanes as u64 + 256;
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 || lim.rlim_cur >= want {
            return Ok(());
        }
        // As many as allowed: guests open files of their own too.
        lim.rlim_cur = lim.rlim_max.min(1 << 20).max(lim.rlim_cur);
        if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) != 0 {
            libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim);
        }
    }
    anyhow::ensure!(
        lim.rlim_cur >= want,
        "{lanes} lanes need about {want} open files ({per_lane} each for --out and stdin); \
         the hard limit is {} (ulimit -Hn)",
        lim.rlim_max
    );
    Ok(())
}

/// `kvrm run --lanes N PROGRAM ARGS...`.
pub fn run_elf_lanes(opts: &ElfRunOptions, lo: &LaneOptions) -> anyhow::Result<Exit> {
    crate::run_elf::init_logging(opts.quiet);
    // The kernel's exact instruction limit runs one machine at a time, which
    // would take the lanes out of the shared launches: CPU only.
    let gpu_fits = opts.max_instructions.is_none();
    let backend = crate::backend::open_in_mode(
        lo.backend,
        lo.lanes,
        gpu_fits,
        lo.quiet,
        opts.engine,
        opts.gpu_mode(),
    )?;
    let io = LaneIo::new(lo.out.as_deref(), true)?;
    let start = Instant::now();
    let (statuses, instructions, engine) = match backend {
        Backend::Cpu => {
            let (results, threads) = on_all_cores(lo.lanes, lo.host_threads, |lane| {
                elf_lane_on_cpu(opts, &io, lane)
            });
            let instructions = results.iter().map(|r| r.1).sum();
            if lo.stats {
                let stats: Vec<EngineStats> = results.iter().map(|r| r.2.clone()).collect();
                print_lane_stats(&stats);
            }
            let statuses: Vec<LaneStatus> = results.into_iter().map(|r| r.0).collect();
            // A program that cannot start is one error, not N failed lanes.
            if let Some(LaneStatus::Error(e)) = statuses.first() {
                if statuses.iter().all(|s| s == &statuses[0]) {
                    anyhow::bail!("{e}");
                }
            }
            (
                statuses,
                instructions,
                format!("cpu backend, {threads} host threads"),
            )
        }
        Backend::Cuda(_) if !gpu_fits => anyhow::bail!(
            "--max-instructions with --lanes runs on the CPU backend only (--backend cpu)"
        ),
        Backend::Cuda(engine) => {
            // One thread unless asked: on the H100 four threads ran 16,896
            // CoreMark lanes 2x faster, but 67,584 lanes on four or sixteen
            // took over twice as long as on one (BENCHMARKS.md, 2026-12-08).
            let threads = lo.host_threads.unwrap_or(1);
            let name = format!(
                "cuda backend, {}, {threads} host thread{}",
                engine.device_name(),
                if threads == 1 { "" } else { "s" }
            );
            let ordinal = engine.ordinal();
            let another = || -> anyhow::Result<Box<dyn Engine>> {
                Ok(Box::new(crate::backend::another_cuda_engine(
                    ordinal,
                    opts.engine,
                )?))
            };
            let (statuses, instructions) =
                elf_lanes_on_threads(engine, another, opts, &io, lo.lanes, threads, lo.stats)?;
            (statuses, instructions, name)
        }
    };
    let run = LanesRun {
        statuses,
        instructions,
        elapsed: start.elapsed(),
        engine,
    };
    finish(&io, &run)
}

/// `kvrm run --lanes N --raw FILE`.
pub fn run_raw_lanes(opts: &RawRunOptions, lo: &LaneOptions) -> anyhow::Result<Exit> {
    let image = raw::read_image(opts)?;
    // A bad --memory-size or an image that does not fit is one error, not N.
    raw::load(opts, &image, &mut raw::flat_memory(opts)?)?;
    let backend = crate::backend::open_in_mode(
        lo.backend,
        lo.lanes,
        true,
        lo.quiet,
        opts.engine,
        opts.mode.gpu_only_name(),
    )?;
    let io = LaneIo::new(lo.out.as_deref(), false)?;
    let start = Instant::now();
    let (results, engine) = match backend {
        Backend::Cpu => {
            let (results, threads) =
                on_all_cores(lo.lanes, lo.host_threads, |_| -> anyhow::Result<_> {
                    let mut engine =
                        CpuEngine::with_exec_mode(crate::backend::cpu_mode(opts.engine));
                    engine.set_breakpoints(&opts.breakpoints);
                    engine.set_watchpoints(&opts.watchpoints);
                    let mut cpu = Machine::new(engine, raw::flat_memory(opts)?);
                    raw::load(opts, &image, cpu.memory_mut())?;
                    cpu.set_pc(opts.entry);
                    let r = cpu.run(opts.max_instructions);
                    Ok((r, *cpu.state()))
                });
            let results = results.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
            (results, format!("cpu backend, {threads} host threads"))
        }
        Backend::Cuda(_) if lo.host_threads.is_some() => anyhow::bail!(
            "--host-threads: a raw image's lanes on the CUDA backend are machines of one \
             engine, serviced by one thread (it applies to ELF programs there)"
        ),
        Backend::Cuda(mut engine) => {
            let name = format!("cuda backend, {}", engine.device_name());
            engine.set_breakpoints(&opts.breakpoints);
            engine.set_watchpoints(&opts.watchpoints);
            let mut machines: Vec<MachineId> = Vec::with_capacity(lo.lanes);
            for _ in 0..lo.lanes {
                let space = engine.add_space(raw::flat_memory(opts)?);
                let mut state = CpuState::new();
                state.pc = opts.entry;
                raw::load(opts, &image, engine.space_mut(space))?;
                machines.push(engine.add_machine(space, state));
            }
            let launched = Instant::now();
            let mut stops: Vec<MachineStop> = Vec::with_capacity(lo.lanes);
            crate::mode::run_cuda(
                &mut engine,
                &machines,
                opts.max_instructions,
                opts.mode,
                opts.batch,
                &mut stops,
            )?;
            let elapsed = launched.elapsed();
            if let Some(e) = engine.take_error() {
                eprintln!("kvrm: {e}");
            }
            let results = machines
                .iter()
                .map(|&m| {
                    let stop = stops.iter().find(|s| s.machine == m);
                    let r = RunResult {
                        stop: stop.map_or(StopReason::CycleLimit, |s| s.stop),
                        instructions: stop.map_or(0, |s| s.instructions),
                        elapsed,
                    };
                    (r, *engine.state(m))
                })
                .collect();
            if lo.stats {
                for (name, v) in engine.stats() {
                    eprintln!("kvrm: {name}: {v}");
                }
            }
            (results, name)
        }
    };
    let mut statuses = Vec::with_capacity(results.len());
    let mut instructions = 0;
    for (lane, (r, state)) in results.iter().enumerate() {
        io.write_report(lane, &raw::report(opts, r, state))?;
        statuses.push(LaneStatus::Exit(raw::exit_status(&r.stop)));
        instructions += r.instructions;
    }
    let run = LanesRun {
        statuses,
        instructions,
        elapsed: start.elapsed(),
        engine,
    };
    finish(&io, &run)
}

/// Write the status files, print the summary; kvrm's exit status.
fn finish(io: &LaneIo, run: &LanesRun) -> anyhow::Result<Exit> {
    for (lane, s) in run.statuses.iter().enumerate() {
        io.write_status(lane, s)?;
    }
    let _ = std::io::stderr().flush();
    print!("{}", summary(run));
    let _ = std::io::stdout().flush();
    let all_ok = run.statuses.iter().all(|s| *s == LaneStatus::Exit(0));
    Ok(Exit::Code(if all_ok { 0 } else { 1 }))
}

/// Failed lanes named in the summary (the rest are counted).
const FAILED_SHOWN: usize = 8;

/// The summary on stdout, one `key: value` per line.
fn summary(run: &LanesRun) -> String {
    let n = run.statuses.len();
    let ok = run
        .statuses
        .iter()
        .filter(|s| **s == LaneStatus::Exit(0))
        .count();
    let failed: Vec<String> = run
        .statuses
        .iter()
        .enumerate()
        .filter(|(_, s)| **s != LaneStatus::Exit(0))
        .map(|(i, s)| format!("lane {i}: {s}"))
        .collect();
    let mut failed_line = failed.len().to_string();
    if !failed.is_empty() {
        let shown = failed[..failed.len().min(FAILED_SHOWN)].join(", ");
        let more = if failed.len() > FAILED_SHOWN {
            ", ..."
        } else {
            ""
        };
        failed_line = format!("{failed_line} ({shown}{more})");
    }
    let secs = run.elapsed.as_secs_f64();
    let ips = if secs > 0.0 {
        run.instructions as f64 / secs
    } else {
        0.0
    };
    format!(
        "lanes: {n} ({})\nexited 0: {ok}\nfailed: {failed_line}\ninstructions: {}\n\
         wall time: {secs:.3} s\ninstructions/s: {:.1} M (all lanes together)\n",
        run.engine,
        run.instructions,
        ips / 1e6
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_read_as_documented() {
        assert_eq!(LaneStatus::Exit(3).to_string(), "3");
        assert_eq!(LaneStatus::Signal(11).to_string(), "signal 11");
        assert_eq!(
            LaneStatus::of_exit(ProcessExit::Exited(256 + 7)),
            LaneStatus::Exit(7)
        );
        assert_eq!(
            LaneStatus::of_run_end(RunEnd::CycleLimit).to_string(),
            "instruction-limit"
        );
    }

    #[test]
    fn work_queue_runs_every_lane_once_in_order() {
        let (r, threads) = on_all_cores(100, None, |i| i * 2);
        assert_eq!(r, (0..100).map(|i| i * 2).collect::<Vec<_>>());
        assert!(threads >= 1);
    }

    #[test]
    fn summary_names_failed_lanes() {
        let run = LanesRun {
            statuses: vec![
                LaneStatus::Exit(0),
                LaneStatus::Exit(3),
                LaneStatus::Signal(6),
            ],
            instructions: 3000,
            elapsed: Duration::from_secs(1),
            engine: "cpu backend, 2 host threads".into(),
        };
        let s = summary(&run);
        assert!(s.contains("exited 0: 1\n"), "{s}");
        assert!(
            s.contains("failed: 2 (lane 1: 3, lane 2: signal 6)\n"),
            "{s}"
        );
        assert!(s.contains("instructions: 3000\n"), "{s}");
    }
}

#[cfg(test)]
mod one_kernel_tests {
    use super::*;

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../kvrm-linux/tests/asm")
            .join(name)
    }

    fn opts(program: &str, args: &[&str]) -> ElfRunOptions {
        ElfRunOptions {
            args: args.iter().map(|a| a.to_string()).collect(),
            quiet: true,
            ..ElfRunOptions::for_tests(fixture(program))
        }
    }

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("kvrm-lanes-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    /// The CUDA backend's design (every lane a top-level process of one
    /// kernel, all in the same `Engine::run` calls), checked here on the CPU
    /// engine against lanes that each have a kernel of their own.
    #[test]
    fn one_kernel_lanes_without_out_share_dev_null() {
        // Without --out, lanes past 0 write to one shared /dev/null and all
        // read one shared empty stdin; each still gets its own status.
        for (program, want) in [
            ("hello", LaneStatus::Exit(0)),
            ("exit42", LaneStatus::Exit(42)),
        ] {
            let io = LaneIo::new(None, false).unwrap();
            let (st, _) = on_cpu_threads(&opts(program, &[]), &io, 50, 3);
            assert_eq!(st, vec![want; 50], "{program}");
        }
    }

    /// [`elf_lanes_on_threads`] on CPU engines.
    fn on_cpu_threads(
        o: &ElfRunOptions,
        io: &LaneIo,
        lanes: usize,
        threads: usize,
    ) -> (Vec<LaneStatus>, u64) {
        let cpu = || -> anyhow::Result<Box<dyn Engine>> { Ok(Box::new(CpuEngine::new())) };
        elf_lanes_on_threads(cpu().unwrap(), cpu, o, io, lanes, threads, false).unwrap()
    }

    /// One kernel for all lanes, and the lanes split over three kernels on
    /// host threads, against lanes that each have a kernel of their own.
    #[test]
    fn one_kernel_lanes_match_separate_kernels() {
        for (program, args, threads) in [
            ("fork", &[][..], 1),
            ("args", &["l{lane}x"][..], 1),
            ("segv", &[][..], 1),
            ("hello", &[][..], 1),
            ("fork", &[][..], 3),
            ("args", &["l{lane}x"][..], 3),
        ] {
            let o = opts(program, args);
            let lanes = 6;
            let (one_dir, sep_dir) = (scratch("one"), scratch("sep"));
            let io = LaneIo::new(Some(&one_dir), false).unwrap();
            let (one, _) = on_cpu_threads(&o, &io, lanes, threads);
            let io_sep = LaneIo::new(Some(&sep_dir), false).unwrap();
            let sep: Vec<LaneStatus> = (0..lanes)
                .map(|lane| elf_lane_on_cpu(&o, &io_sep, lane).0)
                .collect();
            assert_eq!(one, sep, "{program}, {threads} threads");
            for lane in 0..lanes {
                for ext in ["stdout", "stderr"] {
                    let f = format!("lane-{lane}.{ext}");
                    let a = std::fs::read(one_dir.join(&f)).unwrap();
                    let b = std::fs::read(sep_dir.join(&f)).unwrap();
                    assert_eq!(a, b, "{program} {f}");
                }
            }
            if program == "args" {
                // `{lane}` reached the guest: it prints argv[1]'s first 4 bytes.
                let out = std::fs::read(one_dir.join("lane-3.stdout")).unwrap();
                assert!(out.starts_with(b"l3x"), "{out:?}");
                assert_eq!(one[0], LaneStatus::Exit(2));
            }
            if program == "segv" {
                assert_eq!(one[0], LaneStatus::Signal(11));
            }
            let _ = std::fs::remove_dir_all(&one_dir);
            let _ = std::fs::remove_dir_all(&sep_dir);
        }
    }

    /// Lanes of one kernel read the same stdin, each from its start.
    #[test]
    fn one_kernel_lanes_each_read_all_of_stdin() {
        let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
        let prog = repo.join("tests/guest/build/stdin_sum-O2");
        if !prog.exists() {
            println!(
                "skipped: {} missing (scripts/build-guests.sh)",
                prog.display()
            );
            return;
        }
        let dir = scratch("stdin");
        std::fs::create_dir_all(&dir).unwrap();
        // LaneIo removes its stdin file when done: give it a copy.
        let input = dir.join("stdin");
        std::fs::copy(repo.join("tests/guest/inputs/numbers.txt"), &input).unwrap();
        let expected =
            std::fs::read(repo.join("tests/guest/expected/stdin_sum-O2.stdout")).unwrap();
        let mut o = opts("hello", &[]);
        o.program = prog;
        let io = LaneIo {
            out: Some(dir.join("out")),
            stdin: Some(input),
        };
        std::fs::create_dir_all(dir.join("out")).unwrap();
        let (statuses, _) = on_cpu_threads(&o, &io, 4, 2);
        assert_eq!(statuses, vec![LaneStatus::Exit(0); 4]);
        for lane in 0..4 {
            // The output recorded under qemu-aarch64 with this stdin.
            let got = std::fs::read(dir.join(format!("out/lane-{lane}.stdout"))).unwrap();
            assert_eq!(
                String::from_utf8_lossy(&got),
                String::from_utf8_lossy(&expected)
            );
        }
        drop(io);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
