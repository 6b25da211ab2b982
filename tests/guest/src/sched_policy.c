/* Setting scheduling policies and CPU affinity as chrt and taskset do: sched_setscheduler,
 * sched_setparam and sched_setattr with SCHED_OTHER, SCHED_BATCH and SCHED_IDLE (their
 * priority must be 0), their EINVAL, ESRCH and EFAULT cases, SCHED_RESET_ON_FORK (shown by
 * sched_getscheduler, a forked child back at SCHED_OTHER), a policy kept per thread and
 * inherited by a new thread, sched_setattr's nice value; sched_setaffinity keeping a mask per
 * thread (sched_getaffinity and a child after fork see it), a mask naming no online CPU
 * (EINVAL). (SCHED_FIFO and SCHED_RR with a valid priority are left out: under qemu-user
 * they would make a host thread real-time, and they need privilege.) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

static void result(const char *what, long r)
{
    if (r < 0)
        printf("%s: %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, r);
}

static long setsched(int pid, int policy, int prio)
{
    struct sched_param sp = {.sched_priority = prio};
    return syscall(SYS_sched_setscheduler, pid, policy, &sp);
}

static long setattr(int pid, uint32_t policy, int32_t nice, uint32_t prio, uint64_t flags)
{
    struct attr a = {.size = 48, .policy = policy, .flags = flags, .nice = nice, .priority = prio};
    return syscall(SYS_sched_setattr, pid, &a, 0);
}

static void state(const char *what)
{
    struct sched_param sp = {.sched_priority = 77};
    long pol = sched_getscheduler(0);
    long r = sched_getparam(0, &sp);
    errno = 0;
    int nice = getpriority(PRIO_PROCESS, 0);
    printf("%s: policy %#lx, priority %d (%ld), nice %d\n", what, pol, sp.sched_priority, r, nice);
}

static int count_mask(void)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    if (sched_getaffinity(0, sizeof s, &s) != 0)
        return -1;
    return CPU_COUNT(&s);
}

static int first_cpu(void)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    sched_getaffinity(0, sizeof s, &s);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &s))
            return c;
    return -1;
}

static void *thread_main(void *arg)
{
    (void)arg;
    state("new thread");
    result("thread sets SCHED_OTHER", setsched(0, SCHED_OTHER, 0));
    state("thread after");
    return NULL;
}

int main(void)
{
    state("start");
    result("setscheduler BATCH 0", setsched(0, SCHED_BATCH, 0));
    state("now");
    result("setscheduler BATCH 1", setsched(0, SCHED_BATCH, 1));
    result("setscheduler OTHER 5", setsched(0, SCHED_OTHER, 5));
    result("setscheduler FIFO 0", setsched(0, SCHED_FIFO, 0));
    result("setscheduler FIFO 100", setsched(0, SCHED_FIFO, 100));
    result("setscheduler RR -1", setsched(0, SCHED_RR, -1));
    result("setscheduler policy 4", setsched(0, 4, 0));
    result("setscheduler policy 7", setsched(0, 7, 0));
    result("setscheduler policy -1", setsched(0, -1, 0));
    result("setscheduler pid -1", setsched(-1, SCHED_OTHER, 0));
    result("setscheduler missing pid", setsched(0x3ffffff0, SCHED_OTHER, 0));
    result("setscheduler NULL param", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL));
    result("setscheduler bad param pointer", syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, (void *)8));
    state("unchanged");

    result("setscheduler IDLE 0", setsched(0, SCHED_IDLE, 0));
    state("now");
    struct sched_param sp = {.sched_priority = 0};
    result("setparam 0", sched_setparam(0, &sp));
    sp.sched_priority = 3;
    result("setparam 3", sched_setparam(0, &sp));
    result("setparam NULL", syscall(SYS_sched_setparam, 0, NULL));
    result("setparam pid -1", syscall(SYS_sched_setparam, -1, &sp));
    state("still");

    result("setscheduler OTHER with RESET_ON_FORK", setsched(0, SCHED_OTHER | SCHED_RESET_ON_FORK, 0));
    result("setscheduler BATCH with RESET_ON_FORK", setsched(0, SCHED_BATCH | SCHED_RESET_ON_FORK, 0));
    state("now");
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        state("forked child");
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    result("setscheduler BATCH", setsched(0, SCHED_BATCH, 0));
    state("reset flag gone");

    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    state("main keeps");

    result("setattr OTHER nice 3", setattr(0, SCHED_OTHER, 3, 0, 0));
    state("now");
    result("setattr BATCH nice 4", setattr(0, SCHED_BATCH, 4, 0, 0));
    state("now");
    result("setattr OTHER priority 1", setattr(0, SCHED_OTHER, 0, 1, 0));
    result("setattr policy 9", setattr(0, 9, 0, 0, 0));
    result("setattr flags 0x100", setattr(0, SCHED_OTHER, 0, 0, 0x100));
    result("setattr syscall flags 1", syscall(SYS_sched_setattr, 0, &(struct attr){.size = 48}, 1));
    result("setattr NULL", syscall(SYS_sched_setattr, 0, NULL, 0));
    result("setattr missing pid", setattr(0x3ffffff0, SCHED_OTHER, 0, 0, 0));
    state("after the failures");
    result("setattr OTHER nice 0", setattr(0, SCHED_OTHER, 0, 0, 0));

    printf("-- affinity\n");
    int n = count_mask(), first = first_cpu();
    printf("at start: %s\n", n > 0 ? "some CPUs" : "none");
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    result("setaffinity to the first CPU", sched_setaffinity(0, sizeof one, &one));
    printf("now %d CPU, the first: %s\n", count_mask(), first_cpu() == first ? "yes" : "no");
    fflush(stdout);
    c = fork();
    if (c == 0) {
        printf("forked child: %d CPU\n", count_mask());
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    cpu_set_t none;
    CPU_ZERO(&none);
    result("setaffinity to no CPU", sched_setaffinity(0, sizeof none, &none));
    cpu_set_t far;
    CPU_ZERO(&far);
    CPU_SET(CPU_SETSIZE - 1, &far);
    result("setaffinity to CPU 1023 only", sched_setaffinity(0, sizeof far, &far));
    result("setaffinity missing pid", sched_setaffinity(0x3ffffff0, sizeof one, &one));
    result("setaffinity bad pointer", syscall(SYS_sched_setaffinity, 0, sizeof one, (void *)8));
    printf("still %d CPU\n", count_mask());
    cpu_set_t all;
    CPU_ZERO(&all);
    for (int i = 0; i < CPU_SETSIZE; i++)
        CPU_SET(i, &all);
    result("setaffinity to every CPU", sched_setaffinity(0, sizeof all, &all));
    printf("back to all: %s\n", count_mask() == n ? "yes" : "no");
    return 0;
}
