// Data processing (immediate), mirroring crates/kvrm-cpu/src/exec/dp_imm/
// (mod.rs: semantics; arch.rs: DecodeBitMasks, shifts, extends, bitfields,
// also used by dp_reg.cuh).

__device__ __forceinline__ u64 ones(u32 n) { return n >= 64 ? ~0ull : (1ull << n) - 1; }
__device__ __forceinline__ u64 width_mask(bool sf) { return sf ? ~0ull : 0xffffffffull; }
__device__ __forceinline__ u32 datasize(bool sf) { return sf ? 64 : 32; }

__device__ __forceinline__ u64 ror_elem(u64 x, u32 r, u32 esize) {
    return r == 0 ? x : ((x >> r) | (x << (esize - r))) & ones(esize);
}
__device__ __forceinline__ u64 replicate(u64 x, u32 esize, u32 m) {
    u64 v = x;
    for (u32 e = esize; e < m; e *= 2) v |= v << e;
    return v & ones(m);
}

// DecodeBitMasks; false where the architecture says UNDEFINED.
__device__ bool decode_bit_masks(u32 n, u32 imms, u32 immr, bool immediate, u32 m, u64 *wmask, u64 *tmask) {
    u32 combined = ((n & 1) << 6) | (~imms & 0x3f);
    if (combined < 2) return false;
    u32 len = 31 - __clz(combined);
    u32 esize = 1u << len;
    if (esize > m) return false;
    u32 levels = esize - 1;
    if (immediate && (imms & levels) == levels) return false;
    u32 s = imms & levels, r = immr & levels;
    u32 d = (s - r) & levels;
    *wmask = replicate(ror_elem(ones(s + 1), r, esize), esize, m);
    *tmask = replicate(ones(d + 1), esize, m);
    return true;
}

__device__ __forceinline__ u64 logic_flags(u64 result, bool sf) {
    u64 top = sf ? result >> 63 : (result >> 31) & 1;
    return (top << 31) | ((u64)(result == 0) << 30);
}

// ShiftReg for amount < datasize: 0 LSL, 1 LSR, 2 ASR, 3 ROR.
__device__ __forceinline__ u64 shift_reg(u64 x, u32 type, u32 amount, bool sf) {
    if (sf) {
        switch (type) {
        case 0: return x << amount;
        case 1: return x >> amount;
        case 2: return (u64)((i64)x >> amount);
        default: return amount == 0 ? x : (x >> amount) | (x << (64 - amount));
        }
    }
    u32 v = (u32)x;
    switch (type) {
    case 0: return (u32)(v << amount);
    case 1: return v >> amount;
    case 2: return (u32)((i32)v >> amount);
    default: return amount == 0 ? v : (u32)((v >> amount) | (v << (32 - amount)));
    }
}

// ExtendReg to 64 bits: option 0..7 = UXTB..SXTX, shift <= 4.
__device__ __forceinline__ u64 extend_reg(u64 x, u32 option, u32 shift) {
    u64 v;
    switch (option & 7) {
    case 0: v = x & 0xff; break;
    case 1: v = x & 0xffff; break;
    case 2: v = x & 0xffffffffull; break;
    case 4: v = (u64)(i64)(signed char)x; break;
    case 5: v = (u64)(i64)(short)x; break;
    case 6: v = (u64)(i64)(i32)x; break;
    default: v = x; break;
    }
    return v << shift;
}

__device__ __forceinline__ u64 ubfm(u64 src, u32 immr, u32 imms, bool sf) {
    if (imms >= immr) return (src >> immr) & ones(imms - immr + 1);
    return ((src & ones(imms + 1)) << (datasize(sf) - immr)) & width_mask(sf);
}
__device__ __forceinline__ u64 sbfm(u64 src, u32 immr, u32 imms, bool sf) {
    if (imms >= immr) return sext(src >> immr, imms - immr + 1) & width_mask(sf);
    return (sext(src, imms + 1) << (datasize(sf) - immr)) & width_mask(sf);
}
__device__ __forceinline__ u64 bfm(u64 dst, u64 src, u32 immr, u32 imms, bool sf) {
    u64 field;
    u32 pos, len;
    if (imms >= immr) {
        len = imms - immr + 1;
        field = (src >> immr) & ones(len);
        pos = 0;
    } else {
        len = imms + 1;
        field = src & ones(len);
        pos = datasize(sf) - immr;
    }
    u64 mask = ones(len) << pos;
    return ((dst & ~mask) | (field << pos)) & width_mask(sf);
}
__device__ __forceinline__ u64 extr(u64 hi, u64 lo, u32 lsb, bool sf) {
    if (lsb == 0) return lo & width_mask(sf);
    if (sf) return (lo >> lsb) | (hi << (64 - lsb));
    return (((lo & 0xffffffffull) >> lsb) | (hi << (32 - lsb))) & 0xffffffffull;
}

