// Advanced SIMD floating point, mirroring crates/kvrm-cpu/src/exec/simd_fp/:
// so far only FMOV (vector, immediate), a bit pattern. The arithmetic
// (fpcore's soft-float, FPCR/FPSR exact) needs host.

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
    default: return -1;
    }
}
