//! FPAdd, FPSub, FPMul, FPMulX, FPDiv, FPSqrt, FPMulAdd, FPRecipStepFused,
//! FPRSqrtStepFused, FPMax/FPMin(Num), FPCompare*.

use super::*;

/// Exact sum of two nonzero finite values, rounded.
#[inline(always)]
fn add_nums<T: Fmt>(a: &Up, b: &Up, c: &Ctx, fl: &mut u32) -> u64 {
    let (x, ex, sx, y, ey, sy) = if a.exp >= b.exp {
        (a.mant, a.exp, a.sign, b.mant, b.exp, b.sign)
    } else {
        (b.mant, b.exp, b.sign, a.mant, a.exp, a.sign)
    };
    let x = (x as u128) << 72;
    let y = shr_jam((y as u128) << 72, (ex - ey) as u32);
    let (sign, m) = if sx == sy {
        (sx, x + y)
    } else if x >= y {
        (sx, x - y)
    } else {
        (sy, y - x)
    };
    if m == 0 {
        return zero::<T>(c.rmode == RM);
    }
    round::<T>(sign, ex - 72, m, c, fl)
}

/// FPAdd (`neg_b` = false) and FPSub (`neg_b` = true).
#[inline(always)]
pub fn add_sub<T: Fmt>(a: u64, b: u64, neg_b: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let r = if neg_b {
        fast::try_fast::<T, { fast::K_SUB }>(a, b, c.rmode, fl)
    } else {
        fast::try_fast::<T, { fast::K_ADD }>(a, b, c.rmode, fl)
    };
    match r {
        Some(r) => r,
        None => add_sub_exact::<T>(a, b, neg_b, c, fl),
    }
}

/// FPAdd / FPSub without the host fast path.
pub fn add_sub_exact<T: Fmt>(a: u64, b: u64, neg_b: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(a, c.fz, fl);
    let mut ub = unpack::<T>(b, c.fz, fl);
    if let Some(r) = process_nans2::<T>(a, &ua, b, &ub, c.dn, fl) {
        return r;
    }
    ub.sign ^= neg_b;
    match (ua.ty, ub.ty) {
        (Ty::Inf, Ty::Inf) if ua.sign != ub.sign => {
            *fl |= IOC;
            T::DNAN
        }
        (Ty::Inf, _) => inf::<T>(ua.sign),
        (_, Ty::Inf) => inf::<T>(ub.sign),
        (Ty::Zero, Ty::Zero) => {
            if ua.sign == ub.sign {
                zero::<T>(ua.sign)
            } else {
                zero::<T>(c.rmode == RM)
            }
        }
        (Ty::Zero, _) => (b & T::ABS) | zero::<T>(ub.sign),
        (_, Ty::Zero) => a & T::MASK,
        _ => add_nums::<T>(&ua, &ub, c, fl),
    }
}

pub fn add<T: Fmt>(a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    add_sub::<T>(a, b, false, c, fl)
}

pub fn sub<T: Fmt>(a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    add_sub::<T>(a, b, true, c, fl)
}

/// FPMul (`x` = false) and FPMulX (`x` = true: infinity times zero is 2.0).
#[inline(always)]
pub fn mul_x<T: Fmt>(a: u64, b: u64, x: bool, c: &Ctx, fl: &mut u32) -> u64 {
    match fast::try_fast::<T, { fast::K_MUL }>(a, b, c.rmode, fl) {
        Some(r) => r,
        None => mul_x_exact::<T>(a, b, x, c, fl),
    }
}

