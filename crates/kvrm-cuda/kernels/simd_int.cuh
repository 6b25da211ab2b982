// Advanced SIMD integer, mirroring crates/kvrm-cpu/src/exec/simd_int/: the
// bitwise and other "three same" operations, vector and scalar (same.rs),
// modified immediates and shifts by immediate (shift.rs), two-register misc
// and across lanes (misc.rs), three different, by element and dot product
// (diff.rs): the whole class.

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

__device__ u64 sat_q(i128 x, u32 e, bool u, bool *qc);

// The register shifts SSHL/USHL/SRSHL/URSHL/SQSHL/UQSHL/SQRSHL/UQRSHL on one
// element: the shift is the signed low byte of y, negative shifts right.
__device__ u64 reg_shift(u64 x, u64 y, u32 e, bool u, bool round, bool saturate, bool *qc) {
    i32 shift = (i32)(signed char)(u8)y;
    i128 v = ival(x, e, u);
    if (shift >= 0) {
        u32 sh = (u32)shift;
        if (!saturate) return sh >= e ? 0 : x << sh;
        if (v == 0) return 0;
        if (sh >= e) {
            i128 mx = (i128)(((u128)1 << 127) - 1);
            return sat_q(v > 0 ? mx : -mx - 1, e, u, qc);
        }
        return sat_q(v << sh, e, u, qc);
    }
    u32 n = (u32)(-shift);
    i128 r;
    if (round) r = n > e + 1 ? (i128)0 : (v + ((i128)1 << (n - 1))) >> n;
    else r = v >> (n < 127 ? n : 127);
    return saturate ? sat_q(r, e, u, qc) : (u64)r;
}

// Carry-less product of the low 8 bits (PMUL).
__device__ __forceinline__ u64 clmul8(u64 a, u64 b) {
    u64 r = 0;
    for (u32 i = 0; i < 8; i++)
        if ((b >> i) & 1) r ^= a << i;
    return r;
}

// One element of a three-same operation (key U<<5|opcode, same.rs same_op).
__device__ u64 same_op(u32 k, u64 x, u64 y, u64 d, u32 e, bool *qc) {
    bool u = k & 0x20;
    i128 a = ival(x, e, u), b = ival(y, e, u);
    switch (k & 0x1f) {
    case 0x00: return (u64)((a + b) >> 1);
    case 0x01: return sat_q(a + b, e, u, qc);
    case 0x02: return (u64)((a + b + 1) >> 1);
    case 0x04: return (u64)((a - b) >> 1);
    case 0x05: return sat_q(a - b, e, u, qc);
    case 0x08: return reg_shift(x, y, e, u, false, false, qc);
    case 0x09: return reg_shift(x, y, e, u, false, true, qc);
    case 0x0a: return reg_shift(x, y, e, u, true, false, qc);
    case 0x0b: return reg_shift(x, y, e, u, true, true, qc);
    case 0x06: return ones_if(a > b);
    case 0x07: return ones_if(a >= b);
    case 0x0c: case 0x14: return (u64)(a > b ? a : b);
    case 0x0d: case 0x15: return (u64)(a < b ? a : b);
    case 0x0e: { i128 t = a - b; return (u64)(t < 0 ? -t : t); }
    case 0x0f: { i128 t = a - b; return d + (u64)(t < 0 ? -t : t); }
    case 0x10: return u ? x - y : x + y;
    case 0x11: return ones_if(u ? x == y : (x & y) != 0);
    case 0x12: { u64 p = x * y; return u ? d - p : d + p; }
    case 0x13: return u ? clmul8(x, y) : x * y; // PMUL / MUL
    case 0x16: {
        // SQDMULH / SQRDMULH (U = rounding); operands always signed.
        i128 sa = (i128)(i64)sext(x, e), sb = (i128)(i64)sext(y, e);
        i128 round = u ? ((i128)1 << (e - 1)) : 0;
        return sat_q((2 * sa * sb + round) >> e, e, false, qc);
    }
    case 0x18: case 0x19: {
        // SQRDMLAH / SQRDMLSH (three same extra and by element).
        i128 sa = (i128)(i64)sext(x, e), sb = (i128)(i64)sext(y, e), c = (i128)(i64)sext(d, e);
        i128 p = 2 * sa * sb;
        i128 acc = (c << e) + ((k & 0x1f) == 0x18 ? p : -p);
        return sat_q((acc + ((i128)1 << (e - 1))) >> e, e, false, qc);
    }
    default: return x + y; // 0x17 ADDP
    }
}

// The three-same key (U << 5 | opcode) of an encoding.
__device__ __forceinline__ u32 same_key(u32 w) { return ((u32)bit(w, 29) << 5) | bits(w, 11, 5); }

