// Advanced SIMD integer, mirroring crates/kvrm-cpu/src/exec/simd_int/: so far
// the bitwise "three same" group (logic), the non-saturating vector "three
// same" operations (same.rs same_v / same_op) and the modified immediates
// (shift.rs mod_imm). Everything else in the class (saturating, shifts,
// widening, across lanes) needs host.

typedef __int128 i128;

__device__ __forceinline__ u128 half_q(u128 v, bool q) { return q ? v : (v & (u128)~0ull); }

// AND/BIC/ORR/ORN/EOR/BSL/BIT/BIF (vector).
__device__ __noinline__ int exec_simd_logic(Lane &L, u32 w, u32 k) {
    u128 n = vreg(L, f_rn(w)), m = vreg(L, f_rm(w)), d = vreg(L, f_rd(w)), r;
    switch (k) {
    case 0: r = n & m; break;
    case 1: r = n & ~m; break;
    case 2: r = n | m; break;
    case 3: r = n | ~m; break;
    case 4: r = n ^ m; break;
    case 5: r = (d & n) | (~d & m); break;
    case 6: r = (m & n) | (~m & d); break;
    default: r = (~m & n) | (m & d); break;
    }
    set_vreg(L, f_rd(w), half_q(r, bit(w, 30)));
    return FLOW_NEXT;
}

__device__ __forceinline__ u64 elem_mask(u32 e) { return e >= 64 ? ~0ull : (1ull << e) - 1; }
__device__ __forceinline__ i128 ival(u64 x, u32 e, bool u) {
    return u ? (i128)(x & elem_mask(e)) : (i128)(i64)sext(x, e);
}
__device__ __forceinline__ u64 ones_if(bool c) { return c ? ~0ull : 0ull; }

// One element of the non-saturating three-same operations (key U<<5|opcode).
__device__ u64 same_op(u32 k, u64 x, u64 y, u64 d, u32 e) {
    bool u = k & 0x20;
    i128 a = ival(x, e, u), b = ival(y, e, u);
    switch (k & 0x1f) {
    case 0x00: return (u64)((a + b) >> 1);
    case 0x02: return (u64)((a + b + 1) >> 1);
    case 0x04: return (u64)((a - b) >> 1);
    case 0x06: return ones_if(a > b);
    case 0x07: return ones_if(a >= b);
    case 0x0c: case 0x14: return (u64)(a > b ? a : b);
    case 0x0d: case 0x15: return (u64)(a < b ? a : b);
    case 0x0e: { i128 t = a - b; return (u64)(t < 0 ? -t : t); }
    case 0x0f: { i128 t = a - b; return d + (u64)(t < 0 ? -t : t); }
    case 0x10: return u ? x - y : x + y;
    case 0x11: return ones_if(u ? x == y : (x & y) != 0);
    case 0x12: { u64 p = x * y; return u ? d - p : d + p; }
    case 0x13: return x * y; // MUL (PMUL is not dispatched here)
    default: return (u64)(a + b); // 0x17 ADDP
    }
}

__device__ __noinline__ int exec_simd_same(Lane &L, u32 w) {
    bool q = bit(w, 30);
    u32 size = bits(w, 22, 2);
    u32 k = ((u32)bit(w, 29) << 5) | bits(w, 11, 5);
    u32 op = k & 0x1f;
    bool bad = (op == 0x10 || op == 0x11 || op == 0x17 || (op >= 0x05 && op <= 0x0b)) ? (size == 3 && !q)
                                                                                     : size == 3;
    if (bad) return undefined(L, w);
    u32 e = 8u << size;
    u32 lanes = (q ? 128u : 64u) / e;
    u128 a = vreg(L, f_rn(w)), b = vreg(L, f_rm(w)), d = vreg(L, f_rd(w)), r = 0;
    if (op == 0x14 || op == 0x15 || op == 0x17) {
        // Pairwise over the concatenation Rm:Rn (Rn in the low lanes).
        u32 hl = lanes / 2;
        for (u32 i = 0; i < lanes; i++) {
            u128 src = i < hl ? a : b;
            u32 j = i < hl ? 2 * i : 2 * (i - hl);
            r = set_lane(r, size, i, same_op(k, lane(src, size, j), lane(src, size, j + 1), 0, e));
        }
    } else {
        for (u32 i = 0; i < lanes; i++)
            r = set_lane(r, size, i, same_op(k, lane(a, size, i), lane(b, size, i), lane(d, size, i), e));
    }
    set_vreg(L, f_rd(w), r);
    return FLOW_NEXT;
}

