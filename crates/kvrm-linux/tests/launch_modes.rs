//! The kernel's launch modes (`KernelConfig::launch`, `kvrm run --mode`) on an
//! engine that starts a run and finishes it later: a stand-in for the GPU's
//! asynchronous launches over the CPU engine, so the kernel's side of the
//! modes is tested without a GPU (scripts/gpu-check.sh runs them on one).

use std::io::Write;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kvrm_cpu::CpuEngine;
use kvrm_isa::{AddressSpace, CpuState, Engine, MachineId, MachineStop, SpaceId};
use kvrm_linux::{spawn, Kernel, KernelConfig, LaunchMode, ProcessExit, ProgramSpec, RunEnd};

mod common;
use common::{asm, procs_spec, Capture};

/// The CPU engine behind `start_run`: a started run is "in flight" for
/// `flight` of host time and executes in `wait_run`. Its machines run side by
/// side as far as the kernel can tell (as a GPU's lanes do). For other host
/// threads to see: `flying`, true from `start_run` to `wait_run`, and
/// `starts`, the runs started so far.
struct Deferred {
    inner: CpuEngine,
    flight: Duration,
    started: Option<(Vec<MachineId>, u64, Instant)>,
    flying: Arc<AtomicBool>,
    starts: Arc<AtomicU64>,
}

impl Deferred {
    fn new(flight: Duration) -> Self {
        Deferred {
            inner: CpuEngine::new(),
            flight,
            started: None,
            flying: Arc::default(),
            starts: Arc::default(),
        }
    }
}

impl Engine for Deferred {
    fn name(&self) -> &'static str {
        "deferred"
    }
    fn add_space(&mut self, space: AddressSpace) -> SpaceId {
        self.inner.add_space(space)
    }
    fn fork_space(&mut self, space: SpaceId) -> SpaceId {
        self.inner.fork_space(space)
    }
    fn remove_space(&mut self, space: SpaceId) -> Option<AddressSpace> {
        self.inner.remove_space(space)
    }
    fn space(&self, space: SpaceId) -> &AddressSpace {
        self.inner.space(space)
    }
    fn space_mut(&mut self, space: SpaceId) -> &mut AddressSpace {
        self.inner.space_mut(space)
    }
    fn add_machine(&mut self, space: SpaceId, state: CpuState) -> MachineId {
        self.inner.add_machine(space, state)
    }
    fn remove_machine(&mut self, machine: MachineId) {
        self.inner.remove_machine(machine)
    }
    fn machine_space(&self, machine: MachineId) -> SpaceId {
        self.inner.machine_space(machine)
    }
    fn set_machine_space(&mut self, machine: MachineId, space: SpaceId) {
        self.inner.set_machine_space(machine, space)
    }
    fn state(&self, machine: MachineId) -> &CpuState {
        self.inner.state(machine)
    }
    fn state_mut(&mut self, machine: MachineId) -> &mut CpuState {
        self.inner.state_mut(machine)
    }
    fn run(&mut self, machines: &[MachineId], budget: u64, out: &mut Vec<MachineStop>) {
        assert!(self.started.is_none(), "run while a run is in flight");
        self.inner.run(machines, budget, out)
    }
    fn runs_side_by_side(&self) -> bool {
        true
    }
    fn set_virtual_counter(&mut self, ticks: Option<u64>) {
        self.inner.set_virtual_counter(ticks)
    }
    fn start_run(&mut self, machines: &[MachineId], budget: u64) -> bool {
        assert!(self.started.is_none(), "two runs in flight");
        self.started = Some((machines.to_vec(), budget, Instant::now()));
        self.starts.fetch_add(1, Ordering::Release);
        self.flying.store(true, Ordering::Release);
        true
    }
    fn run_in_flight(&self) -> bool {
        self.started
            .as_ref()
            .is_some_and(|s| s.2.elapsed() < self.flight)
    }
    fn wait_run(&mut self, out: &mut Vec<MachineStop>) {
        let (machines, budget, _) = self.started.take().expect("a run was started");
        self.flying.store(false, Ordering::Release);
        self.inner.run(&machines, budget, out)
    }
}

fn kernel(launch: LaunchMode, flight: Duration) -> Kernel {
    kernel_on(launch, Deferred::new(flight))
}

fn kernel_on(launch: LaunchMode, engine: Deferred) -> Kernel {
    Kernel::new(
        Box::new(engine),
        KernelConfig {
            launch,
            max_instructions: Some(2_000_000_000),
            ..KernelConfig::default()
        },
    )
}

const MODES: [LaunchMode; 4] = [
    LaunchMode::Standard,
    LaunchMode::Continuous { batch: 3_000 },
    LaunchMode::Mega,
    LaunchMode::Async,
];

