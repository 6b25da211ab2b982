/* Shared helpers for the kvrm guest conformance programs. */
#ifndef KVRM_GUEST_COMMON_H
#define KVRM_GUEST_COMMON_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* FNV-1a 64 over bytes. */
static inline uint64_t fnv_bytes(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL
static inline uint64_t fnv_u64(uint64_t h, uint64_t v) { return fnv_bytes(h, &v, 8); }

/* xorshift64*: deterministic pseudo-random numbers. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}
#endif
