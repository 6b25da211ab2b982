/* memfd_create and timerfd_create, as Erlang's BEAM (its JIT's code memory, its scheduler
 * wake-ups), libuv and systemd-style services use them. memfd: read and write, size, its
 * /proc/self/fd name, a MAP_SHARED mapping seen by read(), seals (F_ADD_SEALS, F_GET_SEALS:
 * EPERM without MFD_ALLOW_SEALING, a write seal refusing writes), bad names and flags.
 * timerfd: one-shot and periodic expirations counted by read, EAGAIN when none, poll, an
 * absolute deadline, timerfd_gettime while armed and after, timerfd_settime's old value and
 * dropping of pending expirations, writes refused, its /proc/self/fd name, a forked child
 * reading the same timer, and the EINVAL and EBADF cases (a read of fewer than 8 bytes is
 * EINVAL at once, for an eventfd too, not a wait). Only counts that do not depend on
 * timing are printed exactly. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void result(const char *what, long r)
{
    printf("%s: %s\n", what, r >= 0 ? "ok" : strerror(errno));
}

static void link_of(const char *what, int fd)
{
    char path[64], link[256];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("%s names: %s\n", what, link);
}

static void memfd_part(void)
{
    int fd = memfd_create("kvrm-test", 0);
    result("memfd_create", fd);
    if (fd < 0)
        return;
    result("write", write(fd, "hello memfd\n", 12));
    struct stat st;
    fstat(fd, &st);
    printf("size %lld, regular %s\n", (long long)st.st_size, S_ISREG(st.st_mode) ? "yes" : "no");
    char buf[32] = "";
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    printf("read back: %.*s", (int)(n > 0 ? n : 0), buf);
    link_of("/proc/self/fd", fd);
    result("ftruncate 8192", ftruncate(fd, 8192));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m != MAP_FAILED) {
        memcpy(m + 4096, "via the mapping", 15);
        pread(fd, buf, 15, 4096);
        printf("read sees the mapping's store: %s\n", memcmp(buf, "via the mapping", 15) ? "no" : "yes");
        munmap(m, 8192);
    }
    errno = 0;
    result("F_ADD_SEALS without MFD_ALLOW_SEALING", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    printf("F_GET_SEALS: %#x\n", fcntl(fd, F_GET_SEALS));
    close(fd);

    fd = memfd_create("sealed", MFD_ALLOW_SEALING | MFD_CLOEXEC);
    result("memfd_create sealable", fd);
    printf("F_GETFD: %d\n", fcntl(fd, F_GETFD));
    printf("F_GET_SEALS: %#x\n", fcntl(fd, F_GET_SEALS));
    write(fd, "x", 1);
    result("F_ADD_SEALS write|shrink|grow", fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));
    printf("F_GET_SEALS: %#x\n", fcntl(fd, F_GET_SEALS));
    result("write after the write seal", write(fd, "y", 1));
    result("ftruncate after the shrink seal", ftruncate(fd, 0));
    close(fd);

    char name[300];
    memset(name, 'n', sizeof name);
    name[249] = 0;
    fd = memfd_create(name, 0);
    result("name of 249 bytes", fd);
    if (fd >= 0)
        close(fd);
    name[249] = 'n';
    name[250] = 0;
    result("name of 250 bytes", memfd_create(name, 0));
    result("unknown flag 0x100", memfd_create("x", 0x100));
    result("bad name pointer", memfd_create((const char *)8, 0));
    int fd2 = eventfd(0, 0);
    result("F_GET_SEALS on an eventfd", fcntl(fd2, F_GET_SEALS));
    char small[4];
    result("eventfd read of 4 bytes", read(fd2, small, sizeof small));
    close(fd2);
}

static struct itimerspec its(long v_ms, long i_ms)
{
    struct itimerspec t;
    t.it_value.tv_sec = v_ms / 1000;
    t.it_value.tv_nsec = v_ms % 1000 * 1000000;
    t.it_interval.tv_sec = i_ms / 1000;
    t.it_interval.tv_nsec = i_ms % 1000 * 1000000;
    return t;
}

static void timerfd_part(void)
{
    int fd = timerfd_create(CLOCK_MONOTONIC, 0);
    result("timerfd_create", fd);
    link_of("/proc/self/fd", fd);
    struct itimerspec t = its(30, 0), cur;
    result("settime 30 ms", timerfd_settime(fd, 0, &t, NULL));
    timerfd_gettime(fd, &cur);
    long left = cur.it_value.tv_sec * 1000000000L + cur.it_value.tv_nsec;
    printf("gettime while armed: 0 < left <= 30 ms: %s, interval 0: %s\n", left > 0 && left <= 30000000 ? "yes" : "no",
           cur.it_interval.tv_sec == 0 && cur.it_interval.tv_nsec == 0 ? "yes" : "no");
    uint64_t n = 0;
    ssize_t r = read(fd, &n, sizeof n);
    printf("blocking read: %zd bytes, %llu expiration\n", r, (unsigned long long)n);
    timerfd_gettime(fd, &cur);
    printf("gettime after: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    char small[4];
    errno = 0;
    printf("read of 4 bytes: %s\n", read(fd, small, sizeof small) < 0 ? strerror(errno) : "read");
    result("write", write(fd, &n, sizeof n));

    int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    errno = 0;
    printf("non-blocking read, nothing expired: %s\n", read(nb, &n, sizeof n) < 0 ? strerror(errno) : "read");
    printf("F_GETFD: %d, O_NONBLOCK: %s\n", fcntl(nb, F_GETFD), fcntl(nb, F_GETFL) & O_NONBLOCK ? "yes" : "no");
    t = its(10, 10);
    timerfd_settime(nb, 0, &t, NULL);
    struct pollfd p = {.fd = nb, .events = POLLIN};
    printf("poll: %d, POLLIN %s\n", poll(&p, 1, 2000), p.revents & POLLIN ? "yes" : "no");
    usleep(60000);
    n = 0;
    read(nb, &n, sizeof n);
    printf("periodic: at least 2 expirations counted: %s\n", n >= 2 ? "yes" : "no");
    struct itimerspec old;
    t = its(0, 0);
    result("disarm", timerfd_settime(nb, 0, &t, &old));
    printf("old interval 10 ms: %s\n", old.it_interval.tv_sec == 0 && old.it_interval.tv_nsec == 10000000 ? "yes" : "no");
    t = its(5, 0);
    timerfd_settime(nb, 0, &t, NULL);
    usleep(20000);
    t = its(0, 0);
    timerfd_settime(nb, 0, &t, NULL);
    errno = 0;
    printf("expirations dropped by settime: %s\n", read(nb, &n, sizeof n) < 0 && errno == EAGAIN ? "yes" : "no");

    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    t = its(0, 0);
    t.it_value = now;
    t.it_value.tv_nsec += 20000000;
    if (t.it_value.tv_nsec >= 1000000000) {
        t.it_value.tv_sec++;
        t.it_value.tv_nsec -= 1000000000;
    }
    result("settime absolute now + 20 ms", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
    n = 0;
    read(fd, &n, sizeof n);
    printf("absolute: %llu expiration\n", (unsigned long long)n);
    t.it_value = now;
    result("settime absolute in the past", timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
    n = 0;
    read(fd, &n, sizeof n);
    printf("past deadline: %llu expiration\n", (unsigned long long)n);

    t = its(20, 0);
    timerfd_settime(fd, 0, &t, NULL);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        n = 0;
        read(fd, &n, sizeof n);
        printf("forked child reads the same timer: %llu expiration\n", (unsigned long long)n);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);

    result("create with a bad clock", timerfd_create(42, 0));
    result("create with bad flags", timerfd_create(CLOCK_MONOTONIC, 0x1));
    t = its(10, 0);
    result("settime with bad flags", timerfd_settime(fd, 4, &t, NULL));
    t.it_value.tv_nsec = 1000000000;
    result("settime with nsec 1e9", timerfd_settime(fd, 0, &t, NULL));
    int ev = eventfd(0, 0);
    t = its(10, 0);
    result("settime on an eventfd", timerfd_settime(ev, 0, &t, NULL));
    result("gettime on a bad descriptor", timerfd_gettime(999, &cur));
    result("settime with a bad pointer", timerfd_settime(fd, 0, (struct itimerspec *)8, NULL));
    close(ev);
    close(nb);
    close(fd);
}

int main(void)
{
    memfd_part();
    timerfd_part();
    return 0;
}
