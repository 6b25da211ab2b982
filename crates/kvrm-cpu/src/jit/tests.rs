//! JIT unit tests: compiled blocks against the interpreter on small programs.

use kvrm_isa::space::SharedBacking;
use kvrm_isa::StopReason;

use crate::{Cpu, ExecMode};

const BRK: u32 = 0xd420_0000;

fn cpu_with(words: &[u32], mode: ExecMode) -> Cpu {
    let mut cpu = Cpu::with_flat_memory(0x10000).expect("memory");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    cpu.load_program(&bytes, 0).expect("load");
    cpu.set_exec_mode(mode);
    cpu
}

/// Run `jit` and `interp` for `budget` instructions each; their stops,
/// counts, states and first 64 KiB of memory must be equal. The stop.
fn run_both_alike(jit: &mut Cpu, interp: &mut Cpu, budget: u64, what: &str) -> StopReason {
    let (a, b) = (jit.run(budget), interp.run(budget));
    assert_eq!((a.stop, a.instructions), (b.stop, b.instructions), "{what}");
    assert_eq!(jit.state, interp.state, "{what}");
    let (mut m1, mut m2) = (vec![0u8; 0x10000], vec![0u8; 0x10000]);
    jit.mem.read_bytes(0, &mut m1).expect("read");
    interp.mem.read_bytes(0, &mut m2).expect("read");
    assert!(m1 == m2, "{what}: memory differs");
    a.stop
}

/// Run the tight-loop microbenchmark of `iters` iterations at `threshold`
/// with `budget`, checking that it halts after exactly its instructions.
fn run_tight_loop(iters: u64, threshold: u32, budget: u64) -> Cpu {
    let bench = kvrm_isa::programs::Microbench::TightLoop;
    let mut cpu = Cpu::with_flat_memory(0x20_0000).expect("memory");
    cpu.load_program(&bench.program(iters), 0).expect("load");
    cpu.set_exec_mode(ExecMode::Jit { threshold });
    let r = cpu.run(budget);
    assert!(matches!(r.stop, StopReason::Halted { .. }), "{:?}", r.stop);
    assert_eq!(r.instructions, bench.instructions(iters));
    cpu
}

/// The modes single-block tests run in: Cranelift at once, and the
/// template tier alone where the host has it.
fn compiled_modes() -> Vec<ExecMode> {
    let mut modes = vec![ExecMode::Jit { threshold: 0 }];
    if cfg!(target_arch = "x86_64") {
        modes.push(ExecMode::TEMPLATES);
    }
    modes
}

#[test]
fn tight_loop_compiles_and_counts_exactly() {
    let iters = 1000u64;
    for threshold in [0, 3] {
        let cpu = run_tight_loop(iters, threshold, 10_000_000);
        assert_eq!(cpu.state.x[1], iters);
        assert_eq!(cpu.state.x[0], 0);
        let s = cpu.jit_stats().expect("jit");
        assert!(s.blocks_compiled >= 1, "{s:?}");
    }
}

#[test]
#[cfg(target_arch = "x86_64")]
fn template_code_runs_the_tight_loop_alone() {
    let iters = 1000u64;
    let cpu = run_tight_loop(iters, u32::MAX, 10_000_000);
    assert_eq!(cpu.state.x[1], iters);
    let s = cpu.jit_stats().expect("jit");
    assert!(s.templates_made >= 1, "{s:?}");
    assert_eq!(s.blocks_compiled, 0, "{s:?}");
    let total = kvrm_isa::programs::Microbench::TightLoop.instructions(iters);
    // All but the first run of the first block (templated on its first
    // run, which the dispatcher then runs as template code too).
    assert!(s.insns_template + s.insns_interpreted == total, "{s:?}");
    assert!(s.insns_template >= total - 10, "{s:?}");
}

/// Template code first (threshold 16 by default), Cranelift's from 40
/// runs: both tiers run, and the loop ends as the interpreter's does.
#[test]
#[cfg(target_arch = "x86_64")]
fn template_code_hands_hot_blocks_to_cranelift() {
    let words = [
        0xd280_0c89, // mov x9, #100
        0x9100_0421, // add x1, x1, #1
        0xf100_0529, // subs x9, x9, #1
        0x54ff_ffc1, // b.ne .-8
        BRK,
    ];
    let mut jit = cpu_with(&words, ExecMode::Jit { threshold: 40 });
    let mut interp = cpu_with(&words, ExecMode::Interp);
    run_both_alike(&mut jit, &mut interp, 1000, "template then cranelift");
    let s = jit.jit_stats().expect("jit");
    if std::env::var_os("KVRM_JIT_TEMPLATE").is_none() {
        assert!(s.templates_made >= 1 && s.insns_template > 0, "{s:?}");
    }
    assert!(s.blocks_compiled >= 1, "{s:?}");
    assert_eq!(jit.state.x[1], 100);
}

#[test]
fn an_unbounded_budget_runs_to_the_stop() {
    for threshold in [0, 1000] {
        run_tight_loop(100_000, threshold, u64::MAX);
    }
}

#[test]
fn budget_stops_are_exact_in_loops() {
    let words = [0x9100_0421, 0x17ff_ffff]; // add x1,x1,#1; b .-4
    for mode in compiled_modes() {
        let mut cpu = cpu_with(&words, mode);
        let r = cpu.run(1001);
        assert_eq!(r.stop, StopReason::CycleLimit);
        assert_eq!(r.instructions, 1001);
        assert_eq!(cpu.state.x[1], 501);
        assert_eq!(cpu.state.pc, 4);
        cpu.run(1);
        assert_eq!(cpu.state.x[1], 501);
        cpu.run(1);
        assert_eq!(cpu.state.x[1], 502);
    }
}

#[test]
fn load_fault_is_precise() {
    // mov x1, #5; ldr x2, [x3]; mov x1, #6; brk
    let words = [0xd280_00a1, 0xf940_0062, 0xd280_00c1, BRK];
    for mode in compiled_modes() {
        let mut cpu = cpu_with(&words, mode);
        cpu.state.x[3] = 0x10_0000; // unmapped
        let r = cpu.run(100);
        assert!(
            matches!(r.stop, StopReason::Fault { pc: 4, .. }),
            "{:?}",
            r.stop
        );
        assert_eq!(r.instructions, 1);
        assert_eq!(cpu.state.x[1], 5);
        assert_eq!(cpu.state.pc, 4);
    }
}

