/* sscanf, strtol/strtoul/strtoll, strtod/strtof/strtold, atoi: bases, overflow, errno, hex floats. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    int a, b, c, n1 = -1;
    unsigned u;
    long l;
    long long ll;
    unsigned long ul;
    double d, e;
    float f;
    long double ld;
    char word[32], set[32], ch;
    int r = sscanf("  42 -17 0x1F ff 0777 123456789012 18446744073709551615", "%d %i %i %x %o %lld %lu", &a, &b, &c, &u,
                   &n1, &ll, &ul);
    printf("r=%d a=%d b=%d c=%d u=%u o=%d ll=%lld ul=%lu\n", r, a, b, c, u, n1, ll, ul);
    r = sscanf("3.25 -1e-3 0x1.8p3 2.5e10 inf", "%lf %f %lf %Lf %le", &d, &f, &e, &ld, &d);
    printf("r=%d d=%g f=%a e=%a ld=%La\n", r, d, f, e, ld);
    int consumed = 0;
    r = sscanf("hello-world abcxyz Q rest", "%31[a-z]-%31s %31[abc]%*s %c%n", word, set, set, &ch, &consumed);
    printf("r=%d word=%s set=%s ch=%c consumed=%d\n", r, word, set, ch, consumed);
    r = sscanf("12abc", "%d%d", &a, &b);
    printf("partial r=%d a=%d\n", r, a);
    r = sscanf("", "%d", &a);
    printf("empty r=%d\n", r);
    r = sscanf("10:20:30", "%d:%d:%d", &a, &b, &c);
    printf("time r=%d %d %d %d\n", r, a, b, c);

    const char *ints[] = {"0", "-0", "+123", "  -456xyz", "2147483647", "2147483648", "-9223372036854775808",
                          "9223372036854775808", "0x7fffffffffffffff", "0X10", "0777", "z", "1010", "-"};
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++) {
        char *end;
        errno = 0;
        l = strtol(ints[i], &end, 0);
        int e1 = errno;
        errno = 0;
        unsigned long long v = strtoull(ints[i], NULL, 16);
        int e2 = errno;
        errno = 0;
        long b2 = strtol(ints[i], NULL, 2);
        int e3 = errno;
        long b36 = strtol(ints[i], NULL, 36);
        printf("%-22s strtol=%ld (end+%d, errno %d) strtoull16=%llu (%d) base2=%ld (%d) base36=%ld atoi=%d\n", ints[i], l,
               (int)(end - ints[i]), e1, v, e2, b2, e3, b36, atoi(ints[i]));
    }
    const char *flts[] = {"0", "-0.0", "1", "0.1", "3.14159265358979323846264338327950288", "1e308", "1.8e308",
                          "4.9e-324", "2e-324", "1e-400", "2.2250738585072011e-308", "0x1.fffffffffffffp1023",
                          "0x1p-1074", "inf", "-Infinity", "nan", "nan(123)", "  +.5e+2x", "1e", ".", "123456789012345678901234567890",
                          "0.30000000000000004", "9007199254740993", "1.00000000000000011102230246251565404236316680908203125"};
    for (size_t i = 0; i < sizeof flts / sizeof flts[0]; i++) {
        char *end;
        errno = 0;
        d = strtod(flts[i], &end);
        int e1 = errno;
        errno = 0;
        f = strtof(flts[i], NULL);
        int e2 = errno;
        ld = strtold(flts[i], NULL);
        printf("%-40s strtod=%a (end+%d, errno %d) strtof=%a (%d) strtold=%La\n", flts[i], d, (int)(end - flts[i]),
               e1, f, e2, ld);
    }
    printf("atof %.17g\n", atof("2.718281828459045235360287"));
    return 0;
}