/// tests/procs (fork, vfork, execve, wait4, signals between processes, pipes)
/// gives the host kernel's answers in every mode.
#[test]
fn every_mode_gives_the_host_kernels_answers() {
    for mode in MODES {
        let root = tempfile::tempdir().unwrap();
        let (spec, expected) = procs_spec(root.path());
        let mut k = kernel(mode, Duration::ZERO);
        let pid = spawn(&mut k, &spec).expect("spawn");
        let mut out = Capture::new();
        out.attach(&mut k, pid, 1);
        let summary = k.run();
        k.run_rest();
        let mut stdout = String::from_utf8_lossy(&out.contents()).into_owned();
        stdout.push_str(&format!("status {}\n", summary.end.status()));
        assert_eq!(stdout, expected, "mode {}", mode.name());
        let stats = k.launch_stats();
        assert!(stats.runs > 0);
        let started = mode == LaunchMode::Async;
        assert_eq!(stats.started > 0, started, "mode {}", mode.name());
        assert_eq!(stats.started, if started { stats.runs } else { 0 });
    }
}

fn spec(name: &str) -> ProgramSpec {
    ProgramSpec {
        exe: asm(name),
        argv: vec![name.as_bytes().to_vec()],
        envp: vec![],
        root: asm(name).parent().unwrap().to_path_buf(),
        cwd: Some("/".into()),
        lib_prefix: None,
    }
}

/// Async: one process reads a host pipe that a host thread writes (and
/// closes) once a run of the other process, which computes, is in flight.
/// The read finishes while that run is in flight, not after it is collected.
#[test]
fn async_services_a_waiting_process_while_a_run_is_in_flight() {
    // Runs in flight for 20 ms: the host thread's write lands inside one
    // however loaded the machine (a 1 ms flight, with the runs' own work
    // between flights, let a loaded machine miss it).
    let engine = Deferred::new(Duration::from_millis(20));
    let (flying, starts) = (engine.flying.clone(), engine.starts.clone());
    let mut k = kernel_on(LaunchMode::Async, engine);
    let reader = spawn(&mut k, &spec("echo_stdin")).expect("spawn");
    let spinner = spawn(&mut k, &spec("spin")).expect("spawn");
    let (rx, mut tx) = std::io::pipe().unwrap();
    k.set_stdio(reader, 0, OwnedFd::from(rx));
    let mut read_out = Capture::new();
    read_out.attach(&mut k, reader, 1);
    let mut spin_out = Capture::new();
    spin_out.attach(&mut k, spinner, 1);
    let writer = std::thread::spawn(move || {
        // The reader waits on the pipe once the first run is collected: write
        // during a later run (or, should the runs end first, after 10 s, and
        // the assertions below say so).
        let t0 = Instant::now();
        while !(starts.load(Ordering::Acquire) >= 2 && flying.load(Ordering::Acquire))
            && t0.elapsed() < Duration::from_secs(10)
        {
            std::thread::sleep(Duration::from_micros(100));
        }
        tx.write_all(b"from the host\n").unwrap();
        // Dropping `tx` closes the pipe: the reader sees end of file.
    });
    let summary = k.run();
    k.run_rest();
    writer.join().unwrap();
    assert_eq!(summary.end, RunEnd::Exited(ProcessExit::Exited(0)));
    assert_eq!(read_out.contents(), b"from the host\n");
    assert_eq!(spin_out.contents(), b"spun\n");
    assert_eq!(k.exit_status(spinner), Some(ProcessExit::Exited(0)));
    let stats = k.launch_stats();
    assert_eq!(stats.started, stats.runs);
    assert!(stats.polls > 0);
    // The data and the end of file came while the spinner's run was in
    // flight.
    assert!(
        stats.serviced_in_flight >= 1,
        "no wake-up while a run was in flight: {stats:?}"
    );
}

/// Without runs in flight nothing is serviced early, and a progress counter
/// read from another thread follows the instructions retired.
#[test]
fn progress_is_readable_from_another_thread() {
    let mut k = kernel(LaunchMode::Standard, Duration::ZERO);
    let pid = spawn(&mut k, &spec("spin")).expect("spawn");
    let mut out = Capture::new();
    out.attach(&mut k, pid, 1);
    let progress = k.progress_counter();
    assert_eq!(progress.load(std::sync::atomic::Ordering::Relaxed), 0);
    let run = std::thread::spawn(move || {
        let s = k.run();
        (k, s)
    });
    let (k, summary) = run.join().unwrap();
    assert_eq!(summary.end, RunEnd::Exited(ProcessExit::Exited(0)));
    assert_eq!(
        progress.load(std::sync::atomic::Ordering::Relaxed),
        summary.instructions
    );
    assert_eq!(out.contents(), b"spun\n");
    assert_eq!(k.launch_stats().serviced_in_flight, 0);
}
