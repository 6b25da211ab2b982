/* CPU time and peak memory as GNU time, bash's `time`, ps and top read them: getrusage
 * (RUSAGE_SELF, RUSAGE_CHILDREN, RUSAGE_THREAD), times(), wait4's rusage and the CPU-time
 * clocks, each after busy work and after touching memory. Only comparisons are printed (time
 * spent, not how much). (Not here: /proc/self/stat's utime, which qemu-user's own
 * /proc/self/stat shows as 0.) */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile unsigned long sink;

static void busy(unsigned long n)
{
    unsigned long x = 1;
    for (unsigned long i = 0; i < n; i++)
        x = x * 6364136223846793005UL + i;
    sink = x;
}

static void touch(size_t mb)
{
    char *p = malloc(mb << 20);
    if (!p)
        return;
    memset(p, 1, mb << 20);
    sink += p[12345];
    free(p);
}

static double secs(struct timeval tv)
{
    return tv.tv_sec + tv.tv_usec / 1e6;
}

static double clock_secs(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *yes(int ok)
{
    return ok ? "yes" : "no";
}

static double thread_cpu;

static void *thread_main(void *arg)
{
    (void)arg;
    busy(60000000);
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    thread_cpu = clock_secs(CLOCK_THREAD_CPUTIME_ID);
    printf("thread: RUSAGE_THREAD user time > 0: %s; thread CPU clock > 0: %s\n", yes(secs(ru.ru_utime) > 0),
           yes(thread_cpu > 0));
    return NULL;
}

int main(void)
{
    struct rusage self0, self1, kids;
    getrusage(RUSAGE_SELF, &self0);
    double clock0 = clock_secs(CLOCK_PROCESS_CPUTIME_ID);
    getrusage(RUSAGE_CHILDREN, &kids);
    printf("no children yet: times 0: %s\n", yes(secs(kids.ru_utime) == 0 && secs(kids.ru_stime) == 0));

    busy(150000000);
    touch(32);
    getrusage(RUSAGE_SELF, &self1);
    double clock1 = clock_secs(CLOCK_PROCESS_CPUTIME_ID);
    printf("user time grew: %s\n", yes(secs(self1.ru_utime) > secs(self0.ru_utime)));
    printf("process CPU clock grew: %s\n", yes(clock1 > clock0));
    printf("peak memory at least 32 MB more than at start: %s\n", yes(self1.ru_maxrss >= self0.ru_maxrss + 32 * 1024 - 1024));

    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        busy(150000000);
        touch(48);
        _exit(0);
    }
    int st;
    struct rusage child;
    memset(&child, 0, sizeof child);
    wait4(c, &st, 0, &child);
    printf("wait4 rusage: user time > 0: %s; peak memory at least 48 MB: %s\n", yes(secs(child.ru_utime) > 0),
           yes(child.ru_maxrss >= 48 * 1024));
    getrusage(RUSAGE_CHILDREN, &kids);
    printf("RUSAGE_CHILDREN: user time > 0: %s; peak memory at least 48 MB: %s\n", yes(secs(kids.ru_utime) > 0),
           yes(kids.ru_maxrss >= 48 * 1024));
    struct tms t;
    times(&t);
    printf("times: tms_utime > 0: %s, tms_cutime > 0: %s\n", yes(t.tms_utime > 0), yes(t.tms_cutime > 0));

    pthread_t th;
    pthread_create(&th, NULL, thread_main, NULL);
    pthread_join(th, NULL);
    printf("process CPU clock covers the thread's: %s\n", yes(clock_secs(CLOCK_PROCESS_CPUTIME_ID) >= thread_cpu));
    return 0;
}
