//! Differential fuzzer: the JIT against the interpreter on random programs
//! (straight-line integer code, counted loops, forward branches, calls and
//! returns, indirect branches, loads and stores with every addressing mode,
//! DC ZVA, stores into code that later runs, accesses that fault, instructions the
//! JIT hands to the interpreter, and scalar FP / Advanced SIMD instructions
//! and SIMD&FP loads and stores on operands that include NaNs, infinities,
//! denormals and zeros under random FPCR modes), from a fixed seed. Between steps the
//! host sometimes unmaps the patch routine's page and maps new code there (as
//! munmap and mmap do), so compiled and chained blocks of a page that went
//! away must never run again.
//!
//! Both CPUs run the same program in steps of random budgets; after every
//! step the stop, the instruction count, the whole state and all of memory
//! must be equal. Each step ends at a block boundary or inside a block (a
//! budget shorter than the block), so counts and states are checked at both.
//!
//! `KVRM_FUZZ_CASES=n` runs n cases (default 150, a few seconds);
//! `KVRM_FUZZ_SEED=s` changes the seed. A failure prints the seed, the case
//! and the program words.

use kvrm_cpu::{Cpu, ExecMode};
use kvrm_isa::{AddressSpace, Perms, StopReason};

const CODE: u64 = 0x1000;
const PATCH: u64 = 0x3000;
const DATA: u64 = 0x8000;
const DATA_LEN: u64 = 0x4000;
const RO: u64 = 0xc000;
const BRK: u32 = 0xd420_0000;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bit(&mut self) -> u32 {
        (self.next() & 1) as u32
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// Registers random instructions may write (x8..x12 are pointers, x13 and
/// x21 loop counters, x15 the patch word, x18 a small index, x19 branch
/// targets).
const DATA_REGS: [u32; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 14, 16, 17, 20];
const PTR_REGS: [u32; 5] = [8, 9, 10, 11, 31];

fn dreg(r: &mut Rng) -> u32 {
    r.pick(&DATA_REGS)
}

/// A source register: data, pointer, the index, or zero.
fn sreg(r: &mut Rng) -> u32 {
    match r.below(8) {
        0 => r.pick(&[8, 9, 18, 13]),
        1 => 31,
        _ => dreg(r),
    }
}

/// One random non-branch instruction (never writes x8..x13, x15, x18, x19).
fn random_insn(r: &mut Rng) -> u32 {
    let sf = r.bit();
    let (d, n, m) = (dreg(r), sreg(r), sreg(r));
    match r.below(30) {
        22..=25 => fp_insn(r),
        26 | 27 => simd_insn(r),
        28 | 29 => fp_load_store(r),
        0 => {
            // add/sub (immediate), flags or not; rd = sp only without flags
            let s = r.bit();
            (sf << 31)
                | (r.bit() << 30)
                | (s << 29)
                | (0b100010 << 23)
                | (r.bit() << 22)
                | ((r.below(4096) as u32) << 10)
                | (n << 5)
                | d
        }
        1 => {
            // logical (immediate); N = 1 only for 64 bits
            let nn = if sf == 1 { r.bit() } else { 0 };
            (sf << 31)
                | ((r.below(4) as u32) << 29)
                | (0b100100 << 23)
                | (nn << 22)
                | ((r.below(64) as u32) << 16)
                | ((r.below(64) as u32) << 10)
                | (n << 5)
                | d
        }
        2 => {
            // movz/movn/movk
            let hw = if sf == 1 { r.below(4) } else { r.below(2) } as u32;
            (sf << 31)
                | (r.pick(&[0u32, 2, 3]) << 29)
                | (0b100101 << 23)
                | (hw << 21)
                | ((r.below(65536) as u32) << 5)
                | d
        }
        3 => {
            // SBFM/BFM/UBFM
            let lim = if sf == 1 { 64 } else { 32 };
            (sf << 31)
                | ((r.below(3) as u32) << 29)
                | (0b100110 << 23)
                | (sf << 22)
                | ((r.below(lim) as u32) << 16)
                | ((r.below(lim) as u32) << 10)
                | (n << 5)
                | d
        }
        4 => {
            // EXTR
            let lim = if sf == 1 { 64 } else { 32 };
            (sf << 31)
                | (0b00100111 << 23)
                | (sf << 22)
                | (m << 16)
                | ((r.below(lim) as u32) << 10)
                | (n << 5)
                | d
        }
        5 => {
            (r.bit() << 31)
                | ((r.below(4) as u32) << 29)
                | (0b10000 << 24)
                | ((r.below(1 << 19) as u32) << 5)
                | d
        } // ADR/ADRP
        6 | 7 => {
            // logical (shifted register)
            let lim = if sf == 1 { 64 } else { 32 };
            (sf << 31)
                | ((r.below(4) as u32) << 29)
                | (0b01010 << 24)
                | ((r.below(4) as u32) << 22)
                | (r.bit() << 21)
                | (m << 16)
                | ((r.below(lim) as u32) << 10)
                | (n << 5)
                | d
        }
        8 | 9 => {
            // add/sub (shifted register)
            let lim = if sf == 1 { 64 } else { 32 };
            (sf << 31)
                | (r.bit() << 30)
                | (r.bit() << 29)
                | (0b01011 << 24)
                | ((r.below(3) as u32) << 22)
                | (m << 16)
                | ((r.below(lim) as u32) << 10)
                | (n << 5)
                | d
        }
        10 => {
            // add/sub (extended register)
            (sf << 31)
                | (r.bit() << 30)
                | (r.bit() << 29)
                | (0b01011 << 24)
                | (1 << 21)
                | (m << 16)
                | ((r.below(8) as u32) << 13)
                | ((r.below(5) as u32) << 10)
                | (n << 5)
                | d
        }
        11 => {
            // CCMP/CCMN (register or immediate)
            (sf << 31)
                | (r.bit() << 30)
                | (1 << 29)
                | (0b11010010 << 21)
                | (m << 16)
                | ((r.below(16) as u32) << 12)
                | (r.bit() << 11)
                | (n << 5)
                | (r.below(16) as u32)
        }
        12 | 13 => {
            // CSEL/CSINC/CSINV/CSNEG
            (sf << 31)
                | (r.bit() << 30)
                | (0b11010100 << 21)
                | (m << 16)
                | ((r.below(16) as u32) << 12)
                | (r.bit() << 10)
                | (n << 5)
                | d
        }
        14 => {
            // RBIT, REV16, REV, REV32 (64 only), CLZ, CLS
            let op = r.below(6) as u32;
            let sf = if op == 3 { 1 } else { sf };
            (sf << 31) | (1 << 30) | (0b11010110 << 21) | (op << 10) | (n << 5) | d
        }
        15 => {
            // UDIV, SDIV, LSLV, LSRV, ASRV, RORV
            let op = r.pick(&[2u32, 3, 8, 9, 10, 11]);
            (sf << 31) | (0b11010110 << 21) | (m << 16) | (op << 10) | (n << 5) | d
        }
        16 => {
            // MADD/MSUB, SMADDL/SMSUBL, UMADDL/UMSUBL, SMULH, UMULH
            let (op31, o0, sf) = match r.below(5) {
                0 => (0u32, r.bit(), sf),
                1 => (1, r.bit(), 1),
                2 => (5, r.bit(), 1),
                3 => (2, 0, 1),
                _ => (6, 0, 1),
            };
            (sf << 31)
                | (0b11011 << 24)
                | (op31 << 21)
                | (m << 16)
                | (o0 << 15)
                | (sreg(r) << 10)
                | (n << 5)
                | d
        }
        17 => {
            // Fallbacks: ADC/SBC(S), CRC32X, FMOV d0, x; NOP
            match r.below(4) {
                0 => {
                    (sf << 31)
                        | (r.bit() << 30)
                        | (r.bit() << 29)
                        | (0b11010000 << 21)
                        | (m << 16)
                        | (n << 5)
                        | d
                }
                1 => 0x9ac0_4c00 | (m << 16) | (n << 5) | d,
                2 => 0x9e67_0000 | (n << 5) | (r.below(4) as u32),
                _ => 0xd503_201f,
            }
        }
        _ => load_store(r),
    }
}

/// A SIMD&FP register (a few, so results feed later instructions).
fn vreg(r: &mut Rng) -> u32 {
    if r.below(4) == 0 {
        r.below(32) as u32
    } else {
        r.below(6) as u32
    }
}

/// A scalar floating-point instruction on single or double precision.
fn fp_insn(r: &mut Rng) -> u32 {
    let ft = r.bit();
    let (d, n, m) = (vreg(r), vreg(r), vreg(r));
    let base = 0x1e20_0000 | (ft << 22);
    match r.below(12) {
        // FMUL FDIV FADD FSUB FMAX FMIN FMAXNM FMINNM FNMUL
        0..=2 => base | (m << 16) | ((r.below(9) as u32) << 12) | (0b10 << 10) | (n << 5) | d,
        // FMADD FMSUB FNMADD FNMSUB
        3 | 4 => {
            0x1f00_0000
                | (ft << 22)
                | (r.bit() << 21)
                | (m << 16)
                | (r.bit() << 15)
                | (vreg(r) << 10)
                | (n << 5)
                | d
        }
        // FMOV FABS FNEG FSQRT, FCVT to the other precision, FRINT*
        5 => {
            let op = r.pick(&[0u32, 1, 2, 3, 4 + (ft ^ 1), 8, 9, 10, 11, 12, 14, 15]);
            base | (op << 15) | (0b10000 << 10) | (n << 5) | d
        }
        // FCMP, FCMPE, with zero
        6 => base | (m << 16) | (0b1000 << 10) | (n << 5) | (r.below(4) as u32) << 3,
        // FCCMP, FCCMPE
        7 => {
            base | (m << 16)
                | ((r.below(16) as u32) << 12)
                | (0b01 << 10)
                | (n << 5)
                | (r.bit() << 4)
                | r.below(16) as u32
        }
        // FCSEL
        8 => base | (m << 16) | ((r.below(16) as u32) << 12) | (0b11 << 10) | (n << 5) | d,
        // FMOV (immediate)
        9 => base | ((r.below(256) as u32) << 13) | (0b100 << 10) | d,
        // SCVTF, UCVTF (general), FCVT{N,P,M,Z}{S,U}, FCVTA{S,U}
        10 => {
            let sf = r.bit();
            if r.bit() == 0 {
                (sf << 31) | base | (0b01 << 17) | (r.bit() << 16) | (sreg(r) << 5) | d
            } else {
                let (rmode, op) = if r.bit() == 0 {
                    (r.below(4) as u32, r.bit())
                } else {
                    (0, 4 | r.bit())
                };
                (sf << 31) | base | (rmode << 19) | (op << 16) | (n << 5) | dreg(r)
            }
        }
        // MRS of FPCR, FPSR, NZCV, TPIDR_EL0
        11 if r.bit() == 0 => {
            r.pick(&[0xd53b_4400u32, 0xd53b_4420, 0xd53b_4200, 0xd53b_d040]) | dreg(r)
        }
        // FMOV between general and FP registers
        _ => {
            let sf = ft;
            if r.bit() == 0 {
                (sf << 31) | base | (0b111 << 16) | (sreg(r) << 5) | d
            } else {
                (sf << 31) | base | (0b110 << 16) | (n << 5) | dreg(r)
            }
        }
    }
}

/// An Advanced SIMD instruction: integer and FP vector arithmetic, across
/// lanes, MOVI, DUP, UMOV.
fn simd_insn(r: &mut Rng) -> u32 {
    let q = r.bit();
    let (d, n, m) = (vreg(r), vreg(r), vreg(r));
    let size = r.below(4) as u32;
    let size = if size == 3 && q == 0 { 2 } else { size };
    let three = |base: u32, size: u32| base | (q << 30) | (size << 22) | (m << 16) | (n << 5) | d;
    match r.below(16) {
        0 => three(0x0e20_8400, size),              // ADD
        1 => three(0x2e20_8400, size),              // SUB
        2 => three(0x0e20_1c00, r.below(4) as u32), // AND BIC ORR ORN
        3 => three(0x2e20_1c00, r.below(4) as u32), // EOR BSL BIT BIF
        4 => three(0x2e20_8c00, size),              // CMEQ
        5 => three(
            r.pick(&[0x0e20_3400u32, 0x2e20_3400, 0x0e20_3c00, 0x2e20_3c00]),
            size,
        ), // CMGT CMHI CMGE CMHS
        6 => {
            // ADDV, UMAXV, UMINV (not on 64-bit or 4x32-bit-in-64)
            let size = r.below(2) as u32;
            r.pick(&[0x0e31_b800u32, 0x2e30_a800, 0x2e31_a800])
                | (q << 30)
                | (size << 22)
                | (n << 5)
                | d
        }
        7 => {
            // MOVI (8-bit, 64-bit bytes mask)
            let op = r.bit();
            let imm = r.below(256) as u32;
            0x0f00_e400 | (q << 30) | (op << 29) | ((imm >> 5) << 16) | ((imm & 31) << 5) | d
        }
        8 => {
            // DUP (general)
            let imm5 = r.pick(&[1u32, 2, 4, 8]) | ((r.below(2) as u32) << 4);
            let q = if imm5 & 8 != 0 { 1 } else { q };
            0x0e00_0c00 | (q << 30) | (imm5 << 16) | (sreg(r) << 5) | d
        }
        9 => {
            // UMOV
            let imm5 = r.pick(&[1u32, 2, 4, 8]);
            let q = (imm5 == 8) as u32;
            let imm5 = imm5 | ((r.below(2) as u32) << 4);
            0x0e00_3c00 | (q << 30) | (imm5 << 16) | (n << 5) | dreg(r)
        }
        10 => {
            three(
                r.pick(&[
                    0x0e20_d400u32,
                    0x0ea0_d400,
                    0x2e20_dc00,
                    0x0e20_cc00,
                    0x2e20_fc00,
                ]),
                0,
            ) | (r.bit() << 22) & !((q ^ 1) << 22)
        } // FADD FSUB FMUL FMLA FDIV
        11 => {
            // Shifts by immediate of every element size: SSHR USHR, SSRA
            // USRA, SRI (U = 0: unallocated), SHL SLI.
            let op = r.pick(&[0b00000u32, 0b00010, 0b01000, 0b01010]);
            let immhb = r.below(120) as u32 + 8;
            0x0f00_0400 | (q << 30) | (r.bit() << 29) | (immhb << 16) | (op << 11) | (n << 5) | d
        }
        12 => three(r.pick(&[0x0e00_3800u32, 0x0e00_7800, 0x4e00_1800]), size), // ZIP1 ZIP2 UZP1
        13 if r.bit() == 0 => {
            // USHLL SSHLL (UXTL SXTL), any shift; SHLL
            if r.bit() == 0 {
                let immh = r.pick(&[1u32, 2, 4]);
                let immhb = (immh << 3) | r.below(8 << (31 - immh.leading_zeros())) as u32;
                0x0f00_a400 | (q << 30) | (r.bit() << 29) | (immhb << 16) | (n << 5) | d
            } else {
                0x2e21_3800 | (q << 30) | ((r.below(3) as u32) << 22) | (n << 5) | d
            }
        }
        13 => {
            // INS (element), DUP (scalar)
            let size = r.below(4) as u32;
            let imm5 = (1 << size) | ((r.below(16) as u32) << (size + 1)) & 0x1f;
            if r.bit() == 0 {
                let imm4 = ((r.below(16) as u32) << size) & 0xf;
                0x6e00_0400 | (imm5 << 16) | (imm4 << 11) | (n << 5) | d
            } else {
                0x5e00_0400 | (imm5 << 16) | (n << 5) | d
            }
        }
        _ => 0x0e20_5800 | (q << 30) | (n << 5) | d, // CNT
    }
}

/// LDR/STR/LDUR/STUR/pre/post/register offset and LDP/STP of B..Q registers.
fn fp_load_store(r: &mut Rng) -> u32 {
    let n = r.pick(&PTR_REGS);
    let t = vreg(r);
    let (size, opc) = r.pick(&[
        (0u32, 0u32),
        (0, 1),
        (1, 0),
        (1, 1),
        (2, 0),
        (2, 1),
        (3, 0),
        (3, 1),
        (0, 2),
        (0, 3),
    ]);
    let v = 1 << 26;
    match r.below(5) {
        4 if r.bit() == 0 => {
            // LD1 (one to four registers), LD2, LD3, LD4 (multiple
            // structures), with post-index (immediate or Xm = x18)
            let post = r.bit();
            let m = if r.bit() == 1 { 31 } else { 18 };
            let opcode = r.pick(&[0u32, 2, 4, 6, 7, 8, 10]);
            0x0c40_0000
                | (opcode << 12)
                | (r.bit() << 30)
                | (post << 23)
                | ((post * m) << 16)
                | ((r.below(4) as u32) << 10)
                | (n << 5)
                | t
        }
        4 => {
            // LD1R, LD1R (post-index, immediate or Xm = x18)
            let post = r.bit();
            let m = if r.bit() == 1 { 31 } else { 18 };
            0x0d40_c000
                | (r.bit() << 30)
                | (post << 23)
                | ((post * m) << 16)
                | ((r.below(4) as u32) << 10)
                | (n << 5)
                | t
        }
        0 => {
            (size << 30)
                | (0b111 << 27)
                | v
                | (0b01 << 24)
                | (opc << 22)
                | ((r.below(64) as u32) << 10)
                | (n << 5)
                | t
        }
        1 => {
            let imm9 = (r.below(512) as u32) & 0x1ff;
            let imm9 = if r.bit() == 1 { imm9 & 0x3f } else { imm9 };
            (size << 30)
                | (0b111 << 27)
                | v
                | (opc << 22)
                | (imm9 << 12)
                | (r.pick(&[0u32, 1, 3]) << 10)
                | (n << 5)
                | t
        }
        2 => {
            (size << 30)
                | (0b111 << 27)
                | v
                | (opc << 22)
                | (1 << 21)
                | (18 << 16)
                | (r.pick(&[2u32, 3, 6, 7]) << 13)
                | (r.bit() << 12)
                | (0b10 << 10)
                | (n << 5)
                | t
        }
        _ => {
            let opc = r.below(3) as u32;
            let mode = r.pick(&[0u32, 1, 2, 3]);
            let imm7 = (r.below(16) as u32).wrapping_sub(8) & 0x7f;
            (opc << 30)
                | (0b101 << 27)
                | v
                | (mode << 23)
                | (r.bit() << 22)
                | (imm7 << 15)
                | (vreg(r) << 10)
                | (n << 5)
                | t
        }
    }
}

/// A random FP operand of `bits` (32 or 64): specials, denormals, normals.
fn fp_value(r: &mut Rng, double: bool) -> u64 {
    let (sign, exp_max, frac_bits) = if double {
        (1u64 << 63, 0x7ffu64, 52)
    } else {
        (1u64 << 31, 0xffu64, 23)
    };
    let frac = r.next() & ((1u64 << frac_bits) - 1);
    let s = if r.bit() == 1 { sign } else { 0 };
    let exp = match r.below(10) {
        0 => 0,                         // zero or denormal
        1 => exp_max,                   // infinity or NaN
        2 => r.pick(&[1, exp_max - 1]), // the ends of the range
        _ => (exp_max >> 1) - 4 + r.below(9),
    };
    let frac = match r.below(6) {
        0 => 0,
        1 => 1 << (frac_bits - 1),
        _ => frac,
    };
    s | (exp << frac_bits) | frac
}

fn load_store(r: &mut Rng) -> u32 {
    let n = r.pick(&PTR_REGS);
    let t = if r.below(4) == 0 { sreg(r) } else { dreg(r) };
    // (size, opc) of general-register loads and stores.
    let (size, opc) = r.pick(&[
        (0u32, 0u32),
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (2, 0),
        (2, 1),
        (2, 2),
        (3, 0),
        (3, 1),
    ]);
    if r.below(24) == 0 {
        // DC ZVA: 64 zero bytes (into data, the read-only page past it, or
        // unmapped address 0 when Xt is XZR).
        return 0xd50b_7420 | n;
    }
    let store = opc == 0;
    // Loads must not write a pointer; stores may read anything.
    let t = if store { t } else { dreg(r) };
    match r.below(5) {
        0 => {
            (size << 30)
                | (0b111 << 27)
                | (0b01 << 24)
                | (opc << 22)
                | ((r.below(64) as u32) << 10)
                | (n << 5)
                | t
        }
        1 => {
            let imm9 = (r.below(512) as u32) & 0x1ff;
            let imm9 = if r.bit() == 1 { imm9 & 0x3f } else { imm9 };
            (size << 30)
                | (0b111 << 27)
                | (opc << 22)
                | (imm9 << 12)
                | (r.pick(&[0u32, 1, 2, 3]) << 10)
                | (n << 5)
                | t
        }
        2 => {
            (size << 30)
                | (0b111 << 27)
                | (opc << 22)
                | (1 << 21)
                | (18 << 16)
                | (r.pick(&[2u32, 3, 6, 7]) << 13)
                | (r.bit() << 12)
                | (0b10 << 10)
                | (n << 5)
                | t
        }
        _ => {
            // pairs: STP/LDP w and x, LDPSW; offset, pre, post, non-temporal
            let (opc, l) = r.pick(&[(0u32, 0u32), (0, 1), (2, 0), (2, 1), (1, 1)]);
            let mode = r.pick(&[0u32, 1, 2, 3]);
            let mode = if opc == 1 && mode == 0 { 2 } else { mode };
            let t2 = if l == 1 { dreg(r) } else { sreg(r) };
            let t = if l == 1 { dreg(r) } else { t };
            let imm7 = (r.below(16) as u32).wrapping_sub(8) & 0x7f;
            (opc << 30)
                | (0b101 << 27)
                | (mode << 23)
                | (l << 22)
                | (imm7 << 15)
                | (t2 << 10)
                | (n << 5)
                | t
        }
    }
}

/// The program: segments of random code, loops, branches, calls, stores
/// into the patch routine, then BRK.
fn program(r: &mut Rng) -> (Vec<u32>, Vec<u32>) {
    let mut segs: Vec<Vec<u32>> = Vec::new();
    // Forward branches as (segment, index in it, target segment, kind).
    let mut fixups: Vec<(usize, usize, usize, u32)> = Vec::new();
    let count = 4 + r.below(40) as usize;
    for s in 0..count {
        let mut seg = Vec::new();
        match r.below(7) {
            0 | 1 => {
                for _ in 0..1 + r.below(8) {
                    seg.push(random_insn(r));
                }
            }
            2 => {
                // mov x13, #k; L: body; subs x13, x13, #1; b.ne L
                seg.push(0xd280_000d | ((1 + r.below(60) as u32) << 5));
                let len = 1 + r.below(6) as u32;
                for _ in 0..len {
                    seg.push(random_insn(r));
                }
                seg.push(0xf100_05ad);
                seg.push(0x5400_0001 | ((((-(len as i32) - 1) as u32) & 0x7ffff) << 5));
            }
            3 => seg.push(0x9400_0000), // bl patch (fixed up below)
            4 => {
                // movz w15, lo; movk w15, hi, lsl 16; str w15, [x12]
                let word = 0x9100_0000 | ((r.below(4096) as u32) << 10) | (dreg(r) << 5) | dreg(r);
                seg.push(0x5280_000f | ((word & 0xffff) << 5));
                seg.push(0x72a0_000f | ((word >> 16) << 5));
                seg.push(0xb900_018f);
            }
            5 => {
                // adr x19, #8; br x19 (or blr, then the callee is the next
                // instruction and x30 is overwritten)
                seg.push(0x1000_0053);
                seg.push(if r.bit() == 1 {
                    0xd61f_0260
                } else {
                    0xd63f_0260
                });
            }
            _ => {
                seg.push(random_insn(r));
                if s + 1 < count {
                    let target = s + 1 + r.below((count - s - 1) as u64) as usize;
                    fixups.push((s, seg.len(), target, r.below(3) as u32));
                    seg.push(0);
                }
            }
        }
        segs.push(seg);
    }
    let mut starts = Vec::new();
    let mut words = Vec::new();
    for seg in &segs {
        starts.push(words.len());
        words.extend_from_slice(seg);
    }
    starts.push(words.len());
    // The whole program runs x21 times: subs x21, x21, #1; b.ne start; brk.
    words.push(0xf100_06b5);
    let back = words.len() as u32;
    words.push(0x5400_0001 | ((back.wrapping_neg() & 0x7ffff) << 5));
    words.push(BRK);
    for (s, i, t, kind) in fixups {
        let at = starts[s] + i;
        let off = (starts[t] - at) as u32;
        words[at] = match kind {
            0 => 0x5400_0000 | ((off & 0x7ffff) << 5) | (r.below(16) as u32),
            1 => (r.bit() << 31) | 0x3400_0000 | (r.bit() << 24) | ((off & 0x7ffff) << 5) | dreg(r),
            _ => {
                0x3600_0000
                    | (r.bit() << 31)
                    | (r.bit() << 24)
                    | ((r.below(32) as u32) << 19)
                    | ((off & 0x3fff) << 5)
                    | dreg(r)
            }
        };
    }
    for (at, w) in words.iter_mut().enumerate() {
        if *w == 0x9400_0000 {
            let pc = CODE + 4 * at as u64;
            *w = 0x9400_0000 | ((((PATCH as i64 - pc as i64) >> 2) as u32) & 0x3ff_ffff);
        }
    }
    // The patch routine: add x0, x0, #1; ret.
    (words, vec![0x9100_0400, 0xd65f_03c0])
}

fn machine(words: &[u32], patch: &[u32], r: &mut Rng, mode: ExecMode) -> Cpu {
    let mut space = AddressSpace::new();
    space.map(0, 0x4000, Perms::RWX).expect("code");
    space.map(DATA, DATA_LEN, Perms::RW).expect("data");
    space.map(RO, 0x1000, Perms::R).expect("read-only");
    let mut cpu = Cpu::new(space);
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    cpu.load_program(&bytes, CODE).expect("load");
    let bytes: Vec<u8> = patch.iter().flat_map(|w| w.to_le_bytes()).collect();
    cpu.load_program(&bytes, PATCH).expect("load");
    let mut data = vec![0u8; (DATA_LEN + 0x1000) as usize];
    for b in data.iter_mut() {
        *b = r.next() as u8;
    }
    cpu.load_program(&data, DATA).expect("data");
    for x in cpu.state.x.iter_mut() {
        *x = match r.below(4) {
            0 => r.below(16),
            1 => r.next(),
            2 => r.next() as u32 as u64,
            _ => (r.next() as i8) as i64 as u64,
        };
    }
    for p in [8, 9, 10, 11] {
        cpu.state.x[p] = (DATA + r.below(DATA_LEN + 0x800)) & !3;
    }
    cpu.state.sp = (DATA + r.below(DATA_LEN)) & !15;
    cpu.state.x[12] = PATCH;
    cpu.state.x[21] = 1 + r.below(8);
    cpu.state.x[18] = r.below(64);
    cpu.state.nzcv = (r.below(16)) << 28;
    for v in cpu.state.v.iter_mut() {
        *v = match r.below(3) {
            0 => [fp_value(r, true), fp_value(r, true)],
            1 => {
                let lo = fp_value(r, false) | (fp_value(r, false) << 32);
                [lo, fp_value(r, false) | (fp_value(r, false) << 32)]
            }
            _ => [r.next(), r.next()],
        };
    }
    // RMode (bits 22-23), FZ (24), DN (25), AHP (26); FPSR: a few flags.
    cpu.state.fpcr = match r.below(3) {
        0 => 0,
        _ => r.below(32) << 22,
    };
    cpu.state.fpsr = r.below(4) << 3;
    cpu.state.tpidr_el0 = r.next();
    cpu.state.pc = CODE;
    cpu.set_exec_mode(mode);
    cpu
}

/// Unmap the patch routine's page and map `routine` there anew.
fn remap_patch(cpu: &mut Cpu, routine: &[u32]) {
    let space: &mut AddressSpace = &mut cpu.mem;
    space.unmap(PATCH, 0x1000).expect("unmap");
    space.map(PATCH, 0x1000, Perms::RWX).expect("map");
    let bytes: Vec<u8> = routine.iter().flat_map(|w| w.to_le_bytes()).collect();
    cpu.load_program(&bytes, PATCH).expect("load");
}

fn memory(cpu: &Cpu) -> Vec<u8> {
    let mut out = vec![0u8; 0x4000 + (DATA_LEN + 0x1000) as usize];
    let (code, data) = out.split_at_mut(0x4000);
    let space: &AddressSpace = &cpu.mem;
    space.read_bytes(0, code).expect("code");
    space.read_bytes(DATA, data).expect("data");
    out
}

/// Run one case; returns the instructions executed, how it stopped and the
/// regions recompiled optimized, or a report.
fn run_case(seed: u64, case: u64) -> Result<(u64, &'static str, u64), String> {
    let mut r = Rng(seed ^ case.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
    let (words, patch) = program(&mut r);
    // Cranelift at once or after a few runs; template code first, then
    // Cranelift (40); template code alone (`ExecMode::TEMPLATES`).
    let threshold = r.pick(&[0u32, 1, 2, 5, 40, u32::MAX]);
    let mut r1 = Rng(r.next() | 1);
    let mut r2 = Rng(r1.0);
    let mut interp = machine(&words, &patch, &mut r1, ExecMode::Interp);
    let mut jit = machine(&words, &patch, &mut r2, ExecMode::Jit { threshold });
    let mut total = 0;
    let mut how = "budget";
    for step in 0..400 {
        let budget = match r.below(8) {
            0 => 1,
            1 => 1000,
            _ => 1 + r.below(40),
        };
        let a = interp.run(budget);
        let b = jit.run(budget);
        total += a.instructions;
        let fail = |what: String| {
            let w: Vec<String> = words.iter().map(|w| format!("{w:#010x}")).collect();
            format!(
                "seed {seed:#x} case {case} step {step} (budget {budget}, threshold {threshold}): {what}\nprogram at {CODE:#x}: [{}]",
                w.join(", ")
            )
        };
        if a.stop != b.stop || a.instructions != b.instructions {
            return Err(fail(format!(
                "interp {:?} after {} vs jit {:?} after {}",
                a.stop, a.instructions, b.stop, b.instructions
            )));
        }
        if interp.state != jit.state {
            return Err(fail(format!(
                "state differs\ninterp {:x?}\njit    {:x?}",
                interp.state, jit.state
            )));
        }
        if memory(&interp) != memory(&jit) {
            return Err(fail("memory differs".into()));
        }
        if a.stop != StopReason::CycleLimit {
            how = a.stop.kind_str();
            break;
        }
        if r.below(16) == 0 {
            // add x0, x0, #imm; ret in a freshly mapped page.
            let routine = [0x9100_0000 | ((r.below(4096) as u32) << 10), 0xd65f_03c0];
            for cpu in [&mut interp, &mut jit] {
                remap_patch(cpu, &routine);
            }
        }
    }
    let upgraded = jit.jit_stats().map_or(0, |s| s.blocks_upgraded);
    Ok((total, how, upgraded))
}

#[test]
fn jit_matches_interpreter_on_random_programs() {
    let cases: u64 = std::env::var("KVRM_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(150);
    let seed: u64 = std::env::var("KVRM_FUZZ_SEED")
        .ok()
        .and_then(|s| u64::from_str_radix(s.trim_start_matches("0x"), 16).ok())
        .unwrap_or(0x5eed_1e55);
    let mut insns = 0;
    let mut upgraded = 0;
    let mut stops = std::collections::BTreeMap::new();
    for case in 0..cases {
        match run_case(seed, case) {
            Ok((n, how, u)) => {
                insns += n;
                upgraded += u;
                *stops.entry(how).or_insert(0) += 1;
            }
            Err(report) => panic!("{report}"),
        }
    }
    println!(
        "{cases} fuzz cases, {insns} instructions, {upgraded} regions recompiled optimized, \
         JIT and interpreter agree; stops {stops:?}"
    );
}
