/* A blocking write() or send() of more than a pipe or socket buffer holds
 * returns only when every byte is written (the reader drains it meanwhile);
 * a handled signal while it waits ends it with the count written so far. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#define BIG (1 << 20)
static char buf[BIG];
static volatile sig_atomic_t alarmed;

static void on_alarm(int sig) {
    (void)sig;
    alarmed = 1;
}

/* A child that reads `fd` to EOF and exits with (bytes read == want). */
static pid_t drain(int fd, int other, long want) {
    pid_t pid = fork();
    if (pid == 0) {
        close(other);
        static char in[4096];
        long got = 0;
        ssize_t n;
        while ((n = read(fd, in, sizeof in)) > 0)
            got += n;
        _exit(got == want ? 0 : 1);
    }
    close(fd);
    return pid;
}

static void reap(const char *what, pid_t pid) {
    int st;
    waitpid(pid, &st, 0);
    printf("%s: reader got all %d\n", what, WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void) {
    memset(buf, 'a', sizeof buf);
    int p[2];

    pipe(p);
    pid_t r = drain(p[0], p[1], BIG);
    printf("pipe write: %zd\n", write(p[1], buf, BIG));
    close(p[1]);
    reap("pipe", r);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    r = drain(sv[0], sv[1], 2L * BIG);
    printf("socket send: %zd\n", send(sv[1], buf, BIG, 0));
    printf("socket write: %zd\n", write(sv[1], buf, BIG));
    close(sv[1]);
    reap("socket", r);

    /* Nobody reads: the write fills the pipe and waits until SIGALRM's
     * handler interrupts it, then returns what the pipe took. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    pipe(p);
    struct itimerval it = {{0, 0}, {0, 100000}};
    setitimer(ITIMER_REAL, &it, NULL);
    ssize_t n = write(p[1], buf, BIG);
    printf("interrupted write: handler ran %d, part written %d\n", (int)alarmed, n > 0 && n < BIG);
    /* With nothing written, the signal makes it EINTR. */
    alarmed = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    n = write(p[1], buf, BIG);
    printf("full pipe write: %zd handler ran %d\n", n, (int)alarmed);
    return 0;
}
