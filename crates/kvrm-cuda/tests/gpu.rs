//! Tests that need a GPU. Without a driver or a device each prints why it
//! skipped and passes (CI has no GPU); scripts/gpu-check.sh runs them on one.

use kvrm_cpu::CpuEngine;
use kvrm_cuda::{CudaEngine, CudaError};
use kvrm_isa::{AddressSpace, CpuState, Engine, Machine, MachineStop, Perms, StopReason};
use kvrm_testkit::{case_files, check_case, load_cases, prepare_case, CASE_BUDGET};

#[allow(dead_code)]
#[path = "support/random_programs.rs"]
mod random_programs;

/// The engine, or `None` with the reason printed where there is no GPU (no
/// driver, no device). On a machine with one, any other error fails the test.
fn cuda() -> Option<CudaEngine> {
    match CudaEngine::new() {
        Ok(e) => {
            println!("device: {}", e.device_name());
            Some(e)
        }
        Err(e @ (CudaError::NoDriver(_) | CudaError::NoDevice(_))) => {
            println!("skipped: {e}");
            None
        }
        Err(e) => panic!("a GPU is there but the engine failed: {e}"),
    }
}

fn print_stats(e: &CudaEngine) {
    for (k, v) in e.stats() {
        println!("  {k}: {v}");
    }
}

/// A raw program on `Machine<CudaEngine>`: a counted loop with stores and
/// loads, then BRK (encodings from aarch64-linux-gnu-as).
#[test]
fn raw_program_runs_on_the_gpu() {
    let Some(engine) = cuda() else { return };
    let m = run_counted_loop(engine);
    print_stats(&m.engine);
}

