//! The device's integer paths checked without a GPU: random sequences of
//! data-processing (immediate and register), load/store and branch
//! instructions (every table entry of those classes, random fields,
//! reserved ones included) on registers that point into each program's own
//! data (random bytes) or hold edge values, run on the kernel compiled as host C++ against
//! the CPU backend (`host_fp::compare_with_cpu`). It covers the shared
//! paths of `uniform.cuh`, the class handlers for the words the uniform
//! forms leave to them, and the Undefined stop of reserved encodings.

use kvrm_isa::CpuState;
use kvrm_testkit::Rng;

use crate::host_fp::{compare_with_cpu, table_word, BRK, LEN};

const PROGRAMS: usize = 6000;
const SEED: u64 = 0x696e_7431;
/// Each program's data: `WINDOW` bytes from `DATA + i * WINDOW`.
const DATA: u64 = 0x10_0000;
const WINDOW: u64 = 0x4000;

/// Branches the programs use (the rest of branch_sys is system instructions).
const BRANCHES: &[&str] = &[
    "B", "BL", "B_cond", "CBZ", "CBNZ", "TBZ", "TBNZ", "BR", "BLR", "RET",
];

/// A random word of one of `class`'s entries (of `only`, when given) that
/// decodes as that entry, with branch offsets kept to a few words so that
/// branches land in or near the program.
fn instruction(rng: &mut Rng, class: &str, only: Option<&[&str]>) -> Option<u32> {
    table_word(rng, class, only, |rng, name, w| {
        let near = (rng.below(10) as i64 - 3) as u32; // -3 ..= 6 words
        match name {
            "B" | "BL" => (w & !0x03ff_ffff) | (near & 0x03ff_ffff),
            "B_cond" | "CBZ" | "CBNZ" => (w & !(0x7ffff << 5)) | ((near & 0x7ffff) << 5),
            "TBZ" | "TBNZ" => (w & !(0x3fff << 5)) | ((near & 0x3fff) << 5),
            _ => w,
        }
    })
}

fn draw(rng: &mut Rng) -> Option<u32> {
    match rng.below(8) {
        0 | 1 => instruction(rng, "dp_imm", None),
        2 | 3 => instruction(rng, "dp_reg", None),
        4..=6 => instruction(rng, "ldst", None),
        _ => instruction(rng, "branch_sys", Some(BRANCHES)),
    }
}

/// A register value for program `i`: mostly addresses in its data window
/// (aligned or not), else small, negative, edge or random values.
fn value(rng: &mut Rng, i: usize) -> u64 {
    let data = DATA + i as u64 * WINDOW;
    match rng.below(8) {
        0..=2 => data + (rng.below(WINDOW / 2) & !7),
        3 => data + rng.below(WINDOW / 2),
        4 => rng.below(64),
        5 => (rng.below(512) as i64 - 256) as u64,
        6 => [0, 1 << 63, u64::MAX, u32::MAX as u64, 1 << 31, 0x7fff_ffff][rng.below(6) as usize],
        _ => rng.next(),
    }
}

fn program(rng: &mut Rng, i: usize) -> (Vec<u32>, CpuState) {
    let mut words = Vec::with_capacity(LEN + 1);
    while words.len() < LEN {
        if let Some(w) = draw(rng) {
            words.push(w);
        }
    }
    words.push(BRK);
    let mut s = CpuState::new();
    for r in 0..31 {
        s.x[r] = value(rng, i);
    }
    s.sp = DATA + i as u64 * WINDOW + WINDOW / 2 + (rng.below(WINDOW / 4) & !15);
    s.nzcv = rng.below(16) << 28;
    (words, s)
}

#[test]
fn host_compiled_integer_paths_match_the_cpu_backend_on_random_programs() {
    let mut rng = Rng(SEED);
    let programs: Vec<_> = (0..PROGRAMS).map(|i| program(&mut rng, i)).collect();
    let size = DATA + (PROGRAMS as u64 + 2) * WINDOW;
    // One round of redrawing: reserved encodings stay in some programs, and
    // their Undefined stops are compared too.
    let Some(host_steps) =
        compare_with_cpu("random integer programs", &mut rng, programs, size, 1, draw)
    else {
        return;
    };
    assert_eq!(host_steps, 0, "integer instructions fell back to the host");
}
