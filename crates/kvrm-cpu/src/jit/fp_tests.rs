//! The JIT's host fast paths for FP arithmetic (`emit/fp.rs`) against the
//! interpreter's soft-float (itself checked against the oracle fixtures):
//! every instruction they handle, on operands at and around the edges of
//! their checks, with FPCR and FPSR settings that must send them to the
//! interpreter's handler.

use kvrm_testkit::Rng;

use crate::{Cpu, ExecMode};

const BRK: u32 = 0xd420_0000;
const RET: u32 = 0xd65f_03c0;
/// `add x9, x9, #1`: keeps the block worth compiling beside one `Exec`.
const ADD_X9: u32 = 0x9100_0529;

/// The instructions with a fast path (d = 0, n = 1, m = 2, a = 3; integer
/// operands in x1): a name whose second word is the operands' type (d, s,
/// 2d, 4s, or i for an integer), and the word.
const FAST: [(&str, u32); 61] = [
    ("fadd d", 0x1e62_2820),
    ("fsub d", 0x1e62_3820),
    ("fmul d", 0x1e62_0820),
    ("fnmul d", 0x1e62_8820),
    ("fdiv d", 0x1e62_1820),
    ("fsqrt d", 0x1e61_c020),
    ("fabs d", 0x1e60_c020),
    ("fneg d", 0x1e61_4020),
    ("fmadd d", 0x1f42_0c20),
    ("fmsub d", 0x1f42_8c20),
    ("fnmadd d", 0x1f62_0c20),
    ("fnmsub d", 0x1f62_8c20),
    ("frintn d", 0x1e64_4020),
    ("frintp d", 0x1e64_c020),
    ("frintz d", 0x1e65_c020),
    ("fcvt_to_s d", 0x1e62_4020),
    ("fcmp d", 0x1e62_2020),
    ("fcmpe d", 0x1e62_2030),
    ("fcvtzs_x d", 0x9e78_0020),
    ("fcvtzs_w d", 0x1e78_0020),
    ("fcvtzu_x d", 0x9e79_0020),
    ("fadd s", 0x1e22_2820),
    ("fsub s", 0x1e22_3820),
    ("fmul s", 0x1e22_0820),
    ("fnmul s", 0x1e22_8820),
    ("fdiv s", 0x1e22_1820),
    ("fsqrt s", 0x1e21_c020),
    ("fabs s", 0x1e20_c020),
    ("fneg s", 0x1e21_4020),
    ("fmadd s", 0x1f02_0c20),
    ("fnmsub s", 0x1f22_8c20),
    ("frintm s", 0x1e25_4020),
    ("frintz s", 0x1e25_c020),
    ("fcvt_to_d s", 0x1e22_c020),
    ("fcmp_zero s", 0x1e20_2028),
    ("fcmpe s", 0x1e22_2030),
    ("fcvtzu_w s", 0x1e39_0020),
    ("fcvtzs_x s", 0x9e38_0020),
    ("fcvtns_x d", 0x9e60_0020),
    ("frinta d", 0x1e66_4020),
    ("scvtf_d_x i", 0x9e62_0020),
    ("scvtf_s_w i", 0x1e22_0020),
    ("ucvtf_d_x i", 0x9e63_0020),
    ("ucvtf_d_w i", 0x1e63_0020),
    ("ucvtf_s_x i", 0x9e23_0020),
    ("fadd 2d", 0x4e62_d420),
    ("fsub 2d", 0x4ee2_d420),
    ("fmul 2d", 0x6e62_dc20),
    ("fdiv 2d", 0x6e62_fc20),
    ("fmla 2d", 0x4e62_cc20),
    ("fmls 2d", 0x4ee2_cc20),
    ("fadd 4s", 0x4e22_d420),
    ("fmul 4s", 0x6e22_dc20),
    ("fmla 4s", 0x4e22_cc20),
    ("fmls 4s", 0x4ea2_cc20),
    ("fmla_elem 2d", 0x4fc2_1820),
    ("fmls_elem 2d", 0x4fc2_5020),
    ("fmul_elem 2d", 0x4fc2_9820),
    ("fmla_elem 4s", 0x4fa2_1820),
    ("fmul_elem 4s", 0x4f82_9820),
    ("fmla_elem_2s 4s", 0x0fa2_1020),
];

