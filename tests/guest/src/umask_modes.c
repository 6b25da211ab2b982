/* File modes under the guest's umask: mkdir, open with O_CREAT (new, existing, O_EXCL) and mkfifo
 * with umask 002, 0 and 077 get exactly the mode the umask leaves, whatever the host's umask. */
#include <stdio.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>
static void show(const char *what, const char *p) { struct stat st; if (stat(p, &st)) { perror(p); return; } printf("%s %o\n", what, st.st_mode & 07777); }
int main(void) {
  umask(002);
  mkdir("um_d", 0777); show("mkdir 0777 umask 002:", "um_d");
  int fd = open("um_d/f", O_CREAT | O_WRONLY, 0666); close(fd); show("open 0666 umask 002:", "um_d/f");
  fd = open("um_d/f", O_CREAT | O_WRONLY, 0600); close(fd); show("open existing again:", "um_d/f");
  fd = open("um_d/g", O_CREAT | O_EXCL | O_WRONLY, 0664); close(fd); show("open excl 0664:", "um_d/g");
  mkfifo("um_d/p", 0666); show("mkfifo 0666:", "um_d/p");
  umask(0); mkdir("um_d/e", 0777); show("mkdir 0777 umask 0:", "um_d/e");
  umask(077); mkdir("um_d/h", 0777); show("mkdir 0777 umask 077:", "um_d/h");
  unlink("um_d/f"); unlink("um_d/g"); unlink("um_d/p"); rmdir("um_d/e"); rmdir("um_d/h"); rmdir("um_d");
  return 0;
}
