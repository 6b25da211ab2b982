//! Host-float fast paths for the common case: normal operands and a result
//! far from overflow and underflow. The host's round-to-nearest result plus an
//! exact error term (TwoSum, an FMA residual, or an exact f64 product for
//! single precision) give the inexact flag and the correction for the directed
//! rounding modes. Anything else returns `None` and takes the exact path.
//! The fused multiply-add ([`try_fast_fma_d`]) gets the sign of its rounding
//! error from an exact residual made of error-free transformations, and gives
//! up when that sign is not evident.

use super::*;

pub const K_ADD: u32 = 0;
pub const K_SUB: u32 = 1;
pub const K_MUL: u32 = 2;
pub const K_DIV: u32 = 3;
pub const K_SQRT: u32 = 4;

#[inline(always)]
fn exp_field<T: Fmt>(x: u64) -> u64 {
    (x >> T::F) & T::EMAX
}

/// Round-to-nearest `r` (bits, format `T`, a normal away from the ends of the
/// range) adjusted for `rmode`, given the sign of the exact value minus `r`.
#[inline(always)]
fn directed<T: Fmt>(r: u64, err: i32, rmode: u32, fl: &mut u32) -> u64 {
    if err == 0 {
        return r;
    }
    *fl |= IXC;
    let neg = r & T::SIGN != 0;
    // +1 on the bits moves away from zero, -1 towards zero.
    let away = match rmode {
        RP => err > 0 && !neg,
        RM => err < 0 && neg,
        _ => false,
    };
    let toward = match rmode {
        RP => err > 0 && neg,
        RM => err < 0 && !neg,
        RZ => (err < 0) != neg,
        _ => false,
    };
    if away {
        r + 1
    } else if toward {
        r - 1
    } else {
        r
    }
}

#[inline(always)]
fn sign_of(x: f64) -> i32 {
    (x > 0.0) as i32 - (x < 0.0) as i32
}

/// The fast path of operation `K` on format `T`, if it applies.
#[inline(always)]
pub fn try_fast<T: Fmt, const K: u32>(a: u64, b: u64, rmode: u32, fl: &mut u32) -> Option<u64> {
    if T::N == 64 {
        fast_d::<K>(a, b, rmode, fl)
    } else if T::N == 32 {
        fast_s::<K>(a, b, rmode, fl)
    } else {
        None
    }
}

#[inline(always)]
fn fast_d<const K: u32>(a: u64, b: u64, rmode: u32, fl: &mut u32) -> Option<u64> {
    let (ea, eb) = (exp_field::<D>(a), exp_field::<D>(b));
    let lo = if K == K_ADD || K == K_SUB { 1 } else { 128 };
    if ea < lo || ea >= D::EMAX || (K != K_SQRT && (eb == 0 || eb >= D::EMAX)) {
        return None;
    }
    let (x, y) = (f64::from_bits(a), f64::from_bits(b));
    let (r, err) = match K {
        K_ADD | K_SUB => {
            let y = if K == K_SUB { -y } else { y };
            let s = x + y;
            let bb = s - x;
            (s, sign_of((x - (s - bb)) + (y - bb)))
        }
        K_MUL => {
            let p = x * y;
            (p, sign_of(x.mul_add(y, -p)))
        }
        K_DIV => {
            let q = x / y;
            (q, sign_of((-q).mul_add(y, x)) * sign_of(y))
        }
        _ => {
            if a & D::SIGN != 0 {
                return None;
            }
            let r = x.sqrt();
            (r, -sign_of(r.mul_add(r, -x)))
        }
    };
    let bits = r.to_bits();
    let er = exp_field::<D>(bits);
    if er < lo.max(2) || er >= D::EMAX - 1 {
        return None;
    }
    Some(directed::<D>(bits, err, rmode, fl))
}

