/* Floating point: IEEE arithmetic in every rounding mode, exception flags (FPSR), conversions
 * with saturation, NaN propagation, signed zeros, FMA, FPCR.FZ / FPCR.DN, _Float16,
 * long double (binary128, soft-float in libgcc) and __int128. NaNs and values are printed as bits. */
#include <fenv.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile double dv[] = {0.0, -0.0, 1.0, -1.5, 0.1, 3.0, 1e308, -1e308, 0x1p-1074, 0x1p-1022, 0x1.fffffffffffffp-1023,
                               2.5, -2.5, 0.49999999999999994, 4503599627370497.0, 1e19, -9.3e18, 4294967296.5,
                               INFINITY, -INFINITY};
#define ND (int)(sizeof dv / sizeof dv[0])

static uint64_t bits(double d) { uint64_t u; memcpy(&u, &d, 8); return u; }
static uint32_t fbits(float f) { uint32_t u; memcpy(&u, &f, 4); return u; }
static double from_bits(uint64_t u) { double d; memcpy(&d, &u, 8); return d; }
static float ffrom_bits(uint32_t u) { float f; memcpy(&f, &u, 4); return f; }

static void flags(const char *what)
{
    int f = fetestexcept(FE_ALL_EXCEPT);
    printf("%s flags:%s%s%s%s%s\n", what, f & FE_INVALID ? " invalid" : "", f & FE_DIVBYZERO ? " divbyzero" : "",
           f & FE_OVERFLOW ? " overflow" : "", f & FE_UNDERFLOW ? " underflow" : "", f & FE_INEXACT ? " inexact" : "");
    feclearexcept(FE_ALL_EXCEPT);
}

static uint64_t get_fpcr(void) { uint64_t r; __asm__ volatile("mrs %0, fpcr" : "=r"(r)); return r; }
static void set_fpcr(uint64_t r) { __asm__ volatile("msr fpcr, %0" : : "r"(r)); }

