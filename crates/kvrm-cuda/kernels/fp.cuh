// Scalar floating point, mirroring crates/kvrm-cpu/src/exec/fp/mod.rs: the
// whole class (half, single and double), the arithmetic, compares and
// conversions through fpcore.cuh's soft-float (FPCR/FPSR exact).

// Bits of a value of FP type `ft` (0 single, 1 double, 3 half).
__device__ __forceinline__ u64 ftype_mask(u32 ft) {
    return ft == 0 ? 0xffffffffull : ft == 1 ? ~0ull : 0xffffull;
}

__device__ __forceinline__ void set_scalar(Lane &L, u32 d, u64 v) {
    L.s->v[d][0] = v;
    L.s->v[d][1] = 0;
}

// FMOV between general and SIMD&FP registers (fp class).
__device__ int exec_fmov_gen(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u32 ft = bits(w, 22, 2), rmode = bits(w, 19, 2);
    bool to_fp = bit(w, 16);
    u32 d = f_rd(w), n = f_rn(w);
    if (rmode == 0 && ((!sf && ft == 0) || (sf && ft == 1) || ft == 3)) {
        u64 mask = ft == 1 ? ~0ull : ft == 0 ? 0xffffffffull : 0xffffull;
        if (to_fp) {
            L.s->v[d][0] = xr(L, n) & mask;
            L.s->v[d][1] = 0;
        } else {
            set_xr(L, d, L.s->v[n][0] & mask);
        }
    } else if (sf && ft == 2 && rmode == 1) {
        if (to_fp) L.s->v[d][1] = xr(L, n);
        else set_xr(L, d, L.s->v[n][1]);
    } else {
        return undefined(L, w);
    }
    return FLOW_NEXT;
}


// FMOV (register), FABS, FNEG (scalar): bit operations on the format.
__device__ int exec_fp_move(Lane &L, u32 w, u32 op) {
    u32 ft = bits(w, 22, 2);
    if (ft == 2) return undefined(L, w);
    u64 mask = ftype_mask(ft);
    u64 sign = mask ^ (mask >> 1);
    u64 x = L.s->v[f_rn(w)][0] & mask;
    set_scalar(L, f_rd(w), op == 0 ? x : op == 1 ? x & ~sign : x ^ sign);
    return FLOW_NEXT;
}

// VFPExpandImm for a format of E exponent and F fraction bits.
__device__ __forceinline__ u64 fp_expand_imm(u32 imm8, u32 E, u32 F) {
    u64 sign = (imm8 >> 7) & 1, b = (imm8 >> 6) & 1, cd = (imm8 >> 4) & 3, efgh = imm8 & 0xf;
    u64 rep = b ? (1ull << (E - 3)) - 1 : 0;
    u64 exp = ((b ^ 1) << (E - 1)) | (rep << 2) | cd;
    return (sign << (E + F)) | (exp << F) | (efgh << (F - 4));
}

__device__ int exec_fmov_imm(Lane &L, u32 w) {
    u32 imm8 = bits(w, 13, 8);
    u64 v;
    switch (bits(w, 22, 2)) {
    case 0: v = fp_expand_imm(imm8, 8, 23); break;
    case 1: v = fp_expand_imm(imm8, 11, 52); break;
    case 3: v = fp_expand_imm(imm8, 5, 10); break;
    default: return undefined(L, w);
    }
    set_scalar(L, f_rd(w), v);
    return FLOW_NEXT;
}

__device__ int exec_fcsel(Lane &L, u32 w) {
    u32 ft = bits(w, 22, 2);
    if (ft == 2) return undefined(L, w);
    u32 src = condition_holds(bits(w, 12, 4), L.s->nzcv) ? f_rn(w) : f_rm(w);
    set_scalar(L, f_rd(w), L.s->v[src][0] & ftype_mask(ft));
    return FLOW_NEXT;
}

// The format of the scalar `ftype` field; false for the reserved value 2.
__device__ __forceinline__ bool fmt_of(u32 ft, Fmt *T) {
    if (ft == 2) return false;
    *T = ft == 0 ? fmt_s() : ft == 1 ? fmt_d() : fmt_h();
    return true;
}

