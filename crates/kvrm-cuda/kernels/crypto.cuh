// The Cryptographic Extension (kvrm_isa::table::crypto): AES, SHA-1,
// SHA-256, SHA-512 and the SHA-3 helpers (EOR3, BCAX, RAX1, XAR), after the
// Arm ARM's pseudo-code (AESSubBytes/AESShiftRows/AESMixColumns and their
// inverses, SHA1 rounds, SHA256hash, the schedule updates, SHA512H/H2/SU0/
// SU1). Every instruction writes the whole of Vd; no flags. Registers are
// read as a whole before Vd is written, so Vd may be a source too.

// The AES S-box and its inverse (FIPS-197), in constant memory.
__constant__ const u8 KVRM_AES_SBOX[256] = {
    0x63, 0x7c, 0x77, 0x7b, 0xf2, 0x6b, 0x6f, 0xc5, 0x30, 0x01, 0x67, 0x2b, 0xfe, 0xd7, 0xab, 0x76,
    0xca, 0x82, 0xc9, 0x7d, 0xfa, 0x59, 0x47, 0xf0, 0xad, 0xd4, 0xa2, 0xaf, 0x9c, 0xa4, 0x72, 0xc0,
    0xb7, 0xfd, 0x93, 0x26, 0x36, 0x3f, 0xf7, 0xcc, 0x34, 0xa5, 0xe5, 0xf1, 0x71, 0xd8, 0x31, 0x15,
    0x04, 0xc7, 0x23, 0xc3, 0x18, 0x96, 0x05, 0x9a, 0x07, 0x12, 0x80, 0xe2, 0xeb, 0x27, 0xb2, 0x75,
    0x09, 0x83, 0x2c, 0x1a, 0x1b, 0x6e, 0x5a, 0xa0, 0x52, 0x3b, 0xd6, 0xb3, 0x29, 0xe3, 0x2f, 0x84,
    0x53, 0xd1, 0x00, 0xed, 0x20, 0xfc, 0xb1, 0x5b, 0x6a, 0xcb, 0xbe, 0x39, 0x4a, 0x4c, 0x58, 0xcf,
    0xd0, 0xef, 0xaa, 0xfb, 0x43, 0x4d, 0x33, 0x85, 0x45, 0xf9, 0x02, 0x7f, 0x50, 0x3c, 0x9f, 0xa8,
    0x51, 0xa3, 0x40, 0x8f, 0x92, 0x9d, 0x38, 0xf5, 0xbc, 0xb6, 0xda, 0x21, 0x10, 0xff, 0xf3, 0xd2,
    0xcd, 0x0c, 0x13, 0xec, 0x5f, 0x97, 0x44, 0x17, 0xc4, 0xa7, 0x7e, 0x3d, 0x64, 0x5d, 0x19, 0x73,
    0x60, 0x81, 0x4f, 0xdc, 0x22, 0x2a, 0x90, 0x88, 0x46, 0xee, 0xb8, 0x14, 0xde, 0x5e, 0x0b, 0xdb,
    0xe0, 0x32, 0x3a, 0x0a, 0x49, 0x06, 0x24, 0x5c, 0xc2, 0xd3, 0xac, 0x62, 0x91, 0x95, 0xe4, 0x79,
    0xe7, 0xc8, 0x37, 0x6d, 0x8d, 0xd5, 0x4e, 0xa9, 0x6c, 0x56, 0xf4, 0xea, 0x65, 0x7a, 0xae, 0x08,
    0xba, 0x78, 0x25, 0x2e, 0x1c, 0xa6, 0xb4, 0xc6, 0xe8, 0xdd, 0x74, 0x1f, 0x4b, 0xbd, 0x8b, 0x8a,
    0x70, 0x3e, 0xb5, 0x66, 0x48, 0x03, 0xf6, 0x0e, 0x61, 0x35, 0x57, 0xb9, 0x86, 0xc1, 0x1d, 0x9e,
    0xe1, 0xf8, 0x98, 0x11, 0x69, 0xd9, 0x8e, 0x94, 0x9b, 0x1e, 0x87, 0xe9, 0xce, 0x55, 0x28, 0xdf,
    0x8c, 0xa1, 0x89, 0x0d, 0xbf, 0xe6, 0x42, 0x68, 0x41, 0x99, 0x2d, 0x0f, 0xb0, 0x54, 0xbb, 0x16,
};
__constant__ const u8 KVRM_AES_INV_SBOX[256] = {
    0x52, 0x09, 0x6a, 0xd5, 0x30, 0x36, 0xa5, 0x38, 0xbf, 0x40, 0xa3, 0x9e, 0x81, 0xf3, 0xd7, 0xfb,
    0x7c, 0xe3, 0x39, 0x82, 0x9b, 0x2f, 0xff, 0x87, 0x34, 0x8e, 0x43, 0x44, 0xc4, 0xde, 0xe9, 0xcb,
    0x54, 0x7b, 0x94, 0x32, 0xa6, 0xc2, 0x23, 0x3d, 0xee, 0x4c, 0x95, 0x0b, 0x42, 0xfa, 0xc3, 0x4e,
    0x08, 0x2e, 0xa1, 0x66, 0x28, 0xd9, 0x24, 0xb2, 0x76, 0x5b, 0xa2, 0x49, 0x6d, 0x8b, 0xd1, 0x25,
    0x72, 0xf8, 0xf6, 0x64, 0x86, 0x68, 0x98, 0x16, 0xd4, 0xa4, 0x5c, 0xcc, 0x5d, 0x65, 0xb6, 0x92,
    0x6c, 0x70, 0x48, 0x50, 0xfd, 0xed, 0xb9, 0xda, 0x5e, 0x15, 0x46, 0x57, 0xa7, 0x8d, 0x9d, 0x84,
    0x90, 0xd8, 0xab, 0x00, 0x8c, 0xbc, 0xd3, 0x0a, 0xf7, 0xe4, 0x58, 0x05, 0xb8, 0xb3, 0x45, 0x06,
    0xd0, 0x2c, 0x1e, 0x8f, 0xca, 0x3f, 0x0f, 0x02, 0xc1, 0xaf, 0xbd, 0x03, 0x01, 0x13, 0x8a, 0x6b,
    0x3a, 0x91, 0x11, 0x41, 0x4f, 0x67, 0xdc, 0xea, 0x97, 0xf2, 0xcf, 0xce, 0xf0, 0xb4, 0xe6, 0x73,
    0x96, 0xac, 0x74, 0x22, 0xe7, 0xad, 0x35, 0x85, 0xe2, 0xf9, 0x37, 0xe8, 0x1c, 0x75, 0xdf, 0x6e,
    0x47, 0xf1, 0x1a, 0x71, 0x1d, 0x29, 0xc5, 0x89, 0x6f, 0xb7, 0x62, 0x0e, 0xaa, 0x18, 0xbe, 0x1b,
    0xfc, 0x56, 0x3e, 0x4b, 0xc6, 0xd2, 0x79, 0x20, 0x9a, 0xdb, 0xc0, 0xfe, 0x78, 0xcd, 0x5a, 0xf4,
    0x1f, 0xdd, 0xa8, 0x33, 0x88, 0x07, 0xc7, 0x31, 0xb1, 0x12, 0x10, 0x59, 0x27, 0x80, 0xec, 0x5f,
    0x60, 0x51, 0x7f, 0xa9, 0x19, 0xb5, 0x4a, 0x0d, 0x2d, 0xe5, 0x7a, 0x9f, 0x93, 0xc9, 0x9c, 0xef,
    0xa0, 0xe0, 0x3b, 0x4d, 0xae, 0x2a, 0xf5, 0xb0, 0xc8, 0xeb, 0xbb, 0x3c, 0x83, 0x53, 0x99, 0x61,
    0x17, 0x2b, 0x04, 0x7e, 0xba, 0x77, 0xd6, 0x26, 0xe1, 0x69, 0x14, 0x63, 0x55, 0x21, 0x0c, 0x7d,
};

