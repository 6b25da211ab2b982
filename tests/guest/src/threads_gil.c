/* A lock handed between threads the way CPython's GIL hands itself over after
 * sys.setswitchinterval(1e-6): a thread that wants it waits on a condition variable for a
 * microsecond at a time, taking the guarding mutex after every wait, and on a timeout asks
 * the holder to let go; the holder runs until asked, then takes the same mutex to let go
 * and waits until another thread has the lock. 4 threads take the lock 300 times each.
 * Prints how many times the lock changed hands, which every schedule gives. Linux's timer
 * slack keeps the waiters' short waits from starving the woken holder of the mutex. */
// kvrm-cflags: -pthread
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#define THREADS 4
#define TAKES 300

static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond;
static pthread_mutex_t switch_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t switch_cond = PTHREAD_COND_INITIALIZER;
static int locked;
static unsigned long switches;
static volatile int drop_request;
static long work_done;

static void take_lock(void)
{
    pthread_mutex_lock(&mutex);
    while (locked) {
        unsigned long seen = switches;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        int r = pthread_cond_timedwait(&cond, &mutex, &ts);
        if (r == ETIMEDOUT && locked && switches == seen)
            drop_request = 1;
    }
    locked = 1;
    switches++;
    drop_request = 0;
    pthread_mutex_unlock(&mutex);
    /* Tell a thread that let go on request that the lock has changed hands. */
    pthread_mutex_lock(&switch_mutex);
    pthread_cond_signal(&switch_cond);
    pthread_mutex_unlock(&switch_mutex);
}

static void drop_lock(int requested)
{
    pthread_mutex_lock(&mutex);
    unsigned long mine = switches;
    locked = 0;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&mutex);
    if (requested) {
        pthread_mutex_lock(&switch_mutex);
        pthread_mutex_lock(&mutex);
        int same = switches == mine && !locked;
        pthread_mutex_unlock(&mutex);
        if (same)
            pthread_cond_wait(&switch_cond, &switch_mutex);
        pthread_mutex_unlock(&switch_mutex);
    }
}

static void *worker(void *arg)
{
    (void)arg;
    for (int i = 0; i < TAKES; i++) {
        take_lock();
        int steps = 0;
        while (!drop_request && steps < 20000) {
            work_done++;
            steps++;
        }
        drop_lock(drop_request);
    }
    return NULL;
}

int main(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&cond, &attr);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, NULL);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("%d threads took the lock %lu times\n", THREADS, switches);
    printf("work done: %s\n", work_done > 0 ? "yes" : "no");
    return 0;
}
