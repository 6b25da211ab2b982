/* Condition variables: 4 producers and 3 consumers share a bounded queue (capacity 8) guarded by
 * one mutex and two condvars (not_full / not_empty); all threads start together when main
 * broadcasts a start gate; main broadcasts again when the producers are done. Prints the count,
 * sum and an order-independent checksum of the consumed items, and a timedwait that times out. */
// kvrm-cflags: -pthread
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define NPROD 4
#define NCONS 3
#define PER_PROD 1500
#define CAP 8

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER, not_empty = PTHREAD_COND_INITIALIZER;
static pthread_cond_t gate = PTHREAD_COND_INITIALIZER;
static int go, done, waiting_at_gate;
static uint64_t queue[CAP];
static int head, count;
static uint64_t total_sum, total_mix, total_count;

static uint64_t mix(uint64_t v)
{
    v ^= v >> 31;
    v *= 0x9e3779b97f4a7c15ULL;
    return v ^ (v >> 29);
}

static void wait_gate(void)
{
    pthread_mutex_lock(&m);
    waiting_at_gate++;
    while (!go) pthread_cond_wait(&gate, &m);
    pthread_mutex_unlock(&m);
}

static void *producer(void *arg)
{
    uint64_t id = (uintptr_t)arg;
    wait_gate();
    for (uint64_t i = 0; i < PER_PROD; i++) {
        pthread_mutex_lock(&m);
        while (count == CAP) pthread_cond_wait(&not_full, &m);
        queue[(head + count) % CAP] = id * 1000000 + i;
        count++;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&m);
    }
    return NULL;
}

static void *consumer(void *arg)
{
    (void)arg;
    uint64_t sum = 0, mx = 0, n = 0;
    wait_gate();
    for (;;) {
        pthread_mutex_lock(&m);
        while (count == 0 && !done) pthread_cond_wait(&not_empty, &m);
        if (count == 0) { /* done and drained */
            pthread_mutex_unlock(&m);
            break;
        }
        uint64_t v = queue[head];
        head = (head + 1) % CAP;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&m);
        sum += v;
        mx += mix(v);
        n++;
    }
    pthread_mutex_lock(&m);
    total_sum += sum;
    total_mix += mx;
    total_count += n;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_t p[NPROD], c[NCONS];
    for (uintptr_t i = 0; i < NCONS; i++) pthread_create(&c[i], NULL, consumer, (void *)i);
    for (uintptr_t i = 0; i < NPROD; i++) pthread_create(&p[i], NULL, producer, (void *)(i + 1));

    /* Wait until every thread is parked at the gate, then release them all at once. */
    for (;;) {
        pthread_mutex_lock(&m);
        int n = waiting_at_gate;
        if (n == NPROD + NCONS) {
            go = 1;
            pthread_cond_broadcast(&gate);
        }
        pthread_mutex_unlock(&m);
        if (n == NPROD + NCONS) break;
        sched_yield();
    }
    for (int i = 0; i < NPROD; i++) pthread_join(p[i], NULL);
    pthread_mutex_lock(&m);
    done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < NCONS; i++) pthread_join(c[i], NULL);

    uint64_t want_sum = 0, want_mix = 0;
    for (uint64_t id = 1; id <= NPROD; id++)
        for (uint64_t i = 0; i < PER_PROD; i++) {
            want_sum += id * 1000000 + i;
            want_mix += mix(id * 1000000 + i);
        }
    printf("consumed %llu items (expected %d), queue left %d\n", (unsigned long long)total_count,
           NPROD * PER_PROD, count);
    printf("sum %llu, matches %d\n", (unsigned long long)total_sum, total_sum == want_sum);
    printf("checksum %016llx, matches %d\n", (unsigned long long)total_mix, total_mix == want_mix);

    /* A timed wait whose deadline has passed returns ETIMEDOUT with the mutex held again. */
    struct timespec past;
    clock_gettime(CLOCK_REALTIME, &past);
    past.tv_sec -= 1;
    pthread_mutex_lock(&m);
    int r = pthread_cond_timedwait(&not_empty, &m, &past);
    printf("timedwait in the past is ETIMEDOUT: %d, relock by owner busy: %d\n", r == ETIMEDOUT,
           pthread_mutex_trylock(&m) == EBUSY);
    pthread_mutex_unlock(&m);
    printf("destroy: %d %d %d\n", pthread_cond_destroy(&not_full), pthread_cond_destroy(&not_empty),
           pthread_cond_destroy(&gate));
    return 0;
}