// A V register as four 32-bit words (w[0] = bits 31:0) and back.
__device__ __forceinline__ void crypto_words(const Lane &L, u32 n, u32 *w) {
    u64 lo = L.s->v[n][0], hi = L.s->v[n][1];
    w[0] = (u32)lo;
    w[1] = (u32)(lo >> 32);
    w[2] = (u32)hi;
    w[3] = (u32)(hi >> 32);
}
__device__ __forceinline__ void crypto_set_words(Lane &L, u32 d, const u32 *w) {
    L.s->v[d][0] = (u64)w[0] | ((u64)w[1] << 32);
    L.s->v[d][1] = (u64)w[2] | ((u64)w[3] << 32);
}
__device__ __forceinline__ void crypto_set_halves(Lane &L, u32 d, u64 lo, u64 hi) {
    L.s->v[d][0] = lo;
    L.s->v[d][1] = hi;
}

__device__ __forceinline__ u32 rol32(u32 x, u32 s) { return (x << s) | (x >> (32 - s)); }
__device__ __forceinline__ u32 ror32(u32 x, u32 s) { return (x >> s) | (x << (32 - s)); }
__device__ __forceinline__ u64 ror64(u64 x, u32 s) { return s == 0 ? x : (x >> s) | (x << (64 - s)); }

