/* The parent of the first process lives outside the guest (the shell or
 * test harness that started it): it still exists for the queries a program
 * makes of it (is it alive, its process group and session, scheduling,
 * affinity, priority), as on Linux. A forked child's parent is a guest
 * process: the same queries about it. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static void query(const char *who, pid_t p)
{
    printf("%s: pid above 1 %d\n", who, p > 1);
    printf("%s: kill 0 -> %d\n", who, kill(p, 0));
    /* Not "> 0": a session or group whose leader is outside the host's pid
     * namespace (a container) reads as 0. */
    printf("%s: getpgid ok %d, getsid ok %d\n", who, getpgid(p) >= 0, getsid(p) >= 0);
    printf("%s: sched_getscheduler %d\n", who, sched_getscheduler(p));
    struct sched_param sp = {.sched_priority = 5};
    int r = sched_getparam(p, &sp);
    printf("%s: sched_getparam %d priority %d\n", who, r, sp.sched_priority);
    cpu_set_t set;
    CPU_ZERO(&set);
    r = sched_getaffinity(p, sizeof set, &set);
    printf("%s: sched_getaffinity %d, some CPU %d\n", who, r, CPU_COUNT(&set) > 0);
    errno = 0;
    getpriority(PRIO_PROCESS, p);
    printf("%s: getpriority errno %d\n", who, errno);
    struct timespec ts;
    printf("%s: sched_rr_get_interval %d\n", who, sched_rr_get_interval(p, &ts));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    query("parent", getppid());
    /* A pid nobody has. */
    errno = 0;
    printf("unused pid: kill %d %s\n", kill(0x3ffffff0, 0), strerror(errno));
    pid_t c = fork();
    if (c == 0) {
        query("child's parent", getppid());
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child exit %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
