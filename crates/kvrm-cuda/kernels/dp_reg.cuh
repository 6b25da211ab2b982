// Data processing (register), mirroring crates/kvrm-cpu/src/exec/dp_reg.rs.
// The shifted and extended ADD/SUB, the shifted logical operations, CSEL and
// its family and MADD/MSUB run in uniform.cuh.

__device__ int exec_add_sub_carry(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u64 x = xr(L, f_rn(w));
    u64 y = xr(L, f_rm(w));
    if (bit(w, 30)) y = ~y;
    u64 nzcv;
    u64 r = add_with_carry(x, y, (L.s->nzcv & NZCV_C) != 0, sf, &nzcv);
    if (bit(w, 29)) L.s->nzcv = nzcv;
    set_xr(L, f_rd(w), r);
    return FLOW_NEXT;
}

__device__ int exec_cond_compare(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    if (condition_holds(bits(w, 12, 4), L.s->nzcv)) {
        u64 x = xr(L, f_rn(w));
        u64 y = bit(w, 11) ? (u64)bits(w, 16, 5) : xr(L, f_rm(w));
        bool sub = bit(w, 30);
        u64 nzcv;
        add_with_carry(x, sub ? ~y : y, sub, sf, &nzcv);
        L.s->nzcv = nzcv;
    } else {
        L.s->nzcv = (u64)bits(w, 0, 4) << 28;
    }
    return FLOW_NEXT;
}

__device__ __forceinline__ u64 rev_bytes(u64 x, u32 container, bool sf) {
    u64 r;
    if (container == 2) {
        r = ((x >> 8) & 0x00ff00ff00ff00ffull) | ((x & 0x00ff00ff00ff00ffull) << 8);
    } else if (container == 4) {
        u64 y = ((x >> 8) & 0x00ff00ff00ff00ffull) | ((x & 0x00ff00ff00ff00ffull) << 8);
        r = ((y >> 16) & 0x0000ffff0000ffffull) | ((y & 0x0000ffff0000ffffull) << 16);
    } else {
        r = __byte_perm((u32)(x >> 32), 0, 0x0123) | ((u64)__byte_perm((u32)x, 0, 0x0123) << 32);
    }
    return r & width_mask(sf);
}

__device__ int exec_one_source(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u64 x = xr(L, f_rn(w));
    u64 r;
    switch (bits(w, 10, 3)) {
    case 0: r = sf ? __brevll(x) : (u64)__brev((u32)x); break;
    case 1: r = rev_bytes(x, 2, sf); break;
    case 2: r = rev_bytes(x, 4, sf); break;
    case 3: r = rev_bytes(x, 8, sf); break;
    case 4: r = sf ? (u64)__clzll(x) : (u64)__clz((u32)x); break;
    default:
        if (sf) r = (u64)__clzll((x ^ (x << 1)) | 1);
        else { u32 v = (u32)x; r = (u64)__clz((v ^ (v << 1)) | 1); }
        break;
    }
    set_xr(L, f_rd(w), r);
    return FLOW_NEXT;
}

__device__ int exec_divide(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u64 n = xr(L, f_rn(w)), m = xr(L, f_rm(w));
    u64 r;
    if (bit(w, 10)) {
        if (sf) {
            if (m == 0) r = 0;
            else if ((i64)n == (i64)0x8000000000000000ull && (i64)m == -1) r = n;
            else r = (u64)((i64)n / (i64)m);
        } else {
            i32 a = (i32)n, b = (i32)m;
            if (b == 0) r = 0;
            else if (a == (i32)0x80000000u && b == -1) r = 0x80000000ull;
            else r = (u64)(u32)(a / b);
        }
    } else {
        u64 wm = width_mask(sf);
        n &= wm;
        m &= wm;
        r = m == 0 ? 0 : n / m;
    }
    set_xr(L, f_rd(w), r);
    return FLOW_NEXT;
}

__device__ int exec_shift_variable(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u64 amount = xr(L, f_rm(w)) % datasize(sf);
    set_xr(L, f_rd(w), shift_reg(xr(L, f_rn(w)), bits(w, 10, 2), (u32)amount, sf));
    return FLOW_NEXT;
}

