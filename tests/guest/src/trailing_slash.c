/* Paths with a trailing slash: open with O_CREAT is EISDIR (a new name stays uncreated, an existing
 * file too), a regular file named with a slash is ENOTDIR to open, stat, lstat, access and unlink;
 * a directory takes one for mkdir, open and rmdir. */
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
static void show(const char *what, int r) { printf("%s: %d %s\n", what, r < 0 ? -1 : 0, r < 0 ? strerror(errno) : ""); if (r > 2) close(r); }
int main(void) {
  struct stat st;
  int fd = open("ts_file", O_CREAT | O_WRONLY | O_TRUNC, 0644); close(fd);
  show("open new/ O_CREAT", open("ts_new/", O_CREAT | O_WRONLY, 0644));
  show("access ts_new after", access("ts_new", F_OK));
  show("open file/ O_RDONLY", open("ts_file/", O_RDONLY));
  show("open file/ O_CREAT", open("ts_file/", O_CREAT | O_WRONLY, 0644));
  show("stat file/", stat("ts_file/", &st));
  show("lstat file/", lstat("ts_file/", &st));
  show("access file/", access("ts_file/", F_OK));
  show("unlink file/", unlink("ts_file/"));
  show("mkdir dir/", mkdir("ts_dir/", 0755));
  show("open dir/ O_RDONLY", open("ts_dir/", O_RDONLY));
  show("rmdir dir/", rmdir("ts_dir/"));
  show("unlink file", unlink("ts_file"));
  return 0;
}
