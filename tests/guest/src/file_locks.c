/* File locks between processes: POSIX record locks (F_GETLK/F_SETLK/F_SETLKW), OFD locks
 * (F_OFD_*) and flock. A parent and a forked child contend for byte ranges of one file in the
 * scratch directory; pipes order their steps so that the output is deterministic. A child
 * blocked in F_SETLKW or flock must not stop the parent (it unlocks after the child blocked).
 * Checks sqlite's pattern too: F_GETLK answers F_UNLCK when the range is free. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t parent_pid, child_pid;

static const char *err_name(int e)
{
    switch (e) {
    case 0: return "ok";
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EDEADLK: return "EDEADLK";
    default: return "other";
    }
}

static const char *who(pid_t p)
{
    if (p == parent_pid) return "parent";
    if (p == child_pid && p != 0) return "child";
    if (p == -1) return "ofd";
    return "someone";
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (write(1, buf, n) != n) _exit(99);
}

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    int r = fcntl(fd, cmd, &f);
    return r < 0 ? errno : 0;
}

static void getlk(const char *tag, int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock f = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, cmd, &f) < 0) {
        say("%s: getlk error %s\n", tag, err_name(errno));
        return;
    }
    if (f.l_type == F_UNLCK)
        say("%s: free\n", tag);
    else
        say("%s: %s lock by %s at %lld len %lld\n", tag, f.l_type == F_WRLCK ? "write" : "read",
            who(f.l_pid), (long long)f.l_start, (long long)f.l_len);
}

static void sync_send(int fd) { if (write(fd, "x", 1) != 1) _exit(98); }
static void sync_wait(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1) _exit(97);
}
static void pause_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

int main(void)
{
    parent_pid = getpid();
    int fd = open("lockfile", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 1;
    if (write(fd, "0123456789abcdefghij", 20) != 20) return 1;

    /* Errors. */
    int ro = open("lockfile", O_RDONLY);
    say("write lock on read-only fd: %s\n", err_name(lk(ro, F_SETLK, F_WRLCK, 0, 1)));
    say("read lock on read-only fd: %s\n", err_name(lk(ro, F_SETLK, F_RDLCK, 0, 1)));
    say("bad type: %s\n", err_name(lk(fd, F_SETLK, 7, 0, 1)));
    say("negative start: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, -5, 1)));
    lk(ro, F_SETLK, F_UNLCK, 0, 0);
    getlk("free file", fd, F_GETLK, F_WRLCK, 0, 0);

    /* A process's own locks never conflict; ranges split and merge. */
    say("parent write 0..100: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 0, 100)));
    say("parent read 50..60 over it: %s\n", err_name(lk(fd, F_SETLK, F_RDLCK, 50, 10)));
    getlk("parent asks itself", fd, F_GETLK, F_WRLCK, 0, 0);
    say("parent unlock 10..100: %s\n", err_name(lk(fd, F_SETLK, F_UNLCK, 10, 90)));

    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) return 1;
    child_pid = fork();
    if (child_pid == 0) {
        child_pid = getpid();
        getlk("child sees 0..10", fd, F_GETLK, F_WRLCK, 0, 10);
        getlk("child sees 5..6 for reading", fd, F_GETLK, F_RDLCK, 5, 1);
        getlk("child sees 10..20", fd, F_GETLK, F_WRLCK, 10, 10);
        say("child write 5..15: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 5, 10)));
        say("child read 20..30: %s\n", err_name(lk(fd, F_SETLK, F_RDLCK, 20, 10)));
        say("child write 30..: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 30, 0)));
        sync_send(to_parent[1]);
        /* Blocks until the parent unlocks 0..10. */
        int r = lk(fd, F_SETLKW, F_WRLCK, 0, 10);
        say("child F_SETLKW 0..10 done: %s\n", err_name(r));
        sync_send(to_parent[1]);
        sync_wait(to_child[0]);
        /* Closing any descriptor of the file drops the process's locks. */
        int other = open("lockfile", O_RDONLY);
        close(other);
        say("child closed another descriptor\n");
        sync_send(to_parent[1]);
        sync_wait(to_child[0]);
        say("child read 0..5 again: %s\n", err_name(lk(fd, F_SETLK, F_RDLCK, 0, 5)));
        sync_send(to_parent[1]);
        sync_wait(to_child[0]);
        /* flock: the inherited descriptor shares the parent's open file description. */
        say("child flock inherited description EX|NB: %s\n",
            err_name(flock(fd, LOCK_EX | LOCK_NB) ? errno : 0));
        int lf = open("lockfile", O_RDONLY);
        say("child flock own description EX|NB: %s\n",
            err_name(flock(lf, LOCK_EX | LOCK_NB) ? errno : 0));
        sync_send(to_parent[1]);
        r = flock(lf, LOCK_EX) ? errno : 0;
        say("child flock EX (waited): %s\n", err_name(r));
        flock(lf, LOCK_UN);
        sync_send(to_parent[1]);
        sync_wait(to_child[0]);
        say("child exits holding read 0..5\n");
        _exit(0);
    }
    sync_wait(to_parent[0]);
    getlk("parent sees 20..30", fd, F_GETLK, F_WRLCK, 20, 10);
    getlk("parent sees 25..26 for reading", fd, F_GETLK, F_RDLCK, 25, 1);
    getlk("parent sees 40..50", fd, F_GETLK, F_RDLCK, 40, 10);
    say("parent write 35..36: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 35, 1)));
    pause_ms(100); /* the child is blocked in F_SETLKW by now */
    say("parent unlocks 0..10\n");
    lk(fd, F_SETLK, F_UNLCK, 0, 10);
    sync_wait(to_parent[0]);
    getlk("parent sees 0..10", fd, F_GETLK, F_WRLCK, 0, 10);
    sync_send(to_child[1]);
    sync_wait(to_parent[0]);
    getlk("parent sees 0..100 after the child's close", fd, F_GETLK, F_WRLCK, 0, 100);
    sync_send(to_child[1]);
    sync_wait(to_parent[0]);

    /* OFD locks: per open file description, conflicting with POSIX locks too. */
    int o1 = open("lockfile", O_RDWR), o2 = open("lockfile", O_RDWR);
    say("ofd write 200..210 on o1: %s\n", err_name(lk(o1, F_OFD_SETLK, F_WRLCK, 200, 10)));
    say("ofd write 205..206 on o2: %s\n", err_name(lk(o2, F_OFD_SETLK, F_WRLCK, 205, 1)));
    getlk("ofd getlk on o2", o2, F_OFD_GETLK, F_RDLCK, 200, 100);
    say("ofd read 0..1 on o2 (child reads 0..5): %s\n",
        err_name(lk(o2, F_OFD_SETLK, F_RDLCK, 0, 1)));
    say("ofd write 0..1 on o2 (child reads 0..5): %s\n",
        err_name(lk(o2, F_OFD_SETLK, F_WRLCK, 0, 1)));
    say("posix write 209..215 (o1 holds 200..210): %s\n",
        err_name(lk(fd, F_SETLK, F_WRLCK, 209, 6)));
    say("ofd unlock o1: %s\n", err_name(lk(o1, F_OFD_SETLK, F_UNLCK, 0, 0)));
    say("posix write 209..215 now: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 209, 6)));
    struct flock bad = {.l_type = F_WRLCK, .l_pid = 1};
    say("ofd with l_pid set: %s\n", err_name(fcntl(o2, F_OFD_SETLK, &bad) < 0 ? errno : 0));

    /* flock. */
    say("parent flock EX on fd: %s\n", err_name(flock(fd, LOCK_EX) ? errno : 0));
    say("parent flock EX|NB on o2: %s\n", err_name(flock(o2, LOCK_EX | LOCK_NB) ? errno : 0));
    sync_send(to_child[1]);
    sync_wait(to_parent[0]);
    pause_ms(100); /* the child waits in flock by now */
    say("parent flock UN\n");
    flock(fd, LOCK_UN);
    sync_wait(to_parent[0]);
    sync_send(to_child[1]);
    int status;
    waitpid(child_pid, &status, 0);
    say("child exited %d\n", WEXITSTATUS(status));
    getlk("parent sees 0..5 after the child's exit", fd, F_GETLK, F_WRLCK, 0, 5);
    say("parent write 0..: %s\n", err_name(lk(fd, F_SETLK, F_WRLCK, 0, 0)));
    return 0;
}