// CRC32{B,H,W,X} / CRC32C{B,H,W,X}: the reflected CRC update, bit by bit.
__device__ int exec_crc(Lane &L, u32 w) {
    u32 c = (u32)xr(L, f_rn(w));
    u64 val = xr(L, f_rm(w));
    u32 bytes = 1u << bits(w, 10, 2);
    u32 poly = bit(w, 12) ? 0x82f63b78u : 0xedb88320u;
    for (u32 i = 0; i < bytes; i++) {
        c ^= (u32)(u8)(val >> (8 * i));
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ poly : c >> 1;
    }
    set_xr(L, f_rd(w), (u64)c);
    return FLOW_NEXT;
}

__device__ int exec_mul_add_long(Lane &L, u32 w) {
    u64 a = xr(L, bits(w, 10, 5));
    u64 n = xr(L, f_rn(w)), m = xr(L, f_rm(w));
    u64 p = bit(w, 23) ? (u64)(u32)n * (u64)(u32)m : (u64)((i64)(i32)n * (i64)(i32)m);
    set_xr(L, f_rd(w), bit(w, 15) ? a - p : a + p);
    return FLOW_NEXT;
}

__device__ int exec_mul_high(Lane &L, u32 w) {
    u64 n = xr(L, f_rn(w)), m = xr(L, f_rm(w));
    u64 r = bit(w, 23) ? __umul64hi(n, m) : (u64)__mul64hi((i64)n, (i64)m);
    set_xr(L, f_rd(w), r);
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_dp_reg(Lane &L, u32 id, u32 w) {
    switch (id) {
    // Every valid word of these runs through uniform.cuh (execute_uniform);
    // what comes here is a reserved encoding.
    case KVRM_OP_AND_shreg: case KVRM_OP_BIC_shreg: case KVRM_OP_ORR_shreg: case KVRM_OP_ORN_shreg:
    case KVRM_OP_EOR_shreg: case KVRM_OP_EON_shreg: case KVRM_OP_ANDS_shreg: case KVRM_OP_BICS_shreg:
    case KVRM_OP_ADD_shreg: case KVRM_OP_ADDS_shreg: case KVRM_OP_SUB_shreg: case KVRM_OP_SUBS_shreg:
    case KVRM_OP_ADD_extreg: case KVRM_OP_ADDS_extreg: case KVRM_OP_SUB_extreg: case KVRM_OP_SUBS_extreg:
    case KVRM_OP_CSEL: case KVRM_OP_CSINC: case KVRM_OP_CSINV: case KVRM_OP_CSNEG:
    case KVRM_OP_MADD: case KVRM_OP_MSUB:
        return undefined(L, w);
    case KVRM_OP_ADC: case KVRM_OP_ADCS: case KVRM_OP_SBC: case KVRM_OP_SBCS:
        return exec_add_sub_carry(L, w);
    case KVRM_OP_CCMN_reg: case KVRM_OP_CCMP_reg: case KVRM_OP_CCMN_imm: case KVRM_OP_CCMP_imm:
        return exec_cond_compare(L, w);
    case KVRM_OP_RBIT: case KVRM_OP_REV16: case KVRM_OP_REV_32: case KVRM_OP_REV32: case KVRM_OP_REV_64:
    case KVRM_OP_CLZ: case KVRM_OP_CLS:
        return exec_one_source(L, w);
    case KVRM_OP_UDIV: case KVRM_OP_SDIV: return exec_divide(L, w);
    case KVRM_OP_LSLV: case KVRM_OP_LSRV: case KVRM_OP_ASRV: case KVRM_OP_RORV:
        return exec_shift_variable(L, w);
    case KVRM_OP_CRC32B: case KVRM_OP_CRC32H: case KVRM_OP_CRC32W: case KVRM_OP_CRC32X:
    case KVRM_OP_CRC32CB: case KVRM_OP_CRC32CH: case KVRM_OP_CRC32CW: case KVRM_OP_CRC32CX:
        return exec_crc(L, w);
    case KVRM_OP_SMADDL: case KVRM_OP_SMSUBL: case KVRM_OP_UMADDL: case KVRM_OP_UMSUBL:
        return exec_mul_add_long(L, w);
    case KVRM_OP_SMULH: case KVRM_OP_UMULH: return exec_mul_high(L, w);
    default: return -1;
    }
}
