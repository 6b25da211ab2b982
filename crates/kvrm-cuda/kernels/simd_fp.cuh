// Advanced SIMD floating point, mirroring crates/kvrm-cpu/src/exec/simd_fp/:
// vector (2S/4S/2D) and scalar forms, the whole class. Each lane goes
// through the same fpcore.cuh functions as the scalar instructions; the FPSR
// flags of all lanes are OR-ed.

// One-operand lane operations (exec/simd_fp/unary.rs's U_* numbering).
#define U_ABS 0u
#define U_NEG 1u
#define U_SQRT 2u
#define U_FRINTN 3u
#define U_FRINTM 4u
#define U_FRINTP 5u
#define U_FRINTZ 6u
#define U_FRINTA 7u
#define U_FRINTX 8u
#define U_FRINTI 9u
#define U_FRINT32Z 10u
#define U_FRINT32X 11u
#define U_FRINT64Z 12u
#define U_FRINT64X 13u
#define U_CVTNS 14u
#define U_CVTMS 15u
#define U_CVTAS 16u
#define U_CVTPS 17u
#define U_CVTZS 18u
#define U_CVTNU 19u
#define U_CVTMU 20u
#define U_CVTAU 21u
#define U_CVTPU 22u
#define U_CVTZU 23u
#define U_SCVTF 24u
#define U_UCVTF 25u
#define U_RECPE 26u
#define U_RSQRTE 27u
#define U_RECPX 28u
#define U_CMGT0 29u
#define U_CMEQ0 30u
#define U_CMLT0 31u
#define U_CMGE0 32u
#define U_CMLE0 33u

__device__ __noinline__ u64 fp_unop(const Fmt &T, u32 op, u64 x, const FpCtx &c, u32 *fl) {
    switch (op) {
    case U_ABS: return x & T.abs();
    case U_NEG: return x ^ T.sgn();
    case U_SQRT: return fp_sqrt(T, x, c, fl);
    case U_FRINTN: return fp_round_int(T, x, FP_RN, false, c, fl);
    case U_FRINTM: return fp_round_int(T, x, FP_RM, false, c, fl);
    case U_FRINTP: return fp_round_int(T, x, FP_RP, false, c, fl);
    case U_FRINTZ: return fp_round_int(T, x, FP_RZ, false, c, fl);
    case U_FRINTA: return fp_round_int(T, x, FP_RA, false, c, fl);
    case U_FRINTX: return fp_round_int(T, x, c.rmode, true, c, fl);
    case U_FRINTI: return fp_round_int(T, x, c.rmode, false, c, fl);
    case U_FRINT32Z: return fp_round_int_n(T, x, FP_RZ, 32, c, fl);
    case U_FRINT32X: return fp_round_int_n(T, x, c.rmode, 32, c, fl);
    case U_FRINT64Z: return fp_round_int_n(T, x, FP_RZ, 64, c, fl);
    case U_FRINT64X: return fp_round_int_n(T, x, c.rmode, 64, c, fl);
    case U_CVTNS: return fp_to_fixed(T, x, 0, false, T.n(), FP_RN, c, fl);
    case U_CVTMS: return fp_to_fixed(T, x, 0, false, T.n(), FP_RM, c, fl);
    case U_CVTAS: return fp_to_fixed(T, x, 0, false, T.n(), FP_RA, c, fl);
    case U_CVTPS: return fp_to_fixed(T, x, 0, false, T.n(), FP_RP, c, fl);
    case U_CVTZS: return fp_to_fixed(T, x, 0, false, T.n(), FP_RZ, c, fl);
    case U_CVTNU: return fp_to_fixed(T, x, 0, true, T.n(), FP_RN, c, fl);
    case U_CVTMU: return fp_to_fixed(T, x, 0, true, T.n(), FP_RM, c, fl);
    case U_CVTAU: return fp_to_fixed(T, x, 0, true, T.n(), FP_RA, c, fl);
    case U_CVTPU: return fp_to_fixed(T, x, 0, true, T.n(), FP_RP, c, fl);
    case U_CVTZU: return fp_to_fixed(T, x, 0, true, T.n(), FP_RZ, c, fl);
    case U_SCVTF: return fp_from_fixed(T, x, 0, false, T.n(), c, fl);
    case U_UCVTF: return fp_from_fixed(T, x, 0, true, T.n(), c, fl);
    case U_RECPE: return fp_recip_est(T, x, c, fl);
    case U_RSQRTE: return fp_rsqrt_est(T, x, c, fl);
    case U_RECPX: return fp_recpx(T, x, c, fl);
    case U_CMGT0: return fp_compare_mask(T, x, 0, CMP_GT, false, c, fl);
    case U_CMEQ0: return fp_compare_mask(T, x, 0, CMP_EQ, false, c, fl);
    case U_CMLT0: return fp_compare_mask(T, 0, x, CMP_GT, false, c, fl);
    case U_CMGE0: return fp_compare_mask(T, x, 0, CMP_GE, false, c, fl);
    default: return fp_compare_mask(T, 0, x, CMP_GE, false, c, fl);
    }
}

