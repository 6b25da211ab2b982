//! FPToFixed, FixedToFP, FPRoundInt, FPRoundIntN, FPConvert, FPToFixedJS.

use super::*;

/// FPToFixed: `x` times 2^fbits to a `bits`-wide (32/64) integer, saturating.
pub fn to_fixed<T: Fmt>(
    x: u64,
    fbits: u32,
    unsigned: bool,
    bits: u32,
    rmode: u32,
    c: &Ctx,
    fl: &mut u32,
) -> u64 {
    let u = unpack::<T>(x, c.fz, fl);
    let (max, min): (i128, i128) = if unsigned {
        ((1i128 << bits) - 1, 0)
    } else {
        ((1i128 << (bits - 1)) - 1, -(1i128 << (bits - 1)))
    };
    let mask = if bits == 64 {
        u64::MAX
    } else {
        (1u64 << bits) - 1
    };
    let (value, inexact): (i128, bool) = match u.ty {
        Ty::QNaN | Ty::SNaN => {
            *fl |= IOC;
            return 0;
        }
        Ty::Zero => return 0,
        Ty::Inf => (if u.sign { min - 1 } else { max + 1 }, false),
        Ty::Num => {
            let e = u.exp + fbits as i32;
            if e + (64 - u.mant.leading_zeros() as i32) > 64 {
                (if u.sign { min - 1 } else { max + 1 }, false)
            } else {
                let (int, half, sticky) = split_int(u.mant, e);
                let up = round_up_int(rmode, u.sign, int & 1 != 0, half, sticky);
                let mag = int as i128 + up as i128;
                (if u.sign { -mag } else { mag }, half || sticky)
            }
        }
    };
    if value > max {
        *fl |= IOC;
        max as u64 & mask
    } else if value < min {
        *fl |= IOC;
        min as u64 & mask
    } else {
        if inexact {
            *fl |= IXC;
        }
        value as u64 & mask
    }
}

/// FixedToFP: a `bits`-wide integer divided by 2^fbits, rounded to `T`.
pub fn from_fixed<T: Fmt>(
    v: u64,
    fbits: u32,
    unsigned: bool,
    bits: u32,
    c: &Ctx,
    fl: &mut u32,
) -> u64 {
    let v = if bits == 32 { v & 0xffff_ffff } else { v };
    let (sign, mag) = if unsigned {
        (false, v)
    } else {
        let s = if bits == 32 {
            v as u32 as i32 as i64
        } else {
            v as i64
        };
        (s < 0, s.unsigned_abs())
    };
    if mag == 0 {
        return 0;
    }
    round::<T>(sign, -(fbits as i32), mag as u128, c, fl)
}

/// FPRoundInt: round to an integral value in `T` (`exact`: FRINTX/FRINTI-style IXC).
pub fn round_int<T: Fmt>(x: u64, rmode: u32, exact: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let u = unpack::<T>(x, c.fz, fl);
    match u.ty {
        Ty::QNaN | Ty::SNaN => process_nan::<T>(x, u.ty, c.dn, fl),
        Ty::Inf => inf::<T>(u.sign),
        Ty::Zero => zero::<T>(u.sign),
        Ty::Num => {
            if u.exp >= 0 {
                return x & T::MASK;
            }
            let (int, half, sticky) = split_int(u.mant, u.exp);
            let up = round_up_int(rmode, u.sign, int & 1 != 0, half, sticky);
            if exact && (half || sticky) {
                *fl |= IXC;
            }
            let mag = int + up as u64;
            if mag == 0 {
                zero::<T>(u.sign)
            } else {
                round::<T>(u.sign, 0, mag as u128, c, fl)
            }
        }
    }
}

