//! Architectural floating point (the Arm ARM's FPUnpack / FPRound / FPProcessNaNs
//! and the operations built on them), as pure functions on raw bits.
//!
//! Every operation is exact integer arithmetic on unpacked significands followed
//! by one rounding step (`round`), so every FPCR rounding mode, FZ/FZ16, DN and
//! every FPSR cumulative flag comes out as the pseudocode says. The functions
//! are generic over the format (`H`, `S`, `D`), take the operands as bits in
//! the low bits of a `u64` and return the result bits; FPSR flags are OR-ed into
//! `fl` (FPSR bit positions). The same code is meant to be ported to CUDA.

pub mod arith;
pub mod convert;
pub mod estimate;
pub mod fast;

pub use arith::*;
pub use convert::*;
pub use estimate::*;

/// FPSR cumulative flag bits.
pub const IOC: u32 = 1 << 0;
pub const DZC: u32 = 1 << 1;
pub const OFC: u32 = 1 << 2;
pub const UFC: u32 = 1 << 3;
pub const IXC: u32 = 1 << 4;
pub const IDC: u32 = 1 << 7;

/// Rounding modes: FPCR.RMode values 0-3, then the two that only instructions name.
pub const RN: u32 = 0;
pub const RP: u32 = 1;
pub const RM: u32 = 2;
pub const RZ: u32 = 3;
/// Round to nearest, ties away from zero (FRINTA, FCVTA*).
pub const RA: u32 = 4;
/// Round to odd (FCVTXN).
pub const RO: u32 = 5;

const FPCR_AHP: u64 = 1 << 26;
const FPCR_DN: u64 = 1 << 25;
const FPCR_FZ: u64 = 1 << 24;
const FPCR_FZ16: u64 = 1 << 19;

/// A floating-point format: `E` exponent bits, `F` fraction bits.
pub trait Fmt {
    const E: u32;
    const F: u32;
    /// Half precision (FZ16 instead of FZ, no IDC on input flush).
    const HALF: bool;
    const N: u32 = 1 + Self::E + Self::F;
    const BIAS: i32 = (1 << (Self::E - 1)) - 1;
    const EMAX: u64 = (1 << Self::E) - 1;
    const SIGN: u64 = 1 << (Self::N - 1);
    const ABS: u64 = Self::SIGN - 1;
    const MASK: u64 = Self::SIGN | Self::ABS;
    const FRAC: u64 = (1 << Self::F) - 1;
    const QUIET: u64 = 1 << (Self::F - 1);
    const INF: u64 = Self::EMAX << Self::F;
    const DNAN: u64 = Self::INF | Self::QUIET;
    const MAXNORM: u64 = Self::INF - 1;
}

/// Half precision.
pub struct H;
/// Single precision.
pub struct S;
/// Double precision.
pub struct D;

impl Fmt for H {
    const E: u32 = 5;
    const F: u32 = 10;
    const HALF: bool = true;
}
impl Fmt for S {
    const E: u32 = 8;
    const F: u32 = 23;
    const HALF: bool = false;
}
impl Fmt for D {
    const E: u32 = 11;
    const F: u32 = 52;
    const HALF: bool = false;
}

/// The FPCR fields one operation uses.
#[derive(Clone, Copy, Debug)]
pub struct Ctx {
    pub rmode: u32,
    /// Flush denormal inputs and tiny results to zero.
    pub fz: bool,
    pub dn: bool,
    /// Alternative half precision for a half result (conversions only).
    pub ahp: bool,
}

impl Ctx {
    /// The context of an arithmetic operation on format `T` under `fpcr`.
    #[inline(always)]
    pub fn new<T: Fmt>(fpcr: u64) -> Ctx {
        Ctx {
            rmode: ((fpcr >> 22) & 3) as u32,
            fz: fpcr & if T::HALF { FPCR_FZ16 } else { FPCR_FZ } != 0,
            dn: fpcr & FPCR_DN != 0,
            ahp: false,
        }
    }

    #[inline(always)]
    pub fn with_rmode(mut self, rmode: u32) -> Ctx {
        self.rmode = rmode;
        self
    }
}

