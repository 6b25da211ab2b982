// Architectural floating point as integer soft-float, a port of
// crates/kvrm-cpu/src/fpcore/ (FPUnpack, FPRound, FPProcessNaNs and the
// operations built on them). Every operation is exact integer arithmetic on
// unpacked significands and one rounding step (fp_round), so each FPCR
// rounding mode, FZ/FZ16, DN and the FPSR cumulative flags come out as the
// CPU backend computes them, on the device and in host C++ alike (no
// hardware FP). Operands and results are bits in the low bits of a u64;
// flags are OR-ed into *fl (FPSR bit positions). No 128-bit division is used
// (division and square root are bitwise), so nothing needs a libcall. The
// operations are __noinline__: the scalar, vector, pairwise and by-element
// handlers share one copy of each instead of inlining it into every switch.

typedef unsigned __int128 u128; // as in simd_perm.cuh (a repeated typedef is legal)
typedef __int128 i128;

#define FP_IOC (1u << 0)
#define FP_DZC (1u << 1)
#define FP_OFC (1u << 2)
#define FP_UFC (1u << 3)
#define FP_IXC (1u << 4)
#define FP_IDC (1u << 7)

// Rounding modes: FPCR.RMode 0-3, then ties-away (FRINTA, FCVTA*) and
// round-to-odd (FCVTXN), which only instructions name.
#define FP_RN 0u
#define FP_RP 1u
#define FP_RM 2u
#define FP_RZ 3u
#define FP_RA 4u
#define FP_RO 5u

#define FPCR_AHP (1ull << 26)
#define FPCR_DN (1ull << 25)
#define FPCR_FZ (1ull << 24)
#define FPCR_FZ16 (1ull << 19)

// FPType.
#define TY_ZERO 0
#define TY_NUM 1
#define TY_INF 2
#define TY_QNAN 3
#define TY_SNAN 4

// A format: e exponent bits, f fraction bits (half: FZ16, no IDC on flush).
struct Fmt {
    u32 e, f;
    bool half;
    __device__ u32 n() const { return 1 + e + f; }
    __device__ i32 bias() const { return (1 << (e - 1)) - 1; }
    __device__ u64 emax() const { return (1ull << e) - 1; }
    __device__ u64 sgn() const { return 1ull << (e + f); }
    __device__ u64 abs() const { return sgn() - 1; }
    __device__ u64 mask() const { return sgn() | abs(); }
    __device__ u64 frac() const { return (1ull << f) - 1; }
    __device__ u64 quiet() const { return 1ull << (f - 1); }
    __device__ u64 inf() const { return emax() << f; }
    __device__ u64 dnan() const { return inf() | quiet(); }
    __device__ u64 zero(bool s) const { return s ? sgn() : 0; }
    __device__ u64 infs(bool s) const { return zero(s) | inf(); }
    __device__ u64 two() const { return ((u64)bias() + 1) << f; }
};

__device__ __forceinline__ Fmt fmt_h() { Fmt t = {5, 10, true}; return t; }
__device__ __forceinline__ Fmt fmt_s() { Fmt t = {8, 23, false}; return t; }
__device__ __forceinline__ Fmt fmt_d() { Fmt t = {11, 52, false}; return t; }

// The FPCR fields one operation uses.
struct FpCtx {
    u32 rmode;
    bool fz, dn, ahp;
};

__device__ __forceinline__ FpCtx fp_ctx(const Fmt &T, u64 fpcr) {
    FpCtx c;
    c.rmode = (u32)(fpcr >> 22) & 3;
    c.fz = (fpcr & (T.half ? FPCR_FZ16 : FPCR_FZ)) != 0;
    c.dn = (fpcr & FPCR_DN) != 0;
    c.ahp = false;
    return c;
}

__device__ __forceinline__ FpCtx with_rmode(FpCtx c, u32 rmode) {
    c.rmode = rmode;
    return c;
}

// An unpacked operand: (-1)^sign * mant * 2^exp for TY_NUM.
struct Up {
    u32 ty;
    bool sign;
    i32 exp;
    u64 mant;
    __device__ bool nan() const { return ty == TY_QNAN || ty == TY_SNAN; }
};

__device__ __forceinline__ i32 clz128(u128 x) {
    u64 hi = (u64)(x >> 64);
    return hi ? __clzll(hi) : 64 + __clzll((u64)x);
}

// FPUnpack: a denormal under fz becomes zero (IDC unless half).
__device__ __forceinline__ Up fp_unpack(const Fmt &T, u64 x, bool fz, u32 *fl) {
    Up u;
    u.sign = (x & T.sgn()) != 0;
    u64 e = (x >> T.f) & T.emax(), f = x & T.frac();
    u.exp = 0;
    u.mant = 0;
    if (e == 0) {
        if (f == 0) {
            u.ty = TY_ZERO;
        } else if (fz) {
            if (!T.half) *fl |= FP_IDC;
            u.ty = TY_ZERO;
        } else {
            u.ty = TY_NUM;
            u.exp = 1 - T.bias() - (i32)T.f;
            u.mant = f;
        }
    } else if (e == T.emax()) {
        u.ty = f == 0 ? TY_INF : (f & T.quiet()) ? TY_QNAN : TY_SNAN;
    } else {
        u.ty = TY_NUM;
        u.exp = (i32)e - T.bias() - (i32)T.f;
        u.mant = f | (1ull << T.f);
    }
    return u;
}

