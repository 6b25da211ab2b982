/* Another process's descriptors through /proc/PID/fd, as fuser and lsof look at them: the
 * listing names its descriptors, readlink gives the file's path (and pipe:[N] for a pipe),
 * stat follows the link to the file, open reads the file anew; a missing descriptor is ENOENT;
 * a zombie's /proc/PID/stat says Z.
 * And /proc/self/statm: seven numbers, its size in pages agreeing with VmSize in
 * /proc/self/status. (Not compared: resident with VmRSS, which under qemu-user grows with the
 * code qemu translates between the two reads.) */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char buf1[8192], buf2[8192];

static ssize_t slurp(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, cap - 1);
    close(fd);
    if (n >= 0)
        buf[n] = 0;
    return n;
}

static long field(const char *text, const char *name)
{
    const char *p = strstr(text, name);
    return p ? strtol(p + strlen(name), NULL, 10) : -1;
}

int main(void)
{
    int fd = open("data.txt", O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "payload\n", 8) != 8)
        return 1;
    close(fd);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return 1;

    int up[2], down[2];
    char c = 0;
    if (pipe(up) || pipe(down))
        return 1;
    pid_t child = fork();
    if (child == 0) {
        int f = open("data.txt", O_RDONLY);
        if (f < 0 || f == 20 || dup2(f, 20) != 20)
            _exit(1);
        close(f);
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    if (read(up[0], &c, 1) != 1)
        return 1;

    char path[128], link[4096];
    snprintf(path, sizeof path, "/proc/%d/fd", (int)child);
    DIR *d = opendir(path);
    int has7 = 0, hasup = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            has7 |= strcmp(e->d_name, "20") == 0;
            hasup |= atoi(e->d_name) == up[1] && e->d_name[0] != '.';
        }
        closedir(d);
    }
    printf("the child's fd listing: 20 %s, its pipe end %s\n", has7 ? "yes" : "no", hasup ? "yes" : "no");

    snprintf(path, sizeof path, "/proc/%d/fd/20", (int)child);
    ssize_t n = readlink(path, link, sizeof link - 1);
    if (n >= 0) {
        link[n] = 0;
        char want[4200];
        snprintf(want, sizeof want, "%s/data.txt", strcmp(cwd, "/") ? cwd : "");
        printf("readlink fd/20 is the file's absolute path: %s\n", strcmp(link, want) ? "no" : "yes");
    } else {
        printf("readlink fd/20: %s\n", strerror(errno));
    }
    struct stat a, b;
    printf("stat fd/20 is data.txt: %s\n",
           stat(path, &a) == 0 && stat("data.txt", &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev
               ? "yes"
               : "no");
    int f = open(path, O_RDONLY);
    char got[16] = "";
    if (f >= 0) {
        ssize_t r = read(f, got, sizeof got - 1);
        got[r > 0 ? r : 0] = 0;
        close(f);
    }
    printf("open fd/20 reads: %s", f >= 0 ? got : "(failed)\n");

    snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)child, up[1]);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink of its pipe end: %s\n", strncmp(link, "pipe:[", 6) == 0 ? "pipe:[N]" : link);
    snprintf(path, sizeof path, "/proc/%d/fd/99", (int)child);
    errno = 0;
    printf("missing descriptor: %s\n", readlink(path, link, sizeof link) < 0 ? strerror(errno) : "found");
    printf("stat of a missing descriptor: %s\n", stat(path, &a) < 0 ? strerror(errno) : "found");

    if (write(down[1], &c, 1) != 1)
        return 1;
    /* The child exits: until it is waited for, /proc still shows it, a zombie. */
    siginfo_t si;
    waitid(P_PID, child, &si, WEXITED | WNOWAIT);
    snprintf(path, sizeof path, "/proc/%d/stat", (int)child);
    ssize_t zn = slurp(path, buf1, sizeof buf1);
    char *close_paren = zn > 0 ? strrchr(buf1, ')') : NULL;
    printf("a zombie's stat: %s\n", close_paren ? (close_paren[2] == 'Z' ? "state Z" : "another state") : "unreadable");
    waitpid(child, NULL, 0);

    ssize_t ns = slurp("/proc/self/statm", buf1, sizeof buf1);
    ssize_t nt = slurp("/proc/self/status", buf2, sizeof buf2);
    long v[7];
    int got7 = ns > 0 && sscanf(buf1, "%ld %ld %ld %ld %ld %ld %ld", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                                &v[6]) == 7;
    long kb = sysconf(_SC_PAGESIZE) / 1024;
    printf("statm has seven numbers: %s\n", got7 ? "yes" : "no");
    if (got7 && nt > 0) {
        printf("statm size is VmSize: %s\n", v[0] * kb == field(buf2, "VmSize:") ? "yes" : "no");
        printf("resident <= size: %s\n", v[1] <= v[0] ? "yes" : "no");
    }
    return 0;
}
