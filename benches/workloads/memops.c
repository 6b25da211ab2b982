/* memcpy/memset/memmove over several sizes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(void) {
  size_t n = 1 << 20; unsigned char *a = malloc(n + 64), *b = malloc(n + 64); unsigned long s = 0;
  for (int r = 0; r < 200; r++) {
    memset(a, r, n); memcpy(b, a + 1, n - 1); memmove(b + 3, b, n - 8); s += b[r * 1000] + a[n / 2];
  }
  for (int r = 0; r < 200000; r++) {
    size_t len = 1 + (r * 37) % 200; memset(a + r % 64, r, len); memcpy(b + (r * 7) % 64, a + r % 64, len); memmove(a + 1, a, len); s += b[len / 2];
  }
  printf("%lu\n", s); return 0;
}