// SHAchoose, SHAparity, SHAmajority.
__device__ __forceinline__ u32 sha_choose(u32 x, u32 y, u32 z) { return ((y ^ z) & x) ^ z; }
__device__ __forceinline__ u32 sha_parity(u32 x, u32 y, u32 z) { return x ^ y ^ z; }
__device__ __forceinline__ u32 sha_majority(u32 x, u32 y, u32 z) { return (x & y) | ((x | y) & z); }

// ---- AES ----

// Multiplication by x in GF(2^8) modulo x^8 + x^4 + x^3 + x + 1.
__device__ __forceinline__ u32 aes_xtime(u32 b) { return ((b << 1) ^ ((b & 0x80u) ? 0x1bu : 0u)) & 0xffu; }

// The byte i (0 = bits 7:0) of a 128-bit value held as two halves.
__device__ __forceinline__ u32 aes_byte(u64 lo, u64 hi, u32 i) {
    return (u32)((i < 8 ? lo >> (8 * i) : hi >> (8 * (i - 8))) & 0xffu);
}

// AESE/AESD: AddRoundKey (EOR), then (Inv)ShiftRows and (Inv)SubBytes.
// Byte 4c + r is row r of column c; ShiftRows takes row r from column
// c + r, InvShiftRows from column c - r.
__device__ __noinline__ int exec_aes_round(Lane &L, u32 w, bool decrypt) {
    u32 d = f_rd(w), n = f_rn(w);
    u64 lo = L.s->v[d][0] ^ L.s->v[n][0];
    u64 hi = L.s->v[d][1] ^ L.s->v[n][1];
    u64 r[2] = {0, 0};
    for (u32 i = 0; i < 16; i++) {
        u32 row4 = 4 * (i & 3);
        u32 src = decrypt ? (i - row4) & 15 : (i + row4) & 15;
        u32 b = aes_byte(lo, hi, src);
        u32 s = decrypt ? KVRM_AES_INV_SBOX[b] : KVRM_AES_SBOX[b];
        r[i >> 3] |= (u64)s << (8 * (i & 7));
    }
    crypto_set_halves(L, d, r[0], r[1]);
    return FLOW_NEXT;
}

