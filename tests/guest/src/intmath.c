/* Integer and 64-bit arithmetic, logic, shifts, bit counting, overflow builtins. */
#include "common.h"
#include <inttypes.h>

#define NV 48
static volatile uint64_t vin[NV];

static void init(void)
{
    static const uint64_t edge[] = {0, 1, 2, 3, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
        0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL,
        0x8000000000000000ULL, 0xffffffffffffffffULL, 0xfffffffffffffffeULL,
        0x123456789abcdef0ULL, 0xdeadbeefcafebabeULL, 63, 64, 31, 32};
    uint64_t s = 0x9e3779b97f4a7c15ULL;
    for (int i = 0; i < NV; i++)
        vin[i] = i < (int)(sizeof edge / sizeof edge[0]) ? edge[i] : rng_next(&s) >> (i % 5 * 13);
}

static uint64_t rbit64(uint64_t x)
{
    uint64_t r = 0;
    for (int i = 0; i < 64; i++)
        r |= ((x >> i) & 1) << (63 - i);
    return r;
}

typedef uint64_t (*binop)(uint64_t, uint64_t);
#define OP(name, expr) static uint64_t name(uint64_t a, uint64_t b) { (void)a; (void)b; return (expr); }
OP(add64, a + b)
OP(sub64, a - b)
OP(mul64, a * b)
OP(umulh, (uint64_t)(((unsigned __int128)a * b) >> 64))
OP(smulh, (uint64_t)(((__int128)(int64_t)a * (int64_t)b) >> 64))
OP(and64, a & b)
OP(orr64, a | b)
OP(eor64, a ^ b)
OP(bic64, a & ~b)
OP(orn64, a | ~b)
OP(eon64, a ^ ~b)
OP(lsl64, a << (b & 63))
OP(lsr64, a >> (b & 63))
OP(asr64, (uint64_t)((int64_t)a >> (b & 63)))
OP(ror64, (b & 63) ? (a >> (b & 63)) | (a << (64 - (b & 63))) : a)
OP(add32, (uint32_t)a + (uint32_t)b)
OP(sub32, (uint32_t)a - (uint32_t)b)
OP(mul32, (uint32_t)a * (uint32_t)b)
OP(lsl32, (uint32_t)a << (b & 31))
OP(lsr32, (uint32_t)a >> (b & 31))
OP(asr32, (uint32_t)((int32_t)a >> (b & 31)))
OP(smull, (uint64_t)((int64_t)(int32_t)a * (int32_t)b))
OP(umull, (uint64_t)(uint32_t)a * (uint32_t)b)
OP(madd, a * b + (a >> 3))
OP(msub, (a >> 5) - a * b)
OP(cmp_s, (uint64_t)(((int64_t)a < (int64_t)b) * 4 + ((int64_t)a == (int64_t)b) * 2 + ((int64_t)a > (int64_t)b)))
OP(cmp_u, (uint64_t)((a < b) * 4 + (a == b) * 2 + (a > b)))
OP(cmp32s, (uint64_t)(((int32_t)a < (int32_t)b) * 4 + ((int32_t)a >= (int32_t)b) * 2))
OP(cmp32u, (uint64_t)(((uint32_t)a <= (uint32_t)b) * 4 + ((uint32_t)a != (uint32_t)b) * 2))
OP(smin, (int64_t)a < (int64_t)b ? a : b)
OP(umax, a > b ? a : b)
OP(csel, (a & 1) ? b + 1 : ~b)
OP(sext8, (uint64_t)(int64_t)(int8_t)(a + b))
OP(sext16, (uint64_t)(int64_t)(int16_t)(a ^ b))
OP(sext32, (uint64_t)(int64_t)(int32_t)(a - b))
OP(zext8, (uint8_t)(a * b))
OP(zext16, (uint16_t)(a | b))
OP(addext, a + (uint64_t)(int64_t)(int16_t)b)
OP(addshift, a + (b << 7))
OP(subshift, a - (b >> 9))
OP(bfx, (a >> 7) & 0x1fff)
OP(sbfx, (uint64_t)(((int64_t)(a << 13)) >> 40))
OP(bfi, (a & ~0xff00ULL) | ((b & 0xff) << 8))
OP(clz64, a ? (uint64_t)__builtin_clzll(a) : 64)
OP(ctz64, a ? (uint64_t)__builtin_ctzll(a) : 64)
OP(clz32, (uint32_t)a ? (uint64_t)__builtin_clz((uint32_t)a) : 32)
OP(clrsb, (uint64_t)__builtin_clrsbll((int64_t)a))
OP(popcnt, (uint64_t)__builtin_popcountll(a))
OP(bswap64, __builtin_bswap64(a))
OP(bswap32, __builtin_bswap32((uint32_t)a))
OP(bswap16, __builtin_bswap16((uint16_t)a))
OP(rbit, rbit64(a))
OP(abs64, (int64_t)a < 0 ? -a : a)
OP(neg32, (uint32_t)-(uint32_t)a)
OP(addovf, ({ int64_t r; (uint64_t)__builtin_add_overflow((int64_t)a, (int64_t)b, &r) * 2 + (r & 1); }))
OP(subovf, ({ uint64_t r; (uint64_t)__builtin_sub_overflow(a, b, &r) * 2 + (r & 1); }))
OP(mulovf, ({ int64_t r; (uint64_t)__builtin_mul_overflow((int64_t)a, (int64_t)b, &r) * 2 + (r & 1); }))
OP(umulovf, ({ uint32_t r; (uint64_t)__builtin_mul_overflow((uint32_t)a, (uint32_t)b, &r) * 2 + (r & 1); }))
OP(adc128, (uint64_t)((((unsigned __int128)a << 64 | b) + (((unsigned __int128)b << 64) | a)) >> 64))
OP(mul128lo, (uint64_t)((unsigned __int128)a * b * b))

