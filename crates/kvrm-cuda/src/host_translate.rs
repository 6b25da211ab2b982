//! The block translator checked without a GPU: random programs (those of the
//! CPU-vs-CUDA test) run on the kernel compiled as host C++ with a block
//! translated at every instruction of every program, against the CPU
//! backend. Stops, instruction counts, registers and memory must be equal;
//! budgets are random so blocks stop at their budget check, and lanes stop
//! mid-block at faults, host fallbacks and stores into code pages, as in
//! the engine.

use kvrm_cpu::CpuEngine;
use kvrm_ir::{lift_block, opt};
use kvrm_isa::space::{PAGE_SHIFT, PAGE_SIZE};
use kvrm_isa::{CpuState, Engine, MachineId, SpaceId, StopReason};

use crate::engine::lane_stop_reason;
use crate::host_kernel::{build_library_from, copy_back, image, RunFn};
use crate::kernels::{blocks_source, dispatch_source, linked_interpreter_source};
use crate::layout::*;

#[allow(dead_code)]
#[path = "../tests/support/random_programs.rs"]
mod random_programs;

/// Programs in the test (each 0x100 bytes apart, so every block start is a
/// distinct pc) and the seed.
const PROGRAMS: usize = 64;
const SPACING: u64 = 0x100;
const SEED: u64 = 0x7472_616e;

