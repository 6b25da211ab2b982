/* Recursion: fib, Ackermann, Hanoi, n-queens, permutations, mutual recursion, deep stacks. */
#include <stdio.h>

static long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static long ack(long m, long n)
{
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}
static long hanoi(int n, int from, int to, int via, long *checksum)
{
    if (n == 0) return 0;
    long moves = hanoi(n - 1, from, via, to, checksum);
    *checksum = (*checksum * 31 + from * 3 + to) % 1000000007;
    return moves + 1 + hanoi(n - 1, via, to, from, checksum);
}
static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2)
{
    if (row == n) return 1;
    int count = 0;
    for (int c = 0; c < n; c++) {
        if ((cols >> c & 1) || (d1 >> (row + c) & 1) || (d2 >> (row - c + n) & 1)) continue;
        count += queens(n, row + 1, cols | 1u << c, d1 | 1u << (row + c), d2 | 1u << (row - c + n));
    }
    return count;
}
static long perms(int *a, int k, int n)
{
    if (k == n) {
        long v = 0;
        for (int i = 0; i < n; i++) v = v * 10 + a[i];
        return v % 9973;
    }
    long s = 0;
    for (int i = k; i < n; i++) {
        int t = a[k]; a[k] = a[i]; a[i] = t;
        s += perms(a, k + 1, n);
        t = a[k]; a[k] = a[i]; a[i] = t;
    }
    return s;
}
static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }
static long deep(int n, volatile long *sink)
{
    volatile long frame[8];
    frame[n % 8] = n;
    *sink += frame[n % 8];
    if (n == 0) return 0;
    return deep(n - 1, sink) + (frame[n % 8] & 3);
}
static double harmonic(int n) { return n == 0 ? 0.0 : 1.0 / n + harmonic(n - 1); }

int main(void)
{
    for (int i = 0; i <= 24; i += 3) printf("fib(%d) = %ld\n", i, fib(i));
    for (int m = 0; m <= 3; m++)
        for (int n = 0; n <= (m == 3 ? 5 : 4); n++) printf("ack(%d,%d) = %ld\n", m, n, ack(m, n));
    long cs = 0;
    long mv = hanoi(14, 1, 3, 2, &cs);
    printf("hanoi(14): %ld moves, checksum %ld\n", mv, cs);
    for (int n = 1; n <= 8; n++) printf("queens(%d) = %d\n", n, queens(n, 0, 0, 0, 0));
    int a[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    printf("perms(8) checksum %ld\n", perms(a, 0, 8));
    printf("is_even(10001) %d is_odd(7777) %d\n", is_even(10001), is_odd(7777));
    volatile long sink = 0;
    printf("deep(20000) = %ld sink %ld\n", deep(20000, &sink), sink);
    printf("harmonic(1000) = %.15f\n", harmonic(1000));
    return 0;
}
