/* CPU-time clocks named by id: pthread_getcpuclockid of a live thread and of the caller,
 * clock_getcpuclockid of the process (0 and its pid) read through clock_gettime and
 * clock_getres; a clock of a missing process and a clock-descriptor id are EINVAL. */
// kvrm-cflags: -pthread
#include <stdio.h>
#include <time.h>
#include <pthread.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
static volatile unsigned long sink;
static pthread_barrier_t spun, read_done;
static void spin(void) { for (unsigned long i = 0; i < 2000000; i++) sink += i; }
static void *worker(void *a)
{
    (void)a;
    spin();
    pthread_barrier_wait(&spun);
    pthread_barrier_wait(&read_done); /* alive while main reads its clock */
    return NULL;
}
int main(void) {
  clockid_t c; struct timespec t, r;
  pthread_barrier_init(&spun, NULL, 2);
  pthread_barrier_init(&read_done, NULL, 2);
  pthread_t th; pthread_create(&th, NULL, worker, NULL);
  spin();
  pthread_barrier_wait(&spun);
  int e = pthread_getcpuclockid(th, &c); printf("getcpuclockid thread: %d\n", e);
  int rc = clock_gettime(c, &t); printf("thread clock: %d %s\n", rc, (t.tv_sec > 0 || t.tv_nsec > 0) ? "positive" : "zero");
  rc = clock_getres(c, &r); printf("thread res: %d %ld.%09ld\n", rc, (long)r.tv_sec, r.tv_nsec);
  pthread_barrier_wait(&read_done);
  pthread_join(th, NULL);
  e = pthread_getcpuclockid(pthread_self(), &c);
  rc = clock_gettime(c, &t); printf("self thread clock: %d %s\n", rc, (t.tv_sec > 0 || t.tv_nsec > 0) ? "positive" : "zero");
  e = clock_getcpuclockid(0, &c); printf("getcpuclockid 0: %d\n", e);
  rc = clock_gettime(c, &t); printf("process clock: %d %s\n", rc, (t.tv_sec > 0 || t.tv_nsec > 0) ? "positive" : "zero");
  e = clock_getcpuclockid(getpid(), &c);
  rc = clock_gettime(c, &t); printf("process clock by pid: %d\n", rc);
  rc = clock_getres(c, &r); printf("process res: %d %ld.%09ld\n", rc, (long)r.tv_sec, r.tv_nsec);
  clockid_t bad = ((~(clockid_t)999999) << 3) | 2;
  rc = clock_gettime(bad, &t); printf("missing pid: %d %s\n", rc, rc ? strerror(errno) : "");
  clockid_t fdclk = ((~(clockid_t)0) << 3) | 3;
  rc = clock_gettime(fdclk, &t); printf("fd clock: %d %s\n", rc, rc ? strerror(errno) : "");
  return 0;
}
