// malloc, realloc (mremap), mmap/mprotect, qsort, printf of floats.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static int cmp(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int main(void) {
    unsigned long sum = 0;
    for (int i = 1; i < 2000; i++) {
        char *p = malloc(i * 7);
        memset(p, i & 0xff, i * 7);
        sum += p[i * 7 - 1] & 0xff;
        if (i % 3) free(p);
    }
    printf("sum %lu\n", sum);
    char *big = malloc(10 << 20);
    memset(big, 1, 10 << 20);
    big = realloc(big, 40 << 20);
    printf("big %d %d\n", big[0], big[(10 << 20) - 1]);
    free(big);
    int *a = malloc(1000 * sizeof *a);
    for (int i = 0; i < 1000; i++) a[i] = (i * 7919) % 1000;
    qsort(a, 1000, sizeof *a, cmp);
    printf("sorted %d %d %d\n", a[0], a[500], a[999]);
    char *m = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(m + 4096, "mapped");
    mprotect(m, 4096, PROT_READ);
    printf("%s\n", m + 4096);
    printf("munmap %d\n", munmap(m, 8192));
    printf("mmap 0: %p\n", mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    double x = 1.0;
    for (int i = 0; i < 10; i++) x = x * 1.5 + 0.25;
    printf("float %.6f %g %e\n", x, x / 3, x * 1e10);
    return 0;
}