#[test]
fn fallback_runs_the_interpreter() {
    // mov x1, #5; adc x2, x1, x1 (fallback); svc #0
    let words = [0xd280_00a1, 0x9a01_0022, 0xd400_0001];
    for mode in compiled_modes() {
        let mut cpu = cpu_with(&words, mode);
        cpu.state.nzcv = kvrm_isa::state::NZCV_C;
        let r = cpu.run(100);
        assert_eq!(r.stop, StopReason::Syscall { imm: 0 });
        assert_eq!(r.instructions, 3);
        assert_eq!(cpu.state.x[2], 11);
        assert_eq!(cpu.state.pc, 12);
    }
}

/// A store into code that already ran, then a branch back: the compiled
/// block is dropped and the new instruction runs (as in the interpreter).
#[test]
fn stored_code_runs_after_a_branch() {
    for threshold in [0, 1, u32::MAX] {
        let mut cpu = cpu_with(
            &[
                0xd280_0049, // mov x9, #2
                0xd280_0020, // movz x0, #1, patched to movz x0, #7
                0xf100_0529, // subs x9, x9, #1
                0x5400_0060, // b.eq brk
                0xb900_0041, // str w1, [x2]
                0x17ff_fffc, // b 4
                BRK,
            ],
            ExecMode::Jit { threshold },
        );
        cpu.state.x[1] = 0xd280_00e0;
        cpu.state.x[2] = 4;
        let r = cpu.run(100);
        assert!(
            matches!(r.stop, StopReason::Halted { pc: 0x18, .. }),
            "{:?}",
            r.stop
        );
        assert_eq!(cpu.state.x[0], 7);
        assert_eq!(r.instructions, 9);
    }
}

/// Unmapping and re-mapping a code page drops its compiled blocks.
#[test]
fn remapped_code_is_compiled_anew() {
    for mode in compiled_modes() {
        let mut cpu = cpu_with(&[0xd280_0020, BRK], mode);
        cpu.run(10);
        assert_eq!(cpu.state.x[0], 1);
        cpu.mem.unmap(0, 0x1000).expect("unmap");
        cpu.mem.map(0, 0x1000, kvrm_isa::Perms::RWX).expect("map");
        cpu.load_program(&[0xa0, 0x00, 0x80, 0xd2, 0x00, 0x00, 0x20, 0xd4], 0)
            .expect("load");
        cpu.state.pc = 0;
        cpu.run(10);
        assert_eq!(cpu.state.x[0], 5, "movz x0, #5 ran");
        if mode == ExecMode::TEMPLATES {
            assert!(cpu.jit_stats().expect("jit").templates_made >= 2);
        } else {
            assert!(cpu.jit_stats().expect("jit").blocks_invalidated >= 1);
        }
    }
}

#[test]
#[ignore]
fn compile_cost_probe() {
    let words = [0xd280_00a1, 0x9100_0421, BRK];
    let t = std::time::Instant::now();
    for _ in 0..200 {
        let mut cpu = cpu_with(&words, ExecMode::Jit { threshold: 0 });
        cpu.run(100);
    }
    eprintln!("fresh cpu + compile: {:?} each", t.elapsed() / 200);
    let mut cpu = cpu_with(&words, ExecMode::Jit { threshold: 0 });
    let t = std::time::Instant::now();
    for i in 0..200u64 {
        cpu.flush_code_cache();
        cpu.state.pc = 0;
        let _ = i;
        cpu.run(100);
    }
    eprintln!(
        "compile only: {:?} each; {:?}",
        t.elapsed() / 200,
        cpu.jit_stats()
    );
}

/// The lifter's MRS masks are the interpreter's.
#[test]
fn lifted_mrs_masks_match_the_interpreter() {
    use crate::exec::branch_sys::sysreg;
    assert_eq!(kvrm_ir::lift::FPCR_WRITABLE, sysreg::FPCR_WRITABLE);
    assert_eq!(kvrm_ir::lift::FPSR_WRITABLE, sysreg::FPSR_WRITABLE);
}

/// SIMD&FP loads, FP arithmetic (an `Exec`), a conversion helper and FPSR
/// flags in a compiled loop give the interpreter's state.
#[test]
fn fp_loop_matches_the_interpreter() {
    let words = [
        0xfd40_0020, // ldr d0, [x1]
        0x1e62_2801, // fadd d1, d0, d2
        0x1e61_0822, // fmul d2, d1, d1
        0x9e78_0043, // fcvtzs x3, d2
        0xfd00_0422, // str d2, [x1, #8]
        0xf100_0400, // subs x0, x0, #1
        0x54ff_ff41, // b.ne 0
        BRK,
    ];
    let mut states = Vec::new();
    for mode in [ExecMode::Interp, ExecMode::Jit { threshold: 0 }] {
        let mut cpu = cpu_with(&words, mode);
        cpu.state.x[0] = 20;
        cpu.state.x[1] = 0x8000;
        cpu.mem.write_u64(0x8000, 0.1f64.to_bits()).expect("data");
        cpu.state.v[2] = [1.5f64.to_bits(), 0];
        let r = cpu.run(1000);
        assert!(matches!(r.stop, StopReason::Halted { .. }), "{:?}", r.stop);
        assert_eq!(r.instructions, 20 * 7, "BRK does not retire");
        if mode != ExecMode::Interp {
            let s = cpu.jit_stats().expect("jit");
            assert_eq!(s.fallbacks_run, 0, "{s:?}");
            assert!(s.blocks_compiled >= 1);
        }
        states.push((cpu.state, cpu.mem.read_u64(0x8008).expect("data")));
    }
    assert_ne!(states[0].0.fpsr, 0, "inexact raised");
    assert_eq!(states[0], states[1]);
}

/// Lazy flags (`helpers::nzcv_of`) give the interpreter's NZCV for 64-bit
/// operands and for 32-bit ones recorded shifted left by 32.
#[test]
fn lazy_flags_match_the_interpreter() {
    use super::helpers::{nzcv_of, FLAGS_ADD, FLAGS_LOGIC, FLAGS_PACKED, FLAGS_SUB};
    use crate::exec::add_with_carry;
    let edges = [0u64, 1, 2, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 1 << 32];
    let mut vals: Vec<u64> = edges
        .iter()
        .flat_map(|&e| [e, e.wrapping_neg(), e ^ (1 << 63), e | (1 << 63)])
        .collect();
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        vals.push(x);
    }
    for &a in &vals {
        for &b in &vals {
            for sf in [true, false] {
                let (sh, mask) = if sf { (0, u64::MAX) } else { (32, 0xffff_ffff) };
                let (a, b) = (a & mask, b & mask);
                let (_, add) = add_with_carry(a, b, false, sf);
                let (_, sub) = add_with_carry(a, !b & mask, true, sf);
                assert_eq!(
                    nzcv_of(FLAGS_ADD, a << sh, b << sh),
                    add,
                    "{a:#x} + {b:#x} {sf}"
                );
                assert_eq!(
                    nzcv_of(FLAGS_SUB, a << sh, b << sh),
                    sub,
                    "{a:#x} - {b:#x} {sf}"
                );
                let top = if sf { 63 } else { 31 };
                let logic = ((a >> top) & 1) << 31 | ((a == 0) as u64) << 30;
                assert_eq!(nzcv_of(FLAGS_LOGIC, a << sh, 0), logic, "{a:#x} {sf}");
            }
        }
        assert_eq!(nzcv_of(FLAGS_PACKED, a & 0xf000_0000, a), a & 0xf000_0000);
    }
}

