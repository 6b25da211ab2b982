// kvrm-cflags: -march=armv8.2-a+crypto+sha3
/*
 * The Cryptographic Extension through the ACLE intrinsics, as crypto libraries use it:
 * AES-128 (AESE/AESMC, AESD/AESIMC) on the FIPS-197 example and a round trip, SHA-1,
 * SHA-256 and SHA-512 of known-answer messages (SHA1C/P/M/H/SU0/SU1, SHA256H/H2/SU0/SU1,
 * SHA512H/H2/SU0/SU1), a Keccak-style mix with EOR3, BCAX, RAX1 and XAR, and PMULL of
 * 64-bit polynomials. Digests are printed and checked against the published answers.
 */
#include <arm_neon.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static void hex(const char *what, const uint8_t *p, size_t n) {
    printf("%s ", what);
    for (size_t i = 0; i < n; i++) printf("%02x", p[i]);
    printf("\n");
}

static int check(const char *what, const uint8_t *p, const char *want) {
    char got[260];
    size_t n = strlen(want) / 2;
    for (size_t i = 0; i < n; i++) sprintf(got + 2 * i, "%02x", p[i]);
    int ok = strcmp(got, want) == 0;
    printf("%s %s\n", what, ok ? "matches the published answer" : "DIFFERS from the published answer");
    return ok;
}

/* ---- AES-128 ---- */

/* SubWord through AESE with a zero round key: all four columns equal, so ShiftRows is moot. */
static uint32_t sub_word(uint32_t w) {
    uint8x16_t x = vreinterpretq_u8_u32(vdupq_n_u32(w));
    x = vaeseq_u8(x, vdupq_n_u8(0));
    return vgetq_lane_u32(vreinterpretq_u32_u8(x), 0);
}

static void aes128_keys(const uint8_t key[16], uint8x16_t rk[11]) {
    static const uint8_t rcon[10] = {1, 2, 4, 8, 16, 32, 64, 128, 27, 54};
    uint32_t w[44];
    memcpy(w, key, 16);
    for (int i = 4; i < 44; i++) {
        uint32_t t = w[i - 1];
        if (i % 4 == 0) t = ((sub_word(t) >> 8) | (sub_word(t) << 24)) ^ rcon[i / 4 - 1];
        w[i] = w[i - 4] ^ t;
    }
    for (int r = 0; r < 11; r++) rk[r] = vld1q_u8((const uint8_t *)&w[4 * r]);
}

static uint8x16_t aes128_encrypt(uint8x16_t b, const uint8x16_t rk[11]) {
    for (int r = 0; r < 9; r++) b = vaesmcq_u8(vaeseq_u8(b, rk[r]));
    return veorq_u8(vaeseq_u8(b, rk[9]), rk[10]);
}

static uint8x16_t aes128_decrypt(uint8x16_t b, const uint8x16_t rk[11]) {
    b = vaesimcq_u8(vaesdq_u8(b, rk[10]));
    for (int r = 9; r > 1; r--) b = vaesimcq_u8(vaesdq_u8(b, vaesimcq_u8(rk[r])));
    return veorq_u8(vaesdq_u8(b, vaesimcq_u8(rk[1])), rk[0]);
}

/* ---- message padding shared by the SHA functions ---- */

/* Pad `msg` (len bytes) into `out` for a hash with blocks of `bs` bytes and a big-endian
 * length field of `lenbytes` bytes; returns the padded length. */
static size_t pad(const uint8_t *msg, size_t len, uint8_t *out, size_t bs, size_t lenbytes) {
    memcpy(out, msg, len);
    size_t n = len;
    out[n++] = 0x80;
    while (n % bs != bs - lenbytes) out[n++] = 0;
    for (size_t i = 0; i < lenbytes; i++) {
        size_t shift = 8 * (lenbytes - 1 - i);
        out[n++] = shift < 64 ? (uint8_t)(((uint64_t)len * 8) >> shift) : 0;
    }
    return n;
}

/* ---- SHA-1 ---- */

