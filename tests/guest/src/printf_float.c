/* printf of float, double and long double: %f %e %g %a with flags and precisions, and
 * rounding of halfway cases. */
#include <float.h>
#include <math.h>
#include <stdio.h>

static volatile double dv[] = {0.0, -0.0, 1.0, -1.0, 0.1, 0.5, 1.5, 2.5, -2.5, 0.125, 1e-5, 123456789.123456789,
    9007199254740993.0, 1e21, 1e300, 1e-300, 4.9406564584124654e-324, 2.2250738585072014e-308, DBL_MAX, M_PI,
    -M_E, 1.0 / 3.0, 999999.5, 0.0009765625, 6.02214076e23};
static volatile float fv[] = {0.1f, 1.0f / 3.0f, FLT_MAX, FLT_MIN, 1e-45f, 16777217.0f, -3.75f};
static volatile long double lv[] = {0.0L, 1.0L, 0.1L, 1.0L / 3.0L, 2.5L, 1e4000L, 1e-4000L, LDBL_MAX, LDBL_MIN,
    LDBL_EPSILON, -12345.6789e-10L};

int main(void)
{
    for (size_t i = 0; i < sizeof dv / sizeof dv[0]; i++) {
        double d = dv[i];
        printf("[%f] [%.0f] [%.3f] [%e] [%.2E] [%g] [%G] [%.10g] [%a] [%A] [%.3a]\n", d, d, d, d, d, d, d, d, d, d, d);
        printf("  [%12.4f] [%-12.2e] [%+g] [% .1f] [%#.0f] [%#g] [%012.3f] [%.17g] [%.0e]\n", d, d, d, d, d, d, d, d, d);
    }
    printf("DBL_MAX %%f: %f\n", DBL_MAX);
    printf("denorm min %%.20e: %.20e\n", 4.9406564584124654e-324);
    double inf = dv[2] / dv[0], nan = dv[0] / dv[0];
    printf("[%f] [%e] [%g] [%a] [%F] [%5.1f] [%-6f|] [%+f]\n", inf, -inf, inf, -inf, inf, nan, nan, fabs(nan));
    for (size_t i = 0; i < sizeof fv / sizeof fv[0]; i++)
        printf("float [%f] [%.9g] [%a] [%e]\n", fv[i], fv[i], fv[i], fv[i]);
    for (size_t i = 0; i < sizeof lv / sizeof lv[0]; i++) {
        long double l = lv[i];
        printf("ldbl [%Lf] [%.25Le] [%Lg] [%.36Lg] [%La]\n", l, l, l, l, l);
    }
    printf("ldbl max %%.0Lf length: %d\n", snprintf(NULL, 0, "%.0Lf", LDBL_MAX));
    /* Round-half-even in decimal conversion. */
    for (int i = 0; i < 12; i++) printf("%.0f ", i + 0.5);
    printf("\n%.1f %.1f %.1f %.2f %.2f\n", 0.25, 0.35, 0.45, 1.005, 1.015);
    char buf[400];
    int n = snprintf(buf, sizeof buf, "%.300f", 1e-10);
    printf("%d %.40s...%s\n", n, buf, buf + 290);
    return 0;
}