/// A loop of several blocks (an if/else inside: one region, jumps between
/// its blocks) stopped by every budget from 1 to past its end: state,
/// flags and counts equal the interpreter's at each stop, and running on
/// from there finishes alike.
#[test]
fn region_loops_stop_exactly_at_every_budget() {
    let words = [
        0xd280_0149, // 0x00 mov x9, #10
        0xf100_093f, // 0x04 L: cmp x9, #2
        0x5400_0068, // 0x08 b.hi A
        0x9100_0421, // 0x0c add x1, x1, #1
        0x1400_0002, // 0x10 b J
        0x9100_0842, // 0x14 A: add x2, x2, #2
        0xf100_0529, // 0x18 J: subs x9, x9, #1
        0x54ff_ff41, // 0x1c b.ne L
        BRK,         // 0x20
    ];
    let total = {
        let mut cpu = cpu_with(&words, ExecMode::Interp);
        cpu.run(1000).instructions
    };
    for threshold in [0, 1, 3] {
        // Warm every block up first, so that the region holds them all.
        for budget in 1..=total + 1 {
            let mut jit = cpu_with(&words, ExecMode::Jit { threshold });
            let mut interp = cpu_with(&words, ExecMode::Interp);
            for _ in 0..2 {
                jit.run(total);
                jit.state = interp.state;
            }
            let (a, b) = (jit.run(budget), interp.run(budget));
            assert_eq!(a.stop, b.stop, "budget {budget}");
            assert_eq!(a.instructions, b.instructions, "budget {budget}");
            assert_eq!(jit.state, interp.state, "budget {budget}");
            let (a, b) = (jit.run(1000), interp.run(1000));
            assert_eq!((a.stop, a.instructions), (b.stop, b.instructions));
            assert_eq!(jit.state, interp.state, "after budget {budget}");
        }
        let mut jit = cpu_with(&words, ExecMode::Jit { threshold });
        for _ in 0..3 {
            jit.state = kvrm_isa::CpuState::new();
            jit.run(1000);
        }
        let s = jit.jit_stats().expect("jit");
        assert!(s.blocks_compiled >= 1, "{s:?}");
        assert_eq!((jit.state.x[1], jit.state.x[2]), (2, 16));
    }
}

/// Heap memory standing in for a `MAP_SHARED` mapping.
struct SharedHeap(Box<[std::cell::UnsafeCell<u8>]>);
// SAFETY: test memory, used by one thread at a time.
unsafe impl Sync for SharedHeap {}
// SAFETY: `0` holds one page for the object's lifetime.
unsafe impl SharedBacking for SharedHeap {
    fn base(&self) -> *mut u8 {
        self.0.as_ptr() as *mut u8
    }
    fn pages(&self) -> u64 {
        1
    }
    fn prepare_page(&self, _: u64) -> bool {
        true
    }
}

/// `cpu_with(words, mode)`, with a page of shared memory at 0x9000.
fn cpu_with_shared_page(words: &[u32], mode: ExecMode) -> (Cpu, std::sync::Arc<SharedHeap>) {
    let mut cpu = cpu_with(words, mode);
    let heap = std::sync::Arc::new(SharedHeap(
        (0..4096).map(|_| std::cell::UnsafeCell::new(0)).collect(),
    ));
    cpu.mem
        .attach_shared(0x9000, 0x1000, heap.clone(), 0)
        .expect("attach");
    (cpu, heap)
}

#[test]
fn compiled_accesses_reach_window_and_shared_pages_alike() {
    // loop: ldr x4,[x1]; add x4,x4,#1; str x4,[x1]; ldr x5,[x2];
    //       add x5,x5,x4; str x5,[x2]; subs x3,x3,#1; b.ne loop; brk
    let words = [
        0xf940_0024,
        0x9100_0484,
        0xf900_0024,
        0xf940_0045,
        0x8b04_00a5,
        0xf900_0045,
        0xf100_0463,
        0x54ff_ff21,
        BRK,
    ];
    let run = |mode: ExecMode| {
        let (mut cpu, heap) = cpu_with_shared_page(&words, mode);
        cpu.state.x[1] = 0x8008;
        cpu.state.x[2] = 0x9010;
        cpu.state.x[3] = 500;
        let r = cpu.run(100_000);
        // SAFETY: the run is over; in bounds.
        let shared = u64::from_le_bytes(std::array::from_fn(|i| unsafe {
            *heap.base().add(0x10 + i)
        }));
        (r, cpu.state.x, cpu.mem.read_u64(0x8008).unwrap(), shared)
    };
    let want = run(ExecMode::Interp);
    let got = run(ExecMode::Jit { threshold: 0 });
    assert_ne!(
        want.0.stop,
        StopReason::CycleLimit,
        "the loop ends at the brk"
    );
    assert_eq!(got.0.stop, want.0.stop);
    assert_eq!(got.0.instructions, want.0.instructions);
    assert_eq!(got.1, want.1);
    assert_eq!((got.2, got.3), (want.2, want.3));
    assert_eq!(want.2, 500, "x4 counted every iteration");
    assert_eq!(want.3, 500 * 501 / 2, "the shared page summed them");
}

