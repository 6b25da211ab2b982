/* System V semaphores: semget keys and counts, semctl GETVAL/SETVAL/GETALL/SETALL/GETPID/
 * GETNCNT/GETZCNT/IPC_STAT/IPC_SET/IPC_RMID/SEM_STAT/IPC_INFO, semop with several operations
 * applied together, IPC_NOWAIT, semtimedop timeouts, blocking between processes (woken by
 * semop and SETVAL, interrupted by a signal, ended by IPC_RMID), SEM_UNDO at exit, a parent
 * and a child taking turns on a counter in shared memory, a thread waiting while another
 * thread of its process goes on, and /proc/sysvipc/sem. Prints no ids, pids, keys or times,
 * only how they compare. */
// kvrm-cflags: -pthread
#include "sysv_ipc.h"
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static int getval(int id, int n) { return semctl(id, n, GETVAL); }

static int op(int id, unsigned short num, short delta, short flags)
{
    struct sembuf b = {num, delta, flags};
    return semop(id, &b, 1);
}

static void show_all(const char *label, int id, int nsems)
{
    unsigned short v[8];
    union semun u = {.array = v};
    if (semctl(id, 0, GETALL, u) != 0) {
        printf("%s: GETALL %s\n", label, ename(errno));
        return;
    }
    printf("%s:", label);
    for (int i = 0; i < nsems; i++) printf(" %u", v[i]);
    printf("\n");
}

/* Wait (up to 10 s) until COUNT threads wait on semaphore NUM of ID (GETNCNT or GETZCNT). */
static int wait_for_waiters(int id, int num, int cmd, int count)
{
    for (int i = 0; i < 10000; i++) {
        if (semctl(id, num, cmd) == count) return 1;
        usleep(1000);
    }
    return 0;
}

static void on_usr1(int sig) { (void)sig; }

/* A thread that waits for semaphore 0 of the set ARG; its result is the errno (0: ok). */
static void *thread_waiter(void *arg)
{
    struct sembuf b = {0, -1, 0};
    long r = semop((int)(long)arg, &b, 1);
    return (void *)(r == 0 ? 0L : (long)errno);
}

/* A child that waits in semop(OPS) and exits with the errno it got (0: it went through). */
static pid_t waiter(int id, struct sembuf *ops, int n)
{
    pid_t c = fork();
    if (c == 0) {
        int r = semop(id, ops, n);
        _exit(r == 0 ? 0 : errno);
    }
    return c;
}