/// FPType.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Zero,
    Num,
    Inf,
    QNaN,
    SNaN,
}

/// An unpacked operand: value = (-1)^sign * mant * 2^exp for `Num`.
#[derive(Clone, Copy, Debug)]
pub struct Up {
    pub ty: Ty,
    pub sign: bool,
    pub exp: i32,
    pub mant: u64,
}

impl Up {
    #[inline(always)]
    pub fn is_nan(&self) -> bool {
        matches!(self.ty, Ty::QNaN | Ty::SNaN)
    }
}

/// FPUnpack: classify `x`; a denormal under `fz` becomes zero (IDC unless half).
#[inline(always)]
pub fn unpack<T: Fmt>(x: u64, fz: bool, fl: &mut u32) -> Up {
    let sign = x & T::SIGN != 0;
    let e = (x >> T::F) & T::EMAX;
    let f = x & T::FRAC;
    let (ty, exp, mant) = if e == 0 {
        if f == 0 {
            (Ty::Zero, 0, 0)
        } else if fz {
            if !T::HALF {
                *fl |= IDC;
            }
            (Ty::Zero, 0, 0)
        } else {
            (Ty::Num, 1 - T::BIAS - T::F as i32, f)
        }
    } else if e == T::EMAX {
        if f == 0 {
            (Ty::Inf, 0, 0)
        } else if f & T::QUIET != 0 {
            (Ty::QNaN, 0, 0)
        } else {
            (Ty::SNaN, 0, 0)
        }
    } else {
        (
            Ty::Num,
            e as i32 - T::BIAS - T::F as i32,
            f | (1u64 << T::F),
        )
    };
    Up {
        ty,
        sign,
        exp,
        mant,
    }
}

#[inline(always)]
pub fn zero<T: Fmt>(sign: bool) -> u64 {
    if sign {
        T::SIGN
    } else {
        0
    }
}

#[inline(always)]
pub fn inf<T: Fmt>(sign: bool) -> u64 {
    zero::<T>(sign) | T::INF
}

/// FPProcessNaN.
#[inline(always)]
pub fn process_nan<T: Fmt>(x: u64, ty: Ty, dn: bool, fl: &mut u32) -> u64 {
    if ty == Ty::SNaN {
        *fl |= IOC;
    }
    if dn {
        T::DNAN
    } else {
        (x & T::MASK) | T::QUIET
    }
}

/// FPProcessNaNs: signalling NaNs first, then quiet ones, first operand first.
#[inline(always)]
pub fn process_nans2<T: Fmt>(
    a: u64,
    ua: &Up,
    b: u64,
    ub: &Up,
    dn: bool,
    fl: &mut u32,
) -> Option<u64> {
    if ua.ty == Ty::SNaN {
        Some(process_nan::<T>(a, ua.ty, dn, fl))
    } else if ub.ty == Ty::SNaN {
        Some(process_nan::<T>(b, ub.ty, dn, fl))
    } else if ua.ty == Ty::QNaN {
        Some(process_nan::<T>(a, ua.ty, dn, fl))
    } else if ub.ty == Ty::QNaN {
        Some(process_nan::<T>(b, ub.ty, dn, fl))
    } else {
        None
    }
}

/// FPProcessNaNs3.
#[inline(always)]
pub fn process_nans3<T: Fmt>(ops: [(u64, &Up); 3], dn: bool, fl: &mut u32) -> Option<u64> {
    for (x, u) in ops {
        if u.ty == Ty::SNaN {
            return Some(process_nan::<T>(x, u.ty, dn, fl));
        }
    }
    for (x, u) in ops {
        if u.ty == Ty::QNaN {
            return Some(process_nan::<T>(x, u.ty, dn, fl));
        }
    }
    None
}

/// Shift right, OR-ing every bit shifted out into bit 0 (sticky).
#[inline(always)]
pub fn shr_jam(x: u128, d: u32) -> u128 {
    if d == 0 {
        x
    } else if d >= 128 {
        (x != 0) as u128
    } else {
        (x >> d) | ((x & ((1u128 << d) - 1)) != 0) as u128
    }
}

