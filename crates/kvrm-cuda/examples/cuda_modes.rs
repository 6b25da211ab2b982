//! The Metal system's four execution modes on one CUDA lane, for its two
//! microbenchmarks (a tight loop `add; subs; b.ne` and the loop with a
//! `str`), plus the async mode's latencies:
//! - standard: `Engine::run` for the whole budget, returning at the stop;
//! - continuous: a host loop of runs of `cycles_per_batch` instructions
//!   until the guest halts;
//! - mega: one run for the whole budget (one launch unless a lane needs
//!   the host);
//! - async: `start` returns at once, `progress` is polled from pinned host
//!   memory until the launch is done, `wait` collects.
//!
//! Usage: cuda_modes [--jit] [ITERATIONS] [CYCLES_PER_BATCH]   (default 3,000,000 and 1,000,000)

use std::time::{Duration, Instant};

use kvrm_cuda::CudaEngine;
use kvrm_isa::{AddressSpace, CpuState, Engine, MachineId, StopReason};

const CODE: u64 = 0x1000;
const DATA: u64 = 0x8000;

fn programs() -> [(&'static str, Vec<u32>); 2] {
    [
        (
            "tight loop",
            vec![0x9100_0400, 0xf100_0421, 0x54ff_ffc1, 0xd420_0000],
        ),
        (
            "loop with str",
            vec![
                0x9100_0400,
                0xf900_0040,
                0xf100_0421,
                0x54ff_ffa1,
                0xd420_0000,
            ],
        ),
    ]
}

fn machine(engine: &mut CudaEngine, words: &[u32], iterations: u64) -> MachineId {
    let mut space = AddressSpace::flat(0x10000).expect("map");
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    space.write_bytes_force(CODE, &code).expect("load");
    let sid = engine.add_space(space);
    let mut s = CpuState::new();
    s.pc = CODE;
    s.x[1] = iterations;
    s.x[2] = DATA;
    engine.add_machine(sid, s)
}

fn main() {
    // `--jit`: translate the hot blocks to CUDA C first (the warm-up runs
    // long enough for the engine to pick them).
    let jit = std::env::args().any(|a| a == "--jit");
    let mut args = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse::<u64>().ok());
    let iterations = args.next().unwrap_or(3_000_000);
    let batch = args.next().unwrap_or(1_000_000);
    let mut engine = match CudaEngine::new() {
        Ok(e) => e,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    if jit {
        engine.set_translation(Some(16)).expect("translation");
    }
    println!(
        "device: {}{}",
        engine.device_name(),
        if jit {
            " (hot blocks translated to CUDA C)"
        } else {
            ""
        }
    );
    println!("| program | mode | instructions | seconds | instructions/s |");
    println!("| --- | --- | ---: | ---: | ---: |");
    for (name, words) in programs() {
        // Warm the decode memo and the kernel.
        let warm = machine(&mut engine, &words, if jit { 2_000_000 } else { 1000 });
        let mut out = Vec::new();
        loop {
            out.clear();
            engine.run(&[warm], 1 << 20, &mut out);
            if out[0].stop != StopReason::CycleLimit {
                break;
            }
        }
        engine.wait_for_translation().expect("translation");
        for mode in ["standard", "continuous", "mega", "async"] {
            let m = machine(&mut engine, &words, iterations);
            let mut out = Vec::new();
            let t = Instant::now();
            let mut instructions = 0;
            let mut start_latency = Duration::ZERO;
            let mut polls = (0u64, Duration::ZERO);
            match mode {
                "standard" | "mega" => {
                    engine.run(&[m], u64::MAX, &mut out);
                    instructions = out[0].instructions;
                }
                "continuous" => loop {
                    out.clear();
                    engine.run(&[m], batch, &mut out);
                    instructions += out[0].instructions;
                    if out[0].stop != StopReason::CycleLimit {
                        break;
                    }
                },
                _ => {
                    engine.start(&[m], u64::MAX).expect("start");
                    start_latency = t.elapsed();
                    while engine.is_running() {
                        let p0 = Instant::now();
                        std::hint::black_box(engine.progress());
                        polls.0 += 1;
                        polls.1 += p0.elapsed();
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    engine.wait(&mut out).expect("wait");
                    instructions = out[0].instructions;
                }
            }
            let secs = t.elapsed().as_secs_f64();
            println!(
                "| {name} | {mode} | {instructions} | {secs:.3} | {:.2} M |",
                instructions as f64 / secs / 1e6
            );
            if mode == "async" {
                println!(
                    "|   | async: start() returned in {:.1} µs; {} polls of progress(), {:.2} µs each |  |  |  |",
                    start_latency.as_secs_f64() * 1e6,
                    polls.0,
                    polls.1.as_secs_f64() * 1e6 / polls.0.max(1) as f64
                );
            }
        }
    }
    if jit {
        for (k, v) in engine.stats() {
            if k.starts_with("cuda jit") {
                println!("{k}: {v}");
            }
        }
    }
}