static const char *child_result(pid_t c)
{
    int status;
    waitpid(c, &status, 0);
    if (WIFSIGNALED(status)) return "killed";
    return ename(WEXITSTATUS(status));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    cleanup_at_exit();
    pid_t me = getpid();
    printf("sizeof(struct semid_ds) %zu, sizeof(struct seminfo) %zu, sizeof(struct sembuf) %zu\n",
           sizeof(struct semid_ds), sizeof(struct seminfo), sizeof(struct sembuf));

    int id = track_sem(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
    printf("semget private: %s\n", id >= 0 ? "ok" : ename(errno));
    struct semid_ds ds;
    memset(&ds, 0, sizeof ds);
    union semun u = {.buf = &ds};
    CHECK("IPC_STAT", semctl(id, 0, IPC_STAT, u));
    /* (qemu-user copies mode as 16 bits: only those are printed.) */
    printf("nsems %lu, mode %o, key %d, otime %ld, ctime set %d, owner mine %d\n",
           (unsigned long)ds.sem_nsems, ds.sem_perm.mode & 0xffff, (int)ds.sem_perm.__key,
           (long)ds.sem_otime, ds.sem_ctime != 0, ds.sem_perm.uid == getuid());
    show_all("new values", id, 3);

    /* SETALL, SETVAL, GETVAL, GETPID. */
    unsigned short init[3] = {1, 0, 5};
    u.array = init;
    CHECK("SETALL", semctl(id, 0, SETALL, u));
    show_all("after SETALL", id, 3);
    u.val = 7;
    CHECK("SETVAL", semctl(id, 1, SETVAL, u));
    printf("GETVAL 1: %d, GETPID is me: %d\n", getval(id, 1), semctl(id, 2, GETPID) == me);
    u.val = 32768;
    CHECK("SETVAL 32768", semctl(id, 1, SETVAL, u));
    u.val = -1;
    CHECK("SETVAL -1", semctl(id, 1, SETVAL, u));
    CHECK("GETVAL semnum 3", semctl(id, 3, GETVAL));
    CHECK("GETVAL semnum -1", semctl(id, -1, GETVAL));
    unsigned short too_big[3] = {1, 40000, 1};
    u.array = too_big;
    CHECK("SETALL 40000", semctl(id, 0, SETALL, u));
    show_all("unchanged", id, 3);

    /* semop: several operations at once, all or none. */
    struct sembuf two[2] = {{0, -1, 0}, {1, +2, 0}};
    CHECK("semop -1 +2", semop(id, two, 2));
    show_all("after", id, 3);
    memset(&ds, 0, sizeof ds);
    u.buf = &ds;
    semctl(id, 0, IPC_STAT, u);
    printf("otime set: %d, GETPID is me: %d\n", ds.sem_otime != 0, semctl(id, 0, GETPID) == me);
    struct sembuf blocked[2] = {{1, +1, 0}, {0, -1, IPC_NOWAIT}};
    CHECK("semop +1 then -1 IPC_NOWAIT on zero", semop(id, blocked, 2));
    show_all("unchanged", id, 3);
    struct sembuf same[3] = {{2, -3, 0}, {2, -2, 0}, {2, +4, 0}};
    CHECK("semop -3 -2 +4 on 5", semop(id, same, 3));
    show_all("after", id, 3);
    CHECK("wait-for-zero IPC_NOWAIT on 4", op(id, 2, 0, IPC_NOWAIT));
    CHECK("wait-for-zero on 0", op(id, 0, 0, 0));
    CHECK("semop past SEMVMX", op(id, 1, 32767, 0));
    CHECK("semop semnum 3", op(id, 3, 1, 0));
    CHECK("semop nsops 0", semop(id, two, 0));
    static struct sembuf many[501];
    CHECK("semop nsops 501", semop(id, many, 501));
    CHECK("semop bad pointer", semop(id, (struct sembuf *)16, 1));

    /* semtimedop: a timeout, a zero timeout, a bad one. */
    struct timespec ts = {0, 50 * 1000 * 1000};
    struct sembuf take0 = {0, -1, 0};
    CHECK("semtimedop 50 ms", semtimedop(id, &take0, 1, &ts));
    struct timespec zero = {0, 0};
    CHECK("semtimedop zero timeout", semtimedop(id, &take0, 1, &zero));
    struct timespec bad = {0, 1000000000};
    CHECK("semtimedop bad timeout", semtimedop(id, &take0, 1, &bad));
    struct sembuf give1 = {1, -1, 0};
    CHECK("semtimedop that can go on", semtimedop(id, &give1, 1, &ts));

    /* A child waits for an increase; GETNCNT counts it; a semop wakes it. */
    show_all("before the waiters", id, 3);
    pid_t c = waiter(id, &take0, 1);
    printf("GETNCNT sees the waiter: %d\n", wait_for_waiters(id, 0, GETNCNT, 1));
    printf("GETZCNT 0: %d\n", semctl(id, 0, GETZCNT));
    CHECK("semop +1 wakes it", op(id, 0, 1, 0));
    printf("waiter: %s, GETNCNT now %d, value %d, GETPID is the child: %d\n", child_result(c),
           semctl(id, 0, GETNCNT), getval(id, 0), semctl(id, 0, GETPID) == c);

    /* A child waits for zero; SETVAL 0 wakes it. */
    struct sembuf zero2 = {2, 0, 0};
    c = waiter(id, &zero2, 1);
    printf("GETZCNT sees the waiter: %d\n", wait_for_waiters(id, 2, GETZCNT, 1));
    u.val = 0;
    CHECK("SETVAL 0 wakes it", semctl(id, 2, SETVAL, u));
    printf("waiter: %s\n", child_result(c));

    /* Two waiters, woken by one semop that gives enough for both. */
    pid_t c1 = waiter(id, &take0, 1);
    wait_for_waiters(id, 0, GETNCNT, 1);
    pid_t c2 = waiter(id, &take0, 1);
    printf("GETNCNT reaches 2: %d\n", wait_for_waiters(id, 0, GETNCNT, 2));
    CHECK("semop +2", op(id, 0, 2, 0));
    const char *r1 = child_result(c1), *r2 = child_result(c2);
    printf("waiters: %s %s, value %d\n", r1, r2, getval(id, 0));

    /* A signal interrupts the wait (never restarted, even with SA_RESTART). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    c = waiter(id, &take0, 1);
    wait_for_waiters(id, 0, GETNCNT, 1);
    kill(c, SIGUSR1);
    printf("waiter after SIGUSR1: %s, GETNCNT %d\n", child_result(c), semctl(id, 0, GETNCNT));

    /* SEM_UNDO: a child's +2 is taken back when it exits; SETVAL forgets the adjustment. */
    c = fork();
    if (c == 0) {
        op(id, 1, 2, SEM_UNDO);
        op(id, 1, -1, SEM_UNDO);
        _exit(getval(id, 1));
    }
    int status;
    waitpid(c, &status, 0);
    printf("child saw %d, after its exit %d\n", WEXITSTATUS(status), getval(id, 1));
    u.val = 3;
    semctl(id, 1, SETVAL, u);
    c = fork();
    if (c == 0) {
        op(id, 1, -2, SEM_UNDO);
        _exit(0);
    }
    waitpid(c, &status, 0);
    printf("after a child's -2 with SEM_UNDO: %d\n", getval(id, 1));
    c = fork();
    if (c == 0) {
        op(id, 1, 5, SEM_UNDO);
        union semun v = {.val = 10};
        semctl(id, 1, SETVAL, v);
        _exit(0);
    }
    waitpid(c, &status, 0);
    printf("SETVAL cleared the child's adjustment: %d\n", getval(id, 1));
    /* The undo at exit wakes a waiter: a child holds 1 with SEM_UNDO, another waits. */
    u.val = 1;
    semctl(id, 0, SETVAL, u);
    c1 = fork();
    if (c1 == 0) {
        op(id, 0, -1, SEM_UNDO);
        wait_for_waiters(id, 0, GETNCNT, 1);
        _exit(0);
    }
    while (getval(id, 0) != 0) usleep(1000);
    c2 = waiter(id, &take0, 1);
    r1 = child_result(c1);
    r2 = child_result(c2);
    printf("holder %s, waiter after the holder's exit %s, value %d\n", r1, r2, getval(id, 0));

    /* Parent and child take turns through two semaphores, on a counter in shared memory. */
    int turns = track_sem(semget(IPC_PRIVATE, 2, 0600));
    int shm = track_shm(shmget(IPC_PRIVATE, 4096, 0600));
    volatile unsigned long *counter = shmat(shm, NULL, 0);
    *counter = 0;
    c = fork();
    if (c == 0) {
        for (int i = 0; i < 200; i++) {
            op(turns, 1, -1, 0);
            *counter = *counter * 3 + 1;
            op(turns, 0, 1, 0);
        }
        _exit(0);
    }
    for (int i = 0; i < 200; i++) {
        *counter = *counter * 5 + 2;
        op(turns, 1, 1, 0);
        op(turns, 0, -1, 0);
    }
    waitpid(c, &status, 0);
    printf("ping-pong: child exit %d, counter %lu\n", WEXITSTATUS(status), *counter);
    shmdt((void *)counter);

    /* A thread waits; the other thread of the process goes on computing, then wakes it. */
    int tsem = track_sem(semget(IPC_PRIVATE, 1, 0600));
    pthread_t th;
    pthread_create(&th, NULL, thread_waiter, (void *)(long)tsem);
    int seen = wait_for_waiters(tsem, 0, GETNCNT, 1);
    unsigned long x = 1;
    for (int i = 0; i < 2000000; i++) x = x * 6364136223846793005UL + 1442695040888963407UL;
    CHECK("semop +1 for the thread", op(tsem, 0, 1, 0));
    void *ret;
    pthread_join(th, &ret);
    printf("thread waited: %d, got: %s, meanwhile computed %lu\n", seen, ename((int)(long)ret), x);

    /* IPC_SET, SEM_STAT by index, IPC_INFO, /proc/sysvipc/sem. */
    memset(&ds, 0, sizeof ds);
    u.buf = &ds;
    semctl(id, 0, IPC_STAT, u);
    ds.sem_perm.mode = 0644;
    CHECK("IPC_SET", semctl(id, 0, IPC_SET, u));
    memset(&ds, 0, sizeof ds);
    semctl(id, 0, IPC_STAT, u);
    printf("mode after IPC_SET %o, nsems %lu\n", ds.sem_perm.mode & 0xffff,
           (unsigned long)ds.sem_nsems);
    struct semid_ds by_index;
    u.buf = &by_index;
    printf("SEM_STAT by index returns the id: %d\n", semctl(id % 32768, 0, SEM_STAT, u) == id);
    struct seminfo info;
    u.__buf = &info;
    int maxidx = semctl(0, 0, IPC_INFO, u);
    printf("IPC_INFO: %s, semvmx %d, highest index covers ours: %d\n",
           maxidx >= 0 ? "ok" : ename(errno), info.semvmx, maxidx >= id % 32768);
    char rest[400];
    if (proc_line("sem", id, rest, sizeof rest) == 1) {
        unsigned mode, nsems;
        sscanf(rest, "%o %u", &mode, &nsems);
        printf("/proc/sysvipc/sem: perms %o, nsems %u\n", mode, nsems);
    } else {
        printf("/proc/sysvipc/sem: not listed\n");
    }
    CHECK("semctl unknown command", semctl(id, 0, 99));
    CHECK("semctl negative id", semctl(-1, 0, GETVAL));

    /* IPC_RMID wakes a waiter with EIDRM; the id is stale afterwards. */
    u.val = 0;
    semctl(id, 0, SETVAL, u);
    c = waiter(id, &take0, 1);
    wait_for_waiters(id, 0, GETNCNT, 1);
    CHECK("IPC_RMID", semctl(id, 0, IPC_RMID));
    printf("waiter: %s\n", child_result(c));
    CHECK("semop on a removed set", op(id, 0, 1, 0));
    CHECK("GETVAL on a removed set", semctl(id, 0, GETVAL));

    /* Keys and counts. */
    key_t key = file_key("semkey", 'M');
    CHECK("semget missing key", semget(key, 2, 0600));
    int kid = track_sem(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
    printf("semget IPC_CREAT|IPC_EXCL: %s\n", kid >= 0 ? "ok" : ename(errno));
    CHECK("semget IPC_EXCL again", semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
    CHECK("semget more semaphores", semget(key, 3, 0600));
    printf("semget fewer finds it: %d, nsems 0 finds it: %d\n", semget(key, 1, 0) == kid,
           semget(key, 0, 0) == kid);
    CHECK("semget private nsems 0", semget(IPC_PRIVATE, 0, 0600));
    CHECK("semget nsems -1", semget(IPC_PRIVATE, -1, 0600));
    CHECK("semget nsems 40000", semget(IPC_PRIVATE, 40000, 0600));
    CHECK("IPC_RMID key", semctl(kid, 0, IPC_RMID));
    CHECK("semget removed key", semget(key, 2, 0600));
    unlink("semkey");
    return 0;
}
