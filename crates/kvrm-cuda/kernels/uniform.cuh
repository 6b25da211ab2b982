// The common integer instructions through three shared paths: data
// processing, general-register loads and stores, branches.
//
// Why: the lanes of a warp run one instruction each per turn of the loop.
// Where they stand at different instructions (one program whose data differ
// per lane: CoreMark with a seed per lane), the class dispatch sends them to
// different handlers, which the warp then runs one after another. Here an
// add, a logical op, a move, a select or a multiply share one operand read,
// one write-back and short per-form arithmetic, so such lanes mostly stay
// together; a load and a store share their address computation and access.
//
// These are the only implementations of the instructions they cover: the
// class files (dp_imm.cuh, dp_reg.cuh, ldst.cuh, branch_sys.cuh) keep their
// helpers and the other instructions of their classes. decode() (interp.cu)
// gives a word its form once, in the decode memo, and only where every field
// is valid: reserved encodings keep form 0 and reach their class's dispatch,
// which stops the lane as Undefined.

#define UF_NONE 0
// Data processing: one result into rd (SP where the form allows), flags
// where it sets them.
#define UF_ADD_IMM 1     // ADD/ADDS/SUB/SUBS (immediate)
#define UF_ADD_SHIFT 2   // ... (shifted register)
#define UF_ADD_EXT 3     // ... (extended register)
#define UF_LOGIC_IMM 4   // AND/ORR/EOR/ANDS (immediate)
#define UF_LOGIC_SHIFT 5 // AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register)
#define UF_MOVE_WIDE 6   // MOVN/MOVZ/MOVK
#define UF_ADR 7         // ADR/ADRP
#define UF_BITFIELD 8    // SBFM/BFM/UBFM
#define UF_CSEL 9        // CSEL/CSINC/CSINV/CSNEG
#define UF_MADD 10       // MADD/MSUB
#define UF_DP_LAST 10
// General-register loads and stores (no literal loads, no prefetches).
#define UF_LDST 11       // LDR/STR/LDUR/STUR/LDTR/STTR, all sizes and extensions
#define UF_LDST_PAIR 12  // LDP/STP/LDNP/STNP/LDPSW
#define UF_MEM_LAST 12
// Branches.
#define UF_B 13          // B, BL
#define UF_BCOND 14      // B.cond, BC.cond
#define UF_CBZ 15        // CBZ, CBNZ
#define UF_TBZ 16        // TBZ, TBNZ
#define UF_BR 17         // BR, BLR, RET

