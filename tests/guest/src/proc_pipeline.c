/* fork/exec/pipe chains: the parent builds gen | square | sum from three children joined by pipes
 * (each child dup2s its pipe ends onto stdin/stdout), plus a fourth child that exits with 42, reads
 * the last stage's output through a third pipe, waits for every child and prints each one's exit
 * status in a fixed order (by role, not by pid or completion order).
 * Each child first tries execve("/proc/self/exe", {argv0, "stage", ROLE}) and, if that fails, runs
 * the stage in-process: qemu-user without binfmt_misc cannot run an AArch64 /proc/self/exe
 * (ENOEXEC), kvrm can; the output is the same either way. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define N 2000

static int stage(const char *role)
{
    if (!strcmp(role, "gen")) {
        for (int i = 1; i <= N; i++) printf("%d\n", i);
        return 0;
    }
    if (!strcmp(role, "square")) {
        long v;
        int n = 0;
        while (scanf("%ld", &v) == 1) {
            printf("%ld\n", v * v);
            n++;
        }
        return n == N ? 0 : 1;
    }
    if (!strcmp(role, "sum")) {
        long v, s = 0, n = 0;
        while (scanf("%ld", &v) == 1) {
            s += v;
            n++;
        }
        printf("sum of %ld squares: %ld\n", n, s);
        return (int)(s % 251); /* a nonzero status */
    }
    if (!strcmp(role, "fail")) return 42;
    return 100;
}

static pid_t spawn(const char *argv0, const char *role, int in, int out, int *close_fds, int nclose)
{
    fflush(stdout);
    pid_t p = fork();
    if (p != 0) return p;
    if (in >= 0) dup2(in, 0);
    if (out >= 0) dup2(out, 1);
    for (int i = 0; i < nclose; i++) close(close_fds[i]);
    char *argv[] = {(char *)argv0, "stage", (char *)role, NULL};
    execv("/proc/self/exe", argv);
    int r = stage(role); /* exec failed (qemu-user: ENOEXEC): same stage, in this process */
    fflush(stdout);
    _exit(r);
}

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "stage")) {
        int r = stage(argv[2]);
        fflush(stdout);
        return r;
    }
    int a[2], b[2], c[2];
    if (pipe(a) || pipe(b) || pipe(c)) return 1;
    int all[6] = {a[0], a[1], b[0], b[1], c[0], c[1]};
    const char *roles[4] = {"gen", "square", "sum", "fail"};
    pid_t pids[4];
    pids[0] = spawn(argv[0], "gen", -1, a[1], all, 6);
    pids[1] = spawn(argv[0], "square", a[0], b[1], all, 6);
    pids[2] = spawn(argv[0], "sum", b[0], c[1], all, 6);
    pids[3] = spawn(argv[0], "fail", -1, -1, all, 6);
    for (int i = 0; i < 6; i++)
        if (all[i] != c[0]) close(all[i]);

    char buf[256];
    size_t got = 0;
    ssize_t r;
    while ((r = read(c[0], buf + got, sizeof buf - 1 - got)) > 0) got += (size_t)r;
    buf[got] = 0;
    close(c[0]);
    printf("pipeline output: %s", buf);

    int status[4] = {0}, reaped = 0;
    for (;;) {
        int st;
        pid_t p = wait(&st);
        if (p < 0) {
            printf("wait after the last child: %s\n", errno == ECHILD ? "ECHILD" : "other");
            break;
        }
        for (int i = 0; i < 4; i++)
            if (pids[i] == p) status[i] = st, reaped++;
    }
    printf("reaped %d children\n", reaped);
    for (int i = 0; i < 4; i++)
        printf("%-6s exited %d, status %d\n", roles[i], WIFEXITED(status[i]), WEXITSTATUS(status[i]));
    long s = 0;
    for (long i = 1; i <= N; i++) s += i * i;
    printf("expected sum %ld, status %ld\n", s, s % 251);
    return 0;
}
