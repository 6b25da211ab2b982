// Branches, exception generation, hints, barriers, flag manipulation and the
// EL0 system registers, mirroring crates/kvrm-cpu/src/exec/branch_sys/.
// System registers whose value lives on the host (the counters, the ID
// registers) stop the lane as "needs host".

__device__ int exec_svc(Lane &L, u32 w) {
    L.s->pc += 4;
    stop_with(L, STOP_SYSCALL, bits(w, 5, 16), 0);
    return FLOW_STOP_RETIRED;
}
__device__ int exec_halt(Lane &L, u32 w) {
    u32 hlt = bits(w, 21, 3) == 2;
    return stop_with(L, STOP_HALTED, bits(w, 5, 16) | (hlt << 16), 0);
}
__device__ int exec_xaflag(Lane &L) {
    bool z = L.s->nzcv & NZCV_Z, c = L.s->nzcv & NZCV_C;
    u64 f = 0;
    if (!c && !z) f |= NZCV_N;
    if (z && c) f |= NZCV_Z;
    if (c || z) f |= NZCV_C;
    if (!c && z) f |= NZCV_V;
    L.s->nzcv = f;
    return FLOW_NEXT;
}
__device__ int exec_axflag(Lane &L) {
    bool z = L.s->nzcv & NZCV_Z, c = L.s->nzcv & NZCV_C, v = L.s->nzcv & NZCV_V;
    u64 f = 0;
    if (z || v) f |= NZCV_Z;
    if (c && !v) f |= NZCV_C;
    L.s->nzcv = f;
    return FLOW_NEXT;
}
__device__ int exec_rmif(Lane &L, u32 w) {
    u64 x = xr(L, f_rn(w));
    u32 r = bits(w, 15, 6);
    u64 tmp = r == 0 ? x : (x >> r) | (x << (64 - r));
    u64 mask = (u64)bits(w, 0, 4) << 28;
    L.s->nzcv = (L.s->nzcv & ~mask) | (((tmp & 0xf) << 28) & mask);
    return FLOW_NEXT;
}
__device__ int exec_setf(Lane &L, u32 w) {
    u32 msb = bit(w, 14) ? 15 : 7;
    u64 x = xr(L, f_rn(w));
    u64 f = L.s->nzcv & NZCV_C;
    if ((x >> msb) & 1) f |= NZCV_N;
    if ((x & ((2ull << msb) - 1)) == 0) f |= NZCV_Z;
    if (((x >> (msb + 1)) ^ (x >> msb)) & 1) f |= NZCV_V;
    L.s->nzcv = f;
    return FLOW_NEXT;
}

#define SYSREG(op0, op1, crn, crm, op2) ((((op0) & 1) << 14) | ((op1) << 11) | ((crn) << 7) | ((crm) << 3) | (op2))
#define FPCR_WRITABLE 0x07c80000ull
#define FPSR_WRITABLE ((1ull << 27) | (1ull << 7) | 0x1full)
#define CTR_VALUE ((1ull << 31) | (1ull << 29) | (1ull << 28) | (4ull << 24) | (4ull << 20) | (4ull << 16) | (3ull << 14) | 4ull)

