/* File names that are not UTF-8: Linux paths are any bytes but NUL, so a directory named
 * "d\xff" must work as a base for the *at calls (through its descriptor and as the cwd), and
 * getcwd, readlink of /proc/self/cwd and /proc/self/fd/N and getdents must give back its exact
 * bytes. Relative paths only (the case runs in a scratch directory whose path varies); names are
 * printed as hex, and of an absolute path only its last components. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define DIR_NAME "d\xff"
#define FILE_NAME "x\xc3\xa9"     /* valid UTF-8 ("xé"), inside a non-UTF-8 directory */
#define RENAMED "y\xfe"
#define NESTED "n\x80\x81"
#define NESTED_FILE "z\xff"

static void check(const char *what, long v)
{
    printf("%s: %s\n", what, v < 0 ? strerror(errno) : "ok");
}

static void put_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) printf("%02x", (unsigned char)s[i]);
}

/* Prints the last `k` components of absolute path `p`, each as hex, '/'-separated. */
static void print_tail(const char *what, const char *p, int k)
{
    const char *start = p + strlen(p);
    for (int seen = 0; start > p && seen < k;)
        if (*--start == '/') seen++;
    printf("%s: ", what);
    for (const char *c = start; *c;) {
        if (*c == '/') {
            putchar('/');
            c++;
            continue;
        }
        size_t n = strcspn(c, "/");
        put_hex(c, n);
        c += n;
    }
    putchar('\n');
}

/* readlink of `link`, NUL-terminated into `out` (empty on failure, reported). */
static void read_link(const char *link, char *out, size_t size)
{
    ssize_t n = readlink(link, out, size - 1);
    if (n < 0) printf("readlink %s: %s\n", link, strerror(errno));
    out[n > 0 ? n : 0] = 0;
}

static void print_fd_link(const char *what, int fd, int k)
{
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    read_link(link, target, sizeof target);
    print_tail(what, target, k);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in directory `fd` (getdents64 from offset 0), sorted, as hex. */
static void list_dir(const char *what, int fd)
{
    char buf[4096], *names[64];
    int count = 0;
    lseek(fd, 0, SEEK_SET);
    for (;;) {
        long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
        if (n < 0) {
            printf("%s: getdents64: %s\n", what, strerror(errno));
            return;
        }
        if (n == 0) break;
        for (long off = 0; off < n;) {
            struct dirent64 *e = (struct dirent64 *)(buf + off);
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && count < 64)
                names[count++] = strdup(e->d_name);
            off += e->d_reclen;
        }
    }
    qsort(names, count, sizeof names[0], by_name);
    printf("%s:", what);
    for (int i = 0; i < count; i++) {
        putchar(' ');
        put_hex(names[i], strlen(names[i]));
        free(names[i]);
    }
    putchar('\n');
}

static void print_cwd(const char *what, int k)
{
    char cwd[4096], link[4096];
    if (!getcwd(cwd, sizeof cwd)) {
        printf("%s getcwd: %s\n", what, strerror(errno));
        return;
    }
    print_tail(what, cwd, k);
    read_link("/proc/self/cwd", link, sizeof link);
    printf("%s /proc/self/cwd: %s\n", what, strcmp(link, cwd) == 0 ? "same as getcwd" : "DIFFERS");
}

int main(void)
{
    struct stat st;
    char start[4096];
    if (!getcwd(start, sizeof start)) return 1;

    check("mkdir", mkdir(DIR_NAME, 0755));
    int d = open(DIR_NAME, O_RDONLY | O_DIRECTORY);
    check("open dir", d);
    print_fd_link("fd link of dir", d, 1);

    int f = openat(d, FILE_NAME, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    check("openat create", f);
    check("write", write(f, "hello", 5));
    print_fd_link("fd link of file", f, 2);
    close(f);
    check("fstatat", fstatat(d, FILE_NAME, &st, 0));
    printf("size: %lld\n", (long long)st.st_size);

    check("renameat", renameat(d, FILE_NAME, d, RENAMED));
    printf("old name after rename: %s\n",
           fstatat(d, FILE_NAME, &st, 0) < 0 ? strerror(errno) : "still there");
    check("fstatat new name", fstatat(d, RENAMED, &st, 0));

    check("mkdirat nested", mkdirat(d, NESTED, 0755));
    int e = openat(d, NESTED, O_RDONLY | O_DIRECTORY);
    check("openat nested dir", e);
    print_fd_link("fd link of nested dir", e, 2);
    int g = openat(e, NESTED_FILE, O_CREAT | O_WRONLY, 0644);
    check("openat in nested", g);
    close(g);
    check("fstatat in nested", fstatat(e, NESTED_FILE, &st, AT_SYMLINK_NOFOLLOW));

    list_dir("entries of dir", d);
    list_dir("entries of nested", e);

    check("chdir", chdir(DIR_NAME));
    print_cwd("cwd", 1);
    check("stat relative", stat(RENAMED, &st));
    int h = open(NESTED "/" NESTED_FILE, O_RDONLY);
    check("open relative in nested", h);
    close(h);
    check("chdir nested", chdir(NESTED));
    print_cwd("nested cwd", 2);
    check("fstatat AT_FDCWD", fstatat(AT_FDCWD, NESTED_FILE, &st, 0));
    check("chdir back", chdir("../.."));
    char here[4096];
    printf("back at start: %s\n", getcwd(here, sizeof here) && strcmp(here, start) == 0 ? "yes" : "no");

    check("fchdir nested", fchdir(e));
    print_cwd("fchdir cwd", 2);
    check("chdir start", chdir(start));

    check("unlinkat nested file", unlinkat(e, NESTED_FILE, 0));
    close(e);
    check("unlinkat nested dir", unlinkat(d, NESTED, AT_REMOVEDIR));
    check("unlinkat", unlinkat(d, RENAMED, 0));
    list_dir("entries after cleanup", d);
    close(d);
    check("rmdir", rmdir(DIR_NAME));
    printf("gone: %s\n", access(DIR_NAME, F_OK) < 0 && errno == ENOENT ? "yes" : "no");
    return 0;
}