// AESMC/AESIMC: (Inv)MixColumns of Vn, one 32-bit column at a time
// (byte r = row r). MixColumns multiplies by {02,03,01,01} rotated per row,
// InvMixColumns by {0e,0b,0d,09}.
__device__ __noinline__ int exec_aes_mix(Lane &L, u32 w, bool inverse) {
    u32 c[4];
    crypto_words(L, f_rn(w), c);
    for (u32 k = 0; k < 4; k++) {
        u32 a[4], x2[4], m[4];
        for (u32 r = 0; r < 4; r++) a[r] = (c[k] >> (8 * r)) & 0xffu;
        for (u32 r = 0; r < 4; r++) x2[r] = aes_xtime(a[r]);
        if (inverse) {
            // 0e = 8+4+2, 0b = 8+2+1, 0d = 8+4+1, 09 = 8+1.
            u32 x4[4], x8[4], e[4], b[4], dd[4], n9[4];
            for (u32 r = 0; r < 4; r++) {
                x4[r] = aes_xtime(x2[r]);
                x8[r] = aes_xtime(x4[r]);
                e[r] = x8[r] ^ x4[r] ^ x2[r];
                b[r] = x8[r] ^ x2[r] ^ a[r];
                dd[r] = x8[r] ^ x4[r] ^ a[r];
                n9[r] = x8[r] ^ a[r];
            }
            for (u32 r = 0; r < 4; r++)
                m[r] = e[r] ^ b[(r + 1) & 3] ^ dd[(r + 2) & 3] ^ n9[(r + 3) & 3];
        } else {
            for (u32 r = 0; r < 4; r++) {
                u32 a1 = (r + 1) & 3;
                m[r] = x2[r] ^ (x2[a1] ^ a[a1]) ^ a[(r + 2) & 3] ^ a[(r + 3) & 3];
            }
        }
        c[k] = m[0] | (m[1] << 8) | (m[2] << 16) | (m[3] << 24);
    }
    crypto_set_words(L, f_rd(w), c);
    return FLOW_NEXT;
}

// ---- SHA-1 and SHA-256 ----

// SHA1C/SHA1P/SHA1M: four rounds on abcd = Qd, e = Sn, with Vm.4S.
__device__ __noinline__ int exec_sha1_hash(Lane &L, u32 id, u32 w) {
    u32 x[4], k[4];
    crypto_words(L, f_rd(w), x);
    crypto_words(L, f_rm(w), k);
    u32 y = (u32)L.s->v[f_rn(w)][0];
    for (u32 e = 0; e < 4; e++) {
        u32 t = id == KVRM_OP_SHA1C ? sha_choose(x[1], x[2], x[3])
              : id == KVRM_OP_SHA1P ? sha_parity(x[1], x[2], x[3])
                                    : sha_majority(x[1], x[2], x[3]);
        y = y + rol32(x[0], 5) + t + k[e];
        x[1] = rol32(x[1], 30);
        // <Y, X> = ROL(Y:X, 32).
        u32 top = x[3];
        x[3] = x[2];
        x[2] = x[1];
        x[1] = x[0];
        x[0] = y;
        y = top;
    }
    crypto_set_words(L, f_rd(w), x);
    return FLOW_NEXT;
}

__device__ __forceinline__ u32 sha256_sum0(u32 x) { return ror32(x, 2) ^ ror32(x, 13) ^ ror32(x, 22); }
__device__ __forceinline__ u32 sha256_sum1(u32 x) { return ror32(x, 6) ^ ror32(x, 11) ^ ror32(x, 25); }

