/* Many threads: 64 threads created and joined in 4 waves of 16, each returning a value (by return
 * and by pthread_exit); within a wave gettid() and pthread_self() are distinct and differ from
 * main's, and getpid() is main's. 8 detached threads (4 through an attribute, 4 by
 * pthread_detach) signal completion through a condvar. Prints counts and sums only. */
// kvrm-cflags: -pthread
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WAVES 4
#define PER_WAVE 16
#define NDETACHED 8

static long tids[PER_WAVE];
static pthread_t selves[PER_WAVE];
static int same_pid[PER_WAVE];
static pid_t main_pid;
static long main_tid;

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int detached_done;
static long detached_sum;

static void *worker(void *arg)
{
    intptr_t n = (intptr_t)arg, slot = n % PER_WAVE;
    tids[slot] = syscall(SYS_gettid);
    selves[slot] = pthread_self();
    same_pid[slot] = getpid() == main_pid;
    if (n % 2) pthread_exit((void *)(n * n + 1));
    return (void *)(n * n + 1);
}

static void *detached(void *arg)
{
    pthread_mutex_lock(&m);
    detached_sum += (long)(intptr_t)arg;
    detached_done++;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&m);
    return NULL;
}

int main(void)
{
    main_pid = getpid();
    main_tid = syscall(SYS_gettid);
    printf("main: tid == pid %d\n", main_tid == (long)main_pid);
    long ret_sum = 0;
    int created = 0, joined = 0;
    for (int w = 0; w < WAVES; w++) {
        pthread_t t[PER_WAVE];
        for (intptr_t i = 0; i < PER_WAVE; i++)
            created += pthread_create(&t[i], NULL, worker, (void *)(w * PER_WAVE + i)) == 0;
        for (int i = 0; i < PER_WAVE; i++) {
            void *r;
            joined += pthread_join(t[i], &r) == 0;
            ret_sum += (long)(intptr_t)r;
        }
        int distinct_tid = 0, distinct_self = 0, pid_ok = 0, self_matches = 0;
        for (int i = 0; i < PER_WAVE; i++) {
            int dt = tids[i] > 0 && tids[i] != main_tid, ds = !pthread_equal(selves[i], pthread_self());
            for (int j = 0; j < i; j++) {
                dt &= tids[i] != tids[j];
                ds &= !pthread_equal(selves[i], selves[j]);
            }
            distinct_tid += dt;
            distinct_self += ds;
            pid_ok += same_pid[i];
            self_matches += pthread_equal(selves[i], t[i]) != 0;
        }
        printf("wave %d: distinct tids %d, distinct pthread_self %d, self == handle %d, getpid == main %d\n", w,
               distinct_tid, distinct_self, self_matches, pid_ok);
    }
    printf("created %d, joined %d, sum of return values %ld\n", created, joined, ret_sum);

    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
    int state = 0;
    pthread_attr_getdetachstate(&a, &state);
    printf("attribute detached: %d\n", state == PTHREAD_CREATE_DETACHED);
    int started = 0, detach_ok = 0;
    for (intptr_t i = 0; i < NDETACHED; i++) {
        pthread_t t;
        if (i < NDETACHED / 2) {
            started += pthread_create(&t, &a, detached, (void *)(i + 1)) == 0;
        } else {
            started += pthread_create(&t, NULL, detached, (void *)(i + 1)) == 0;
            detach_ok += pthread_detach(t) == 0;
        }
    }
    pthread_attr_destroy(&a);
    pthread_mutex_lock(&m);
    while (detached_done < NDETACHED) pthread_cond_wait(&cv, &m);
    pthread_mutex_unlock(&m);
    printf("detached: started %d, pthread_detach ok %d, finished %d, sum %ld\n", started, detach_ok, detached_done,
           detached_sum);
    return 0;
}
