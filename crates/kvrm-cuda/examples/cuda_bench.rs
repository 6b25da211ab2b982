//! The ancestor's two microbenchmarks on the CUDA backend, for 1 to many
//! lanes (machines) in one launch: a tight loop (`add; subs; b.ne`) and the
//! same loop with a `str` to a per-lane address. Lanes share one address
//! space (as threads do), each with its own registers and store slot.
//!
//! Usage: cuda_bench [--jit] [LANES...]   (default 1 1024 16896 135168)
//! Instructions per lane: 2e9 / lanes within 30,000..3,000,000, or
//! `KVRM_BENCH_PER_LANE`.

use std::time::Instant;

use kvrm_cuda::CudaEngine;
use kvrm_isa::{AddressSpace, CpuState, Engine, StopReason};

const CODE: u64 = 0x1000;
const DATA: u64 = 0x10_0000;

/// (name, program): x1 = iterations, x2 = this lane's store address.
fn programs() -> [(&'static str, Vec<u32>); 2] {
    [
        (
            "tight loop",
            vec![
                0x9100_0400, // add x0, x0, #1
                0xf100_0421, // subs x1, x1, #1
                0x54ff_ffc1, // b.ne -8
                0xd420_0000, // brk #0
            ],
        ),
        (
            "loop with str",
            vec![
                0x9100_0400, // add x0, x0, #1
                0xf900_0040, // str x0, [x2]
                0xf100_0421, // subs x1, x1, #1
                0x54ff_ffa1, // b.ne -12
                0xd420_0000, // brk #0
            ],
        ),
    ]
}

fn main() {
    let lanes: Vec<u32> = {
        let args: Vec<u32> = std::env::args()
            .skip(1)
            .filter_map(|a| a.parse().ok())
            .collect();
        if args.is_empty() {
            vec![1, 1024, 16896, 135168]
        } else {
            args
        }
    };
    let mut engine = match CudaEngine::new() {
        Ok(e) => e,
        Err(e) => {
            println!("skipped: {e}");
            return;
        }
    };
    // `--jit`: hot blocks translated to CUDA C (picked during the warm-up).
    let jit = std::env::args().any(|a| a == "--jit");
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
    let mut wrong = 0;
    println!("| program | lanes | instructions/lane | seconds | aggregate IPS | per-lane IPS |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, words) in programs() {
        let body = (words.len() - 1) as u64;
        for &n in &lanes {
            let per_lane: u64 = std::env::var("KVRM_BENCH_PER_LANE")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or((2_000_000_000 / n as u64).clamp(30_000, 3_000_000));
            let iterations = per_lane / body;
            let mut space = AddressSpace::flat(DATA + 8 * n as u64 + 0x1000).expect("map");
            let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
            space.write_bytes_force(CODE, &code).expect("load");
            let sid = engine.add_space(space);
            let ids: Vec<_> = (0..n)
                .map(|i| {
                    let mut s = CpuState::new();
                    s.pc = CODE;
                    s.x[1] = iterations;
                    s.x[2] = DATA + 8 * i as u64;
                    engine.add_machine(sid, s)
                })
                .collect();
            // Warm-up launch (kernel load, first touch of the pages; with
            // --jit long enough for the loop to be translated).
            let mut out = Vec::new();
            engine.run(&ids[..1], 10, &mut out);
            if jit {
                let mut s = CpuState::new();
                s.pc = CODE;
                s.x[1] = u64::MAX;
                s.x[2] = DATA;
                let warm = engine.add_machine(sid, s);
                for _ in 0..3 {
                    engine.run(&[warm], 1 << 20, &mut out);
                }
                engine.wait_for_translation().expect("translation");
                engine.remove_machine(warm);
            }
            for &m in &ids[..1] {
                let s = engine.state_mut(m);
                s.pc = CODE;
                s.x[0] = 0;
                s.x[1] = iterations;
            }
            out.clear();
            let t = Instant::now();
            engine.run(&ids, u64::MAX, &mut out);
            let secs = t.elapsed().as_secs_f64();
            let total: u64 = out.iter().map(|s| s.instructions).sum();
            let ok = out
                .iter()
                .all(|s| matches!(s.stop, StopReason::Halted { .. }))
                && ids.iter().all(|&m| engine.state(m).x[0] == iterations);
            println!(
                "| {name} | {n} | {} | {secs:.3} | {:.3e} | {:.3e} |{}",
                total / n as u64,
                total as f64 / secs,
                total as f64 / secs / n as f64,
                if ok { "" } else { " WRONG RESULT" }
            );
            wrong += !ok as u32;
            for m in ids {
                engine.remove_machine(m);
            }
            engine.remove_space(sid);
        }
    }
    for (k, v) in engine.stats() {
        println!("  {k}: {v}");
    }
    if wrong > 0 {
        eprintln!("cuda_bench: {wrong} runs gave a wrong result");
        std::process::exit(1);
    }
}
