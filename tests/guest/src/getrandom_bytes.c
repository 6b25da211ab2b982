/* Prints 32 bytes from getrandom() in hex (NOT a qemu-recorded case: random by design). Under
 * `kvrm run --deterministic --seed N` they depend only on N (crates/kvrm-linux/tests/determinism.rs). */
#include <stdio.h>
#include <sys/random.h>

int main(void)
{
    unsigned char b[32];
    ssize_t n = getrandom(b, sizeof b, 0);
    printf("getrandom: %zd bytes: ", n);
    for (int i = 0; i < (int)sizeof b; i++) printf("%02x", b[i]);
    printf("\n");
    return n == (ssize_t)sizeof b ? 0 : 1;
}
