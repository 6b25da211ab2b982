/* prlimit64 naming a process by pid, as `prlimit -p PID` does: reading and setting a forked
 * child's limits (the child sees the new one), the caller's own pid and a thread id of its own
 * process (the limits are the process's), ESRCH for a missing or negative pid, EINVAL for an
 * unknown resource or a soft limit above the hard one. (RLIMIT_AS, RLIMIT_DATA and
 * RLIMIT_STACK are only read: qemu-user keeps its own.) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long plim(pid_t pid, int res, const struct rlimit *new, struct rlimit *old)
{
    return syscall(SYS_prlimit64, pid, res, new, old);
}

static void result(const char *what, long r)
{
    printf("%s: %s\n", what, r == 0 ? "ok" : strerror(errno));
}

static void show(const char *what, const struct rlimit *r)
{
    printf("%s: soft %lld hard %lld\n", what, (long long)r->rlim_cur, (long long)r->rlim_max);
}

static pthread_barrier_t bar;
static pid_t thread_tid;

static void *thread_main(void *arg)
{
    (void)arg;
    thread_tid = (pid_t)syscall(SYS_gettid);
    pthread_barrier_wait(&bar);
    pthread_barrier_wait(&bar);
    return NULL;
}

int main(void)
{
    struct rlimit own, got, set;
    getrlimit(RLIMIT_NOFILE, &own);
    set.rlim_cur = 100;
    set.rlim_max = own.rlim_max;
    result("own pid: set NOFILE soft 100", plim(getpid(), RLIMIT_NOFILE, &set, &got));
    printf("old was the limit getrlimit gave: %s\n",
           got.rlim_cur == own.rlim_cur && got.rlim_max == own.rlim_max ? "yes" : "no");
    getrlimit(RLIMIT_NOFILE, &got);
    show("getrlimit NOFILE now", &(struct rlimit){got.rlim_cur, got.rlim_cur});

    int up[2], down[2];
    char c = 0;
    if (pipe(up) || pipe(down))
        return 1;
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(1);
        getrlimit(RLIMIT_NOFILE, &got);
        printf("child sees NOFILE soft %lld\n", (long long)got.rlim_cur);
        getrlimit(RLIMIT_CORE, &got);
        printf("child sees CORE soft %lld hard %lld\n", (long long)got.rlim_cur, (long long)got.rlim_max);
        fflush(stdout);
        _exit(0);
    }
    if (read(up[0], &c, 1) != 1)
        return 1;
    result("read the child's NOFILE", plim(child, RLIMIT_NOFILE, NULL, &got));
    printf("  soft %lld (inherited)\n", (long long)got.rlim_cur);
    struct rlimit stack_self, stack_child;
    getrlimit(RLIMIT_STACK, &stack_self);
    result("read the child's STACK", plim(child, RLIMIT_STACK, NULL, &stack_child));
    printf("  same as ours: %s\n", stack_self.rlim_cur == stack_child.rlim_cur ? "yes" : "no");
    set.rlim_cur = 64;
    result("set the child's NOFILE soft 64", plim(child, RLIMIT_NOFILE, &set, &got));
    printf("  old soft %lld\n", (long long)got.rlim_cur);
    struct rlimit core = {4096, 8192};
    result("set the child's CORE 4096/8192", plim(child, RLIMIT_CORE, &core, NULL));
    struct rlimit bad = {10, 5};
    result("soft above hard", plim(child, RLIMIT_CORE, &bad, NULL));
    result("unknown resource", plim(child, 99, NULL, &got));
    getrlimit(RLIMIT_NOFILE, &got);
    printf("ours unchanged: soft %lld\n", (long long)got.rlim_cur);
    fflush(stdout);
    if (write(down[1], &c, 1) != 1)
        return 1;
    waitpid(child, NULL, 0);
    result("the reaped child", plim(child, RLIMIT_NOFILE, NULL, &got));
    result("missing pid", plim(0x3ffffff0, RLIMIT_NOFILE, NULL, &got));
    result("pid -1", plim(-1, RLIMIT_NOFILE, NULL, &got));

    pthread_t t;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_barrier_wait(&bar);
    set.rlim_cur = 80;
    result("set NOFILE soft 80 through a thread id", plim(thread_tid, RLIMIT_NOFILE, &set, NULL));
    getrlimit(RLIMIT_NOFILE, &got);
    printf("the process's NOFILE soft: %lld\n", (long long)got.rlim_cur);
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL);
    return 0;
}
