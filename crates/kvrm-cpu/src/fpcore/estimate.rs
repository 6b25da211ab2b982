//! FPRecipEstimate, FPRSqrtEstimate, FPRecpX.

use super::*;

const M52: u64 = (1 << 52) - 1;

/// RecipEstimate: `a` in 256..512 (0.5 <= x < 1), result in 256..512.
#[inline(always)]
fn recip_estimate(a: u64) -> u64 {
    let a = a * 2 + 1;
    let b = (1u64 << 19) / a;
    b.div_ceil(2)
}

/// RecipSqrtEstimate: `a` in 128..512 (0.25 <= x < 1), result in 256..512.
#[inline(always)]
fn rsqrt_estimate(a: u64) -> u64 {
    let a = if a < 256 {
        a * 2 + 1
    } else {
        (((a >> 1) << 1) + 1) * 2
    };
    let mut b = 512u64;
    while a * (b + 1) * (b + 1) < (1 << 28) {
        b += 1;
    }
    b.div_ceil(2)
}

/// FPRecipEstimate (FRECPE).
pub fn recip_est<T: Fmt>(x: u64, c: &Ctx, fl: &mut u32) -> u64 {
    let u = unpack::<T>(x, c.fz, fl);
    let sign = u.sign;
    match u.ty {
        Ty::QNaN | Ty::SNaN => return process_nan::<T>(x, u.ty, c.dn, fl),
        Ty::Inf => return zero::<T>(sign),
        Ty::Zero => {
            *fl |= DZC;
            return inf::<T>(sign);
        }
        Ty::Num => {}
    }
    // floor(log2 |x|)
    let lg = u.exp + 63 - u.mant.leading_zeros() as i32;
    if lg < -(T::BIAS + 1) {
        let to_inf = match c.rmode {
            RN => true,
            RP => !sign,
            RM => sign,
            _ => false,
        };
        *fl |= OFC | IXC;
        return zero::<T>(sign) | if to_inf { T::INF } else { T::MAXNORM };
    }
    if c.fz && lg >= T::BIAS - 1 {
        *fl |= UFC;
        return zero::<T>(sign);
    }
    let mut fraction = (x & T::FRAC) << (52 - T::F);
    let mut exp = ((x >> T::F) & T::EMAX) as i64;
    if exp == 0 {
        if (fraction >> 51) & 1 == 0 {
            exp = -1;
            fraction = (fraction << 2) & M52;
        } else {
            fraction = (fraction << 1) & M52;
        }
    }
    let scaled = 256 | ((fraction >> 44) & 0xff);
    let mut result_exp = 2 * T::BIAS as i64 - 1 - exp;
    let est = recip_estimate(scaled);
    let mut fraction = (est & 0xff) << 44;
    if result_exp == 0 {
        fraction = (1 << 51) | (fraction >> 1);
    } else if result_exp == -1 {
        fraction = (1 << 50) | (fraction >> 2);
        result_exp = 0;
    }
    zero::<T>(sign) | (((result_exp as u64) & T::EMAX) << T::F) | (fraction >> (52 - T::F))
}

/// FPRSqrtEstimate (FRSQRTE).
pub fn rsqrt_est<T: Fmt>(x: u64, c: &Ctx, fl: &mut u32) -> u64 {
    let u = unpack::<T>(x, c.fz, fl);
    match u.ty {
        Ty::QNaN | Ty::SNaN => return process_nan::<T>(x, u.ty, c.dn, fl),
        Ty::Zero => {
            *fl |= DZC;
            return inf::<T>(u.sign);
        }
        _ if u.sign => {
            *fl |= IOC;
            return T::DNAN;
        }
        Ty::Inf => return 0,
        Ty::Num => {}
    }
    let mut fraction = (x & T::FRAC) << (52 - T::F);
    let mut exp = ((x >> T::F) & T::EMAX) as i64;
    if exp == 0 {
        while (fraction >> 51) & 1 == 0 {
            fraction = (fraction << 1) & M52;
            exp -= 1;
        }
        fraction = (fraction << 1) & M52;
    }
    let scaled = if exp & 1 == 0 {
        256 | ((fraction >> 44) & 0xff)
    } else {
        128 | ((fraction >> 45) & 0x7f)
    };
    let result_exp = (3 * T::BIAS as i64 - 1 - exp) / 2;
    let est = rsqrt_estimate(scaled);
    (((result_exp as u64) & T::EMAX) << T::F) | ((est & 0xff) << (T::F - 8))
}

/// FPRecpX (FRECPX).
pub fn recpx<T: Fmt>(x: u64, c: &Ctx, fl: &mut u32) -> u64 {
    let u = unpack::<T>(x, c.fz, fl);
    if u.is_nan() {
        return process_nan::<T>(x, u.ty, c.dn, fl);
    }
    let exp = (x >> T::F) & T::EMAX;
    let e = if exp == 0 {
        T::EMAX - 1
    } else {
        !exp & T::EMAX
    };
    zero::<T>(u.sign) | (e << T::F)
}