/// FPRound / FPRoundBase: round (-1)^sign * mant * 2^exp (mant != 0; a set bit 0
/// may stand for lost nonzero bits far below the rounding point) to format `T`.
pub fn round<T: Fmt>(sign: bool, exp: i32, mant: u128, c: &Ctx, fl: &mut u32) -> u64 {
    debug_assert!(mant != 0);
    let lz = mant.leading_zeros() as i32;
    let m = mant << lz;
    let e = exp - lz; // value = m * 2^e, m in [2^127, 2^128)
    let exponent = e + 127;
    let min_exp = 1 - T::BIAS;
    let s = zero::<T>(sign);
    if c.fz && exponent < min_exp {
        *fl |= UFC;
        return s;
    }
    let mut biased = (exponent - min_exp + 1).max(0) as u64;
    let lsb_exp = exponent.max(min_exp) - T::F as i32;
    let shift = (lsb_exp - e) as u32;
    let (mut im, half, sticky) = if shift >= 129 {
        (0u64, false, true)
    } else if shift == 128 {
        (0u64, true, (m << 1) != 0)
    } else {
        (
            (m >> shift) as u64,
            (m >> (shift - 1)) & 1 != 0,
            m & ((1u128 << (shift - 1)) - 1) != 0,
        )
    };
    let inexact = half || sticky;
    if biased == 0 && inexact {
        *fl |= UFC;
    }
    let (up, ovf_inf) = match c.rmode {
        RN => (half && (sticky || im & 1 != 0), true),
        RP => (inexact && !sign, !sign),
        RM => (inexact && sign, sign),
        RA => (half, true),
        _ => (false, false),
    };
    if c.rmode == RO && inexact {
        im |= 1;
    }
    if up {
        im += 1;
        if im == 1u64 << T::F {
            biased = 1;
        }
        if im == 1u64 << (T::F + 1) {
            biased += 1;
            im >>= 1;
        }
    }
    if c.ahp {
        if biased > T::EMAX {
            *fl |= IOC;
            return s | T::ABS;
        }
    } else if biased >= T::EMAX {
        *fl |= OFC | IXC;
        return s | if ovf_inf { T::INF } else { T::MAXNORM };
    }
    if inexact {
        *fl |= IXC;
    }
    s | (biased << T::F) | (im & T::FRAC)
}

/// Magnitude rounding decision for conversions to integral values: whether to
/// add one to the truncated magnitude (`odd` = its lowest bit).
#[inline(always)]
pub fn round_up_int(rmode: u32, sign: bool, odd: bool, half: bool, sticky: bool) -> bool {
    let inexact = half || sticky;
    match rmode {
        RN => half && (sticky || odd),
        RP => inexact && !sign,
        RM => inexact && sign,
        RA => half,
        _ => false,
    }
}

/// Split mant * 2^exp (exp < 0) into its integral magnitude and the round/sticky bits.
#[inline(always)]
pub fn split_int(mant: u64, exp: i32) -> (u64, bool, bool) {
    if exp >= 0 {
        return (mant << exp, false, false);
    }
    let sh = (-exp) as u32;
    if sh > 64 {
        (0, false, mant != 0)
    } else if sh == 64 {
        (0, mant >> 63 != 0, mant << 1 != 0)
    } else {
        (
            mant >> sh,
            (mant >> (sh - 1)) & 1 != 0,
            mant & ((1u64 << (sh - 1)) - 1) != 0,
        )
    }
}

/// Split the FPCR word as the executors see it.
#[inline(always)]
pub fn fpcr_ahp(fpcr: u64) -> bool {
    fpcr & FPCR_AHP != 0
}

#[inline(always)]
pub fn fpcr_fz(fpcr: u64) -> bool {
    fpcr & FPCR_FZ != 0
}

#[inline(always)]
pub fn fpcr_dn(fpcr: u64) -> bool {
    fpcr & FPCR_DN != 0
}

#[cfg(test)]
mod tests;
