/* F_GETPIPE_SZ and F_SETPIPE_SZ: the default capacity, halving it (seen from the other end),
 * sizes rounded up to a power of two pages, EBADF on a file that is not a pipe. */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
int main(void) {
  int p[2]; pipe(p);
  int d = fcntl(p[1], F_GETPIPE_SZ); printf("default %d\n", d);
  int r = fcntl(p[1], F_SETPIPE_SZ, d / 2); printf("set half: %d, now %d\n", r, fcntl(p[0], F_GETPIPE_SZ));
  r = fcntl(p[1], F_SETPIPE_SZ, 5000); printf("set 5000: %d\n", r);
  r = fcntl(p[1], F_SETPIPE_SZ, 1); printf("set 1: %d\n", r);
  int fd = open("/dev/null", O_RDONLY);
  r = fcntl(fd, F_GETPIPE_SZ); printf("not a pipe: %d %s\n", r, r < 0 ? strerror(errno) : "");
  return 0;
}
