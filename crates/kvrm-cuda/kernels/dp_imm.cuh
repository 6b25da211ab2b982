// Data processing (immediate), mirroring crates/kvrm-cpu/src/exec/dp_imm/
// (mod.rs: semantics; arch.rs: DecodeBitMasks, shifts, extends, bitfields,
// also used by dp_reg.cuh and uniform.cuh). ADR, ADD/SUB, the logical
// operations, the wide moves and the bitfields run in uniform.cuh; EXTR here.

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
    // Every valid word of these runs through uniform.cuh (execute_uniform);
    // what comes here is a reserved encoding.
    case KVRM_OP_ADR: case KVRM_OP_ADRP:
    case KVRM_OP_ADD_imm: case KVRM_OP_ADDS_imm: case KVRM_OP_SUB_imm: case KVRM_OP_SUBS_imm:
    case KVRM_OP_AND_imm: case KVRM_OP_ORR_imm: case KVRM_OP_EOR_imm: case KVRM_OP_ANDS_imm:
    case KVRM_OP_MOVN: case KVRM_OP_MOVZ: case KVRM_OP_MOVK:
    case KVRM_OP_SBFM: case KVRM_OP_BFM: case KVRM_OP_UBFM:
        return undefined(L, w);
    case KVRM_OP_EXTR: return exec_extract(L, w);
    default: return -1;
    }
}
