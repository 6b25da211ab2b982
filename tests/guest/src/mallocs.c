/* malloc/calloc/realloc/free over many sizes, including >128 KiB blocks that glibc serves with
 * mmap (and grows with mremap). Prints contents checksums and property counts, never addresses. */
#include "common.h"
#include <inttypes.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

#define NP 300
static unsigned char *ptr[NP];
static size_t sz[NP];
static unsigned char tag[NP];
static unsigned long bad, misaligned;

static void put(int i, size_t n)
{
    ptr[i] = malloc(n);
    if (!ptr[i]) { printf("malloc(%zu) failed\n", n); exit(1); }
    if ((uintptr_t)ptr[i] % 16) misaligned++;
    sz[i] = n;
    tag[i] = (unsigned char)(i * 7 + n);
    memset(ptr[i], tag[i], n);
}

static int check(int i)
{
    for (size_t k = 0; k < sz[i]; k++)
        if (ptr[i][k] != tag[i]) return 0;
    return 1;
}

int main(void)
{
    uint64_t s = 777;
    size_t total = 0;
    for (int i = 0; i < NP; i++) {
        size_t n;
        switch (i % 10) {
        case 0: n = 0; break;
        case 1: n = (size_t)i; break;
        case 9: n = (i % 30 == 9) ? 128 * 1024 + (rng_next(&s) % 100000) : 1000 + (size_t)i; break; /* mmap threshold */
        default: n = 1 + rng_next(&s) % (i % 3 ? 200 : 5000);
        }
        put(i, n);
        total += n;
    }
    printf("allocated %d blocks, %zu bytes, misaligned %lu\n", NP, total, misaligned);
    /* free every third block, check the others survived */
    for (int i = 0; i < NP; i += 3) { if (!check(i)) bad++; free(ptr[i]); ptr[i] = NULL; }
    for (int i = 0; i < NP; i++) if (ptr[i] && !check(i)) bad++;
    printf("after free: bad %lu\n", bad);
    /* reuse freed slots with new sizes */
    for (int i = 0; i < NP; i += 3) put(i, rng_next(&s) % 3000);
    /* realloc: grow and shrink, content prefix must be kept */
    unsigned long kept = 0;
    for (int i = 0; i < NP; i++) {
        size_t old = sz[i];
        size_t n = (i % 4 == 0) ? old * 3 + 17 : (i % 4 == 1 ? old / 2 : old + (i % 40 == 2 ? 140000 : 100));
        unsigned char *p = realloc(ptr[i], n);
        if (!p && n) { printf("realloc failed\n"); return 1; }
        size_t keep = old < n ? old : n;
        int ok = 1;
        for (size_t k = 0; k < keep; k++) if (p[k] != tag[i]) { ok = 0; break; }
        kept += ok;
        ptr[i] = p;
        sz[i] = n;
        memset(p, tag[i], n);
        if ((uintptr_t)p % 16) misaligned++;
    }
    printf("realloc kept content: %lu of %d, misaligned %lu\n", kept, NP, misaligned);
    /* calloc must return zeroed memory, also when reusing dirty chunks */
    for (int i = 1; i < NP; i += 2) { free(ptr[i]); ptr[i] = NULL; }
    unsigned long zero_ok = 0;
    for (int i = 1; i < NP; i += 2) {
        size_t n = (size_t)(i % 50) * 37 + (i % 49 == 0 ? 150000 : 0);
        unsigned char *p = calloc(n, 1);
        int ok = 1;
        for (size_t k = 0; k < n; k++) if (p[k]) { ok = 0; break; }
        zero_ok += ok;
        ptr[i] = p; sz[i] = n; tag[i] = 0;
    }
    printf("calloc zeroed: %lu of %d\n", zero_ok, NP / 2);
    /* big blocks: 1 MiB, 8 MiB, realloc to 16 MiB (mremap path) */
    unsigned char *big = malloc(1 << 20);
    for (int i = 0; i < (1 << 20); i += 4096) big[i] = (unsigned char)(i >> 12);
    big = realloc(big, 8 << 20);
    big = realloc(big, 16 << 20);
    uint64_t hh = FNV_INIT;
    for (int i = 0; i < (1 << 20); i += 4096) hh = fnv_bytes(hh, big + i, 1);
    big[(16 << 20) - 1] = 1;
    free(big);
    printf("big realloc hash %016" PRIx64 "\n", hh);
    /* aligned allocation */
    unsigned long al = 0;
    for (int k = 4; k <= 16; k++) {
        void *p = NULL;
        if (posix_memalign(&p, (size_t)1 << k, 1000) == 0 && ((uintptr_t)p & (((uintptr_t)1 << k) - 1)) == 0) al++;
        void *q = aligned_alloc((size_t)1 << k, (size_t)1 << k);
        if (q && ((uintptr_t)q & (((uintptr_t)1 << k) - 1)) == 0) al++;
        free(p); free(q);
    }
    printf("aligned ok: %lu of 26\n", al);
    unsigned long usable = 0;
    for (int i = 0; i < NP; i++) {
        if (ptr[i] && malloc_usable_size(ptr[i]) >= sz[i]) usable++;
        if (ptr[i] && tag[i] && !check(i)) bad++;
        free(ptr[i]);
    }
    printf("usable_size ok: %lu, bad %lu\n", usable, bad);
    return 0;
}