/// FPRoundIntN (FRINT32*/FRINT64*): like `round_int`, but a value outside the
/// `intsize`-bit signed range (or a NaN / infinity) becomes -2^(intsize-1) with IOC.
pub fn round_int_n<T: Fmt>(x: u64, rmode: u32, intsize: u32, c: &Ctx, fl: &mut u32) -> u64 {
    let u = unpack::<T>(x, c.fz, fl);
    // -2^(intsize-1) in format T.
    let big_neg = T::SIGN | (((T::BIAS + intsize as i32 - 1) as u64) << T::F);
    match u.ty {
        Ty::QNaN | Ty::SNaN | Ty::Inf => {
            *fl |= IOC;
            big_neg
        }
        Ty::Zero => zero::<T>(u.sign),
        Ty::Num => {
            let top = u.exp + 64 - u.mant.leading_zeros() as i32; // value < 2^top
            let (mag, inexact) = if top > intsize as i32 {
                (u128::MAX, false)
            } else {
                let (int, half, sticky) = split_int(u.mant, u.exp);
                let up = round_up_int(rmode, u.sign, int & 1 != 0, half, sticky);
                (int as u128 + up as u128, half || sticky)
            };
            let limit = 1u128 << (intsize - 1);
            let overflow = if u.sign { mag > limit } else { mag >= limit };
            if overflow {
                *fl |= IOC;
                return big_neg;
            }
            if inexact {
                *fl |= IXC;
            }
            if mag == 0 {
                zero::<T>(u.sign)
            } else {
                round::<T>(u.sign, 0, mag, c, fl)
            }
        }
    }
}

/// FPConvert between formats (FCVT, FCVTL, FCVTN, FCVTXN with `rmode` = RO).
pub fn convert<Fr: Fmt, To: Fmt>(x: u64, rmode: u32, fpcr: u64, fl: &mut u32) -> u64 {
    let ahp = fpcr_ahp(fpcr);
    let dn = fpcr_dn(fpcr);
    let fz = fpcr_fz(fpcr);
    let u = if Fr::HALF && ahp && (x >> Fr::F) & Fr::EMAX == Fr::EMAX {
        // Alternative half precision: the top exponent is an ordinary one.
        Up {
            ty: Ty::Num,
            sign: x & Fr::SIGN != 0,
            exp: Fr::EMAX as i32 - Fr::BIAS - Fr::F as i32,
            mant: (x & Fr::FRAC) | (1u64 << Fr::F),
        }
    } else {
        unpack::<Fr>(x, fz && !Fr::HALF, fl)
    };
    let alt_out = To::HALF && ahp;
    match u.ty {
        Ty::QNaN | Ty::SNaN => {
            if alt_out {
                *fl |= IOC;
                return zero::<To>(u.sign);
            }
            if u.ty == Ty::SNaN {
                *fl |= IOC;
            }
            if dn {
                return To::DNAN;
            }
            let frac = x & Fr::FRAC;
            let frac = if To::F >= Fr::F {
                frac << (To::F - Fr::F)
            } else {
                frac >> (Fr::F - To::F)
            };
            zero::<To>(u.sign) | To::INF | To::QUIET | frac
        }
        Ty::Inf => {
            if alt_out {
                *fl |= IOC;
                return zero::<To>(u.sign) | To::ABS;
            }
            inf::<To>(u.sign)
        }
        Ty::Zero => zero::<To>(u.sign),
        Ty::Num => {
            let c = Ctx {
                rmode,
                fz: fz && !To::HALF,
                dn,
                ahp: alt_out,
            };
            round::<To>(u.sign, u.exp, u.mant as u128, &c, fl)
        }
    }
}

/// FPToFixedJS (FJCVTZS): the double `x` truncated, modulo 2^32, and the Z flag.
pub fn to_int32_js(x: u64, c: &Ctx, fl: &mut u32) -> (u64, bool) {
    let u = unpack::<D>(x, c.fz, fl);
    match u.ty {
        Ty::QNaN | Ty::SNaN => {
            *fl |= IOC;
            (0, false)
        }
        Ty::Inf => {
            *fl |= IOC;
            (0, false)
        }
        Ty::Zero => {
            // -0.0 and flushed denormals are not exactly +0.
            let z = !u.sign && x & D::ABS == 0;
            (0, z)
        }
        Ty::Num => {
            let top = u.exp + 64 - u.mant.leading_zeros() as i32;
            let (int, inexact) = if u.exp >= 0 {
                (if u.exp >= 64 { 0 } else { u.mant << u.exp }, false)
            } else {
                let (int, half, sticky) = split_int(u.mant, u.exp);
                (int, half || sticky)
            };
            let mag = int as u32;
            let r = if u.sign { mag.wrapping_neg() } else { mag };
            let limit = if u.sign { 1u64 << 31 } else { (1u64 << 31) - 1 };
            let overflow = top > 64 || int > limit;
            if overflow {
                *fl |= IOC;
                (r as u64, false)
            } else if inexact {
                *fl |= IXC;
                (r as u64, false)
            } else {
                (r as u64, true)
            }
        }
    }
}
