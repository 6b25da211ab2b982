/* Children that die of signals: one blocked in read() is killed with SIGKILL by the parent, one
 * writes through a null pointer (SIGSEGV), one calls abort() (SIGABRT), one exits normally with 7;
 * the parent prints WIFEXITED/WIFSIGNALED/WTERMSIG/WEXITSTATUS for each, in a fixed order.
 * With the argument "selfsegv" the program itself flushes a line and then dies of SIGSEGV
 * (exit status 139). Core dumps are disabled (RLIMIT_CORE 0), so nothing depends on the host's. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void null_write(void)
{
    volatile int *p = NULL;
    *p = 1;
}

static void report(const char *what, pid_t pid)
{
    int st;
    pid_t r = waitpid(pid, &st, 0);
    printf("%-8s waited %d exited %d signaled %d", what, r == pid, WIFEXITED(st), WIFSIGNALED(st));
    if (WIFSIGNALED(st)) printf(" termsig %d (%s)", WTERMSIG(st), strsignal(WTERMSIG(st)));
    if (WIFEXITED(st)) printf(" status %d", WEXITSTATUS(st));
    printf("\n");
    fflush(stdout); /* before the next fork: a child that exits normally would print it again */
}

int main(int argc, char **argv)
{
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    if (argc > 1 && !strcmp(argv[1], "selfsegv")) {
        printf("about to write through a null pointer\n");
        fflush(stdout);
        null_write();
        printf("not reached\n");
        return 0;
    }

    int ready[2], block[2];
    if (pipe(ready) || pipe(block)) return 1;
    fflush(stdout);
    pid_t killed = fork();
    if (killed == 0) {
        char c;
        write(ready[1], "r", 1);
        read(block[0], &c, 1); /* never written: blocks until SIGKILL */
        _exit(1);
    }
    char c;
    read(ready[0], &c, 1); /* the child is running (blocked or about to block) */
    kill(killed, SIGKILL);
    report("sigkill", killed);

    pid_t segv = fork();
    if (segv == 0) {
        null_write();
        _exit(1);
    }
    report("sigsegv", segv);

    pid_t ab = fork();
    if (ab == 0) abort();
    report("abort", ab);

    pid_t normal = fork();
    if (normal == 0) exit(7);
    report("exit", normal);

    /* SIGTERM to a child that ignores it, then SIGKILL */
    pid_t ign = fork();
    if (ign == 0) {
        signal(SIGTERM, SIG_IGN);
        write(ready[1], "r", 1);
        read(block[0], &c, 1);
        _exit(2);
    }
    read(ready[0], &c, 1);
    kill(ign, SIGTERM);
    kill(ign, SIGKILL);
    report("ignterm", ign);
    return 0;
}
