//! The Cryptographic Extension (the `crypto` class): SHA-512's rounds and
//! schedule updates and the SHA-3 helpers (EOR3, BCAX, RAX1, XAR) are 64-bit
//! arithmetic on the registers' halves, SHA-256's four rounds and schedule
//! updates 32-bit arithmetic on their words (zero-extended in 64-bit
//! values), and are lifted; the AES instructions (table lookups) and SHA-1's
//! are an `Exec` of the interpreter's handler, as in `simd`.

use kvrm_isa::decode::{bits, rd, rm, rn};

use super::simd::{exec, halves, put};
use super::{Lifted, Lifter};
use crate::block::Value;
use crate::opcodes::Op;

pub(crate) fn lift(l: &mut Lifter, name: &str, w: u32) -> Lifted {
    match name {
        "SHA512H" | "SHA512H2" | "SHA512SU0" | "SHA512SU1" => sha512(l, name, w),
        "EOR3" | "BCAX" | "RAX1" | "XAR" => sha3(l, name, w),
        "SHA256H" | "SHA256H2" => sha256h(l, name == "SHA256H2", w),
        "SHA256SU0" | "SHA256SU1" => sha256su(l, name == "SHA256SU1", w),
        _ => exec(l, w),
    }
}

/// The XOR of `x` shifted by each of `terms` ((Ror, Ror32 or Lshr, amount)):
/// SHA-512's and SHA-256's Σ and σ functions.
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
    let out = [(n.0, m.0, a.0), (n.1, m.1, a.1)].map(|(x, y, z)| {
        match name {
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
        }
    });
    put(l, rd(w), true, out[0], out[1]);
    Lifted::Next
}

/// The four 32-bit words of Vn, word 0 the least significant.
fn words(l: &mut Lifter, n: u32) -> [Value; 4] {
    let (lo, hi) = halves(l, n);
    let w0 = l.un(Op::Zext32, lo);
    let w1 = l.bin_c(Op::Lshr, lo, 32);
    let w2 = l.un(Op::Zext32, hi);
    let w3 = l.bin_c(Op::Lshr, hi, 32);
    [w0, w1, w2, w3]
}

/// Vd = the four 32-bit words `r` (each zero-extended).
fn put_words(l: &mut Lifter, d: u32, r: [Value; 4]) {
    let w1 = l.bin_c(Op::Shl, r[1], 32);
    let lo = l.bin(Op::Or, r[0], w1);
    let w3 = l.bin_c(Op::Shl, r[3], 32);
    let hi = l.bin(Op::Or, r[2], w3);
    put(l, d, true, lo, hi);
}

/// The 32-bit sum of zero-extended words.
fn add32(l: &mut Lifter, terms: &[Value]) -> Value {
    let mut acc = terms[0];
    for &t in &terms[1..] {
        acc = l.bin(Op::Add, acc, t);
    }
    l.un(Op::Zext32, acc)
}

/// SHA256H (abcd = Vd, efgh = Vn) and SHA256H2 (abcd = Vn, efgh = Vd): four
/// rounds with the words of Vm; SHA256H keeps the new abcd, SHA256H2 efgh.
fn sha256h(l: &mut Lifter, part2: bool, w: u32) -> Lifted {
    let (xr, yr) = if part2 {
        (rn(w), rd(w))
    } else {
        (rd(w), rn(w))
    };
    let mut x = words(l, xr);
    let mut y = words(l, yr);
    let wk = words(l, rm(w));
    for &wk_e in &wk {
        // choose(y0, y1, y2) as ((y1 ^ y2) & y0) ^ y2: no bits above 32.
        let t = l.bin(Op::Xor, y[1], y[2]);
        let t = l.bin(Op::And, t, y[0]);
        let chs = l.bin(Op::Xor, t, y[2]);
        // majority(x0, x1, x2) as (x0 & x1) | ((x0 | x1) & x2).
        let a = l.bin(Op::And, x[0], x[1]);
        let o = l.bin(Op::Or, x[0], x[1]);
        let o = l.bin(Op::And, o, x[2]);
        let maj = l.bin(Op::Or, a, o);
        let s1 = sigma(l, y[0], [(Op::Ror32, 6), (Op::Ror32, 11), (Op::Ror32, 25)]);
        let t = add32(l, &[y[3], s1, chs, wk_e]);
        let x3 = add32(l, &[t, x[3]]);
        let s0 = sigma(l, x[0], [(Op::Ror32, 2), (Op::Ror32, 13), (Op::Ror32, 22)]);
        let y3 = add32(l, &[t, s0, maj]);
        // <Y, X> = ROL(Y:X, 32) over 256 bits.
        (x, y) = ([y3, x[0], x[1], x[2]], [x3, y[0], y[1], y[2]]);
    }
    put_words(l, rd(w), if part2 { y } else { x });
    Lifted::Next
}

/// SHA256SU0 (Vd += σ0 of Vn<31:0> : Vd<127:32>, word by word) and
/// SHA256SU1 (Vd += Vm<31:0> : Vn<127:32> + σ1 of Vm's words 2 and 3, then
/// of the two words just computed).
fn sha256su(l: &mut Lifter, su1: bool, w: u32) -> Lifted {
    let d = words(l, rd(w));
    let n = words(l, rn(w));
    let mut r = d;
    if su1 {
        let m = words(l, rm(w));
        let t0 = [n[1], n[2], n[3], m[0]];
        for e in 0..4 {
            let w2 = if e < 2 { m[e + 2] } else { r[e - 2] };
            let s = sigma(l, w2, [(Op::Ror32, 17), (Op::Ror32, 19), (Op::Lshr, 10)]);
            r[e] = add32(l, &[s, d[e], t0[e]]);
        }
    } else {
        let t = [d[1], d[2], d[3], n[0]];
        for e in 0..4 {
            let s = sigma(l, t[e], [(Op::Ror32, 7), (Op::Ror32, 18), (Op::Lshr, 3)]);
            r[e] = add32(l, &[s, d[e]]);
        }
    }
    put_words(l, rd(w), r);
    Lifted::Next
}