// FPProcessNaN.
__device__ __forceinline__ u64 fp_process_nan(const Fmt &T, u64 x, u32 ty, bool dn, u32 *fl) {
    if (ty == TY_SNAN) *fl |= FP_IOC;
    return dn ? T.dnan() : (x & T.mask()) | T.quiet();
}

// FPProcessNaNs: signalling NaNs first, then quiet ones, first operand
// first. True (result in *r) when an operand is a NaN.
__device__ __forceinline__ bool fp_process_nans2(const Fmt &T, u64 a, const Up &ua, u64 b, const Up &ub,
                                                 bool dn, u32 *fl, u64 *r) {
    if (ua.ty == TY_SNAN) *r = fp_process_nan(T, a, ua.ty, dn, fl);
    else if (ub.ty == TY_SNAN) *r = fp_process_nan(T, b, ub.ty, dn, fl);
    else if (ua.ty == TY_QNAN) *r = fp_process_nan(T, a, ua.ty, dn, fl);
    else if (ub.ty == TY_QNAN) *r = fp_process_nan(T, b, ub.ty, dn, fl);
    else return false;
    return true;
}

// Shift right, OR-ing every bit shifted out into bit 0 (sticky).
__device__ __forceinline__ u128 shr_jam(u128 x, u32 d) {
    if (d == 0) return x;
    if (d >= 128) return (u128)(x != 0);
    return (x >> d) | (u128)((x & (((u128)1 << d) - 1)) != 0);
}

// FPRound: round (-1)^sign * mant * 2^exp (mant != 0; a set bit 0 may stand
// for nonzero bits lost far below the rounding point) to format T.
__device__ __noinline__ u64 fp_round(const Fmt &T, bool sign, i32 exp, u128 mant, const FpCtx &c, u32 *fl) {
    i32 lz = clz128(mant);
    u128 m = mant << lz;
    i32 e = exp - lz; // value = m * 2^e, m in [2^127, 2^128)
    i32 exponent = e + 127;
    i32 min_exp = 1 - T.bias();
    u64 s = T.zero(sign);
    if (c.fz && exponent < min_exp) {
        *fl |= FP_UFC;
        return s;
    }
    i32 bd = exponent - min_exp + 1;
    u64 biased = bd > 0 ? (u64)bd : 0;
    i32 lsb_exp = (exponent > min_exp ? exponent : min_exp) - (i32)T.f;
    u32 shift = (u32)(lsb_exp - e); // at least 127 - 52
    u64 im;
    bool half, sticky;
    if (shift >= 129) {
        im = 0; half = false; sticky = true;
    } else if (shift == 128) {
        im = 0; half = true; sticky = (m << 1) != 0;
    } else {
        im = (u64)(m >> shift);
        half = ((m >> (shift - 1)) & 1) != 0;
        sticky = (m & (((u128)1 << (shift - 1)) - 1)) != 0;
    }
    bool inexact = half || sticky;
    if (biased == 0 && inexact) *fl |= FP_UFC;
    bool up = false, ovf_inf = false;
    switch (c.rmode) {
    case FP_RN: up = half && (sticky || (im & 1)); ovf_inf = true; break;
    case FP_RP: up = inexact && !sign; ovf_inf = !sign; break;
    case FP_RM: up = inexact && sign; ovf_inf = sign; break;
    case FP_RA: up = half; ovf_inf = true; break;
    default: break;
    }
    if (c.rmode == FP_RO && inexact) im |= 1;
    if (up) {
        im += 1;
        if (im == 1ull << T.f) biased = 1;
        if (im == 1ull << (T.f + 1)) {
            biased += 1;
            im >>= 1;
        }
    }
    if (c.ahp) {
        if (biased > T.emax()) {
            *fl |= FP_IOC;
            return s | T.abs();
        }
    } else if (biased >= T.emax()) {
        *fl |= FP_OFC | FP_IXC;
        return s | (ovf_inf ? T.inf() : T.inf() - 1);
    }
    if (inexact) *fl |= FP_IXC;
    return s | (biased << T.f) | (im & T.frac());
}

// Whether to add one to a truncated integral magnitude (odd: its low bit).
__device__ __forceinline__ bool round_up_int(u32 rmode, bool sign, bool odd, bool half, bool sticky) {
    bool inexact = half || sticky;
    switch (rmode) {
    case FP_RN: return half && (sticky || odd);
    case FP_RP: return inexact && !sign;
    case FP_RM: return inexact && sign;
    case FP_RA: return half;
    default: return false;
    }
}