// The form of word `w`, decoded as `id` (0xffff: none).
__device__ u32 uniform_form(u32 id, u32 w) {
    if (id == 0xffff) return UF_NONE;
    bool sf = bit(w, 31);
    switch (id) {
    case KVRM_OP_ADD_imm: case KVRM_OP_ADDS_imm: case KVRM_OP_SUB_imm: case KVRM_OP_SUBS_imm:
        return UF_ADD_IMM;
    case KVRM_OP_ADD_shreg: case KVRM_OP_ADDS_shreg: case KVRM_OP_SUB_shreg: case KVRM_OP_SUBS_shreg:
        return bits(w, 22, 2) == 3 || (!sf && bits(w, 10, 6) >= 32) ? UF_NONE : UF_ADD_SHIFT;
    case KVRM_OP_ADD_extreg: case KVRM_OP_ADDS_extreg: case KVRM_OP_SUB_extreg: case KVRM_OP_SUBS_extreg:
        return bits(w, 10, 3) > 4 ? UF_NONE : UF_ADD_EXT;
    case KVRM_OP_AND_imm: case KVRM_OP_ORR_imm: case KVRM_OP_EOR_imm: case KVRM_OP_ANDS_imm: {
        u64 wmask, tmask;
        if (!sf && bit(w, 22)) return UF_NONE;
        return decode_bit_masks(bits(w, 22, 1), bits(w, 10, 6), bits(w, 16, 6), true, datasize(sf), &wmask,
                                &tmask)
                   ? UF_LOGIC_IMM
                   : UF_NONE;
    }
    case KVRM_OP_AND_shreg: case KVRM_OP_BIC_shreg: case KVRM_OP_ORR_shreg: case KVRM_OP_ORN_shreg:
    case KVRM_OP_EOR_shreg: case KVRM_OP_EON_shreg: case KVRM_OP_ANDS_shreg: case KVRM_OP_BICS_shreg:
        return !sf && bits(w, 10, 6) >= 32 ? UF_NONE : UF_LOGIC_SHIFT;
    case KVRM_OP_MOVN: case KVRM_OP_MOVZ: case KVRM_OP_MOVK:
        return !sf && bits(w, 21, 2) > 1 ? UF_NONE : UF_MOVE_WIDE;
    case KVRM_OP_ADR: case KVRM_OP_ADRP: return UF_ADR;
    case KVRM_OP_SBFM: case KVRM_OP_BFM: case KVRM_OP_UBFM:
        return bit(w, 22) != sf || (!sf && (bits(w, 16, 6) | bits(w, 10, 6)) >= 32) ? UF_NONE : UF_BITFIELD;
    case KVRM_OP_CSEL: case KVRM_OP_CSINC: case KVRM_OP_CSINV: case KVRM_OP_CSNEG: return UF_CSEL;
    case KVRM_OP_MADD: case KVRM_OP_MSUB: return UF_MADD;
    case KVRM_OP_B: case KVRM_OP_BL: return UF_B;
    case KVRM_OP_B_cond: case KVRM_OP_BC_cond: return UF_BCOND;
    case KVRM_OP_CBZ: case KVRM_OP_CBNZ: return UF_CBZ;
    case KVRM_OP_TBZ: case KVRM_OP_TBNZ: return UF_TBZ;
    case KVRM_OP_BR: case KVRM_OP_BLR: case KVRM_OP_RET: return UF_BR;
    default: break;
    }
    // The ldst class's general-register words, as dispatch_ldst splits them.
    if (kvrm_op_class(id) != KVRM_CLASS_ldst || bit(w, 26)) return UF_NONE;
    if (bits(w, 27, 3) == 5) return UF_LDST_PAIR;
    if (bits(w, 27, 3) == 3) return UF_NONE;                          // literal
    if (bits(w, 30, 2) == 3 && bits(w, 22, 2) == 2) return UF_NONE;   // PRFM, PRFUM
    return UF_LDST;
}

