/* String and memory routines on sizes 0..300 at every alignment, checked against byte loops.
 * glibc picks SIMD versions of these (selected from AT_HWCAP), so they exercise vector loads,
 * compares and reductions. Strings are also placed so they end at the last byte before an
 * inaccessible page. */
#define _GNU_SOURCE
#include "common.h"
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BUF 512
static unsigned char src[BUF], dst[BUF], ref[BUF];
static unsigned long failures;
static uint64_t h = FNV_INIT;

static void fail(const char *what, int n, int so, int dof, long got, long want)
{
    if (failures++ < 20)
        printf("FAIL %s n=%d src_off=%d dst_off=%d got=%ld want=%ld\n", what, n, so, dof, got, want);
}

static void fill(unsigned char *p, size_t n, uint64_t seed)
{
    for (size_t i = 0; i < n; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        p[i] = (unsigned char)(seed >> 56);
    }
}

/* Non-zero bytes only, for C strings. */
static void fill_str(char *p, size_t n, uint64_t seed)
{
    fill((unsigned char *)p, n, seed);
    for (size_t i = 0; i < n; i++)
        if (p[i] == 0)
            p[i] = (char)(0x41 + i % 26);
}

static size_t ref_strlen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static int sgn(int x) { return (x > 0) - (x < 0); }
static int ref_memcmp(const unsigned char *a, const unsigned char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
    return 0;
}

static void test_memcpy_memmove_memset(void)
{
    unsigned long calls = 0;
    unsigned char tmp[BUF];
    for (int n = 0; n <= 300; n++)
        for (int so = 0; so < 16; so++) {
            int dof = (so * 7 + n) % 16;
            size_t w = (size_t)n + 40; /* the window that may change */
            fill(src, w, (uint64_t)n * 131 + so);
            fill(dst, w, 99);
            memcpy(ref, dst, w);
            for (int i = 0; i < n; i++) ref[dof + i] = src[so + i];
            memcpy(dst + dof, src + so, (size_t)n);
            if (ref_memcmp(dst, ref, w) != 0) fail("memcpy", n, so, dof, 0, 0);
            calls++;

            /* memmove, overlapping forwards or backwards inside one buffer */
            int d2 = so + (n % 3 == 0 ? 5 : -3) + 8;
            for (int i = 0; i < n; i++) tmp[i] = ref[so + 8 + i];
            for (int i = 0; i < n; i++) ref[d2 + i] = tmp[i];
            memmove(dst + d2, dst + so + 8, (size_t)n);
            if (ref_memcmp(dst, ref, w) != 0) fail("memmove", n, so + 8, d2, 0, 0);

            /* memset */
            int val = (n * 37 + so) & 0xff;
            memset(dst + dof, val, (size_t)n);
            for (int i = 0; i < n; i++) ref[dof + i] = (unsigned char)val;
            if (ref_memcmp(dst, ref, w) != 0) fail("memset", n, 0, dof, val, 0);
            h = fnv_bytes(h, dst + dof, (size_t)n);
        }
    printf("memcpy/memmove/memset: %lu calls, hash %016" PRIx64 "\n", calls, h);
}

static void test_memcmp(void)
{
    unsigned long calls = 0;
    uint64_t hh = FNV_INIT;
    for (int n = 0; n <= 300; n++)
        for (int so = 0; so < 16; so += 3) {
            int dof = (so + n) % 16;
            fill(src + so, (size_t)n, (uint64_t)n);
            memcpy(dst + dof, src + so, (size_t)n);
            int pos = n ? (n * 13 + so) % n : 0;
            for (int k = 0; k < 3; k++) {
                if (k == 1 && n) dst[dof + pos] ^= 0x80; /* difference in the sign bit: must compare unsigned */
                if (k == 2 && n) dst[dof + pos] = (unsigned char)(src[so + pos] + 1);
                int got = sgn(memcmp(src + so, dst + dof, (size_t)n));
                int want = ref_memcmp(src + so, dst + dof, (size_t)n);
                if (got != want) fail("memcmp", n, so, dof, got, want);
                hh = fnv_u64(hh, (uint64_t)(got + 1));
                calls++;
            }
        }
    printf("memcmp: %lu calls, hash %016" PRIx64 "\n", calls, hh);
}

