// Loads and stores of single registers and pairs (SIMD&FP here; general
// registers in uniform.cuh, but for literal loads and prefetches),
// mirroring crates/kvrm-cpu/src/exec/ldst.rs: the same addressing modes, the
// same CONSTRAINED UNPREDICTABLE choices (writeback after the access; a
// faulting access changes no register and writes nothing). The operation is
// read from the encoding's size/V/opc fields, which the table fixes per entry.

#define LS_STORE 0
#define LS_LOAD 1     // zero-extending
#define LS_LOAD_SX64 2
#define LS_LOAD_SX32 3
#define LS_PRFM 4

#define MODE_UIMM 0
#define MODE_SIMM 1
#define MODE_PRE 2
#define MODE_POST 3
#define MODE_REG 4
#define MODE_LIT 5
#define MODE_OFF 6

// Transfer one register: `lg` = log2 of the access size (4 = Q), `vec` = SIMD&FP.
__device__ __forceinline__ bool transfer_one(Lane &L, u32 kind, bool vec, u32 lg, u32 t, u64 addr) {
    u32 size = 1u << lg;
    if (kind == LS_STORE) {
        if (!vec) return st(L, addr, size, xr(L, t));
        if (lg == 4) {
            u8 b[16];
            store_le(b, 8, L.s->v[t][0]);
            store_le(b + 8, 8, L.s->v[t][1]);
            return mem_write(L, addr, 16, b);
        }
        return st(L, addr, size, L.s->v[t][0]);
    }
    if (vec) {
        if (lg == 4) {
            u8 b[16];
            if (!mem_read(L, addr, 16, b)) return false;
            L.s->v[t][0] = load_le(b, 8);
            L.s->v[t][1] = load_le(b + 8, 8);
            return true;
        }
        u64 v;
        if (!ld(L, addr, size, &v)) return false;
        L.s->v[t][0] = v; // a scalar SIMD&FP load zeroes the rest of the register
        L.s->v[t][1] = 0;
        return true;
    }
    u64 v;
    if (!ld(L, addr, size, &v)) return false;
    if (kind == LS_LOAD_SX64) v = sext(v, 8 * size);
    else if (kind == LS_LOAD_SX32) v = sext(v, 8 * size) & 0xffffffffull;
    set_xr(L, t, v);
    return true;
}

// A register offset's value before scaling: Xm extended by option (UXTW,
// SXTW; LSL/SXTX take it whole).
__device__ __forceinline__ u64 register_offset(Lane &L, u32 w) {
    u64 m = xr(L, f_rm(w));
    u32 option = bits(w, 13, 3);
    return option == 2 ? (u64)(u32)m : option == 6 ? (u64)(i64)(i32)(u32)m : m;
}

// The words uniform.cuh leaves here: SIMD&FP LDR/STR/LDUR/STUR, literal
// loads (general and SIMD&FP) and PRFM/PRFUM (uniform.cuh runs every other
// general-register load and store).
__device__ int exec_ldst_single(Lane &L, u32 w) {
    bool vec = bit(w, 26);
    u32 size = bits(w, 30, 2), opc = bits(w, 22, 2);
    u32 mode, kind, lg;
    if (bits(w, 27, 3) == 3) {
        // literal: opc is bits [31:30]
        mode = MODE_LIT;
        if (vec) { kind = LS_LOAD; lg = size + 2; }
        else if (size == 3) kind = LS_PRFM, lg = 3;
        else if (size == 2) kind = LS_LOAD_SX64, lg = 2;
        else kind = LS_LOAD, lg = size + 2;
    } else {
        if (!vec) return FLOW_NEXT; // PRFM/PRFUM: a hint
        if (bits(w, 24, 2) == 1) mode = MODE_UIMM;
        else if (bit(w, 21)) mode = MODE_REG;
        else {
            u32 m = bits(w, 10, 2);
            mode = m == 1 ? MODE_POST : m == 3 ? MODE_PRE : MODE_SIMM;
        }
        if (opc >= 2) { lg = 4; kind = opc == 2 ? LS_STORE : LS_LOAD; }
        else { lg = size; kind = opc == 0 ? LS_STORE : LS_LOAD; }
    }
    if (kind == LS_PRFM) return FLOW_NEXT;
    u32 t = f_rd(w), n = f_rn(w);
    u64 simm9 = sext(bits(w, 12, 9), 9);
    u64 addr;
    switch (mode) {
    case MODE_UIMM: addr = xsp(L, n) + ((u64)bits(w, 10, 12) << lg); break;
    case MODE_SIMM: case MODE_PRE: addr = xsp(L, n) + simm9; break;
    case MODE_POST: addr = xsp(L, n); break;
    case MODE_REG: addr = xsp(L, n) + (register_offset(L, w) << (bit(w, 12) ? lg : 0)); break;
    default: addr = L.s->pc + (sext(bits(w, 5, 19), 19) << 2); break;
    }
    if (!transfer_one(L, kind, vec, lg, t, addr)) return FLOW_STOP;
    if (mode == MODE_PRE) set_xsp(L, n, addr);
    else if (mode == MODE_POST) set_xsp(L, n, addr + simm9);
    return FLOW_NEXT;
}

// LDP/STP/LDNP/STNP of SIMD&FP registers, one access for both (uniform.cuh
// runs the general-register pairs).
__device__ int exec_ldst_pair_vec(Lane &L, u32 w) {
    u32 opc = bits(w, 30, 2);
    bool load = bit(w, 22);
    u32 m = bits(w, 23, 2);
    u32 mode = m == 1 ? MODE_POST : m == 3 ? MODE_PRE : MODE_OFF;
    u32 lg = opc + 2;
    u32 t = f_rd(w), t2 = f_rt2(w), n = f_rn(w);
    u64 off = sext(bits(w, 15, 7), 7) << lg;
    u64 base = xsp(L, n);
    u64 addr = mode == MODE_POST ? base : base + off;
    u32 size = 1u << lg;
    u8 b[32];
    if (load) {
        if (!mem_read(L, addr, 2 * size, b)) return FLOW_STOP;
        // SIMD&FP loads write rt first, rt2 last.
        if (lg == 4) {
            L.s->v[t][0] = load_le(b, 8); L.s->v[t][1] = load_le(b + 8, 8);
            L.s->v[t2][0] = load_le(b + 16, 8); L.s->v[t2][1] = load_le(b + 24, 8);
        } else {
            L.s->v[t][0] = load_le(b, size); L.s->v[t][1] = 0;
            L.s->v[t2][0] = load_le(b + size, size); L.s->v[t2][1] = 0;
        }
    } else {
        if (lg == 4) {
            store_le(b, 8, L.s->v[t][0]); store_le(b + 8, 8, L.s->v[t][1]);
            store_le(b + 16, 8, L.s->v[t2][0]); store_le(b + 24, 8, L.s->v[t2][1]);
        } else {
            store_le(b, size, L.s->v[t][0]);
            store_le(b + size, size, L.s->v[t2][0]);
        }
        if (!mem_write(L, addr, 2 * size, b)) return FLOW_STOP;
    }
    if (mode == MODE_PRE) set_xsp(L, n, addr);
    else if (mode == MODE_POST) set_xsp(L, n, addr + off);
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_ldst(Lane &L, u32 cls, u32 w) {
    if (cls != KVRM_CLASS_ldst) return -1;
    // Pairs: bits [29:27] = 101.
    if (bits(w, 27, 3) == 5) return exec_ldst_pair_vec(L, w);
    return exec_ldst_single(L, w);
}
