//! The Cryptographic Extension (the `crypto` class): SHA-512's rounds and
//! schedule updates and the SHA-3 helpers (EOR3, BCAX, RAX1, XAR) are 64-bit
//! arithmetic on the registers' halves and are lifted; the AES, SHA-1 and
//! SHA-256 instructions (table lookups, or four rounds of 32-bit words) are an
//! `Exec` of the interpreter's handler, as in `simd`.

use kvrm_isa::decode::{bits, rd, rm, rn};

use super::simd::{halves, put};
use super::{Lifted, Lifter};
use crate::block::{Arg, Value};
use crate::opcodes::Op;

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    match name {
        "SHA512H" | "SHA512H2" | "SHA512SU0" | "SHA512SU1" => sha512(l, name, w),
        "EOR3" | "BCAX" | "RAX1" | "XAR" => sha3(l, name, w),
        _ => {
            let pc = l.pc;
            l.b.push(Op::Exec, &[Arg::Imm(pc), Arg::Imm(w as u64)]);
            Lifted::Next
        }
    }
}

/// The XOR of `x` shifted by each of `terms` ((Ror or Lshr, amount)):
/// SHA-512's Σ and σ functions.
fn sigma(l: &mut Lifter, x: Value, terms: [(Op, u64); 3]) -> Value {
    let [a, b, c] = terms.map(|(op, k)| l.bin_c(op, x, k));
    let ab = l.bin(Op::Xor, a, b);
    l.bin(Op::Xor, ab, c)
}

fn sum0(l: &mut Lifter, x: Value) -> Value {
    sigma(l, x, [(Op::Ror, 28), (Op::Ror, 34), (Op::Ror, 39)])
}

fn sum1(l: &mut Lifter, x: Value) -> Value {
    sigma(l, x, [(Op::Ror, 14), (Op::Ror, 18), (Op::Ror, 41)])
}

fn sig0(l: &mut Lifter, x: Value) -> Value {
    sigma(l, x, [(Op::Ror, 1), (Op::Ror, 8), (Op::Lshr, 7)])
}

fn sig1(l: &mut Lifter, x: Value) -> Value {
    sigma(l, x, [(Op::Ror, 19), (Op::Ror, 61), (Op::Lshr, 6)])
}

/// (a & b) ^ (!a & c): SHA's choose.
fn choose(l: &mut Lifter, a: Value, b: Value, c: Value) -> Value {
    let ab = l.bin(Op::And, a, b);
    let na = l.un(Op::Not, a);
    let nac = l.bin(Op::And, na, c);
    l.bin(Op::Xor, ab, nac)
}

/// (a & b) ^ (a & c) ^ (b & c): SHA's majority.
fn majority(l: &mut Lifter, a: Value, b: Value, c: Value) -> Value {
    let ab = l.bin(Op::And, a, b);
    let ac = l.bin(Op::And, a, c);
    let bc = l.bin(Op::And, b, c);
    let x = l.bin(Op::Xor, ab, ac);
    l.bin(Op::Xor, x, bc)
}

fn add3(l: &mut Lifter, a: Value, b: Value, c: Value) -> Value {
    let ab = l.bin(Op::Add, a, b);
    l.bin(Op::Add, ab, c)
}

/// SHA512H, SHA512H2, SHA512SU0, SHA512SU1, after the Arm ARM's pseudo-code
/// (X = Vn, Y = Vm, W = Vd, each as (lo, hi)).
fn sha512(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let (xl, xh) = halves(l, rn(w));
    let (wl, wh) = halves(l, rd(w));
    let (lo, hi) = match name {
        "SHA512SU0" => {
            let s = sig0(l, wh);
            let lo = l.bin(Op::Add, wl, s);
            let s = sig0(l, xl);
            (lo, l.bin(Op::Add, wh, s))
        }
        _ => {
            let (yl, yh) = halves(l, rm(w));
            match name {
                "SHA512H" => {
                    let ch = choose(l, yh, xl, xh);
                    let s = sum1(l, yh);
                    let t = l.bin(Op::Add, ch, s);
                    let hi = l.bin(Op::Add, t, wh);
                    let m = l.bin(Op::Add, hi, yl);
                    let ch = choose(l, m, yh, xl);
                    let s = sum1(l, m);
                    (add3(l, ch, s, wl), hi)
                }
                "SHA512H2" => {
                    let maj = majority(l, xl, yh, yl);
                    let s = sum0(l, yl);
                    let hi = add3(l, maj, s, wh);
                    let maj = majority(l, hi, yl, yh);
                    let s = sum0(l, hi);
                    (add3(l, maj, s, wl), hi)
                }
                _ => {
                    // SHA512SU1
                    let s = sig1(l, xh);
                    let hi = add3(l, wh, s, yh);
                    let s = sig1(l, xl);
                    (add3(l, wl, s, yl), hi)
                }
            }
        }
    };
    put(l, rd(w), true, lo, hi);
    Lifted::Next
}

/// EOR3 (Vn ^ Vm ^ Va), BCAX (Vn ^ (Vm & !Va)), RAX1 (Vn ^ Vm rotated left
/// by one, per 64-bit lane), XAR ((Vn ^ Vm) rotated right by imm6).
fn sha3(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    let n = halves(l, rn(w));
    let m = halves(l, rm(w));
    let a = halves(l, bits(w, 10, 5));
    let mut out = [n.0; 2];
    for (i, o) in out.iter_mut().enumerate() {
        let (x, y, z) = if i == 0 {
            (n.0, m.0, a.0)
        } else {
            (n.1, m.1, a.1)
        };
        *o = match name {
            "EOR3" => {
                let t = l.bin(Op::Xor, x, y);
                l.bin(Op::Xor, t, z)
            }
            "BCAX" => {
                let nz = l.un(Op::Not, z);
                let t = l.bin(Op::And, y, nz);
                l.bin(Op::Xor, x, t)
            }
            "RAX1" => {
                let r = l.bin_c(Op::Ror, y, 63);
                l.bin(Op::Xor, x, r)
            }
            _ => {
                // XAR
                let t = l.bin(Op::Xor, x, y);
                l.bin_c(Op::Ror, t, u64::from(bits(w, 10, 6)))
            }
        };
    }
    put(l, rd(w), true, out[0], out[1]);
    Lifted::Next
}
