/* qsort and bsearch on ints, doubles, strings and structs. */
#include "common.h"
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
static int cmp_dbl(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return (x > y) - (x < y); }
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
struct rec { int key; unsigned id; char name[12]; };
static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

#define N 3000
static int iv[N];
static double dv[N];
static struct rec rv[700];
static char words[500][16];
static char *wp[500];

int main(void)
{
    uint64_t s = 4242;
    for (int i = 0; i < N; i++) iv[i] = (int)(rng_next(&s) % 20001) - 10000;
    qsort(iv, N, sizeof iv[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < N; i++) sorted &= iv[i - 1] <= iv[i];
    printf("ints sorted=%d first %d %d %d last %d %d hash %016" PRIx64 "\n", sorted, iv[0], iv[1], iv[2], iv[N - 2],
           iv[N - 1], fnv_bytes(FNV_INIT, iv, sizeof iv));
    int found = 0, probes = 0;
    for (int k = -10000; k <= 10000; k += 37) {
        int *p = bsearch(&k, iv, N, sizeof iv[0], cmp_int);
        probes++;
        if (p) { found++; if (*p != k) printf("bsearch wrong\n"); }
    }
    printf("bsearch: %d of %d found\n", found, probes);

    for (int i = 0; i < N; i++) dv[i] = (double)(int64_t)rng_next(&s) / 3.0e15;
    qsort(dv, N, sizeof dv[0], cmp_dbl);
    sorted = 1;
    for (int i = 1; i < N; i++) sorted &= dv[i - 1] <= dv[i];
    printf("doubles sorted=%d first %a last %a\n", sorted, dv[0], dv[N - 1]);

    for (int i = 0; i < 500; i++) {
        int len = 1 + (int)(rng_next(&s) % 14);
        for (int j = 0; j < len; j++) words[i][j] = (char)('a' + rng_next(&s) % 4);
        words[i][len] = 0;
        wp[i] = words[i];
    }
    qsort(wp, 500, sizeof wp[0], cmp_str);
    uint64_t h = FNV_INIT;
    for (int i = 0; i < 500; i++) h = fnv_bytes(h, wp[i], strlen(wp[i]) + 1);
    printf("strings first %s %s last %s hash %016" PRIx64 "\n", wp[0], wp[1], wp[499], h);

    for (int i = 0; i < 700; i++) {
        rv[i].key = (int)(rng_next(&s) % 50);
        rv[i].id = (unsigned)i;
        snprintf(rv[i].name, sizeof rv[i].name, "n%03d", i);
    }
    qsort(rv, 700, sizeof rv[0], cmp_rec);
    h = FNV_INIT;
    for (int i = 0; i < 700; i++) h = fnv_bytes(h, rv[i].name, strlen(rv[i].name));
    printf("records first %s/%d last %s/%d hash %016" PRIx64 "\n", rv[0].name, rv[0].key, rv[699].name, rv[699].key, h);
    /* small and degenerate inputs */
    int one[1] = {5}, two[2] = {9, -9}, same[40];
    for (int i = 0; i < 40; i++) same[i] = 7;
    qsort(one, 1, sizeof(int), cmp_int);
    qsort(two, 2, sizeof(int), cmp_int);
    qsort(same, 40, sizeof(int), cmp_int);
    qsort(one, 0, sizeof(int), cmp_int);
    printf("small: %d | %d %d | %d %d\n", one[0], two[0], two[1], same[0], same[39]);
    return 0;
}
