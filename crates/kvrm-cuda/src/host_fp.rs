//! The device's floating point checked without a GPU: random sequences of
//! `fp` and `simd_fp` instructions (every table entry of the two classes,
//! random operand fields) on registers full of NaNs (quiet and signalling),
//! infinities, zeros, denormals and values near the rounding and
//! conversion limits, under random FPCR (RMode, FZ, FZ16, DN, AHP), run on
//! the kernel compiled as host C++ against the CPU backend. The whole state
//! (registers, FPSR, NZCV), the stop and the instruction count must agree,
//! and no lane may need the host. `compare_with_cpu` is the harness, also
//! used for integer programs (`host_int.rs`).

use kvrm_cpu::CpuEngine;
use kvrm_isa::space::PAGE_SIZE;
use kvrm_isa::table::CLASSES;
use kvrm_isa::{decode_a64, AddressSpace, CpuState, Engine, MachineId, StopReason};

use crate::engine::lane_stop_reason;
use crate::host_kernel::{build_library, image, RunFn};
use crate::layout::*;

const PROGRAMS: usize = 12000;
pub(crate) const LEN: usize = 12;
const SPACING: u64 = 64; // LEN + 1 words fit
const CODE: u64 = 0x1000;
const BUDGET: u64 = 100;
const SEED: u64 = 0x6670_7531;
pub(crate) const BRK: u32 = 0xd420_0000;

use kvrm_testkit::Rng;

/// A value of the format with `e` exponent and `f` fraction bits, drawn
/// mostly from the special and boundary cases.
fn special(rng: &mut Rng, e: u32, f: u32) -> u64 {
    let emax = (1u64 << e) - 1;
    let bias = emax >> 1;
    let frac_mask = (1u64 << f) - 1;
    let sign = rng.below(2) << (e + f);
    let frac = rng.next() & frac_mask;
    let quiet = 1u64 << (f - 1);
    let (exp, frac) = match rng.below(12) {
        0 => (0, 0),
        1 => (emax, 0),
        2 => (emax, frac | quiet),
        3 => (emax, (frac & !quiet) | 1),
        4 => (0, frac | 1),
        5 => (0, frac >> rng.below(f as u64)),
        6 => (bias - 2 + rng.below(5), frac),
        // Near the integer conversion limits (2^15 .. 2^66).
        7 => ((bias + 14 + rng.below(52)).min(emax - 1), frac),
        8 => (emax - 1 - rng.below(2), frac),
        9 => (1 + rng.below(2), frac),
        // Few fraction bits: exact results, ties.
        10 => (
            bias + rng.below(8),
            frac & !(frac_mask >> (1 + rng.below(8))),
        ),
        _ => return rng.next() & ((1u64 << (1 + e + f)) - 1),
    };
    sign | (exp << f) | frac
}

/// A 128-bit register of lanes of one random format.
fn vector(rng: &mut Rng) -> [u64; 2] {
    let (e, f, n) = match rng.below(5) {
        0 | 1 => (8, 23, 32),
        2 | 3 => (11, 52, 64),
        _ => (5, 10, 16),
    };
    let mut v = [0u64; 2];
    for half in v.iter_mut() {
        for i in 0..64 / n {
            *half |= special(rng, e, f) << (i * n);
        }
    }
    v
}

/// One random instruction of `class`, or `None` if the draw must be redone.
fn instruction(rng: &mut Rng, class: &str) -> Option<u32> {
    table_word(rng, class, None, |_, _, w| w)
}

/// A random word of one of `class`'s table entries (of `only`, when given):
/// the entry's fixed bits, random others, then `adjust(rng, entry name,
/// word)`; `None` unless the result decodes as that entry.
pub(crate) fn table_word(
    rng: &mut Rng,
    class: &str,
    only: Option<&[&str]>,
    adjust: impl FnOnce(&mut Rng, &str, u32) -> u32,
) -> Option<u32> {
    let entries: Vec<_> = CLASSES
        .iter()
        .find(|(c, _)| *c == class)?
        .1
        .iter()
        .filter(|e| only.is_none_or(|names| names.contains(&e.name)))
        .collect();
    let e = entries[rng.below(entries.len() as u64) as usize];
    let fields = rng.next() as u32 & !e.mask;
    let w = adjust(rng, e.name, e.value | fields);
    (decode_a64(w) == kvrm_isa::table().id_of(e.name)).then_some(w)
}