// SHA256H (part1: Vd = X = abcd, Vn = Y = efgh) and SHA256H2 (Vn = X,
// Vd = Y): four rounds of SHA256hash; the answer is X for SHA256H and Y for
// SHA256H2.
__device__ __noinline__ int exec_sha256_hash(Lane &L, u32 w, bool part1) {
    u32 x[4], y[4], k[4];
    crypto_words(L, part1 ? f_rd(w) : f_rn(w), x);
    crypto_words(L, part1 ? f_rn(w) : f_rd(w), y);
    crypto_words(L, f_rm(w), k);
    for (u32 e = 0; e < 4; e++) {
        u32 chs = sha_choose(y[0], y[1], y[2]);
        u32 maj = sha_majority(x[0], x[1], x[2]);
        u32 t = y[3] + sha256_sum1(y[0]) + chs + k[e];
        x[3] = t + x[3];
        y[3] = t + sha256_sum0(x[0]) + maj;
        // <Y, X> = ROL(Y:X, 32).
        u32 ytop = y[3], xtop = x[3];
        y[3] = y[2];
        y[2] = y[1];
        y[1] = y[0];
        y[0] = xtop;
        x[3] = x[2];
        x[2] = x[1];
        x[1] = x[0];
        x[0] = ytop;
    }
    crypto_set_words(L, f_rd(w), part1 ? x : y);
    return FLOW_NEXT;
}

// SHA1SU0, SHA256SU1 (three registers); SHA1H, SHA1SU1, SHA256SU0 (two).
__device__ __noinline__ int exec_sha_schedule(Lane &L, u32 id, u32 w) {
    u32 d = f_rd(w);
    u32 a[4], b[4], c[4], r[4];
    crypto_words(L, d, a);
    crypto_words(L, f_rn(w), b);
    crypto_words(L, f_rm(w), c);
    switch (id) {
    case KVRM_OP_SHA1SU0: {
        // (Vn<63:0> : Vd<127:64>) EOR Vd EOR Vm.
        u32 t[4] = {a[2], a[3], b[0], b[1]};
        for (u32 e = 0; e < 4; e++) r[e] = t[e] ^ a[e] ^ c[e];
        break;
    }
    case KVRM_OP_SHA256SU1: {
        u32 t0[4] = {b[1], b[2], b[3], c[0]};
        for (u32 e = 0; e < 4; e++) {
            u32 x = e < 2 ? c[2 + e] : r[e - 2];
            x = ror32(x, 17) ^ ror32(x, 19) ^ (x >> 10);
            r[e] = x + a[e] + t0[e];
        }
        break;
    }
    case KVRM_OP_SHA1H:
        r[0] = rol32(b[0], 30);
        r[1] = r[2] = r[3] = 0;
        break;
    case KVRM_OP_SHA1SU1: {
        // T = Vd EOR LSR(Vn, 32).
        u32 t[4] = {a[0] ^ b[1], a[1] ^ b[2], a[2] ^ b[3], a[3]};
        for (u32 e = 0; e < 4; e++) r[e] = rol32(t[e], 1);
        r[3] ^= rol32(t[0], 2);
        break;
    }
    default: { // SHA256SU0
        u32 t[4] = {a[1], a[2], a[3], b[0]};
        for (u32 e = 0; e < 4; e++) {
            u32 x = t[e];
            r[e] = (ror32(x, 7) ^ ror32(x, 18) ^ (x >> 3)) + a[e];
        }
        break;
    }
    }
    crypto_set_words(L, d, r);
    return FLOW_NEXT;
}

// ---- SHA-512 and SHA-3 ----

__device__ __forceinline__ u64 sha512_sum0(u64 x) { return ror64(x, 28) ^ ror64(x, 34) ^ ror64(x, 39); }
__device__ __forceinline__ u64 sha512_sum1(u64 x) { return ror64(x, 14) ^ ror64(x, 18) ^ ror64(x, 41); }
__device__ __forceinline__ u64 sha512_sig0(u64 x) { return ror64(x, 1) ^ ror64(x, 8) ^ (x >> 7); }
__device__ __forceinline__ u64 sha512_sig1(u64 x) { return ror64(x, 19) ^ ror64(x, 61) ^ (x >> 6); }

