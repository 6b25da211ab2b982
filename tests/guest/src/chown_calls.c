/* chown, lchown, fchown, fchownat and ftruncate: a missing path is ENOENT, a descriptor that is not
 * open EBADF, a bad flag or a negative length EINVAL, a read-only descriptor EINVAL for ftruncate;
 * ids of -1 or the caller's own change nothing and succeed. */
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
int main(void) {
  int r;
  r = chown("/nonexistent/x", -1, -1); printf("chown missing: %d %s\n", r, r ? strerror(errno) : "");
  r = fchown(-1, -1, -1); printf("fchown -1: %d %s\n", r, r ? strerror(errno) : "");
  r = fchown(77, -1, -1); printf("fchown 77: %d %s\n", r, r ? strerror(errno) : "");
  r = ftruncate(77, 0); printf("ftruncate 77: %d %s\n", r, r ? strerror(errno) : "");
  r = ftruncate(77, -1); printf("ftruncate 77 -1: %d %s\n", r, r ? strerror(errno) : "");
  int fd = open("chown_calls.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  r = fchown(fd, -1, -1); printf("fchown fd: %d\n", r);
  r = chown("chown_calls.txt", getuid(), getgid()); printf("chown same: %d\n", r);
  r = lchown("chown_calls.txt", -1, getgid()); printf("lchown: %d\n", r);
  r = fchownat(AT_FDCWD, "chown_calls.txt", -1, -1, 0x4000); printf("fchownat bad flag: %d %s\n", r, r ? strerror(errno) : "");
  int rd = open("chown_calls.txt", O_RDONLY);
  r = ftruncate(rd, 0); printf("ftruncate rdonly: %d %s\n", r, r ? strerror(errno) : "");
  unlink("chown_calls.txt");
  return 0;
}