static void sha1(const uint8_t *msg, size_t len, uint8_t out[20]) {
    static uint8_t buf[1024];
    size_t n = pad(msg, len, buf, 64, 8);
    uint32x4_t abcd = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
    uint32_t e = 0xc3d2e1f0;
    const uint32_t k[4] = {0x5a827999, 0x6ed9eba1, 0x8f1bbcdc, 0xca62c1d6};
    for (size_t off = 0; off < n; off += 64) {
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++) m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(buf + off + 16 * i)));
        uint32x4_t abcd0 = abcd;
        uint32_t e0 = e;
        for (int g = 0; g < 20; g++) {
            uint32x4_t wk = vaddq_u32(m[g % 4], vdupq_n_u32(k[g / 5]));
            uint32_t enext = vsha1h_u32(vgetq_lane_u32(abcd, 0));
            if (g < 5) abcd = vsha1cq_u32(abcd, e, wk);
            else if (g < 10 || g >= 15) abcd = vsha1pq_u32(abcd, e, wk);
            else abcd = vsha1mq_u32(abcd, e, wk);
            e = enext;
            if (g < 16) m[g % 4] = vsha1su1q_u32(vsha1su0q_u32(m[g % 4], m[(g + 1) % 4], m[(g + 2) % 4]), m[(g + 3) % 4]);
        }
        abcd = vaddq_u32(abcd, abcd0);
        e += e0;
    }
    uint32_t h[5] = {vgetq_lane_u32(abcd, 0), vgetq_lane_u32(abcd, 1), vgetq_lane_u32(abcd, 2), vgetq_lane_u32(abcd, 3), e};
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 4; j++) out[4 * i + j] = (uint8_t)(h[i] >> (24 - 8 * j));
}

/* ---- SHA-256 ---- */

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static void sha256(const uint8_t *msg, size_t len, uint8_t out[32]) {
    static uint8_t buf[1024];
    size_t n = pad(msg, len, buf, 64, 8);
    uint32x4_t abcd = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a};
    uint32x4_t efgh = {0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    for (size_t off = 0; off < n; off += 64) {
        uint32x4_t m[4];
        for (int i = 0; i < 4; i++) m[i] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(buf + off + 16 * i)));
        uint32x4_t abcd0 = abcd, efgh0 = efgh;
        for (int g = 0; g < 16; g++) {
            uint32x4_t wk = vaddq_u32(m[g % 4], vld1q_u32(K256 + 4 * g));
            if (g < 12) m[g % 4] = vsha256su1q_u32(vsha256su0q_u32(m[g % 4], m[(g + 1) % 4]), m[(g + 2) % 4], m[(g + 3) % 4]);
            uint32x4_t prev = abcd;
            abcd = vsha256hq_u32(abcd, efgh, wk);
            efgh = vsha256h2q_u32(efgh, prev, wk);
        }
        abcd = vaddq_u32(abcd, abcd0);
        efgh = vaddq_u32(efgh, efgh0);
    }
    uint8x16_t a = vrev32q_u8(vreinterpretq_u8_u32(abcd)), b = vrev32q_u8(vreinterpretq_u8_u32(efgh));
    vst1q_u8(out, a);
    vst1q_u8(out + 16, b);
}

/* ---- SHA-512 ---- */

static const uint64_t K512[80] = {
    0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc, 0x3956c25bf348b538,
    0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118, 0xd807aa98a3030242, 0x12835b0145706fbe,
    0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2, 0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235,
    0xc19bf174cf692694, 0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
    0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5, 0x983e5152ee66dfab,
    0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4, 0xc6e00bf33da88fc2, 0xd5a79147930aa725,
    0x06ca6351e003826f, 0x142929670a0e6e70, 0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed,
    0x53380d139d95b3df, 0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
    0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30, 0xd192e819d6ef5218,
    0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8, 0x19a4c116b8d2d0c8, 0x1e376c085141ab53,
    0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8, 0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373,
    0x682e6ff3d6b2b8a3, 0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
    0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b, 0xca273eceea26619c,
    0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178, 0x06f067aa72176fba, 0x0a637dc5a2c898a6,
    0x113f9804bef90dae, 0x1b710b35131c471b, 0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc,
    0x431d67c49c100d4c, 0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
};

/* The state as four pairs, lane 0 first: (a, b), (c, d), (e, f), (g, h). Each step makes
 * two rounds, as SHA512H and SHA512H2 compute them, and the pairs change places. */
