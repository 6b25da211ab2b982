/* O_ASYNC: SIGIO to the owner set with F_SETOWN when input arrives on a socket or a pipe (again
 * after the reader emptied it), F_SETSIG's signal with si_code, si_fd and si_band, a process
 * group as owner, FIOASYNC and F_SETFL turning it on and off, F_GETOWN_EX. nginx's master sets
 * it on its worker channels. Prints whether signals came, not how many (Linux may send one per
 * write). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t sigio_count, rt_count, rt_code, rt_fd, rt_band;

static void on_sigio(int sig) { (void)sig; sigio_count++; }

static void on_rt(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    if (rt_count++ == 0) {
        rt_code = si->si_code;
        rt_fd = si->si_fd;
        rt_band = si->si_band;
    }
}

/* Wait up to a second for `*count` to move. */
static const char *came(volatile sig_atomic_t *count)
{
    for (int i = 0; i < 1000 && *count == 0; i++)
        usleep(1000);
    return *count ? "yes" : "no";
}

static void drain(int fd)
{
    char buf[64];
    while (read(fd, buf, sizeof buf) > 0) {
    }
}

int main(void)
{
    signal(SIGIO, on_sigio);
    int s[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, s);
    printf("F_SETOWN            %d\n", fcntl(s[0], F_SETOWN, getpid()));
    printf("F_GETOWN is me      %s\n", fcntl(s[0], F_GETOWN) == getpid() ? "yes" : "no");
    printf("F_SETFL O_ASYNC     %d\n", fcntl(s[0], F_SETFL, O_ASYNC | O_NONBLOCK));
    printf("F_GETFL has O_ASYNC %s\n", fcntl(s[0], F_GETFL) & O_ASYNC ? "yes" : "no");
    usleep(20000);
    printf("signal before input %s\n", sigio_count ? "yes" : "no");
    write(s[1], "a", 1);
    printf("SIGIO on input      %s\n", came(&sigio_count));
    drain(s[0]);
    sigio_count = 0;
    write(s[1], "b", 1);
    printf("again after drain   %s\n", came(&sigio_count));
    drain(s[0]);

    int off = 0;
    printf("FIOASYNC off        %d\n", ioctl(s[0], FIOASYNC, &off));
    printf("F_GETFL has O_ASYNC %s\n", fcntl(s[0], F_GETFL) & O_ASYNC ? "yes" : "no");
    sigio_count = 0;
    write(s[1], "c", 1);
    usleep(100000);
    printf("signal when off     %s\n", sigio_count ? "yes" : "no");
    drain(s[0]);

    /* F_SETSIG: a queued signal with the reason and the descriptor. */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_rt;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGRTMIN + 2, &sa, NULL);
    printf("F_SETSIG            %d\n", fcntl(s[0], F_SETSIG, SIGRTMIN + 2));
    printf("F_GETSIG is it      %s\n", fcntl(s[0], F_GETSIG) == SIGRTMIN + 2 ? "yes" : "no");
    int on = 1;
    printf("FIOASYNC on         %d\n", ioctl(s[0], FIOASYNC, &on));
    write(s[1], "d", 1);
    printf("F_SETSIG signal     %s\n", came(&rt_count));
    printf("  si_code %d si_fd is the socket %s POLLIN in si_band %s\n", (int)rt_code,
           rt_fd == s[0] ? "yes" : "no", rt_band & POLLIN ? "yes" : "no");
    drain(s[0]);
    fcntl(s[0], F_SETFL, O_NONBLOCK);

    /* A pipe owned by this process group, written by a child. */
    int p[2];
    pipe(p);
    printf("F_SETOWN -pgrp      %d\n", fcntl(p[0], F_SETOWN, -getpgrp()));
    struct f_owner_ex ex = {0};
    printf("F_GETOWN_EX         %d\n", fcntl(p[0], F_GETOWN_EX, &ex));
    printf("  type is pgrp %s pid is my group %s\n", ex.type == F_OWNER_PGRP ? "yes" : "no",
           ex.pid == getpgrp() ? "yes" : "no");
    ex.type = F_OWNER_PID;
    ex.pid = getpid();
    printf("F_SETOWN_EX pid     %d\n", fcntl(p[0], F_SETOWN_EX, &ex));
    printf("F_GETOWN is me      %s\n", fcntl(p[0], F_GETOWN) == getpid() ? "yes" : "no");
    ex.type = 9;
    printf("F_SETOWN_EX bad     %d %s\n", fcntl(p[0], F_SETOWN_EX, &ex), strerror(errno));
    fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK);
    sigio_count = 0;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        usleep(20000);
        write(p[1], "e", 1);
        _exit(0);
    }
    printf("SIGIO from a child  %s\n", came(&sigio_count));
    waitpid(c, NULL, 0);
    return 0;
}