#[test]
fn access_groups_straddling_pages_match_the_interpreter() {
    // loop: stp x1,x2,[x0,#-16]; stp x3,x4,[x0]; ldp x5,x6,[x0,#-16];
    //       ldp x7,x8,[x0]; add x1,x1,#1; subs x9,x9,#1; b.ne loop; brk
    let words = [
        0xa93f_0801,
        0xa900_1003,
        0xa97f_1805,
        0xa940_2007,
        0x9100_0421,
        0xf100_0529,
        0x54ff_ff41,
        BRK,
    ];
    // The pairs at x0 - 16 and x0 share one check, of both pages with x0
    // on a page boundary (in a window; else each access checks itself). At
    // 0x10000 the second page is unmapped, so the second store faults after
    // the first one wrote.
    for base in [0x9000u64, 0x10000] {
        let run = |mode: ExecMode| {
            let mut cpu = cpu_with(&words, mode);
            cpu.state.x[0] = base;
            cpu.state.x[1..5].copy_from_slice(&[11, 22, 33, 44]);
            cpu.state.x[9] = 300;
            let r = cpu.run(100_000);
            let below = [
                cpu.mem.read_u64(base - 16).unwrap(),
                cpu.mem.read_u64(base - 8).unwrap(),
            ];
            let slow = cpu.jit_stats().map(|s| s.memory_slow_paths);
            (
                (r.stop, r.instructions, cpu.state.x, cpu.state.pc, below),
                slow,
            )
        };
        let (want, _) = run(ExecMode::Interp);
        let (got, slow) = run(ExecMode::Jit { threshold: 0 });
        assert_eq!(got, want, "x0 = {base:#x}");
        if base == 0x9000 {
            // Both tiers: the first accesses fill the TLBs, the rest hit
            // (300 iterations of 4 accesses).
            let slow = slow.expect("jit");
            assert!(slow <= 8, "{slow} accesses took the slow path");
        }
        if base == 0x10000 {
            assert!(
                matches!(want.0, StopReason::Fault { pc: 4, .. }),
                "{want:?}"
            );
            assert_eq!(want.4, [11, 22], "the first pair was stored");
        } else {
            assert_eq!(want.2[7..9], [33, 44]);
            assert_eq!(want.4, [310, 22], "the last iteration's pair");
        }
    }
}

#[test]
fn accesses_straddling_pages_match_the_interpreter() {
    // loop: add x2,x2,#1; ldr x5,[x0]; add x5,x5,#1; str x5,[x1];
    //       subs x9,x9,#1; b.ne loop; brk
    // (The accesses are not the region's first instruction, where quick
    // code takes the slow path rather than leave.)
    let words = [
        0x9100_0442,
        0xf940_0005,
        0x9100_04a5,
        0xf900_0025,
        0xf100_0529,
        0x54ff_ff61,
        BRK,
    ];
    // Each access straddles two pages. At 0xfffc the load's second page
    // is past the end of memory: it faults before anything is written.
    for (load, store) in [(0x9ffcu64, 0xbffa_u64), (0xfffc, 0xbffa)] {
        // Then, once the loop's region has been upgraded, 1,000 more
        // iterations (slow paths counted in them).
        let run = |mode: ExecMode| {
            let mut cpu = cpu_with(&words, mode);
            cpu.state.x[0] = load;
            cpu.state.x[1] = store;
            cpu.state.x[9] = 1000;
            let r = cpu.run(100_000);
            let slow_before = cpu.jit_stats().map_or(0, |s| s.memory_slow_paths);
            let mut second = None;
            if matches!(r.stop, StopReason::Halted { .. }) {
                (cpu.state.pc, cpu.state.x[9]) = (0, 1000);
                let r = cpu.run(100_000);
                second = Some((r.stop, r.instructions));
            }
            let stored = cpu.mem.read_u64(store).unwrap();
            let slow = cpu.jit_stats().map(|s| s.memory_slow_paths - slow_before);
            let result = (r.stop, r.instructions, second, cpu.state.x, cpu.state.pc);
            ((result, stored), slow)
        };
        let (want, _) = run(ExecMode::Interp);
        let (got, slow) = run(ExecMode::Jit { threshold: 0 });
        assert_eq!(got, want, "load at {load:#x}");
        if load == 0x9ffc {
            assert_eq!(want.1, 1, "the loaded zero plus one");
            // Optimized code checks both pages of a straddling access and
            // goes through the window.
            let slow = slow.expect("jit");
            assert!(slow <= 8, "{slow} accesses took the slow path");
        } else {
            assert!(
                matches!(want.0 .0, StopReason::Fault { pc: 4, .. }),
                "{want:?}"
            );
        }
    }
}

#[test]
fn background_compilation_changes_no_result() {
    // add x1, x1, #1; subs x2, x2, #1; b.ne .-8; brk
    let words = [0x9100_0421, 0xf100_0442, 0x54ff_ffc1, BRK];
    let mut jit = cpu_with(&words, ExecMode::JIT);
    let mut interp = cpu_with(&words, ExecMode::Interp);
    jit.state.x[2] = 1 << 40;
    interp.state.x[2] = 1 << 40;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    // The compiled loop arrives from the compile thread while it runs.
    while jit.jit_stats().expect("jit").blocks_compiled < 1 {
        let (a, b) = (jit.run(100_000), interp.run(100_000));
        assert_eq!((a.stop, a.instructions), (b.stop, b.instructions));
        assert_eq!(jit.state, interp.state);
        assert!(
            std::time::Instant::now() < deadline,
            "no compiled code arrived: {:?}",
            jit.jit_stats()
        );
    }
    let (a, b) = (jit.run(1_000_001), interp.run(1_000_001));
    assert_eq!((a.stop, a.instructions), (b.stop, b.instructions));
    assert_eq!(jit.state, interp.state);
    assert!(jit.jit_stats().expect("jit").insns_compiled > 0);
}

/// A syscall's write between runs into a page whose frame a fork shares
/// copies the frame: compiled loads must read the new copy, not the host
/// address their TLB entry kept for the old one.
#[test]
fn compiled_loads_see_host_writes_that_copied_a_forked_frame() {
    let program = [
        0xf940_0044, // loop: ldr x4, [x2]
        0x8b04_0000, // add x0, x0, x4
        0xf100_0529, // subs x9, x9, #1
        0x54ff_ffa1, // b.ne loop
        BRK,
    ];
    // Without a window (whose pages never move), compiled accesses use the
    // TLB entries' host addresses of the frames themselves.
    let mut space = kvrm_isa::AddressSpace::flat(0x10000).expect("memory");
    space.refuse_window();
    let mut cpu = Cpu::new(space);
    let bytes: Vec<u8> = program.iter().flat_map(|w| w.to_le_bytes()).collect();
    cpu.load_program(&bytes, 0).expect("load");
    cpu.set_exec_mode(ExecMode::Jit { threshold: 0 });
    let data = 0x8000;
    let sum_of_loads = |cpu: &mut Cpu| {
        cpu.state.pc = 0;
        cpu.state.x[0] = 0;
        cpu.state.x[2] = data;
        cpu.state.x[9] = 1000;
        let r = cpu.run(100_000);
        assert!(matches!(r.stop, StopReason::Halted { .. }), "{:?}", r.stop);
        cpu.state.x[0]
    };
    cpu.mem
        .write_bytes(data, &5u64.to_le_bytes())
        .expect("write");
    assert_eq!(sum_of_loads(&mut cpu), 5000);
    let (child, _) = cpu.fork_space();
    // The loads' TLB entry now names the frame the two spaces share.
    assert_eq!(sum_of_loads(&mut cpu), 5000);
    // As the kernel writes, through the space (not the CPU's TLBs).
    kvrm_isa::AddressSpace::write_bytes(&mut cpu.mem, data, &7u64.to_le_bytes()).expect("write");
    assert_eq!(
        sum_of_loads(&mut cpu),
        7000,
        "a load read the child's frame"
    );
    assert_eq!(child.read::<8>(data).map(u64::from_le_bytes), Ok(5));
    assert!(cpu.jit_stats().expect("jit").insns_compiled > 0);
}

