/* Thread-local storage: __thread and _Thread_local variables (initialised and zero-initialised,
 * scalars and an array) are private to each of 8 threads and start at their initial values in
 * every thread; pthread_key_create destructors run at thread exit only for non-NULL values, are
 * re-run when a destructor sets the value again, and not at all after pthread_key_delete. */
// kvrm-cflags: -pthread
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NT 8

static __thread int tls_init = 5;
static _Thread_local uint64_t tls_arr[4];
static __thread char tls_name[16] = "initial";

static pthread_key_t key_a, key_b, key_gone;
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static int dtor_a_calls, dtor_b_calls, dtor_gone_calls;
static long dtor_a_sum;
static int start_ok[NT], end_ok[NT];
static uintptr_t addr[NT];

static void dtor_a(void *v)
{
    pthread_mutex_lock(&m);
    dtor_a_calls++;
    dtor_a_sum += (long)(intptr_t)v;
    pthread_mutex_unlock(&m);
}

static void dtor_b(void *v)
{
    pthread_mutex_lock(&m);
    dtor_b_calls++;
    pthread_mutex_unlock(&m);
    if ((intptr_t)v == 1) pthread_setspecific(key_b, (void *)2); /* once more, with 2 */
}

static void dtor_gone(void *v)
{
    (void)v;
    pthread_mutex_lock(&m);
    dtor_gone_calls++;
    pthread_mutex_unlock(&m);
}

static void *worker(void *arg)
{
    int id = (int)(intptr_t)arg;
    start_ok[id] = tls_init == 5 && tls_arr[0] == 0 && tls_arr[3] == 0 && tls_name[0] == 'i' &&
                   pthread_getspecific(key_a) == NULL;
    addr[id] = (uintptr_t)&tls_init;
    tls_init = 100 + id;
    for (int i = 0; i < 4; i++) tls_arr[i] = (uint64_t)id * 1000 + i;
    snprintf(tls_name, sizeof tls_name, "thread-%d", id);
    for (int r = 0; r < 20; r++) sched_yield(); /* let the others write theirs */
    char want[16];
    snprintf(want, sizeof want, "thread-%d", id);
    int ok = tls_init == 100 + id;
    for (int i = 0; i < 4; i++) ok &= tls_arr[i] == (uint64_t)id * 1000 + i;
    for (int i = 0; want[i] || tls_name[i]; i++) ok &= want[i] == tls_name[i];
    end_ok[id] = ok;

    if (id % 2 == 0) pthread_setspecific(key_a, (void *)(intptr_t)(id + 1)); /* even threads */
    if (id == 3) {                                                           /* set, then cleared */
        pthread_setspecific(key_a, (void *)77);
        pthread_setspecific(key_a, NULL);
    }
    if (id < 4) pthread_setspecific(key_b, (void *)1);
    if (id == NT - 1) { /* a value set, then its key deleted: never destroyed */
        pthread_setspecific(key_gone, (void *)1);
        pthread_key_delete(key_gone);
    }
    return (void *)(intptr_t)tls_init;
}

int main(void)
{
    pthread_key_create(&key_a, dtor_a);
    pthread_key_create(&key_b, dtor_b);
    pthread_key_create(&key_gone, dtor_gone);
    tls_init = 1;
    tls_arr[2] = 9;

    pthread_t t[NT];
    void *ret[NT];
    for (intptr_t i = 0; i < NT / 2; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = 0; i < NT / 2; i++) pthread_join(t[i], &ret[i]);
    for (intptr_t i = NT / 2; i < NT; i++) pthread_create(&t[i], NULL, worker, (void *)i);
    for (int i = NT / 2; i < NT; i++) pthread_join(t[i], &ret[i]);

    int starts = 0, ends = 0, distinct = 0;
    long rsum = 0;
    for (int i = 0; i < NT; i++) {
        starts += start_ok[i];
        ends += end_ok[i];
        rsum += (long)(intptr_t)ret[i];
        int dup = addr[i] == (uintptr_t)&tls_init;
        for (int j = 0; j < i; j++) dup |= addr[i] == addr[j] && i / 4 == j / 4; /* none joined yet */
        distinct += !dup;
    }
    printf("threads started with initial TLS values: %d\n", starts);
    printf("threads kept their own TLS values: %d\n", ends);
    printf("TLS addresses distinct among live threads and from main: %d\n", distinct);
    printf("sum of returned TLS values: %ld\n", rsum);
    printf("main's TLS untouched: %d %llu %s\n", tls_init, (unsigned long long)tls_arr[2], tls_name);
    printf("destructor a: %d calls, sum %ld\n", dtor_a_calls, dtor_a_sum);
    printf("destructor b: %d calls (4 threads, twice each)\n", dtor_b_calls);
    printf("destructor of the deleted key: %d calls\n", dtor_gone_calls);
    return 0;
}