__device__ int exec_mrs(Lane &L, u32 w, u32 id) {
    u64 v;
    switch (bits(w, 5, 15)) {
    case SYSREG(3, 3, 4, 2, 0): v = L.s->nzcv & 0xf0000000ull; break;
    case SYSREG(3, 3, 4, 4, 0): v = L.s->fpcr & FPCR_WRITABLE; break;
    case SYSREG(3, 3, 4, 4, 1): v = L.s->fpsr & FPSR_WRITABLE; break;
    case SYSREG(3, 3, 13, 0, 2): v = L.s->tpidr_el0; break;
    case SYSREG(3, 3, 13, 0, 3): v = 0; break;
    case SYSREG(3, 3, 14, 0, 0): v = 1000000000ull; break;
    case SYSREG(3, 3, 0, 0, 1): v = CTR_VALUE; break;
    case SYSREG(3, 3, 0, 0, 7): v = 4; break;
    // Counters (host time) and ID registers: the host knows them.
    default: return stop_with(L, STOP_NEEDS_HOST, w, id);
    }
    set_xr(L, f_rd(w), v);
    return FLOW_NEXT;
}
__device__ int exec_msr(Lane &L, u32 w) {
    u64 v = xr(L, f_rd(w));
    switch (bits(w, 5, 15)) {
    case SYSREG(3, 3, 4, 2, 0): L.s->nzcv = v & 0xf0000000ull; break;
    case SYSREG(3, 3, 4, 4, 0): L.s->fpcr = v & FPCR_WRITABLE; break;
    case SYSREG(3, 3, 4, 4, 1): L.s->fpsr = v & FPSR_WRITABLE; break;
    case SYSREG(3, 3, 13, 0, 2): L.s->tpidr_el0 = v; break;
    default: return undefined(L, w);
    }
    return FLOW_NEXT;
}
// DC ZVA: zero the 64-byte block holding Xt (one aligned access, all or nothing).
__device__ int exec_dc_zva(Lane &L, u32 w) {
    u64 a = xr(L, f_rd(w)) & ~63ull;
    if (watched(L, a, 64, ACCESS_WRITE)) return FLOW_STOP;
    u8 *b = translate(L, a, ACCESS_WRITE, a);
    if (!b) return FLOW_STOP;
    u64 *p = (u64 *)(b + (a & (KVRM_PAGE_SIZE - 1)));
    for (int i = 0; i < 8; i++) p[i] = 0;
    return FLOW_NEXT;
}
// DC CVA* / IC IVAU: nothing to maintain, but the address must be readable.
__device__ int exec_cache_maintenance(Lane &L, u32 w) {
    u64 a = xr(L, f_rd(w));
    if (watched(L, a, 1, ACCESS_READ)) return FLOW_STOP;
    return translate(L, a, ACCESS_READ, a) ? FLOW_NEXT : FLOW_STOP;
}

__device__ __forceinline__ int dispatch_branch_sys(Lane &L, u32 id, u32 w) {
    switch (id) {
    // B, BL, B.cond, CBZ, TBZ, BR, BLR, RET: uniform.cuh (execute_uniform),
    // which every word of them reaches.
    case KVRM_OP_SVC: return exec_svc(L, w);
    case KVRM_OP_HVC: case KVRM_OP_SMC: return undefined(L, w);
    case KVRM_OP_HLT: case KVRM_OP_BRK: return exec_halt(L, w);
    case KVRM_OP_NOP: case KVRM_OP_HINT: case KVRM_OP_SB: return FLOW_NEXT;
    // Lanes sharing memory may run on other SMs: a barrier orders this lane's
    // accesses for them.
    case KVRM_OP_DSB: case KVRM_OP_DMB: __threadfence(); return FLOW_NEXT;
    case KVRM_OP_ISB: L.s->pc += 4; return FLOW_JUMP;
    case KVRM_OP_CLREX: L.s->excl_size = 0; return FLOW_NEXT;
    case KVRM_OP_CFINV: L.s->nzcv ^= NZCV_C; return FLOW_NEXT;
    case KVRM_OP_XAFLAG: return exec_xaflag(L);
    case KVRM_OP_AXFLAG: return exec_axflag(L);
    case KVRM_OP_RMIF: return exec_rmif(L, w);
    case KVRM_OP_SETF8: case KVRM_OP_SETF16: return exec_setf(L, w);
    case KVRM_OP_MRS: return exec_mrs(L, w, id);
    case KVRM_OP_MSR_reg: return exec_msr(L, w);
    case KVRM_OP_DC_ZVA: return exec_dc_zva(L, w);
    case KVRM_OP_IC_IVAU: case KVRM_OP_DC_CVAC: case KVRM_OP_DC_CVAU: case KVRM_OP_DC_CVAP:
    case KVRM_OP_DC_CVADP: case KVRM_OP_DC_CIVAC:
        return exec_cache_maintenance(L, w);
    default: return -1;
    }
}