// Split mant * 2^exp into its integral magnitude and round/sticky bits.
__device__ __forceinline__ u64 split_int(u64 mant, i32 exp, bool *half, bool *sticky) {
    if (exp >= 0) {
        *half = *sticky = false;
        return mant << exp;
    }
    u32 sh = (u32)(-exp);
    if (sh > 64) {
        *half = false;
        *sticky = mant != 0;
        return 0;
    }
    if (sh == 64) {
        *half = (mant >> 63) != 0;
        *sticky = (mant << 1) != 0;
        return 0;
    }
    *half = ((mant >> (sh - 1)) & 1) != 0;
    *sticky = (mant & ((1ull << (sh - 1)) - 1)) != 0;
    return mant >> sh;
}

// ---- FPAdd, FPSub, FPMul(X), FPDiv, FPSqrt, FPMulAdd, steps, min/max, compares

__device__ u64 fp_add_nums(const Fmt &T, const Up &a, const Up &b, const FpCtx &c, u32 *fl) {
    const Up &p = a.exp >= b.exp ? a : b;
    const Up &q = a.exp >= b.exp ? b : a;
    u128 x = (u128)p.mant << 72;
    u128 y = shr_jam((u128)q.mant << 72, (u32)(p.exp - q.exp));
    bool sign;
    u128 m;
    if (p.sign == q.sign) { sign = p.sign; m = x + y; }
    else if (x >= y) { sign = p.sign; m = x - y; }
    else { sign = q.sign; m = y - x; }
    if (m == 0) return T.zero(c.rmode == FP_RM);
    return fp_round(T, sign, p.exp - 72, m, c, fl);
}

// FPAdd, or FPSub with neg_b.
__device__ __noinline__ u64 fp_add_sub(const Fmt &T, u64 a, u64 b, bool neg_b, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, a, c.fz, fl);
    Up ub = fp_unpack(T, b, c.fz, fl);
    u64 r;
    if (fp_process_nans2(T, a, ua, b, ub, c.dn, fl, &r)) return r;
    ub.sign ^= neg_b;
    if (ua.ty == TY_INF && ub.ty == TY_INF && ua.sign != ub.sign) {
        *fl |= FP_IOC;
        return T.dnan();
    }
    if (ua.ty == TY_INF) return T.infs(ua.sign);
    if (ub.ty == TY_INF) return T.infs(ub.sign);
    if (ua.ty == TY_ZERO && ub.ty == TY_ZERO)
        return T.zero(ua.sign == ub.sign ? ua.sign : c.rmode == FP_RM);
    if (ua.ty == TY_ZERO) return (b & T.abs()) | T.zero(ub.sign);
    if (ub.ty == TY_ZERO) return a & T.mask();
    return fp_add_nums(T, ua, ub, c, fl);
}

// FPMul, or FPMulX with x (infinity times zero is 2.0).
__device__ __noinline__ u64 fp_mul(const Fmt &T, u64 a, u64 b, bool x, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, a, c.fz, fl);
    Up ub = fp_unpack(T, b, c.fz, fl);
    u64 r;
    if (fp_process_nans2(T, a, ua, b, ub, c.dn, fl, &r)) return r;
    bool sign = ua.sign ^ ub.sign;
    if ((ua.ty == TY_INF && ub.ty == TY_ZERO) || (ua.ty == TY_ZERO && ub.ty == TY_INF)) {
        if (x) return T.zero(sign) | T.two();
        *fl |= FP_IOC;
        return T.dnan();
    }
    if (ua.ty == TY_INF || ub.ty == TY_INF) return T.infs(sign);
    if (ua.ty == TY_ZERO || ub.ty == TY_ZERO) return T.zero(sign);
    return fp_round(T, sign, ua.exp + ub.exp, (u128)ua.mant * ub.mant, c, fl);
}

// FPDiv. The quotient of the normalised significands comes from a restoring
// (bitwise) division: k quotient bits (64 for double, 32 are plenty for
// single and half) plus a sticky remainder bit.
__device__ __noinline__ u64 fp_div(const Fmt &T, u64 a, u64 b, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, a, c.fz, fl);
    Up ub = fp_unpack(T, b, c.fz, fl);
    u64 r;
    if (fp_process_nans2(T, a, ua, b, ub, c.dn, fl, &r)) return r;
    bool sign = ua.sign ^ ub.sign;
    if ((ua.ty == TY_INF && ub.ty == TY_INF) || (ua.ty == TY_ZERO && ub.ty == TY_ZERO)) {
        *fl |= FP_IOC;
        return T.dnan();
    }
    if (ua.ty == TY_INF) return T.infs(sign);
    if (ub.ty == TY_ZERO) {
        *fl |= FP_DZC;
        return T.infs(sign);
    }
    if (ua.ty == TY_ZERO || ub.ty == TY_INF) return T.zero(sign);
    i32 la = __clzll(ua.mant), lb = __clzll(ub.mant);
    u64 na = ua.mant << la, nb = ub.mant << lb;
    // q = floor(na * 2^(k-1) / nb), in (2^(k-2), 2^k).
    int k = T.f > 32 ? 64 : 32;
    u64 rem = na, q = 0;
    bool carry = false;
    for (int i = 0; i < k; i++) {
        q <<= 1;
        if (carry || rem >= nb) {
            rem -= nb;
            q |= 1;
        }
        carry = (rem >> 63) != 0;
        rem <<= 1;
    }
    i32 exp = (ua.exp - la) - (ub.exp - lb) - (k - 1);
    return fp_round(T, sign, exp, (u128)(q | (u64)(rem != 0 || carry)), c, fl);
}

