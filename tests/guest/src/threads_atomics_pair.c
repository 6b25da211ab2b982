/* 16-byte atomics shared by 8 threads: a 128-bit counter incremented with LDAXP/STLXP loops and
 * another with CASPAL loops (the low doublewords start near 2^64, so the adds carry into the high
 * ones), and a pair kept as (v, ~v), replaced with LDAXP/STLXP and read back with the 128-bit
 * load idiom (LDAXP then STLXP of the same values, retried until the store succeeds): a torn
 * read or a torn write shows as a pair whose halves disagree. Every total is independent of the
 * interleaving. */
// kvrm-cflags: -pthread -march=armv8.1-a
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NT 8
#define ITER 2000

typedef struct {
    uint64_t lo, hi;
} __attribute__((aligned(16))) pair;

static pair llsc_counter = {0xffffffffffff0000ull, 5};
static pair casp_counter = {0xfffffffffffff000ull, 7};
static pair mirror = {0, ~0ull};
static uint64_t torn[NT];

static void llsc_add(pair *p, uint64_t add)
{
    uint64_t lo, hi;
    uint32_t fail;
    __asm__ volatile("1: ldaxp %0, %1, [%3]\n"
                     "   adds %0, %0, %4\n"
                     "   adc %1, %1, xzr\n"
                     "   stlxp %w2, %0, %1, [%3]\n"
                     "   cbnz %w2, 1b\n"
                     : "=&r"(lo), "=&r"(hi), "=&r"(fail)
                     : "r"(p), "r"(add)
                     : "memory", "cc");
}

static void casp_add(pair *p, uint64_t add)
{
    // CASP takes even-odd register pairs.
    register uint64_t c0 __asm__("x4") = p->lo;
    register uint64_t c1 __asm__("x5") = p->hi;
    for (;;) {
        uint64_t e0 = c0, e1 = c1;
        register uint64_t n0 __asm__("x6") = e0 + add;
        register uint64_t n1 __asm__("x7") = e1 + (e0 + add < e0);
        __asm__ volatile("caspal %0, %1, %2, %3, [%4]"
                         : "+r"(c0), "+r"(c1)
                         : "r"(n0), "r"(n1), "r"(p)
                         : "memory");
        if (c0 == e0 && c1 == e1) return;
    }
}

// Replace the pair with (v, ~v); returns what it held.
static pair llsc_swap(pair *p, uint64_t v)
{
    pair old;
    uint32_t fail;
    __asm__ volatile("1: ldaxp %0, %1, [%3]\n"
                     "   stlxp %w2, %4, %5, [%3]\n"
                     "   cbnz %w2, 1b\n"
                     : "=&r"(old.lo), "=&r"(old.hi), "=&r"(fail)
                     : "r"(p), "r"(v), "r"(~v)
                     : "memory");
    return old;
}

// A single-copy atomic 16-byte read without FEAT_LSE2.
static pair llsc_load(pair *p)
{
    pair v;
    uint32_t fail;
    __asm__ volatile("1: ldaxp %0, %1, [%3]\n"
                     "   stlxp %w2, %0, %1, [%3]\n"
                     "   cbnz %w2, 1b\n"
                     : "=&r"(v.lo), "=&r"(v.hi), "=&r"(fail)
                     : "r"(p)
                     : "memory");
    return v;
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    uint64_t bad = 0;
    for (int i = 0; i < ITER; i++) {
        llsc_add(&llsc_counter, (uint64_t)id + 1);
        casp_add(&casp_counter, (uint64_t)id * 3 + 1);
        pair old = llsc_swap(&mirror, (uint64_t)id << 32 | (uint64_t)i);
        pair now = llsc_load(&mirror);
        bad += (old.hi != ~old.lo) + (now.hi != ~now.lo);
    }
    torn[id] = bad;
    return NULL;
}

static unsigned __int128 wide(pair p) { return (unsigned __int128)p.hi << 64 | p.lo; }

static void show(const char *name, pair got, unsigned __int128 want)
{
    printf("%s %016llx%016llx expected %016llx%016llx\n", name, (unsigned long long)got.hi,
           (unsigned long long)got.lo, (unsigned long long)(want >> 64), (unsigned long long)want);
}

int main(void)
{
    unsigned __int128 want_llsc = wide(llsc_counter), want_casp = wide(casp_counter);
    for (int id = 0; id < NT; id++) {
        want_llsc += (unsigned __int128)ITER * ((uint64_t)id + 1);
        want_casp += (unsigned __int128)ITER * ((uint64_t)id * 3 + 1);
    }
    pthread_t t[NT];
    for (intptr_t i = 0; i < NT; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);

    show("ldaxp/stlxp counter", llsc_counter, want_llsc);
    show("caspal counter", casp_counter, want_casp);
    uint64_t bad = 0;
    for (int id = 0; id < NT; id++) bad += torn[id];
    printf("torn pairs seen %llu, final pair whole %d\n", (unsigned long long)bad,
           mirror.hi == ~mirror.lo);
    return 0;
}
