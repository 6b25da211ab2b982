/* sprintf/strtod loop. */
#include <stdio.h>
#include <stdlib.h>
int main(void) {
  char buf[64]; double acc = 0; long ia = 0;
  for (int i = 0; i < 50000; i++) {
    double v = i * 1.37 + 0.001 * (i % 97);
    snprintf(buf, sizeof buf, "%.9g", v); acc += strtod(buf, NULL);
    snprintf(buf, sizeof buf, "%d", i * 31); ia += strtol(buf, NULL, 10);
  }
  printf("%.6f %ld\n", acc, ia); return 0;
}
