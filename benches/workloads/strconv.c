/* sprintf/strtod loop; the round count (default 50000) may be given as the argument. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
  char buf[64]; double acc = 0; long ia = 0; int rounds = argc > 1 ? atoi(argv[1]) : 50000;
  for (int i = 0; i < rounds; i++) {
    double v = i * 1.37 + 0.001 * (i % 97);
    snprintf(buf, sizeof buf, "%.9g", v); acc += strtod(buf, NULL);
    snprintf(buf, sizeof buf, "%d", i * 31); ia += strtol(buf, NULL, 10);
  }
  printf("%.6f %ld\n", acc, ia); return 0;
}