// FPSqrt. Integer square root digit by digit (floor, and whether exact).
__device__ __noinline__ u64 fp_sqrt(const Fmt &T, u64 a, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, a, c.fz, fl);
    if (ua.nan()) return fp_process_nan(T, a, ua.ty, c.dn, fl);
    if (ua.ty == TY_ZERO) return T.zero(ua.sign);
    if (ua.sign) {
        *fl |= FP_IOC;
        return T.dnan();
    }
    if (ua.ty == TY_INF) return T.inf();
    // The significand widened to 125-126 bits for double, 61-62 for single
    // and half (a root of half the width, at least F + 2 bits).
    u128 m = ua.mant;
    i32 sh = clz128(m) - (T.f > 32 ? 2 : 66);
    if ((ua.exp - sh) & 1) sh -= 1;
    m <<= sh;
    // The highest power of four not above m, then one root bit per step.
    u128 op = m, res = 0, one = (u128)1 << ((127 - clz128(m)) & ~1);
    while (one != 0) {
        if (op >= res + one) {
            op -= res + one;
            res = (res >> 1) + one;
        } else {
            res >>= 1;
        }
        one >>= 2;
    }
    i32 exp = (ua.exp - sh) / 2;
    return fp_round(T, false, exp, res | (u128)(op != 0), c, fl);
}

// Round (-1)^sp * mp * 2^ep + (-1)^sa * ma * 2^ea (both nonzero), times 2^adj.
__device__ __noinline__ u64 fp_fused(const Fmt &T, bool sp, i32 ep, u128 mp, bool sa, i32 ea, u128 ma, i32 adj,
                        const FpCtx &c, u32 *fl) {
    i32 lp = clz128(mp) - 2, la = clz128(ma) - 2;
    u128 xp = mp << lp, ya = ma << la;
    i32 xe = ep - lp, ye = ea - la;
    u128 x, y;
    i32 ex, ey;
    bool sx, sy;
    if (xe >= ye) { x = xp; ex = xe; sx = sp; y = ya; ey = ye; sy = sa; }
    else { x = ya; ex = ye; sx = sa; y = xp; ey = xe; sy = sp; }
    i32 d = ex - ey;
    y = shr_jam(y, (u32)(d < 200 ? d : 200));
    bool sign;
    u128 m;
    if (sx == sy) { sign = sx; m = x + y; }
    else if (x >= y) { sign = sx; m = x - y; }
    else { sign = sy; m = y - x; }
    if (m == 0) return T.zero(c.rmode == FP_RM);
    return fp_round(T, sign, ex + adj, m, c, fl);
}

// FPMulAdd: addend + op1 * op2 with one rounding.
__device__ __noinline__ u64 fp_muladd(const Fmt &T, u64 addend, u64 op1, u64 op2, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, addend, c.fz, fl);
    Up u1 = fp_unpack(T, op1, c.fz, fl);
    Up u2 = fp_unpack(T, op2, c.fz, fl);
    bool inf1 = u1.ty == TY_INF, inf2 = u2.ty == TY_INF;
    bool zero1 = u1.ty == TY_ZERO, zero2 = u2.ty == TY_ZERO;
    bool inf_times_zero = (inf1 && zero2) || (zero1 && inf2);
    // FPProcessNaNs3.
    u64 nan = 0;
    bool is_nan = true;
    if (ua.ty == TY_SNAN) nan = fp_process_nan(T, addend, ua.ty, c.dn, fl);
    else if (u1.ty == TY_SNAN) nan = fp_process_nan(T, op1, u1.ty, c.dn, fl);
    else if (u2.ty == TY_SNAN) nan = fp_process_nan(T, op2, u2.ty, c.dn, fl);
    else if (ua.ty == TY_QNAN) nan = fp_process_nan(T, addend, ua.ty, c.dn, fl);
    else if (u1.ty == TY_QNAN) nan = fp_process_nan(T, op1, u1.ty, c.dn, fl);
    else if (u2.ty == TY_QNAN) nan = fp_process_nan(T, op2, u2.ty, c.dn, fl);
    else is_nan = false;
    if (ua.ty == TY_QNAN && inf_times_zero) {
        *fl |= FP_IOC;
        return T.dnan();
    }
    if (is_nan) return nan;
    bool sp = u1.sign ^ u2.sign;
    bool infp = inf1 || inf2, zerop = zero1 || zero2;
    bool infa = ua.ty == TY_INF, zeroa = ua.ty == TY_ZERO;
    if (inf_times_zero || (infa && infp && ua.sign != sp)) {
        *fl |= FP_IOC;
        return T.dnan();
    }
    if ((infa && !ua.sign) || (infp && !sp)) return T.inf();
    if (infa || infp) return T.infs(true);
    if (zeroa && zerop) return T.zero(ua.sign == sp ? sp : c.rmode == FP_RM);
    if (zerop) return addend & T.mask();
    u128 mp = (u128)u1.mant * u2.mant;
    if (zeroa) return fp_round(T, sp, u1.exp + u2.exp, mp, c, fl);
    return fp_fused(T, sp, u1.exp + u2.exp, mp, ua.sign, ua.exp, ua.mant, 0, c, fl);
}

