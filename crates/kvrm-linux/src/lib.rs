//! Linux user-mode emulation for AArch64 guests: ELF loading, process setup,
//! the syscall layer and the file-system sandbox. Backend-independent: it
//! works on any [`kvrm_isa::Backend`].
//!
//! ```text
//! let mut cpu = Cpu::new(GuestMemory::new());
//! let mut proc = kvrm_linux::load(&mut cpu, &ProgramSpec::new(path, argv, envp, root))?;
//! let summary = kvrm_linux::run(&mut cpu, &mut proc, None);
//! std::process::exit(summary.end.status());
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kvrm_isa::{Backend, FaultKind, StopReason};

pub mod abi;
pub mod elf;
pub mod fd;
pub mod sandbox;
pub mod stack;
pub mod syscalls;

pub use elf::{load_elf, ElfError, LoadedElf};
pub use sandbox::Sandbox;
pub use stack::{ProcessImage, StackInfo};
pub use syscalls::{
    syscall_name, syscall_number, LinuxProcess, ProcessConfig, ProcessExit, SyscallOutcome,
};

/// Why a program could not be started.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Elf { path: PathBuf, source: ElfError },
    #[error("cannot use {path} as the guest root: {source}")]
    Root {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot build the initial stack: {0}")]
    Stack(kvrm_isa::MemFault),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct ProgramSpec {
    /// The executable's host path.
    pub exe: PathBuf,
    /// Guest argv (argv[0] included).
    pub argv: Vec<Vec<u8>>,
    /// Guest environment, `NAME=VALUE`.
    pub envp: Vec<Vec<u8>>,
    /// Host directory that is the guest's `/`.
    pub root: PathBuf,
    /// Guest working directory; `None`: the host's current directory if it is
    /// inside the root, else `/`.
    pub cwd: Option<String>,
}

/// Load `spec` into `backend` (whose memory should be empty) and set up the
/// process: segments, stack, auxv, registers.
pub fn load<B: Backend>(backend: &mut B, spec: &ProgramSpec) -> Result<LinuxProcess, LoadError> {
    let data = std::fs::read(&spec.exe).map_err(|source| LoadError::Read {
        path: spec.exe.clone(),
        source,
    })?;
    let root_err = |source| LoadError::Root {
        path: spec.root.clone(),
        source,
    };
    let sandbox = Sandbox::new(&spec.root).map_err(root_err)?;
    let loaded = load_elf(&data, backend.memory_mut()).map_err(|source| LoadError::Elf {
        path: spec.exe.clone(),
        source,
    })?;
    let exe_abs = std::fs::canonicalize(&spec.exe).unwrap_or_else(|_| spec.exe.clone());
    let exe_link = sandbox
        .guest_path_of(&exe_abs)
        .map(String::into_bytes)
        .unwrap_or_else(|| exe_abs.as_os_str().as_encoded_bytes().to_vec());
    let cwd = match &spec.cwd {
        Some(c) => sandbox
            .resolve("/", c.as_bytes(), true)
            .map(|r| r.guest)
            .unwrap_or_else(|_| "/".to_string()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| sandbox.guest_path_of(&d))
            .unwrap_or_else(|| "/".to_string()),
    };
    let proc = LinuxProcess::new(ProcessConfig {
        root: sandbox.root().to_path_buf(),
        exe_host: exe_abs,
        exe_link,
        cwd,
        brk_start: loaded.brk_start,
    })
    .map_err(root_err)?;
    let mut random = [0u8; 16];
    syscalls::fill_random(&mut random);
    let img = ProcessImage {
        argv: spec.argv.clone(),
        envp: spec.envp.clone(),
        execfn: spec.exe.as_os_str().as_encoded_bytes().to_vec(),
        random,
        uid: proc.uid,
        gid: proc.gid,
    };
    let info = stack::setup_stack(backend.memory_mut(), &loaded, &img).map_err(LoadError::Stack)?;
    stack::init_registers(backend.state_mut(), loaded.entry, info.sp);
    Ok(proc)
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunEnd {
    /// The guest exited or was killed by a signal it sent itself.
    Exited(ProcessExit),
    /// The guest stopped on a fault, an undefined instruction or a breakpoint,
    /// which Linux turns into this signal.
    Crashed { stop: StopReason, signal: i32 },
    /// The instruction limit was reached.
    CycleLimit,
}

impl RunEnd {
    /// The shell's view: exit status, or 128 + signal, or 124 at the cycle limit
    /// (as `timeout` reports a time limit).
    pub fn status(&self) -> i32 {
        match *self {
            RunEnd::Exited(e) => e.status(),
            RunEnd::Crashed { signal, .. } => 128 + signal,
            RunEnd::CycleLimit => 124,
        }
    }
}

/// The outcome of [`run`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RunSummary {
    pub end: RunEnd,
    pub instructions: u64,
    pub elapsed: Duration,
}

impl RunSummary {
    pub fn ips(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.instructions as f64 / s
        } else {
            0.0
        }
    }
}

