/* mlock, munlock, mlockall and munlockall as gpg and other crypto code use them (gpg warns
 * "using insecure memory" when mlock fails): unaligned ranges widened to pages, an empty
 * range, holes and unmapped ranges (ENOMEM), mlockall's flag rules (EINVAL), VmLck in
 * /proc/self/status following what is locked, munmap and a child after fork unlocking.
 * (mlockall(MCL_CURRENT) is left out: it counts the whole address space against
 * RLIMIT_MEMLOCK, and under qemu-user that is qemu's own reservation; so is mlock2, which
 * qemu-user 7.2 does not implement.) */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%s: %s\n", what, r == 0 ? "ok" : strerror(errno));
}

/* VmLck in kB, or -1. */
static long vmlck(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 8 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 1;
    printf("VmLck at start: %ld kB\n", vmlck());
    show("mlock 2 pages", mlock(m, 2 * page));
    printf("VmLck: %ld kB\n", vmlck());
    show("mlock 10 bytes across a page boundary", mlock(m + 3 * page - 5, 10));
    printf("VmLck: %ld kB\n", vmlck());
    show("mlock again (already locked)", mlock(m, 4 * page));
    printf("VmLck: %ld kB\n", vmlck());
    show("mlock of 0 bytes", mlock(m + 6 * page, 0));
    show("munlock 1 page in the middle", munlock(m + page, page));
    printf("VmLck: %ld kB\n", vmlck());

    munmap(m + 7 * page, page);
    errno = 0;
    show("mlock over a hole", mlock(m + 6 * page, 2 * page));
    show("munlock over a hole", munlock(m + 6 * page, 2 * page));
    show("mlock of unmapped memory", mlock(m + 7 * page, page));
    printf("VmLck after the failures: %ld kB\n", vmlck());

    show("mlock of the last mapped page", mlock(m + 6 * page, page));
    printf("VmLck: %ld kB\n", vmlck());

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("forked child's VmLck: %ld kB\n", vmlck());
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);

    show("munmap of locked pages", munmap(m, 2 * page));
    printf("VmLck: %ld kB\n", vmlck());

    show("mlockall 0", mlockall(0));
    show("mlockall MCL_ONFAULT alone", mlockall(MCL_ONFAULT));
    show("mlockall 8", mlockall(8));
    show("munlockall", munlockall());
    printf("VmLck after munlockall: %ld kB\n", vmlck());
    return 0;
}
