/* printf of integers, characters and strings with flags, widths and precisions. */
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static volatile long long vals[] = {0, 1, -1, 7, -42, 255, 256, 1000, -32768, 65535, 123456789,
    INT_MAX, INT_MIN, UINT_MAX, 0x100000000LL, LLONG_MAX, LLONG_MIN, -1234567890123LL};

int main(void)
{
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        long long v = vals[i];
        int iv = (int)v;
        printf("[%d] [%i] [%u] [%x] [%X] [%o] [%#x] [%#o] [%08d] [%-8d] [%+d] [% d] [%.5d] [%8.3d] [%*d] [%-*d]\n",
               iv, iv, (unsigned)iv, (unsigned)iv, (unsigned)iv, (unsigned)iv, (unsigned)iv, (unsigned)iv, iv, iv, iv,
               iv, iv, iv, 6, iv, 6, iv);
        printf("  [%lld] [%llu] [%llx] [%#llX] [%lo] [%ld] [%hd] [%hu] [%hhd] [%hhu] [%zd] [%jd] [%" PRIx64 "] [%'d]\n",
               v, (unsigned long long)v, (unsigned long long)v, (unsigned long long)v, (unsigned long)v, (long)v,
               (short)v, (unsigned short)v, (signed char)v, (unsigned char)v, (ssize_t)v, (intmax_t)v, (uint64_t)v, iv);
    }
    printf("[%c][%c][%5c][%-3c]\n", 'A', '~', 'z', '0');
    printf("[%s][%10s][%-10s][%.3s][%10.2s][%s]\n", "hello", "right", "left", "truncate", "ab", "");
    printf("[%%][%5%][%.0d][%.0x][%#.0o]\n", 0, 0, 0);
    char buf[64];
    int n = snprintf(buf, 10, "%s-%d", "overflowing", 12345);
    printf("snprintf returned %d, buf [%s]\n", n, buf);
    n = snprintf(NULL, 0, "%lld", LLONG_MIN);
    printf("snprintf size %d\n", n);
    n = sprintf(buf, "%3$s %1$s %2$s", "a", "b", "c");
    printf("positional [%s] %d\n", buf, n);
    int pos1 = 0, pos2 = 0;
    printf("abc%ndefgh%n\n", &pos1, &pos2);
    printf("%%n: %d %d\n", pos1, pos2);
    /* Long output crossing the stdio buffer size, written with fwrite and putchar. */
    unsigned long sum = 0;
    for (int i = 0; i < 300; i++) {
        n = printf("%04d:%s%c", i, i % 3 ? "xyzzy" : "plugh", i % 10 == 9 ? '\n' : ' ');
        sum += (unsigned long)n;
    }
    fwrite("fwrite-line\n", 1, 12, stdout);
    putchar('!');
    putchar('\n');
    puts("puts-line");
    printf("total %lu\n", sum);
    return 0;
}
