/* signalfd: blocked signals read as struct signalfd_siginfo (order, codes, sender, sigqueue
 * value), its readiness in poll and epoll, a blocking read woken by a child's kill, SIGCHLD with
 * the child's status after a new mask on the same descriptor, argument errors (not a sizemask
 * other than 8: Linux refuses it, qemu-user accepts it). Compared with qemu; the outputs print
 * no pids or descriptor numbers. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-26s -1 %s\n", what, strerror(errno));
    else
        printf("%-26s %ld\n", what, r);
}

static void readable(const char *what, int fd)
{
    struct pollfd p = {fd, POLLIN, 0};
    int r = poll(&p, 1, 0);
    printf("%-26s %d %s\n", what, r, p.revents & POLLIN ? "POLLIN" : "-");
}

/* One record: signal, code, whether the sender is `from`, the sigqueue value. */
static void record(const struct signalfd_siginfo *s, pid_t from)
{
    printf("  signo %u code %d from %s uid %s int %d\n", s->ssi_signo, s->ssi_code,
           (pid_t)s->ssi_pid == from ? "expected" : "other",
           s->ssi_uid == (unsigned)getuid() ? "mine" : "other", s->ssi_int);
}

int main(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 1);
    sigset_t block = set;
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);

    int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd made              %s\n", fd >= 0 ? "yes" : "no");
    printf("cloexec %d nonblock %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    struct signalfd_siginfo si[4];
    show("read nothing pending", read(fd, si, sizeof si));
    readable("poll nothing pending", fd);

    kill(getpid(), SIGUSR2);
    kill(getpid(), SIGUSR1);
    union sigval v = {.sival_int = 42};
    sigqueue(getpid(), SIGRTMIN + 1, v);
    readable("poll three pending", fd);
    long n = read(fd, si, sizeof si);
    show("read three", n);
    for (long i = 0; i < n / (long)sizeof si[0]; i++)
        record(&si[i], getpid());
    show("read after", read(fd, si, sizeof si));
    readable("poll after", fd);
    kill(getpid(), SIGUSR1);
    show("read short buffer", read(fd, si, 100));
    show("read one slot", read(fd, si, sizeof si[0] + 10));
    record(&si[0], getpid());

    /* epoll: a signal raised by the thread itself (tgkill). */
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 77};
    show("epoll_ctl add", epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    struct epoll_event got[2];
    show("epoll_wait nothing", epoll_wait(ep, got, 2, 0));
    raise(SIGUSR2);
    n = epoll_wait(ep, got, 2, 1000);
    printf("epoll_wait raised           %ld data %lu\n", n, n > 0 ? (unsigned long)got[0].data.u64 : 0ul);
    show("read raised", read(fd, si, sizeof si));
    record(&si[0], getpid());

    /* A blocking read that a child's kill ends; then SIGCHLD through the same descriptor. */
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR2);
    int bfd = signalfd(-1, &one, 0);
    pid_t child = fork();
    if (child == 0) {
        usleep(50000);
        kill(getppid(), SIGUSR2);
        usleep(50000);
        _exit(7);
    }
    n = read(bfd, si, sizeof si);
    show("blocking read", n);
    record(&si[0], child);
    sigaddset(&one, SIGCHLD);
    printf("new mask same fd           %s\n", signalfd(bfd, &one, 0) == bfd ? "yes" : "no");
    n = read(bfd, si, sizeof si);
    show("read SIGCHLD", n);
    printf("  signo %u code %d status %d from child %s\n", si[0].ssi_signo, si[0].ssi_code,
           si[0].ssi_status, (pid_t)si[0].ssi_pid == child ? "yes" : "no");
    int st;
    show("waitpid", waitpid(child, &st, 0) == child);

    int p[2];
    pipe(p);
    show("signalfd on a pipe", signalfd(p[0], &set, 0));
    show("bad flags", signalfd(-1, &set, 0x40));
    show("bad fd", signalfd(999, &set, 0));
    show("mask fault", syscall(SYS_signalfd4, -1, (void *)16, 8, 0));
    return 0;
}