#[test]
fn code_written_on_one_page_leaves_regions_of_others_current() {
    // A program that keeps writing code (a JIT in the guest) must not make
    // the compile thread's work on other pages stale.
    let mut j = super::Jit::new(1000);
    let (page_a, page_b) = (0x40_0000u64, 0x40_1000u64);
    let lifted = j.invalidations;
    j.invalidate_page(page_b >> 12);
    assert!(j.current(lifted, page_a + 0x80), "another page was written");
    assert!(
        !j.current(lifted, page_b + 0x80),
        "its own page was written"
    );
    let relifted = j.invalidations;
    assert!(j.current(relifted, page_b + 0x80), "lifted after the write");
    j.invalidate_page(page_b >> 12);
    assert!(!j.current(relifted, page_b + 0x80), "written again since");
    let before_all = j.invalidations;
    j.invalidate_all();
    assert!(!j.current(before_all, page_a), "everything was dropped");
    assert!(j.current(j.invalidations, page_a));
}

/// loop: bl f; add x1,x1,#1; subs x9,x9,#1; b.ne loop; brk
/// f:    `body` (on x2 and x1); ret
fn call_loop(body: u32) -> [u32; 7] {
    [
        0x9400_0005,
        0x9100_0421,
        0xf100_0529,
        0x54ff_ffa1,
        BRK,
        body,
        0xd65f_03c0,
    ]
}

#[test]
fn returns_into_the_region_match_the_interpreter() {
    // The call's return block joins the region, and the callee's RET jumps
    // to it inside the region; every budget stops at the same place.
    let words = call_loop(0x8b01_0042); // add x2,x2,x1
    let run = |mode: ExecMode, budget: u64| {
        let mut cpu = cpu_with(&words, mode);
        cpu.state.x[9] = 50;
        let mut stops = Vec::new();
        loop {
            let r = cpu.run(budget);
            stops.push((r.instructions, cpu.state.pc));
            if r.stop != StopReason::CycleLimit {
                return (r.stop, stops, cpu.state.x);
            }
        }
    };
    for budget in [1, 2, 3, 5, 7, 1_000] {
        let want = run(ExecMode::Interp, budget);
        assert_eq!(
            want.2[2],
            (0..50).sum::<u64>(),
            "x2 sums x1 before each add"
        );
        for threshold in [0, 2] {
            let got = run(ExecMode::Jit { threshold }, budget);
            assert_eq!(got, want, "budget {budget}, threshold {threshold}");
        }
    }
}

#[test]
fn regions_recompiled_optimized_match_the_interpreter() {
    // Enough iterations for the quick region's count to pass the upgrade
    // count of every threshold tried: small budgets bring the dispatcher
    // back often enough to replace it in the middle of the loop, and every
    // stop matches the interpreter.
    let words = call_loop(0xca01_0042); // eor x2,x2,x1
    let iters = 3 * super::UPGRADE_PER_THRESHOLD * 1000;
    let run = |mode: ExecMode, budget: u64| {
        let mut cpu = cpu_with(&words, mode);
        cpu.state.x[9] = iters;
        let mut stops = 0u64;
        let mut at = 0u64;
        loop {
            let r = cpu.run(budget);
            stops += 1;
            // A digest of every stop's place.
            at = at
                .wrapping_mul(31)
                .wrapping_add(cpu.state.pc ^ r.instructions);
            if r.stop != StopReason::CycleLimit {
                let upgraded = cpu.jit_stats().map_or(0, |s| s.blocks_upgraded);
                return ((r.stop, stops, at, cpu.state.x), upgraded);
            }
        }
    };
    for budget in [5, 13, 1_000, u64::MAX] {
        let (want, _) = run(ExecMode::Interp, budget);
        assert_eq!(want.3[1], iters);
        for threshold in [0, 2, 1000] {
            let (got, upgraded) = run(ExecMode::Jit { threshold }, budget);
            assert_eq!(got, want, "budget {budget}, threshold {threshold}");
            // (At 1000 both compilations happen in the background: when
            // they arrive depends on the host.)
            if budget < 100 && threshold < 1000 {
                assert!(upgraded >= 1, "budget {budget}: no region upgraded");
            }
        }
    }
}

/// A forked process starts with its parent's compiled code, and a write to
/// that code in either process changes what that process runs only.
#[test]
fn forked_processes_inherit_compiled_code_and_keep_their_own_writes() {
    const ADD: u32 = 0x8b01_0000; // add x0, x0, x1
    const SUB: u32 = 0xcb01_0000; // sub x0, x0, x1
    let program = [
        ADD,
        0xf100_0529, // subs x9, x9, #1
        0x54ff_ffc1, // b.ne 0
        0xb900_0043, // str w3, [x2]
        BRK,
    ];
    // (parent x0, child x0 after the loop ran again in each) and the child's
    // JIT counts, per mode.
    let scenario = |mode: ExecMode| {
        let mut parent = cpu_with(&program, mode);
        parent.state.x[1] = 3;
        parent.state.x[9] = 50;
        parent.state.x[2] = 0x1000; // the store writes data first
        let r = parent.run(1000);
        assert!(
            matches!(r.stop, StopReason::Halted { pc: 0x10, .. }),
            "{:?}",
            r.stop
        );
        let (space, jit) = parent.fork_space();
        let mut child = Cpu::new(space);
        child.set_exec_mode(mode);
        if let Some(j) = jit {
            child.adopt_jit(j);
        }
        child.state = parent.state;
        // The child loops again on the inherited code, then patches its
        // own loop to subtract and loops once more.
        child.state.pc = 0;
        child.state.x[9] = 20;
        child.state.x[2] = 0;
        child.state.x[3] = u64::from(SUB);
        let r = child.run(1000);
        assert!(
            matches!(r.stop, StopReason::Halted { pc: 0x10, .. }),
            "{:?}",
            r.stop
        );
        let counts = child
            .jit_stats()
            .map(|s| (s.blocks_compiled, s.insns_compiled));
        child.state.pc = 0;
        child.state.x[9] = 10;
        child.run(1000);
        // The parent still adds.
        parent.state.pc = 0;
        parent.state.x[9] = 10;
        parent.run(1000);
        (parent.state.x[0], child.state.x[0], counts)
    };
    let (p, c, _) = scenario(ExecMode::Interp);
    assert_eq!(
        (p, c),
        (3 * 60, 3 * 60),
        "add 50 and 10 times / add 70, sub 10"
    );
    for threshold in [0, 2] {
        let (jp, jc, counts) = scenario(ExecMode::Jit { threshold });
        assert_eq!((jp, jc), (p, c), "threshold {threshold}");
        let (compiled, run) = counts.expect("jit");
        assert_eq!(compiled, 0, "the child compiled nothing before its write");
        assert!(run >= 40, "the child ran its parent's code: {run}");
    }
}