/// Doubles at the edges: zeros, subnormals, the smallest normal, the fast
/// paths' range bounds (2^-480, 2^480) and their neighbours, the largest
/// finite, infinities, quiet and signalling NaNs.
fn double_edges() -> Vec<u64> {
    let bound = |e: i32| 2f64.powi(e).to_bits();
    let mut v = vec![
        0,
        1 << 63,
        1,
        0x000f_ffff_ffff_ffff,
        f64::MIN_POSITIVE.to_bits(),
        bound(-480),
        bound(-480) - 1,
        bound(-480) + 1,
        bound(480),
        bound(480) + 1,
        bound(480) - 1,
        bound(-481),
        bound(481),
        f64::MAX.to_bits(),
        f64::INFINITY.to_bits(),
        0x7ff8_0000_0000_0000,
        0x7ff8_0000_0000_0123,
        0x7ff0_0000_0000_0001,
        1.0f64.to_bits(),
        1.5f64.to_bits(),
        0.1f64.to_bits(),
        3.0f64.to_bits(),
        (1.0f64 / 3.0).to_bits(),
        1e300f64.to_bits(),
        1e-300f64.to_bits(),
        2.5f64.to_bits(),
        2f64.powi(31).to_bits(),
        (2f64.powi(31) - 0.5).to_bits(),
        2f64.powi(32).to_bits(),
        (2f64.powi(32) - 0.5).to_bits(),
        2f64.powi(63).to_bits(),
        2f64.powi(63).to_bits() - 1,
        2f64.powi(64).to_bits(),
        2f64.powi(64).to_bits() - 1,
        (f32::MAX as f64).to_bits(),
        (f32::MAX as f64).to_bits() + 1,
        (f32::MIN_POSITIVE as f64).to_bits(),
        (f32::MIN_POSITIVE as f64).to_bits() - 1,
        (f32::MIN_POSITIVE as f64 * 1.5).to_bits(),
    ];
    let negated: Vec<u64> = v.iter().map(|x| x ^ (1 << 63)).collect();
    v.extend(negated);
    v
}

fn single_edges() -> Vec<u32> {
    let bound = |e: i32| 2f32.powi(e).to_bits();
    let mut v = vec![
        0,
        1 << 31,
        1,
        0x007f_ffff,
        f32::MIN_POSITIVE.to_bits(),
        bound(-50),
        bound(-50) - 1,
        bound(50),
        bound(50) + 1,
        f32::MAX.to_bits(),
        f32::INFINITY.to_bits(),
        0x7fc0_0000,
        0x7f80_0001,
        1.0f32.to_bits(),
        1.5f32.to_bits(),
        0.1f32.to_bits(),
        (1.0f32 / 3.0).to_bits(),
        1e30f32.to_bits(),
        2.5f32.to_bits(),
        2f32.powi(31).to_bits(),
        2f32.powi(31).to_bits() - 1,
        2f32.powi(32).to_bits(),
        2f32.powi(32).to_bits() - 1,
        2f32.powi(63).to_bits(),
        2f32.powi(64).to_bits(),
    ];
    let negated: Vec<u32> = v.iter().map(|x| x ^ (1 << 31)).collect();
    v.extend(negated);
    v
}

/// The operands of the random cases.
trait Operands {
    fn double(&mut self, edges: &[u64]) -> u64;
    fn single(&mut self, edges: &[u32]) -> u32;
    fn integer(&mut self, ordinary: bool) -> u64;
    fn register(&mut self, ty: &str, d: &[u64], s: &[u32]) -> [u64; 2];
}

impl Operands for Rng {
    /// A double: an edge value, a random one of moderate exponent (mostly
    /// on the fast path), or random bits; only the moderate ones when
    /// `edges` is empty.
    fn double(&mut self, edges: &[u64]) -> u64 {
        match self.next() % if edges.is_empty() { 1 } else { 4 } {
            1 => self.pick(edges),
            3 => self.next(),
            _ => {
                let exp = 1023 - 40 + self.next() % 80;
                (self.next() & 0x800f_ffff_ffff_ffff) | (exp << 52)
            }
        }
    }