// ADR / ADRP.
__device__ int exec_adr(Lane &L, u32 w) {
    u64 imm = sext(((u64)bits(w, 5, 19) << 2) | bits(w, 29, 2), 21);
    u64 pc = L.s->pc;
    u64 v = bit(w, 31) ? (pc & ~0xfffull) + (imm << 12) : pc + imm;
    set_xr(L, f_rd(w), v);
    return FLOW_NEXT;
}

// ADD/ADDS/SUB/SUBS (immediate).
__device__ int exec_add_sub_imm(Lane &L, u32 w) {
    bool sf = bit(w, 31), sub = bit(w, 30), flags = bit(w, 29);
    u64 imm = (u64)bits(w, 10, 12) << (12 * bits(w, 22, 1));
    u64 x = xsp(L, f_rn(w));
    if (flags) {
        u64 nzcv;
        u64 r = add_with_carry(x, sub ? ~imm : imm, sub, sf, &nzcv);
        L.s->nzcv = nzcv;
        set_xr(L, f_rd(w), r);
    } else {
        u64 r = sub ? x - imm : x + imm;
        set_xsp(L, f_rd(w), sf ? r : r & 0xffffffffull);
    }
    return FLOW_NEXT;
}

// AND/ORR/EOR/ANDS (immediate).
__device__ int exec_logical_imm(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u32 n = bits(w, 22, 1);
    if (!sf && n == 1) return undefined(L, w);
    u64 imm, t;
    if (!decode_bit_masks(n, bits(w, 10, 6), bits(w, 16, 6), true, datasize(sf), &imm, &t)) return undefined(L, w);
    u64 x = xr(L, f_rn(w));
    u32 opc = bits(w, 29, 2);
    u64 r = (opc == 1 ? x | imm : opc == 2 ? x ^ imm : x & imm) & width_mask(sf);
    if (opc == 3) {
        L.s->nzcv = logic_flags(r, sf);
        set_xr(L, f_rd(w), r);
    } else {
        set_xsp(L, f_rd(w), r);
    }
    return FLOW_NEXT;
}

// MOVN/MOVZ/MOVK.
__device__ int exec_move_wide(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u32 hw = bits(w, 21, 2);
    if (!sf && hw > 1) return undefined(L, w);
    u32 shift = hw * 16;
    u64 imm = (u64)bits(w, 5, 16) << shift;
    u32 d = f_rd(w);
    u64 v;
    switch (bits(w, 29, 2)) {
    case 0: v = ~imm; break;
    case 2: v = imm; break;
    case 3: v = (xr(L, d) & ~(0xffffull << shift)) | imm; break;
    default: return undefined(L, w);
    }
    set_xr(L, d, v & width_mask(sf));
    return FLOW_NEXT;
}

// SBFM/BFM/UBFM.
__device__ int exec_bitfield(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u32 immr = bits(w, 16, 6), imms = bits(w, 10, 6);
    if (bit(w, 22) != sf || (!sf && (immr | imms) >= 32)) return undefined(L, w);
    u64 src = xr(L, f_rn(w));
    u32 d = f_rd(w);
    u64 r;
    switch (bits(w, 29, 2)) {
    case 0: r = sbfm(src, immr, imms, sf); break;
    case 1: r = bfm(xr(L, d), src, immr, imms, sf); break;
    default: r = ubfm(src, immr, imms, sf); break;
    }
    set_xr(L, d, r);
    return FLOW_NEXT;
}

// EXTR.
__device__ int exec_extract(Lane &L, u32 w) {
    bool sf = bit(w, 31);
    u32 lsb = bits(w, 10, 6);
    if (bit(w, 22) != sf || (!sf && lsb >= 32)) return undefined(L, w);
    set_xr(L, f_rd(w), extr(xr(L, f_rn(w)), xr(L, f_rm(w)), lsb, sf));
    return FLOW_NEXT;
}

// Dispatch of this class: FLOW_* or -1 if `id` is not in it.
__device__ __forceinline__ int dispatch_dp_imm(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_ADR: case KVRM_OP_ADRP: return exec_adr(L, w);
    case KVRM_OP_ADD_imm: case KVRM_OP_ADDS_imm: case KVRM_OP_SUB_imm: case KVRM_OP_SUBS_imm:
        return exec_add_sub_imm(L, w);
    case KVRM_OP_AND_imm: case KVRM_OP_ORR_imm: case KVRM_OP_EOR_imm: case KVRM_OP_ANDS_imm:
        return exec_logical_imm(L, w);
    case KVRM_OP_MOVN: case KVRM_OP_MOVZ: case KVRM_OP_MOVK: return exec_move_wide(L, w);
    case KVRM_OP_SBFM: case KVRM_OP_BFM: case KVRM_OP_UBFM: return exec_bitfield(L, w);
    case KVRM_OP_EXTR: return exec_extract(L, w);
    default: return -1;
    }
}