__device__ __noinline__ int exec_simd_same(Lane &L, u32 w, u32 k) {
    bool q = bit(w, 30);
    u32 size = bits(w, 22, 2);
    u32 op = k & 0x1f;
    bool bad;
    if (op == 0x01 || op == 0x10 || op == 0x11 || op == 0x17 || (op >= 0x05 && op <= 0x0b)) bad = size == 3 && !q;
    else if (op == 0x13 && (k & 0x20)) bad = size != 0;
    else if (op == 0x16 || op == 0x18 || op == 0x19) bad = size == 0 || size == 3;
    else bad = size == 3;
    if (bad) return undefined(L, w);
    u32 e = 8u << size;
    u32 lanes = (q ? 128u : 64u) / e;
    u128 a = vreg(L, f_rn(w)), b = vreg(L, f_rm(w)), d = vreg(L, f_rd(w)), r = 0;
    bool qc = false;
    if (op == 0x14 || op == 0x15 || op == 0x17) {
        // Pairwise over the concatenation Rm:Rn (Rn in the low lanes).
        u32 hl = lanes / 2;
        for (u32 i = 0; i < lanes; i++) {
            u128 src = i < hl ? a : b;
            u32 j = i < hl ? 2 * i : 2 * (i - hl);
            r = set_lane(r, size, i, same_op(k, lane(src, size, j), lane(src, size, j + 1), 0, e, &qc));
        }
    } else {
        for (u32 i = 0; i < lanes; i++)
            r = set_lane(r, size, i, same_op(k, lane(a, size, i), lane(b, size, i), lane(d, size, i), e, &qc));
    }
    set_vreg(L, f_rd(w), r);
    if (qc) L.s->fpsr |= 1ull << 27;
    return FLOW_NEXT;
}

// Scalar three same (same.rs same_s).
__device__ __noinline__ int exec_simd_same_s(Lane &L, u32 w, u32 k) {
    u32 size = bits(w, 22, 2);
    u32 op = k & 0x1f;
    bool bad;
    if (op == 0x01 || op == 0x05 || op == 0x09 || op == 0x0b) bad = false;
    else if (op == 0x16 || op == 0x18 || op == 0x19) bad = size == 0 || size == 3;
    else bad = size != 3;
    if (bad) return undefined(L, w);
    u32 e = 8u << size;
    bool qc = false;
    u64 x = lane(vreg(L, f_rn(w)), size, 0), y = lane(vreg(L, f_rm(w)), size, 0);
    u64 d = lane(vreg(L, f_rd(w)), size, 0);
    set_vreg(L, f_rd(w), (u128)(same_op(k, x, y, d, e, &qc) & lane_mask(size)));
    if (qc) L.s->fpsr |= 1ull << 27;
    return FLOW_NEXT;
}


// ----- shift by immediate (shift.rs) -------------------------------------------

__device__ __forceinline__ u64 elem_e(u128 v, u32 i, u32 e) { return (u64)(v >> (i * e)) & elem_mask(e); }
__device__ __forceinline__ void put_e(u128 *r, u32 i, u32 e, u64 x) { *r |= (u128)(x & elem_mask(e)) << (i * e); }

// SatQ: the saturated low bits; sets *qc on saturation.
__device__ u64 sat_q(i128 x, u32 e, bool u, bool *qc) {
    i128 mn = u ? (i128)0 : -((i128)1 << (e - 1));
    i128 mx = u ? (i128)(((u128)1 << e) - 1) : ((i128)1 << (e - 1)) - 1;
    if (x > mx) { *qc = true; return (u64)mx; }
    if (x < mn) { *qc = true; return (u64)mn; }
    return (u64)x;
}

// One same-size shift-by-immediate element (k = U << 5 | opcode).
__device__ u64 shift_op(u32 k, u64 x, u64 d, u32 e, u32 shift, bool *qc) {
    bool u = k & 0x20;
    i128 v = ival(x, e, u);
    switch (k & 0x1f) {
    case 0x00: return (u64)(v >> shift);
    case 0x02: return d + (u64)(v >> shift);
    case 0x04: return (u64)((v + ((i128)1 << (shift - 1))) >> shift);
    case 0x06: return d + (u64)((v + ((i128)1 << (shift - 1))) >> shift);
    case 0x08:
        if (shift >= e) return d;
        { u64 m = elem_mask(e) >> shift; return (d & ~m) | (x >> shift); }
    case 0x0a:
        if (u) { u64 m = elem_mask(e) << shift; return (d & ~m) | (x << shift); }
        return x << shift;
    case 0x0c: return sat_q((i128)(i64)sext(x, e) * ((i128)1 << shift), e, true, qc);
    default: return sat_q(v * ((i128)1 << shift), e, u, qc);
    }
}

// One narrowing element: x is 2e bits wide, shift 1..=e.
__device__ u64 narrow_op(u32 k, u64 x, u32 e, u32 shift, bool *qc) {
    u32 e2 = 2 * e;
    i128 round = (k & 1) ? ((i128)1 << (shift - 1)) : 0;
    switch (k) {
    case 0x10: case 0x11: return (u64)(((i128)x + round) >> shift);
    case 0x30: case 0x31: return sat_q(((i128)(i64)sext(x, e2) + round) >> shift, e, true, qc);
    case 0x12: case 0x13: return sat_q(((i128)(i64)sext(x, e2) + round) >> shift, e, false, qc);
    default: return sat_q(((i128)x + round) >> shift, e, true, qc);
    }
}

__device__ __forceinline__ void finish_q(Lane &L, u32 d, u128 r, bool qc) {
    set_vreg(L, d, r);
    if (qc) L.s->fpsr |= 1ull << 27;
}