// FPRecipStepFused (2 - a*b) and, with rsqrt, FPRSqrtStepFused ((3 - a*b) / 2).
__device__ __noinline__ u64 fp_step_fused(const Fmt &T, u64 a, u64 b, bool rsqrt, const FpCtx &c, u32 *fl) {
    a ^= T.sgn();
    Up u1 = fp_unpack(T, a, c.fz, fl);
    Up u2 = fp_unpack(T, b, c.fz, fl);
    u64 r;
    if (fp_process_nans2(T, a, u1, b, u2, c.dn, fl, &r)) return r;
    // Any zero product (infinity times zero included) gives 2.0 or 1.5.
    if (u1.ty == TY_ZERO || u2.ty == TY_ZERO)
        return rsqrt ? (((u64)T.bias() << T.f) | (1ull << (T.f - 1))) : T.two();
    if (u1.ty == TY_INF || u2.ty == TY_INF) return T.infs(u1.sign ^ u2.sign);
    return fp_fused(T, u1.sign ^ u2.sign, u1.exp + u2.exp, (u128)u1.mant * u2.mant, false, rsqrt ? 0 : 1,
                    rsqrt ? 3 : 1, rsqrt ? -1 : 0, c, fl);
}

// Ordering key of a non-NaN operand (flushed denormals compare as zero).
__device__ __forceinline__ i64 fp_key(const Fmt &T, u64 x, const Up &u) {
    if (u.ty == TY_ZERO) return 0;
    i64 m = (i64)(x & T.abs());
    return u.sign ? -m : m;
}

// FPMax / FPMin.
__device__ __noinline__ u64 fp_max_min(const Fmt &T, u64 a, u64 b, bool is_max, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, a, c.fz, fl);
    Up ub = fp_unpack(T, b, c.fz, fl);
    u64 r;
    if (fp_process_nans2(T, a, ua, b, ub, c.dn, fl, &r)) return r;
    i64 ka = fp_key(T, a, ua), kb = fp_key(T, b, ub);
    bool pick_a = is_max ? ka > kb : ka < kb;
    const Up &u = pick_a ? ua : ub;
    if (u.ty == TY_ZERO) return T.zero(is_max ? (ua.sign && ub.sign) : (ua.sign || ub.sign));
    return (pick_a ? a : b) & T.mask();
}

// FPMaxNum / FPMinNum: a quiet NaN loses against a number.
__device__ u64 fp_max_min_num(const Fmt &T, u64 a, u64 b, bool is_max, const FpCtx &c, u32 *fl) {
    u32 ta = fp_unpack(T, a, c.fz, fl).ty;
    u32 tb = fp_unpack(T, b, c.fz, fl).ty;
    bool a_nan = ta == TY_QNAN || ta == TY_SNAN, b_nan = tb == TY_QNAN || tb == TY_SNAN;
    u64 filler = T.infs(is_max);
    if (ta == TY_QNAN && !b_nan) a = filler;
    else if (tb == TY_QNAN && !a_nan) b = filler;
    return fp_max_min(T, a, b, is_max, c, fl);
}

// FPCompare: NZCV in bits 31:28.
__device__ u64 fp_compare(const Fmt &T, u64 a, u64 b, bool signal, const FpCtx &c, u32 *fl) {
    Up ua = fp_unpack(T, a, c.fz, fl);
    Up ub = fp_unpack(T, b, c.fz, fl);
    if (ua.nan() || ub.nan()) {
        if (signal || ua.ty == TY_SNAN || ub.ty == TY_SNAN) *fl |= FP_IOC;
        return 0x3ull << 28;
    }
    i64 ka = fp_key(T, a, ua), kb = fp_key(T, b, ub);
    return ka == kb ? 0x6ull << 28 : ka < kb ? 0x8ull << 28 : 0x2ull << 28;
}

#define CMP_EQ 0u
#define CMP_GE 1u
#define CMP_GT 2u

// FPCompareEQ / GE / GT (abs: FACGE / FACGT): all ones or zero.
__device__ __noinline__ u64 fp_compare_mask(const Fmt &T, u64 a, u64 b, u32 op, bool abs, const FpCtx &c, u32 *fl) {
    if (abs) {
        a &= T.abs();
        b &= T.abs();
    }
    Up ua = fp_unpack(T, a, c.fz, fl);
    Up ub = fp_unpack(T, b, c.fz, fl);
    bool r;
    if (ua.nan() || ub.nan()) {
        if (op != CMP_EQ || ua.ty == TY_SNAN || ub.ty == TY_SNAN) *fl |= FP_IOC;
        r = false;
    } else {
        i64 ka = fp_key(T, a, ua), kb = fp_key(T, b, ub);
        r = op == CMP_EQ ? ka == kb : op == CMP_GE ? ka >= kb : ka > kb;
    }
    return r ? T.mask() : 0;
}

