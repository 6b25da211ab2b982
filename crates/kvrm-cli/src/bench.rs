//! `kvrm bench`: the Metal system's two microbenchmarks on a kvrm backend.

use std::time::Instant;

use clap::Args;
use kvrm_cpu::Cpu;
use kvrm_isa::programs::Microbench;
use kvrm_isa::{AddressSpace, CpuState, Engine, MachineStop, StopReason};

use crate::backend::{Backend, BackendChoice};

/// The Metal system's figures (Apple GPU, one emulated CPU, async mode; BENCHMARKS.md).
const METAL_TIGHT_IPS: f64 = 3.5e6;
const METAL_STORE_IPS: f64 = 3.0e6;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Backend to measure: cpu, cuda, or auto (the GPU from 64 lanes when one is
    /// usable, else the CPU).
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    backend: BackendChoice,
    /// Machines running the benchmark at once (CPU: on every host core; CUDA:
    /// lanes of the same launches); the figure is their aggregate.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    lanes: u32,
    /// Loop iterations per run and lane (default: 50,000,000 on the CPU,
    /// 200,000 on the CUDA backend).
    #[arg(long)]
    iterations: Option<u64>,
    /// No note when auto falls back to the CPU.
    #[arg(long, short = 'q')]
    quiet: bool,
    /// How guest code runs: `interp` or `jit` (default: `jit` on the CPU backend, `interp`
    /// on CUDA).
    #[arg(long, value_name = "ENGINE", value_parser = crate::parse_engine)]
    engine: Option<kvrm_cpu::ExecMode>,
    /// Runs per benchmark; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
    /// CUDA backend: how runs are issued (standard, continuous, mega, async; see
    /// `kvrm run --help`). The CPU backend has standard only.
    #[arg(long, value_enum, default_value_t = crate::mode::RunMode::Standard)]
    mode: crate::mode::RunMode,
    /// --mode continuous: instructions per run (default 1,000,000).
    #[arg(long, value_name = "N")]
    batch: Option<u64>,
}

struct Measurement {
    bench: Microbench,
    median_ips: f64,
    min_ips: f64,
    max_ips: f64,
    instructions: u64,
}

/// Check one machine's run of the benchmark.
fn check(
    bench: Microbench,
    iterations: u64,
    stop: &StopReason,
    retired: u64,
) -> anyhow::Result<()> {
    anyhow::ensure!(
        matches!(stop, StopReason::Halted { .. }),
        "{}: unexpected stop: {stop}",
        bench.name()
    );
    anyhow::ensure!(
        retired == bench.instructions(iterations),
        "{}: retired {retired} instructions, expected {}",
        bench.name(),
        bench.instructions(iterations)
    );
    Ok(())
}

/// One run of `lanes` machines; returns the aggregate instructions/s.
fn sample(
    bench: Microbench,
    iterations: u64,
    lanes: usize,
    backend: &mut Backend,
    exec: kvrm_cpu::ExecMode,
    mode: (crate::mode::RunMode, u64),
) -> anyhow::Result<f64> {
    let program = bench.program(iterations);
    let one_cpu = || -> anyhow::Result<f64> {
        let mut cpu = Cpu::with_flat_memory(kvrm_isa::space::DEFAULT_RAW_MEMORY)?;
        cpu.set_exec_mode(exec);
        cpu.load_program(&program, 0)
            .map_err(|f| anyhow::anyhow!("{f}"))?;
        let r = cpu.run(u64::MAX);
        check(bench, iterations, &r.stop, r.instructions)?;
        Ok(r.ips())
    };
    match backend {
        Backend::Cpu if lanes == 1 => one_cpu(),
        Backend::Cpu => {
            let start = Instant::now();
            let (results, _) = crate::lanes::on_all_cores(lanes, None, |_| one_cpu());
            for r in results {
                r?;
            }
            Ok((bench.instructions(iterations) * lanes as u64) as f64
                / start.elapsed().as_secs_f64())
        }
        Backend::Cuda(engine) => {
            let mut machines = Vec::with_capacity(lanes);
            let mut spaces = Vec::with_capacity(lanes);
            for _ in 0..lanes {
                let mut space = AddressSpace::flat(kvrm_isa::space::DEFAULT_RAW_MEMORY)?;
                space
                    .write_bytes_force(0, &program)
                    .map_err(|f| anyhow::anyhow!("{f}"))?;
                let s = engine.add_space(space);
                spaces.push(s);
                machines.push(engine.add_machine(s, CpuState::new()));
            }
            let mut stops: Vec<MachineStop> = Vec::with_capacity(lanes);
            let start = Instant::now();
            crate::mode::run_cuda(engine, &machines, u64::MAX, mode.0, mode.1, &mut stops)?;
            let secs = start.elapsed().as_secs_f64();
            if let Some(e) = engine.take_error() {
                anyhow::bail!("{e}");
            }
            let mut total = 0;
            for s in &stops {
                check(bench, iterations, &s.stop, s.instructions)?;
                total += s.instructions;
            }
            anyhow::ensure!(
                stops.len() == lanes,
                "{} of {lanes} lanes stopped",
                stops.len()
            );
            for m in machines {
                engine.remove_machine(m);
            }
            for s in spaces {
                engine.remove_space(s);
            }
            Ok(total as f64 / secs)
        }
    }
}

