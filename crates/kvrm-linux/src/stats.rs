//! The `--stats` report of a kernel's run, and of kernels that ran side by
//! side (a `--lanes` run split over host threads): their reports merge.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::{Kernel, LaunchMode, LaunchStats, RunSummary};

/// What `--stats` prints about one kernel's run, or the sum of several.
#[derive(Debug, Clone, Default)]
pub struct StatsReport {
    pub instructions: u64,
    /// The longest run's time (merged runs went on side by side).
    pub elapsed: Duration,
    /// How many kernels' runs this report sums.
    pub kernels: usize,
    /// By syscall number: name, calls, host time servicing them.
    syscalls: BTreeMap<u64, (&'static str, u64, Duration)>,
    time_in_engine: Duration,
    time_in_stops: Duration,
    mode: LaunchMode,
    launch: LaunchStats,
    /// The engine's counters, in its order.
    engine: Vec<(&'static str, u64)>,
}

impl StatsReport {
    /// The report of `kernel`'s run that ended with `summary`.
    pub fn of(summary: &RunSummary, kernel: &Kernel) -> Self {
        let times = kernel.syscall_times();
        let syscalls = kernel
            .syscall_counts()
            .into_iter()
            .map(|(nr, name, count)| {
                let t = times.get(&nr).copied().unwrap_or_default();
                (nr, (name, count, t))
            })
            .collect();
        let (time_in_engine, time_in_stops) = kernel.host_times();
        StatsReport {
            instructions: summary.instructions,
            elapsed: summary.elapsed,
            kernels: 1,
            syscalls,
            time_in_engine,
            time_in_stops,
            mode: kernel.launch_mode(),
            launch: kernel.launch_stats(),
            engine: kernel.engine().stats(),
        }
    }

    /// Add `other`, a kernel that ran beside this one: counts and host
    /// times add up; the elapsed time is the longer; an engine counter that
    /// is a share (per mille) becomes the mean over the kernels.
    pub fn merge(&mut self, other: &StatsReport) {
        let (n, m) = (self.kernels as u64, other.kernels as u64);
        self.instructions += other.instructions;
        self.elapsed = self.elapsed.max(other.elapsed);
        for (&nr, &(name, count, t)) in &other.syscalls {
            let e = self.syscalls.entry(nr).or_insert((name, 0, Duration::ZERO));
            e.1 += count;
            e.2 += t;
        }
        self.time_in_engine += other.time_in_engine;
        self.time_in_stops += other.time_in_stops;
        if self.kernels == 0 {
            self.mode = other.mode;
        }
        self.launch.runs += other.launch.runs;
        self.launch.started += other.launch.started;
        self.launch.polls += other.launch.polls;
        self.launch.serviced_in_flight += other.launch.serviced_in_flight;
        for &(name, v) in &other.engine {
            match self.engine.iter_mut().find(|(k, _)| *k == name) {
                Some((_, t)) if is_share(name) => *t = (*t * n + v * m) / (n + m).max(1),
                Some((_, t)) => *t += v,
                None => self.engine.push((name, v)),
            }
        }
        self.kernels += other.kernels;
    }

    fn ips(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.instructions as f64 / s
        } else {
            0.0
        }
    }
}

/// A counter that is a share of something, not a quantity.
fn is_share(name: &str) -> bool {
    name.contains("per mille")
}

impl std::fmt::Display for StatsReport {
    /// Instructions, instructions/s, syscalls by name (most called first),
    /// host times, the launch mode's counts, the engine's counters; one
    /// `kvrm: ` line each. A merged report says over how many kernels.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.kernels > 1 {
            writeln!(
                f,
                "kvrm: {} kernels side by side, one per host thread: counts and host times are their sums",
                self.kernels
            )?;
        }
        writeln!(
            f,
            "kvrm: {} instructions in {:.3} s ({:.1} M instructions/s)",
            self.instructions,
            self.elapsed.as_secs_f64(),
            self.ips() / 1e6
        )?;
        let mut counts: Vec<_> = self.syscalls.iter().collect();
        counts.sort_by(|a, b| b.1 .1.cmp(&a.1 .1).then(a.0.cmp(b.0)));
        let total: u64 = counts.iter().map(|c| c.1 .1).sum();
        writeln!(f, "kvrm: {total} syscalls")?;
        for (nr, (name, count, t)) in counts {
            writeln!(
                f,
                "kvrm:   {name:<20} {count:>10}  (#{nr}, {} us serviced)",
                t.as_micros()
            )?;
        }
        writeln!(
            f,
            "kvrm: time in the engine's runs (ms): {}\nkvrm: time servicing their stops (ms): {}",
            self.time_in_engine.as_millis(),
            self.time_in_stops.as_millis()
        )?;
        if self.mode != LaunchMode::Standard {
            let l = &self.launch;
            writeln!(
                f,
                "kvrm: mode {}: {} engine runs, {} started asynchronously, {} progress reads in flight, {} waiting threads serviced in flight",
                self.mode.name(),
                l.runs,
                l.started,
                l.polls,
                l.serviced_in_flight
            )?;
        }
        for (name, v) in &self.engine {
            writeln!(f, "kvrm: {name}: {v}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(instructions: u64, secs: u64, writes: u64, share: u64) -> StatsReport {
        StatsReport {
            instructions,
            elapsed: Duration::from_secs(secs),
            kernels: 1,
            syscalls: [
                (64, ("write", writes, Duration::from_micros(10 * writes))),
                (93, ("exit", 1, Duration::from_micros(5))),
            ]
            .into_iter()
            .collect(),
            time_in_engine: Duration::from_millis(secs * 900),
            time_in_stops: Duration::from_millis(secs * 100),
            mode: LaunchMode::Mega,
            launch: LaunchStats {
                runs: 3,
                ..LaunchStats::default()
            },
            engine: vec![("launches", 3), ("lanes in step, per mille", share)],
        }
    }

    #[test]
    fn merged_reports_add_counts_and_keep_the_longest_time() {
        let mut all = StatsReport::default();
        for r in [report(100, 2, 4, 900), report(300, 3, 1, 600)] {
            all.merge(&r);
        }
        all.merge(&report(200, 1, 5, 300));
        assert_eq!(all.kernels, 3);
        assert_eq!(all.instructions, 600);
        assert_eq!(all.elapsed, Duration::from_secs(3));
        assert_eq!(all.syscalls[&64], ("write", 10, Duration::from_micros(100)));
        assert_eq!(all.syscalls[&93].1, 3);
        assert_eq!(all.launch.runs, 9);
        assert_eq!(all.time_in_engine, Duration::from_millis(5400));
        // Counts add up; a share is the kernels' mean.
        assert_eq!(
            all.engine,
            vec![("launches", 9), ("lanes in step, per mille", 600)]
        );
        let text = all.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "kvrm: 3 kernels side by side, one per host thread: counts and host times are their sums"
        );
        assert_eq!(
            lines[1],
            "kvrm: 600 instructions in 3.000 s (0.0 M instructions/s)"
        );
        assert_eq!(lines[2], "kvrm: 13 syscalls");
        // Most called first.
        assert!(lines[3].contains("write") && lines[3].contains("(#64, 100 us serviced)"));
        assert!(lines[4].contains("exit") && lines[4].contains("(#93, 15 us serviced)"));
        assert!(text.contains("kvrm: mode mega: 9 engine runs"));
        assert!(text.contains("kvrm: lanes in step, per mille: 600\n"));
    }

    #[test]
    fn one_kernel_report_has_no_merge_line() {
        let text = report(5, 1, 1, 10).to_string();
        assert!(
            text.starts_with("kvrm: 5 instructions in 1.000 s"),
            "{text}"
        );
    }
}