/// FPMul / FPMulX without the host fast path.
pub fn mul_x_exact<T: Fmt>(a: u64, b: u64, x: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(a, c.fz, fl);
    let ub = unpack::<T>(b, c.fz, fl);
    if let Some(r) = process_nans2::<T>(a, &ua, b, &ub, c.dn, fl) {
        return r;
    }
    let sign = ua.sign ^ ub.sign;
    match (ua.ty, ub.ty) {
        (Ty::Inf, Ty::Zero) | (Ty::Zero, Ty::Inf) => {
            if x {
                zero::<T>(sign) | two::<T>()
            } else {
                *fl |= IOC;
                T::DNAN
            }
        }
        (Ty::Inf, _) | (_, Ty::Inf) => inf::<T>(sign),
        (Ty::Zero, _) | (_, Ty::Zero) => zero::<T>(sign),
        _ => round::<T>(
            sign,
            ua.exp + ub.exp,
            ua.mant as u128 * ub.mant as u128,
            c,
            fl,
        ),
    }
}

pub fn mul<T: Fmt>(a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    mul_x::<T>(a, b, false, c, fl)
}

pub fn mulx<T: Fmt>(a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    mul_x::<T>(a, b, true, c, fl)
}

#[inline(always)]
fn two<T: Fmt>() -> u64 {
    ((T::BIAS as u64) + 1) << T::F
}

/// FPDiv.
#[inline(always)]
pub fn div<T: Fmt>(a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    match fast::try_fast::<T, { fast::K_DIV }>(a, b, c.rmode, fl) {
        Some(r) => r,
        None => div_exact::<T>(a, b, c, fl),
    }
}

/// FPDiv without the host fast path.
pub fn div_exact<T: Fmt>(a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(a, c.fz, fl);
    let ub = unpack::<T>(b, c.fz, fl);
    if let Some(r) = process_nans2::<T>(a, &ua, b, &ub, c.dn, fl) {
        return r;
    }
    let sign = ua.sign ^ ub.sign;
    match (ua.ty, ub.ty) {
        (Ty::Inf, Ty::Inf) | (Ty::Zero, Ty::Zero) => {
            *fl |= IOC;
            T::DNAN
        }
        (Ty::Inf, _) => inf::<T>(sign),
        (_, Ty::Zero) => {
            *fl |= DZC;
            inf::<T>(sign)
        }
        (Ty::Zero, _) | (_, Ty::Inf) => zero::<T>(sign),
        _ => {
            let la = ua.mant.leading_zeros();
            let lb = ub.mant.leading_zeros();
            let ma = ((ua.mant << la) as u128) << 64;
            let mb = (ub.mant << lb) as u128;
            let q = ma / mb;
            let r = ma % mb;
            let exp = (ua.exp - la as i32 - 64) - (ub.exp - lb as i32);
            round::<T>(sign, exp, q | (r != 0) as u128, c, fl)
        }
    }
}

/// Integer square root (floor).
#[inline]
fn isqrt(m: u128) -> u128 {
    let mut r = (m as f64).sqrt() as u128;
    if r == 0 {
        r = 1;
    }
    r = (r + m / r) >> 1;
    while r * r > m {
        r -= 1;
    }
    while (r + 1) * (r + 1) <= m {
        r += 1;
    }
    r
}

/// FPSqrt.
#[inline(always)]
pub fn sqrt<T: Fmt>(a: u64, c: &Ctx, fl: &mut u32) -> u64 {
    match fast::try_fast::<T, { fast::K_SQRT }>(a, 0, c.rmode, fl) {
        Some(r) => r,
        None => sqrt_exact::<T>(a, c, fl),
    }
}

/// FPSqrt without the host fast path.
pub fn sqrt_exact<T: Fmt>(a: u64, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(a, c.fz, fl);
    match ua.ty {
        Ty::QNaN | Ty::SNaN => process_nan::<T>(a, ua.ty, c.dn, fl),
        Ty::Zero => zero::<T>(ua.sign),
        _ if ua.sign => {
            *fl |= IOC;
            T::DNAN
        }
        Ty::Inf => T::INF,
        Ty::Num => {
            let m = ua.mant as u128;
            let mut sh = m.leading_zeros() as i32 - 2;
            if (ua.exp - sh) & 1 != 0 {
                sh -= 1;
            }
            let m = m << sh;
            let r = isqrt(m);
            let exp = (ua.exp - sh) / 2;
            round::<T>(false, exp, r | (r * r != m) as u128, c, fl)
        }
    }
}