// AdvSIMDExpandImm for the integer cmode values (cmode 1111 is FMOV).
__device__ u64 simd_expand_imm(bool op, u32 cmode, u64 imm8) {
    switch (cmode >> 1) {
    case 0: case 1: case 2: case 3: { u64 x = imm8 << (8 * (cmode >> 1)); return x | (x << 32); }
    case 4: case 5: return (imm8 << (8 * ((cmode >> 1) & 1))) * 0x0001000100010001ull;
    case 6: {
        u64 x = (cmode & 1) == 0 ? (imm8 << 8) | 0xff : (imm8 << 16) | 0xffff;
        return x | (x << 32);
    }
    default:
        if (op) {
            u64 r = 0;
            for (u32 i = 0; i < 8; i++)
                if ((imm8 >> i) & 1) r |= 0xffull << (8 * i);
            return r;
        }
        return imm8 * 0x0101010101010101ull;
    }
}

// MOVI / MVNI / ORR (vector, immediate) / BIC (vector, immediate).
__device__ __noinline__ int exec_simd_mod_imm(Lane &L, u32 w) {
    bool q = bit(w, 30), op = bit(w, 29);
    u32 cmode = bits(w, 12, 4);
    u64 imm8 = ((u64)bits(w, 16, 3) << 5) | bits(w, 5, 5);
    u64 imm = simd_expand_imm(op, cmode, imm8);
    bool logical = (cmode & 1) == 1 && cmode < 12;
    if (op && !logical && cmode != 14) imm = ~imm;
    u128 v = half_q((u128)imm | ((u128)imm << 64), q);
    u32 d = f_rd(w);
    u128 r = v;
    if (logical) {
        u128 old = half_q(vreg(L, d), q);
        r = op ? old & ~v : old | v;
    }
    set_vreg(L, d, r);
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_simd_int(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_AND_v: return exec_simd_logic(L, w, 0);
    case KVRM_OP_BIC_v: return exec_simd_logic(L, w, 1);
    case KVRM_OP_ORR_v: return exec_simd_logic(L, w, 2);
    case KVRM_OP_ORN_v: return exec_simd_logic(L, w, 3);
    case KVRM_OP_EOR_v: return exec_simd_logic(L, w, 4);
    case KVRM_OP_BSL_v: return exec_simd_logic(L, w, 5);
    case KVRM_OP_BIT_v: return exec_simd_logic(L, w, 6);
    case KVRM_OP_BIF_v: return exec_simd_logic(L, w, 7);
    case KVRM_OP_SHADD_v: case KVRM_OP_UHADD_v: case KVRM_OP_SRHADD_v: case KVRM_OP_URHADD_v:
    case KVRM_OP_SHSUB_v: case KVRM_OP_UHSUB_v: case KVRM_OP_CMGT_v: case KVRM_OP_CMHI_v:
    case KVRM_OP_CMGE_v: case KVRM_OP_CMHS_v: case KVRM_OP_SMAX_v: case KVRM_OP_UMAX_v:
    case KVRM_OP_SMIN_v: case KVRM_OP_UMIN_v: case KVRM_OP_SABD_v: case KVRM_OP_UABD_v:
    case KVRM_OP_SABA_v: case KVRM_OP_UABA_v: case KVRM_OP_ADD_v: case KVRM_OP_SUB_v:
    case KVRM_OP_CMTST_v: case KVRM_OP_CMEQ_v: case KVRM_OP_MLA_v: case KVRM_OP_MLS_v:
    case KVRM_OP_MUL_v: case KVRM_OP_SMAXP_v: case KVRM_OP_UMAXP_v: case KVRM_OP_SMINP_v:
    case KVRM_OP_UMINP_v: case KVRM_OP_ADDP_v:
        return exec_simd_same(L, w);
    case KVRM_OP_MOVI_32: case KVRM_OP_ORR_v_imm32: case KVRM_OP_MOVI_16: case KVRM_OP_ORR_v_imm16:
    case KVRM_OP_MOVI_msl: case KVRM_OP_MOVI_8: case KVRM_OP_MVNI_32: case KVRM_OP_BIC_v_imm32:
    case KVRM_OP_MVNI_16: case KVRM_OP_BIC_v_imm16: case KVRM_OP_MVNI_msl: case KVRM_OP_MOVI_64:
        return exec_simd_mod_imm(L, w);
    default: return -1;
    }
}