    fn single(&mut self, edges: &[u32]) -> u32 {
        match self.next() % if edges.is_empty() { 1 } else { 4 } {
            1 => self.pick(edges),
            3 => self.next() as u32,
            _ => {
                let exp = 127 - 20 + self.next() as u32 % 40;
                (self.next() as u32 & 0x807f_ffff) | (exp << 23)
            }
        }
    }

    /// An integer operand: small (exactly convertible), at the bounds of
    /// exact conversion, or random bits; only small ones when `ordinary`.
    fn integer(&mut self, ordinary: bool) -> u64 {
        const EDGES: [u64; 12] = [
            0,
            u64::MAX,
            1 << 24,
            (1 << 24) + 1,
            (1 << 24) - 1,
            1 << 53,
            (1 << 53) + 1,
            (1 << 53) - 1,
            0xffff_ffff,
            0x8000_0000,
            1 << 63,
            (-(1i64 << 53) - 1) as u64,
        ];
        let small = (self.next() % (1 << 21)) as i64 - (1 << 20);
        match self.next() % if ordinary { 1 } else { 3 } {
            1 => self.pick(&EDGES),
            2 => self.next(),
            _ => small as u64,
        }
    }

    /// A 128-bit register for an instruction on `ty` ('d', 's', "2d", "4s",
    /// 'i': an integer, passed in x1 too).
    fn register(&mut self, ty: &str, d: &[u64], s: &[u32]) -> [u64; 2] {
        let word = |r: &mut Rng| r.single(s) as u64 | (r.single(s) as u64) << 32;
        match ty {
            "i" => [self.integer(d.is_empty()), self.next()],
            "d" => [self.double(d), self.next()],
            "s" => [self.single(s) as u64 | (self.next() << 32), self.next()],
            "2d" => [self.double(d), self.double(d)],
            _ => [word(self), word(self)],
        }
    }
}

fn cpu(word: u32, mode: ExecMode) -> Cpu {
    let mut cpu = Cpu::with_flat_memory(0x10000).expect("memory");
    let mut bytes: Vec<u8> = [word, ADD_X9, RET]
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    bytes.resize(0x100, 0);
    bytes.extend(BRK.to_le_bytes());
    cpu.load_program(&bytes, 0).expect("load");
    cpu.set_exec_mode(mode);
    cpu
}

/// Run one case from pc 0 (the instruction, an add, a return to the BRK).
fn run_case(cpu: &mut Cpu, regs: &[[u64; 2]; 4], fpcr: u64, fpsr: u64) {
    cpu.state.pc = 0;
    cpu.state.x = [0; 31];
    cpu.state.x[1] = regs[1][0];
    cpu.state.x[30] = 0x100;
    cpu.state.v[..4].copy_from_slice(regs);
    cpu.state.fpcr = fpcr;
    cpu.state.fpsr = fpsr;
    cpu.run(100);
}

#[test]
fn fp_fast_paths_match_the_interpreter() {
    let (d, s) = (double_edges(), single_edges());
    // Round to nearest with nothing else; FZ; DN; towards +inf; towards
    // zero; an exception trap enable (IXE).
    let fpcrs = [0u64, 1 << 24, 1 << 25, 1 << 22, 3 << 22, 1 << 12];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for (name, word) in FAST {
        let ty = name.split(' ').nth(1).expect("type");
        let mut jit = cpu(word, ExecMode::Jit { threshold: 0 });
        let mut interp = cpu(word, ExecMode::Interp);
        let cases = 3000;
        for case in 0..cases {
            let regs = [0; 4].map(|_| rng.register(ty, &d, &s));
            // Mostly the default FPCR (where the fast paths apply), with
            // IXC clear or set.
            let fpcr = if case % 4 == 0 { rng.pick(&fpcrs) } else { 0 };
            let fpsr = rng.pick(&[0, 0x10, 0x1f, 0x0800_0000]);
            run_case(&mut jit, &regs, fpcr, fpsr);
            run_case(&mut interp, &regs, fpcr, fpsr);
            assert_eq!(
                jit.state, interp.state,
                "{name} ({word:#010x}) on {regs:x?}, fpcr {fpcr:#x}, fpsr {fpsr:#x}"
            );
        }
        let stats = jit.jit_stats().expect("jit");
        assert!(
            stats.insns_compiled >= 3 * (cases - 1),
            "{name}: the cases ran compiled ({stats:?})"
        );
    }
}

