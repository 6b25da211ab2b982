/* pidfd_send_signal on a descriptor of a /proc/PID directory (and of /proc/self) signals that
 * process, as Linux allows; on a /proc file or a non-pidfd descriptor it is EBADF. */
#define _GNU_SOURCE
#include <stdio.h>
#include <signal.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
static volatile sig_atomic_t got;
static void on_usr1(int s) { got = s; }
static int send(int fd, int sig) { return syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0); }
int main(void) {
  signal(SIGUSR1, on_usr1);
  char path[64]; snprintf(path, sizeof path, "/proc/%d", getpid());
  int fd = open(path, O_DIRECTORY | O_RDONLY);
  int r = send(fd, SIGUSR1); printf("/proc/PID fd: %d, handler saw %s\n", r, got == SIGUSR1 ? "SIGUSR1" : "nothing");
  got = 0;
  int self = open("/proc/self", O_DIRECTORY | O_RDONLY);
  r = send(self, SIGUSR1); printf("/proc/self fd: %d, handler saw %s\n", r, got == SIGUSR1 ? "SIGUSR1" : "nothing");
  int file = open("/proc/self/status", O_RDONLY);
  r = send(file, SIGUSR1); printf("a file: %d %s\n", r, r ? strerror(errno) : "");
  r = send(0, SIGUSR1); printf("fd 0: %d %s\n", r, r ? strerror(errno) : "");
  return 0;
}
