/* Interleaving-dependent output (NOT a qemu-recorded case): 8 threads append their ids to a shared
 * log under a mutex, yielding between appends, and main prints the log in the order it was
 * written. Under `kvrm run --deterministic --seed N` the order must be the same on every run
 * (crates/kvrm-linux/tests/determinism.rs); under qemu or a real kernel it varies. */
// kvrm-cflags: -pthread
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#define NT 8
#define ROUNDS 40

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static char log_[NT * ROUNDS + 1];
static int len;

static void *worker(void *arg)
{
    char id = (char)('a' + (int)(long)arg);
    for (int r = 0; r < ROUNDS; r++) {
        pthread_mutex_lock(&m);
        log_[len++] = id;
        pthread_mutex_unlock(&m);
        if (r % 3 == (int)(long)arg % 3) sched_yield();
        for (volatile int spin = 0; spin < 200 * ((int)(long)arg + 1); spin++) {
        }
    }
    return NULL;
}

int main(void)
{
    pthread_t t[NT];
    for (long i = 0; i < NT; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT; i++) pthread_join(t[i], NULL);
    for (int i = 0; i < len; i += 80) printf("%.80s\n", log_ + i);
    return 0;
}
