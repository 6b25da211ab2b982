// File-system syscalls through glibc, inside a scratch directory of the cwd.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char **)a, *(char **)b); }

int main(void) {
    char buf[256];
    setvbuf(stdout, NULL, _IOLBF, 0);
    mkdir("scratch", 0755);
    if (chdir("scratch") != 0) { perror("chdir"); return 1; }
    int fd = open("f.txt", O_CREAT | O_TRUNC | O_RDWR, 0644);
    if (fd < 0) { perror("open"); return 1; }
    write(fd, "0123456789", 10);
    lseek(fd, 3, SEEK_SET);
    int n = read(fd, buf, 4);
    buf[n] = 0;
    printf("read %d: %s\n", n, buf);
    struct stat st;
    fstat(fd, &st);
    printf("size %ld regular %d\n", (long)st.st_size, S_ISREG(st.st_mode));
    close(fd);
    FILE *f = fopen("g.txt", "w");
    fprintf(f, "line one\nline two\n");
    fclose(f);
    f = fopen("g.txt", "r");
    while (fgets(buf, sizeof buf, f)) printf("got: %s", buf);
    fclose(f);
    symlink("f.txt", "link");
    n = readlink("link", buf, sizeof buf);
    buf[n] = 0;
    printf("readlink: %s\n", buf);
    rename("g.txt", "h.txt");
    mkdir("sub", 0700);
    DIR *d = opendir(".");
    char *names[32];
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) && k < 32) names[k++] = strdup(e->d_name);
    closedir(d);
    qsort(names, k, sizeof *names, cmp);
    for (int i = 0; i < k; i++) printf("entry %s\n", names[i]);
    getcwd(buf, sizeof buf);
    printf("cwd ends with scratch: %d\n", strcmp(buf + strlen(buf) - 7, "scratch") == 0);
    printf("open missing: %d %s\n", open("missing", O_RDONLY), strerror(errno));
    printf("stat via link: %d\n", stat("link", &st) == 0 && st.st_size == 10);
    printf("lstat link: %d\n", lstat("link", &st) == 0 && S_ISLNK(st.st_mode));
    printf("access: %d %d\n", access("f.txt", R_OK), access("nope", F_OK));
    int p[2];
    pipe(p);
    write(p[1], "through a pipe", 14);
    n = read(p[0], buf, sizeof buf);
    printf("pipe: %.*s\n", n, buf);
    int saved = dup(1);
    dup2(p[1], 1);
    printf("into the pipe\n");
    fflush(stdout);
    dup2(saved, 1);
    n = read(p[0], buf, sizeof buf);
    printf("pipe2: %.*s", n, buf);
    unlink("f.txt");
    unlink("h.txt");
    unlink("link");
    rmdir("sub");
    chdir("..");
    printf("rmdir scratch: %d\n", rmdir("scratch"));
    return 0;
}
