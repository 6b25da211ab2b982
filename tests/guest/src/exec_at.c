/* A program run from an open descriptor: fexecve (glibc tries execveat with AT_EMPTY_PATH,
 * then /proc/self/fd/N), and execve of /proc/self/fd/N and /dev/fd/N. The children run a copy
 * of this program with an argument that makes them print and exit. (execveat's own cases are
 * left out: qemu-aarch64 7.2, the oracle, does not implement it. Recording needs binfmt_misc
 * to run the children under qemu.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *err(long r)
{
    if (r >= 0) return "ok";
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    default: return "other";
    }
}

/* Run `how` in a child and report what the child printed via its exit status. */
static void run(const char *label, int how, int fd)
{
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        char *argv[] = {"exec_at", "child", (char *)label, NULL};
        char path[64];
        switch (how) {
        case 1: fexecve(fd, argv, environ); break;
        case 2: snprintf(path, sizeof path, "/proc/self/fd/%d", fd); execve(path, argv, environ); break;
        case 3: snprintf(path, sizeof path, "/dev/fd/%d", fd); execve(path, argv, environ); break;
        }
        printf("%s: exec failed: %s\n", label, err(-1));
        fflush(stdout);
        _exit(1);
    }
    int st;
    waitpid(p, &st, 0);
    printf("%s: status %d\n", label, WEXITSTATUS(st));
}

static void copy_file(const char *from, int to)
{
    int in = open(from, O_RDONLY);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0) write(to, buf, n);
    close(in);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0) {
        printf("%s: child runs\n", argv[2]);
        return 7;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int self = open("/proc/self/exe", O_RDONLY);
    int copy = open("prog.copy", O_CREAT | O_WRONLY | O_TRUNC, 0755);
    copy_file("/proc/self/exe", copy);
    close(copy);
    int prog = open("prog.copy", O_RDONLY | O_CLOEXEC);
    run("fexecve", 1, prog);
    run("/proc/self/fd", 2, prog);
    run("/dev/fd", 3, prog);
    close(self);
    unlink("prog.copy");
    return 0;
}