// SHA512H, SHA512H2, SHA512SU1, RAX1 (X = Vn, Y = Vm, W = Vd) and
// SHA512SU0 (Vd, Vn).
__device__ __noinline__ int exec_sha512(Lane &L, u32 id, u32 w) {
    u32 d = f_rd(w), n = f_rn(w), m = f_rm(w);
    u64 xl = L.s->v[n][0], xh = L.s->v[n][1];
    u64 yl = L.s->v[m][0], yh = L.s->v[m][1];
    u64 wl = L.s->v[d][0], wh = L.s->v[d][1];
    u64 lo, hi;
    switch (id) {
    case KVRM_OP_SHA512H: {
        hi = ((yh & xl) ^ (~yh & xh)) + sha512_sum1(yh) + wh;
        u64 t = hi + yl;
        lo = ((t & yh) ^ (~t & xl)) + sha512_sum1(t) + wl;
        break;
    }
    case KVRM_OP_SHA512H2:
        hi = ((xl & yh) ^ (xl & yl) ^ (yh & yl)) + sha512_sum0(yl) + wh;
        lo = ((hi & yl) ^ (hi & yh) ^ (yh & yl)) + sha512_sum0(hi) + wl;
        break;
    case KVRM_OP_SHA512SU1:
        hi = wh + sha512_sig1(xh) + yh;
        lo = wl + sha512_sig1(xl) + yl;
        break;
    case KVRM_OP_RAX1:
        lo = xl ^ ror64(yl, 63);
        hi = xh ^ ror64(yh, 63);
        break;
    default: // SHA512SU0: Vd<63:0> + sig0(Vd<127:64>), Vd<127:64> + sig0(Vn<63:0>).
        lo = wl + sha512_sig0(wh);
        hi = wh + sha512_sig0(xl);
        break;
    }
    crypto_set_halves(L, d, lo, hi);
    return FLOW_NEXT;
}

// EOR3, BCAX (Ra = bits 14:10) and XAR (imm6 = bits 15:10).
__device__ __noinline__ int exec_sha3(Lane &L, u32 id, u32 w) {
    u32 n = f_rn(w), m = f_rm(w), a = bits(w, 10, 5);
    u64 r[2];
    for (u32 h = 0; h < 2; h++) {
        u64 vn = L.s->v[n][h], vm = L.s->v[m][h];
        if (id == KVRM_OP_XAR) r[h] = ror64(vn ^ vm, bits(w, 10, 6));
        else if (id == KVRM_OP_EOR3) r[h] = vn ^ vm ^ L.s->v[a][h];
        else r[h] = vn ^ (vm & ~L.s->v[a][h]); // BCAX
    }
    crypto_set_halves(L, f_rd(w), r[0], r[1]);
    return FLOW_NEXT;
}

__device__ __forceinline__ int dispatch_crypto(Lane &L, u32 id, u32 w) {
    switch (id) {
    case KVRM_OP_AESE: return exec_aes_round(L, w, false);
    case KVRM_OP_AESD: return exec_aes_round(L, w, true);
    case KVRM_OP_AESMC: return exec_aes_mix(L, w, false);
    case KVRM_OP_AESIMC: return exec_aes_mix(L, w, true);
    case KVRM_OP_SHA1C: case KVRM_OP_SHA1P: case KVRM_OP_SHA1M:
        return exec_sha1_hash(L, id, w);
    case KVRM_OP_SHA256H: return exec_sha256_hash(L, w, true);
    case KVRM_OP_SHA256H2: return exec_sha256_hash(L, w, false);
    case KVRM_OP_SHA1SU0: case KVRM_OP_SHA256SU1: case KVRM_OP_SHA1H: case KVRM_OP_SHA1SU1:
    case KVRM_OP_SHA256SU0:
        return exec_sha_schedule(L, id, w);
    case KVRM_OP_SHA512H: case KVRM_OP_SHA512H2: case KVRM_OP_SHA512SU1: case KVRM_OP_RAX1:
    case KVRM_OP_SHA512SU0:
        return exec_sha512(L, id, w);
    case KVRM_OP_EOR3: case KVRM_OP_BCAX: case KVRM_OP_XAR:
        return exec_sha3(L, id, w);
    default:
        return -1;
    }
}