// Data processing: the operands every form reads, then a short case per
// form, then one write-back.
__device__ int exec_uniform_dp(Lane &L, u32 form, u32 w) {
    bool sf = bit(w, 31);
    u32 d = f_rd(w), n = f_rn(w);
    u64 mask = width_mask(sf);
    bool n_sp = form == UF_ADD_IMM || form == UF_ADD_EXT;
    u64 xn = n == 31 ? (n_sp ? L.s->sp : 0ull) : L.s->x[n];
    u64 xm = xr(L, f_rm(w));
    u64 r, flags = 0;
    bool set_flags = false, d_sp = false;
    switch (form) {
    case UF_ADD_IMM:
    case UF_ADD_SHIFT:
    case UF_ADD_EXT: {
        u64 y = form == UF_ADD_IMM     ? (u64)bits(w, 10, 12) << (12 * bits(w, 22, 1))
                : form == UF_ADD_SHIFT ? shift_reg(xm, bits(w, 22, 2), bits(w, 10, 6), sf)
                                       : extend_reg(xm, bits(w, 13, 3), bits(w, 10, 3));
        bool sub = bit(w, 30);
        r = add_with_carry(xn, sub ? ~y : y, sub, sf, &flags);
        set_flags = bit(w, 29);
        d_sp = !set_flags && form != UF_ADD_SHIFT;
        break;
    }
    case UF_LOGIC_IMM:
    case UF_LOGIC_SHIFT: {
        u64 y, tmask;
        if (form == UF_LOGIC_IMM) {
            decode_bit_masks(bits(w, 22, 1), bits(w, 10, 6), bits(w, 16, 6), true, datasize(sf), &y, &tmask);
        } else {
            y = shift_reg(xm, bits(w, 22, 2), bits(w, 10, 6), sf);
            if (bit(w, 21)) y = ~y;
        }
        u32 opc = bits(w, 29, 2);
        r = (opc == 1 ? xn | y : opc == 2 ? xn ^ y : xn & y) & mask;
        set_flags = opc == 3;
        if (set_flags) flags = logic_flags(r, sf);
        d_sp = !set_flags && form == UF_LOGIC_IMM;
        break;
    }
    case UF_MOVE_WIDE: {
        u32 shift = bits(w, 21, 2) * 16;
        u64 imm = (u64)bits(w, 5, 16) << shift;
        u32 opc = bits(w, 29, 2);
        r = (opc == 0 ? ~imm : opc == 2 ? imm : (xr(L, d) & ~(0xffffull << shift)) | imm) & mask;
        break;
    }
    case UF_ADR: {
        u64 imm = sext(((u64)bits(w, 5, 19) << 2) | bits(w, 29, 2), 21);
        u64 pc = L.s->pc;
        r = sf ? (pc & ~0xfffull) + (imm << 12) : pc + imm;
        break;
    }
    case UF_BITFIELD: {
        u32 immr = bits(w, 16, 6), imms = bits(w, 10, 6), opc = bits(w, 29, 2);
        r = opc == 0   ? sbfm(xn, immr, imms, sf)
            : opc == 1 ? bfm(xr(L, d), xn, immr, imms, sf)
                       : ubfm(xn, immr, imms, sf);
        break;
    }
    case UF_CSEL: {
        if (condition_holds(bits(w, 12, 4), L.s->nzcv)) {
            r = xn;
        } else {
            u64 y = bit(w, 30) ? ~xm : xm;
            r = bit(w, 10) ? y + 1 : y;
        }
        r &= mask;
        break;
    }
    default: { // UF_MADD
        u64 a = xr(L, bits(w, 10, 5)), p = xn * xm;
        r = (bit(w, 15) ? a - p : a + p) & mask;
        break;
    }
    }
    if (set_flags) L.s->nzcv = flags;
    if (d_sp) set_xsp(L, d, r);
    else set_xr(L, d, r);
    return FLOW_NEXT;
}