/// A compiled DC ZVA loop (four zero stores per instruction) gives the
/// interpreter's memory, state, counts and stops: at every budget, with a
/// fault in its middle (a read-only page), and zeroing its own code.
#[test]
fn compiled_dc_zva_matches_the_interpreter() {
    // loop: dc zva, x5; add x5, x5, #64; subs x2, x2, #1; b.ne loop; brk
    let words = [0xd50b_7425, 0x9101_00a5, 0xf100_0442, 0x54ff_ffa1, BRK];
    let block = kvrm_ir::lift_block(0, 64, |a| words.get(a as usize / 4).copied()).expect("lifted");
    assert_eq!(block.fallbacks(), 0, "{block}");
    assert_eq!(block.guest_len, 4, "{block}");
    // (x5, x2, read-only page): aligned and unaligned starts, a run into a
    // read-only page, one over the code itself.
    let cases = [
        (0x8000u64, 90u64, None),
        (0x8000 + 13, 100, None),
        (0x8000 + 63, 80, Some(0x9000u64)),
        (0x20, 3, None),
    ];
    for (x5, x2, ro) in cases {
        for threshold in [0, 2] {
            for budget in [u64::MAX, 37, 1000] {
                let mut cpus = [
                    cpu_with(&words, ExecMode::Jit { threshold }),
                    cpu_with(&words, ExecMode::Interp),
                ];
                for cpu in cpus.iter_mut() {
                    cpu.mem.write_bytes(0x7000, &[0xaa; 0x4000]).expect("fill");
                    if let Some(page) = ro {
                        cpu.mem
                            .protect(page, 0x1000, kvrm_isa::Perms::R)
                            .expect("protect");
                    }
                    cpu.state.x[5] = x5;
                    cpu.state.x[2] = x2;
                }
                for _ in 0..100 {
                    let [jit, interp] = &mut cpus;
                    let what = format!("x5 {x5:#x} x2 {x2} threshold {threshold} budget {budget}");
                    let stop = run_both_alike(jit, interp, budget, &what);
                    if stop != StopReason::CycleLimit {
                        break;
                    }
                }
            }
        }
    }
}

/// Spaces share code compiled from the same instruction words, and only
/// from them: a second space running the same program reuses the first
/// one's regions; a third, whose loop adds another immediate at the same
/// pcs, compiles its own and gets its own sum. Each matches the interpreter.
#[test]
fn compiled_code_is_shared_only_between_the_same_words() {
    // movz x1,#0; movz x3,#1000; loop: add x1,x1,#step; subs x3,x3,#1;
    // b.ne loop; brk
    let program = |step: u32| {
        vec![
            0xd280_0001,
            0xd280_0000 | (1000 << 5) | 3,
            0x9100_0021 | (step << 10),
            0xf100_0463,
            0x54ff_ffc1,
            BRK,
        ]
    };
    let run = |step: u32, mode: ExecMode| {
        let mut cpu = cpu_with(&program(step), mode);
        let r = cpu.run(1_000_000);
        assert!(matches!(r.stop, StopReason::Halted { .. }), "{:?}", r.stop);
        (cpu, r.instructions)
    };
    let jit = ExecMode::Jit { threshold: 2 };
    // Immediates no other test runs at these pcs.
    for (first, other) in [(0x5a1, 0x5a3), (0x6b1, 0x6b2)] {
        let (a, count) = run(first, jit);
        let (b, count_b) = run(first, jit);
        let (c, count_c) = run(other, jit);
        for (cpu, n, step) in [
            (&a, count, first),
            (&b, count_b, first),
            (&c, count_c, other),
        ] {
            let (want, want_n) = run(step, ExecMode::Interp);
            assert_eq!(cpu.state.x, want.state.x, "step {step:#x}");
            assert_eq!(n, want_n);
            assert_eq!(cpu.state.x[1], 1000 * u64::from(step));
        }
        let reused = |cpu: &Cpu| cpu.jit_stats().expect("jit").regions_reused;
        assert!(reused(&b) >= 1, "{:?}", b.jit_stats());
        assert!(c.jit_stats().expect("jit").blocks_compiled > reused(&c));
    }
}

#[test]
fn code_written_through_another_mapping_of_shared_memory_runs_anew() {
    // A JIT that maps its code memory twice (Erlang's BEAM through a memfd):
    // each iteration writes `movz w0, #x3` through the view at 0x9000 and
    // calls the same memory at 0xa000, which must run the new instruction.
    // loop: lsl x4,x3,#5; movz w5,#0x5280,lsl #16; orr w4,w4,w5; str w4,[x1];
    //       blr x2; add x6,x6,x0; subs x3,x3,#1; b.ne loop; brk
    let words = [
        0xd37b_e864,
        0x52aa_5005,
        0x2a05_0084,
        0xb900_0024,
        0xd63f_0040,
        0x8b00_00c6,
        0xf100_0463,
        0x54ff_ff21,
        BRK,
    ];
    for mode in [ExecMode::Interp, ExecMode::Jit { threshold: 0 }] {
        let mut cpu = cpu_with(&words, mode);
        let heap = std::sync::Arc::new(SharedHeap(
            (0..4096).map(|_| std::cell::UnsafeCell::new(0)).collect(),
        ));
        for view in [0x9000, 0xa000] {
            cpu.mem
                .attach_shared(view, 0x1000, heap.clone(), 0)
                .expect("attach");
        }
        // movz w0, #0; ret
        cpu.mem.write_u32(0x9000, 0x5280_0000).unwrap();
        cpu.mem.write_u32(0x9004, 0xd65f_03c0).unwrap();
        cpu.state.x[1] = 0x9000;
        cpu.state.x[2] = 0xa000;
        cpu.state.x[3] = 50;
        let r = cpu.run(100_000);
        assert!(matches!(r.stop, StopReason::Halted { .. }), "{:?}", r.stop);
        assert_eq!(
            cpu.state.x[6],
            50 * 51 / 2,
            "{mode:?}: every call ran its new code"
        );
    }
}

