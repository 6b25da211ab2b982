/* prctl calls servers make: PR_SET_PDEATHSIG (the signal a child gets when its parent ends; not
 * inherited by fork; PostgreSQL's children ask for it) and settings read back after setting them
 * (KEEPCAPS, NO_NEW_PRIVS, TIMERSLACK). Values the host's sandbox may decide (seccomp, the
 * bounding set, the values before setting) are not printed, nor what qemu-user 7.2 does not
 * emulate (PR_SET_CHILD_SUBREAPER, PR_SET_THP_DISABLE). */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-30s -1 %s\n", what, strerror(errno));
    else
        printf("%-30s %ld\n", what, r);
}

static int get_int(int option)
{
    int v = -1;
    prctl(option, &v, 0, 0, 0);
    return v;
}

static volatile sig_atomic_t parent_died;
static void on_usr2(int sig) { (void)sig; parent_died = 1; }

int main(void)
{
    show("GET_PDEATHSIG", get_int(PR_GET_PDEATHSIG));
    show("SET_PDEATHSIG SIGUSR1", prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
    show("GET_PDEATHSIG", get_int(PR_GET_PDEATHSIG));
    show("SET_PDEATHSIG 99", prctl(PR_SET_PDEATHSIG, 99, 0, 0, 0));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        printf("child: pdeathsig %d\n", get_int(PR_GET_PDEATHSIG));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);

    /* a -> b; b asks for SIGUSR2 when a ends; a ends; b tells through a pipe. */
    int ready[2], told[2];
    pipe(ready);
    pipe(told);
    fflush(stdout);
    pid_t a = fork();
    if (a == 0) {
        pid_t b = fork();
        if (b == 0) {
            signal(SIGUSR2, on_usr2);
            prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
            write(ready[1], "r", 1);
            while (!parent_died)
                usleep(1000);
            write(told[1], "d", 1);
            _exit(5);
        }
        char x;
        read(ready[0], &x, 1);
        _exit(3);
    }
    int st;
    show("a ends with", waitpid(a, &st, 0) == a ? WEXITSTATUS(st) : -1);
    char x = '?';
    read(told[0], &x, 1);
    printf("b got its signal              %c\n", x);
    show("wait again", wait(&st));

    show("SET_KEEPCAPS 1", prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    show("GET_KEEPCAPS", prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0));
    show("SET_KEEPCAPS 2", prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0));
    show("SET_NO_NEW_PRIVS", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    show("GET_NO_NEW_PRIVS", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    show("SET_TIMERSLACK", prctl(PR_SET_TIMERSLACK, 123456, 0, 0, 0));
    show("GET_TIMERSLACK", prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
    show("unknown option", prctl(0x7fff, 0, 0, 0, 0));
    return 0;
}
