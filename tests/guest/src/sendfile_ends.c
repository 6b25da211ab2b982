/* sendfile with one descriptor as both ends (read-only: EBADF, as Linux; kvrm once locked the
 * shared open file twice and hung), from a write-only descriptor (EBADF), file to file. */
#include <stdio.h>
#include <sys/sendfile.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
int main(void) {
  int w = open("sf_src.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644); write(w, "hello world\n", 12); close(w);
  int in = open("sf_src.txt", O_RDONLY);
  ssize_t r = sendfile(in, in, NULL, 12); printf("to a read-only fd: %zd %s\n", r, r < 0 ? strerror(errno) : "");
  int out = open("sf_dst.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  int wo = open("sf_src.txt", O_WRONLY);
  r = sendfile(out, wo, NULL, 12); printf("from a write-only fd: %zd %s\n", r, r < 0 ? strerror(errno) : "");
  r = sendfile(out, in, NULL, 12); printf("file to file: %zd\n", r);
  unlink("sf_src.txt"); unlink("sf_dst.txt");
  return 0;
}