/// A loop whose store (at 0x2008) goes to data on every iteration but the
/// last, which writes into the loop's own code (the `add x0` after it,
/// 0x200c, becomes `add x0, x0, #100`): the block leaves right after the
/// storing instruction, whose other effects (a second store, a writeback)
/// happen first, and the new instruction runs, in quick and in optimized
/// code (the loop runs long enough to be upgraded), with the stops, counts,
/// state and memory of the JIT's dispatcher interpreting every block (a
/// threshold never reached), which also picks modified code up right after
/// the write. (`ExecMode::Interp` runs on with the old words to the next
/// branch: without a context synchronisation event both are allowed.)
#[test]
fn stores_into_the_running_block_match_the_interpreter() {
    const SUBS: u32 = 0xf100_0529; // subs x9, x9, #1
    const CSEL: u32 = 0x9a8b_1142; // csel x2, x10, x11, ne
    const ADD1: u32 = 0x9100_0400; // add x0, x0, #1
    const ADD100: u32 = 0x9101_9000; // add x0, x0, #100
    const BNE: u32 = 0x54ff_ff81; // b.ne 0x2000
    let pair = |lo: u32, hi: u32| u64::from(lo) | u64::from(hi) << 32;
    // (store, x11: its address on the last iteration, x1, x4, q0, q1)
    let str_w = 0xb900_0041; // str w1, [x2]
    let str_post = 0xb800_4441; // str w1, [x2], #4
    let str_pre = 0xb81f_cc41; // str w1, [x2, #-4]!
    let stp_x = 0xa900_1041; // stp x1, x4, [x2] (one 16-byte store)
    let stp_q = 0xad00_0440; // stp q0, q1, [x2] (two 16-byte stores)
    let stp_q_post = 0xac81_0440; // stp q0, q1, [x2], #32
    let q_code = |store: u32| [pair(SUBS, CSEL), pair(store, ADD100)];
    type Case = (u32, u64, u64, u64, [u64; 2], [u64; 2]);
    let cases: Vec<Case> = vec![
        (str_w, 0x200c, u64::from(ADD100), 0, [0; 2], [0; 2]),
        (str_post, 0x200c, u64::from(ADD100), 0, [0; 2], [0; 2]),
        (str_pre, 0x2010, u64::from(ADD100), 0, [0; 2], [0; 2]),
        (
            stp_x,
            0x2008,
            pair(stp_x, ADD100),
            pair(BNE, BRK),
            [0; 2],
            [0; 2],
        ),
        // The second store writes the code, the first a page without code.
        (stp_q, 0x1ff0, 0, 0, [7, 9], q_code(stp_q)),
        (stp_q_post, 0x1ff0, 0, 0, [7, 9], q_code(stp_q_post)),
        // The first store writes the code, the second more of its page.
        (
            stp_q,
            0x2008,
            0,
            0,
            [pair(stp_q, ADD100), pair(BNE, BRK)],
            [3, 5],
        ),
        // The first store writes the code's page, the second another page.
        (stp_q, 0x2ff0, 0, 0, [1, 2], [3, 4]),
    ];
    // (Regions are shared between the CPUs of the process: later runs of a
    // case take the optimized code an earlier one compiled.)
    let mut upgraded = 0;
    for (store, x11, x1, x4, q0, q1) in cases {
        let mut words = vec![0u32; 0x2000 / 4];
        words.extend([SUBS, CSEL, store, ADD1, BNE, BRK]);
        let machine = |mode: ExecMode| {
            let mut cpu = cpu_with(&words, mode);
            cpu.state.pc = 0x2000;
            cpu.state.x[9] = 2000;
            cpu.state.x[10] = 0x8000;
            cpu.state.x[11] = x11;
            cpu.state.x[1] = x1;
            cpu.state.x[4] = x4;
            cpu.state.v[0] = q0;
            cpu.state.v[1] = q1;
            cpu
        };
        for threshold in [0, 2] {
            for budget in [u64::MAX, 1, 3, 7, 37, 1000] {
                let what =
                    format!("store {store:#x} x11 {x11:#x} threshold {threshold} budget {budget}");
                let (mut jit, mut interp) = (
                    machine(ExecMode::Jit { threshold }),
                    machine(ExecMode::Jit {
                        threshold: u32::MAX,
                    }),
                );
                loop {
                    let stop = run_both_alike(&mut jit, &mut interp, budget, &what);
                    if stop != StopReason::CycleLimit {
                        assert!(
                            matches!(stop, StopReason::Halted { .. }),
                            "{what}: {stop:?}"
                        );
                        break;
                    }
                }
                if x11 != 0x2ff0 {
                    assert_eq!(jit.state.x[0], 1999 + 100, "{what}: the new add ran");
                }
                upgraded += jit.jit_stats().expect("jit").blocks_upgraded;
            }
        }
    }
    assert!(upgraded >= 1, "no region was upgraded");
}

/// A block reached only by falling through a conditional branch that is
/// not taken is counted like a branch target, so it joins the region of its
/// hot predecessor: the loop below compiles as one region, where it used to
/// need two (the second after its own wait for the threshold).
#[test]
fn fall_through_blocks_join_their_predecessors_region() {
    let words = [
        0xd280_7d00, // movz x0, #1000
        0xd100_0400, // loop: sub x0, x0, #1
        0xb500_0041, // cbnz x1, skip (x1 is 0: never taken)
        0x9100_0442, // add x2, x2, #1
        0xb5ff_ffa0, // skip: cbnz x0, loop
        BRK,
    ];
    let mut jit = cpu_with(&words, ExecMode::Jit { threshold: 10 });
    let mut interp = cpu_with(&words, ExecMode::Interp);
    run_both_alike(&mut jit, &mut interp, 1_000_000, "fall-through loop");
    assert_eq!(
        (jit.state.x[0], jit.state.x[2]),
        (0, 1000),
        "ran to the end"
    );
    let s = jit.jit_stats().expect("jit");
    assert_eq!(s.blocks_compiled, 1, "{s:?}");
}

/// Run `cpu` for about 3,000 instructions in slices of a small budget,
/// which bring the dispatcher back to install optimized code: the stop
/// (`CycleLimit` if none) and the instructions retired.
fn run_in_slices(cpu: &mut Cpu) -> (StopReason, u64) {
    let mut retired = 0;
    let mut stop = StopReason::CycleLimit;
    while retired < 3_000 && stop == StopReason::CycleLimit {
        let r = cpu.run(7);
        (retired, stop) = (retired + r.instructions, r.stop);
    }
    (stop, retired)
}