static const struct { const char *name; binop f; } ops[] = {
#define E(n) {#n, n}
    E(add64), E(sub64), E(mul64), E(umulh), E(smulh), E(and64), E(orr64), E(eor64), E(bic64),
    E(orn64), E(eon64), E(lsl64), E(lsr64), E(asr64), E(ror64), E(add32), E(sub32), E(mul32),
    E(lsl32), E(lsr32), E(asr32), E(smull), E(umull), E(madd), E(msub), E(cmp_s), E(cmp_u),
    E(cmp32s), E(cmp32u), E(smin), E(umax), E(csel), E(sext8), E(sext16), E(sext32), E(zext8),
    E(zext16), E(addext), E(addshift), E(subshift), E(bfx), E(sbfx), E(bfi), E(clz64), E(ctz64),
    E(clz32), E(clrsb), E(popcnt), E(bswap64), E(bswap32), E(bswap16), E(rbit), E(abs64),
    E(neg32), E(addovf), E(subovf), E(mulovf), E(umulovf), E(adc128), E(mul128lo),
};

int main(void)
{
    init();
    for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
        uint64_t h = FNV_INIT;
        for (int i = 0; i < NV; i++)
            for (int j = 0; j < NV; j++)
                h = fnv_u64(h, ops[k].f(vin[i], vin[j]));
        /* A few direct samples make a wrong result easy to read. */
        printf("%-9s %016" PRIx64 " | %" PRIx64 " %" PRIx64 " %" PRIx64 "\n", ops[k].name, h,
               ops[k].f(vin[19], vin[18]), ops[k].f(vin[15], vin[16]), ops[k].f(vin[30], vin[41]));
    }
    /* Inline (non-function-pointer) expressions so the optimiser can fuse them. */
    uint64_t acc = 0;
    for (int i = 0; i < NV; i++) {
        uint64_t a = vin[i], b = vin[(i * 7 + 3) % NV];
        acc = (acc * 31 + ((a << 3) + (b >> 2))) ^ (a & 0xff00ff00ff00ff00ULL);
        acc += (uint32_t)(a * 5) + (int32_t)b / 3 + (a % 7);
        acc ^= (int64_t)a < 0 ? b : ~b;
    }
    printf("fused     %016" PRIx64 "\n", acc);
    return 0;
}
