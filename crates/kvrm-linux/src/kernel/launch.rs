//! How the scheduler issues engine runs: the Metal system's four execution
//! modes, for Linux programs.
//!
//! - standard: slices as the scheduler chooses them (longer while no machine
//!   stops for the kernel on an engine that runs machines side by side).
//! - continuous: every round runs `batch` instructions per machine, so the
//!   host regains control at a fixed rate (Metal's cycles_per_batch).
//! - mega: while no guest thread waits, one launch per round in which every
//!   machine runs until it stops for the kernel (up to [`MEGA_SLICE`], so a
//!   host signal still gets through); standard slices while one waits, and
//!   on an engine that runs machines one after another.
//! - async: each round's run is started without waiting for it
//!   ([`Engine::start_run`]); while it is in flight the kernel reads its
//!   progress and services the waiting threads of processes that have no
//!   machine in it (their reads, writes, sleeps, waits for children), then
//!   collects the stops. On an engine that cannot start a run (the CPU
//!   backend) it is standard.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::time::Duration;

use kvrm_isa::{MachineId, MachineStop, SpaceId};

use super::Kernel;

/// Longest run of a machine in one mega launch: a few seconds of a GPU lane.
pub const MEGA_SLICE: u64 = 1 << 28;

/// How long the kernel waits in the host's poll between two progress reads
/// of an asynchronous run.
const IN_FLIGHT_POLL: Duration = Duration::from_micros(100);

/// How the kernel issues engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LaunchMode {
    #[default]
    Standard,
    /// Runs of `batch` instructions per machine.
    Continuous { batch: u64 },
    /// One launch until every machine stops for the kernel.
    Mega,
    /// Runs started without waiting; waiting threads outside them serviced
    /// while they are in flight.
    Async,
}

impl LaunchMode {
    pub fn name(self) -> &'static str {
        match self {
            LaunchMode::Standard => "standard",
            LaunchMode::Continuous { .. } => "continuous",
            LaunchMode::Mega => "mega",
            LaunchMode::Async => "async",
        }
    }
}

/// What the launch mode did (`--stats`).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct LaunchStats {
    /// Engine runs issued.
    pub runs: u64,
    /// Runs started asynchronously.
    pub started: u64,
    /// Progress reads while one was in flight.
    pub polls: u64,
    /// Waiting threads whose call finished while a run was in flight.
    pub serviced_in_flight: u64,
}

impl Kernel {
    /// The slice of a round (`waiting`: some thread waits), given the
    /// scheduler's own choice `standard`.
    pub(super) fn mode_slice(&self, standard: u64, waiting: bool) -> u64 {
        match self.config.launch {
            LaunchMode::Continuous { batch } => batch.max(1),
            // Machines that run one after another would each wait for the
            // others' whole launches: mega only where they run side by side.
            LaunchMode::Mega if !waiting && self.engine.runs_side_by_side() => MEGA_SLICE,
            _ => standard,
        }
    }

    /// Run `machines` for `slice` instructions each on the engine, as the
    /// launch mode says; the stops go to `stops`.
    pub(super) fn launch(
        &mut self,
        machines: &[MachineId],
        slice: u64,
        stops: &mut Vec<MachineStop>,
    ) {
        self.launch_stats.runs += 1;
        if self.config.launch != LaunchMode::Async || !self.engine.start_run(machines, slice) {
            self.engine.run(machines, slice, stops);
            return;
        }
        self.launch_stats.started += 1;
        // (A machine of the list may be gone: a thread that exited after
        // the list was made.)
        let busy: HashSet<SpaceId> = machines
            .iter()
            .filter(|m| self.by_machine.contains_key(m))
            .map(|&m| self.engine.machine_space(m))
            .collect();
        while self.engine.run_in_flight() {
            self.launch_stats.polls += 1;
            let done = self.instructions + self.engine.run_progress();
            self.progress.store(done, Ordering::Relaxed);
            if self.config.deterministic {
                // The virtual clock moves with instructions only: waking a
                // thread at host time would make the run depend on it.
                std::thread::sleep(IN_FLIGHT_POLL);
            } else {
                let before = self.waiting_threads();
                self.poll_waiters_outside(IN_FLIGHT_POLL, &busy);
                let after = self.waiting_threads();
                self.launch_stats.serviced_in_flight += before.saturating_sub(after) as u64;
            }
        }
        self.engine.wait_run(stops);
    }

    pub fn launch_mode(&self) -> LaunchMode {
        self.config.launch
    }

    /// What the launch mode did so far.
    pub fn launch_stats(&self) -> LaunchStats {
        self.launch_stats
    }

    /// Instructions retired by every guest thread so far, updated after
    /// every run and while an asynchronous one is in flight: read it from
    /// another host thread without stopping the kernel.
    pub fn progress_counter(&self) -> std::sync::Arc<std::sync::atomic::AtomicU64> {
        self.progress.clone()
    }
}
