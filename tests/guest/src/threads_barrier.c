/* pthread_barrier_wait with 8 threads over 10 phases: in phase k each thread computes its slot
 * from two slots of phase k-1 (written by other threads before the previous barrier), waits at
 * the barrier, then checks every slot of phase k. Exactly one thread per phase gets
 * PTHREAD_BARRIER_SERIAL_THREAD. Main recomputes the phases alone and compares. */
// kvrm-cflags: -pthread
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#define NT 8
#define PHASES 10

static pthread_barrier_t bar;
static uint64_t val[PHASES + 1][NT];
static int serial[PHASES];
static int bad[NT];
static uint64_t seen_sum[PHASES][NT];

static uint64_t step(uint64_t a, uint64_t b, int k) { return a * 3 + (b ^ (uint64_t)k) + 1; }

static void *worker(void *arg)
{
    int t = (int)(intptr_t)arg;
    for (int k = 1; k <= PHASES; k++) {
        val[k][t] = step(val[k - 1][t], val[k - 1][(t + 1) % NT], k);
        int r = pthread_barrier_wait(&bar);
        if (r == PTHREAD_BARRIER_SERIAL_THREAD) __atomic_fetch_add(&serial[k - 1], 1, __ATOMIC_RELAXED);
        else if (r != 0) bad[t]++;
        uint64_t s = 0;
        for (int j = 0; j < NT; j++) {
            if (val[k][j] != step(val[k - 1][j], val[k - 1][(j + 1) % NT], k)) bad[t]++;
            s += val[k][j];
        }
        seen_sum[k - 1][t] = s;
        /* nobody may write phase k+1 before everyone has checked phase k */
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

int main(void)
{
    for (int t = 0; t < NT; t++) val[0][t] = (uint64_t)t * t + 1;
    printf("init: %d\n", pthread_barrier_init(&bar, NULL, NT));
    pthread_t th[NT];
    for (intptr_t t = 0; t < NT; t++) pthread_create(&th[t], NULL, worker, (void *)t);
    for (int t = 0; t < NT; t++) pthread_join(th[t], NULL);

    uint64_t ref[NT], next[NT];
    for (int t = 0; t < NT; t++) ref[t] = (uint64_t)t * t + 1;
    int errors = 0;
    for (int t = 0; t < NT; t++) errors += bad[t];
    for (int k = 1; k <= PHASES; k++) {
        uint64_t s = 0;
        for (int t = 0; t < NT; t++) next[t] = step(ref[t], ref[(t + 1) % NT], k);
        for (int t = 0; t < NT; t++) {
            ref[t] = next[t];
            s += ref[t];
            errors += val[k][t] != ref[t];
        }
        int agree = 1;
        for (int t = 0; t < NT; t++) agree &= seen_sum[k - 1][t] == s;
        printf("phase %2d: sum %llu, all threads agree %d, serial threads %d\n", k, (unsigned long long)s, agree,
               serial[k - 1]);
    }
    printf("errors %d\n", errors);
    printf("destroy: %d\n", pthread_barrier_destroy(&bar));
    return 0;
}
