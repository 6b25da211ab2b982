/* pthread mutexes from 8 threads: a shared counter and sum under a default mutex, a recursive
 * mutex taken 3 levels deep, trylock (spin until acquired; EBUSY while another thread holds it),
 * an error-checking mutex (EDEADLK on relock, EPERM on unlock by a non-owner). Prints totals only. */
// kvrm-cflags: -pthread
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NT 8
#define ITER 3000

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t try_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER; /* locked by main while threads run */
static pthread_mutex_t rec, errchk;
static long counter;
static uint64_t sum, buckets[16];
static long rec_count, try_count;
static int busy_seen, perm_seen;

static void recurse(int depth)
{
    pthread_mutex_lock(&rec);
    rec_count += depth;
    if (depth < 3) recurse(depth + 1);
    pthread_mutex_unlock(&rec);
}

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < ITER; i++) {
        pthread_mutex_lock(&m);
        counter++;
        sum += (uint64_t)(id + 1) * (uint64_t)(i + 1);
        buckets[(id * 7 + i) % 16] += 1;
        pthread_mutex_unlock(&m);
        if (i % 100 == 0) recurse(1);
        if (i % 50 == 0) {
            while (pthread_mutex_trylock(&try_m) != 0) {
            }
            try_count++;
            pthread_mutex_unlock(&try_m);
        }
    }
    int r = pthread_mutex_trylock(&held);
    int u = pthread_mutex_unlock(&errchk); /* main owns it */
    pthread_mutex_lock(&m);
    busy_seen += r == EBUSY;
    perm_seen += u == EPERM;
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&rec, &a);
    pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
    pthread_mutex_init(&errchk, &a);
    pthread_mutexattr_destroy(&a);

    pthread_mutex_lock(&held);
    printf("errorcheck lock: %d\n", pthread_mutex_lock(&errchk));
    printf("errorcheck relock is EDEADLK: %d\n", pthread_mutex_lock(&errchk) == EDEADLK);
    int r1 = pthread_mutex_trylock(&rec);
    int r2 = pthread_mutex_trylock(&rec);
    printf("recursive trylock by owner: %d %d\n", r1, r2);
    pthread_mutex_unlock(&rec);
    pthread_mutex_unlock(&rec);

    pthread_t t[NT];
    for (long i = 0; i < NT; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
    pthread_mutex_unlock(&held);
    int u1 = pthread_mutex_unlock(&errchk);
    int u2 = pthread_mutex_unlock(&errchk);
    printf("errorcheck unlock: %d, again is EPERM: %d\n", u1, u2 == EPERM);

    printf("counter %ld (expected %d)\n", counter, NT * ITER);
    printf("sum %llu\n", (unsigned long long)sum);
    printf("buckets");
    for (int i = 0; i < 16; i++) printf(" %llu", (unsigned long long)buckets[i]);
    printf("\nrecursive %ld, trylock acquisitions %ld\n", rec_count, try_count);
    printf("threads that saw EBUSY %d, EPERM %d\n", busy_seen, perm_seen);
    printf("destroy: %d %d %d\n", pthread_mutex_destroy(&m), pthread_mutex_destroy(&rec),
           pthread_mutex_destroy(&errchk));
    return 0;
}