// What a lane-wise handler computes (exec/simd_fp's Kernel impls).
#define K_BIN 0u    // Vn OP Vm
#define K_UN 1u     // OP Vn
#define K_FMA 2u    // Vd + Vn * Vm, or with op 1 Vd + (-Vn) * Vm (FMLA, FMLS)
#define K_PAIR 3u   // pairwise over Vm:Vn
#define K_PAIRSC 4u // the two low lanes of Vn (scalar pairwise)

__device__ __forceinline__ u64 fp_lane(u128 v, const Fmt &T, u32 i) {
    return (u64)(v >> (i * T.n())) & T.mask();
}

// Lane i (of n) of kind/op on the sources s = {Vd, Vn, Vm}.
__device__ u64 simd_fp_lane(u32 kind, u32 op, const Fmt &T, const u128 *s, u32 i, u32 n, const FpCtx &c,
                            u32 *fl) {
    switch (kind) {
    case K_BIN: return fp_binop(T, op, fp_lane(s[1], T, i), fp_lane(s[2], T, i), c, fl);
    case K_UN: return fp_unop(T, op, fp_lane(s[1], T, i), c, fl);
    case K_FMA:
        return fp_muladd(T, fp_lane(s[0], T, i), fp_lane(s[1], T, i) ^ (op ? T.sgn() : 0),
                         fp_lane(s[2], T, i), c, fl);
    case K_PAIR: {
        u128 src = i < n / 2 ? s[1] : s[2];
        u32 j = i < n / 2 ? 2 * i : 2 * (i - n / 2);
        return fp_binop(T, op, fp_lane(src, T, j), fp_lane(src, T, j + 1), c, fl);
    }
    default: return fp_binop(T, op, fp_lane(s[1], T, 0), fp_lane(s[1], T, 1), c, fl);
    }
}