#[test]
fn translated_blocks_match_the_interpreter_on_random_programs() {
    let programs = random_programs::generate(SEED, PROGRAMS);
    let mut cpu = CpuEngine::new();
    let mut dev = CpuEngine::new(); // host copies of the "device" lanes
    let mut ids: Vec<((SpaceId, MachineId), (SpaceId, MachineId))> = Vec::new();
    let mut blocks = Vec::new();
    for (i, p) in programs.iter().enumerate() {
        let at = random_programs::CODE + i as u64 * SPACING;
        let c = random_programs::install_at(&mut cpu, p, at);
        let d = random_programs::install_at(&mut dev, p, at);
        let space = dev.space(d.0);
        for k in 0..p.words.len() as u64 {
            let fetch = |a: u64| space.read_u32(a).ok();
            if let Some(mut b) = lift_block(at + 4 * k, 16, fetch) {
                opt::optimize(&mut b);
                if crate::translate::supported(&b) {
                    blocks.push(b);
                }
            }
        }
        ids.push((c, d));
    }
    // The modules the engine links on the GPU, here in one host library
    // (they meet through the same C names): the interpreter, the blocks in
    // two rounds, and the dispatcher over both.
    let half = blocks.len() / 2;
    let entries: Vec<(u64, u32)> = blocks.iter().map(|b| (b.start, b.guest_len)).collect();
    let linked = format!(
        "{}\n{}\n{}\n{}",
        linked_interpreter_source(),
        blocks_source(&blocks[..half], 0, 0),
        blocks_source(&blocks[half..], half, 1),
        dispatch_source(&entries)
    );
    let Some(lib) = build_library_from(&linked, "tb") else {
        return;
    };
    // SAFETY: built just now from our own source; `kvrm_run_host` has the C
    // signature of `RunFn` (host_kernel.rs).
    let library = unsafe { libloading::Library::new(&lib) }.expect("load the host kernel");
    let run: libloading::Symbol<RunFn> =
        unsafe { library.get(b"kvrm_run_host") }.expect("kvrm_run_host");

    // Code pages for the store check (open addressing, as the engine builds it).
    let code_pages: Vec<u64> = (random_programs::CODE >> PAGE_SHIFT
        ..=(random_programs::CODE + PROGRAMS as u64 * SPACING) >> PAGE_SHIFT)
        .collect();
    let mut page_set = vec![0u64; 64];
    for &p in &code_pages {
        let mut j = (page_hash(p) as usize) & 63;
        while page_set[j] != 0 {
            j = (j + 1) & 63;
        }
        page_set[j] = p + 1;
    }
    let enabled = vec![1u8; blocks.len()];
    let disabled = vec![0u8; blocks.len()];

    let mut failures = Vec::new();
    let (mut host_steps, mut code_writes) = (0, 0);
    for (i, &((cs, cm), (ds, dm))) in ids.iter().enumerate() {
        // A budget per program, from 1 to the full one.
        let budget = 1 + (i as u64 * 37) % random_programs::BUDGET;
        let mut cout = Vec::new();
        cpu.run(&[cm], budget, &mut cout);
        let want = cout[0];

        // The device lane: launch, step on the host where it asks, again.
        let (mut left, mut done, mut use_blocks) = (budget, 0u64, true);
        let got = loop {
            let mut pool = Vec::new();
            let mut lane = image(dev.space(ds), &mut pool);
            let used = (pool.len() / PAGE_SIZE as usize) as u32;
            pool.resize((used as usize + 8) * PAGE_SIZE as usize, 0);
            let devs = [SpaceDev {
                table: lane.table.as_mut_ptr() as u64,
                mask: lane.mask,
            }];
            let mut state = *dev.state(dm);
            let mut ctl = Control {
                frames_next: used,
                frames_cap: used + 8,
                events_next: 0,
                events_cap: 0,
                ..Control::default()
            };
            let mut decode_cache = vec![0u64; 1 << 16];
            let mut stop = LaneStop::default();
            let mut progress = 0u64;
            let zero = 0u32;
            let en = if use_blocks { &enabled } else { &disabled };
            // SAFETY: every pointer is to a live buffer for one lane (the
            // pool has room for 8 more frames; the table is `mask + 1`
            // entries; the page set 64); no events are written.
            unsafe {
                run(
                    &mut state,
                    &zero,
                    1,
                    &zero,
                    devs.as_ptr(),
                    pool.as_mut_ptr(),
                    &mut ctl,
                    std::ptr::null_mut(),
                    decode_cache.as_mut_ptr(),
                    &left,
                    &mut stop,
                    1,
                    &mut progress,
                    std::ptr::null_mut(),
                    en.as_ptr(),
                    page_set.as_ptr(),
                    63,
                    std::ptr::null_mut(),
                    std::ptr::null(),
                )
            };
            copy_back(&lane, &pool, dev.space_mut(ds));
            *dev.state_mut(dm) = state;
            done += stop.retired;
            left -= stop.retired.min(left);
            if let Some(reason) = lane_stop_reason(&stop, state.pc) {
                break reason;
            }
            match stop.kind {
                STOP_NEEDS_HOST => {
                    host_steps += 1;
                    let mut out = Vec::new();
                    dev.run(&[dm], 1, &mut out);
                    done += out[0].instructions;
                    left -= out[0].instructions.min(left);
                    if out[0].stop != StopReason::CycleLimit {
                        break out[0].stop;
                    }
                }
                STOP_CODE_WRITE => {
                    // The engine drops the page's blocks: go on without them.
                    code_writes += 1;
                    use_blocks = false;
                }
                k => panic!("program {i}: unexpected lane stop kind {k}"),
            }
            if left == 0 {
                break StopReason::CycleLimit;
            }
        };
        let mut diffs = Vec::new();
        if got != want.stop || done != want.instructions {
            diffs.push(format!(
                "stop: translated {got} after {done}, cpu {} after {}",
                want.stop, want.instructions
            ));
        }
        let (d, c): (&CpuState, &CpuState) = (dev.state(dm), cpu.state(cm));
        if d != c {
            diffs.push(format!(
                "state differs:\n    translated {d:?}\n    cpu        {c:?}"
            ));
        }
        let (dmem, cmem) = (
            random_programs::memory(dev.space(ds)),
            random_programs::memory(cpu.space(cs)),
        );
        if let Some(off) = dmem.iter().zip(&cmem).position(|(a, b)| a != b) {
            diffs.push(format!("memory differs first at {off:#x}"));
        }
        if !diffs.is_empty() {
            failures.push(format!(
                "program {i} (budget {budget}) [{}]:\n  {}",
                programs[i]
                    .words
                    .iter()
                    .map(|w| format!("{w:#010x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                diffs.join("\n  ")
            ));
        }
    }
    drop(library);
    if let Some(dir) = lib.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
    println!(
        "translated blocks: {} programs, {} blocks, {host_steps} host steps, {code_writes} code-page stores, {} differ",
        PROGRAMS,
        blocks.len(),
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} programs differ; first ones:\n{}",
        failures.len(),
        failures
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
