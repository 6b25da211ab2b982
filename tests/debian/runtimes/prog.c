/* Compiled by Debian's native gcc-12 running under the emulator (cc1, as, collect2 and ld
 * are all AArch64 programs), then run. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point { double x, y; };

static int by_norm(const void *a, const void *b) {
  const struct point *p = a, *q = b;
  double d = hypot(p->x, p->y) - hypot(q->x, q->y);
  return (d > 0) - (d < 0);
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  struct point *pts = malloc(n * sizeof *pts);
  for (int i = 0; i < n; i++) {
    pts[i].x = (i * 37 % 11) - 5.0;
    pts[i].y = sin(i) * 4.0;
  }
  qsort(pts, n, sizeof *pts, by_norm);
  for (int i = 0; i < n; i++) printf("%+.6f %+.6f\n", pts[i].x, pts[i].y);
  unsigned long h = 5381;
  for (const char *s = "kvrm"; *s; s++) h = h * 33 + (unsigned char)*s;
  char buf[64];
  snprintf(buf, sizeof buf, "%lx %zu %.3e", h, strlen(argv[0]) > 0 ? (size_t)n : 0, exp(2.5));
  puts(buf);
  free(pts);
  return n % 7;
}