// End of a scalar handler: write r to Vd (or Xd with gen), OR fl into FPSR.
__device__ __forceinline__ int fp_finish(Lane &L, u32 w, u64 r, u32 fl, bool gen) {
    if (gen) set_xr(L, f_rd(w), r);
    else set_scalar(L, f_rd(w), r);
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// FSQRT, FRINT* (scalar; FMOV/FABS/FNEG are exec_fp_move).
__device__ __noinline__ int exec_fp_dp1(Lane &L, u32 w) {
    Fmt T;
    if (!fmt_of(bits(w, 22, 2), &T)) return undefined(L, w);
    u64 x = L.s->v[f_rn(w)][0] & T.mask();
    FpCtx c = fp_ctx(T, L.s->fpcr);
    u32 fl = 0, op = bits(w, 15, 6);
    u64 r;
    switch (op) {
    case 3: r = fp_sqrt(T, x, c, &fl); break;
    case 8: r = fp_round_int(T, x, FP_RN, false, c, &fl); break;
    case 9: r = fp_round_int(T, x, FP_RP, false, c, &fl); break;
    case 10: r = fp_round_int(T, x, FP_RM, false, c, &fl); break;
    case 11: r = fp_round_int(T, x, FP_RZ, false, c, &fl); break;
    case 12: r = fp_round_int(T, x, FP_RA, false, c, &fl); break;
    case 14: r = fp_round_int(T, x, c.rmode, true, c, &fl); break;
    case 15: r = fp_round_int(T, x, c.rmode, false, c, &fl); break;
    case 16: case 17: case 18: case 19:
        if (T.half) return undefined(L, w);
        r = fp_round_int_n(T, x, (op & 1) ? c.rmode : FP_RZ, op < 18 ? 32 : 64, c, &fl);
        break;
    default: return undefined(L, w);
    }
    return fp_finish(L, w, r, fl, false);
}

// FCVT between half, single and double.
__device__ __noinline__ int exec_fcvt(Lane &L, u32 w) {
    u32 from = bits(w, 22, 2), to = bits(w, 15, 2);
    Fmt F, T;
    if (from == to || !fmt_of(from, &F) || !fmt_of(to, &T)) return undefined(L, w);
    u64 fpcr = L.s->fpcr;
    u32 fl = 0;
    u64 r = fp_convert(F, T, L.s->v[f_rn(w)][0] & F.mask(), (u32)(fpcr >> 22) & 3, fpcr, &fl);
    return fp_finish(L, w, r, fl, false);
}

// FMUL, FDIV, FADD, FSUB, FMAX, FMIN, FMAXNM, FMINNM, FNMUL (scalar).
__device__ __noinline__ int exec_fp_dp2(Lane &L, u32 w) {
    Fmt T;
    if (!fmt_of(bits(w, 22, 2), &T)) return undefined(L, w);
    u64 a = L.s->v[f_rn(w)][0] & T.mask(), b = L.s->v[f_rm(w)][0] & T.mask();
    u32 fl = 0;
    u64 r = fp_binop(T, bits(w, 12, 4), a, b, fp_ctx(T, L.s->fpcr), &fl);
    return fp_finish(L, w, r, fl, false);
}

// FMADD, FMSUB, FNMADD, FNMSUB: (+-)Va + (+-)Vn * Vm, fused.
__device__ __noinline__ int exec_fp_dp3(Lane &L, u32 w) {
    Fmt T;
    if (!fmt_of(bits(w, 22, 2), &T)) return undefined(L, w);
    bool o1 = bit(w, 21), o0 = bit(w, 15);
    u64 a = (L.s->v[bits(w, 10, 5)][0] & T.mask()) ^ (o1 ? T.sgn() : 0);
    u64 n = (L.s->v[f_rn(w)][0] & T.mask()) ^ (o0 != o1 ? T.sgn() : 0);
    u64 m = L.s->v[f_rm(w)][0] & T.mask();
    u32 fl = 0;
    u64 r = fp_muladd(T, a, n, m, fp_ctx(T, L.s->fpcr), &fl);
    return fp_finish(L, w, r, fl, false);
}

// FCMP, FCMPE (register and zero) and, with cond, FCCMP, FCCMPE.
__device__ __noinline__ int exec_fcmp(Lane &L, u32 w, bool cond) {
    Fmt T;
    if (!fmt_of(bits(w, 22, 2), &T)) return undefined(L, w);
    if (cond && !condition_holds(bits(w, 12, 4), L.s->nzcv)) {
        L.s->nzcv = (u64)bits(w, 0, 4) << 28;
        return FLOW_NEXT;
    }
    u64 a = L.s->v[f_rn(w)][0] & T.mask();
    u64 b = !cond && bit(w, 3) ? 0 : L.s->v[f_rm(w)][0] & T.mask();
    u32 fl = 0;
    L.s->nzcv = fp_compare(T, a, b, bit(w, 4), fp_ctx(T, L.s->fpcr), &fl);
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// FCVT{N,P,M,Z,A}{S,U} (to a general register) and, with fixed,
// FCVTZS/FCVTZU (fixed-point).
__device__ __noinline__ int exec_fcvt_to_int(Lane &L, u32 w, bool fixed) {
    Fmt T;
    if (!fmt_of(bits(w, 22, 2), &T)) return undefined(L, w);
    bool sf = bit(w, 31);
    u32 fbits = 0, rmode = FP_RZ;
    if (fixed) {
        u32 scale = bits(w, 10, 6);
        if (!sf && scale < 32) return undefined(L, w);
        fbits = 64 - scale;
    } else {
        rmode = bits(w, 17, 2) == 2 ? FP_RA : bits(w, 19, 2);
    }
    u64 x = L.s->v[f_rn(w)][0] & T.mask();
    u32 fl = 0;
    u64 r = fp_to_fixed(T, x, fbits, bit(w, 16), sf ? 64 : 32, rmode, fp_ctx(T, L.s->fpcr), &fl);
    return fp_finish(L, w, r, fl, true);
}

// SCVTF, UCVTF (from a general register; fixed-point with fixed).
__device__ __noinline__ int exec_cvtf_from_int(Lane &L, u32 w, bool fixed) {
    Fmt T;
    if (!fmt_of(bits(w, 22, 2), &T)) return undefined(L, w);
    bool sf = bit(w, 31);
    u32 fbits = 0;
    if (fixed) {
        u32 scale = bits(w, 10, 6);
        if (!sf && scale < 32) return undefined(L, w);
        fbits = 64 - scale;
    }
    u32 fl = 0;
    u64 r = fp_from_fixed(T, xr(L, f_rn(w)), fbits, bit(w, 16), sf ? 64 : 32, fp_ctx(T, L.s->fpcr), &fl);
    return fp_finish(L, w, r, fl, false);
}

// FJCVTZS: Wd = the double truncated modulo 2^32; Z when exact and in range.
__device__ __noinline__ int exec_fjcvtzs(Lane &L, u32 w) {
    u32 fl = 0;
    bool z;
    u64 r = fp_to_int32_js(L.s->v[f_rn(w)][0], fp_ctx(fmt_d(), L.s->fpcr), &fl, &z);
    set_xr(L, f_rd(w), r);
    L.s->nzcv = z ? NZCV_Z : 0;
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_fp(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_FMOV_to_gen: case KVRM_OP_FMOV_from_gen: case KVRM_OP_FMOV_to_gen_top:
    case KVRM_OP_FMOV_from_gen_top:
        return exec_fmov_gen(L, w);
    case KVRM_OP_FMOV_reg: return exec_fp_move(L, w, 0);
    case KVRM_OP_FABS_s: return exec_fp_move(L, w, 1);
    case KVRM_OP_FNEG_s: return exec_fp_move(L, w, 2);
    case KVRM_OP_FMOV_imm: return exec_fmov_imm(L, w);
    case KVRM_OP_FCSEL: return exec_fcsel(L, w);
    case KVRM_OP_FSQRT_s: case KVRM_OP_FRINT_s: case KVRM_OP_FRINTTS_s: return exec_fp_dp1(L, w);
    case KVRM_OP_FCVT_s: return exec_fcvt(L, w);
    case KVRM_OP_FMUL_s: case KVRM_OP_FDIV_s: case KVRM_OP_FADD_s: case KVRM_OP_FSUB_s:
    case KVRM_OP_FMAX_s: case KVRM_OP_FMIN_s: case KVRM_OP_FMAXNM_s: case KVRM_OP_FMINNM_s:
    case KVRM_OP_FNMUL_s:
        return exec_fp_dp2(L, w);
    case KVRM_OP_FMADD: case KVRM_OP_FMSUB: case KVRM_OP_FNMADD: case KVRM_OP_FNMSUB:
        return exec_fp_dp3(L, w);
    case KVRM_OP_FCMP: return exec_fcmp(L, w, false);
    case KVRM_OP_FCCMP: return exec_fcmp(L, w, true);
    case KVRM_OP_FCVTNS_g: case KVRM_OP_FCVTNU_g: case KVRM_OP_FCVTPS_g: case KVRM_OP_FCVTPU_g:
    case KVRM_OP_FCVTMS_g: case KVRM_OP_FCVTMU_g: case KVRM_OP_FCVTZS_g: case KVRM_OP_FCVTZU_g:
    case KVRM_OP_FCVTAS_g: case KVRM_OP_FCVTAU_g:
        return exec_fcvt_to_int(L, w, false);
    case KVRM_OP_FCVTZS_fix: case KVRM_OP_FCVTZU_fix: return exec_fcvt_to_int(L, w, true);
    case KVRM_OP_SCVTF_g: case KVRM_OP_UCVTF_g: return exec_cvtf_from_int(L, w, false);
    case KVRM_OP_SCVTF_fix: case KVRM_OP_UCVTF_fix: return exec_cvtf_from_int(L, w, true);
    case KVRM_OP_FJCVTZS: return exec_fjcvtzs(L, w);
    default: return -1;
    }
}
