//! Random programs for the CPU-vs-CUDA differential test: table entries of
//! every class (whatever the kernels lack exercises the host fallback) with
//! random operand bits, branch offsets kept short and memory bases pointing
//! into a data area, a read-only page and unmapped space.

use kvrm_isa::table::CLASSES;
use kvrm_isa::{decode_a64, AddressSpace, CpuState, Engine, MachineId, Perms, SpaceId};

pub const MEM: u64 = 0x2_0000;
pub const CODE: u64 = 0x1000;
pub const DATA: u64 = 0x8000;
pub const RO_PAGE: u64 = 0x1_8000;
pub const BUDGET: u64 = 400;
const LEN: usize = 24;
const BRK: u32 = 0xd420_0000;

pub struct Program {
    pub words: Vec<u32>,
    pub state: CpuState,
}

use kvrm_testkit::Rng;

fn set_field(w: u32, lo: u32, len: u32, v: u32) -> u32 {
    let m = ((1u32 << len) - 1) << lo;
    (w & !m) | ((v << lo) & m)
}

/// One random instruction from `class`, or `None` if the draw must be redone.
fn instruction(rng: &mut Rng, class: &str) -> Option<u32> {
    let entries = CLASSES.iter().find(|(c, _)| *c == class)?.1;
    let e = entries[rng.below(entries.len() as u64) as usize];
    if e.name == "MRS" {
        return None; // counters read host time
    }
    let mut w = e.value | (rng.next() as u32 & !e.mask);
    match e.name {
        "B" | "BL" => w = set_field(w, 0, 26, (rng.below(9) as i32 - 4) as u32),
        "B_cond" | "BC_cond" | "CBZ" | "CBNZ" => {
            w = set_field(w, 5, 19, (rng.below(9) as i32 - 4) as u32)
        }
        "TBZ" | "TBNZ" => w = set_field(w, 5, 14, (rng.below(9) as i32 - 4) as u32),
        _ => {}
    }
    if class == "ldst" || class == "atomics" || class == "simd_ldst" {
        // Bases: x0-x9 (data), x10-x11 (read-only page) or sp.
        let rn = match rng.below(12) {
            11 => 31,
            n => n as u32,
        };
        w = set_field(w, 5, 5, rn);
        if rng.below(2) == 0 {
            // Small offsets keep most accesses inside the data area.
            if bits(w, 24, 2) == 1 && bits(w, 27, 3) == 7 {
                w = set_field(w, 10, 12, rng.below(64) as u32);
            }
        }
    }
    if decode_a64(w) != kvrm_isa::table().id_of(e.name) {
        return None;
    }
    Some(w)
}

fn bits(w: u32, lo: u32, len: u32) -> u32 {
    (w >> lo) & ((1 << len) - 1)
}

pub fn generate(seed: u64, count: usize) -> Vec<Program> {
    let mut rng = Rng(seed | 1);
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        let mut words = Vec::with_capacity(LEN + 1);
        while words.len() < LEN {
            let class = match rng.below(24) {
                0..=4 => "dp_imm",
                5..=9 => "dp_reg",
                10..=11 => "branch_sys",
                12..=15 => "ldst",
                16..=17 => "atomics",
                18 => "simd_int",
                19 => "simd_perm",
                20 => "simd_ldst",
                21 => "simd_fp",
                _ => "fp",
            };
            if let Some(w) = instruction(&mut rng, class) {
                words.push(w);
            }
        }
        words.push(BRK);
        let mut s = CpuState::new();
        for r in 0..31 {
            s.x[r] = match r {
                0..=9 => {
                    let a = DATA + rng.below(DATA);
                    if rng.below(4) == 0 {
                        a
                    } else {
                        a & !15
                    }
                }
                10 | 11 => RO_PAGE + (rng.below(0x100) & !7),
                _ => match rng.below(4) {
                    0 => rng.below(64),
                    1 => rng.next() >> 32,
                    _ => rng.next(),
                },
            };
        }
        s.sp = DATA + 0x4000;
        s.pc = CODE;
        s.nzcv = (rng.below(16)) << 28;
        for v in 0..32 {
            s.v[v] = [rng.next(), rng.next()];
        }
        out.push(Program { words, state: s });
    }
    out
}

/// A space with the program and data, and a machine at its start.
pub fn install(engine: &mut dyn Engine, p: &Program) -> (SpaceId, MachineId) {
    install_at(engine, p, CODE)
}

/// As [`install`], with the code at `code` (below `DATA`).
pub fn install_at(engine: &mut dyn Engine, p: &Program, code: u64) -> (SpaceId, MachineId) {
    let mut space = AddressSpace::flat(MEM).expect("map");
    let data: Vec<u8> = (0..DATA)
        .map(|a| (a.wrapping_mul(131) ^ (a >> 8)) as u8)
        .collect();
    space.write_bytes_force(DATA, &data).expect("data");
    let bytes: Vec<u8> = p.words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let at = code;
    space.write_bytes_force(at, &bytes).expect("code");
    space
        .write_bytes_force(RO_PAGE, &[0x5a; 0x1000])
        .expect("ro");
    space.protect(RO_PAGE, 0x1000, Perms::R).expect("protect");
    let sid = engine.add_space(space);
    let mut state = p.state;
    state.pc = code;
    let m = engine.add_machine(sid, state);
    (sid, m)
}

/// The whole of guest memory.
pub fn memory(space: &AddressSpace) -> Vec<u8> {
    let mut b = vec![0u8; MEM as usize];
    space.read_bytes(0, &mut b).expect("read back");
    b
}
