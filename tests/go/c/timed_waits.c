// Every thread waits with a timeout on a descriptor or a futex: ppoll on a
// pipe, epoll_wait on an eventfd, select, a condition variable's timed wait.
// Under --deterministic the virtual clock must jump to the nearest deadline
// (a host wait would never move it). Then a wait that an event ends early.
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static int pipefd[2];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void *poller(void *arg) {
    long ms = (long)arg;
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    struct timespec t = {.tv_sec = 0, .tv_nsec = ms * 1000000};
    long long s = now_ms();
    int r = ppoll(&p, 1, &t, NULL);
    printf("ppoll: %d after >= %ldms: %d\n", r, ms, now_ms() - s >= ms);
    return NULL;
}

static void *cond_waiter(void *arg) {
    (void)arg;
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_nsec += 20 * 1000000;
    if (until.tv_nsec >= 1000000000) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&mu);
    int r = pthread_cond_timedwait(&cv, &mu, &until);
    pthread_mutex_unlock(&mu);
    printf("cond_timedwait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : strerror(r));
    return NULL;
}

static void *writer(void *arg) {
    (void)arg;
    usleep(15000);
    write(pipefd[1], "x", 1);
    return NULL;
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe(pipefd);
    int efd = eventfd(0, EFD_CLOEXEC);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 7};
    epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev);

    pthread_t a, b;
    pthread_create(&a, NULL, poller, (void *)30L);
    pthread_join(a, NULL);
    pthread_create(&b, NULL, cond_waiter, NULL);
    pthread_join(b, NULL);

    struct epoll_event out;
    long long s = now_ms();
    int n = epoll_wait(ep, &out, 1, 40);
    printf("epoll_wait: %d after >= 40ms: %d\n", n, now_ms() - s >= 40);

    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(pipefd[0], &rd);
    struct timeval tv = {.tv_sec = 0, .tv_usec = 25000};
    printf("select: %d\n", select(pipefd[0] + 1, &rd, NULL, NULL, &tv));

    // Both threads wait with timeouts at once; the one with the nearer one wakes first.
    pthread_create(&a, NULL, poller, (void *)150L);
    pthread_create(&b, NULL, cond_waiter, NULL);
    pthread_join(b, NULL);
    pthread_join(a, NULL);

    // An event before the deadline ends the wait early.
    pthread_t w;
    pthread_create(&w, NULL, writer, NULL);
    struct pollfd p = {.fd = pipefd[0], .events = POLLIN};
    int r = poll(&p, 1, 10000);
    char c;
    ssize_t got = read(pipefd[0], &c, 1);
    printf("poll with writer: %d revents %#x read %zd\n", r, p.revents, got);
    pthread_join(w, NULL);

    eventfd_write(efd, 3);
    n = epoll_wait(ep, &out, 1, 10000);
    printf("epoll_wait after eventfd_write: %d data %llu\n", n, (unsigned long long)out.data.u64);
    return 0;
}