static void test_str(void)
{
    char a[BUF], b[BUF];
    unsigned long calls = 0;
    uint64_t hh = FNV_INIT;
    for (int n = 0; n <= 300; n++)
        for (int so = 0; so < 16; so++) {
            int dof = (so * 5 + n) % 16;
            fill_str(a, (size_t)n + 32, (uint64_t)n * 3 + so);
            a[so + n] = 0;
            size_t len = strlen(a + so);
            if (len != (size_t)n || ref_strlen(a + so) != (size_t)n) fail("strlen", n, so, 0, (long)len, n);
            if (strnlen(a + so, (size_t)n / 2) != (size_t)n / 2) fail("strnlen", n, so, 0, (long)strnlen(a + so, (size_t)n / 2), n / 2);
            if (strnlen(a + so, 400) != (size_t)n) fail("strnlen2", n, so, 0, 0, 0);
            memset(b, 'x', (size_t)n + 40);
            char *r = strcpy(b + dof, a + so);
            if (r != b + dof || memcmp(b + dof, a + so, (size_t)n + 1) != 0 || b[dof + n + 1] != 'x')
                fail("strcpy", n, so, dof, 0, 0);
            /* strcmp / strncmp with differences at each position, high-bit bytes included */
            int pos = n ? (n * 7 + so) % n : 0;
            if (strcmp(a + so, b + dof) != 0) fail("strcmp-eq", n, so, dof, 0, 0);
            if (n) {
                b[dof + pos] = (char)(b[dof + pos] ^ 0x80);
                if (b[dof + pos] == 0) b[dof + pos] = 1;
                int want = (unsigned char)a[so + pos] < (unsigned char)b[dof + pos] ? -1 : 1;
                int got = sgn(strcmp(a + so, b + dof));
                if (got != want) fail("strcmp", n, so, dof, got, want);
                got = sgn(strncmp(a + so, b + dof, (size_t)pos + 1));
                if (got != want) fail("strncmp", n, so, dof, got, want);
                if (strncmp(a + so, b + dof, (size_t)pos) != 0) fail("strncmp-eq", n, so, dof, 0, 0);
                hh = fnv_u64(hh, (uint64_t)(got + 1));
            }
            /* strchr / strrchr / memchr: a unique marker at pos */
            for (int i = 0; i < n; i++) if (a[so + i] == '#') a[so + i] = '$';
            if (n) a[so + pos] = '#';
            char *c = strchr(a + so, '#');
            long got = c ? c - (a + so) : -1, want = n ? pos : -1;
            if (got != want) fail("strchr", n, so, 0, got, want);
            c = strchr(a + so, 0);
            if (c != a + so + n) fail("strchr-nul", n, so, 0, c - (a + so), n);
            c = strrchr(a + so, '#');
            got = c ? c - (a + so) : -1;
            if (got != want) fail("strrchr", n, so, 0, got, want);
            c = memchr(a + so, '#', (size_t)n);
            got = c ? c - (a + so) : -1;
            if (got != want) fail("memchr", n, so, 0, got, want);
            c = memchr(a + so, '#', (size_t)pos);
            if (c) fail("memchr-short", n, so, 0, c - (a + so), -1);
            c = memrchr(a + so, '#', (size_t)n);
            got = c ? c - (a + so) : -1;
            if (got != want) fail("memrchr", n, so, 0, got, want);
            hh = fnv_u64(hh, len);
            calls++;
        }
    printf("strlen/strcpy/strcmp/strchr/memchr: %lu rounds, hash %016" PRIx64 "\n", calls, hh);
}

static void test_strstr(void)
{
    static char hay[400];
    char needle[32];
    uint64_t hh = FNV_INIT;
    for (int i = 0; i < 399; i++) hay[i] = (char)('a' + (i * i + i / 7) % 3);
    hay[399] = 0;
    for (int nl = 1; nl <= 24; nl++)
        for (int start = 0; start < 390; start += 17) {
            memcpy(needle, hay + start, (size_t)nl);
            needle[nl] = 0;
            if (start + nl > 399) continue;
            char *r = strstr(hay, needle);
            long pos = r ? r - hay : -1;
            long want = -1;
            for (int i = 0; i + nl <= 399; i++)
                if (memcmp(hay + i, needle, (size_t)nl) == 0) { want = i; break; }
            if (pos != want) fail("strstr", nl, start, 0, pos, want);
            hh = fnv_u64(hh, (uint64_t)pos);
            needle[nl - 1] = 'z';
            if (strstr(hay, needle)) fail("strstr-miss", nl, start, 0, 0, -1);
            void *m = memmem(hay, 399, needle, (size_t)nl);
            if (m) fail("memmem-miss", nl, start, 0, 0, -1);
        }
    printf("strstr: hash %016" PRIx64 " first 'abcab' %ld, 'cc' %ld\n", hh,
           strstr(hay, "abcab") ? strstr(hay, "abcab") - hay : -1L, strstr(hay, "cc") ? strstr(hay, "cc") - hay : -1L);
}

/* Strings that end right before a PROT_NONE page: SIMD routines must not fault. */
static void test_page_end(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) { printf("mmap failed\n"); return; }
    if (mprotect(m + pg, (size_t)pg, PROT_NONE) != 0) { printf("mprotect failed\n"); return; }
    char *end = m + pg;
    unsigned long sum = 0;
    for (int n = 0; n < 100; n++) {
        char *s = end - n - 1;
        memset(s, 'q', (size_t)n);
        s[n] = 0;
        sum += strlen(s);
        sum += strchr(s, 'z') == NULL;
        sum += (size_t)(strrchr(s, 'q') ? strrchr(s, 'q') - s : 0);
        sum += (unsigned long)(memchr(s, 0, (size_t)n + 1) == s + n);
        sum += (unsigned long)(strcmp(s, s) == 0);
        sum += (unsigned long)(strchr(s, 0) == s + n);
        char *t = end - n - 1;
        memcpy(t - 1, s, (size_t)n + 1); /* overlap by one byte: memmove territory but length-safe */
        sum += strlen(t - 1);
    }
    printf("page-end: sum %lu\n", sum);
    munmap(m, (size_t)pg * 2);
}

int main(void)
{
    test_memcpy_memmove_memset();
    test_memcmp();
    test_str();
    test_strstr();
    test_page_end();
    printf("failures: %lu\n", failures);
    return failures != 0;
}