/// Round (-1)^sp * mp * 2^ep + (-1)^sa * ma * 2^ea (both nonzero), times 2^adj.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn fused<T: Fmt>(
    sp: bool,
    ep: i32,
    mp: u128,
    sa: bool,
    ea: i32,
    ma: u128,
    adj: i32,
    c: &Ctx,
    fl: &mut u32,
) -> u64 {
    let lp = mp.leading_zeros() as i32 - 2;
    let la = ma.leading_zeros() as i32 - 2;
    let (xp, xe) = (mp << lp, ep - lp);
    let (ya, ye) = (ma << la, ea - la);
    let (x, ex, sx, y, ey, sy) = if xe >= ye {
        (xp, xe, sp, ya, ye, sa)
    } else {
        (ya, ye, sa, xp, xe, sp)
    };
    let y = shr_jam(y, (ex - ey).min(200) as u32);
    let (sign, m) = if sx == sy {
        (sx, x + y)
    } else if x >= y {
        (sx, x - y)
    } else {
        (sy, y - x)
    };
    if m == 0 {
        return zero::<T>(c.rmode == RM);
    }
    round::<T>(sign, ex + adj, m, c, fl)
}

/// FPMulAdd: addend + op1 * op2 with one rounding.
#[inline(always)]
pub fn muladd<T: Fmt>(addend: u64, op1: u64, op2: u64, c: &Ctx, fl: &mut u32) -> u64 {
    if T::N == 64 {
        if let Some(r) = fast::try_fast_fma_d(addend, op1, op2, c.rmode, fl) {
            return r;
        }
    }
    muladd_exact::<T>(addend, op1, op2, c, fl)
}

/// FPMulAdd without the host fast path.
pub fn muladd_exact<T: Fmt>(addend: u64, op1: u64, op2: u64, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(addend, c.fz, fl);
    let u1 = unpack::<T>(op1, c.fz, fl);
    let u2 = unpack::<T>(op2, c.fz, fl);
    let inf1 = u1.ty == Ty::Inf;
    let inf2 = u2.ty == Ty::Inf;
    let zero1 = u1.ty == Ty::Zero;
    let zero2 = u2.ty == Ty::Zero;
    let inf_times_zero = (inf1 && zero2) || (zero1 && inf2);
    let nan = process_nans3::<T>([(addend, &ua), (op1, &u1), (op2, &u2)], c.dn, fl);
    if ua.ty == Ty::QNaN && inf_times_zero {
        *fl |= IOC;
        return T::DNAN;
    }
    if let Some(r) = nan {
        return r;
    }
    let sp = u1.sign ^ u2.sign;
    let infp = inf1 || inf2;
    let zerop = zero1 || zero2;
    let infa = ua.ty == Ty::Inf;
    let zeroa = ua.ty == Ty::Zero;
    if inf_times_zero || (infa && infp && ua.sign != sp) {
        *fl |= IOC;
        return T::DNAN;
    }
    if (infa && !ua.sign) || (infp && !sp) {
        return T::INF;
    }
    if infa || infp {
        return inf::<T>(true);
    }
    if zeroa && zerop {
        return zero::<T>(if ua.sign == sp { sp } else { c.rmode == RM });
    }
    if zerop {
        return addend & T::MASK;
    }
    let mp = u1.mant as u128 * u2.mant as u128;
    if zeroa {
        return round::<T>(sp, u1.exp + u2.exp, mp, c, fl);
    }
    fused::<T>(
        sp,
        u1.exp + u2.exp,
        mp,
        ua.sign,
        ua.exp,
        ua.mant as u128,
        0,
        c,
        fl,
    )
}