fn program(rng: &mut Rng) -> (Vec<u32>, CpuState) {
    let mut words = Vec::with_capacity(LEN + 1);
    while words.len() < LEN {
        let class = if rng.below(2) == 0 { "fp" } else { "simd_fp" };
        if let Some(w) = instruction(rng, class) {
            words.push(w);
        }
    }
    words.push(BRK);
    let mut s = CpuState::new();
    for r in 0..31 {
        s.x[r] = match rng.below(5) {
            0 => rng.below(64),
            1 => (rng.below(2048) as i64 - 1024) as u64,
            2 => special(rng, 11, 52),
            3 => special(rng, 8, 23),
            _ => rng.next(),
        };
    }
    for v in 0..32 {
        s.v[v] = vector(rng);
    }
    s.nzcv = rng.below(16) << 28;
    let mut fpcr = rng.below(4) << 22; // RMode
    for (bit, odds) in [(24, 2), (25, 3), (19, 3), (26, 5)] {
        // FZ, DN, FZ16, AHP
        if rng.below(odds) == 0 {
            fpcr |= 1 << bit;
        }
    }
    s.fpcr = fpcr;
    s.fpsr = if rng.below(4) == 0 { 0x9f } else { 0 };
    (words, s)
}

/// A space holding every program, `SPACING` bytes apart from `CODE`, of at
/// least `min_size` bytes: the bytes after the code are data, the same
/// pseudo-random bytes in every space built for `programs`.
fn space(programs: &[(Vec<u32>, CpuState)], min_size: u64) -> AddressSpace {
    let code_end = CODE + programs.len() as u64 * SPACING;
    let size = code_end.max(min_size).next_multiple_of(PAGE_SIZE);
    let mut space = AddressSpace::flat(size).expect("map");
    if size > code_end {
        let mut rng = Rng(0x6461_7461);
        let data: Vec<u8> = (code_end..size).map(|_| rng.next() as u8).collect();
        space.write_bytes_force(code_end, &data).expect("data");
    }
    for (i, (words, _)) in programs.iter().enumerate() {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        space
            .write_bytes_force(CODE + i as u64 * SPACING, &bytes)
            .expect("code");
    }
    space
}

fn machines(e: &mut CpuEngine, programs: &[(Vec<u32>, CpuState)], min_size: u64) -> Vec<MachineId> {
    let sid = e.add_space(space(programs, min_size));
    programs
        .iter()
        .enumerate()
        .map(|(i, (_, s))| {
            let mut s = *s;
            s.pc = CODE + i as u64 * SPACING;
            e.add_machine(sid, s)
        })
        .collect()
}

#[test]
fn host_compiled_fp_matches_the_cpu_backend_on_random_programs() {
    let mut rng = Rng(SEED);
    let programs: Vec<_> = (0..PROGRAMS).map(|_| program(&mut rng)).collect();
    let draw = |rng: &mut Rng| {
        let class = if rng.below(2) == 0 { "fp" } else { "simd_fp" };
        instruction(rng, class)
    };
    let Some(host_steps) = compare_with_cpu("random FP programs", &mut rng, programs, 0, 8, draw)
    else {
        return;
    };
    assert_eq!(host_steps, 0, "FP instructions fell back to the host");
}