// Loads and stores of general registers, single and pairs: one address
// computation, one access, one writeback.
__device__ int exec_uniform_mem(Lane &L, u32 form, u32 w) {
    u32 t = f_rd(w), n = f_rn(w);
    u32 lg, kind, mode;
    u64 off;
    bool pair = form == UF_LDST_PAIR;
    if (pair) {
        u32 opc = bits(w, 30, 2), m = bits(w, 23, 2);
        mode = m == 1 ? MODE_POST : m == 3 ? MODE_PRE : MODE_OFF;
        lg = opc == 2 ? 3 : 2;
        kind = !bit(w, 22) ? LS_STORE : opc == 1 ? LS_LOAD_SX64 : LS_LOAD;
        off = sext(bits(w, 15, 7), 7) << lg;
    } else {
        u32 opc = bits(w, 22, 2);
        lg = bits(w, 30, 2);
        kind = opc == 0 ? LS_STORE : opc == 1 ? LS_LOAD : opc == 2 ? LS_LOAD_SX64 : LS_LOAD_SX32;
        if (bits(w, 24, 2) == 1) {
            mode = MODE_UIMM;
            off = (u64)bits(w, 10, 12) << lg;
        } else if (bit(w, 21)) {
            mode = MODE_REG;
            off = register_offset(L, w) << (bit(w, 12) ? lg : 0);
        } else {
            u32 m = bits(w, 10, 2);
            mode = m == 1 ? MODE_POST : m == 3 ? MODE_PRE : MODE_SIMM;
            off = sext(bits(w, 12, 9), 9);
        }
    }
    u64 base = xsp(L, n);
    u64 addr = mode == MODE_POST ? base : base + off;
    if (!pair) {
        if (!transfer_one(L, kind, false, lg, t, addr)) return FLOW_STOP;
    } else {
        u32 size = 1u << lg;
        u32 in_page = (u32)(addr & (KVRM_PAGE_SIZE - 1));
        bool load = kind != LS_STORE;
        u64 lo = 0, hi = 0;
        if ((addr & (size - 1)) == 0 && in_page + 2 * size <= KVRM_PAGE_SIZE) {
            // Aligned and on one page: one translation, two word accesses.
            u32 access = load ? ACCESS_READ : ACCESS_WRITE;
            if (watched(L, addr, 2 * size, access)) return FLOW_STOP;
            u8 *b = translate(L, addr, access, addr);
            if (!b) return FLOW_STOP;
            b += in_page;
            if (load) {
                lo = size == 8 ? *(const u64 *)b : *(const u32 *)b;
                hi = size == 8 ? *(const u64 *)(b + 8) : *(const u32 *)(b + 4);
            } else if (size == 8) {
                *(u64 *)b = xr(L, t);
                *(u64 *)(b + 8) = xr(L, f_rt2(w));
            } else {
                *(u32 *)b = (u32)xr(L, t);
                *(u32 *)(b + 4) = (u32)xr(L, f_rt2(w));
            }
        } else {
            u8 buf[16];
            if (load) {
                if (!mem_read(L, addr, 2 * size, buf)) return FLOW_STOP;
                lo = load_le(buf, size);
                hi = load_le(buf + size, size);
            } else {
                store_le(buf, size, xr(L, t));
                store_le(buf + size, size, xr(L, f_rt2(w)));
                if (!mem_write(L, addr, 2 * size, buf)) return FLOW_STOP;
            }
        }
        if (load) {
            if (kind == LS_LOAD_SX64) {
                lo = sext(lo, 32);
                hi = sext(hi, 32);
            }
            // General-register loads write rt2 first, rt last.
            set_xr(L, f_rt2(w), hi);
            set_xr(L, t, lo);
        }
    }
    if (mode == MODE_PRE) set_xsp(L, n, addr);
    else if (mode == MODE_POST) set_xsp(L, n, addr + off);
    return FLOW_NEXT;
}

// Branches: whether taken, and where to.
__device__ int exec_uniform_branch(Lane &L, u32 form, u32 w) {
    u64 pc = L.s->pc;
    u64 xt = xr(L, f_rd(w));
    bool taken;
    u64 target;
    switch (form) {
    case UF_B:
        taken = true;
        target = pc + (sext(bits(w, 0, 26), 26) << 2);
        if (w >> 31) L.s->x[30] = pc + 4;
        break;
    case UF_BCOND:
        taken = condition_holds(bits(w, 0, 4), L.s->nzcv);
        target = pc + (sext(bits(w, 5, 19), 19) << 2);
        break;
    case UF_CBZ:
        taken = ((bit(w, 31) ? xt : (u64)(u32)xt) != 0) == bit(w, 24);
        target = pc + (sext(bits(w, 5, 19), 19) << 2);
        break;
    case UF_TBZ:
        taken = ((xt >> ((bits(w, 31, 1) << 5) | bits(w, 19, 5))) & 1) == bit(w, 24);
        target = pc + (sext(bits(w, 5, 14), 14) << 2);
        break;
    default: // UF_BR: BR, BLR (opc 1 links), RET
        taken = true;
        target = xr(L, f_rn(w));
        if (bits(w, 21, 4) == 1) L.s->x[30] = pc + 4;
        break;
    }
    if (!taken) return FLOW_NEXT;
    L.s->pc = target;
    return FLOW_JUMP;
}

__device__ __forceinline__ int execute_uniform(Lane &L, u32 form, u32 w) {
    if (form <= UF_DP_LAST) return exec_uniform_dp(L, form, w);
    if (form <= UF_MEM_LAST) return exec_uniform_mem(L, form, w);
    return exec_uniform_branch(L, form, w);
}