/// FPRecipStepFused (`rsqrt` = false: 2 - a*b) and FPRSqrtStepFused ((3 - a*b) / 2).
pub fn step_fused<T: Fmt>(a: u64, b: u64, rsqrt: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let a = a ^ T::SIGN;
    let u1 = unpack::<T>(a, c.fz, fl);
    let u2 = unpack::<T>(b, c.fz, fl);
    if let Some(r) = process_nans2::<T>(a, &u1, b, &u2, c.dn, fl) {
        return r;
    }
    let (inf1, inf2) = (u1.ty == Ty::Inf, u2.ty == Ty::Inf);
    let (zero1, zero2) = (u1.ty == Ty::Zero, u2.ty == Ty::Zero);
    // 2.0, or 1.5 for the rsqrt step.
    let constant = if rsqrt {
        ((T::BIAS as u64) << T::F) | (1u64 << (T::F - 1))
    } else {
        two::<T>()
    };
    // Infinity times zero gives the constant too, as does any zero product.
    if zero1 || zero2 {
        return constant;
    }
    if inf1 || inf2 {
        return inf::<T>(u1.sign ^ u2.sign);
    }
    let (ea, ma) = if rsqrt { (0, 3u128) } else { (1, 1u128) };
    fused::<T>(
        u1.sign ^ u2.sign,
        u1.exp + u2.exp,
        u1.mant as u128 * u2.mant as u128,
        false,
        ea,
        ma,
        if rsqrt { -1 } else { 0 },
        c,
        fl,
    )
}

/// Ordering key of a non-NaN operand (flushed denormals compare as zero).
#[inline(always)]
fn key<T: Fmt>(x: u64, u: &Up) -> i64 {
    if u.ty == Ty::Zero {
        0
    } else {
        let m = (x & T::ABS) as i64;
        if u.sign {
            -m
        } else {
            m
        }
    }
}

/// FPMax / FPMin.
pub fn max_min<T: Fmt>(a: u64, b: u64, is_max: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(a, c.fz, fl);
    let ub = unpack::<T>(b, c.fz, fl);
    if let Some(r) = process_nans2::<T>(a, &ua, b, &ub, c.dn, fl) {
        return r;
    }
    let (ka, kb) = (key::<T>(a, &ua), key::<T>(b, &ub));
    let pick_a = if is_max { ka > kb } else { ka < kb };
    let (x, u) = if pick_a { (a, &ua) } else { (b, &ub) };
    match u.ty {
        Ty::Zero => {
            let s = if is_max {
                ua.sign && ub.sign
            } else {
                ua.sign || ub.sign
            };
            zero::<T>(s)
        }
        _ => x & T::MASK,
    }
}

/// FPMaxNum / FPMinNum: a quiet NaN loses against a number.
pub fn max_min_num<T: Fmt>(a: u64, b: u64, is_max: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let ta = unpack::<T>(a, c.fz, fl).ty;
    let tb = unpack::<T>(b, c.fz, fl).ty;
    let a_nan = matches!(ta, Ty::QNaN | Ty::SNaN);
    let b_nan = matches!(tb, Ty::QNaN | Ty::SNaN);
    let filler = inf::<T>(is_max);
    let (a, b) = if ta == Ty::QNaN && !b_nan {
        (filler, b)
    } else if tb == Ty::QNaN && !a_nan {
        (a, filler)
    } else {
        (a, b)
    };
    max_min::<T>(a, b, is_max, c, fl)
}

/// FPCompare: NZCV in bits 31:28.
pub fn compare<T: Fmt>(a: u64, b: u64, signal: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let ua = unpack::<T>(a, c.fz, fl);
    let ub = unpack::<T>(b, c.fz, fl);
    if ua.is_nan() || ub.is_nan() {
        if signal || ua.ty == Ty::SNaN || ub.ty == Ty::SNaN {
            *fl |= IOC;
        }
        return 0b0011 << 28;
    }
    let (ka, kb) = (key::<T>(a, &ua), key::<T>(b, &ub));
    if ka == kb {
        0b0110 << 28
    } else if ka < kb {
        0b1000 << 28
    } else {
        0b0010 << 28
    }
}

