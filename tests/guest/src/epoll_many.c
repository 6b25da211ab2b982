/* epoll_wait with more than 1024 ready descriptors returns every one of them, up to
 * maxevents (CPython's selectors test registers about 20,000); a smaller maxevents caps it.
 * Needs a hard RLIMIT_NOFILE of at least 2048. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#define COUNT 1500
int main(void) {
  struct rlimit r;
  getrlimit(RLIMIT_NOFILE, &r);
  if (r.rlim_max < 2048) { printf("hard RLIMIT_NOFILE below 2048\n"); return 1; }
  r.rlim_cur = 2048;
  if (setrlimit(RLIMIT_NOFILE, &r) != 0) { perror("setrlimit"); return 1; }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  static int fds[COUNT];
  for (int i = 0; i < COUNT; i++) {
    fds[i] = eventfd(1, EFD_CLOEXEC); /* readable at once */
    if (fds[i] < 0) { perror("eventfd"); return 1; }
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 1000000 + i};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev) != 0) { perror("epoll_ctl"); return 1; }
  }
  static struct epoll_event got[2000];
  static char seen[COUNT];
  int n = epoll_wait(ep, got, 2000, 0);
  int distinct = 0, wrong = 0;
  for (int i = 0; i < n; i++) {
    long k = (long)got[i].data.u64 - 1000000;
    if (k < 0 || k >= COUNT || got[i].events != EPOLLIN) { wrong++; continue; }
    if (!seen[k]) { seen[k] = 1; distinct++; }
  }
  printf("maxevents 2000: %d ready, %d distinct, %d wrong\n", n, distinct, wrong);
  printf("maxevents 1200: %d ready\n", epoll_wait(ep, got, 1200, 0));
  printf("maxevents 7: %d ready\n", epoll_wait(ep, got, 7, 0));
  /* Drain half: only the rest stay ready. */
  for (int i = 0; i < COUNT; i += 2) { unsigned long long v; if (read(fds[i], &v, 8) != 8) return 1; }
  printf("after draining half: %d ready\n", epoll_wait(ep, got, 2000, 0));
  return 0;
}
