/* A futex wakes its waiters in the order they began to wait, as Linux queues them (one
 * priority), whatever their thread ids; FUTEX_CMP_REQUEUE moves them in that order to the end
 * of the other futex's queue. Threads 0..3 start in id order but wait in the reverse order: the
 * main thread lets each one go to its wait only after the one before has gone to its own. */
// kvrm-cflags: -pthread
#define _GNU_SOURCE
#include <stdio.h>
#include <pthread.h>
#include <unistd.h>
#include <time.h>
#include <stdatomic.h>
#include <sys/syscall.h>
/* The futex operations (linux/futex.h, which musl's headers lack). */
#define FUTEX_WAIT_PRIVATE (0 | 128)
#define FUTEX_WAKE_PRIVATE (1 | 128)
#define FUTEX_CMP_REQUEUE_PRIVATE (4 | 128)

/* The futex words stay 0; `go` lets the thread just woken leave its wait loop. */
static _Atomic int word1, word2, waiting, go;
static int order[8], woken;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static long futex(_Atomic int *w, int op, int val, unsigned long val2, _Atomic int *w2, int val3) {
  return syscall(SYS_futex, w, op, val, val2, w2, val3);
}

static void pause_ms(int ms) {
  struct timespec t = {0, ms * 1000000L};
  nanosleep(&t, NULL);
}

/* Wait on `w` once let go; then record the wake-up. */
struct job { int id; _Atomic int gate; _Atomic int *w; };
static void *waiter(void *p) {
  struct job *j = p;
  while (!atomic_load(&j->gate)) pause_ms(1);
  atomic_fetch_add(&waiting, 1);
  while (!atomic_load(&go)) futex(j->w, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);
  pthread_mutex_lock(&lock);
  order[woken++] = j->id;
  pthread_mutex_unlock(&lock);
  return NULL;
}

/* Wake one waiter of `w` (`go` set for it) and wait until it has recorded itself. */
static void wake_one(_Atomic int *w, int expect) {
  long n = futex(w, FUTEX_WAKE_PRIVATE, 1, 0, NULL, 0);
  for (int i = 0; i < 500 && __atomic_load_n(&woken, __ATOMIC_SEQ_CST) < expect; i++) pause_ms(1);
  if (n != 1) printf("wake returned %ld\n", n);
}

static void run(int requeue) {
  pthread_t t[4];
  struct job jobs[4];
  atomic_store(&waiting, 0); woken = 0;
  int n = requeue ? 4 : 3;
  for (int i = 0; i < n; i++) {
    jobs[i].id = i;
    atomic_store(&jobs[i].gate, 0);
    /* Thread 3 (requeue run) waits on word2; threads 0..2 wait on word1. */
    jobs[i].w = i == 3 ? &word2 : &word1;
    pthread_create(&t[i], NULL, waiter, &jobs[i]);
  }
  /* Let them go in the order 3 (if there), 2, 1, 0, each once the one before is waiting. */
  for (int i = n - 1; i >= 0; i--) {
    atomic_store(&jobs[i].gate, 1);
    while (atomic_load(&waiting) < n - i) pause_ms(1);
    pause_ms(30); /* from its count to its futex wait: a few instructions */
  }
  if (requeue) {
    long r = futex(&word1, FUTEX_CMP_REQUEUE_PRIVATE, 0, 10, &word2, 0);
    printf("requeue: %ld moved\n", r);
  }
  _Atomic int *w = requeue ? &word2 : &word1;
  for (int k = 1; k <= n; k++) {
    atomic_store(&go, 1);
    wake_one(w, k);
    atomic_store(&go, 0);
  }
  for (int i = 0; i < n; i++) pthread_join(t[i], NULL);
  printf("%s order:", requeue ? "requeued" : "woken");
  for (int i = 0; i < woken; i++) printf(" %d", order[i]);
  printf("\n");
}

int main(void) {
  run(0);
  run(1);
  return 0;
}
