/* C11 atomics shared by 8 threads, on 8, 16, 32 and 64-bit values: fetch_add (wrapping), fetch_or
 * of per-thread bits, fetch_and, compare-exchange loops (an add and a maximum), exchange (tokens
 * are conserved: what all threads took out plus what is left equals what they put in), and an
 * atomic_flag spinlock guarding a plain counter. All totals are independent of the interleaving.
 * Built three ways: default (outline atomics), threads_atomics_llsc (-mno-outline-atomics:
 * LDXR/STXR loops) and threads_atomics_lse (-march=armv8.1-a: LSE instructions inline). */
// kvrm-cflags: -pthread
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define NT 8
#define ITER 2000

static _Atomic uint8_t add8;
static _Atomic uint16_t add16, cas16;
static _Atomic uint32_t add32, bits32, and32 = 0xffffffffu, max32;
static _Atomic uint64_t add64, cas64, xchg64, max64;
static _Atomic uint8_t xchg8;
static uint64_t taken64[NT], taken8[NT], put64, put8;
static atomic_flag spin = ATOMIC_FLAG_INIT;
static uint64_t plain_counter;

static uint64_t token(int id, int i) { return (uint64_t)id * 1000003u + (uint64_t)i * 7919u + 1; }

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t t64 = 0, t8 = 0;
    for (int i = 0; i < ITER; i++) {
        atomic_fetch_add(&add8, 3);
        atomic_fetch_add_explicit(&add16, (uint16_t)(id + 1), memory_order_relaxed);
        atomic_fetch_add_explicit(&add32, (uint32_t)i, memory_order_acq_rel);
        atomic_fetch_sub(&add64, 0x100000001ULL);
        if (i % 32 == 0) atomic_fetch_or(&bits32, 1u << ((id * 4 + i / 32) % 32));
        if (i == id) atomic_fetch_and(&and32, ~(0x11111111u << id % 4));

        uint16_t c16 = atomic_load_explicit(&cas16, memory_order_relaxed);
        while (!atomic_compare_exchange_weak(&cas16, &c16, (uint16_t)(c16 + 7))) {
        }
        uint64_t c64 = atomic_load(&cas64);
        while (!atomic_compare_exchange_strong_explicit(&cas64, &c64, c64 + token(id, i), memory_order_acq_rel,
                                                        memory_order_acquire)) {
        }
        uint32_t cand = (uint32_t)(token(id, i) % 100000);
        uint32_t m = atomic_load(&max32);
        while (m < cand && !atomic_compare_exchange_weak(&max32, &m, cand)) {
        }
        uint64_t m64 = atomic_load(&max64);
        while (m64 < token(id, i) && !atomic_compare_exchange_strong(&max64, &m64, token(id, i))) {
        }

        t64 += atomic_exchange(&xchg64, token(id, i));
        t8 += atomic_exchange_explicit(&xchg8, (uint8_t)(id * 16 + i % 16), memory_order_acq_rel);

        if (i % 4 == 0) {
            while (atomic_flag_test_and_set_explicit(&spin, memory_order_acquire)) {
            }
            plain_counter += (uint64_t)id + 1;
            atomic_flag_clear_explicit(&spin, memory_order_release);
        }
    }
    taken64[id] = t64;
    taken8[id] = t8;
    return NULL;
}

int main(void)
{
    pthread_t t[NT];
    for (intptr_t i = 0; i < NT; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);

    uint64_t want_cas64 = 0, want_max64 = 0;
    uint32_t want_max32 = 0;
    put64 = put8 = 0;
    for (int id = 0; id < NT; id++)
        for (int i = 0; i < ITER; i++) {
            want_cas64 += token(id, i);
            if (token(id, i) > want_max64) want_max64 = token(id, i);
            if (token(id, i) % 100000 > want_max32) want_max32 = (uint32_t)(token(id, i) % 100000);
            put64 += token(id, i);
            put8 += (uint8_t)(id * 16 + i % 16);
        }
    uint64_t got64 = atomic_load(&xchg64), got8 = atomic_load(&xchg8);
    for (int id = 0; id < NT; id++) {
        got64 += taken64[id];
        got8 += taken8[id];
    }
    printf("add8 %u add16 %u add32 %u add64 %016llx\n", (unsigned)add8, (unsigned)add16, (unsigned)add32,
           (unsigned long long)add64);
    printf("or32 %08x and32 %08x\n", (unsigned)bits32, (unsigned)and32);
    printf("cas16 %u cas64 %llu (expected %llu)\n", (unsigned)cas16, (unsigned long long)cas64,
           (unsigned long long)want_cas64);
    printf("max32 %u (expected %u) max64 %llu (expected %llu)\n", (unsigned)max32, (unsigned)want_max32,
           (unsigned long long)max64, (unsigned long long)want_max64);
    printf("exchange conserves tokens: 64-bit %d, 8-bit %d\n", got64 == put64, got8 == put8);
    printf("spinlock counter %llu\n", (unsigned long long)plain_counter);
    printf("lock-free: %d %d %d %d\n", atomic_is_lock_free(&add8), atomic_is_lock_free(&add16),
           atomic_is_lock_free(&add32), atomic_is_lock_free(&add64));
    return 0;
}
