/* clone3: the checks of struct clone_args (too small, too large, unknown non-zero trailing
 * bytes, bad pointer, exit-signal bits in flags, bad exit signal, stack without size, set_tid
 * without size and the other way round, an exit signal for a thread, CLONE_SIGHAND with
 * CLONE_CLEAR_SIGHAND, unknown flags); a larger struct with zero trailing bytes; a fork-like
 * child with CLONE_PIDFD and CLONE_PARENT_SETTID at once (separate fields in clone3);
 * CLONE_CLEAR_SIGHAND; and pthreads (glibc >= 2.34 creates them with clone3).
 * qemu-aarch64 7.2 has no clone3: crates/kvrm-cli/tests/guest_programs.rs compares kvrm's output
 * with this program built for and run on the host kernel. */
// kvrm-cflags: -pthread
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

struct args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    uint64_t set_tid, set_tid_size, cgroup;
    uint64_t extra[2];
};

#define F_PIDFD 0x1000ULL
#define F_SIGHAND 0x800ULL
#define F_VM 0x100ULL
#define F_THREAD 0x10000ULL
#define F_PARENT_SETTID 0x100000ULL
#define F_CLEAR_SIGHAND 0x100000000ULL

static long clone3(struct args *a, size_t size)
{
    return syscall(SYS_clone3, a, size);
}

static void report(const char *what, long r)
{
    if (r < 0)
        printf("%-32s -1 %s\n", what, strerror(errno));
    else
        printf("%-32s ok\n", what);
}

/* Runs `a`; a child exits at once with status 7; the parent reaps it. */
static long try_clone(const char *what, struct args *a, size_t size)
{
    long r = clone3(a, size);
    if (r == 0)
        _exit(7);
    if (r > 0) {
        int st;
        waitpid(r, &st, 0);
        printf("%-32s child exit %d\n", what, WEXITSTATUS(st));
        return r;
    }
    report(what, r);
    return r;
}

static void *work(void *arg)
{
    long n = (long)arg, s = 0;
    for (long i = 0; i <= n * 1000; i++)
        s += i;
    return (void *)s;
}

static void on_usr1(int sig)
{
    (void)sig;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct args a;

    memset(&a, 0, sizeof a);
    a.exit_signal = SIGCHLD;
    report("size 0", clone3(&a, 0));
    report("size 63", clone3(&a, 63));
    report("size 4097", clone3(&a, 4097));
    report("bad pointer", clone3((struct args *)8, 64));
    a.extra[0] = 1;
    report("non-zero trailing bytes", clone3(&a, sizeof a));
    a.extra[0] = 0;
    try_clone("zero trailing bytes", &a, sizeof a);
    try_clone("size 64", &a, 64);

    a.flags = SIGCHLD;
    report("signal bits in flags", clone3(&a, 64));
    a.flags = 1ULL << 40;
    report("unknown flag", clone3(&a, 64));
    a.flags = 0;
    a.exit_signal = 65;
    report("exit signal 65", clone3(&a, 64));
    a.exit_signal = SIGCHLD;
    a.stack = (uint64_t)(uintptr_t)&a;
    report("stack without size", clone3(&a, 64));
    a.stack = 0;
    a.stack_size = 4096;
    report("size without stack", clone3(&a, 64));
    a.stack_size = 0;
    a.set_tid_size = 1;
    report("set_tid_size without set_tid", clone3(&a, 88));
    pid_t tids[40] = {0};
    a.set_tid = (uint64_t)(uintptr_t)tids;
    a.set_tid_size = 0;
    report("set_tid without size", clone3(&a, 88));
    a.set_tid_size = 40;
    report("set_tid_size 40", clone3(&a, 88));
    a.set_tid = a.set_tid_size = 0;
    a.flags = F_THREAD | F_VM | F_SIGHAND;
    report("thread with exit signal", clone3(&a, 64));
    a.flags = F_SIGHAND | F_CLEAR_SIGHAND;
    report("SIGHAND and CLEAR_SIGHAND", clone3(&a, 64));

    /* pidfd and parent tid in their own fields */
    int pidfd = -1;
    pid_t ptid = 0;
    memset(&a, 0, sizeof a);
    a.flags = F_PIDFD | F_PARENT_SETTID;
    a.pidfd = (uint64_t)(uintptr_t)&pidfd;
    a.parent_tid = (uint64_t)(uintptr_t)&ptid;
    a.exit_signal = SIGCHLD;
    long child = try_clone("pidfd and parent tid", &a, 64);
    printf("parent tid matches: %d, pidfd open: %d\n", child > 0 && ptid == child,
           pidfd >= 0 && fcntl(pidfd, F_GETFD) >= 0);
    if (pidfd >= 0)
        close(pidfd);

    /* CLONE_CLEAR_SIGHAND: handlers reset, ignored signals stay ignored */
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    memset(&a, 0, sizeof a);
    a.flags = F_CLEAR_SIGHAND;
    a.exit_signal = SIGCHLD;
    long r = clone3(&a, 64);
    if (r == 0) {
        struct sigaction s1, s2;
        sigaction(SIGUSR1, NULL, &s1);
        sigaction(SIGUSR2, NULL, &s2);
        _exit((s1.sa_handler == SIG_DFL ? 1 : 0) | (s2.sa_handler == SIG_IGN ? 2 : 0));
    }
    if (r > 0) {
        int st;
        waitpid(r, &st, 0);
        printf("clear sighand: child exit %d\n", WEXITSTATUS(st));
    } else {
        report("clear sighand", r);
    }
    struct sigaction s1;
    sigaction(SIGUSR1, NULL, &s1);
    printf("parent keeps its handler: %d\n", s1.sa_handler == on_usr1);

    /* pthreads */
    pthread_t th[6];
    for (long i = 0; i < 6; i++)
        if (pthread_create(&th[i], NULL, work, (void *)(i + 1))) {
            printf("pthread_create failed\n");
            return 1;
        }
    long total = 0;
    for (int i = 0; i < 6; i++) {
        void *v;
        pthread_join(th[i], &v);
        total += (long)v;
    }
    printf("threads total %ld\n", total);
    return 0;
}
