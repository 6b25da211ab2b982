/* signalfd: blocked signals read as signalfd_siginfo records (kill, sigqueue, tgkill, a
 * child's exit, a POSIX timer), poll and epoll readiness, a blocking read woken by a signal,
 * changing the mask of an existing descriptor, and the argument checks. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r)
{
    if (r >= 0) return "ok";
    switch (errno) {
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    default: return "other";
    }
}

static void show(const struct signalfd_siginfo *s, pid_t self)
{
    printf("  signo %u code %d pid %s uid %s int %d status %d\n", s->ssi_signo, s->ssi_code,
           s->ssi_pid == (uint32_t)self ? "self" : s->ssi_pid ? "other" : "0",
           s->ssi_uid == getuid() ? "mine" : "other", s->ssi_int, s->ssi_status);
}

static int drain(int fd, pid_t self)
{
    struct signalfd_siginfo buf[4];
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0) {
        printf("read: %s\n", err(n));
        return 0;
    }
    printf("read %zd bytes (%zd records)\n", n, n / (ssize_t)sizeof buf[0]);
    for (ssize_t i = 0; i < n / (ssize_t)sizeof buf[0]; i++) show(&buf[i], self);
    return (int)(n / sizeof buf[0]);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t self = getpid();
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGRTMIN);
    sigaddset(&block, SIGRTMIN + 1);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);

    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGUSR1);
    sigaddset(&want, SIGRTMIN);
    int sfd = signalfd(-1, &want, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd: %s\n", err(sfd));
    drain(sfd, self);

    struct pollfd p = {sfd, POLLIN, 0};
    printf("poll before a signal: %d\n", poll(&p, 1, 0));
    kill(self, SIGUSR1);
    printf("poll after kill: %d revents %x\n", poll(&p, 1, 0), p.revents);
    drain(sfd, self);
    printf("poll after the read: %d\n", poll(&p, 1, 0));

    union sigval v = {.sival_int = 42};
    sigqueue(self, SIGRTMIN, v);
    v.sival_int = 43;
    sigqueue(self, SIGRTMIN, v);
    kill(self, SIGUSR1);
    drain(sfd, self);

    raise(SIGUSR2);
    drain(sfd, self);
    sigset_t pend;
    sigpending(&pend);
    printf("USR2 still pending: %d\n", sigismember(&pend, SIGUSR2));
    sigset_t other;
    sigemptyset(&other);
    sigaddset(&other, SIGUSR2);
    printf("change the mask: %d\n", signalfd(sfd, &other, 0) == sfd);
    drain(sfd, self);

    syscall(SYS_tgkill, self, syscall(SYS_gettid), SIGUSR2);
    drain(sfd, self);

    char small[64];
    printf("short read: %s\n", err(read(sfd, small, sizeof small)));
    printf("bad flags: %s\n", err(syscall(SYS_signalfd4, -1, &want, 8, 1)));
    printf("bad mask pointer: %s\n", err(syscall(SYS_signalfd4, -1, (void *)8, 8, 0)));
    int pp[2];
    pipe(pp);
    printf("on a pipe: %s\n", err(signalfd(pp[0], &want, 0)));
    printf("bad fd: %s\n", err(signalfd(77, &want, 0)));
    close(pp[0]);
    close(pp[1]);

    /* epoll readiness, then a blocking read woken by a child's exit. */
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigaddset(&chld, SIGRTMIN + 1);
    int cfd = signalfd(-1, &chld, 0);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
    printf("epoll before: %d\n", epoll_wait(ep, &out, 1, 0));
    pid_t child = fork();
    if (child == 0) {
        struct timespec t = {0, 20 * 1000 * 1000};
        nanosleep(&t, NULL);
        _exit(3);
    }
    int n = epoll_wait(ep, &out, 1, 5000);
    printf("epoll after the child: %d data %u\n", n, out.data.u32);
    struct signalfd_siginfo s;
    ssize_t r = read(cfd, &s, sizeof s);
    printf("blocking read: %zd, signo %u code %d status %d child %d\n", r, s.ssi_signo, s.ssi_code,
           s.ssi_status, s.ssi_pid == (uint32_t)child);
    waitpid(child, NULL, 0);

    timer_t tm;
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN + 1;
    sev.sigev_value.sival_int = 7;
    timer_create(CLOCK_MONOTONIC, &sev, &tm);
    struct itimerspec its = {{0, 0}, {0, 10 * 1000 * 1000}};
    timer_settime(tm, 0, &its, NULL);
    r = read(cfd, &s, sizeof s);
    printf("timer: %zd, signo is RTMIN+1 %d, code %d, int %d, overrun %u\n", r,
           s.ssi_signo == (uint32_t)SIGRTMIN + 1, s.ssi_code, s.ssi_int, s.ssi_overrun);
    timer_delete(tm);
    close(ep);
    close(cfd);
    close(sfd);
    return 0;
}