// Binary operations by number (the scalar data-processing opcodes first),
// as fpcore::arith's OP_* constants.
#define OP_MUL 0u
#define OP_DIV 1u
#define OP_ADD 2u
#define OP_SUB 3u
#define OP_MAX 4u
#define OP_MIN 5u
#define OP_MAXNM 6u
#define OP_MINNM 7u
#define OP_NMUL 8u
#define OP_MULX 9u
#define OP_ABD 10u
#define OP_RECPS 11u
#define OP_RSQRTS 12u
#define OP_CMEQ 13u
#define OP_CMGE 14u
#define OP_CMGT 15u
#define OP_ACGE 16u
#define OP_ACGT 17u

__device__ __noinline__ u64 fp_binop(const Fmt &T, u32 op, u64 a, u64 b, const FpCtx &c, u32 *fl) {
    switch (op) {
    case OP_MUL: return fp_mul(T, a, b, false, c, fl);
    case OP_DIV: return fp_div(T, a, b, c, fl);
    case OP_ADD: return fp_add_sub(T, a, b, false, c, fl);
    case OP_SUB: return fp_add_sub(T, a, b, true, c, fl);
    case OP_MAX: return fp_max_min(T, a, b, true, c, fl);
    case OP_MIN: return fp_max_min(T, a, b, false, c, fl);
    case OP_MAXNM: return fp_max_min_num(T, a, b, true, c, fl);
    case OP_MINNM: return fp_max_min_num(T, a, b, false, c, fl);
    case OP_NMUL: return fp_mul(T, a, b, false, c, fl) ^ T.sgn();
    case OP_MULX: return fp_mul(T, a, b, true, c, fl);
    case OP_ABD: return fp_add_sub(T, a, b, true, c, fl) & T.abs();
    case OP_RECPS: return fp_step_fused(T, a, b, false, c, fl);
    case OP_RSQRTS: return fp_step_fused(T, a, b, true, c, fl);
    case OP_CMEQ: return fp_compare_mask(T, a, b, CMP_EQ, false, c, fl);
    case OP_CMGE: return fp_compare_mask(T, a, b, CMP_GE, false, c, fl);
    case OP_CMGT: return fp_compare_mask(T, a, b, CMP_GT, false, c, fl);
    case OP_ACGE: return fp_compare_mask(T, a, b, CMP_GE, true, c, fl);
    default: return fp_compare_mask(T, a, b, CMP_GT, true, c, fl);
    }
}

// ---- FPToFixed, FixedToFP, FPRoundInt(N), FPConvert, FPToFixedJS

// FPToFixed: x times 2^fbits to a bits-wide (32/64) integer, saturating.
__device__ __noinline__ u64 fp_to_fixed(const Fmt &T, u64 x, u32 fbits, bool uns, u32 bits, u32 rmode, const FpCtx &c,
                           u32 *fl) {
    Up u = fp_unpack(T, x, c.fz, fl);
    i128 max = uns ? ((i128)1 << bits) - 1 : ((i128)1 << (bits - 1)) - 1;
    i128 min = uns ? 0 : -((i128)1 << (bits - 1));
    u64 mask = bits == 64 ? ~0ull : (1ull << bits) - 1;
    i128 value;
    bool inexact = false;
    if (u.nan()) {
        *fl |= FP_IOC;
        return 0;
    }
    if (u.ty == TY_ZERO) return 0;
    if (u.ty == TY_INF) {
        value = u.sign ? min - 1 : max + 1;
    } else {
        i32 e = u.exp + (i32)fbits;
        if (e + (64 - __clzll(u.mant)) > 64) {
            value = u.sign ? min - 1 : max + 1;
        } else {
            bool half, sticky;
            u64 in = split_int(u.mant, e, &half, &sticky);
            bool up = round_up_int(rmode, u.sign, in & 1, half, sticky);
            i128 mag = (i128)in + (i128)up;
            value = u.sign ? -mag : mag;
            inexact = half || sticky;
        }
    }
    if (value > max) {
        *fl |= FP_IOC;
        return (u64)max & mask;
    }
    if (value < min) {
        *fl |= FP_IOC;
        return (u64)min & mask;
    }
    if (inexact) *fl |= FP_IXC;
    return (u64)value & mask;
}

// FixedToFP: a bits-wide integer divided by 2^fbits, rounded to T.
__device__ __noinline__ u64 fp_from_fixed(const Fmt &T, u64 v, u32 fbits, bool uns, u32 bits, const FpCtx &c, u32 *fl) {
    if (bits == 32) v &= 0xffffffffull;
    bool sign = false;
    u64 mag = v;
    if (!uns) {
        i64 s = bits == 32 ? (i64)(i32)(u32)v : (i64)v;
        sign = s < 0;
        mag = sign ? 0ull - (u64)s : (u64)s;
    }
    if (mag == 0) return 0;
    return fp_round(T, sign, -(i32)fbits, mag, c, fl);
}