/// Engines on streams of their own (a `--lanes` run's host threads) run
/// beside each other and beside one on the default stream, each with the
/// results of one alone.
#[test]
fn engines_on_own_streams_run_side_by_side() {
    let Some(first) = cuda() else { return };
    std::thread::scope(|s| {
        let mut first = Some(first);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let engine = first.take();
                s.spawn(move || {
                    let mut engine = engine.unwrap_or_else(|| {
                        CudaEngine::on_own_stream(0).expect("an engine on its own stream")
                    });
                    for _ in 0..20 {
                        engine = run_counted_loop(engine).engine;
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("thread");
        }
    });
}

/// [`raw_program_runs_on_the_gpu`]'s program on `engine`, checked.
fn run_counted_loop(engine: CudaEngine) -> Machine<CudaEngine> {
    let program: [u32; 9] = [
        0xd2800c89, // mov x9, #100
        0xd2800000, // mov x0, #0
        0xd2820002, // mov x2, #0x1000 (data)
        0x8b090000, // add x0, x0, x9
        0xf8008440, // str x0, [x2], #8
        0xf1000529, // subs x9, x9, #1
        0x54ffffa1, // b.ne -12
        0xf85f8041, // ldur x1, [x2, #-8]
        0xd4200020, // brk #1
    ];
    let bytes: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut m = Machine::new(engine, AddressSpace::flat(0x10000).expect("map"));
    m.load_program(&bytes, 0x8000).expect("load");
    m.set_pc(0x8000);
    let r = m.run(10_000);
    assert_eq!(
        r.stop,
        StopReason::Halted {
            pc: 0x8020,
            imm: 1,
            hlt: false
        }
    );
    assert_eq!(m.reg(0), 5050);
    assert_eq!(m.reg(1), 5050);
    assert_eq!(m.reg(2), 0x1000 + 800);
    let mut b = [0u8; 8];
    m.memory()
        .read_bytes(0x1000 + 99 * 8, &mut b)
        .expect("read");
    assert_eq!(u64::from_le_bytes(b), 5050);
    assert_eq!(r.instructions, 3 + 4 * 100 + 1);
    m
}

/// Every oracle fixture case (or those matching one of the comma-separated
/// names in `$KVRM_ORACLE_FILTER`) as
/// a lane, all lanes of a fixture file in one run.
#[test]
fn gpu_matches_oracle_fixtures() {
    let Some(mut engine) = cuda() else { return };
    let filter = std::env::var("KVRM_ORACLE_FILTER").unwrap_or_default();
    let mut failures = Vec::new();
    let mut total = 0;
    for file in case_files() {
        let stem = file
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let cases: Vec<_> = load_cases(&file)
            .into_iter()
            .filter(|c| {
                filter.is_empty()
                    || filter
                        .split(',')
                        .any(|f| stem.contains(f) || c.name.contains(f))
            })
            .collect();
        if cases.is_empty() {
            continue;
        }
        let prepared: Vec<_> = cases
            .iter()
            .map(|c| prepare_case(&mut engine, c).expect("prepare"))
            .collect();
        let ids: Vec<_> = prepared.iter().map(|p| p.machine).collect();
        let mut out: Vec<MachineStop> = Vec::new();
        engine.run(&ids, CASE_BUDGET, &mut out);
        let mut failed = 0;
        for (p, c) in prepared.iter().zip(&cases) {
            let stop = out
                .iter()
                .find(|s| s.machine == p.machine)
                .map(|s| s.stop)
                .expect("a stop per lane");
            if let Err(report) = check_case(&engine, p, c, &stop) {
                failed += 1;
                failures.push(format!("{stem}: {report}"));
            }
        }
        for p in &prepared {
            engine.remove_machine(p.machine);
            engine.remove_space(p.space);
        }
        total += cases.len();
        println!(
            "{stem}: {} of {} cases pass",
            cases.len() - failed,
            cases.len()
        );
    }
    println!(
        "{total} oracle cases run on the GPU, {} failed",
        failures.len()
    );
    print_stats(&engine);
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(25).map(|s| s.as_str()).collect();
        panic!(
            "{} of {total} cases differ from the oracle; first ones:\n{}",
            failures.len(),
            shown.join("\n")
        );
    }
}

/// Random integer programs from a fixed seed: the CPU backend and the CUDA
/// backend must agree on every register, flag, stop and byte of memory.
#[test]
fn gpu_matches_cpu_on_random_programs() {
    random_programs_match(0);
}

/// The same with lanes regrouped by pc every 61 instructions: many
/// relaunches, each with the lanes in another order.
#[test]
fn gpu_matches_cpu_on_random_programs_with_lanes_regrouped() {
    random_programs_match(61);
}

fn random_programs_match(regroup: u64) {
    let Some(mut gpu) = cuda() else { return };
    gpu.set_regroup(regroup);
    let mut cpu = CpuEngine::new();
    let programs = random_programs::generate(0x6b76_726d, 2000);
    let mut gpu_ids = Vec::new();
    let mut cpu_ids = Vec::new();
    for p in &programs {
        for (engine, ids) in [
            (&mut gpu as &mut dyn Engine, &mut gpu_ids),
            (&mut cpu as &mut dyn Engine, &mut cpu_ids),
        ] {
            let (space, machine) = random_programs::install(engine, p);
            ids.push((space, machine));
        }
    }
    let budget = random_programs::BUDGET;
    let mut gout = Vec::new();
    gpu.run(
        &gpu_ids.iter().map(|&(_, m)| m).collect::<Vec<_>>(),
        budget,
        &mut gout,
    );
    let mut cout = Vec::new();
    cpu.run(
        &cpu_ids.iter().map(|&(_, m)| m).collect::<Vec<_>>(),
        budget,
        &mut cout,
    );
    let mut failures = Vec::new();
    for (i, p) in programs.iter().enumerate() {
        let (gs, gm) = gpu_ids[i];
        let (cs, cm) = cpu_ids[i];
        let g = gout.iter().find(|s| s.machine == gm).expect("gpu stop");
        let c = cout.iter().find(|s| s.machine == cm).expect("cpu stop");
        let mut diffs = Vec::new();
        if g.stop != c.stop || g.instructions != c.instructions {
            diffs.push(format!(
                "stop: gpu {} after {}, cpu {} after {}",
                g.stop, g.instructions, c.stop, c.instructions
            ));
        }
        let (gst, cst): (&CpuState, &CpuState) = (gpu.state(gm), cpu.state(cm));
        if gst != cst {
            for r in 0..31 {
                if gst.x[r] != cst.x[r] {
                    diffs.push(format!("x{r}: gpu {:#x}, cpu {:#x}", gst.x[r], cst.x[r]));
                }
            }
            for (n, a, b) in [
                ("sp", gst.sp, cst.sp),
                ("pc", gst.pc, cst.pc),
                ("nzcv", gst.nzcv, cst.nzcv),
                ("fpsr", gst.fpsr, cst.fpsr),
                ("excl_addr", gst.excl_addr, cst.excl_addr),
                ("excl_size", gst.excl_size, cst.excl_size),
            ] {
                if a != b {
                    diffs.push(format!("{n}: gpu {a:#x}, cpu {b:#x}"));
                }
            }
            if gst.v != cst.v {
                diffs.push("v registers differ".into());
            }
        }
        let gmem = random_programs::memory(gpu.space(gs));
        let cmem = random_programs::memory(cpu.space(cs));
        if let Some(off) = gmem.iter().zip(&cmem).position(|(a, b)| a != b) {
            diffs.push(format!("memory differs first at {:#x}", off as u64));
        }
        if !diffs.is_empty() {
            failures.push(format!(
                "program {i} [{}]:\n  {}",
                p.words
                    .iter()
                    .map(|w| format!("{w:#010x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                diffs.join("\n  ")
            ));
        }
    }
    println!(
        "{} random programs, {} differ",
        programs.len(),
        failures.len()
    );
    print_stats(&gpu);
    let regrouped = stat(&gpu, "cuda launches with lanes regrouped by pc");
    assert_eq!(regrouped > 1, regroup > 0, "{regrouped} launches regrouped");
    assert!(
        failures.is_empty(),
        "first differences:\n{}",
        failures
            .iter()
            .take(10)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The asynchronous mode: `start` returns while the lanes run, `progress`
/// grows without synchronising, and `wait` gives what `run` gives (the same
/// loop run synchronously on another machine of the same engine).
#[test]
fn async_run_reports_progress_and_matches_a_synchronous_run() {
    let Some(mut engine) = cuda() else { return };
    // add x0, x0, #1 ; subs x1, x1, #1 ; b.ne -8 ; brk #0
    let words = [0x9100_0400u32, 0xf100_0421, 0x54ff_ffc1, 0xd420_0000];
    let code: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let mut space = AddressSpace::flat(0x10000).expect("map");
    space.write_bytes_force(0x1000, &code).expect("load");
    let sid = engine.add_space(space);
    let iterations = 3_000_000u64;
    let mut st = CpuState::new();
    st.pc = 0x1000;
    st.x[1] = iterations;
    let lanes: Vec<_> = (0..256).map(|_| engine.add_machine(sid, st)).collect();
    let sync_lane = engine.add_machine(sid, st);
    let budget = u64::MAX;

    let t = std::time::Instant::now();
    engine.start(&lanes, budget).expect("start");
    let started = t.elapsed();
    assert!(engine.has_started_run());
    let mut polls = 0u64;
    let mut seen = 0u64;
    let poll_start = std::time::Instant::now();
    while engine.is_running() {
        let p = engine.progress();
        assert!(
            p <= 256 * (3 * iterations + 1),
            "progress {p} past the total"
        );
        seen = seen.max(p);
        polls += 1;
    }
    let poll_time = poll_start.elapsed();
    let mut out = Vec::new();
    engine.wait(&mut out).expect("wait");
    println!(
        "start returned in {started:?}; {polls} polls, {:?} each; largest progress seen {seen}",
        poll_time / polls.max(1) as u32
    );
    assert!(seen > 0, "progress was visible while the launch ran");
    assert_eq!(out.len(), lanes.len());
    let mut sync_out = Vec::new();
    engine.run(&[sync_lane], budget, &mut sync_out);
    for s in &out {
        assert_eq!(s.stop, sync_out[0].stop);
        assert_eq!(s.instructions, sync_out[0].instructions);
        assert_eq!(engine.state(s.machine).x, engine.state(sync_lane).x);
    }
    // BRK stops the lane without retiring.
    assert_eq!(sync_out[0].instructions, 3 * iterations);
    assert!(engine.wait(&mut out).is_err(), "nothing left to wait for");
}

fn stat(e: &CudaEngine, name: &str) -> u64 {
    e.stats()
        .into_iter()
        .find(|(k, _)| *k == name)
        .map_or(0, |(_, v)| v)
}

/// Thousands of lanes first-touch the same pages at once: each page gets one
/// frame (racing lanes used to claim one each), and the frames of removed
/// spaces are reused, so the pool stays the size of one round.
#[test]
fn frames_are_claimed_once_per_page_and_reused_after_a_space_goes() {
    let Some(mut engine) = cuda() else { return };
    const LANES: u64 = 8192;
    const DATA: u64 = 0x10000;
    let program: [u32; 4] = [
        0xf8216840, // str x0, [x2, x1]
        0xf8616843, // ldr x3, [x2, x1]
        0xd4200020, // brk #1
        0xd503201f, // nop
    ];
    let code: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
    for round in 0..12u64 {
        let mut space = AddressSpace::flat(DATA + 8 * LANES).expect("map");
        space.write_bytes_force(0x1000, &code).expect("load");
        let sid = engine.add_space(space);
        let ids: Vec<_> = (0..LANES)
            .map(|i| {
                let mut s = CpuState::new();
                s.pc = 0x1000;
                s.x[0] = i * 3 + round;
                s.x[1] = 8 * i;
                s.x[2] = DATA;
                engine.add_machine(sid, s)
            })
            .collect();
        let mut out = Vec::new();
        engine.run(&ids, 100, &mut out);
        assert_eq!(out.len(), ids.len());
        for (i, (&m, s)) in ids.iter().zip(&out).enumerate() {
            assert!(matches!(s.stop, StopReason::Halted { .. }), "{:?}", s.stop);
            assert_eq!(engine.state(m).x[3], i as u64 * 3 + round);
        }
        let mut b = [0u8; 8];
        engine
            .space(sid)
            .read_bytes(DATA + 8 * (LANES - 1), &mut b)
            .expect("read");
        assert_eq!(u64::from_le_bytes(b), (LANES - 1) * 3 + round);
        for m in ids {
            engine.remove_machine(m);
        }
        engine.remove_space(sid);
    }
    print_stats(&engine);
    // One round touches 16 data pages and the code page.
    let in_use = stat(&engine, "cuda frames in use");
    assert!(in_use <= 2 * 17, "{in_use} frames in use after 12 rounds");
    assert!(stat(&engine, "cuda frames reused") >= 11 * 16);
    assert_eq!(stat(&engine, "cuda relaunches for frames"), 0);
}

/// Read-only pages with equal bytes share one device frame across spaces;
/// a page with other bytes gets its own, and a page made writable leaves
/// the shared frame (a store there is seen by no other space).
#[test]
fn read_only_pages_share_frames_by_content() {
    let Some(mut engine) = cuda() else { return };
    const SPACES: u64 = 32;
    let code: Vec<u8> = [
        0xf9400083u32, // 0x1000: ldr x3, [x4]
        0xd4200020,    //         brk #1
        0xf9000085,    // 0x1008: str x5, [x4]
        0xf9400083,    //         ldr x3, [x4]
        0xd4200020,    //         brk #1
    ]
    .iter()
    .flat_map(|w| w.to_le_bytes())
    .collect();
    let common = 0x5151_5151_5151_5151u64;
    let mut lanes = Vec::new();
    for k in 0..SPACES {
        let mut space = AddressSpace::flat(0x10000).expect("map");
        space.write_bytes_force(0x1000, &code).expect("code");
        let value = if k == 0 { 7 } else { common };
        space
            .write_bytes_force(0x2000, &value.to_le_bytes())
            .expect("rodata");
        space.protect(0x1000, 0x1000, Perms::RX).expect("rx");
        space.protect(0x2000, 0x1000, Perms::R).expect("r");
        let sid = engine.add_space(space);
        let mut s = CpuState::new();
        s.pc = 0x1000;
        s.x[4] = 0x2000;
        s.x[5] = 1000 + k;
        lanes.push((sid, engine.add_machine(sid, s)));
    }
    let ids: Vec<_> = lanes.iter().map(|&(_, m)| m).collect();
    let mut out = Vec::new();
    engine.run(&ids, 100, &mut out);
    for (k, &m) in ids.iter().enumerate() {
        let want = if k == 0 { 7 } else { common };
        assert_eq!(engine.state(m).x[3], want, "space {k}");
    }
    print_stats(&engine);
    assert!(stat(&engine, "cuda read-only pages sharing a frame") >= 2 * (SPACES - 2));
    // Space 1 makes its rodata writable and stores there; space 2 still
    // reads the shared bytes.
    let (s1, m1) = lanes[1];
    engine
        .space_mut(s1)
        .protect(0x2000, 0x1000, Perms::RW)
        .expect("rw");
    for &m in &ids[1..3] {
        let st = engine.state_mut(m);
        st.pc = if m == m1 { 0x1008 } else { 0x1000 };
    }
    out.clear();
    engine.run(&ids[1..3], 100, &mut out);
    assert_eq!(engine.state(m1).x[3], 1001);
    assert_eq!(engine.state(ids[2]).x[3], common);
    let mut b = [0u8; 8];
    engine.space(s1).read_bytes(0x2000, &mut b).expect("read");
    assert_eq!(u64::from_le_bytes(b), 1001);

    // Spaces forked from one (as `--lanes` starts its lanes) hold the same
    // host frames: they share device frames without their bytes being
    // compared. One fork rewrites its read-only page (made writable for
    // the host's write, read-only again): it gets a frame of its own, and
    // the others keep the template's bytes.
    let forked = 0x6262_6262_6262_6262u64;
    let mut template = AddressSpace::flat(0x10000).expect("map");
    template.write_bytes_force(0x1000, &code).expect("code");
    template
        .write_bytes_force(0x2000, &forked.to_le_bytes())
        .expect("rodata");
    template.protect(0x1000, 0x1000, Perms::RX).expect("rx");
    template.protect(0x2000, 0x1000, Perms::R).expect("r");
    let before = stat(&engine, "cuda read-only pages sharing a frame");
    let forks: Vec<_> = (0..8)
        .map(|_| {
            let sid = engine.add_space(template.fork());
            let mut s = CpuState::new();
            s.pc = 0x1000;
            s.x[4] = 0x2000;
            (sid, engine.add_machine(sid, s))
        })
        .collect();
    let fork_ids: Vec<_> = forks.iter().map(|&(_, m)| m).collect();
    out.clear();
    engine.run(&fork_ids, 100, &mut out);
    for &m in &fork_ids {
        assert_eq!(engine.state(m).x[3], forked);
    }
    // Code and rodata pages of all forks but the first one to go up.
    assert!(stat(&engine, "cuda read-only pages sharing a frame") >= before + 2 * 7);
    let (s0, _) = forks[0];
    let space = engine.space_mut(s0);
    space.protect(0x2000, 0x1000, Perms::RW).expect("rw");
    space
        .write_bytes(0x2000, &99u64.to_le_bytes())
        .expect("write");
    space.protect(0x2000, 0x1000, Perms::R).expect("r");
    for &m in &fork_ids {
        engine.state_mut(m).pc = 0x1000;
    }
    out.clear();
    engine.run(&fork_ids, 100, &mut out);
    assert_eq!(engine.state(fork_ids[0]).x[3], 99);
    for &m in &fork_ids[1..] {
        assert_eq!(engine.state(m).x[3], forked);
    }
    template.read_bytes(0x2000, &mut b).expect("read");
    assert_eq!(u64::from_le_bytes(b), forked);
}

/// The debugging program: 0x00 movz x0, #5; 0x04 movz x2, #0x8000;
/// 0x08 str x0, [x2]; 0x0c ldr x3, [x2]; 0x10 add x0, x0, #1;
/// 0x14 cmp x0, #8; 0x18 b.ne 0x08; 0x1c brk #0 (stores 5, 6, 7 at 0x8000).
const DEBUG_PROGRAM: [u32; 8] = [
    0xd280_00a0,
    0xd290_0002,
    0xf900_0040,
    0xf940_0043,
    0x9100_0400,
    0xf100_201f,
    0x54ff_ff81,
    0xd420_0000,
];

fn debug_machine<E: Engine>(engine: E) -> Machine<E> {
    let mut m = Machine::new(engine, AddressSpace::flat(0x10000).unwrap());
    let bytes: Vec<u8> = DEBUG_PROGRAM.iter().flat_map(|w| w.to_le_bytes()).collect();
    m.load_program(&bytes, 0).unwrap();
    m
}

/// Breakpoints and watchpoints stop a GPU lane where the CPU backend stops,
/// with the same state and memory, with and without translated blocks.
#[test]
fn gpu_breakpoints_and_watchpoints_match_the_cpu() {
    use kvrm_isa::{Access, WatchKind, Watchpoint};
    for jit in [false, true] {
        let Some(mut engine) = cuda() else { return };
        if jit {
            engine.set_translation(Some(1)).expect("translation");
        }
        let bps = [0x10u64];
        let watches = [
            Watchpoint {
                addr: 0x8004,
                len: 4,
                kind: WatchKind::Write,
            },
            Watchpoint {
                addr: 0x8000,
                len: 1,
                kind: WatchKind::Read,
            },
        ];
        assert!(engine.set_breakpoints(&bps));
        assert!(engine.set_watchpoints(&watches));
        let mut gpu = debug_machine(engine);
        let mut cpu = debug_machine(CpuEngine::new());
        cpu.engine.set_breakpoints(&bps);
        cpu.engine.set_watchpoints(&watches);
        // Per iteration (3): the store, the load, the add; then BRK.
        let mut expected = Vec::new();
        for _ in 0..3 {
            expected.push(StopReason::Watchpoint {
                pc: 8,
                addr: 0x8004,
                access: Access::Write,
            });
            expected.push(StopReason::Watchpoint {
                pc: 0xc,
                addr: 0x8000,
                access: Access::Read,
            });
            expected.push(StopReason::Breakpoint { pc: 0x10 });
        }
        for (k, want) in expected.iter().enumerate() {
            let c = cpu.run(1000);
            let g = gpu.run(1000);
            assert_eq!(c.stop, *want, "cpu, stop {k}");
            assert_eq!(g.stop, *want, "gpu (jit {jit}), stop {k}");
            assert_eq!(g.instructions, c.instructions, "stop {k}");
            assert_eq!(gpu.state(), cpu.state(), "stop {k}");
            assert_eq!(
                gpu.memory().read_u64(0x8000).unwrap(),
                cpu.memory().read_u64(0x8000).unwrap()
            );
        }
        let g = gpu.run(1000);
        assert!(
            matches!(g.stop, StopReason::Halted { pc: 0x1c, .. }),
            "{g:?}"
        );
        assert_eq!(gpu.reg(0), 8);
        // Removed: the program runs through.
        gpu.engine.set_breakpoints(&[]);
        gpu.engine.set_watchpoints(&[]);
        gpu.set_pc(0);
        let g = gpu.run(1000);
        assert!(matches!(g.stop, StopReason::Halted { pc: 0x1c, .. }));
        assert_eq!(g.instructions, 2 + 3 * 5);
        print_stats(&gpu.engine);
    }
}

/// The GPU trace ring holds what the CPU backend's tracer sees, across
/// launches (the oracle program of 1,000,000+ instructions is too long:
/// a loop of 5,000 iterations spans several 4096-instruction launches).
#[test]
fn gpu_trace_matches_the_cpu_tracer() {
    use kvrm_isa::{reg_writes, TraceEntry};
    use std::sync::{Arc, Mutex};
    let Some(mut engine) = cuda() else { return };
    let got: Arc<Mutex<Vec<TraceEntry>>> = Arc::default();
    let g2 = got.clone();
    engine.set_trace(Some(Box::new(move |_, e: &TraceEntry| {
        g2.lock().unwrap().push(e.clone());
    })));
    // x0 counts to 5000 (cmp x0, #5000 is not encodable: compare x0 with x4).
    let mut program = DEBUG_PROGRAM;
    program[5] = 0xeb04_001f; // cmp x0, x4
    let load = |m: &mut dyn FnMut(&[u8])| {
        let bytes: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
        m(&bytes)
    };
    let mut gpu = Machine::new(engine, AddressSpace::flat(0x10000).unwrap());
    load(&mut |b| gpu.load_program(b, 0).unwrap());
    gpu.set_reg(4, 5000);

    let seen: Arc<Mutex<Vec<(CpuState, u32)>>> = Arc::default();
    let s2 = seen.clone();
    let mut ce = CpuEngine::new();
    ce.set_tracer(Some(Box::new(move |st: &CpuState, w: u32| {
        s2.lock().unwrap().push((*st, w));
    })));
    let mut cpu = Machine::new(ce, AddressSpace::flat(0x10000).unwrap());
    load(&mut |b| cpu.load_program(b, 0).unwrap());
    cpu.set_reg(4, 5000);

    let c = cpu.run(1_000_000);
    let g = gpu.run(1_000_000);
    assert_eq!(g.stop, c.stop);
    let mut states = seen.lock().unwrap().clone();
    states.push((*cpu.state(), 0));
    let want: Vec<TraceEntry> = states
        .windows(2)
        .map(|p| TraceEntry {
            pc: p[0].0.pc,
            word: p[0].1,
            writes: reg_writes(&p[0].0, &p[1].0),
        })
        .collect();
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), want.len());
    if let Some(k) = got.iter().zip(&want).position(|(a, b)| a != b) {
        panic!("trace differs at {k}: gpu {:?}, cpu {:?}", got[k], want[k]);
    }
}
