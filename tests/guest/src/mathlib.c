/* libm: results printed exactly (%a) for a set of inputs read through volatile (no constant folding). */
#include <math.h>
#include <stdio.h>

static volatile double xs[] = {0.0, -0.0, 0.5, 1.0, -1.0, 2.0, 3.0, 0.1, -2.75, 10.0, 100.5, 1e-10, 1e10, 710.0,
    -745.5, M_PI, M_PI / 4, 1e22, 0x1p-1030, INFINITY, -INFINITY, NAN};
static volatile double ys[] = {2.0, -0.5, 3.0, 0.333, -1.0, 1e-3, 7.25};
#define NX (int)(sizeof xs / sizeof xs[0])
#define NY (int)(sizeof ys / sizeof ys[0])

int main(void)
{
    printf("order: sqrt exp log sin cos tan floor ceil round trunc rint cbrt log2 log10 log1p expm1 exp2 atan asin acos sinh tanh erf\n");
    for (int i = 0; i < NX; i++) {
        double x = xs[i];
        double r[] = {sqrt(x), exp(x), log(x), sin(x), cos(x), tan(x), floor(x), ceil(x), round(x), trunc(x), rint(x),
                      cbrt(x), log2(x), log10(x), log1p(x), expm1(x), exp2(x), atan(x), asin(x), acos(x), sinh(x),
                      tanh(x), erf(x)};
        printf("%a:", x);
        for (size_t k = 0; k < sizeof r / sizeof r[0]; k++) printf(" %a", r[k]);
        printf("\n");
        if (isfinite(x) && fabs(x) < 1e18) printf("  lround %ld llrint %lld\n", lround(x), llrint(x));
        float xf = (float)x;
        printf("  f32 sqrtf %a expf %a logf %a sinf %a cosf %a powf %a\n", sqrtf(xf), expf(xf), logf(xf), sinf(xf),
               cosf(xf), powf(xf, 1.5f));
    }
    for (int i = 0; i < NX; i += 3)
        for (int j = 0; j < NY; j++) {
            double x = xs[i], y = ys[j];
            printf("%a %a: pow %a atan2 %a fmod %a hypot %a remainder %a fmin %a\n", x, y, pow(x, y), atan2(x, y),
                   fmod(x, y), hypot(x, y), remainder(x, y), fmin(x, y));
        }
    printf("pow(-8, 1/3) %a pow(-2, 3) %a pow(0, -1) %a pow(1, nan) %a pow(nan, 0) %a\n", pow(xs[4] * 8, 1.0 / 3),
           pow(-xs[5], ys[2]), pow(xs[0], ys[4]), pow(xs[3], xs[21]), pow(xs[21], xs[0]));
    printf("atan2 quadrants %a %a %a %a\n", atan2(xs[0], xs[4]), atan2(xs[1], xs[4]), atan2(xs[3], xs[0]), atan2(xs[4], xs[1]));
    return 0;
}
