// Scalar floating point, mirroring crates/kvrm-cpu/src/exec/fp/mod.rs: so
// far the instructions that move or select bit patterns and raise no
// exceptions (FMOV register/immediate/general, FABS, FNEG, FCSEL). The
// arithmetic, compares and conversions (fpcore's soft-float, FPCR/FPSR
// exact) need host.

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
    default: return -1;
    }
}
