/* The README's first program: a static glibc AArch64 executable. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    const char *who = argc > 1 ? argv[1] : "world";
    double x = 0;
    for (int i = 1; i <= 10; i++) x += 1.0 / i;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", who);
    printf("Hello, %s! (%zu letters; H(10) = %.6f)\n", buf, strlen(buf), x);
    return 0;
}