/// Runs `programs` (each `LEN` words and a BRK, in a space of at least
/// `min_size` bytes) on the kernel compiled as host C++ and on the CPU
/// backend, and fails with the first differences: whole state, stop,
/// instruction count. Instructions the CPU finds undefined are first
/// redrawn with `draw` in `redraws` rounds, so that most programs run to
/// their end. Returns the instructions the host had to run for lanes, or
/// `None` (printed) without a C++ compiler.
pub(crate) fn compare_with_cpu(
    what: &str,
    rng: &mut Rng,
    mut programs: Vec<(Vec<u32>, CpuState)>,
    min_size: u64,
    redraws: usize,
    mut draw: impl FnMut(&mut Rng) -> Option<u32>,
) -> Option<u64> {
    let lib = build_library()?;
    // SAFETY: built just now from our own source; `kvrm_run_host` has the C
    // signature of `RunFn` (host_kernel.rs).
    let library = unsafe { libloading::Library::new(&lib) }.expect("load the host kernel");
    let run: libloading::Symbol<RunFn> =
        unsafe { library.get(b"kvrm_run_host") }.expect("kvrm_run_host");

    let count = programs.len();
    // Redraw the instructions the CPU finds undefined (reserved types and
    // sizes) in the programs' own code, so that most programs run to their end.
    for _ in 0..redraws {
        let mut e = CpuEngine::new();
        let ms = machines(&mut e, &programs, min_size);
        let mut out = Vec::new();
        e.run(&ms, BUDGET, &mut out);
        for (i, o) in out.iter().enumerate() {
            if let StopReason::Undefined { pc, .. } = o.stop {
                let k = pc.wrapping_sub(CODE + i as u64 * SPACING) / 4;
                if let (true, Some(w)) = (k < LEN as u64, draw(rng)) {
                    programs[i].0[k as usize] = w;
                }
            }
        }
    }
    let mut cpu = CpuEngine::new();
    let cms = machines(&mut cpu, &programs, min_size);
    let mut want = Vec::new();
    cpu.run(&cms, BUDGET, &mut want);

    // The device lanes share one space image as the CPU's machines share one
    // space: both run the programs in order, one after another, so stores
    // land alike (lanes the host steps would run later: callers check that
    // none did where their programs store).
    let mut dev = CpuEngine::new(); // steps lanes that need the host
    let dms = machines(&mut dev, &programs, min_size);
    let mut pool: Vec<u8> = Vec::new();
    let mut lane_space = image(dev.space(kvrm_isa::SpaceId(0)), &mut pool);
    let used = (pool.len() / PAGE_SIZE as usize) as u32;
    pool.resize((used as usize + 8) * PAGE_SIZE as usize, 0);
    let devs = [SpaceDev {
        table: lane_space.table.as_mut_ptr() as u64,
        mask: lane_space.mask,
    }];

    let mut states: Vec<CpuState> = dms.iter().map(|&m| *dev.state(m)).collect();
    let mut done = vec![0u64; count];
    let mut got: Vec<Option<StopReason>> = vec![None; count];
    let mut pending: Vec<u32> = (0..count as u32).collect();
    let mut host_steps = 0;
    let mut decode_cache = vec![0u64; 1 << 16];
    while !pending.is_empty() {
        let n = pending.len();
        let budgets: Vec<u64> = pending.iter().map(|&m| BUDGET - done[m as usize]).collect();
        let spaces = vec![0u32; n];
        let mut stops = vec![LaneStop::default(); n];
        let mut ctl = Control {
            frames_next: used,
            frames_cap: used + 8,
            events_next: 0,
            events_cap: 0,
            ..Control::default()
        };
        let mut progress = 0u64;
        // SAFETY: every pointer is to a live buffer sized for `n` lanes over
        // `count` machines (one space: table of `mask + 1` entries, pool
        // with room for 8 more frames); no events are written.
        unsafe {
            run(
                states.as_mut_ptr(),
                pending.as_ptr(),
                n as u32,
                spaces.as_ptr(),
                devs.as_ptr(),
                pool.as_mut_ptr(),
                &mut ctl,
                std::ptr::null_mut(),
                decode_cache.as_mut_ptr(),
                budgets.as_ptr(),
                stops.as_mut_ptr(),
                1,
                &mut progress,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
                0,
                std::ptr::null_mut(),
                std::ptr::null(),
            )
        };
        let mut next = Vec::new();
        for (&m, stop) in pending.iter().zip(&stops) {
            let i = m as usize;
            done[i] += stop.retired;
            if let Some(reason) = lane_stop_reason(stop, states[i].pc) {
                got[i] = Some(reason);
                continue;
            }
            assert_eq!(stop.kind, STOP_NEEDS_HOST, "program {i}: lane stop kind");
            // The host runs that one instruction, as the engine does.
            host_steps += 1;
            *dev.state_mut(dms[i]) = states[i];
            let mut out = Vec::new();
            dev.run(&[dms[i]], 1, &mut out);
            states[i] = *dev.state(dms[i]);
            done[i] += out[0].instructions;
            if out[0].stop != StopReason::CycleLimit || done[i] >= BUDGET {
                got[i] = Some(out[0].stop);
            } else {
                next.push(m);
            }
        }
        pending = next;
    }
    drop(library);
    if let Some(dir) = lib.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }

    let mut failures = Vec::new();
    let mut executed = 0;
    for i in 0..count {
        executed += want[i].instructions;
        let mut diffs = Vec::new();
        if got[i] != Some(want[i].stop) || done[i] != want[i].instructions {
            diffs.push(format!(
                "stop: device {:?} after {}, cpu {} after {}",
                got[i], done[i], want[i].stop, want[i].instructions
            ));
        }
        let (d, c) = (&states[i], cpu.state(cms[i]));
        if d != c {
            let mut what = Vec::new();
            if d.fpsr != c.fpsr {
                what.push(format!("fpsr {:#x} vs {:#x}", d.fpsr, c.fpsr));
            }
            if d.nzcv != c.nzcv {
                what.push(format!("nzcv {:#x} vs {:#x}", d.nzcv, c.nzcv));
            }
            for r in 0..32 {
                if d.v[r] != c.v[r] {
                    what.push(format!("v{r} {:x?} vs {:x?}", d.v[r], c.v[r]));
                }
            }
            for r in 0..31 {
                if d.x[r] != c.x[r] {
                    what.push(format!("x{r} {:#x} vs {:#x}", d.x[r], c.x[r]));
                }
            }
            if what.is_empty() {
                what.push("other state".into());
            }
            diffs.push(format!("state (device vs cpu): {}", what.join(", ")));
        }
        if !diffs.is_empty() {
            failures.push(format!(
                "program {i} (fpcr {:#x}) [{}]:\n  {}",
                programs[i].1.fpcr,
                programs[i]
                    .0
                    .iter()
                    .map(|w| format!("{w:#010x}"))
                    .collect::<Vec<_>>()
                    .join(" "),
                diffs.join("\n  ")
            ));
        }
    }
    println!(
        "{what}: {count} programs, {executed} instructions, {host_steps} host steps, {} differ",
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
    Some(host_steps)
}