static void sha512(const uint8_t *msg, size_t len, uint8_t out[64]) {
    static uint8_t buf[1024];
    size_t n = pad(msg, len, buf, 128, 16);
    static const uint64_t iv[8] = {
        0x6a09e667f3bcc908, 0xbb67ae8584caa73b, 0x3c6ef372fe94f82b, 0xa54ff53a5f1d36f1,
        0x510e527fade682d1, 0x9b05688c2b3e6c1f, 0x1f83d9abfb41bd6b, 0x5be0cd19137e2179,
    };
    uint64x2_t s[4];
    for (int i = 0; i < 4; i++) s[i] = vld1q_u64(iv + 2 * i);
    for (size_t off = 0; off < n; off += 128) {
        uint64x2_t w[8];
        for (int i = 0; i < 8; i++) w[i] = vreinterpretq_u64_u8(vrev64q_u8(vld1q_u8(buf + off + 16 * i)));
        uint64x2_t save[4] = {s[0], s[1], s[2], s[3]};
        /* ab, cd, ef, gh rotate through the four registers, two rounds a step. */
        int ab = 0, cd = 1, ef = 2, gh = 3;
        for (int t = 0; t < 40; t++) {
            uint64x2_t wk = vaddq_u64(w[t % 8], vld1q_u64(K512 + 2 * t));
            if (t < 32)
                w[t % 8] = vsha512su1q_u64(vsha512su0q_u64(w[t % 8], w[(t + 1) % 8]), w[(t + 7) % 8],
                                           vextq_u64(w[(t + 4) % 8], w[(t + 5) % 8], 1));
            /* h + K + W, lanes swapped as SHA512H expects, added into gh. */
            uint64x2_t sum = vaddq_u64(vextq_u64(wk, wk, 1), s[gh]);
            uint64x2_t fg = vextq_u64(s[ef], s[gh], 1);
            uint64x2_t de = vextq_u64(s[cd], s[ef], 1);
            uint64x2_t t1 = vsha512hq_u64(sum, fg, de);
            uint64x2_t new_ef = vaddq_u64(s[cd], t1);
            uint64x2_t new_ab = vsha512h2q_u64(t1, s[cd], s[ab]);
            /* after two rounds: (a, b) new, old (a, b) -> (c, d), old (c, d) + T1 -> (e, f),
             * old (e, f) -> (g, h). */
            s[gh] = new_ab;
            s[cd] = new_ef;
            int old_ab = ab, old_cd = cd, old_ef = ef, old_gh = gh;
            ab = old_gh;
            cd = old_ab;
            ef = old_cd;
            gh = old_ef;
        }
        uint64x2_t fin[4] = {s[ab], s[cd], s[ef], s[gh]};
        for (int i = 0; i < 4; i++) s[i] = vaddq_u64(fin[i], save[i]);
    }
    for (int i = 0; i < 4; i++) vst1q_u8(out + 16 * i, vrev64q_u8(vreinterpretq_u8_u64(s[i])));
}

/* ---- SHA-3 helpers and PMULL ---- */

static void sha3_ops(void) {
    uint64x2_t a = {0x0123456789abcdef, 0xfedcba9876543210};
    uint64x2_t b = {0x8000000000000001, 0x00000000ffffffff};
    uint64x2_t c = {0xdeadbeefcafef00d, 0x5555aaaa3333cccc};
    uint64x2_t x = a;
    for (int i = 0; i < 24; i++) {
        x = veor3q_u64(x, b, c);
        x = vbcaxq_u64(x, vrax1q_u64(x, b), c);
        x = vxarq_u64(x, a, 13);
        b = vaddq_u64(b, x);
    }
    printf("sha3 ops %016llx %016llx\n", (unsigned long long)vgetq_lane_u64(x, 0),
           (unsigned long long)vgetq_lane_u64(x, 1));
}

static void pmull64(void) {
    poly64_t p = 0x87, q = 0xffffffffffffffffull;
    poly128_t r = vmull_p64(p, q);
    poly64x2_t u = {0x0123456789abcdef, 0xc200000000000000};
    poly128_t r2 = vmull_high_p64(u, u);
    printf("pmull64 %016llx%016llx %016llx%016llx\n", (unsigned long long)(uint64_t)(r >> 64),
           (unsigned long long)(uint64_t)r, (unsigned long long)(uint64_t)(r2 >> 64),
           (unsigned long long)(uint64_t)r2);
}

int main(void) {
    int ok = 1;
    /* FIPS-197 appendix C.1. */
    uint8_t key[16], pt[16], ct[16], back[16];
    for (int i = 0; i < 16; i++) key[i] = (uint8_t)i, pt[i] = (uint8_t)(0x11 * i);
    uint8x16_t rk[11];
    aes128_keys(key, rk);
    vst1q_u8(ct, aes128_encrypt(vld1q_u8(pt), rk));
    hex("aes128", ct, 16);
    ok &= check("aes128", ct, "69c4e0d86a7b0430d8cdb78070b4c55a");
    vst1q_u8(back, aes128_decrypt(vld1q_u8(ct), rk));
    printf("aes128 round trip %s\n", memcmp(back, pt, 16) == 0 ? "restores the block" : "FAILS");

    static const char *long_msg = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    uint8_t d[64];
    sha1((const uint8_t *)"abc", 3, d);
    hex("sha1(abc)", d, 20);
    ok &= check("sha1(abc)", d, "a9993e364706816aba3e25717850c26c9cd0d89d");
    sha1((const uint8_t *)long_msg, strlen(long_msg), d);
    ok &= check("sha1(448 bits)", d, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
    sha256((const uint8_t *)"abc", 3, d);
    hex("sha256(abc)", d, 32);
    ok &= check("sha256(abc)", d, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    sha256((const uint8_t *)long_msg, strlen(long_msg), d);
    ok &= check("sha256(448 bits)", d, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    sha512((const uint8_t *)"abc", 3, d);
    hex("sha512(abc)", d, 64);
    ok &= check("sha512(abc)", d,
                "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
                "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
    sha3_ops();
    pmull64();
    return ok ? 0 : 1;
}
