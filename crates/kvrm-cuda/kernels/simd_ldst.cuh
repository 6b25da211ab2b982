// Advanced SIMD load/store multiple structures (LD1-LD4 / ST1-ST4) and single
// structures (one lane, or replicated), with and without post-index, mirroring
// crates/kvrm-cpu/src/exec/simd_ldst.rs: loads read all their memory before
// any register changes; stores write in memory order and, on a fault, have
// written the elements before the faulting one.

// Element-by-element writes up to the first fault.
__device__ __noinline__ bool write_elements(Lane &L, u64 addr, const u8 *b, u32 len, u32 ebytes) {
    for (u32 k = 0; k < len; k += ebytes)
        if (!mem_write(L, addr + k, ebytes, b + k)) return false;
    return true;
}

// Write one chunk as a whole; if that faults, element by element.
__device__ bool write_chunk(Lane &L, u64 addr, const u8 *b, u32 len, u32 ebytes) {
    if (mem_write(L, addr, len, b)) return true;
    if (L.stop_kind == STOP_NEED_FRAMES) return false;
    return write_elements(L, addr, b, len, ebytes);
}

__device__ __forceinline__ void simd_writeback(Lane &L, u32 w, u64 addr, u64 total) {
    u32 m = f_rm(w);
    set_xsp(L, f_rn(w), addr + (m == 31 ? total : xr(L, m)));
}

// rpt registers of selem-element structures.
__device__ __noinline__ int exec_simd_mult(Lane &L, u32 w, bool load, u32 rpt, u32 selem, bool post) {
    bool q = bit(w, 30);
    u32 size = bits(w, 10, 2);
    if (size == 3 && !q && selem != 1) return undefined(L, w);
    u32 dbytes = 8u << (u32)q, nregs = rpt * selem, total = nregs * dbytes;
    u32 ebytes = 1u << size, elements = dbytes >> size;
    u32 t = f_rd(w);
    u64 addr = xsp(L, f_rn(w));
    u8 buf[64];
    if (load) {
        if (!mem_read(L, addr, total, buf)) return FLOW_STOP;
        if (selem == 1) {
            for (u32 r = 0; r < nregs; r++) {
                u32 reg = (t + r) % 32;
                L.s->v[reg][0] = load_le(buf + r * dbytes, 8);
                L.s->v[reg][1] = q ? load_le(buf + r * dbytes + 8, 8) : 0;
            }
        } else {
            u128 regs[4] = {0, 0, 0, 0};
            u32 off = 0;
            for (u32 e = 0; e < elements; e++)
                for (u32 s = 0; s < selem; s++) {
                    regs[s] = set_lane(regs[s], size, e, load_le(buf + off, ebytes));
                    off += ebytes;
                }
            for (u32 s = 0; s < nregs; s++) set_vreg(L, (t + s) % 32, regs[s]);
        }
    } else if (selem == 1) {
        // ST1: each register is one access.
        for (u32 r = 0; r < nregs; r++) {
            u32 reg = (t + r) % 32;
            store_le(buf, 8, L.s->v[reg][0]);
            store_le(buf + 8, 8, L.s->v[reg][1]);
            if (!write_chunk(L, addr + r * dbytes, buf, dbytes, ebytes)) return FLOW_STOP;
        }
    } else {
        // ST2-ST4: interleave, then write 16-byte chunks in memory order.
        u128 regs[4];
        for (u32 s = 0; s < selem; s++) regs[s] = vreg(L, (t + s) % 32);
        u32 off = 0;
        for (u32 e = 0; e < elements; e++)
            for (u32 s = 0; s < selem; s++) {
                store_le(buf + off, ebytes, lane(regs[s], size, e));
                off += ebytes;
            }
        for (u32 i = 0; i < total; i += 16) {
            u32 chunk = min(16u, total - i);
            if (!write_chunk(L, addr + i, buf + i, chunk, ebytes)) return FLOW_STOP;
        }
    }
    if (post) simd_writeback(L, w, addr, total);
    return FLOW_NEXT;
}

