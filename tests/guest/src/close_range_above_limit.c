/* close_range over descriptors opened before RLIMIT_NOFILE was lowered below them: both the
 * CLOSE_RANGE_CLOEXEC form and closing reach them, as on Linux (the range is not cut at the limit). */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
/* musl's headers may lack these (arm64 numbers). */
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
int main(void) {
  int fds[12], n = 0;
  for (int i = 0; i < 40; i++) { int fd = open("/dev/null", O_RDONLY); if (fd >= 28) fds[n++] = fd; if (n == 12) break; }
  struct rlimit rl; getrlimit(RLIMIT_NOFILE, &rl); rl.rlim_cur = 20; setrlimit(RLIMIT_NOFILE, &rl);
  printf("open above the new limit: %d\n", fcntl(fds[n - 1], F_GETFD) >= 0);
  int r = syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
  printf("close_range cloexec: %d, flag on the highest: %d\n", r, fcntl(fds[n - 1], F_GETFD));
  r = syscall(SYS_close_range, 3, ~0U, 0);
  int still = 0;
  for (int i = 0; i < n; i++) if (fcntl(fds[i], F_GETFD) >= 0) still++;
  printf("close_range: %d, still open above the limit: %d\n", r, still);
  return 0;
}