#[inline(always)]
fn fast_s<const K: u32>(a: u64, b: u64, rmode: u32, fl: &mut u32) -> Option<u64> {
    let (ea, eb) = (exp_field::<S>(a), exp_field::<S>(b));
    if ea == 0 || ea >= S::EMAX || (K != K_SQRT && (eb == 0 || eb >= S::EMAX)) {
        return None;
    }
    let (x, y) = (f32::from_bits(a as u32), f32::from_bits(b as u32));
    let (r, err) = match K {
        K_ADD | K_SUB => {
            let y = if K == K_SUB { -y } else { y };
            let s = x + y;
            let bb = s - x;
            (s, sign_of(((x - (s - bb)) + (y - bb)) as f64))
        }
        K_MUL => {
            let p = x as f64 * y as f64;
            let r = p as f32;
            (r, sign_of(p - r as f64))
        }
        K_DIV => {
            let q = x / y;
            (
                q,
                sign_of(x as f64 - q as f64 * y as f64) * sign_of(y as f64),
            )
        }
        _ => {
            if a & S::SIGN != 0 {
                return None;
            }
            let r = x.sqrt();
            (r, sign_of(x as f64 - r as f64 * r as f64))
        }
    };
    let bits = r.to_bits() as u64;
    let er = exp_field::<S>(bits);
    if !(2..S::EMAX - 1).contains(&er) {
        return None;
    }
    Some(directed::<S>(bits, err, rmode, fl))
}

/// TwoSum: `s + e` is exactly `a + b` (no overflow).
#[inline(always)]
fn two_sum(a: f64, b: f64) -> (f64, f64) {
    let s = a + b;
    let bb = s - a;
    (s, (a - (s - bb)) + (b - bb))
}

/// FPMulAdd on doubles (`addend + a * b`, one rounding) by the host FMA, when
/// the three operands are normal, the product's exact error term is a
/// double (exponents not too small), nothing overflows and the result is a
/// normal away from the ends of the range. The rounding error V - r of the
/// host result r is then exactly w + u + g + h, four doubles from error-free
/// transformations (the product as p + p_lo, TwoSum of the addend and p,
/// TwoSum of that sum and -r, TwoSum of the two error terms); its sign is the
/// sign of the largest term when that term outweighs twice the others
/// (otherwise `None`: the exact path decides).
#[inline(always)]
pub fn try_fast_fma_d(addend: u64, a: u64, b: u64, rmode: u32, fl: &mut u32) -> Option<u64> {
    let (ea, eb, ec) = (exp_field::<D>(a), exp_field::<D>(b), exp_field::<D>(addend));
    // Normal operands; |addend| < 2^1022; the product's lowest bit is at
    // least 2^(ea+eb-2150) >= 2^-1050 (so its error term is exact) and the
    // product is below 2^1021.
    let lim = D::EMAX - 2;
    if ea == 0 || eb == 0 || ec == 0 || ea >= lim || eb >= lim || ec >= lim {
        return None;
    }
    let ep = ea + eb;
    if !(1100..=3000).contains(&ep) {
        return None;
    }
    let (x, y, z) = (f64::from_bits(a), f64::from_bits(b), f64::from_bits(addend));
    let r = x.mul_add(y, z);
    let bits = r.to_bits();
    let er = exp_field::<D>(bits);
    if !(2..D::EMAX - 1).contains(&er) {
        return None;
    }
    let p = x * y;
    let p_lo = x.mul_add(y, -p);
    let (s, t) = two_sum(z, p);
    let (w, u) = two_sum(s, -r);
    let (g, h) = two_sum(t, p_lo);
    let terms = [w, u, g, h];
    let err = if terms.iter().all(|&v| v == 0.0) {
        0
    } else {
        let mut big = 0;
        for k in 1..4 {
            if terms[k].abs() > terms[big].abs() {
                big = k;
            }
        }
        let rest: f64 = (0..4).filter(|&k| k != big).map(|k| terms[k].abs()).sum();
        if terms[big].abs() <= 2.0 * rest {
            return None;
        }
        sign_of(terms[big])
    };
    Some(directed::<D>(bits, err, rmode, fl))
}
