/* Scheduling queries as chrt and ionice make them: sched_getscheduler, sched_getparam,
 * sched_getattr (sizes, flags, the nice value setpriority set), sched_get_priority_max/min
 * for each policy; their EINVAL and ESRCH cases. (Not printed: sched_getattr's sched_runtime,
 * which Linux 6.6 and later fill with a fair task's time slice, and the policy numbers after
 * SCHED_DEADLINE, which depend on the kernel.) */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct attr {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
    uint32_t util_min, util_max;
    uint8_t extra[16];
};

static void result(const char *what, long r)
{
    if (r < 0)
        printf("%s: %s\n", what, strerror(errno));
    else
        printf("%s: %ld\n", what, r);
}

static void getattr(const char *what, int pid, unsigned size, unsigned flags)
{
    struct attr a;
    memset(&a, 0xee, sizeof a);
    long r = syscall(SYS_sched_getattr, pid, &a, size, flags);
    if (r < 0) {
        printf("%s: %s\n", what, strerror(errno));
        return;
    }
    printf("%s: size %u policy %u flags %llu nice %d prio %u dl %llu per %llu util %u..%u, after: %02x\n",
           what, a.size, a.policy, (unsigned long long)a.flags, a.nice, a.priority,
           (unsigned long long)a.deadline,
           (unsigned long long)a.period, size >= 56 ? a.util_min : 0, size >= 56 ? a.util_max : 0,
           a.extra[0]);
}

int main(void)
{
    result("getscheduler(0)", sched_getscheduler(0));
    result("getscheduler(self)", sched_getscheduler(getpid()));
    result("getscheduler(-1)", sched_getscheduler(-1));
    result("getscheduler(missing)", sched_getscheduler(999999999));
    struct sched_param sp = {.sched_priority = 77};
    long r = sched_getparam(0, &sp);
    printf("getparam(0): %ld, priority %d\n", r, sp.sched_priority);
    result("getparam(0, NULL)", syscall(SYS_sched_getparam, 0, NULL));
    result("getparam(-1)", sched_getparam(-1, &sp));
    result("getparam(missing)", sched_getparam(999999999, &sp));
    setpriority(PRIO_PROCESS, 0, 7);
    getattr("getattr(0, 56)", 0, 56, 0);
    getattr("getattr(0, 48)", 0, 48, 0);
    getattr("getattr(0, 72)", 0, 72, 0);
    getattr("getattr(0, 40)", 0, 40, 0);
    getattr("getattr(0, flags 1)", 0, 56, 1);
    getattr("getattr(-1)", -1, 56, 0);
    getattr("getattr(missing)", 999999999, 56, 0);
    result("getattr(NULL)", syscall(SYS_sched_getattr, 0, NULL, 56, 0));
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    getattr("getattr(child)", c, 56, 0);
    result("getscheduler(child)", sched_getscheduler(c));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    result("getscheduler(reaped child)", sched_getscheduler(c));
    int pols[] = {SCHED_OTHER, SCHED_FIFO, SCHED_RR, SCHED_BATCH, SCHED_IDLE, 6, 4, -1};
    for (unsigned i = 0; i < sizeof pols / sizeof *pols; i++) {
        char w[64];
        snprintf(w, sizeof w, "priority max/min %d", pols[i]);
        long mx = sched_get_priority_max(pols[i]);
        int e1 = errno;
        long mn = sched_get_priority_min(pols[i]);
        int e2 = errno;
        printf("%s: %ld %ld%s%s\n", w, mx, mn, mx < 0 ? strerror(e1) : "", mn < 0 ? strerror(e2) : "");
    }
    return 0;
}