int main(void)
{
    static const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    static const char *mname[] = {"nearest", "upward", "downward", "towardzero"};
    volatile double one = 1.0, three = 3.0, tenth = 0.1, big = 1e308, tiny = 0x1p-1074, two = 2.0;
    volatile float onef = 1.0f, threef = 3.0f;
    for (int m = 0; m < 4; m++) {
        fesetround(modes[m]);
        printf("%-10s div %016" PRIx64 " %016" PRIx64 " sqrt %016" PRIx64 " add %016" PRIx64 " mul %016" PRIx64
               " f32div %08" PRIx32 " rint %g %g nearbyint %g lrint %ld\n",
               mname[m], bits(one / three), bits(-one / three), bits(sqrt(two)), bits(one + tiny), bits(tenth * three),
               fbits(onef / threef), rint(dv[11]), rint(dv[12]), nearbyint(dv[3]), lrint(dv[3]));
        printf("           overflow %016" PRIx64 " underflow %016" PRIx64 " fma %016" PRIx64 " (double)1e19 %016" PRIx64
               " (float)0.1 %08" PRIx32 " cvt %lld\n",
               bits(big * 10.0), bits(tiny / three), bits(fma(tenth, three, -0.3)), bits((double)(uint64_t)dv[15] + 1.0),
               fbits((float)dv[4]), (long long)llrint(dv[17]));
    }
    fesetround(FE_TONEAREST);
    feclearexcept(FE_ALL_EXCEPT);

    volatile double z = 0.0, x;
    x = one / z; flags("1/0");
    x = z / z; flags("0/0");
    x = big * big; flags("big*big");
    x = tiny / three; flags("tiny/3");
    x = one / three; flags("1/3");
    x = one + two; flags("1+2");
    x = sqrt(-one); flags("sqrt(-1)");
    volatile long long ll = (long long)dv[15]; flags("(ll)1e19");
    volatile int iv = (int)dv[17]; flags("(int)4294967296.5");
    (void)x; (void)ll; (void)iv;

    /* Conversions with saturation (what the instructions do; out-of-range casts are UB in C). */
    for (int i = 0; i < ND; i++) {
        double d = dv[i];
        int32_t s32; uint32_t u32; int64_t s64; uint64_t u64;
        __asm__("fcvtzs %w0, %d1" : "=r"(s32) : "w"(d));
        __asm__("fcvtzu %w0, %d1" : "=r"(u32) : "w"(d));
        __asm__("fcvtzs %0, %d1" : "=r"(s64) : "w"(d));
        __asm__("fcvtzu %0, %d1" : "=r"(u64) : "w"(d));
        printf("%a: s32 %d u32 %u s64 %" PRId64 " u64 %" PRIu64 " f32 %08" PRIx32 " floor %a\n", d, s32, u32, s64, u64,
               fbits((float)d), floor(d));
    }
    flags("conversions");
    double nan_q = from_bits(0x7ff8000000000123ULL), nan_s = from_bits(0x7ff0000000000456ULL);
    double nan_neg = from_bits(0xfff8000000000789ULL);
    volatile double vq = nan_q, vs = nan_s, vn = nan_neg;
    int32_t nanconv;
    __asm__("fcvtzs %w0, %d1" : "=r"(nanconv) : "w"(vq));
    printf("fcvtzs(nan) = %d\n", nanconv);
    printf("nan+1 %016" PRIx64 " snan+1 %016" PRIx64 " qnan+snan %016" PRIx64 " negnan*2 %016" PRIx64
           " -qnan %016" PRIx64 " fabs(negnan) %016" PRIx64 "\n",
           bits(vq + one), bits(vs + one), bits(vq + vs), bits(vn * two), bits(-vq), bits(fabs(vn)));
    flags("nan ops");
    printf("(float)snan %08" PRIx32 " (double)(float)qnan %016" PRIx64 "\n", fbits((float)vs), bits((double)(float)vq));
    feclearexcept(FE_ALL_EXCEPT);
    printf("fmin(nan,1) %a fmax(1,nan) %a fmin(-0,0) %016" PRIx64 " fmax(-0,0) %016" PRIx64 " fmax(0,-0) %016" PRIx64 "\n",
           fmin(vq, one), fmax(one, vq), bits(fmin(-z, z)), bits(fmax(-z, z)), bits(fmax(z, -z)));
    double fmin_asm, fmax_asm;
    __asm__("fmin %d0, %d1, %d2" : "=w"(fmin_asm) : "w"(vq), "w"(one));
    __asm__("fmax %d0, %d1, %d2" : "=w"(fmax_asm) : "w"(-z), "w"(z));
    printf("FMIN(nan,1) %016" PRIx64 " FMAX(-0,+0) %016" PRIx64 "\n", bits(fmin_asm), bits(fmax_asm));
    printf("copysign %a nextafter %a %a frexp ", copysign(3.0, -z), nextafter(one, two), nextafter(z, -one));
    int ex;
    double mant = frexp(dv[9] * 3, &ex);
    printf("%a*2^%d ldexp %a modf ", mant, ex, ldexp(one, -1074));
    double ip, fp = modf(dv[3], &ip);
    printf("%a %a ilogb %d scalbn %a\n", fp, ip, ilogb(dv[8]), scalbn(dv[2], 1023));
    printf("fpclassify:");
    for (int i = 0; i < ND; i++) printf(" %d", fpclassify(dv[i]));
    printf("\n");
    printf("fma(0.1,10,-1) %a vs %a; fmaf %a\n", fma(tenth, 10.0, -one), tenth * 10.0 - one, fmaf(0.1f, 10.0f, -1.0f));

    /* FPCR.FZ: denormal inputs and results flush to zero. FPCR.DN: default NaN. */
    uint64_t saved = get_fpcr();
    volatile double den = 0x1p-1060, half = 0.5, scale = 0x1p-10;
    feclearexcept(FE_ALL_EXCEPT);
    printf("fz=0: den*1 %016" PRIx64 " den*0.5 %016" PRIx64 " 0x1p-1020*0.25 %016" PRIx64 "\n", bits(den * one),
           bits(den * half), bits(0x1p-1020 * (half * half)));
    set_fpcr(saved | (1 << 24));
    printf("fz=1: den*1 %016" PRIx64 " den*0.5 %016" PRIx64 " 0x1p-1020*0.25 %016" PRIx64 " den+0 %016" PRIx64 "\n",
           bits(den * one), bits(den * half), bits(0x1p-1020 * (half * half)), bits(den + z));
    flags("fz (flushed inputs)");
    x = 0x1p-1020 * scale; /* a denormal result, flushed to zero: underflow */
    printf("fz=1: 0x1p-1020*0x1p-10 %016" PRIx64 "\n", bits(x));
    flags("fz (flushed output)");
    set_fpcr(saved | (1 << 25));
    printf("dn=1: nan+1 %016" PRIx64 " negnan*2 %016" PRIx64 " 0/0 %016" PRIx64 "\n", bits(vq + one), bits(vn * two), bits(z / z));
    set_fpcr(saved);
    feclearexcept(FE_ALL_EXCEPT);
    printf("fpcr restored %d\n", get_fpcr() == saved);

    /* _Float16 */
    volatile float hf[] = {1.0f, 0.1f, 65504.0f, 65520.0f, 6e-8f, 1e-8f, -2.5f, 3.14159f};
    printf("f16:");
    for (int i = 0; i < 8; i++) {
        _Float16 h = (_Float16)hf[i];
        uint16_t hb;
        memcpy(&hb, &h, 2);
        printf(" %04x/%a", hb, (double)(h * (_Float16)3));
    }
    printf("\n");
    flags("f16");

    /* long double (IEEE binary128 in software) */
    volatile long double la = 1.0L, lb = 3.0L, lc = 0x1.123456789abcdef0123456789abcp+5L;
    long double q = la / lb;
    printf("ld: 1/3 %La sqrt(2) %La 2^-16494 %La mul %La\n", q, sqrtl(2.0L * la), ldexpl(la, -16494), lc * lc);
    printf("ld: (ll) %lld (ld)ll %La (double) %a cmp %d %d\n", (long long)(lc * 1e15L), (long double)(long long)-123456789012345LL,
           (double)q, la < lb, q == 1.0L / 3.0L);
    /* __int128 */
    unsigned __int128 u = ((unsigned __int128)0x0123456789abcdefULL << 64) | 0xfedcba9876543210ULL;
    volatile unsigned __int128 vu = u;
    __int128 sq = (__int128)vu * 7 - (__int128)vu / 3;
    unsigned __int128 dq = vu / 1000000007ULL, rq = vu % 1000000007ULL;
    printf("i128: %016" PRIx64 "%016" PRIx64 " div %016" PRIx64 "%016" PRIx64 " rem %" PRIu64 " shr %016" PRIx64 "\n",
           (uint64_t)((unsigned __int128)sq >> 64), (uint64_t)sq, (uint64_t)(dq >> 64), (uint64_t)dq, (uint64_t)rq,
           (uint64_t)(vu >> 71));
    printf("i128 float: %a %La %Lf\n", (double)vu, (long double)vu, (long double)(__int128)-vu);
    (void)ffrom_bits;
    return 0;
}
