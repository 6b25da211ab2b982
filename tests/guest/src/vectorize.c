/* Loops that gcc -O2/-O3 vectorises: reductions (sum/min/max/dot) over int8/int16/int32/int64/
 * float/double, widening multiply-accumulate, byte histograms, saxpy, select, abs, shifts,
 * conversions, reversal, saturation, interleaved loads. */
#include "common.h"
#include <inttypes.h>
#include <stdlib.h>

#define N 1027 /* odd length: exercises the scalar tail after the vector loop */
static int8_t a8[N], b8[N];
static uint8_t u8[N], v8[N];
static int16_t a16[N], b16[N];
static uint16_t u16[N];
static int32_t a32[N], b32[N], r32[N];
static uint32_t u32[N];
static int64_t a64[N], r64[N];
static float af[N], bf[N], rf[N];
static double ad[N], bd[N], rd[N];

#define NI __attribute__((noinline))
NI static int32_t sum8(const int8_t *x) { int32_t s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static uint32_t sumu8(const uint8_t *x) { uint32_t s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static int8_t min8(const int8_t *x) { int8_t m = 127; for (int i = 0; i < N; i++) m = x[i] < m ? x[i] : m; return m; }
NI static uint8_t maxu8(const uint8_t *x) { uint8_t m = 0; for (int i = 0; i < N; i++) m = x[i] > m ? x[i] : m; return m; }
NI static int32_t sum16(const int16_t *x) { int32_t s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static int16_t max16(const int16_t *x) { int16_t m = -32768; for (int i = 0; i < N; i++) m = x[i] > m ? x[i] : m; return m; }
NI static uint16_t minu16(const uint16_t *x) { uint16_t m = 65535; for (int i = 0; i < N; i++) m = x[i] < m ? x[i] : m; return m; }
NI static int64_t dot16(const int16_t *x, const int16_t *y) { int64_t s = 0; for (int i = 0; i < N; i++) s += x[i] * y[i]; return s; }
NI static int32_t dot8(const int8_t *x, const int8_t *y) { int32_t s = 0; for (int i = 0; i < N; i++) s += x[i] * y[i]; return s; }
NI static uint32_t dotu8(const uint8_t *x, const uint8_t *y) { uint32_t s = 0; for (int i = 0; i < N; i++) s += (uint32_t)x[i] * y[i]; return s; }
NI static int64_t sum32(const int32_t *x) { int64_t s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static int32_t min32(const int32_t *x) { int32_t m = INT32_MAX; for (int i = 0; i < N; i++) m = x[i] < m ? x[i] : m; return m; }
NI static uint32_t maxu32(const uint32_t *x) { uint32_t m = 0; for (int i = 0; i < N; i++) m = x[i] > m ? x[i] : m; return m; }
NI static int64_t dot32(const int32_t *x, const int32_t *y) { int64_t s = 0; for (int i = 0; i < N; i++) s += (int64_t)x[i] * y[i]; return s; }
NI static uint32_t xor32(const uint32_t *x) { uint32_t s = 0; for (int i = 0; i < N; i++) s ^= x[i] * 2654435761u; return s; }
NI static int64_t sum64(const int64_t *x) { int64_t s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static int64_t max64(const int64_t *x) { int64_t m = INT64_MIN; for (int i = 0; i < N; i++) m = x[i] > m ? x[i] : m; return m; }
NI static float sumf(const float *x) { float s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static float maxf(const float *x) { float m = -1e30f; for (int i = 0; i < N; i++) m = x[i] > m ? x[i] : m; return m; }
NI static float dotf(const float *x, const float *y) { float s = 0; for (int i = 0; i < N; i++) s += x[i] * y[i]; return s; }
NI static double sumd(const double *x) { double s = 0; for (int i = 0; i < N; i++) s += x[i]; return s; }
NI static double mind(const double *x) { double m = 1e300; for (int i = 0; i < N; i++) m = x[i] < m ? x[i] : m; return m; }
NI static double dotd(const double *x, const double *y) { double s = 0; for (int i = 0; i < N; i++) s += x[i] * y[i]; return s; }
NI static void hist(const uint8_t *x, uint32_t *h) { for (int i = 0; i < N; i++) h[x[i]]++; }
NI static void saxpy(float k, const float *x, const float *y, float *r) { for (int i = 0; i < N; i++) r[i] = k * x[i] + y[i]; }
NI static void daxpy(double k, const double *x, const double *y, double *r) { for (int i = 0; i < N; i++) r[i] = k * x[i] + y[i]; }
NI static void sel32(const int32_t *x, const int32_t *y, int32_t *r) { for (int i = 0; i < N; i++) r[i] = x[i] > y[i] ? x[i] - y[i] : y[i] * 3; }
NI static void abs32(const int32_t *x, int32_t *r) { for (int i = 0; i < N; i++) r[i] = abs(x[i]); }
NI static void shifts(const int32_t *x, const uint32_t *u, int32_t *r) { for (int i = 0; i < N; i++) r[i] = (x[i] >> 3) ^ (int32_t)(u[i] >> 5) ^ (x[i] << 2); }
NI static void satu8(const uint8_t *x, const uint8_t *y, uint8_t *r) { for (int i = 0; i < N; i++) { unsigned s = x[i] + y[i]; r[i] = s > 255 ? 255 : (uint8_t)s; } }
NI static void avgu8(const uint8_t *x, const uint8_t *y, uint8_t *r) { for (int i = 0; i < N; i++) r[i] = (uint8_t)((x[i] + y[i] + 1) >> 1); }
NI static void mul16(const int16_t *x, const int16_t *y, int16_t *r) { for (int i = 0; i < N; i++) r[i] = (int16_t)(x[i] * y[i]); }
NI static void mulhi16(const int16_t *x, const int16_t *y, int16_t *r) { for (int i = 0; i < N; i++) r[i] = (int16_t)((x[i] * y[i]) >> 16); }
NI static void cvt_i2f(const int32_t *x, float *r) { for (int i = 0; i < N; i++) r[i] = (float)x[i] * 0.5f; }
NI static void cvt_f2i(const float *x, int32_t *r) { for (int i = 0; i < N; i++) r[i] = (int32_t)(x[i] * 100.0f); }
NI static void cvt_d2f(const double *x, float *r) { for (int i = 0; i < N; i++) r[i] = (float)x[i]; }
NI static void cvt_8to64(const int8_t *x, int64_t *r) { for (int i = 0; i < N; i++) r[i] = (int64_t)x[i] * 1000003; }
NI static void reverse32(const int32_t *x, int32_t *r) { for (int i = 0; i < N; i++) r[i] = x[N - 1 - i]; }
NI static void deinterleave(const int16_t *x, int32_t *r) { for (int i = 0; i < N / 2; i++) r[i] = x[2 * i] - x[2 * i + 1]; }
NI static int count_eq(const uint8_t *x, uint8_t c) { int n = 0; for (int i = 0; i < N; i++) n += x[i] == c; return n; }
NI static void sqrtd(const double *x, double *r) { for (int i = 0; i < N; i++) r[i] = __builtin_sqrt(x[i] < 0 ? -x[i] : x[i]); }
NI static void divf(const float *x, const float *y, float *r) { for (int i = 0; i < N; i++) r[i] = x[i] / (y[i] + 2000.0f); }
NI static void minmaxf(const float *x, const float *y, float *r) { for (int i = 0; i < N; i++) r[i] = __builtin_fminf(x[i], y[i]) + __builtin_fmaxf(x[i], -y[i]); }
NI static void popc(const uint32_t *x, uint8_t *r) { for (int i = 0; i < N; i++) r[i] = (uint8_t)__builtin_popcount(x[i]); }

static uint64_t hb(const void *p, size_t n) { return fnv_bytes(FNV_INIT, p, n); }

int main(void)
{
    uint64_t s = 2024;
    for (int i = 0; i < N; i++) {
        uint64_t r = rng_next(&s);
        a8[i] = (int8_t)r; b8[i] = (int8_t)(r >> 8); u8[i] = (uint8_t)(r >> 16); v8[i] = (uint8_t)(r >> 24) | 0x80;
        a16[i] = (int16_t)(r >> 20); b16[i] = (int16_t)(r >> 36); u16[i] = (uint16_t)(r >> 44) | 1;
        a32[i] = (int32_t)(r >> 7); b32[i] = (int32_t)(r >> 30); u32[i] = (uint32_t)(r >> 32);
        a64[i] = (int64_t)r;
        af[i] = (float)(int32_t)(r >> 32) / 65536.0f; bf[i] = (float)(int16_t)r / 128.0f;
        ad[i] = (double)(int64_t)r / 1e12; bd[i] = (double)(int32_t)r / 3.0;
    }
    printf("int8: sum %d sumu %u min %d maxu %u dot %d dotu %u count %d\n", sum8(a8), sumu8(u8), min8(a8), maxu8(u8),
           dot8(a8, b8), dotu8(u8, v8), count_eq(u8, 0x41));
    printf("int16: sum %d max %d minu %u dot %" PRId64 "\n", sum16(a16), max16(a16), minu16(u16), dot16(a16, b16));
    printf("int32: sum %" PRId64 " min %d maxu %u dot %" PRId64 " xor %08x\n", sum32(a32), min32(a32), maxu32(u32),
           dot32(a32, b32), xor32(u32));
    printf("int64: sum %" PRId64 " max %" PRId64 "\n", sum64(a64), max64(a64));
    printf("float: sum %a max %a dot %a\n", sumf(af), maxf(af), dotf(af, bf));
    printf("double: sum %a min %a dot %a\n", sumd(ad), mind(ad), dotd(ad, bd));
    uint32_t h[256] = {0};
    hist(u8, h);
    hist(v8, h);
    printf("hist: [0]=%u [65]=%u [128]=%u [255]=%u hash %016" PRIx64 "\n", h[0], h[65], h[128], h[255], hb(h, sizeof h));
    saxpy(1.5f, af, bf, rf); printf("saxpy %016" PRIx64 "\n", hb(rf, sizeof rf));
    daxpy(-0.25, ad, bd, rd); printf("daxpy %016" PRIx64 "\n", hb(rd, sizeof rd));
    sel32(a32, b32, r32); printf("select %016" PRIx64 "\n", hb(r32, sizeof r32));
    abs32(a32, r32); printf("abs %016" PRIx64 "\n", hb(r32, sizeof r32));
    shifts(a32, u32, r32); printf("shifts %016" PRIx64 "\n", hb(r32, sizeof r32));
    uint8_t r8[N]; int16_t r16[N];
    satu8(u8, v8, r8); printf("satu8 %016" PRIx64 "\n", hb(r8, sizeof r8));
    avgu8(u8, v8, r8); printf("avgu8 %016" PRIx64 "\n", hb(r8, sizeof r8));
    mul16(a16, b16, r16); printf("mul16 %016" PRIx64 "\n", hb(r16, sizeof r16));
    mulhi16(a16, b16, r16); printf("mulhi16 %016" PRIx64 "\n", hb(r16, sizeof r16));
    cvt_i2f(a32, rf); printf("cvt_i2f %016" PRIx64 "\n", hb(rf, sizeof rf));
    cvt_f2i(af, r32); printf("cvt_f2i %016" PRIx64 "\n", hb(r32, sizeof r32));
    cvt_d2f(ad, rf); printf("cvt_d2f %016" PRIx64 "\n", hb(rf, sizeof rf));
    cvt_8to64(a8, r64); printf("cvt_8to64 %016" PRIx64 "\n", hb(r64, sizeof r64));
    reverse32(a32, r32); printf("reverse %016" PRIx64 " %d\n", hb(r32, sizeof r32), r32[0]);
    deinterleave(a16, r32); printf("deinterleave %016" PRIx64 "\n", hb(r32, sizeof(int32_t) * (N / 2)));
    sqrtd(ad, rd); printf("sqrtd %016" PRIx64 "\n", hb(rd, sizeof rd));
    divf(af, bf, rf); printf("divf %016" PRIx64 "\n", hb(rf, sizeof rf));
    minmaxf(af, bf, rf); printf("minmaxf %016" PRIx64 "\n", hb(rf, sizeof rf));
    popc(u32, r8); printf("popcount %016" PRIx64 "\n", hb(r8, sizeof r8));
    return 0;
}
