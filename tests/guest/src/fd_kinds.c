/* Descriptors of other kinds and the calls that go with them: memfd_create (and its
 * seals, a MAP_SHARED view of it, its /proc/self/fd link), timerfd (blocking, non-blocking,
 * periodic, poll), inotify (events for files made and removed in the cwd), splice, tee and
 * vmsplice between pipes and files, and truncate by path. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#define MFD_ALLOW_SEALING 2U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_GET_SEALS 1034
#define F_SEAL_SEAL 1
#define F_SEAL_SHRINK 2
#define F_SEAL_GROW 4
#define F_SEAL_WRITE 8
#endif

static const char *err(long r)
{
    if (r >= 0) return "ok";
    switch (errno) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EEXIST: return "EEXIST";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EINVAL: return "EINVAL";
    case ESPIPE: return "ESPIPE";
    case ENOSYS: return "ENOSYS";
    case EBUSY: return "EBUSY";
    case EFBIG: return "EFBIG";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static void memfd(void)
{
    int fd = syscall(SYS_memfd_create, "kvrm-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
    printf("memfd_create: %s\n", err(fd));
    if (fd < 0) return;
    printf("cloexec: %d\n", (fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    struct stat st;
    fstat(fd, &st);
    printf("regular: %d, size %lld, mode %o\n", S_ISREG(st.st_mode), (long long)st.st_size,
           (unsigned)(st.st_mode & 0777));
    char link[64], path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("link: %s\n", link);
    printf("write: %zd\n", write(fd, "hello memfd", 11));
    printf("ftruncate 8192: %s\n", err(ftruncate(fd, 8192)));
    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mmap shared: %s\n", m == MAP_FAILED ? "failed" : "ok");
    if (m != MAP_FAILED) {
        printf("mapped bytes: %.11s\n", m);
        memcpy(m + 4096, "through the map", 15);
        char buf[16] = {0};
        pread(fd, buf, 15, 4096);
        printf("pread after a store: %s\n", buf);
        munmap(m, 8192);
    }
    printf("get seals: %d\n", fcntl(fd, F_GET_SEALS));
    printf("add seals shrink|grow: %s\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW)));
    printf("get seals: %d\n", fcntl(fd, F_GET_SEALS));
    printf("ftruncate 100 (sealed): %s\n", err(ftruncate(fd, 100)));
    printf("pwrite past end (sealed): %s\n", err(pwrite(fd, "x", 1, 9000)));
    printf("pwrite inside (not sealed): %s\n", err(pwrite(fd, "y", 1, 10)));
    printf("add seal write: %s\n", err(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)));
    printf("pwrite inside (sealed): %s\n", err(pwrite(fd, "y", 1, 10)));
    printf("mmap shared writable (sealed): %s\n",
           mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? err(-1) : "ok");
    close(fd);
    int plain = syscall(SYS_memfd_create, "plain", 0);
    printf("plain memfd get seals: %d, add: %s\n", fcntl(plain, F_GET_SEALS),
           err(fcntl(plain, F_ADD_SEALS, F_SEAL_WRITE)));
    printf("plain cloexec: %d\n", (fcntl(plain, F_GETFD) & FD_CLOEXEC) != 0);
    close(plain);
    printf("bad flags: %s\n", err(syscall(SYS_memfd_create, "x", 0x100)));
    char longname[300];
    memset(longname, 'a', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    printf("long name: %s\n", err(syscall(SYS_memfd_create, longname, 0)));
    printf("bad name pointer: %s\n", err(syscall(SYS_memfd_create, (char *)8, 0)));
}

static void timers(void)
{
    printf("timerfd bad clock: %s\n", err(timerfd_create(12345, 0)));
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    printf("timerfd_create: %s, cloexec %d\n", err(t), (fcntl(t, F_GETFD) & FD_CLOEXEC) != 0);
    struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}}, cur;
    printf("settime 20 ms: %s\n", err(timerfd_settime(t, 0, &its, NULL)));
    timerfd_gettime(t, &cur);
    printf("gettime: armed %d, interval %ld\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_nsec > 0,
           (long)cur.it_interval.tv_nsec);
    uint64_t count = 0;
    ssize_t n = read(t, &count, sizeof count);
    printf("blocking read: %zd bytes, count %llu\n", n, (unsigned long long)count);
    timerfd_gettime(t, &cur);
    printf("gettime after expiry: %ld %ld\n", (long)cur.it_value.tv_sec, (long)cur.it_value.tv_nsec);
    printf("short read: %s\n", err(read(t, &count, 4)));
    int fl = fcntl(t, F_GETFL);
    fcntl(t, F_SETFL, fl | O_NONBLOCK);
    printf("non-blocking read of a disarmed timer: %s\n", err(read(t, &count, 8)));
    struct itimerspec periodic = {{0, 2 * 1000 * 1000}, {0, 2 * 1000 * 1000}}, old;
    timerfd_settime(t, 0, &periodic, NULL);
    struct timespec nap = {0, 30 * 1000 * 1000};
    nanosleep(&nap, NULL);
    struct pollfd p = {t, POLLIN, 0};
    printf("poll: %d, revents %x\n", poll(&p, 1, 1000), p.revents);
    n = read(t, &count, 8);
    printf("periodic: %zd bytes, at least 10 expirations: %d\n", n, count >= 10);
    struct itimerspec off = {{0, 0}, {0, 0}};
    printf("disarm: %s, old interval %ld\n", err(timerfd_settime(t, 0, &off, &old)),
           (long)old.it_interval.tv_nsec);
    printf("read after disarm: %s\n", err(read(t, &count, 8)));
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    struct itimerspec abs = {{0, 0}, now};
    printf("absolute time in the past: %s\n", err(timerfd_settime(t, TFD_TIMER_ABSTIME, &abs, NULL)));
    n = read(t, &count, 8);
    printf("read: %zd bytes, count %llu\n", n, (unsigned long long)count);
    struct itimerspec bad = {{0, 0}, {0, 1000000000}};
    printf("nsec out of range: %s\n", err(timerfd_settime(t, 0, &bad, NULL)));
    printf("settime bad flags: %s\n", err(timerfd_settime(t, 0x40, &its, NULL)));
    printf("settime on a pipe: ");
    int pp[2];
    pipe(pp);
    printf("%s\n", err(timerfd_settime(pp[0], 0, &its, NULL)));
    close(pp[0]);
    close(pp[1]);
    close(t);
    int rt = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK);
    printf("realtime non-blocking: %s, O_NONBLOCK %d\n", err(rt), (fcntl(rt, F_GETFL) & O_NONBLOCK) != 0);
    printf("read unarmed: %s\n", err(read(rt, &count, 8)));
    close(rt);
}

static void notify(void)
{
    int in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    printf("inotify_init1: %s\n", err(in));
    mkdir("watched", 0755);
    int wd = inotify_add_watch(in, "watched", IN_CREATE | IN_DELETE | IN_MODIFY | IN_CLOSE_WRITE);
    printf("add_watch: %s, first wd %d\n", err(wd), wd);
    printf("add_watch missing: %s\n", err(inotify_add_watch(in, "no-such-dir", IN_CREATE)));
    printf("add_watch no events: %s\n", err(inotify_add_watch(in, "watched", 0)));
    char buf[4096] __attribute__((aligned(8)));
    printf("read, nothing yet: %s\n", err(read(in, buf, sizeof buf)));
    int f = open("watched/file", O_CREAT | O_WRONLY, 0644);
    write(f, "x", 1);
    close(f);
    unlink("watched/file");
    ssize_t n = read(in, buf, sizeof buf);
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf("event: wd %d mask %08x name %s\n", e->wd == wd, e->mask, e->len ? e->name : "");
        p += sizeof *e + e->len;
    }
    printf("rm_watch: %s\n", err(inotify_rm_watch(in, wd)));
    n = read(in, buf, sizeof buf);
    for (char *p = buf; n > 0 && p < buf + n;) {
        struct inotify_event *e = (struct inotify_event *)p;
        printf("event after rm_watch: mask %08x\n", e->mask);
        p += sizeof *e + e->len;
    }
    printf("rm_watch again: %s\n", err(inotify_rm_watch(in, wd)));
    printf("small read buffer: ");
    wd = inotify_add_watch(in, "watched", IN_CREATE);
    close(open("watched/another", O_CREAT | O_WRONLY, 0644));
    printf("%s\n", err(read(in, buf, 8)));
    unlink("watched/another");
    close(in);
    rmdir("watched");
}

static void splices(void)
{
    int p[2], q[2];
    pipe(p);
    pipe(q);
    int f = open("splice.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(p[1], "spliced bytes", 13);
    loff_t off = 4;
    ssize_t n = splice(p[0], NULL, f, &off, 64, 0);
    printf("splice pipe->file at 4: %zd, offset now %lld, file position %lld\n", n, (long long)off,
           (long long)lseek(f, 0, SEEK_CUR));
    char buf[32] = {0};
    pread(f, buf, sizeof buf - 1, 0);
    printf("file: %c%c%c%c|%s\n", buf[0] ? buf[0] : '0', buf[1] ? buf[1] : '0', buf[2] ? buf[2] : '0',
           buf[3] ? buf[3] : '0', buf + 4);
    lseek(f, 4, SEEK_SET);
    n = splice(f, NULL, p[1], NULL, 7, 0);
    printf("splice file->pipe: %zd, file position %lld\n", n, (long long)lseek(f, 0, SEEK_CUR));
    n = tee(p[0], q[1], 64, 0);
    printf("tee: %zd\n", n);
    memset(buf, 0, sizeof buf);
    read(q[0], buf, sizeof buf);
    printf("tee copy: %s\n", buf);
    memset(buf, 0, sizeof buf);
    read(p[0], buf, sizeof buf);
    printf("original: %s\n", buf);
    struct iovec iov[2] = {{"vm", 2}, {"splice", 6}};
    printf("vmsplice: %zd\n", vmsplice(p[1], iov, 2, 0));
    memset(buf, 0, sizeof buf);
    read(p[0], buf, sizeof buf);
    printf("vmspliced: %s\n", buf);
    printf("splice file->file: %s\n", err(splice(f, NULL, f, NULL, 4, 0)));
    printf("splice with an offset on a pipe: %s\n", err(splice(p[0], &off, f, NULL, 4, 0)));
    printf("splice bad flags: %s\n", err(splice(p[0], NULL, f, NULL, 4, 0x100)));
    printf("splice bad fd: %s\n", err(splice(99, NULL, p[1], NULL, 4, 0)));
    printf("tee file: %s\n", err(tee(f, p[1], 4, 0)));
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    printf("splice from an empty non-blocking pipe: %s\n", err(splice(p[0], NULL, f, NULL, 4, 0)));
    printf("splice SPLICE_F_NONBLOCK, empty pipe: %s\n",
           err(splice(q[0], NULL, f, NULL, 4, SPLICE_F_NONBLOCK)));
    printf("splice 0 bytes: %zd\n", splice(q[0], NULL, f, NULL, 0, 0));
    close(p[1]);
    printf("splice at end of pipe: %zd\n", splice(p[0], NULL, f, NULL, 4, 0));
    close(p[0]);
    close(q[0]);
    close(q[1]);
    close(f);
    unlink("splice.dat");
}

static void truncation(void)
{
    int f = open("trunc.dat", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(f, "0123456789", 10);
    close(f);
    struct stat st;
    printf("truncate to 4: %s", err(truncate("trunc.dat", 4)));
    stat("trunc.dat", &st);
    printf(", size %lld\n", (long long)st.st_size);
    printf("truncate to 6000: %s", err(truncate("trunc.dat", 6000)));
    stat("trunc.dat", &st);
    printf(", size %lld\n", (long long)st.st_size);
    printf("truncate negative: %s\n", err(syscall(SYS_truncate, "trunc.dat", -1L)));
    printf("truncate missing: %s\n", err(truncate("no-such-file", 0)));
    printf("truncate a directory: %s\n", err(truncate(".", 0)));
    printf("truncate through a missing directory: %s\n", err(truncate("no-dir/x", 0)));
    printf("truncate bad pointer: %s\n", err(syscall(SYS_truncate, (char *)8, 0L)));
    chmod("trunc.dat", 0444);
    /* (root may write a read-only file, so the result of that is not printed) */
    chmod("trunc.dat", 0644);
    unlink("trunc.dat");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    memfd();
    timers();
    notify();
    splices();
    truncation();
    return 0;
}
