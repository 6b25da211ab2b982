/* Calls real programs make that an emulator must accept:
 * - the set*id family asked to keep the ids the process has (posix_spawn's
 *   POSIX_SPAWN_RESETIDS does seteuid(getuid()), which GNU make uses to run recipes);
 * - mprotect with a length that is not a multiple of the page size (the kernel rounds it up;
 *   libmagic, behind `file`, protects a file mapping that way).
 * Prints return values and contents, never ids or addresses (the oracle may run as any user). */
#define _GNU_SOURCE
#include "common.h"
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    const char *e = "";
    if (r < 0)
        e = errno == EPERM ? " EPERM" : errno == EINVAL ? " EINVAL" : errno == ENOMEM ? " ENOMEM"
                                                                                     : " other";
    printf("%-28s %ld%s\n", what, r, e);
}

int main(void)
{
    uid_t uid = getuid(), euid = geteuid();
    gid_t gid = getgid(), egid = getegid();
    show("setuid(getuid())", setuid(uid));
    show("seteuid(getuid())", seteuid(uid));
    show("setreuid(-1, geteuid())", setreuid(-1, euid));
    show("setresuid(-1, -1, -1)", setresuid(-1, -1, -1));
    show("setresuid(uid, euid, -1)", setresuid(uid, euid, -1));
    show("setgid(getgid())", setgid(gid));
    show("setegid(getgid())", setegid(gid));
    show("setregid(gid, egid)", setregid(gid, egid));
    show("setresgid(-1, egid, -1)", setresgid(-1, egid, -1));
    printf("%-28s %s\n", "setfsuid(euid) == euid", setfsuid(euid) == (int)euid ? "yes" : "no");
    printf("%-28s %s\n", "setfsgid(egid) == egid", setfsgid(egid) == (int)egid ? "yes" : "no");
    printf("%-28s %s\n", "ids unchanged",
           getuid() == uid && geteuid() == euid && getgid() == gid && getegid() == egid ? "yes"
                                                                                        : "no");

    long page = sysconf(_SC_PAGESIZE);
    /* Anonymous: 3 pages and a bit, protected with the odd length, then written again. A
     * hole after its fourth page (unmapped here) makes a range past it fail with ENOMEM
     * whatever the libc or emulator maps nearby. */
    size_t len = 3 * page + 100;
    unsigned char *a = mmap(NULL, 5 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) { printf("mmap failed\n"); return 1; }
    show("munmap(fifth page)", munmap(a + 4 * page, page));
    memset(a, 0x5a, len);
    show("mprotect(anon, odd, R)", mprotect(a, len, PROT_READ));
    show("mprotect(anon, odd, RW)", mprotect(a, len, PROT_READ | PROT_WRITE));
    a[len - 1] = 1;
    a[4 * page - 1] = 2; /* the rounded-up tail of the last page is mapped too */
    printf("anon sum %lu\n", (unsigned long)fnv_bytes(FNV_INIT, a, 4 * page));
    show("mprotect(anon+1, 10, R)", mprotect(a + 1, 10, PROT_READ));
    /* RW again: Linux may have changed the pages before the hole when it fails. */
    show("mprotect(over the hole)", mprotect(a, 5 * page, PROT_READ | PROT_WRITE));
    show("munmap(anon, odd)", munmap(a, len));

    /* A private file mapping of a file whose size is not a page multiple, as libmagic maps
     * its database: read-write first, then read-only with the file's length. */
    const char *path = "ids_mprotect.tmp";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { printf("open failed\n"); return 1; }
    size_t flen = 2 * page + 777;
    unsigned char *buf = malloc(flen);
    for (size_t i = 0; i < flen; i++) buf[i] = (unsigned char)(i * 31 + 7);
    if (write(fd, buf, flen) != (ssize_t)flen) { printf("write failed\n"); return 1; }
    unsigned char *m = mmap(NULL, flen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (m == MAP_FAILED) { printf("file mmap failed\n"); return 1; }
    close(fd);
    show("mprotect(file, flen, R)", mprotect(m, flen, PROT_READ));
    printf("file contents %s\n", memcmp(m, buf, flen) == 0 ? "match" : "differ");
    show("munmap(file, flen)", munmap(m, flen));
    unlink(path);
    return 0;
}
