//! Lifter shape tests (semantics are checked against the interpreter by the
//! JIT's oracle replay and differential fuzzer in kvrm-cpu).

use super::*;
use crate::opt::{optimize, verify};

fn lift_words(words: &[u32]) -> Block {
    lift_block(0x1000, 64, |pc| {
        words.get(((pc - 0x1000) / 4) as usize).copied()
    })
    .expect("lifts")
}

#[test]
fn tight_loop_lifts_without_fallbacks_and_flags_fold_to_one() {
    // add x1, x1, #1; subs x0, x0, #1; b.ne .-8
    let mut b = lift_words(&[0x9100_0421, 0xf100_0400, 0x54ff_ffc1]);
    assert_eq!(b.guest_len, 3);
    assert_eq!(verify(&b), Ok(()));
    assert!(!b.insts.iter().any(|i| i.op == Op::Fallback));
    optimize(&mut b);
    assert_eq!(verify(&b), Ok(()), "{b}");
    assert!(!b.insts.iter().any(|i| i.op == Op::GetNzcv), "{b}");
    let last = b.insts.last().copied().expect("terminator");
    assert_eq!(last.op, Op::ExitCond);
    assert_eq!(last.args[1], Arg::Imm(0x1000));
    assert_eq!(last.args[2], Arg::Imm(0x100c));
}

#[test]
fn unknown_instructions_fall_back_and_blocks_end_at_the_page() {
    // adc x2, x1, x1 (not lifted), then nops to the end of the page.
    let b = lift_block(0x1ff8, 64, |pc| {
        Some(if pc == 0x1ff8 {
            0x9a01_0022
        } else {
            0xd503_201f
        })
    })
    .expect("lifts");
    assert_eq!(b.guest_len, 2);
    assert_eq!(b.insts[1].op, Op::Fallback);
    assert_eq!(b.insts.last().map(|i| i.args[0]), Some(Arg::Imm(0x2000)));
}

#[test]
fn reserved_encodings_fall_back() {
    // and w0, w1, #imm with N = 1 (reserved for 32 bits); movn with opc 01.
    for w in [0x1240_0020u32, 0x3280_0000] {
        let b = lift_words(&[w, 0xd420_0000]);
        assert_eq!(b.insts[1].op, Op::Fallback, "{w:#x}: {b}");
    }
}

#[test]
fn loads_stores_and_pairs_lift() {
    // ldr x2, [x1, #8]; str w2, [x1], #4; ldp x3, x4, [sp, #16]!; stp w1, w2, [x0];
    // ldrsb w5, [x1, x2, lsl #0]; ret
    let words = [
        0xf940_0422,
        0xb800_4422,
        0xa9c1_13e3,
        0x2900_0801,
        0x38e2_6825,
        0xd65f_03c0,
    ];
    let mut b = lift_words(&words);
    assert_eq!(b.guest_len, 6);
    assert!(!b.insts.iter().any(|i| i.op == Op::Fallback), "{b}");
    optimize(&mut b);
    let loads = b
        .insts
        .iter()
        .filter(|i| matches!(i.op, Op::Load | Op::Load128))
        .count();
    let stores = b
        .insts
        .iter()
        .filter(|i| matches!(i.op, Op::Store | Op::Store128))
        .count();
    assert_eq!((loads, stores), (3, 2), "{b}");
}

#[test]
fn fp_and_simd_lift_without_fallbacks() {
    // ldr q0, [x1]; ldp d1, d2, [x1, #16]; fadd d3, d1, d2; fmov x4, d3;
    // scvtf d5, x4; fcmp d5, d3; fcsel d6, d5, d3, gt; add v0.4s, v0.4s, v0.4s;
    // umov w7, v0.s[1]; stp q0, q0, [x1, #32]; str s6, [x1], #4; ret
    let words = [
        0x3dc0_0020,
        0x6d41_0821,
        0x1e62_2823,
        0x9e66_0064,
        0x9e62_0085,
        0x1e63_20a0,
        0x1e63_cca6,
        0x4ea0_8400,
        0x0e0c_3c07,
        0xad01_0020,
        0xbc00_4426,
        0xd65f_03c0,
    ];
    let b = lift_words(&words);
    assert_eq!(b.guest_len, words.len() as u32);
    assert_eq!(b.fallbacks(), 0, "{b}");
    let count = |op| b.insts.iter().filter(|i| i.op == op).count();
    // ADD (vector) is lifted to integer operations; FADD stays an `Exec`.
    assert_eq!(count(Op::Exec), 1, "fadd: {b}");
    assert_eq!(
        count(Op::FpToInt) + count(Op::FpFromInt) + count(Op::FpCmp),
        2,
        "{b}"
    );
    assert_eq!(count(Op::ProbeWrite), 1, "{b}");
    assert_eq!(verify(&b), Ok(()), "{b}");
}

#[test]
fn return_points_are_the_links_of_calls_that_end_blocks() {
    // add x1,x1,#1; bl +0x40: returns to 0x1008.
    assert_eq!(
        lift_words(&[0x9100_0421, 0x9400_0010]).return_point(),
        Some(0x1008)
    );
    // mov x30,#5; b +0x40: X30 is set, but not by a call that ends the block.
    assert_eq!(lift_words(&[0xd280_00be, 0x1400_0010]).return_point(), None);
    // blr x3: returns to 0x1004; ret x30: no return point.
    assert_eq!(lift_words(&[0xd63f_0060]).return_point(), Some(0x1004));
    assert_eq!(lift_words(&[0xd65f_03c0]).return_point(), None);
}
