/* Variadic functions: ints, longs, doubles, long doubles, structs, more arguments than registers,
 * va_copy, vsnprintf. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

struct pair { int a; double b; };
struct big { long v[5]; };

static long sum_ints(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    long s = 0;
    for (int i = 0; i < n; i++) s = s * 3 + va_arg(ap, int);
    va_end(ap);
    return s;
}

static double sum_doubles(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    double s = 0;
    for (int i = 0; i < n; i++) s = s * 0.5 + va_arg(ap, double);
    va_end(ap);
    return s;
}

/* A tiny format interpreter: i=int l=long d=double L=long double p=pair b=big s=string */
static void show(const char *fmt, ...)
{
    va_list ap, copy;
    va_start(ap, fmt);
    va_copy(copy, ap);
    for (const char *f = fmt; *f; f++) {
        switch (*f) {
        case 'i': printf(" i:%d", va_arg(ap, int)); break;
        case 'l': printf(" l:%ld", va_arg(ap, long)); break;
        case 'd': printf(" d:%g", va_arg(ap, double)); break;
        case 'L': printf(" L:%Lg", va_arg(ap, long double)); break;
        case 'p': { struct pair p = va_arg(ap, struct pair); printf(" p:%d/%g", p.a, p.b); break; }
        case 'b': { struct big b = va_arg(ap, struct big); printf(" b:%ld,%ld", b.v[0], b.v[4]); break; }
        case 's': printf(" s:%s", va_arg(ap, const char *)); break;
        }
    }
    /* walk again with the copy: first argument only */
    if (*fmt == 'i') printf(" | first again %d", va_arg(copy, int));
    va_end(copy);
    va_end(ap);
    printf("\n");
}

static int fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = vsnprintf(buf, n, f, ap);
    va_end(ap);
    return r;
}

static long many(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j, int k, double x1,
                 double x2, double x3, double x4, double x5, double x6, double x7, double x8, double x9, float x10)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j + 11 * k +
           (long)(x1 + 2 * x2 + 3 * x3 + 4 * x4 + 5 * x5 + 6 * x6 + 7 * x7 + 8 * x8 + 9 * x9 + 10 * x10);
}

int main(void)
{
    printf("sum_ints: %ld %ld %ld\n", sum_ints(0), sum_ints(3, 1, 2, 3),
           sum_ints(12, 1, -2, 3, -4, 5, -6, 7, -8, 9, -10, 11, -12));
    printf("sum_doubles: %a %a\n", sum_doubles(2, 1.5, 2.25), sum_doubles(11, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0));
    struct pair p = {7, 0.25};
    struct big b = {{10, 20, 30, 40, 50}};
    show("ildLpbs", -5, 1L << 40, 3.5, 1.0L / 3, p, b, "text");
    show("iiiiiiiiiiii", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
    show("dddddddddddd", 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0);
    show("idldLiLdpdbi", 1, 2.5, 3L, 4.5, 5.5L, 6, 7.5L, 8.5, p, 9.5, b, 10);
    char buf[64];
    int r = fmt(buf, sizeof buf, "%s=%d,%.2f,%c,%lx", "k", 99, 2.0 / 3, 'Z', 0xabcdefUL);
    printf("vsnprintf %d [%s]\n", r, buf);
    r = fmt(buf, 8, "%d%d%d", 12345, 67890, 11111);
    printf("vsnprintf truncated %d [%s]\n", r, buf);
    printf("many: %ld\n", many(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5, 10.5f));
    return 0;
}
