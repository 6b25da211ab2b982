//! The `kvrm bench` microbenchmarks on the interpreter and on the JIT:
//! `cargo run --release -p kvrm-cpu --example jit_bench [iterations] [repeat]`.
//! Prints the median instructions/s of each (runs alternate the engines).

use kvrm_cpu::{Cpu, ExecMode};
use kvrm_isa::programs::Microbench;
use kvrm_isa::StopReason;

fn run(bench: Microbench, iterations: u64, mode: ExecMode) -> (f64, u64) {
    let mut cpu = Cpu::with_flat_memory(0x20_0000).expect("memory");
    cpu.load_program(&bench.program(iterations), 0)
        .expect("load");
    cpu.set_exec_mode(mode);
    let r = cpu.run(u64::MAX);
    assert!(matches!(r.stop, StopReason::Halted { .. }), "{:?}", r.stop);
    assert_eq!(r.instructions, bench.instructions(iterations));
    let compiled = cpu.jit_stats().map_or(0, |s| s.blocks_compiled);
    (r.instructions as f64 / r.elapsed.as_secs_f64(), compiled)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let mut args = std::env::args().skip(1);
    let iterations: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000_000);
    let repeat: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    for bench in [Microbench::TightLoop, Microbench::StoreLoop] {
        let (mut interp, mut jit) = (Vec::new(), Vec::new());
        let mut blocks = 0;
        for _ in 0..repeat {
            interp.push(run(bench, iterations, ExecMode::Interp).0);
            let (ips, b) = run(bench, iterations, ExecMode::JIT);
            jit.push(ips);
            blocks = b;
        }
        let (i, j) = (median(interp), median(jit));
        println!(
            "{:40} interp {:8.1} M instr/s   jit {:8.1} M instr/s   x{:.1}  ({} blocks compiled)",
            bench.name(),
            i / 1e6,
            j / 1e6,
            j / i,
            blocks
        );
    }
}