// FPRoundInt (exact: FRINTX's IXC).
__device__ __noinline__ u64 fp_round_int(const Fmt &T, u64 x, u32 rmode, bool exact, const FpCtx &c, u32 *fl) {
    Up u = fp_unpack(T, x, c.fz, fl);
    if (u.nan()) return fp_process_nan(T, x, u.ty, c.dn, fl);
    if (u.ty == TY_INF) return T.infs(u.sign);
    if (u.ty == TY_ZERO) return T.zero(u.sign);
    if (u.exp >= 0) return x & T.mask();
    bool half, sticky;
    u64 in = split_int(u.mant, u.exp, &half, &sticky);
    bool up = round_up_int(rmode, u.sign, in & 1, half, sticky);
    if (exact && (half || sticky)) *fl |= FP_IXC;
    u64 mag = in + (u64)up;
    if (mag == 0) return T.zero(u.sign);
    return fp_round(T, u.sign, 0, mag, c, fl);
}

// FPRoundIntN (FRINT32*/FRINT64*): out of the intsize-bit signed range, a
// NaN or an infinity becomes -2^(intsize-1) with IOC.
__device__ __noinline__ u64 fp_round_int_n(const Fmt &T, u64 x, u32 rmode, u32 intsize, const FpCtx &c, u32 *fl) {
    Up u = fp_unpack(T, x, c.fz, fl);
    u64 big_neg = T.sgn() | ((u64)(T.bias() + (i32)intsize - 1) << T.f);
    if (u.nan() || u.ty == TY_INF) {
        *fl |= FP_IOC;
        return big_neg;
    }
    if (u.ty == TY_ZERO) return T.zero(u.sign);
    i32 top = u.exp + 64 - __clzll(u.mant); // value < 2^top
    u128 mag;
    bool inexact = false;
    if (top > (i32)intsize) {
        mag = ~(u128)0;
    } else {
        bool half, sticky;
        u64 in = split_int(u.mant, u.exp, &half, &sticky);
        bool up = round_up_int(rmode, u.sign, in & 1, half, sticky);
        mag = (u128)in + up;
        inexact = half || sticky;
    }
    u128 limit = (u128)1 << (intsize - 1);
    if (u.sign ? mag > limit : mag >= limit) {
        *fl |= FP_IOC;
        return big_neg;
    }
    if (inexact) *fl |= FP_IXC;
    if (mag == 0) return T.zero(u.sign);
    return fp_round(T, u.sign, 0, mag, c, fl);
}

// FPConvert between formats (FCVT, FCVTL, FCVTN; FCVTXN with rmode FP_RO).
__device__ __noinline__ u64 fp_convert(const Fmt &Fr, const Fmt &To, u64 x, u32 rmode, u64 fpcr, u32 *fl) {
    bool ahp = (fpcr & FPCR_AHP) != 0, dn = (fpcr & FPCR_DN) != 0, fz = (fpcr & FPCR_FZ) != 0;
    Up u;
    if (Fr.half && ahp && ((x >> Fr.f) & Fr.emax()) == Fr.emax()) {
        // Alternative half precision: the top exponent is an ordinary one.
        u.ty = TY_NUM;
        u.sign = (x & Fr.sgn()) != 0;
        u.exp = (i32)Fr.emax() - Fr.bias() - (i32)Fr.f;
        u.mant = (x & Fr.frac()) | (1ull << Fr.f);
    } else {
        u = fp_unpack(Fr, x, fz && !Fr.half, fl);
    }
    bool alt_out = To.half && ahp;
    if (u.nan()) {
        if (alt_out) {
            *fl |= FP_IOC;
            return To.zero(u.sign);
        }
        if (u.ty == TY_SNAN) *fl |= FP_IOC;
        if (dn) return To.dnan();
        u64 frac = x & Fr.frac();
        frac = To.f >= Fr.f ? frac << (To.f - Fr.f) : frac >> (Fr.f - To.f);
        return To.zero(u.sign) | To.inf() | To.quiet() | frac;
    }
    if (u.ty == TY_INF) {
        if (alt_out) {
            *fl |= FP_IOC;
            return To.zero(u.sign) | To.abs();
        }
        return To.infs(u.sign);
    }
    if (u.ty == TY_ZERO) return To.zero(u.sign);
    FpCtx c;
    c.rmode = rmode;
    c.fz = fz && !To.half;
    c.dn = dn;
    c.ahp = alt_out;
    return fp_round(To, u.sign, u.exp, u.mant, c, fl);
}

// FPToFixedJS (FJCVTZS): the double x truncated modulo 2^32; *z the Z flag.
__device__ u64 fp_to_int32_js(u64 x, const FpCtx &c, u32 *fl, bool *z) {
    Fmt D = fmt_d();
    Up u = fp_unpack(D, x, c.fz, fl);
    *z = false;
    if (u.nan() || u.ty == TY_INF) {
        *fl |= FP_IOC;
        return 0;
    }
    if (u.ty == TY_ZERO) {
        // -0.0 and flushed denormals are not exactly +0.
        *z = !u.sign && (x & D.abs()) == 0;
        return 0;
    }
    i32 top = u.exp + 64 - __clzll(u.mant);
    u64 in;
    bool inexact = false;
    if (u.exp >= 0) {
        in = u.exp >= 64 ? 0 : u.mant << u.exp;
    } else {
        bool half, sticky;
        in = split_int(u.mant, u.exp, &half, &sticky);
        inexact = half || sticky;
    }
    u32 mag = (u32)in;
    u32 r = u.sign ? 0u - mag : mag;
    u64 limit = u.sign ? 1ull << 31 : (1ull << 31) - 1;
    if (top > 64 || in > limit) *fl |= FP_IOC;
    else if (inexact) *fl |= FP_IXC;
    else *z = true;
    return r;
}

