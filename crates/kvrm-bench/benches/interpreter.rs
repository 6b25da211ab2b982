//! The Metal system's microbenchmarks on the CPU backend, under criterion.
//! Throughput is reported in guest instructions (criterion "elements").

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kvrm_cpu::Cpu;
use kvrm_isa::programs::Microbench;
use kvrm_isa::space::DEFAULT_RAW_MEMORY;
use kvrm_isa::StopReason;

const ITERATIONS: u64 = 2_000_000;

fn microbenchmarks(c: &mut Criterion) {
    let mut group = c.benchmark_group("cpu_backend");
    for bench in [Microbench::TightLoop, Microbench::StoreLoop] {
        let program = bench.program(ITERATIONS);
        group.throughput(Throughput::Elements(bench.instructions(ITERATIONS)));
        group.bench_function(bench.name(), |b| {
            b.iter(|| {
                let mut cpu = Cpu::with_flat_memory(DEFAULT_RAW_MEMORY).expect("memory");
                cpu.load_program(&program, 0).expect("load");
                let r = cpu.run(u64::MAX);
                assert!(matches!(r.stop, StopReason::Halted { .. }));
                r.instructions
            })
        });
    }
    group.finish();
}

criterion_group!(benches, microbenchmarks);
criterion_main!(benches);
