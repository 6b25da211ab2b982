/* ioprio_get and ioprio_set as ionice uses them: the value of a fresh process (no I/O
 * context: 0), each class's validation (a level other than 0 with IOPRIO_CLASS_NONE, an
 * unknown class), the value kept per thread (a new thread and a forked child start from the
 * creator's value unless its class is NONE), IOPRIO_WHO_PGRP over the threads of a process
 * group (the best value; a task at NONE counts there as best-effort at its nice value's
 * level, 4 for nice 0), and the EINVAL and ESRCH cases. The test makes itself a process
 * group leader first, so PGRP names only its own tasks. Every group it queries holds a task
 * at best-effort level 4 or better: qemu-user adds a host thread of its own to each guest
 * process, which counts in the group at nice 0. (Not exercised: IOPRIO_WHO_USER with the caller's uid, which under qemu-user
 * reaches every host process of that user, and the real-time class, which needs privilege:
 * its result is printed as allowed or refused by privilege, whichever it is.) */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define WHO_PROCESS 1
#define WHO_PGRP 2
#define WHO_USER 3
#define PRIO(class, data) (((class) << 13) | (data))

static long get(int which, int who)
{
    long r = syscall(SYS_ioprio_get, which, who);
    return r < 0 ? -errno : r;
}

static long set(int which, int who, int prio)
{
    long r = syscall(SYS_ioprio_set, which, who, prio);
    return r < 0 ? -errno : r;
}

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%s: %s\n", what, strerror((int)-r));
    else
        printf("%s: %ld (class %ld, data %ld)\n", what, r, r >> 13, r & 0x1fff);
}

static pthread_barrier_t bar;
static long thread_prio;
static pid_t thread_tid;

static void *thread_main(void *arg)
{
    (void)arg;
    thread_tid = (pid_t)syscall(SYS_gettid);
    show("new thread starts with", get(WHO_PROCESS, 0));
    show("thread sets its own", set(WHO_PROCESS, 0, (int)thread_prio));
    show("thread now", get(WHO_PROCESS, 0));
    pthread_barrier_wait(&bar); /* the main thread looks at the group */
    pthread_barrier_wait(&bar);
    return NULL;
}

static void with_thread(long prio)
{
    char what[80];
    pthread_t t;
    thread_prio = prio;
    pthread_barrier_init(&bar, NULL, 2);
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_barrier_wait(&bar);
    show("main thread keeps", get(WHO_PROCESS, 0));
    snprintf(what, sizeof what, "the thread seen by tid");
    show(what, get(WHO_PROCESS, thread_tid));
    show("group of both", get(WHO_PGRP, 0));
    pthread_barrier_wait(&bar);
    pthread_join(t, NULL);
    pthread_barrier_destroy(&bar);
}

static void fork_child(void)
{
    int up[2], down[2];
    char c = 0;
    fflush(stdout);
    if (pipe(up) || pipe(down))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        show("forked child starts with", get(WHO_PROCESS, 0));
        show("child sets BE 3", set(WHO_PROCESS, 0, PRIO(2, 3)));
        fflush(stdout);
        if (write(up[1], &c, 1) != 1 || read(down[0], &c, 1) != 1)
            _exit(1);
        _exit(0);
    }
    if (read(up[0], &c, 1) != 1)
        return;
    show("parent sees the child", get(WHO_PROCESS, pid));
    show("group with the child", get(WHO_PGRP, 0));
    fflush(stdout);
    if (write(down[1], &c, 1) != 1)
        return;
    waitpid(pid, NULL, 0);
    close(up[0]);
    close(up[1]);
    close(down[0]);
    close(down[1]);
}

int main(void)
{
    show("fresh process", get(WHO_PROCESS, 0));
    show("by pid", get(WHO_PROCESS, getpid()));
    if (setpgid(0, 0) != 0)
        printf("setpgid: %s\n", strerror(errno));
    show("own group", get(WHO_PGRP, 0));
    show("own group by id", get(WHO_PGRP, getpgrp()));
    show("get which 0", get(0, 0));
    show("get which 4", get(4, 0));
    show("get missing pid", get(WHO_PROCESS, 0x3ffffff0));
    show("get missing group", get(WHO_PGRP, 0x3ffffff0));
    show("get missing user", get(WHO_USER, 99999));

    static const struct {
        const char *name;
        int prio;
    } values[] = {
        {"NONE 0", PRIO(0, 0)},
        {"NONE 1", PRIO(0, 1)},
        {"BE 0", PRIO(2, 0)},
        {"BE 7", PRIO(2, 7)},
        {"BE 8", PRIO(2, 8)},
        {"BE 100", PRIO(2, 100)},
        {"IDLE 0", PRIO(3, 0)},
        {"IDLE 5", PRIO(3, 5)},
        {"class 4", PRIO(4, 0)},
        {"class 7", PRIO(7, 0)},
        {"bit 16", 1 << 16},
        {"BE 2 with hint bits", PRIO(2, (1 << 3) | 2)},
        {"-1", -1},
    };
    for (unsigned i = 0; i < sizeof values / sizeof *values; i++) {
        char what[80];
        snprintf(what, sizeof what, "set %s", values[i].name);
        show(what, set(WHO_PROCESS, 0, values[i].prio));
        show("  now", get(WHO_PROCESS, 0));
    }
    long rt = set(WHO_PROCESS, 0, PRIO(1, 3));
    printf("set RT 3: %s\n", rt == 0 || rt == -EPERM ? "allowed or refused by privilege" : strerror((int)-rt));

    show("set NONE again", set(WHO_PROCESS, 0, 0));
    show("  now (not derived from nice)", get(WHO_PROCESS, 0));
    show("  own group", get(WHO_PGRP, 0));

    show("set which 0", set(0, 0, PRIO(2, 4)));
    show("set which 4", set(4, 0, PRIO(2, 4)));
    show("set missing pid", set(WHO_PROCESS, 0x3ffffff0, PRIO(2, 4)));
    show("set missing group", set(WHO_PGRP, 0x3ffffff0, PRIO(2, 4)));
    show("set missing user", set(WHO_USER, 99999, PRIO(2, 4)));
    show("set bad class for a user", set(WHO_USER, 0, PRIO(5, 0)));
    show("set bad level for which 9", set(9, 0, PRIO(0, 3)));

    printf("-- threads, main at BE 2\n");
    set(WHO_PROCESS, 0, PRIO(2, 2));
    with_thread(PRIO(2, 3));
    with_thread(PRIO(2, 1));
    printf("-- threads, main at NONE\n");
    set(WHO_PROCESS, 0, 0);
    with_thread(PRIO(2, 3));
    with_thread(PRIO(2, 5));
    with_thread(0);

    printf("-- fork, parent at NONE\n");
    fork_child();
    printf("-- fork, parent at IDLE\n");
    set(WHO_PROCESS, 0, PRIO(3, 0));
    fork_child();

    printf("-- the whole group\n");
    show("set group BE 6", set(WHO_PGRP, 0, PRIO(2, 6)));
    show("  now", get(WHO_PROCESS, 0));
    show("set group by id BE 5", set(WHO_PGRP, getpgrp(), PRIO(2, 5)));
    show("  now", get(WHO_PROCESS, 0));
    return 0;
}