// ---- FPRecipEstimate, FPRSqrtEstimate, FPRecpX

#define FP_M52 ((1ull << 52) - 1)

// RecipEstimate: a in 256..512, result in 256..512.
__device__ __forceinline__ u64 recip_estimate(u64 a) {
    a = a * 2 + 1;
    u64 b = (1ull << 19) / a;
    return (b + 1) / 2;
}

// RecipSqrtEstimate: a in 128..512, result in 256..512.
__device__ __forceinline__ u64 rsqrt_estimate(u64 a) {
    a = a < 256 ? a * 2 + 1 : (((a >> 1) << 1) + 1) * 2;
    u64 b = 512;
    while (a * (b + 1) * (b + 1) < (1ull << 28)) b++;
    return (b + 1) / 2;
}

// FPRecipEstimate (FRECPE).
__device__ __noinline__ u64 fp_recip_est(const Fmt &T, u64 x, const FpCtx &c, u32 *fl) {
    Up u = fp_unpack(T, x, c.fz, fl);
    bool sign = u.sign;
    if (u.nan()) return fp_process_nan(T, x, u.ty, c.dn, fl);
    if (u.ty == TY_INF) return T.zero(sign);
    if (u.ty == TY_ZERO) {
        *fl |= FP_DZC;
        return T.infs(sign);
    }
    i32 lg = u.exp + 63 - __clzll(u.mant); // floor(log2 |x|)
    if (lg < -(T.bias() + 1)) {
        bool to_inf = c.rmode == FP_RN ? true : c.rmode == FP_RP ? !sign : c.rmode == FP_RM ? sign : false;
        *fl |= FP_OFC | FP_IXC;
        return T.zero(sign) | (to_inf ? T.inf() : T.inf() - 1);
    }
    if (c.fz && lg >= T.bias() - 1) {
        *fl |= FP_UFC;
        return T.zero(sign);
    }
    u64 fraction = (x & T.frac()) << (52 - T.f);
    i64 exp = (i64)((x >> T.f) & T.emax());
    if (exp == 0) {
        if (((fraction >> 51) & 1) == 0) {
            exp = -1;
            fraction = (fraction << 2) & FP_M52;
        } else {
            fraction = (fraction << 1) & FP_M52;
        }
    }
    u64 scaled = 256 | ((fraction >> 44) & 0xff);
    i64 result_exp = 2 * (i64)T.bias() - 1 - exp;
    u64 est = recip_estimate(scaled);
    fraction = (est & 0xff) << 44;
    if (result_exp == 0) {
        fraction = (1ull << 51) | (fraction >> 1);
    } else if (result_exp == -1) {
        fraction = (1ull << 50) | (fraction >> 2);
        result_exp = 0;
    }
    return T.zero(sign) | (((u64)result_exp & T.emax()) << T.f) | (fraction >> (52 - T.f));
}

// FPRSqrtEstimate (FRSQRTE).
__device__ __noinline__ u64 fp_rsqrt_est(const Fmt &T, u64 x, const FpCtx &c, u32 *fl) {
    Up u = fp_unpack(T, x, c.fz, fl);
    if (u.nan()) return fp_process_nan(T, x, u.ty, c.dn, fl);
    if (u.ty == TY_ZERO) {
        *fl |= FP_DZC;
        return T.infs(u.sign);
    }
    if (u.sign) {
        *fl |= FP_IOC;
        return T.dnan();
    }
    if (u.ty == TY_INF) return 0;
    u64 fraction = (x & T.frac()) << (52 - T.f);
    i64 exp = (i64)((x >> T.f) & T.emax());
    if (exp == 0) {
        while (((fraction >> 51) & 1) == 0) {
            fraction = (fraction << 1) & FP_M52;
            exp -= 1;
        }
        fraction = (fraction << 1) & FP_M52;
    }
    u64 scaled = (exp & 1) == 0 ? 256 | ((fraction >> 44) & 0xff) : 128 | ((fraction >> 45) & 0x7f);
    i64 result_exp = (3 * (i64)T.bias() - 1 - exp) / 2;
    u64 est = rsqrt_estimate(scaled);
    return (((u64)result_exp & T.emax()) << T.f) | ((est & 0xff) << (T.f - 8));
}

// FPRecpX (FRECPX).
__device__ u64 fp_recpx(const Fmt &T, u64 x, const FpCtx &c, u32 *fl) {
    Up u = fp_unpack(T, x, c.fz, fl);
    if (u.nan()) return fp_process_nan(T, x, u.ty, c.dn, fl);
    u64 exp = (x >> T.f) & T.emax();
    u64 e = exp == 0 ? T.emax() - 1 : ~exp & T.emax();
    return T.zero(u.sign) | (e << T.f);
}