// A lane-wise operation: vector (2S, 4S; 2D needs Q) or scalar (lane 0 of
// S or D by bit 22).
__device__ __noinline__ int exec_simd_fp_map(Lane &L, u32 w, u32 kind, u32 op, bool scalar) {
    bool q = bit(w, 30), sz = bit(w, 22);
    if (!scalar && sz && !q) return undefined(L, w);
    Fmt T = sz ? fmt_d() : fmt_s();
    u32 n = scalar ? 1 : (q ? 128 : 64) / T.n();
    u128 s[3] = {vreg(L, f_rd(w)), vreg(L, f_rn(w)), vreg(L, f_rm(w))};
    FpCtx c = fp_ctx(T, L.s->fpcr);
    u32 fl = 0;
    u128 r = 0;
    for (u32 i = 0; i < n; i++) r |= (u128)simd_fp_lane(kind, op, T, s, i, n, c, &fl) << (i * T.n());
    if (scalar) set_scalar(L, f_rd(w), (u64)r);
    else set_vreg(L, f_rd(w), half_q(r, q));
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// FMAXV, FMINV, FMAXNMV, FMINNMV (4S only): a tree reduction.
__device__ __noinline__ int exec_fp_across(Lane &L, u32 w, u32 op) {
    if (!bit(w, 30) || bit(w, 22)) return undefined(L, w);
    Fmt T = fmt_s();
    u128 v = vreg(L, f_rn(w));
    FpCtx c = fp_ctx(T, L.s->fpcr);
    u32 fl = 0;
    u64 lo = fp_binop(T, op, fp_lane(v, T, 0), fp_lane(v, T, 1), c, &fl);
    u64 hi = fp_binop(T, op, fp_lane(v, T, 2), fp_lane(v, T, 3), c, &fl);
    set_scalar(L, f_rd(w), fp_binop(T, op, lo, hi, c, &fl));
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// FCVTN, FCVTN2 (4S to 4H, 2D to 2S); with odd FCVTXN, FCVTXN2 (2D to 2S,
// round to odd).
__device__ __noinline__ int exec_fcvtn(Lane &L, u32 w, bool odd) {
    bool q = bit(w, 30), sz = bit(w, 22);
    if (odd && !sz) return undefined(L, w);
    u128 a = vreg(L, f_rn(w));
    u64 fpcr = L.s->fpcr;
    u32 rmode = odd ? FP_RO : (u32)(fpcr >> 22) & 3;
    Fmt F = sz ? fmt_d() : fmt_s(), T = sz ? fmt_s() : fmt_h();
    u32 fl = 0;
    u64 r = 0;
    for (u32 i = 0; i < 64 / T.n(); i++) r |= fp_convert(F, T, fp_lane(a, F, i), rmode, fpcr, &fl) << (i * T.n());
    u32 d = f_rd(w);
    if (q) {
        L.s->v[d][1] = r;
    } else {
        L.s->v[d][0] = r;
        L.s->v[d][1] = 0;
    }
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// FCVTXN (scalar): Sd = Dn rounded to odd.
__device__ __noinline__ int exec_fcvtxn_sc(Lane &L, u32 w) {
    if (!bit(w, 22)) return undefined(L, w);
    u32 fl = 0;
    u64 r = fp_convert(fmt_d(), fmt_s(), L.s->v[f_rn(w)][0], FP_RO, L.s->fpcr, &fl);
    set_scalar(L, f_rd(w), r);
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// FCVTL, FCVTL2 (4H to 4S, 2S to 2D; the 2 form reads the upper half).
__device__ __noinline__ int exec_fcvtl(Lane &L, u32 w) {
    bool q = bit(w, 30), sz = bit(w, 22);
    u128 src = L.s->v[f_rn(w)][q];
    u64 fpcr = L.s->fpcr;
    Fmt F = sz ? fmt_s() : fmt_h(), T = sz ? fmt_d() : fmt_s();
    u32 fl = 0;
    u128 r = 0;
    for (u32 i = 0; i < 64 / F.n(); i++)
        r |= (u128)fp_convert(F, T, fp_lane(src, F, i), (u32)(fpcr >> 22) & 3, fpcr, &fl) << (i * T.n());
    set_vreg(L, f_rd(w), r);
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

#define E_FMLA 0u
#define E_FMLS 1u
#define E_FMUL 2u
#define E_FMULX 3u

// FMLA, FMLS, FMUL, FMULX (by element; vector or scalar).
__device__ __noinline__ int exec_fp_elem(Lane &L, u32 w, u32 op, bool scalar) {
    bool q = bit(w, 30), sz = bit(w, 22);
    u32 l = bit(w, 21), h = bit(w, 11), idx;
    if (sz) {
        if (l || (!scalar && !q)) return undefined(L, w);
        idx = h;
    } else {
        idx = (h << 1) | l;
    }
    Fmt T = sz ? fmt_d() : fmt_s();
    u64 e = fp_lane(vreg(L, bits(w, 16, 5)), T, idx);
    u128 a = vreg(L, f_rn(w)), acc = vreg(L, f_rd(w));
    FpCtx c = fp_ctx(T, L.s->fpcr);
    u32 n = scalar ? 1 : (q ? 128 : 64) / T.n();
    u32 fl = 0;
    u128 r = 0;
    for (u32 i = 0; i < n; i++) {
        u64 x = fp_lane(a, T, i), y;
        switch (op) {
        case E_FMLA: y = fp_muladd(T, fp_lane(acc, T, i), x, e, c, &fl); break;
        case E_FMLS: y = fp_muladd(T, fp_lane(acc, T, i), x ^ T.sgn(), e, c, &fl); break;
        case E_FMUL: y = fp_mul(T, x, e, false, c, &fl); break;
        default: y = fp_mul(T, x, e, true, c, &fl); break;
        }
        r |= (u128)y << (i * T.n());
    }
    if (scalar) set_scalar(L, f_rd(w), (u64)r & T.mask());
    else set_vreg(L, f_rd(w), half_q(r, q));
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

// SCVTF, UCVTF and, with to_int, FCVTZS, FCVTZU (fixed-point, vector and scalar).
__device__ __noinline__ int exec_fp_fixed(Lane &L, u32 w, bool to_int, bool scalar) {
    bool q = bit(w, 30), uns = bit(w, 29), dbl = bit(w, 22);
    u32 immhb = bits(w, 16, 7);
    if (dbl && !q && !scalar) return undefined(L, w);
    Fmt T = dbl ? fmt_d() : fmt_s();
    u32 fbits = (dbl ? 128 : 64) - immhb;
    u32 n = scalar ? 1 : (q ? 128 : 64) / T.n();
    u128 a = vreg(L, f_rn(w));
    FpCtx c = fp_ctx(T, L.s->fpcr);
    u32 fl = 0;
    u128 r = 0;
    for (u32 i = 0; i < n; i++) {
        u64 x = fp_lane(a, T, i);
        u64 y = to_int ? fp_to_fixed(T, x, fbits, uns, T.n(), FP_RZ, c, &fl)
                       : fp_from_fixed(T, x, fbits, uns, T.n(), c, &fl);
        r |= (u128)y << (i * T.n());
    }
    if (scalar) set_scalar(L, f_rd(w), (u64)r);
    else set_vreg(L, f_rd(w), half_q(r, q));
    L.s->fpsr |= fl;
    return FLOW_NEXT;
}

__device__ int exec_fmov_vimm(Lane &L, u32 w) {
    bool q = bit(w, 30);
    u32 imm8 = (bits(w, 16, 3) << 5) | bits(w, 5, 5);
    u128 v;
    if (bit(w, 29)) {
        u128 d = (u128)fp_expand_imm(imm8, 11, 52);
        v = d | (d << 64);
    } else {
        u128 s = (u128)fp_expand_imm(imm8, 8, 23);
        s |= s << 32;
        v = s | (s << 64);
    }
    set_vreg(L, f_rd(w), half_q(v, q));
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_simd_fp(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_FMOV_vimm_s: case KVRM_OP_FMOV_vimm_d: return exec_fmov_vimm(L, w);
#define V(name, kind, op) case KVRM_OP_##name: return exec_simd_fp_map(L, w, kind, op, false);
#define SC(name, kind, op) case KVRM_OP_##name: return exec_simd_fp_map(L, w, kind, op, true);
    V(FMAXNM_v, K_BIN, OP_MAXNM) V(FMLA_v, K_FMA, 0) V(FADD_v, K_BIN, OP_ADD)
    V(FMULX_v, K_BIN, OP_MULX) V(FCMEQ_v, K_BIN, OP_CMEQ) V(FMAX_v, K_BIN, OP_MAX)
    V(FRECPS_v, K_BIN, OP_RECPS) V(FMINNM_v, K_BIN, OP_MINNM) V(FMLS_v, K_FMA, 1)
    V(FSUB_v, K_BIN, OP_SUB) V(FMIN_v, K_BIN, OP_MIN) V(FRSQRTS_v, K_BIN, OP_RSQRTS)
    V(FMAXNMP_v, K_PAIR, OP_MAXNM) V(FADDP_v, K_PAIR, OP_ADD) V(FMUL_v, K_BIN, OP_MUL)
    V(FCMGE_v, K_BIN, OP_CMGE) V(FACGE_v, K_BIN, OP_ACGE) V(FMAXP_v, K_PAIR, OP_MAX)
    V(FDIV_v, K_BIN, OP_DIV) V(FMINNMP_v, K_PAIR, OP_MINNM) V(FABD_v, K_BIN, OP_ABD)
    V(FCMGT_v, K_BIN, OP_CMGT) V(FACGT_v, K_BIN, OP_ACGT) V(FMINP_v, K_PAIR, OP_MIN)
    SC(FMULX_sc, K_BIN, OP_MULX) SC(FCMEQ_sc, K_BIN, OP_CMEQ) SC(FRECPS_sc, K_BIN, OP_RECPS)
    SC(FRSQRTS_sc, K_BIN, OP_RSQRTS) SC(FCMGE_sc, K_BIN, OP_CMGE) SC(FACGE_sc, K_BIN, OP_ACGE)
    SC(FABD_sc, K_BIN, OP_ABD) SC(FCMGT_sc, K_BIN, OP_CMGT) SC(FACGT_sc, K_BIN, OP_ACGT)
    V(FRINTN_v, K_UN, U_FRINTN) V(FRINTM_v, K_UN, U_FRINTM) V(FCVTNS_v, K_UN, U_CVTNS)
    V(FCVTMS_v, K_UN, U_CVTMS) V(FCVTAS_v, K_UN, U_CVTAS) V(SCVTF_v, K_UN, U_SCVTF)
    V(FRINT32Z_v, K_UN, U_FRINT32Z) V(FRINT64Z_v, K_UN, U_FRINT64Z) V(FCMGT0_v, K_UN, U_CMGT0)
    V(FCMEQ0_v, K_UN, U_CMEQ0) V(FCMLT0_v, K_UN, U_CMLT0) V(FABS_v, K_UN, U_ABS)
    V(FRINTP_v, K_UN, U_FRINTP) V(FRINTZ_v, K_UN, U_FRINTZ) V(FCVTPS_v, K_UN, U_CVTPS)
    V(FCVTZS_v, K_UN, U_CVTZS) V(FRECPE_v, K_UN, U_RECPE) V(FRINTA_v, K_UN, U_FRINTA)
    V(FRINTX_v, K_UN, U_FRINTX) V(FCVTNU_v, K_UN, U_CVTNU) V(FCVTMU_v, K_UN, U_CVTMU)
    V(FCVTAU_v, K_UN, U_CVTAU) V(UCVTF_v, K_UN, U_UCVTF) V(FRINT32X_v, K_UN, U_FRINT32X)
    V(FRINT64X_v, K_UN, U_FRINT64X) V(FCMGE0_v, K_UN, U_CMGE0) V(FCMLE0_v, K_UN, U_CMLE0)
    V(FNEG_v, K_UN, U_NEG) V(FRINTI_v, K_UN, U_FRINTI) V(FCVTPU_v, K_UN, U_CVTPU)
    V(FCVTZU_v, K_UN, U_CVTZU) V(FRSQRTE_v, K_UN, U_RSQRTE) V(FSQRT_v, K_UN, U_SQRT)
    SC(FCVTNS_sc, K_UN, U_CVTNS) SC(FCVTMS_sc, K_UN, U_CVTMS) SC(FCVTAS_sc, K_UN, U_CVTAS)
    SC(SCVTF_sc, K_UN, U_SCVTF) SC(FCMGT0_sc, K_UN, U_CMGT0) SC(FCMEQ0_sc, K_UN, U_CMEQ0)
    SC(FCMLT0_sc, K_UN, U_CMLT0) SC(FCVTPS_sc, K_UN, U_CVTPS) SC(FCVTZS_sc, K_UN, U_CVTZS)
    SC(FRECPE_sc, K_UN, U_RECPE) SC(FRECPX_sc, K_UN, U_RECPX) SC(FCVTNU_sc, K_UN, U_CVTNU)
    SC(FCVTMU_sc, K_UN, U_CVTMU) SC(FCVTAU_sc, K_UN, U_CVTAU) SC(UCVTF_sc, K_UN, U_UCVTF)
    SC(FCMGE0_sc, K_UN, U_CMGE0) SC(FCMLE0_sc, K_UN, U_CMLE0) SC(FCVTPU_sc, K_UN, U_CVTPU)
    SC(FCVTZU_sc, K_UN, U_CVTZU) SC(FRSQRTE_sc, K_UN, U_RSQRTE)
    SC(FMAXNMP_sc, K_PAIRSC, OP_MAXNM) SC(FADDP_sc, K_PAIRSC, OP_ADD) SC(FMAXP_sc, K_PAIRSC, OP_MAX)
    SC(FMINNMP_sc, K_PAIRSC, OP_MINNM) SC(FMINP_sc, K_PAIRSC, OP_MIN)
#undef V
#undef SC
    case KVRM_OP_FCVTN_v: return exec_fcvtn(L, w, false);
    case KVRM_OP_FCVTXN_v: return exec_fcvtn(L, w, true);
    case KVRM_OP_FCVTXN_sc: return exec_fcvtxn_sc(L, w);
    case KVRM_OP_FCVTL_v: return exec_fcvtl(L, w);
    case KVRM_OP_FMAXNMV: return exec_fp_across(L, w, OP_MAXNM);
    case KVRM_OP_FMAXV: return exec_fp_across(L, w, OP_MAX);
    case KVRM_OP_FMINNMV: return exec_fp_across(L, w, OP_MINNM);
    case KVRM_OP_FMINV: return exec_fp_across(L, w, OP_MIN);
    case KVRM_OP_FMLA_elem: return exec_fp_elem(L, w, E_FMLA, false);
    case KVRM_OP_FMLS_elem: return exec_fp_elem(L, w, E_FMLS, false);
    case KVRM_OP_FMUL_elem: return exec_fp_elem(L, w, E_FMUL, false);
    case KVRM_OP_FMULX_elem: return exec_fp_elem(L, w, E_FMULX, false);
    case KVRM_OP_FMLA_elem_sc: return exec_fp_elem(L, w, E_FMLA, true);
    case KVRM_OP_FMLS_elem_sc: return exec_fp_elem(L, w, E_FMLS, true);
    case KVRM_OP_FMUL_elem_sc: return exec_fp_elem(L, w, E_FMUL, true);
    case KVRM_OP_FMULX_elem_sc: return exec_fp_elem(L, w, E_FMULX, true);
    case KVRM_OP_SCVTF_vfix_s: case KVRM_OP_SCVTF_vfix_d: case KVRM_OP_UCVTF_vfix_s:
    case KVRM_OP_UCVTF_vfix_d:
        return exec_fp_fixed(L, w, false, false);
    case KVRM_OP_FCVTZS_vfix_s: case KVRM_OP_FCVTZS_vfix_d: case KVRM_OP_FCVTZU_vfix_s:
    case KVRM_OP_FCVTZU_vfix_d:
        return exec_fp_fixed(L, w, true, false);
    case KVRM_OP_SCVTF_sfix_s: case KVRM_OP_SCVTF_sfix_d: case KVRM_OP_UCVTF_sfix_s:
    case KVRM_OP_UCVTF_sfix_d:
        return exec_fp_fixed(L, w, false, true);
    case KVRM_OP_FCVTZS_sfix_s: case KVRM_OP_FCVTZS_sfix_d: case KVRM_OP_FCVTZU_sfix_s:
    case KVRM_OP_FCVTZU_sfix_d:
        return exec_fp_fixed(L, w, true, true);
    default: return -1;
    }
}
