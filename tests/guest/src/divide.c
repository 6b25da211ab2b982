/* Division edge cases: INT_MIN / -1, division by zero (as the hardware does it), unsigned. */
#include "common.h"
#include <inttypes.h>
#include <limits.h>

static volatile int32_t s32[] = {0, 1, -1, 2, -2, 3, -3, 7, -7, 100, -100, INT32_MAX, INT32_MIN, INT32_MIN + 1};
static volatile int64_t s64[] = {0, 1, -1, 3, -3, 10, -10, 1000000007, INT64_MAX, INT64_MIN, INT64_MIN + 1,
                                 (int64_t)INT32_MIN, 0x100000000LL, -0x123456789LL};
#define N32 (int)(sizeof s32 / sizeof s32[0])
#define N64 (int)(sizeof s64 / sizeof s64[0])

/* The hardware divide instructions, so that division by zero is well defined (result 0). */
static int32_t hw_sdiv32(int32_t a, int32_t b) { int32_t r; __asm__("sdiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static uint32_t hw_udiv32(uint32_t a, uint32_t b) { uint32_t r; __asm__("udiv %w0, %w1, %w2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static int64_t hw_sdiv64(int64_t a, int64_t b) { int64_t r; __asm__("sdiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }
static uint64_t hw_udiv64(uint64_t a, uint64_t b) { uint64_t r; __asm__("udiv %0, %1, %2" : "=r"(r) : "r"(a), "r"(b)); return r; }

int main(void)
{
    printf("int32 a b : a/b a%%b | u32 a/b a%%b | sdiv-hw udiv-hw\n");
    for (int i = 0; i < N32; i++)
        for (int j = 0; j < N32; j++) {
            int32_t a = s32[i], b = s32[j];
            uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
            if (b != 0) {
                /* INT_MIN / -1 is undefined in C; read through volatile, gcc emits sdiv, which gives INT_MIN. */
                volatile int32_t q = a / b, r = a % b;
                printf("%d %d : %d %d | %u %u | %d %u\n", a, b, q, r, ua / ub, ua % ub, hw_sdiv32(a, b), hw_udiv32(ua, ub));
            } else {
                printf("%d 0 : - - | - - | %d %u\n", a, hw_sdiv32(a, b), hw_udiv32(ua, ub));
            }
        }
    printf("int64\n");
    for (int i = 0; i < N64; i++)
        for (int j = 0; j < N64; j++) {
            int64_t a = s64[i], b = s64[j];
            uint64_t ua = (uint64_t)a, ub = (uint64_t)b;
            if (b != 0) {
                volatile int64_t q = a / b, r = a % b;
                printf("%" PRId64 " %" PRId64 " : %" PRId64 " %" PRId64 " | %" PRIu64 " %" PRIu64 " | %" PRId64 " %" PRIu64 "\n",
                       a, b, q, r, ua / ub, ua % ub, hw_sdiv64(a, b), hw_udiv64(ua, ub));
            } else {
                printf("%" PRId64 " 0 : - - | - - | %" PRId64 " %" PRIu64 "\n", a, hw_sdiv64(a, b), hw_udiv64(ua, ub));
            }
        }
    /* Division by constants: the compiler turns these into multiply-high sequences. */
    uint64_t h = FNV_INIT, s = 12345;
    for (int i = 0; i < 2000; i++) {
        uint64_t x = rng_next(&s) >> (i % 64);
        int64_t y = (int64_t)x;
        uint32_t x32 = (uint32_t)x;
        int32_t y32 = (int32_t)x;
        h = fnv_u64(h, x / 3); h = fnv_u64(h, x / 10); h = fnv_u64(h, x % 1000000007);
        h = fnv_u64(h, (uint64_t)(y / 7)); h = fnv_u64(h, (uint64_t)(y % 13)); h = fnv_u64(h, (uint64_t)(y / -16));
        h = fnv_u64(h, x32 / 641); h = fnv_u64(h, (uint64_t)(y32 / 100)); h = fnv_u64(h, (uint64_t)(y32 % 9));
        h = fnv_u64(h, x / (s32[7] + 0u)); h = fnv_u64(h, (uint64_t)(y32 / s32[8]));
    }
    printf("const-div hash %016" PRIx64 "\n", h);
    return 0;
}
