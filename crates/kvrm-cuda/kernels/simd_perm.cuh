// Advanced SIMD copy, permute, extract and table lookup, mirroring
// crates/kvrm-cpu/src/exec/simd_perm.rs.

typedef unsigned __int128 u128;

__device__ __forceinline__ u128 vreg(const Lane &L, u32 n) {
    return (u128)L.s->v[n][0] | ((u128)L.s->v[n][1] << 64);
}
__device__ __forceinline__ void set_vreg(Lane &L, u32 n, u128 v) {
    L.s->v[n][0] = (u64)v;
    L.s->v[n][1] = (u64)(v >> 64);
}
__device__ __forceinline__ u64 lane_mask(u32 size) { return ~0ull >> (64 - (8u << size)); }
__device__ __forceinline__ u64 lane(u128 v, u32 size, u32 i) {
    return (u64)(v >> (i << (3 + size))) & lane_mask(size);
}
__device__ __forceinline__ u128 set_lane(u128 v, u32 size, u32 i, u64 x) {
    u32 sh = i << (3 + size);
    u128 m = (u128)lane_mask(size) << sh;
    return (v & ~m) | ((u128)(x & lane_mask(size)) << sh);
}
__device__ __forceinline__ u128 replicate_lane(u64 x, u32 size) {
    const u64 ones[4] = {0x0101010101010101ull, 0x0001000100010001ull, 0x0000000100000001ull, 1ull};
    u128 r = (u128)((x & lane_mask(size)) * ones[size]);
    return r | (r << 64);
}
__device__ __forceinline__ u128 fit(u128 v, bool q) { return q ? v : (u128)(u64)v; }

// (size, index) of a copy instruction's imm5; false for the reserved x0000.
__device__ __forceinline__ bool imm5_size_index(u32 w, u32 *size, u32 *index) {
    u32 imm5 = bits(w, 16, 5);
    if (imm5 == 0) return false;
    u32 s = __ffs(imm5) - 1;
    if (s > 3) return false;
    *size = s;
    *index = imm5 >> (s + 1);
    return true;
}

__device__ __noinline__ int exec_simd_copy(Lane &L, u32 id, u32 w) {
    bool q = bit(w, 30);
    u32 size, index;
    if (!imm5_size_index(w, &size, &index)) return undefined(L, w);
    u32 d = f_rd(w), n = f_rn(w);
    switch (id) {
    case KVRM_OP_DUP_elem:
        if (size == 3 && !q) return undefined(L, w);
        set_vreg(L, d, fit(replicate_lane(lane(vreg(L, n), size, index), size), q));
        break;
    case KVRM_OP_DUP_gen:
        if (size == 3 && !q) return undefined(L, w);
        set_vreg(L, d, fit(replicate_lane(xr(L, n), size), q));
        break;
    case KVRM_OP_INS_gen:
        set_vreg(L, d, set_lane(vreg(L, d), size, index, xr(L, n)));
        break;
    case KVRM_OP_INS_elem: {
        u32 src = bits(w, 11, 4) >> size;
        u64 x = lane(vreg(L, n), size, src);
        set_vreg(L, d, set_lane(vreg(L, d), size, index, x));
        break;
    }
    case KVRM_OP_SMOV: {
        if (size > 1 + (u32)q) return undefined(L, w);
        u64 x = sext(lane(vreg(L, n), size, index), 8u << size);
        set_xr(L, d, q ? x : (u64)(u32)x);
        break;
    }
    case KVRM_OP_UMOV:
        if ((size == 3) != q) return undefined(L, w);
        set_xr(L, d, lane(vreg(L, n), size, index));
        break;
    default: // DUP_scalar
        set_vreg(L, d, (u128)lane(vreg(L, n), size, index));
        break;
    }
    return FLOW_NEXT;
}