/// On normal operands with the default FPCR the fast paths take every
/// case (the handler runs for none), inexact or exact, IXC set or not.
#[test]
fn fp_fast_paths_need_no_handler_on_ordinary_operands() {
    let mut rng = Rng(7);
    for (name, word) in FAST {
        let ty = name.split(' ').nth(1).expect("type");
        let mut jit = cpu(word, ExecMode::Jit { threshold: 0 });
        let mut interp = cpu(word, ExecMode::Interp);
        // The first run compiles.
        run_case(&mut jit, &[[0x3ff0_0000_0000_0000, 0]; 4], 0, 0);
        let before = jit.jit_stats().expect("jit").fp_handler_runs;
        let mut fused_undecided = 0;
        for _ in 0..500 {
            // Positive operands: square roots of them are ordinary too.
            let mut regs = [0; 4].map(|_| rng.register(ty, &[], &[]).map(|x| positive(ty, x)));
            if name.starts_with("ucvtf") {
                // Small as unsigned integers too.
                regs[1][0] = (regs[1][0] as i64).unsigned_abs();
            }
            let fpsr = rng.pick(&[0, 0x10]);
            run_case(&mut jit, &regs, 0, fpsr);
            run_case(&mut interp, &regs, 0, fpsr);
            assert_eq!(jit.state, interp.state, "{name} on {regs:x?}");
            fused_undecided += u64::from(fused(name) && fpsr == 0);
        }
        let handled = jit.jit_stats().expect("jit").fp_handler_runs - before;
        if uses_handler(name) {
            assert_eq!(handled, 500, "{name}");
        } else if name.starts_with("fcvtz") {
            // Moderate operands can be beyond a 32-bit integer: at most
            // those ran the handler.
            assert!(
                handled < 250,
                "{name}: {handled} of 500 cases ran the handler"
            );
        } else {
            // A fused multiply-add whose product is inexact, with IXC
            // clear, is the one case the fast path leaves to the handler.
            assert!(
                handled <= fused_undecided,
                "{name}: {handled} of 500 cases ran the handler"
            );
        }
    }
}

/// Instructions in the list that always run the interpreter's handler:
/// roundings other than toward zero, FRINTA (no host instruction) and a
/// 64-bit vector.
fn uses_handler(name: &str) -> bool {
    ["fcvtns", "frinta", "fmla_elem_2s"]
        .iter()
        .any(|p| name.starts_with(p))
}

fn fused(name: &str) -> bool {
    ["madd", "msub", "fmla", "fmls"]
        .iter()
        .any(|f| name.contains(f))
}

/// `x` with every element's sign bit cleared.
fn positive(ty: &str, x: u64) -> u64 {
    match ty {
        "i" => x,
        "d" | "2d" => x & !(1 << 63),
        _ => x & !(1 << 31 | 1 << 63),
    }
}

/// Products whose rounding error is below the smallest subnormal: an error
/// term computed by FMA would round to zero and call the result exact, so
/// such operands must stay off the fast path (its range keeps them out).
#[test]
fn fp_fast_paths_miss_no_tiny_inexact_product() {
    let d = (2f64.powi(-500) * (1.0 + f64::EPSILON)).to_bits();
    let s = (2f32.powi(-60) * (1.0 + f32::EPSILON)).to_bits() as u64;
    for (word, x) in [(0x1e62_0820u32, d), (0x1e22_0820, s)] {
        let mut jit = cpu(word, ExecMode::Jit { threshold: 0 });
        let mut interp = cpu(word, ExecMode::Interp);
        let regs = [[0, 0], [x, 0], [x, 0], [0, 0]];
        for _ in 0..3 {
            run_case(&mut jit, &regs, 0, 0);
            run_case(&mut interp, &regs, 0, 0);
            assert_eq!(interp.state.fpsr & 0x10, 0x10, "the product is inexact");
            assert_eq!(jit.state, interp.state, "{word:#x}");
        }
    }
}