// One lane of selem registers, or LD1R-LD4R (replicate).
__device__ __noinline__ int exec_simd_single(Lane &L, u32 w, bool load, u32 selem, bool replicate, bool post) {
    bool q = bit(w, 30);
    u32 s = bits(w, 12, 1), size = bits(w, 10, 2);
    u32 esize, index;
    if (replicate) {
        esize = size;
        index = 0;
    } else {
        switch (bits(w, 14, 2)) {
        case 0: esize = 0; index = ((u32)q << 3) | (s << 2) | size; break;
        case 1:
            if (size & 1) return undefined(L, w);
            esize = 1; index = ((u32)q << 2) | (s << 1) | (size >> 1); break;
        case 2:
            if (size == 0) { esize = 2; index = ((u32)q << 1) | s; }
            else if (size == 1 && s == 0) { esize = 3; index = q; }
            else return undefined(L, w);
            break;
        default: return undefined(L, w);
        }
    }
    u32 ebytes = 1u << esize, t = f_rd(w);
    u64 addr = xsp(L, f_rn(w));
    u8 buf[32];
    if (load) {
        if (!mem_read(L, addr, selem * ebytes, buf)) return FLOW_STOP;
        for (u32 k = 0; k < selem; k++) {
            u32 reg = (t + k) % 32;
            u64 v = load_le(buf + k * ebytes, ebytes);
            set_vreg(L, reg, replicate ? fit(replicate_lane(v, esize), q) : set_lane(vreg(L, reg), esize, index, v));
        }
    } else {
        for (u32 k = 0; k < selem; k++) store_le(buf + k * ebytes, ebytes, lane(vreg(L, (t + k) % 32), esize, index));
        if (!write_elements(L, addr, buf, selem * ebytes, ebytes)) return FLOW_STOP;
    }
    if (post) simd_writeback(L, w, addr, (u64)selem * ebytes);
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_simd_ldst(Lane &L, u32 id, u32 w) {
    switch (id) {
#define MULT(name, ld, rpt, selem, post) case KVRM_OP_##name: return exec_simd_mult(L, w, ld, rpt, selem, post);
    MULT(ST4_mult, false, 1, 4, false) MULT(ST1_mult4, false, 4, 1, false)
    MULT(ST3_mult, false, 1, 3, false) MULT(ST1_mult3, false, 3, 1, false)
    MULT(ST1_mult1, false, 1, 1, false) MULT(ST2_mult, false, 1, 2, false)
    MULT(ST1_mult2, false, 2, 1, false) MULT(LD4_mult, true, 1, 4, false)
    MULT(LD1_mult4, true, 4, 1, false) MULT(LD3_mult, true, 1, 3, false)
    MULT(LD1_mult3, true, 3, 1, false) MULT(LD1_mult1, true, 1, 1, false)
    MULT(LD2_mult, true, 1, 2, false) MULT(LD1_mult2, true, 2, 1, false)
    MULT(ST4_mult_post, false, 1, 4, true) MULT(ST1_mult4_post, false, 4, 1, true)
    MULT(ST3_mult_post, false, 1, 3, true) MULT(ST1_mult3_post, false, 3, 1, true)
    MULT(ST1_mult1_post, false, 1, 1, true) MULT(ST2_mult_post, false, 1, 2, true)
    MULT(ST1_mult2_post, false, 2, 1, true) MULT(LD4_mult_post, true, 1, 4, true)
    MULT(LD1_mult4_post, true, 4, 1, true) MULT(LD3_mult_post, true, 1, 3, true)
    MULT(LD1_mult3_post, true, 3, 1, true) MULT(LD1_mult1_post, true, 1, 1, true)
    MULT(LD2_mult_post, true, 1, 2, true) MULT(LD1_mult2_post, true, 2, 1, true)
#undef MULT
#define SINGLE(name, ld, selem, rep, post) case KVRM_OP_##name: return exec_simd_single(L, w, ld, selem, rep, post);
    SINGLE(ST1_lane, false, 1, false, false) SINGLE(ST2_lane, false, 2, false, false)
    SINGLE(ST3_lane, false, 3, false, false) SINGLE(ST4_lane, false, 4, false, false)
    SINGLE(LD1_lane, true, 1, false, false) SINGLE(LD2_lane, true, 2, false, false)
    SINGLE(LD3_lane, true, 3, false, false) SINGLE(LD4_lane, true, 4, false, false)
    SINGLE(LD1R, true, 1, true, false) SINGLE(LD2R, true, 2, true, false)
    SINGLE(LD3R, true, 3, true, false) SINGLE(LD4R, true, 4, true, false)
    SINGLE(ST1_lane_post, false, 1, false, true) SINGLE(ST2_lane_post, false, 2, false, true)
    SINGLE(ST3_lane_post, false, 3, false, true) SINGLE(ST4_lane_post, false, 4, false, true)
    SINGLE(LD1_lane_post, true, 1, false, true) SINGLE(LD2_lane_post, true, 2, false, true)
    SINGLE(LD3_lane_post, true, 3, false, true) SINGLE(LD4_lane_post, true, 4, false, true)
    SINGLE(LD1R_post, true, 1, true, true) SINGLE(LD2R_post, true, 2, true, true)
    SINGLE(LD3R_post, true, 3, true, true) SINGLE(LD4R_post, true, 4, true, true)
#undef SINGLE
    default: return -1;
    }
}