fn measure(
    bench: Microbench,
    iterations: u64,
    repeat: usize,
    lanes: usize,
    backend: &mut Backend,
    exec: kvrm_cpu::ExecMode,
    mode: (crate::mode::RunMode, u64),
) -> anyhow::Result<Measurement> {
    let mut samples = Vec::with_capacity(repeat);
    for _ in 0..repeat.max(1) {
        samples.push(sample(bench, iterations, lanes, backend, exec, mode)?);
    }
    samples.sort_by(f64::total_cmp);
    Ok(Measurement {
        bench,
        median_ips: samples[samples.len() / 2],
        min_ips: samples[0],
        max_ips: samples[samples.len() - 1],
        instructions: bench.instructions(iterations),
    })
}

pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let lanes = args.lanes as usize;
    let mut backend = crate::backend::open(args.backend, lanes, true, args.quiet, args.engine)?;
    if args.mode != crate::mode::RunMode::Standard && matches!(backend, Backend::Cpu) {
        anyhow::bail!(
            "--mode {} needs the CUDA backend (--backend cuda); the CPU backend runs standard only",
            args.mode.name()
        );
    }
    let mode = (args.mode, args.batch.unwrap_or(crate::mode::DEFAULT_BATCH));
    let iterations = args.iterations.unwrap_or(match backend {
        Backend::Cpu => 50_000_000,
        Backend::Cuda(_) => 200_000,
    });
    let name = backend.name();
    let engine = crate::backend::mode_for(&backend, args.engine);
    let results = [
        measure(
            Microbench::TightLoop,
            iterations,
            args.repeat,
            lanes,
            &mut backend,
            engine,
            mode,
        )?,
        measure(
            Microbench::StoreLoop,
            iterations,
            args.repeat,
            lanes,
            &mut backend,
            engine,
            mode,
        )?,
    ];
    let metal = |b: Microbench| match b {
        Microbench::TightLoop => METAL_TIGHT_IPS,
        Microbench::StoreLoop => METAL_STORE_IPS,
    };
    if args.json {
        let rows: Vec<serde_json::Value> = results
            .iter()
            .map(|m| {
                serde_json::json!({
                    "benchmark": m.bench.name(),
                    "backend": name,
                    "lanes": lanes,
                    "engine": engine.name(),
                    "mode": args.mode.name(),
                    "instructions": m.instructions,
                    "median_ips": m.median_ips.round(),
                    "min_ips": m.min_ips.round(),
                    "max_ips": m.max_ips.round(),
                    "metal_ips": metal(m.bench),
                })
            })
            .collect();
        println!("{}", serde_json::Value::Array(rows));
        return Ok(());
    }
    println!(
        "backend: {name} ({}), {lanes} lane(s) ({} runs each, {iterations} iterations per run and lane; \
         median [min..max] of the aggregate)",
        engine,
        args.repeat
    );
    for m in &results {
        println!(
            "{:<40} {:>8.1} M instr/s  [{:.1}..{:.1}]  Metal system (GPU): {:.1} M  ({:.0}x)",
            m.bench.name(),
            m.median_ips / 1e6,
            m.min_ips / 1e6,
            m.max_ips / 1e6,
            metal(m.bench) / 1e6,
            m.median_ips / metal(m.bench)
        );
    }
    Ok(())
}