/// The signal Linux sends for a stop that is not a syscall, if any.
pub fn signal_for_stop(stop: &StopReason) -> Option<i32> {
    use abi::signal::*;
    match stop {
        StopReason::Fault {
            kind: FaultKind::Alignment,
            ..
        } => Some(SIGBUS),
        StopReason::Fault { .. } => Some(SIGSEGV),
        StopReason::Undefined { .. } => Some(SIGILL),
        StopReason::Halted { hlt: false, .. } => Some(SIGTRAP),
        StopReason::Halted { hlt: true, .. } => Some(SIGILL),
        _ => None,
    }
}

/// Run the loaded process until it exits, crashes or uses `max_instructions`.
pub fn run<B: Backend>(
    backend: &mut B,
    proc: &mut LinuxProcess,
    max_instructions: Option<u64>,
) -> RunSummary {
    let start = Instant::now();
    let mut total = 0u64;
    let end = loop {
        let budget = match max_instructions {
            Some(m) if total >= m => break RunEnd::CycleLimit,
            Some(m) => m - total,
            None => u64::MAX,
        };
        let r = backend.run(budget);
        total += r.instructions;
        match r.stop {
            StopReason::Syscall { .. } => match proc.service(backend) {
                SyscallOutcome::Return(_) => {}
                SyscallOutcome::Exit(e) => break RunEnd::Exited(e),
            },
            StopReason::CycleLimit => {}
            StopReason::Exited { status } => {
                break RunEnd::Exited(ProcessExit::Exited(status));
            }
            stop => {
                let signal = signal_for_stop(&stop).unwrap_or(abi::signal::SIGSEGV);
                break RunEnd::Crashed { stop, signal };
            }
        }
    };
    if proc.is_forked_child() {
        // A guest process forked by clone is a host process of its own: it
        // ends with the guest, as the parent's wait4 expects to see.
        match end {
            RunEnd::Exited(e) => syscalls::exit_host(e),
            RunEnd::Crashed { stop, signal } => {
                eprintln!("kvrm: {stop}: guest killed by signal {signal}");
                syscalls::die_of_signal(signal)
            }
            RunEnd::CycleLimit => {
                eprintln!("kvrm: instruction limit reached in a forked process");
                syscalls::exit_host(ProcessExit::Exited(124))
            }
        }
    }
    RunSummary {
        end,
        instructions: total,
        elapsed: start.elapsed(),
    }
}

/// The `--stats` report: instructions, instructions/s, syscalls by name.
pub fn format_stats(summary: &RunSummary, proc: &LinuxProcess) -> String {
    let mut s = format!(
        "kvrm: {} instructions in {:.3} s ({:.1} M instructions/s)\n",
        summary.instructions,
        summary.elapsed.as_secs_f64(),
        summary.ips() / 1e6
    );
    let mut counts = proc.syscall_counts();
    counts.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let total: u64 = counts.iter().map(|c| c.2).sum();
    s.push_str(&format!("kvrm: {total} syscalls\n"));
    for (nr, name, count) in counts {
        s.push_str(&format!("kvrm:   {name:<20} {count:>10}  (#{nr})\n"));
    }
    s
}

/// The guest path of a host path under `root`, as [`Sandbox::guest_path_of`].
pub fn guest_path(root: &Path, host: &Path) -> Option<String> {
    Sandbox::new(root).ok()?.guest_path_of(host)
}
