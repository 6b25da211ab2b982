//! `--mode standard|continuous|mega|async`: how the host issues GPU runs (the
//! Metal system's four execution modes, which `CudaEngine` implements).
//!
//! - standard: one `Engine::run` for the whole budget; it returns when every
//!   machine has stopped (relaunching for host steps and frames as needed).
//! - continuous: a host loop of runs of `--batch` instructions (default
//!   1,000,000) per machine until each stops or the budget is spent: the
//!   host regains control between batches (Metal's cycles_per_batch).
//! - mega: one launch for the whole budget: the same call as standard on
//!   this engine, which already keeps a lane on the device until it stops.
//! - async: `CudaEngine::start` queues the launch and returns at once; the
//!   host polls `progress` (pinned host memory, no device sync) until the
//!   launch is done, then `wait` finishes the run.
//!
//! ELF programs run in the kernel's rounds, which take the same four modes
//! (`kvrm_linux::LaunchMode`).
//!
//! On the CPU backend only standard applies: the others are a usage error.

use std::time::{Duration, Instant};

use kvrm_cuda::CudaEngine;
use kvrm_isa::{Engine, MachineId, MachineStop, StopReason};

/// Instructions per run of `--mode continuous` (Metal's cycles_per_batch).
pub const DEFAULT_BATCH: u64 = 1_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RunMode {
    /// One run for the whole budget, returning when every machine has stopped.
    #[default]
    Standard,
    /// Runs of --batch instructions in a host loop until each machine stops.
    Continuous,
    /// One launch for the whole budget (on this engine the same as standard).
    Mega,
    /// Start the launch, poll its progress from the host, then wait for it.
    Async,
}

impl RunMode {
    /// The kernel's launch mode for ELF programs (`batch`: `--batch`).
    pub fn for_kernel(self, batch: u64) -> kvrm_linux::LaunchMode {
        match self {
            RunMode::Standard => kvrm_linux::LaunchMode::Standard,
            RunMode::Continuous => kvrm_linux::LaunchMode::Continuous { batch },
            RunMode::Mega => kvrm_linux::LaunchMode::Mega,
            RunMode::Async => kvrm_linux::LaunchMode::Async,
        }
    }

    /// The mode's name when only the GPU has it (not standard).
    pub fn gpu_only_name(self) -> Option<&'static str> {
        (self != RunMode::Standard).then(|| self.name())
    }

    pub fn name(self) -> &'static str {
        match self {
            RunMode::Standard => "standard",
            RunMode::Continuous => "continuous",
            RunMode::Mega => "mega",
            RunMode::Async => "async",
        }
    }
}

/// What a mode run did besides the stops (for --stats).
#[derive(Debug, Default, Clone, Copy)]
pub struct ModeStats {
    /// Engine runs issued (continuous: one per batch).
    pub runs: u64,
    /// Progress polls (async).
    pub polls: u64,
    /// The largest progress read while polling (async).
    pub progress: u64,
}

/// Run `machines` on `engine` in `mode` for at most `budget` instructions
/// each; one stop per machine into `out` (instructions summed over batches).
pub fn run_cuda(
    engine: &mut CudaEngine,
    machines: &[MachineId],
    budget: u64,
    mode: RunMode,
    batch: u64,
    out: &mut Vec<MachineStop>,
) -> anyhow::Result<ModeStats> {
    let mut stats = ModeStats::default();
    match mode {
        RunMode::Standard | RunMode::Mega => {
            engine.run(machines, budget, out);
            stats.runs = 1;
        }
        RunMode::Continuous => {
            let batch = batch.max(1);
            // (machine, retired so far)
            let mut pending: Vec<(MachineId, u64)> = machines.iter().map(|&m| (m, 0)).collect();
            let mut stops = Vec::new();
            while !pending.is_empty() {
                let left = budget - pending[0].1;
                let ids: Vec<MachineId> = pending.iter().map(|p| p.0).collect();
                stops.clear();
                engine.run(&ids, batch.min(left), &mut stops);
                stats.runs += 1;
                let mut next = Vec::new();
                for (m, done) in pending {
                    let Some(s) = stops.iter().find(|s| s.machine == m) else {
                        continue;
                    };
                    let done = done + s.instructions;
                    if s.stop == StopReason::CycleLimit && done < budget {
                        next.push((m, done));
                    } else {
                        out.push(MachineStop {
                            machine: m,
                            stop: s.stop,
                            instructions: done,
                        });
                    }
                }
                pending = next;
            }
        }
        RunMode::Async => {
            engine
                .start(machines, budget)
                .map_err(|e| anyhow::anyhow!("--mode async: {e}"))?;
            stats.runs = 1;
            while engine.is_running() {
                stats.polls += 1;
                stats.progress = stats.progress.max(engine.progress());
                std::thread::sleep(Duration::from_micros(200));
            }
            engine
                .wait(out)
                .map_err(|e| anyhow::anyhow!("--mode async: {e}"))?;
        }
    }
    Ok(stats)
}

/// [`run_cuda`] for one machine, timed, as a `RunResult`.
pub fn run_one(
    engine: &mut CudaEngine,
    machine: MachineId,
    budget: u64,
    mode: RunMode,
    batch: u64,
) -> anyhow::Result<(kvrm_isa::RunResult, ModeStats)> {
    let start = Instant::now();
    let mut out = Vec::with_capacity(1);
    let stats = run_cuda(engine, &[machine], budget, mode, batch, &mut out)?;
    let s = out
        .first()
        .copied()
        .ok_or_else(|| anyhow::anyhow!("the machine did not stop"))?;
    Ok((
        kvrm_isa::RunResult {
            stop: s.stop,
            instructions: s.instructions,
            elapsed: start.elapsed(),
        },
        stats,
    ))
}
