/* qsort of 2M ints. */
#include <stdio.h>
#include <stdlib.h>
static int cmp(const void *a, const void *b) { int x = *(const int *)a, y = *(const int *)b; return (x > y) - (x < y); }
int main(void) {
  int n = 2000000; int *v = malloc(n * sizeof *v); unsigned x = 1;
  for (int i = 0; i < n; i++) { x = x * 1664525u + 1013904223u; v[i] = (int)x; }
  qsort(v, n, sizeof *v, cmp);
  long s = 0; for (int i = 0; i < n; i += 1000) s += v[i];
  for (int i = 1; i < n; i++) if (v[i-1] > v[i]) { puts("unsorted"); return 1; }
  printf("%ld\n", s); return 0;
}
