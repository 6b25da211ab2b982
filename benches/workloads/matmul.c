/* 300x300 double matrix multiply. */
#include <stdio.h>
#include <stdlib.h>
#define N 300
static double a[N][N], b[N][N], c[N][N];
int main(void) {
  for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) { a[i][j] = (i * 7 + j) % 13 * 0.25 - 1.0; b[i][j] = (i + j * 3) % 17 * 0.125 + 0.5; }
  for (int i = 0; i < N; i++) for (int k = 0; k < N; k++) { double r = a[i][k]; for (int j = 0; j < N; j++) c[i][j] += r * b[k][j]; }
  double s = 0; for (int i = 0; i < N; i++) for (int j = 0; j < N; j++) s += c[i][j] * (1 + (i ^ j) % 3);
  printf("%.6f\n", s); return 0;
}
