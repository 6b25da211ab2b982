/* Process-shared semaphores, mutexes and condition variables in shared memory, as Python's
 * multiprocessing and databases use them: the waiters are other processes, which see the
 * memory through a mapping fork handed them or through their own mapping of the same file.
 * Each waiter blocks in the kernel (futex without FUTEX_PRIVATE_FLAG) before the parent wakes
 * it; a wrong wait key leaves it asleep for ever (the harness's timeout). */
#define _GNU_SOURCE
#include "common.h"
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHILDREN 3

struct shared {
    sem_t go;
    sem_t done;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int flag;
    int sum;
};

static void pause_ms(int ms)
{
    struct timespec t = {0, ms * 1000000L};
    nanosleep(&t, NULL);
}

static int reap(const char *what, pid_t *pids, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++) {
        int st;
        if (waitpid(pids[i], &st, 0) != pids[i] || !WIFEXITED(st) || WEXITSTATUS(st) != 0) bad++;
    }
    printf("%s: %d children exited 0\n", what, n - bad);
    return bad;
}

/* Children wait on a semaphore in anonymous shared memory; the parent posts. */
static int semaphores(void)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) return 1;
    sem_init(&s->go, 1, 0);
    sem_init(&s->done, 1, 0);
    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            sem_wait(&s->go);
            __atomic_add_fetch(&s->sum, 10 + i, __ATOMIC_SEQ_CST);
            sem_post(&s->done);
            _exit(0);
        }
    }
    pause_ms(50); /* let every child block */
    for (int i = 0; i < CHILDREN; i++) sem_post(&s->go);
    for (int i = 0; i < CHILDREN; i++) sem_wait(&s->done);
    printf("semaphores: sum %d\n", s->sum);
    return reap("semaphores", pids, CHILDREN);
}

/* Children wait on a process-shared condition variable until the parent sets the flag. */
static int condition(void)
{
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s == MAP_FAILED) return 1;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&s->lock, &ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setpshared(&ca, PTHREAD_PROCESS_SHARED);
    pthread_cond_init(&s->cond, &ca);
    pid_t pids[CHILDREN];
    for (int i = 0; i < CHILDREN; i++) {
        pids[i] = fork();
        if (pids[i] == 0) {
            pthread_mutex_lock(&s->lock);
            while (!s->flag) pthread_cond_wait(&s->cond, &s->lock);
            s->sum += 100 * (i + 1);
            pthread_mutex_unlock(&s->lock);
            _exit(0);
        }
    }
    pause_ms(50);
    pthread_mutex_lock(&s->lock);
    s->flag = 1;
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    int bad = reap("condition", pids, CHILDREN);
    printf("condition: sum %d\n", s->sum);
    return bad;
}

/* Parent and child map the same file each on their own; the child waits there. */
static int file_mapping(void)
{
    const char *path = "proc_shared_sync.tmp";
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 4096) != 0) return 1;
    close(fd);
    pid_t pid = fork();
    if (pid == 0) {
        int cfd = open(path, O_RDWR);
        /* A mapping of its own, made after fork, at an address of its own choosing. */
        void *pad = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        struct shared *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        (void)pad;
        if (c == MAP_FAILED) _exit(2);
        while (!__atomic_load_n(&c->flag, __ATOMIC_ACQUIRE)) pause_ms(1); /* semaphore ready */
        sem_wait(&c->go);
        c->sum = 4242;
        sem_post(&c->done);
        _exit(0);
    }
    fd = open(path, O_RDWR);
    struct shared *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 1;
    sem_init(&p->go, 1, 0);
    sem_init(&p->done, 1, 0);
    __atomic_store_n(&p->flag, 1, __ATOMIC_RELEASE);
    pause_ms(50);
    sem_post(&p->go);
    sem_wait(&p->done);
    printf("file mapping: child wrote %d\n", p->sum);
    int bad = reap("file mapping", &pid, 1);
    unlink(path);
    return bad;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int bad = semaphores() + condition() + file_mapping();
    return bad ? 1 : 0;
}
