/* stat, lstat and fstat of /proc files give a /proc file's metadata (a regular file,
 * mode 0444, size 0, one link) although kvrm keeps their contents in memory. (fstat of
 * /proc/self/maps, stat and cmdline is left out: qemu-aarch64, the oracle, serves those
 * from an in-memory file of its own.) */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *call, const char *path, int r, const struct stat *st)
{
    if (r != 0) {
        printf("%s %s: failed\n", call, path);
        return;
    }
    printf("%s %s: %s, mode %03o, size %lld, links %lu\n", call, path,
           S_ISREG(st->st_mode) ? "regular file" : "not a regular file", (unsigned)(st->st_mode & 07777),
           (long long)st->st_size, (unsigned long)st->st_nlink);
}

int main(void)
{
    const char *opened[] = {"/proc/self/status", "/proc/meminfo", "/proc/cpuinfo"};
    const char *named[] = {"/proc/self/maps", "/proc/self/stat", "/proc/self/cmdline"};
    struct stat st;
    for (unsigned i = 0; i < sizeof opened / sizeof *opened; i++) {
        const char *p = opened[i];
        show("stat", p, stat(p, &st), &st);
        show("lstat", p, lstat(p, &st), &st);
        int fd = open(p, O_RDONLY);
        show("fstat", p, fd < 0 ? -1 : fstat(fd, &st), &st);
        char buf[64];
        printf("read %s: %s\n", p, fd >= 0 && read(fd, buf, sizeof buf) > 0 ? "has contents" : "empty");
        if (fd >= 0) close(fd);
    }
    for (unsigned i = 0; i < sizeof named / sizeof *named; i++)
        show("stat", named[i], stat(named[i], &st), &st);
    return 0;
}
