/* Memory limits: malloc(64 GiB) must fail (NULL) under a memory limit, and a 1 MiB malloc must
 * still work and be usable afterwards. Not a qemu-recorded case: whether the 64 GiB malloc
 * succeeds under qemu-aarch64 depends on the host's memory and overcommit policy. Run by
 * crates/kvrm-linux/tests/limits.rs under `kvrm run --memory-limit 4G`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    void *huge = malloc((size_t)64 << 30);
    printf("malloc(64 GiB): %s\n", huge ? "non-NULL" : "NULL");
    free(huge); /* never touched */
    size_t n = (size_t)1 << 20;
    unsigned char *p = malloc(n);
    if (!p) {
        printf("malloc(1 MiB): NULL\n");
        return 1;
    }
    memset(p, 0xa5, n);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 4096) {
        p[i] = (unsigned char)i;
        sum += p[i] + p[i + 1];
    }
    printf("malloc(1 MiB): usable, checksum %llu\n", (unsigned long long)sum);
    free(p);
    return 0;
}
