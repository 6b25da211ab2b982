/* File I/O inside the working directory (a scratch directory): create, write, read back, stat,
 * lseek/pread/pwrite, ftruncate, append, dup, rename, unlink, mkdir/rmdir, readdir (sorted),
 * symlink/readlink, stdio streams, errno values. Only relative paths are used. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void list(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) { printf("opendir %s: errno %d\n", dir, errno); return; }
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) names[n++] = strdup(e->d_name);
    closedir(d);
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
            if (strcmp(names[j], names[i]) < 0) { char *t = names[i]; names[i] = names[j]; names[j] = t; }
    printf("ls %s:", dir);
    for (int i = 0; i < n; i++) {
        char path[300];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (lstat(path, &st) == 0 && strcmp(names[i], ".") && strcmp(names[i], ".."))
            printf(" %s(%c%o,%lld)", names[i], S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : S_ISREG(st.st_mode) ? 'f' : '?',
                   st.st_mode & 0777, S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size);
        else
            printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

#define CHECK(x) do { if ((x) < 0) printf("FAILED %s: errno %d\n", #x, errno); } while (0)

int main(void)
{
    umask(022);
    CHECK(mkdir("work", 0755));
    CHECK(chdir("work"));
    int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd);
    const char msg[] = "hello, file\nsecond line\n";
    printf("write %zd\n", write(fd, msg, sizeof msg - 1));
    CHECK(close(fd));
    struct stat st;
    CHECK(stat("a.txt", &st));
    printf("stat size %lld mode %o reg %d\n", (long long)st.st_size, st.st_mode & 07777, S_ISREG(st.st_mode));
    char buf[512];
    fd = open("a.txt", O_RDONLY);
    ssize_t n = read(fd, buf, sizeof buf);
    printf("read %zd: %.*s", n, (int)n, buf);
    printf("read at eof %zd\n", read(fd, buf, 10));
    printf("lseek end %lld set %lld cur %lld\n", (long long)lseek(fd, 0, SEEK_END), (long long)lseek(fd, 7, SEEK_SET),
           (long long)lseek(fd, 2, SEEK_CUR));
    n = read(fd, buf, 6);
    printf("after seek read %zd [%.*s]\n", n, (int)n, buf);
    int fd2 = dup(fd);
    printf("dup shares offset: %lld\n", (long long)lseek(fd2, 0, SEEK_CUR));
    close(fd2);
    close(fd);

    fd = open("b.bin", O_CREAT | O_RDWR | O_EXCL, 0600);
    CHECK(fd);
    unsigned char big[70000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (unsigned char)(i * 7 + (i >> 8));
    printf("write big %zd\n", write(fd, big, sizeof big));
    printf("pwrite %zd pread ", pwrite(fd, "XYZ", 3, 100));
    n = pread(fd, buf, 8, 98);
    printf("%zd [%02x %02x %c %c %c %02x]\n", n, buf[0] & 0xff, buf[1] & 0xff, buf[2], buf[3], buf[4], buf[5] & 0xff);
    CHECK(ftruncate(fd, 1000));
    CHECK(fstat(fd, &st));
    printf("after ftruncate size %lld mode %o\n", (long long)st.st_size, st.st_mode & 0777);
    CHECK(ftruncate(fd, 5000));
    lseek(fd, 0, SEEK_SET);
    unsigned long sum = 0, zeros = 0;
    while ((n = read(fd, buf, 333)) > 0)
        for (ssize_t i = 0; i < n; i++) { sum += (unsigned char)buf[i]; zeros += buf[i] == 0; }
    printf("read back sum %lu zeros %lu\n", sum, zeros);
    close(fd);
    fd = open("b.bin", O_CREAT | O_EXCL | O_WRONLY, 0600);
    printf("O_EXCL on existing: %d errno %s\n", fd, errno == EEXIST ? "EEXIST" : "other");

    fd = open("a.txt", O_WRONLY | O_APPEND);
    lseek(fd, 0, SEEK_SET);
    printf("append write %zd\n", write(fd, "third\n", 6));
    close(fd);
    FILE *f = fopen("a.txt", "r");
    int lines = 0;
    while (fgets(buf, sizeof buf, f)) printf("line %d: %s", ++lines, buf);
    fclose(f);
    f = fopen("c.txt", "w+");
    for (int i = 0; i < 1000; i++) fprintf(f, "%d,", i * i);
    printf("ftell %ld\n", ftell(f));
    rewind(f);
    long total = 0;
    int v;
    while (fscanf(f, "%d,", &v) == 1) total += v;
    printf("fscanf total %ld\n", total);
    fclose(f);

    CHECK(rename("a.txt", "renamed.txt"));
    printf("stat old name: %d errno %s\n", stat("a.txt", &st), errno == ENOENT ? "ENOENT" : "other");
    CHECK(mkdir("sub", 0700));
    CHECK(mkdir("sub/deeper", 0750));
    CHECK(rename("c.txt", "sub/c.txt"));
    CHECK(symlink("renamed.txt", "link"));
    n = readlink("link", buf, sizeof buf);
    printf("readlink %zd [%.*s]\n", n, (int)(n > 0 ? n : 0), buf);
    CHECK(stat("link", &st));
    printf("stat through link size %lld\n", (long long)st.st_size);
    printf("access: %d %d\n", access("renamed.txt", R_OK), access("missing", F_OK));
    int dfd = open("sub", O_RDONLY | O_DIRECTORY);
    CHECK(dfd);
    CHECK(fstatat(dfd, "c.txt", &st, 0));
    printf("fstatat size %lld\n", (long long)st.st_size);
    fd = openat(dfd, "new.txt", O_CREAT | O_WRONLY, 0644);
    CHECK(fd);
    close(fd);
    close(dfd);
    list(".");
    list("sub");
    printf("rmdir non-empty: %d errno %s\n", rmdir("sub"), errno == ENOTEMPTY || errno == EEXIST ? "ENOTEMPTY" : "other");
    printf("unlink dir: %d errno %s\n", unlink("sub/deeper"), errno == EISDIR || errno == EPERM ? "EISDIR/EPERM" : "other");
    printf("open missing: %d errno %s\n", open("nope/x", O_RDONLY), errno == ENOENT ? "ENOENT" : "other");
    CHECK(unlink("sub/c.txt"));
    CHECK(unlink("sub/new.txt"));
    CHECK(rmdir("sub/deeper"));
    CHECK(rmdir("sub"));
    CHECK(unlink("link"));
    CHECK(unlink("b.bin"));
    list(".");
    CHECK(unlink("renamed.txt"));
    CHECK(chdir(".."));
    CHECK(rmdir("work"));
    list(".");
    return 0;
}
