//! `kvrm bench`: the Metal system's two microbenchmarks on a kvrm backend.

use clap::Args;
use kvrm_cpu::Cpu;
use kvrm_isa::programs::Microbench;
use kvrm_isa::StopReason;

/// The Metal system's figures (Apple GPU, one emulated CPU, async mode; BENCHMARKS.md).
const METAL_TIGHT_IPS: f64 = 3.5e6;
const METAL_STORE_IPS: f64 = 3.0e6;

#[derive(Args, Debug)]
pub struct BenchArgs {
    /// Backend to measure.
    #[arg(long, default_value = "cpu", value_parser = ["cpu"])]
    backend: String,
    /// How the CPU runs guest code: `interp` or `jit`.
    #[arg(long, value_name = "ENGINE", default_value = "interp", value_parser = crate::parse_engine)]
    engine: kvrm_cpu::ExecMode,
    /// Loop iterations per run.
    #[arg(long, default_value_t = 50_000_000)]
    iterations: u64,
    /// Runs per benchmark; the median is reported.
    #[arg(long, default_value_t = 5)]
    repeat: usize,
    /// Print one JSON object instead of a table.
    #[arg(long)]
    json: bool,
}

struct Measurement {
    bench: Microbench,
    median_ips: f64,
    min_ips: f64,
    max_ips: f64,
    instructions: u64,
}

fn measure(
    bench: Microbench,
    engine: kvrm_cpu::ExecMode,
    iterations: u64,
    repeat: usize,
) -> anyhow::Result<Measurement> {
    let program = bench.program(iterations);
    let mut samples = Vec::with_capacity(repeat);
    let mut instructions = 0;
    for _ in 0..repeat.max(1) {
        let mut cpu = Cpu::with_flat_memory(kvrm_isa::space::DEFAULT_RAW_MEMORY)?;
        cpu.set_exec_mode(engine);
        cpu.load_program(&program, 0)
            .map_err(|f| anyhow::anyhow!("{f}"))?;
        let r = cpu.run(u64::MAX);
        anyhow::ensure!(
            matches!(r.stop, StopReason::Halted { .. }),
            "{}: unexpected stop: {}",
            bench.name(),
            r.stop
        );
        anyhow::ensure!(
            r.instructions == bench.instructions(iterations),
            "{}: retired {} instructions, expected {}",
            bench.name(),
            r.instructions,
            bench.instructions(iterations)
        );
        instructions = r.instructions;
        samples.push(r.ips());
    }
    samples.sort_by(f64::total_cmp);
    Ok(Measurement {
        bench,
        median_ips: samples[samples.len() / 2],
        min_ips: samples[0],
        max_ips: samples[samples.len() - 1],
        instructions,
    })
}

pub fn bench(args: &BenchArgs) -> anyhow::Result<()> {
    let results = [
        measure(
            Microbench::TightLoop,
            args.engine,
            args.iterations,
            args.repeat,
        )?,
        measure(
            Microbench::StoreLoop,
            args.engine,
            args.iterations,
            args.repeat,
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
                    "backend": args.backend,
                    "engine": args.engine.name(),
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
        "backend: {} ({}; {} runs each, {} iterations per run; median [min..max])",
        args.backend, args.engine, args.repeat, args.iterations
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