/// Run `words` from 0 with x0 = `start`, x1..x4 = 11, 22, 33, 44 and
/// x9 = 10,000 (in slices at first, see [`run_in_slices`], then at once)
/// under the JIT and the interpreter: the same stop, count, registers and
/// memory. The interpreter's stop.
fn walk_alike(words: &[u32], start: u64, what: &str) -> StopReason {
    let run = |mode: ExecMode| {
        let mut cpu = cpu_with(words, mode);
        cpu.state.x[0] = start;
        cpu.state.x[1..5].copy_from_slice(&[11, 22, 33, 44]);
        cpu.state.x[9] = 10_000;
        let (mut stop, mut retired) = run_in_slices(&mut cpu);
        if stop == StopReason::CycleLimit {
            let r = cpu.run(1_000_000);
            (retired, stop) = (retired + r.instructions, r.stop);
        }
        let mut mem = vec![0u8; 0x10000];
        cpu.mem.read_bytes(0, &mut mem).expect("read");
        let upgraded = cpu.jit_stats().map_or(0, |s| s.blocks_upgraded);
        ((stop, retired, cpu.state.x, cpu.state.pc), mem, upgraded)
    };
    let (want, want_mem, _) = run(ExecMode::Interp);
    let (got, got_mem, upgraded) = run(ExecMode::Jit { threshold: 0 });
    assert_eq!(got, want, "{what}");
    assert!(got_mem == want_mem, "{what}: memory differs");
    assert!(upgraded >= 1, "{what}: the loop never ran optimized");
    want.0
}

#[test]
fn group_checks_that_leave_match_the_interpreter() {
    // loop: [add x5,x5,#1;] stp x1,x2,[x0,#-16]; stp x3,x4,[x0];
    //       add x0,x0,#16; subs x9,x9,#1; b.ne loop; brk
    // The two stores are one group, which optimized code checks once per
    // iteration. They walk up through memory: into pages not yet in the
    // TLB (filled by the group's slow path), across page boundaries (both
    // pages checked; from 0x4008 the pairs straddle them), and at 0x10000
    // past the end of memory, where the group leaves and the interpreter
    // faults at the second store, after the first one wrote. With and
    // without an instruction before the group (at a region's first
    // instruction, code that leaves has made no progress and the
    // dispatcher interprets).
    for prefix in [false, true] {
        let mut words = Vec::new();
        if prefix {
            words.push(0x9100_04a5);
        }
        let back = if prefix { 0x54ff_ff61 } else { 0x54ff_ff81 };
        words.extend([
            0xa93f_0801,
            0xa900_1003,
            0x9100_4000,
            0xf100_0529,
            back,
            BRK,
        ]);
        let second = if prefix { 8 } else { 4 };
        for start in [0x2010u64, 0x4008] {
            let what = format!("prefix {prefix}, x0 from {start:#x}");
            let stop = walk_alike(&words, start, &what);
            assert!(
                matches!(stop, StopReason::Fault { pc, .. } if pc == second),
                "{what}: {stop:?}"
            );
        }
    }
    // loop: stp x1,x2,[x0,#-16]; stp x3,x4,[x0]; add x0,x0,#16;
    //       bl 0x9ffc; subs x9,x9,#1; b.ne loop; brk
    // 0x9ffc: ret
    // The group's page holds code when the stores reach 0x9000: the group
    // leaves, the interpreter stores into the code, and the call runs the
    // word stored over the `ret`.
    let mut words = vec![
        0xa93f_0801,
        0xa900_1003,
        0x9100_4000,
        0x9400_27fc,
        0xf100_0529,
        0x54ff_ff61,
        BRK,
    ];
    words.resize(0x27ff, 0);
    words.push(0xd65f_03c0);
    let stop = walk_alike(&words, 0x2010, "a store into code");
    assert!(
        matches!(stop, StopReason::Undefined { pc: 0x9ffc, .. }),
        "{stop:?}"
    );
}

#[test]
fn access_groups_in_shared_pages_match_the_interpreter() {
    // loop: ldp x4,x5,[x2]; add x4,x4,#1; add x5,x5,x4; stp x4,x5,[x2];
    //       ldp x6,x7,[x2,#16]; add x6,x6,#1; stp x6,x7,[x2,#16];
    //       subs x3,x3,#1; b.ne loop; brk
    // The loads are one group and the stores another, in a page of shared
    // memory (outside the window: optimized code takes the page's own
    // entry and stays in the loop), or straddling the window's last page
    // and the shared one (the groups leave; the interpreter makes them).
    let words = [
        0xa940_1444,
        0x9100_0484,
        0x8b04_00a5,
        0xa900_1444,
        0xa941_1c46,
        0x9100_04c6,
        0xa901_1c46,
        0xf100_0463,
        0x54ff_ff01,
        BRK,
    ];
    const ITERS: u64 = 5_000;
    for at in [0x9000u64, 0x8ff0] {
        let run = |mode: ExecMode| {
            let (mut cpu, _heap) = cpu_with_shared_page(&words, mode);
            cpu.state.x[2] = at;
            cpu.state.x[3] = ITERS;
            let (mut stop, mut retired) = run_in_slices(&mut cpu);
            let interpreted = cpu.jit_stats().map_or(0, |s| s.blocks_interpreted);
            if stop == StopReason::CycleLimit {
                let r = cpu.run(1_000_000);
                (retired, stop) = (retired + r.instructions, r.stop);
            }
            let stats = cpu.jit_stats();
            let later = stats.as_ref().map_or(0, |s| s.blocks_interpreted) - interpreted;
            let upgraded = stats.map_or(0, |s| s.blocks_upgraded);
            let mut mem = [0u8; 0x40];
            cpu.mem.read_bytes(at, &mut mem).expect("read");
            ((stop, retired, cpu.state.x, mem), later, upgraded)
        };
        let (want, _, _) = run(ExecMode::Interp);
        assert!(matches!(want.0, StopReason::Halted { .. }), "{want:?}");
        assert_eq!(want.2[4], ITERS, "x4 counted every iteration");
        let (got, later, upgraded) = run(ExecMode::Jit { threshold: 0 });
        assert_eq!(got, want, "groups at {at:#x}");
        assert!(upgraded >= 1, "at {at:#x}: the loop never ran optimized");
        if at == 0x9000 {
            assert!(later < 10, "{later} blocks interpreted in the shared page");
        }
    }
}