__device__ __noinline__ int exec_shift_v(Lane &L, u32 w) {
    u32 k = ((u32)bit(w, 29) << 5) | bits(w, 11, 5);
    bool q = bit(w, 30);
    u32 immh = bits(w, 19, 4), imm = bits(w, 16, 7), op = k & 0x1f;
    bool narrow_or_long = op >= 0x10, d64 = immh & 8;
    if (immh == 0 || (d64 && (narrow_or_long || !q))) return undefined(L, w);
    u32 e = 8u << (31 - __clz(immh));
    u128 a = vreg(L, f_rn(w)), d = vreg(L, f_rd(w)), r = 0;
    bool qc = false;
    if (op == 0x14) {
        u32 shift = imm - e;
        u128 an = q ? a >> 64 : a;
        for (u32 i = 0; i < 64 / e; i++)
            put_e(&r, i, 2 * e, (u64)(ival(elem_e(an, i, e), e, k & 0x20) << shift));
    } else if (narrow_or_long) {
        u32 shift = 2 * e - imm;
        for (u32 i = 0; i < 64 / e; i++) put_e(&r, i, e, narrow_op(k, elem_e(a, i, 2 * e), e, shift, &qc));
        if (q) r = (d & (u128)~0ull) | (r << 64);
    } else {
        u32 shift = op >= 0x0a ? imm - e : 2 * e - imm;
        u32 lanes = (q ? 128u : 64u) / e;
        for (u32 i = 0; i < lanes; i++)
            put_e(&r, i, e, shift_op(k, elem_e(a, i, e), elem_e(d, i, e), e, shift, &qc));
    }
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

__device__ __noinline__ int exec_shift_s(Lane &L, u32 w) {
    u32 k = ((u32)bit(w, 29) << 5) | bits(w, 11, 5);
    u32 immh = bits(w, 19, 4), imm = bits(w, 16, 7), op = k & 0x1f;
    bool bad = (op == 0x0c || op == 0x0e) ? immh == 0
             : (op >= 0x10 && op <= 0x13) ? (immh == 0 || (immh & 8))
             : !(immh & 8);
    if (bad) return undefined(L, w);
    u32 e = 8u << (31 - __clz(immh));
    u128 a = vreg(L, f_rn(w)), r = 0;
    bool qc = false;
    if (op >= 0x10) {
        put_e(&r, 0, e, narrow_op(k, elem_e(a, 0, 2 * e), e, 2 * e - imm, &qc));
    } else {
        u32 shift = op >= 0x0a ? imm - e : 2 * e - imm;
        u64 d = elem_e(vreg(L, f_rd(w)), 0, e);
        put_e(&r, 0, e, shift_op(k, elem_e(a, 0, e), d, e, shift, &qc));
    }
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

// ----- two-register misc, across lanes, scalar ADDP (misc.rs) -------------------

__device__ __forceinline__ u64 clz_e(u64 x, u32 e) { return (u64)(__clzll(x & elem_mask(e)) - (64 - e)); }

// One element of a same-size two-register-misc operation k (misc.rs's keys).
__device__ u64 misc_op(u32 k, u64 x, u64 d, u32 e, bool *qc) {
    i128 v = (i128)(i64)sext(x, e);
    switch (k) {
    case 0x03: return sat_q((i128)(i64)sext(d, e) + (i128)x, e, false, qc); // SUQADD
    case 0x23: return sat_q((i128)d + v, e, true, qc);                      // USQADD
    case 0x04: return clz_e(v < 0 ? ~x : x, e) - 1;                         // CLS
    case 0x24: return clz_e(x, e);                                          // CLZ
    case 0x05: return (u64)__popcll(x);                                     // CNT
    case 0x25: return ~x;                                                   // NOT
    case 0x3f: return (u64)(__brev((u32)(u8)x) >> 24);                      // RBIT
    case 0x07: return sat_q(v < 0 ? -v : v, e, false, qc);                  // SQABS
    case 0x27: return sat_q(-v, e, false, qc);                              // SQNEG
    case 0x08: return ones_if(v > 0);
    case 0x28: return ones_if(v >= 0);
    case 0x09: return ones_if(v == 0);
    case 0x29: return ones_if(v <= 0);
    case 0x0a: return ones_if(v < 0);
    case 0x0b: return (u64)(v < 0 ? -v : v);                                // ABS
    default: return (u64)(-v);                                              // NEG
    }
}

__device__ u64 misc_narrow(u32 k, u64 x, u32 e, bool *qc) {
    u32 e2 = 2 * e;
    switch (k) {
    case 0x12: return x;                                                 // XTN
    case 0x32: return sat_q((i128)(i64)sext(x, e2), e, true, qc);        // SQXTUN
    case 0x14: return sat_q((i128)(i64)sext(x, e2), e, false, qc);       // SQXTN
    default: return sat_q((i128)x, e, true, qc);                         // UQXTN
    }
}

__device__ __noinline__ int exec_misc_v(Lane &L, u32 w, u32 k) {
    bool q = bit(w, 30);
    u32 size = bits(w, 22, 2);
    bool u = k & 0x20;
    bool bad;
    switch (k) {
    case 0x00: bad = size == 3; break;
    case 0x20: bad = size >= 2; break;
    case 0x01: case 0x05: bad = size != 0; break;
    case 0x25: case 0x3f: bad = false; break;
    case 0x02: case 0x22: case 0x06: case 0x26: case 0x04: case 0x24: case 0x12: case 0x32:
    case 0x33: case 0x14: case 0x34: bad = size == 3; break;
    default: bad = size == 3 && !q; break;
    }
    if (bad) return undefined(L, w);
    u32 e = k == 0x3f ? 8 : 8u << size;
    u32 lanes = (q ? 128u : 64u) / e;
    u128 a = vreg(L, f_rn(w)), d = vreg(L, f_rd(w)), r = 0;
    bool qc = false;
    switch (k) {
    case 0x00: case 0x20: case 0x01: {
        u32 c = k == 0x00 ? 64 : k == 0x20 ? 32 : 16;
        u32 flip = c / e - 1;
        for (u32 i = 0; i < lanes; i++) put_e(&r, i, e, elem_e(a, i ^ flip, e));
        break;
    }
    case 0x02: case 0x22: case 0x06: case 0x26: {
        u32 e2 = 2 * e;
        for (u32 i = 0; i < lanes / 2; i++) {
            i128 sum = ival(elem_e(a, 2 * i, e), e, u) + ival(elem_e(a, 2 * i + 1, e), e, u);
            u64 acc = (k & 0x04) ? elem_e(d, i, e2) : 0;
            put_e(&r, i, e2, acc + (u64)sum);
        }
        break;
    }
    case 0x12: case 0x32: case 0x14: case 0x34:
        for (u32 i = 0; i < 64 / e; i++) put_e(&r, i, e, misc_narrow(k, elem_e(a, i, 2 * e), e, &qc));
        if (q) r = (d & (u128)~0ull) | (r << 64);
        break;
    case 0x33: {
        u128 an = q ? a >> 64 : a;
        for (u32 i = 0; i < 64 / e; i++) put_e(&r, i, 2 * e, elem_e(an, i, e) << e);
        break;
    }
    default:
        for (u32 i = 0; i < lanes; i++) put_e(&r, i, e, misc_op(k, elem_e(a, i, e), elem_e(d, i, e), e, &qc));
        break;
    }
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

__device__ __noinline__ int exec_misc_s(Lane &L, u32 w, u32 k) {
    u32 size = bits(w, 22, 2);
    bool bad;
    switch (k) {
    case 0x03: case 0x23: case 0x07: case 0x27: bad = false; break;
    case 0x32: case 0x14: case 0x34: bad = size == 3; break;
    default: bad = size != 3; break;
    }
    if (bad) return undefined(L, w);
    u32 e = 8u << size;
    u128 a = vreg(L, f_rn(w)), r = 0;
    bool qc = false;
    u64 v;
    if (k == 0x32 || k == 0x14 || k == 0x34) v = misc_narrow(k, elem_e(a, 0, 2 * e), e, &qc);
    else v = misc_op(k, elem_e(a, 0, e), elem_e(vreg(L, f_rd(w)), 0, e), e, &qc);
    put_e(&r, 0, e, v);
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

// ADDV, [SU]MAXV, [SU]MINV, [SU]ADDLV.
__device__ __noinline__ int exec_across(Lane &L, u32 w, u32 k) {
    bool q = bit(w, 30);
    u32 size = bits(w, 22, 2);
    if (size == 3 || (size == 2 && !q)) return undefined(L, w);
    bool u = k & 0x20;
    u32 e = 8u << size, lanes = (q ? 128u : 64u) / e;
    u128 a = vreg(L, f_rn(w));
    i128 acc = ival(elem_e(a, 0, e), e, u);
    for (u32 i = 1; i < lanes; i++) {
        i128 x = ival(elem_e(a, i, e), e, u);
        switch (k & 0x1f) {
        case 0x0a: acc = acc > x ? acc : x; break;
        case 0x1a: acc = acc < x ? acc : x; break;
        default: acc = acc + x; break;
        }
    }
    u32 width = (k & 0x1f) == 0x03 ? 2 * e : e;
    u128 r = 0;
    put_e(&r, 0, width, (u64)acc);
    set_vreg(L, f_rd(w), r);
    return FLOW_NEXT;
}

__device__ int exec_addp_s(Lane &L, u32 w) {
    if (bits(w, 22, 2) != 3) return undefined(L, w);
    set_vreg(L, f_rd(w), (u128)(L.s->v[f_rn(w)][0] + L.s->v[f_rn(w)][1]));
    return FLOW_NEXT;
}

// ----- three different (diff.rs) ---------------------------------------------------

__device__ u128 clmul_w(u64 a, u64 b, u32 width) {
    u128 r = 0;
    for (u32 i = 0; i < width; i++)
        if ((b >> i) & 1) r ^= (u128)a << i;
    return r;
}

// One lengthening operation (k = U << 4 | opcode) on narrow elements.
__device__ u64 long_op(u32 k, u64 x, u64 y, u64 acc, u32 e, bool *qc) {
    bool u = k & 0x10;
    u32 e2 = 2 * e;
    i128 a = ival(x, e, u), b = ival(y, e, u);
    switch (k & 0xf) {
    case 0x0: return (u64)(a + b);
    case 0x2: return (u64)(a - b);
    case 0x5: { i128 t = a - b; return acc + (u64)(t < 0 ? -t : t); }
    case 0x7: { i128 t = a - b; return (u64)(t < 0 ? -t : t); }
    case 0x8: return acc + (u64)(a * b);
    case 0xa: return acc - (u64)(a * b);
    case 0xc: return (u64)(a * b);
    case 0xe: return (u64)clmul_w(x, y, e);
    default: {
        // SQDMLAL (9), SQDMLSL (b), SQDMULL (d)
        u64 p = sat_q(2 * a * b, e2, false, qc);
        if ((k & 0xf) == 0xd) return p;
        i128 pp = (i128)(i64)sext(p, e2), aa = (i128)(i64)sext(acc, e2);
        return sat_q((k & 0xf) == 0x9 ? aa + pp : aa - pp, e2, false, qc);
    }
    }
}

__device__ __noinline__ int exec_diff_v(Lane &L, u32 w) {
    u32 k = ((u32)bit(w, 29) << 4) | bits(w, 12, 4);
    bool q = bit(w, 30);
    u32 size = bits(w, 22, 2), op = k & 0xf;
    bool bad;
    if (op == 0x9 || op == 0xb || op == 0xd) bad = size == 0 || size == 3;
    else if (op == 0xe) bad = size == 1 || size == 2;
    else bad = size == 3;
    if (bad) return undefined(L, w);
    u32 e = 8u << size, e2 = 2 * e;
    u128 a = vreg(L, f_rn(w)), b = vreg(L, f_rm(w)), d = vreg(L, f_rd(w));
    u32 sh = q ? 64 : 0;
    u128 an = a >> sh, bn = b >> sh, r = 0;
    u32 lanes = 64 / e;
    bool qc = false;
    if (op == 0xe && e == 64) {
        r = clmul_w((u64)an, (u64)bn, 64);
    } else if (op == 0x4 || op == 0x6) {
        u64 round = (k & 0x10) ? 1ull << (e - 1) : 0;
        for (u32 i = 0; i < lanes; i++) {
            u64 x = elem_e(a, i, e2), y = elem_e(b, i, e2);
            u64 sum = op == 0x4 ? x + y : x - y;
            put_e(&r, i, e, (sum + round) >> e);
        }
        if (q) r = (d & (u128)~0ull) | (r << 64);
    } else if (op == 0x1 || op == 0x3) {
        bool u = k & 0x10;
        for (u32 i = 0; i < lanes; i++) {
            u64 x = elem_e(a, i, e2);
            u64 y = (u64)ival(elem_e(bn, i, e), e, u);
            put_e(&r, i, e2, op == 0x1 ? x + y : x - y);
        }
    } else {
        for (u32 i = 0; i < lanes; i++)
            put_e(&r, i, e2, long_op(k, elem_e(an, i, e), elem_e(bn, i, e), elem_e(d, i, e2), e, &qc));
    }
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

// SQDMLAL/SQDMLSL/SQDMULL (scalar).
__device__ __noinline__ int exec_diff_s(Lane &L, u32 w) {
    u32 k = ((u32)bit(w, 29) << 4) | bits(w, 12, 4);
    u32 size = bits(w, 22, 2);
    if (size == 0 || size == 3) return undefined(L, w);
    u32 e = 8u << size;
    u64 x = elem_e(vreg(L, f_rn(w)), 0, e), y = elem_e(vreg(L, f_rm(w)), 0, e);
    u64 acc = elem_e(vreg(L, f_rd(w)), 0, 2 * e);
    bool qc = false;
    u128 r = 0;
    put_e(&r, 0, 2 * e, long_op(k, x, y, acc, e, &qc));
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

// ----- by element and dot product (diff.rs) ------------------------------------------

// (Rm, index) of a by-element encoding with element size 16 or 32.
__device__ __forceinline__ void index_of(u32 w, u32 size, u32 *m, u32 *idx) {
    u32 h = bit(w, 11), l = bit(w, 21), mm = bit(w, 20);
    if (size == 1) { *m = bits(w, 16, 4); *idx = (h << 2) | (l << 1) | mm; }
    else { *m = bits(w, 16, 5); *idx = (h << 1) | l; }
}

// The three-same key (same = true) or three-different key of a by-element opcode.
__device__ __forceinline__ u32 elem_key(u32 k, bool *same) {
    u32 u = k & 0x10;
    *same = true;
    switch (k & 0xf) {
    case 0x0: return 0x12;
    case 0x4: return 0x32;
    case 0x8: return 0x13;
    case 0xc: return 0x16;
    case 0xd: return u ? 0x18 : 0x36;
    case 0xf: return 0x19;
    }
    *same = false;
    switch (k & 0xf) {
    case 0x2: return u | 0x8;
    case 0x6: return u | 0xa;
    case 0xa: return u | 0xc;
    case 0x3: return 0x9;
    case 0x7: return 0xb;
    default: return 0xd;
    }
}

// SDOT/UDOT, vector or indexed.
__device__ __noinline__ int exec_dot(Lane &L, u32 w, bool unsigned_, bool indexed) {
    bool q = bit(w, 30);
    u128 n = vreg(L, f_rn(w)), d = vreg(L, f_rd(w)), m;
    if (indexed) {
        u32 mr, idx;
        index_of(w, 2, &mr, &idx);
        u128 word = (u128)elem_e(vreg(L, mr), idx, 32);
        m = word | (word << 32) | (word << 64) | (word << 96);
    } else {
        m = vreg(L, f_rm(w));
    }
    u128 r = 0;
    for (u32 i = 0; i < (q ? 4u : 2u); i++) {
        i64 acc = (i64)elem_e(d, i, 32);
        for (u32 j = 0; j < 4; j++) {
            i64 x = (i64)ival(elem_e(n, 4 * i + j, 8), 8, unsigned_);
            i64 y = (i64)ival(elem_e(m, 4 * i + j, 8), 8, unsigned_);
            acc = (i64)((u64)acc + (u64)(x * y));
        }
        put_e(&r, i, 32, (u64)acc);
    }
    set_vreg(L, f_rd(w), half_q(r, q));
    return FLOW_NEXT;
}

__device__ __noinline__ int exec_elem_v(Lane &L, u32 w) {
    u32 k = ((u32)bit(w, 29) << 4) | bits(w, 12, 4);
    bool q = bit(w, 30);
    if ((k & 0xf) == 0xe) return exec_dot(L, w, k & 0x10, true);
    u32 size = bits(w, 22, 2);
    if (size == 0 || size == 3) return undefined(L, w);
    u32 e = 8u << size, m, idx;
    index_of(w, size, &m, &idx);
    u64 y = elem_e(vreg(L, m), idx, e);
    u128 a = vreg(L, f_rn(w)), d = vreg(L, f_rd(w)), r = 0;
    bool qc = false, same;
    u32 key = elem_key(k, &same);
    if (same) {
        u32 lanes = (q ? 128u : 64u) / e;
        for (u32 i = 0; i < lanes; i++) put_e(&r, i, e, same_op(key, elem_e(a, i, e), y, elem_e(d, i, e), e, &qc));
    } else {
        u128 an = q ? a >> 64 : a;
        for (u32 i = 0; i < 64 / e; i++)
            put_e(&r, i, 2 * e, long_op(key, elem_e(an, i, e), y, elem_e(d, i, 2 * e), e, &qc));
    }
    finish_q(L, f_rd(w), r, qc);
    return FLOW_NEXT;
}

__device__ __noinline__ int exec_elem_s(Lane &L, u32 w) {
    u32 k = ((u32)bit(w, 29) << 4) | bits(w, 12, 4);
    u32 size = bits(w, 22, 2);
    if (size == 0 || size == 3) return undefined(L, w);
    u32 e = 8u << size, m, idx;
    index_of(w, size, &m, &idx);
    u64 y = elem_e(vreg(L, m), idx, e), x = elem_e(vreg(L, f_rn(w)), 0, e);
    u128 r = 0;
    bool qc = false, same;
    u32 key = elem_key(k, &same);
    if (same) put_e(&r, 0, e, same_op(key, x, y, elem_e(vreg(L, f_rd(w)), 0, e), e, &qc));
    else put_e(&r, 0, 2 * e, long_op(key, x, y, elem_e(vreg(L, f_rd(w)), 0, 2 * e), e, &qc));
    finish_q(L, f_rd(w), r, qc);
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
    case KVRM_OP_UMINP_v: case KVRM_OP_ADDP_v: case KVRM_OP_SQADD_v: case KVRM_OP_UQADD_v:
    case KVRM_OP_SQSUB_v: case KVRM_OP_UQSUB_v: case KVRM_OP_SSHL_v: case KVRM_OP_USHL_v:
    case KVRM_OP_SQSHL_v: case KVRM_OP_UQSHL_v: case KVRM_OP_SRSHL_v: case KVRM_OP_URSHL_v:
    case KVRM_OP_SQRSHL_v: case KVRM_OP_UQRSHL_v: case KVRM_OP_PMUL_v: case KVRM_OP_SQDMULH_v:
    case KVRM_OP_SQRDMULH_v:
        return exec_simd_same(L, w, same_key(w));
    case KVRM_OP_SQRDMLAH_v: return exec_simd_same(L, w, 0x38);
    case KVRM_OP_SQRDMLSH_v: return exec_simd_same(L, w, 0x39);
    case KVRM_OP_SQRDMLAH_s: return exec_simd_same_s(L, w, 0x38);
    case KVRM_OP_SQRDMLSH_s: return exec_simd_same_s(L, w, 0x39);
    case KVRM_OP_SQADD_s: case KVRM_OP_UQADD_s: case KVRM_OP_SQSUB_s: case KVRM_OP_UQSUB_s:
    case KVRM_OP_CMGT_s: case KVRM_OP_CMHI_s: case KVRM_OP_CMGE_s: case KVRM_OP_CMHS_s:
    case KVRM_OP_SSHL_s: case KVRM_OP_USHL_s: case KVRM_OP_SQSHL_s: case KVRM_OP_UQSHL_s:
    case KVRM_OP_SRSHL_s: case KVRM_OP_URSHL_s: case KVRM_OP_SQRSHL_s: case KVRM_OP_UQRSHL_s:
    case KVRM_OP_ADD_s: case KVRM_OP_SUB_s: case KVRM_OP_CMTST_s: case KVRM_OP_CMEQ_s:
    case KVRM_OP_SQDMULH_s: case KVRM_OP_SQRDMULH_s:
        return exec_simd_same_s(L, w, same_key(w));
    case KVRM_OP_MOVI_32: case KVRM_OP_ORR_v_imm32: case KVRM_OP_MOVI_16: case KVRM_OP_ORR_v_imm16:
    case KVRM_OP_MOVI_msl: case KVRM_OP_MOVI_8: case KVRM_OP_MVNI_32: case KVRM_OP_BIC_v_imm32:
    case KVRM_OP_MVNI_16: case KVRM_OP_BIC_v_imm16: case KVRM_OP_MVNI_msl: case KVRM_OP_MOVI_64:
        return exec_simd_mod_imm(L, w);
    case KVRM_OP_SSHR_vi: case KVRM_OP_USHR_vi: case KVRM_OP_SSRA_vi: case KVRM_OP_USRA_vi:
    case KVRM_OP_SRSHR_vi: case KVRM_OP_URSHR_vi: case KVRM_OP_SRSRA_vi: case KVRM_OP_URSRA_vi:
    case KVRM_OP_SRI_vi: case KVRM_OP_SHL_vi: case KVRM_OP_SLI_vi: case KVRM_OP_SQSHLU_vi:
    case KVRM_OP_SQSHL_vi: case KVRM_OP_UQSHL_vi: case KVRM_OP_SHRN_vi: case KVRM_OP_SQSHRUN_vi:
    case KVRM_OP_RSHRN_vi: case KVRM_OP_SQRSHRUN_vi: case KVRM_OP_SQSHRN_vi: case KVRM_OP_UQSHRN_vi:
    case KVRM_OP_SQRSHRN_vi: case KVRM_OP_UQRSHRN_vi: case KVRM_OP_SSHLL_vi: case KVRM_OP_USHLL_vi:
        return exec_shift_v(L, w);
    case KVRM_OP_SSHR_si: case KVRM_OP_USHR_si: case KVRM_OP_SSRA_si: case KVRM_OP_USRA_si:
    case KVRM_OP_SRSHR_si: case KVRM_OP_URSHR_si: case KVRM_OP_SRSRA_si: case KVRM_OP_URSRA_si:
    case KVRM_OP_SRI_si: case KVRM_OP_SHL_si: case KVRM_OP_SLI_si: case KVRM_OP_SQSHLU_si:
    case KVRM_OP_SQSHL_si: case KVRM_OP_UQSHL_si: case KVRM_OP_SQSHRUN_si: case KVRM_OP_SQRSHRUN_si:
    case KVRM_OP_SQSHRN_si: case KVRM_OP_UQSHRN_si: case KVRM_OP_SQRSHRN_si: case KVRM_OP_UQRSHRN_si:
        return exec_shift_s(L, w);
    case KVRM_OP_REV64_v: return exec_misc_v(L, w, 0x00);
    case KVRM_OP_REV32_v: return exec_misc_v(L, w, 0x20);
    case KVRM_OP_REV16_v: return exec_misc_v(L, w, 0x01);
    case KVRM_OP_SADDLP_v: return exec_misc_v(L, w, 0x02);
    case KVRM_OP_UADDLP_v: return exec_misc_v(L, w, 0x22);
    case KVRM_OP_SUQADD_v: return exec_misc_v(L, w, 0x03);
    case KVRM_OP_USQADD_v: return exec_misc_v(L, w, 0x23);
    case KVRM_OP_CLS_v: return exec_misc_v(L, w, 0x04);
    case KVRM_OP_CLZ_v: return exec_misc_v(L, w, 0x24);
    case KVRM_OP_CNT_v: return exec_misc_v(L, w, 0x05);
    case KVRM_OP_NOT_v: return exec_misc_v(L, w, 0x25);
    case KVRM_OP_RBIT_v: return exec_misc_v(L, w, 0x3f);
    case KVRM_OP_SADALP_v: return exec_misc_v(L, w, 0x06);
    case KVRM_OP_UADALP_v: return exec_misc_v(L, w, 0x26);
    case KVRM_OP_SQABS_v: return exec_misc_v(L, w, 0x07);
    case KVRM_OP_SQNEG_v: return exec_misc_v(L, w, 0x27);
    case KVRM_OP_CMGT_vz: return exec_misc_v(L, w, 0x08);
    case KVRM_OP_CMGE_vz: return exec_misc_v(L, w, 0x28);
    case KVRM_OP_CMEQ_vz: return exec_misc_v(L, w, 0x09);
    case KVRM_OP_CMLE_vz: return exec_misc_v(L, w, 0x29);
    case KVRM_OP_CMLT_vz: return exec_misc_v(L, w, 0x0a);
    case KVRM_OP_ABS_v: return exec_misc_v(L, w, 0x0b);
    case KVRM_OP_NEG_v: return exec_misc_v(L, w, 0x2b);
    case KVRM_OP_XTN_v: return exec_misc_v(L, w, 0x12);
    case KVRM_OP_SQXTUN_v: return exec_misc_v(L, w, 0x32);
    case KVRM_OP_SHLL_v: return exec_misc_v(L, w, 0x33);
    case KVRM_OP_SQXTN_v: return exec_misc_v(L, w, 0x14);
    case KVRM_OP_UQXTN_v: return exec_misc_v(L, w, 0x34);
    case KVRM_OP_SUQADD_s: return exec_misc_s(L, w, 0x03);
    case KVRM_OP_USQADD_s: return exec_misc_s(L, w, 0x23);
    case KVRM_OP_SQABS_s: return exec_misc_s(L, w, 0x07);
    case KVRM_OP_SQNEG_s: return exec_misc_s(L, w, 0x27);
    case KVRM_OP_CMGT_sz: return exec_misc_s(L, w, 0x08);
    case KVRM_OP_CMGE_sz: return exec_misc_s(L, w, 0x28);
    case KVRM_OP_CMEQ_sz: return exec_misc_s(L, w, 0x09);
    case KVRM_OP_CMLE_sz: return exec_misc_s(L, w, 0x29);
    case KVRM_OP_CMLT_sz: return exec_misc_s(L, w, 0x0a);
    case KVRM_OP_ABS_s: return exec_misc_s(L, w, 0x0b);
    case KVRM_OP_NEG_s: return exec_misc_s(L, w, 0x2b);
    case KVRM_OP_SQXTUN_s: return exec_misc_s(L, w, 0x32);
    case KVRM_OP_SQXTN_s: return exec_misc_s(L, w, 0x14);
    case KVRM_OP_UQXTN_s: return exec_misc_s(L, w, 0x34);
    case KVRM_OP_SADDLV: return exec_across(L, w, 0x03);
    case KVRM_OP_UADDLV: return exec_across(L, w, 0x23);
    case KVRM_OP_SMAXV: return exec_across(L, w, 0x0a);
    case KVRM_OP_UMAXV: return exec_across(L, w, 0x2a);
    case KVRM_OP_SMINV: return exec_across(L, w, 0x1a);
    case KVRM_OP_UMINV: return exec_across(L, w, 0x3a);
    case KVRM_OP_ADDV: return exec_across(L, w, 0x1b);
    case KVRM_OP_ADDP_s: return exec_addp_s(L, w);
    case KVRM_OP_MLA_ve: case KVRM_OP_SMLAL_ve: case KVRM_OP_UMLAL_ve: case KVRM_OP_SQDMLAL_ve:
    case KVRM_OP_MLS_ve: case KVRM_OP_SMLSL_ve: case KVRM_OP_UMLSL_ve: case KVRM_OP_SQDMLSL_ve:
    case KVRM_OP_MUL_ve: case KVRM_OP_SMULL_ve: case KVRM_OP_UMULL_ve: case KVRM_OP_SQDMULL_ve:
    case KVRM_OP_SQDMULH_ve: case KVRM_OP_SQRDMULH_ve: case KVRM_OP_SDOT_ve: case KVRM_OP_UDOT_ve:
    case KVRM_OP_SQRDMLAH_ve: case KVRM_OP_SQRDMLSH_ve:
        return exec_elem_v(L, w);
    case KVRM_OP_SQDMLAL_se: case KVRM_OP_SQDMLSL_se: case KVRM_OP_SQDMULL_se: case KVRM_OP_SQDMULH_se:
    case KVRM_OP_SQRDMULH_se: case KVRM_OP_SQRDMLAH_se: case KVRM_OP_SQRDMLSH_se:
        return exec_elem_s(L, w);
    case KVRM_OP_SDOT_v: return exec_dot(L, w, false, false);
    case KVRM_OP_UDOT_v: return exec_dot(L, w, true, false);
    case KVRM_OP_SADDL_v: case KVRM_OP_UADDL_v: case KVRM_OP_SADDW_v: case KVRM_OP_UADDW_v:
    case KVRM_OP_SSUBL_v: case KVRM_OP_USUBL_v: case KVRM_OP_SSUBW_v: case KVRM_OP_USUBW_v:
    case KVRM_OP_ADDHN_v: case KVRM_OP_RADDHN_v: case KVRM_OP_SABAL_v: case KVRM_OP_UABAL_v:
    case KVRM_OP_SUBHN_v: case KVRM_OP_RSUBHN_v: case KVRM_OP_SABDL_v: case KVRM_OP_UABDL_v:
    case KVRM_OP_SMLAL_v: case KVRM_OP_UMLAL_v: case KVRM_OP_SQDMLAL_v: case KVRM_OP_SMLSL_v:
    case KVRM_OP_UMLSL_v: case KVRM_OP_SQDMLSL_v: case KVRM_OP_SMULL_v: case KVRM_OP_UMULL_v:
    case KVRM_OP_SQDMULL_v: case KVRM_OP_PMULL_v:
        return exec_diff_v(L, w);
    case KVRM_OP_SQDMLAL_s: case KVRM_OP_SQDMLSL_s: case KVRM_OP_SQDMULL_s:
        return exec_diff_s(L, w);
    default: return -1;
    }
}
