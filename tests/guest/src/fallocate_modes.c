/* fallocate: growing a file (mode 0), KEEP_SIZE, punching a hole (the bytes read back as
 * zeros, the size kept), ZERO_RANGE; the errors: EBADF (read-only descriptor, bad fd),
 * EINVAL (negative offset, zero length), ESPIPE (a pipe), EOPNOTSUPP (an unknown mode bit);
 * posix_fallocate. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Linux's values (<linux/falloc.h>; musl's fcntl.h has only the first). */
#ifndef FALLOC_FL_KEEP_SIZE
#define FALLOC_FL_KEEP_SIZE 0x01
#endif
#ifndef FALLOC_FL_PUNCH_HOLE
#define FALLOC_FL_PUNCH_HOLE 0x02
#endif
#ifndef FALLOC_FL_ZERO_RANGE
#define FALLOC_FL_ZERO_RANGE 0x10
#endif

static void try(const char *what, int r)
{
    printf("%s: %s\n", what, r == 0 ? "ok" : strerror(errno));
}

static long size(int fd)
{
    struct stat st;
    fstat(fd, &st);
    return st.st_size;
}

int main(void)
{
    int fd = open("f", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char buf[20000];
    memset(buf, 'a', sizeof buf);
    write(fd, buf, sizeof buf);
    try("grow to 65536", fallocate(fd, 0, 0, 65536));
    printf("size %ld\n", size(fd));
    try("keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
    printf("size %ld\n", size(fd));
    try("punch hole 4096+8192", fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
    pread(fd, buf, sizeof buf, 0);
    int zeros = 0;
    for (int i = 0; i < 20000; i++) zeros += buf[i] == 0;
    printf("size %ld, zeros in the first 20000 bytes %d, byte 4095 %c, byte 12288 %c\n", size(fd), zeros,
           buf[4095], buf[12288]);
    /* Some file systems (tmpfs) refuse ZERO_RANGE: one line either way, so the expected
     * output does not depend on where the test runs. */
    int z = fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 100);
    if (z == 0) {
        pread(fd, buf, 200, 0);
        printf("zero range: %s\n", buf[99] == 0 && buf[100] == 'a' ? "as Linux does" : "wrong bytes");
    } else if (errno == EOPNOTSUPP) {
        printf("zero range: as Linux does\n");
    } else {
        printf("zero range: %s\n", strerror(errno));
    }
    try("negative offset", fallocate(fd, 0, -1, 10));
    try("zero length", fallocate(fd, 0, 0, 0));
    try("unknown mode bit", fallocate(fd, 0x4000, 0, 10));
    try("bad fd", fallocate(99, 0, 0, 10));
    int ro = open("f", O_RDONLY);
    try("read-only descriptor", fallocate(ro, 0, 0, 100000));
    int p[2];
    pipe(p);
    try("pipe", fallocate(p[1], 0, 0, 10));
    int e = posix_fallocate(fd, 0, 200000);
    printf("posix_fallocate: %s, size %ld\n", e == 0 ? "ok" : strerror(e), size(fd));
    unlink("f");
    return 0;
}