/// Vector comparisons.
pub const CMP_EQ: u32 = 0;
pub const CMP_GE: u32 = 1;
pub const CMP_GT: u32 = 2;

/// FPCompareEQ / FPCompareGE / FPCompareGT (`abs`: FACGE / FACGT).
pub fn compare_mask<T: Fmt>(a: u64, b: u64, op: u32, abs: bool, c: &Ctx, fl: &mut u32) -> u64 {
    let (a, b) = if abs {
        (a & T::ABS, b & T::ABS)
    } else {
        (a, b)
    };
    let ua = unpack::<T>(a, c.fz, fl);
    let ub = unpack::<T>(b, c.fz, fl);
    let r = if ua.is_nan() || ub.is_nan() {
        if op != CMP_EQ || ua.ty == Ty::SNaN || ub.ty == Ty::SNaN {
            *fl |= IOC;
        }
        false
    } else {
        let (ka, kb) = (key::<T>(a, &ua), key::<T>(b, &ub));
        match op {
            CMP_EQ => ka == kb,
            CMP_GE => ka >= kb,
            _ => ka > kb,
        }
    };
    if r {
        T::MASK
    } else {
        0
    }
}

/// Binary operations by number (the scalar FP data-processing opcodes first).
pub const OP_MUL: u32 = 0;
pub const OP_DIV: u32 = 1;
pub const OP_ADD: u32 = 2;
pub const OP_SUB: u32 = 3;
pub const OP_MAX: u32 = 4;
pub const OP_MIN: u32 = 5;
pub const OP_MAXNM: u32 = 6;
pub const OP_MINNM: u32 = 7;
pub const OP_NMUL: u32 = 8;
pub const OP_MULX: u32 = 9;
pub const OP_ABD: u32 = 10;
pub const OP_RECPS: u32 = 11;
pub const OP_RSQRTS: u32 = 12;
pub const OP_CMEQ: u32 = 13;
pub const OP_CMGE: u32 = 14;
pub const OP_CMGT: u32 = 15;
pub const OP_ACGE: u32 = 16;
pub const OP_ACGT: u32 = 17;

/// One binary operation `op` (an `OP_*` constant) on format `T`.
#[inline(always)]
pub fn binop<T: Fmt>(op: u32, a: u64, b: u64, c: &Ctx, fl: &mut u32) -> u64 {
    match op {
        OP_MUL => mul::<T>(a, b, c, fl),
        OP_DIV => div::<T>(a, b, c, fl),
        OP_ADD => add::<T>(a, b, c, fl),
        OP_SUB => sub::<T>(a, b, c, fl),
        OP_MAX => max_min::<T>(a, b, true, c, fl),
        OP_MIN => max_min::<T>(a, b, false, c, fl),
        OP_MAXNM => max_min_num::<T>(a, b, true, c, fl),
        OP_MINNM => max_min_num::<T>(a, b, false, c, fl),
        OP_NMUL => mul::<T>(a, b, c, fl) ^ T::SIGN,
        OP_MULX => mulx::<T>(a, b, c, fl),
        OP_ABD => sub::<T>(a, b, c, fl) & T::ABS,
        OP_RECPS => step_fused::<T>(a, b, false, c, fl),
        OP_RSQRTS => step_fused::<T>(a, b, true, c, fl),
        OP_CMEQ => compare_mask::<T>(a, b, CMP_EQ, false, c, fl),
        OP_CMGE => compare_mask::<T>(a, b, CMP_GE, false, c, fl),
        OP_CMGT => compare_mask::<T>(a, b, CMP_GT, false, c, fl),
        OP_ACGE => compare_mask::<T>(a, b, CMP_GE, true, c, fl),
        _ => compare_mask::<T>(a, b, CMP_GT, true, c, fl),
    }
}