// UZP1/2, TRN1/2, ZIP1/2 (part = bit 14).
__device__ __noinline__ int exec_simd_permute(Lane &L, u32 id, u32 w) {
    bool q = bit(w, 30);
    u32 size = bits(w, 22, 2);
    if (size == 3 && !q) return undefined(L, w);
    u32 elements = (8u << (u32)q) >> size;
    u32 part = bit(w, 14);
    u128 n = vreg(L, f_rn(w)), m = vreg(L, f_rm(w)), r = 0;
    u32 half = elements / 2;
    switch (id) {
    case KVRM_OP_UZP1: case KVRM_OP_UZP2:
        for (u32 e = 0; e < half; e++) {
            r = set_lane(r, size, e, lane(n, size, 2 * e + part));
            r = set_lane(r, size, e + half, lane(m, size, 2 * e + part));
        }
        break;
    case KVRM_OP_TRN1: case KVRM_OP_TRN2:
        for (u32 p = 0; p < half; p++) {
            r = set_lane(r, size, 2 * p, lane(n, size, 2 * p + part));
            r = set_lane(r, size, 2 * p + 1, lane(m, size, 2 * p + part));
        }
        break;
    default: // ZIP1/ZIP2
        for (u32 p = 0; p < half; p++) {
            r = set_lane(r, size, 2 * p, lane(n, size, part * half + p));
            r = set_lane(r, size, 2 * p + 1, lane(m, size, part * half + p));
        }
        break;
    }
    set_vreg(L, f_rd(w), fit(r, q));
    return FLOW_NEXT;
}

__device__ __noinline__ int exec_simd_ext(Lane &L, u32 w) {
    bool q = bit(w, 30);
    u32 pos = bits(w, 11, 4);
    u128 n = vreg(L, f_rn(w)), m = vreg(L, f_rm(w)), r;
    if (q) {
        r = pos == 0 ? n : (n >> (8 * pos)) | (m << (128 - 8 * pos));
    } else {
        if (pos >= 8) return undefined(L, w);
        u128 concat = (u128)(u64)n | ((u128)(u64)m << 64);
        r = (u128)(u64)(concat >> (8 * pos));
    }
    set_vreg(L, f_rd(w), r);
    return FLOW_NEXT;
}

__device__ __noinline__ int exec_simd_tbl(Lane &L, u32 w, bool tbx) {
    bool q = bit(w, 30);
    u32 nregs = bits(w, 13, 2) + 1;
    u32 n = f_rn(w), d = f_rd(w);
    u128 table[4];
    for (u32 i = 0; i < nregs; i++) table[i] = vreg(L, (n + i) % 32);
    u128 indices = vreg(L, f_rm(w));
    u128 r = tbx ? vreg(L, d) : 0;
    u32 nbytes = 8u << (u32)q;
    for (u32 i = 0; i < nbytes; i++) {
        u32 idx = (u32)lane(indices, 0, i);
        if (idx < 16 * nregs) r = set_lane(r, 0, i, lane(table[idx >> 4], 0, idx & 15));
    }
    set_vreg(L, d, fit(r, q));
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_simd_perm(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_DUP_elem: case KVRM_OP_DUP_gen: case KVRM_OP_INS_gen: case KVRM_OP_SMOV:
    case KVRM_OP_UMOV: case KVRM_OP_INS_elem: case KVRM_OP_DUP_scalar:
        return exec_simd_copy(L, id, w);
    case KVRM_OP_UZP1: case KVRM_OP_UZP2: case KVRM_OP_TRN1: case KVRM_OP_TRN2:
    case KVRM_OP_ZIP1: case KVRM_OP_ZIP2:
        return exec_simd_permute(L, id, w);
    case KVRM_OP_EXT: return exec_simd_ext(L, w);
    case KVRM_OP_TBL: return exec_simd_tbl(L, w, false);
    case KVRM_OP_TBX: return exec_simd_tbl(L, w, true);
    default: return -1;
    }
}

