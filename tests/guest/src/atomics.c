/* _Atomic and __atomic operations on 8/16/32/64-bit values: fetch_add/sub/and/or/xor, exchange,
 * compare-exchange (success and failure, returned old value), CAS loops, atomic_flag, in every
 * memory order. Built three ways: default (outline atomics: LSE if AT_HWCAP says so, else LL/SC),
 * atomics_llsc (-mno-outline-atomics: LDXR/STXR loops), atomics_lse (-march=armv8.1-a: LSE inline). */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define TEST(T, NAME, INIT, OPERAND)                                                                                \
    static void test_##NAME(void)                                                                                   \
    {                                                                                                               \
        static _Atomic T x;                                                                                         \
        static volatile T operand = (T)(OPERAND);                                                                   \
        atomic_store(&x, (T)(INIT));                                                                                \
        uint64_t o[16];                                                                                             \
        o[0] = (uint64_t)atomic_fetch_add(&x, operand);                                                             \
        o[1] = (uint64_t)atomic_fetch_sub_explicit(&x, (T)(operand * 3), memory_order_relaxed);                     \
        o[2] = (uint64_t)atomic_fetch_and_explicit(&x, (T)~operand, memory_order_acquire);                          \
        o[3] = (uint64_t)atomic_fetch_or_explicit(&x, (T)(operand << 1), memory_order_release);                     \
        o[4] = (uint64_t)atomic_fetch_xor_explicit(&x, (T)(operand ^ (T)(INIT)), memory_order_acq_rel);             \
        o[5] = (uint64_t)atomic_exchange(&x, (T)(INIT));                                                            \
        o[6] = (uint64_t)atomic_exchange_explicit(&x, (T)(operand + 1), memory_order_relaxed);                      \
        T expected = (T)(operand + 1);                                                                              \
        o[7] = (uint64_t)atomic_compare_exchange_strong(&x, &expected, (T)(INIT)); /* succeeds */                   \
        expected = (T)(operand + 7);                                                                                \
        o[8] = (uint64_t)atomic_compare_exchange_strong_explicit(&x, &expected, 0, memory_order_acquire,           \
                                                                 memory_order_relaxed); /* fails */                 \
        o[9] = (uint64_t)expected; /* the value found */                                                            \
        T cur = atomic_load(&x);                                                                                    \
        while (!atomic_compare_exchange_weak(&x, &cur, (T)(cur * 5 + 3))) {                                         \
        }                                                                                                           \
        o[10] = (uint64_t)atomic_load_explicit(&x, memory_order_acquire);                                           \
        /* CAS loop computing a maximum */                                                                          \
        for (int i = 0; i < 40; i++) {                                                                              \
            T cand = (T)(operand * (T)i + (T)(INIT));                                                               \
            T c = atomic_load_explicit(&x, memory_order_relaxed);                                                   \
            while (c < cand && !atomic_compare_exchange_weak_explicit(&x, &c, cand, memory_order_release,           \
                                                                      memory_order_relaxed)) {                      \
            }                                                                                                       \
        }                                                                                                           \
        o[11] = (uint64_t)atomic_load(&x);                                                                          \
        o[12] = (uint64_t)__atomic_add_fetch(&x, operand, __ATOMIC_SEQ_CST);                                        \
        o[13] = (uint64_t)__atomic_nand_fetch(&x, operand, __ATOMIC_ACQ_REL);                                      \
        o[14] = (uint64_t)__atomic_fetch_nand(&x, (T)(INIT), __ATOMIC_RELAXED);                                    \
        uint64_t acc = 0;                                                                                           \
        for (int i = 0; i < 1000; i++) acc += (uint64_t)atomic_fetch_add_explicit(&x, (T)i, memory_order_relaxed); \
        o[15] = acc + (uint64_t)atomic_load(&x);                                                                    \
        printf("%-4s", #NAME);                                                                                      \
        for (int i = 0; i < 16; i++) printf(" %" PRIx64, o[i]);                                                     \
        printf("\n");                                                                                               \
    }

TEST(uint8_t, u8, 0xf0, 0x13)
TEST(int8_t, s8, -100, 77)
TEST(uint16_t, u16, 0xfff0, 0x1234)
TEST(int16_t, s16, -30000, 12345)
TEST(uint32_t, u32, 0xfffffff0u, 0x12345678)
TEST(int32_t, s32, INT32_MIN + 5, 0x7654321)
TEST(uint64_t, u64, 0xfffffffffffffff0ull, 0x123456789abcdefull)
TEST(int64_t, s64, INT64_MIN + 9, 0x0fedcba987654321ll)

int main(void)
{
    test_u8(); test_s8(); test_u16(); test_s16(); test_u32(); test_s32(); test_u64(); test_s64();
    atomic_flag f = ATOMIC_FLAG_INIT;
    int a = atomic_flag_test_and_set(&f);
    int b = atomic_flag_test_and_set(&f);
    atomic_flag_clear(&f);
    int c = atomic_flag_test_and_set_explicit(&f, memory_order_acquire);
    printf("flag %d %d %d lock-free %d %d %d %d\n", a, b, c, ATOMIC_CHAR_LOCK_FREE, ATOMIC_SHORT_LOCK_FREE,
           ATOMIC_INT_LOCK_FREE, ATOMIC_LLONG_LOCK_FREE);
    atomic_thread_fence(memory_order_seq_cst);
    /* Adjacent atomics in one word: operations on one byte must not disturb the others. */
    static union { _Atomic uint8_t b[8]; uint64_t w; } u;
    for (int i = 0; i < 8; i++) atomic_store(&u.b[i], (uint8_t)(0x11 * (i + 1)));
    for (int i = 0; i < 8; i += 2) atomic_fetch_add(&u.b[i], 0xf0);
    uint8_t exp1 = 0x44;
    atomic_compare_exchange_strong(&u.b[3], &exp1, 0xab);
    atomic_exchange(&u.b[7], 0x01);
    printf("bytes %016" PRIx64 "\n", u.w);
    return 0;
}
