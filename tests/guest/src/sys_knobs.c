/* Calls that tune how the kernel treats a process and its files, each checked for its
 * result and its argument checks: mlock and friends, personality, capget, scheduling
 * policy (sched_setscheduler, sched_setparam, sched_setattr, sched_rr_get_interval),
 * sync_file_range, syncfs and readahead. (mlock2, preadv2, pwritev2 and get_robust_list are
 * left out: qemu-aarch64 7.2, the oracle, does not implement them.) */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r)
{
    if (r >= 0) return "ok";
    switch (errno) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ESPIPE: return "ESPIPE";
    case ENOSYS: return "ENOSYS";
    case ENOMEM: return "ENOMEM";
    case E2BIG: return "E2BIG";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    default: return "other";
    }
}

struct sched_attr_v0 {
    uint32_t size, policy;
    uint64_t flags;
    int32_t nice;
    uint32_t priority;
    uint64_t runtime, deadline, period;
};

static void locking(void)
{
    static char buf[3 * 4096] __attribute__((aligned(4096)));
    printf("mlock: %s\n", err(mlock(buf, sizeof buf)));
    printf("munlock: %s\n", err(munlock(buf, sizeof buf)));
    printf("mlock unaligned: %s\n", err(mlock(buf + 100, 10)));
    printf("mlock zero bytes: %s\n", err(mlock(buf, 0)));
    char *hole = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole + 4096, 4096);
    printf("mlock across a hole: %s\n", err(mlock(hole, 3 * 4096)));
    printf("munlock across a hole: %s\n", err(munlock(hole, 3 * 4096)));
    printf("mlock of PROT_NONE: %s\n", err(mlock(hole, 4096)));
    printf("munlockall: %s\n", err(munlockall()));
    printf("mlockall bad flags: %s\n", err(mlockall(0)));
    printf("mlockall bad flags 2: %s\n", err(mlockall(8)));
}

static void persona(void)
{
    long cur = syscall(SYS_personality, 0xffffffffUL);
    printf("personality query: %lx\n", cur);
    printf("personality set PER_LINUX: %lx\n", syscall(SYS_personality, 0UL));
    printf("personality set ADDR_NO_RANDOMIZE: %lx\n", syscall(SYS_personality, 0x0040000UL));
    printf("personality query: %lx\n", syscall(SYS_personality, 0xffffffffUL));
    syscall(SYS_personality, 0UL);
}

static void caps(void)
{
    struct { uint32_t version; int pid; } hdr = {0, 0};
    uint32_t data[6];
    printf("capget bad version: %s, version now %x\n", err(syscall(SYS_capget, &hdr, data)), hdr.version);
    hdr.version = 0x20080522;
    hdr.pid = 0;
    printf("capget v3: %s\n", err(syscall(SYS_capget, &hdr, data)));
    hdr.version = 0x19980330;
    printf("capget v1: %s\n", err(syscall(SYS_capget, &hdr, data)));
    hdr.version = 0x20080522;
    printf("capget null data: %s\n", err(syscall(SYS_capget, &hdr, NULL)));
    hdr.pid = 999999;
    printf("capget no such pid: %s\n", err(syscall(SYS_capget, &hdr, data)));
    printf("capget null header: %s\n", err(syscall(SYS_capget, NULL, data)));
}

static void scheduling(void)
{
    struct sched_param sp = {0};
    printf("getscheduler: %d\n", sched_getscheduler(0));
    printf("setscheduler BATCH: %s\n", err(sched_setscheduler(0, SCHED_BATCH, &sp)));
    printf("getscheduler: %d\n", sched_getscheduler(0));
    printf("setscheduler IDLE: %s\n", err(sched_setscheduler(0, SCHED_IDLE, &sp)));
    printf("getscheduler: %d\n", sched_getscheduler(0));
    printf("setscheduler OTHER: %s\n", err(sched_setscheduler(0, SCHED_OTHER, &sp)));
    printf("getscheduler: %d\n", sched_getscheduler(0));
    sp.sched_priority = 5;
    printf("setscheduler OTHER priority 5: %s\n", err(sched_setscheduler(0, SCHED_OTHER, &sp)));
    sp.sched_priority = 0;
    printf("setscheduler policy 42: %s\n", err(sched_setscheduler(0, 42, &sp)));
    printf("setscheduler no such pid: %s\n", err(sched_setscheduler(999999, SCHED_OTHER, &sp)));
    printf("setscheduler negative pid: %s\n", err(sched_setscheduler(-1, SCHED_OTHER, &sp)));
    printf("setscheduler null param: %s\n", err(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL)));
    printf("setparam 0: %s\n", err(sched_setparam(0, &sp)));
    sp.sched_priority = 3;
    printf("setparam 3 under OTHER: %s\n", err(sched_setparam(0, &sp)));
    struct timespec ts = {-1, -1};
    printf("rr_get_interval: %s, sane %d\n", err(sched_rr_get_interval(0, &ts)),
           ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
    printf("rr_get_interval no such pid: %s\n", err(sched_rr_get_interval(999999, &ts)));
    struct sched_attr_v0 at;
    memset(&at, 0, sizeof at);
    at.size = sizeof at;
    at.policy = SCHED_BATCH;
    at.nice = 3;
    printf("setattr BATCH nice 3: %s\n", err(syscall(SYS_sched_setattr, 0, &at, 0)));
    printf("getscheduler: %d\n", sched_getscheduler(0));
    memset(&at, 0, sizeof at);
    printf("getattr: %s", err(syscall(SYS_sched_getattr, 0, &at, sizeof at, 0)));
    printf(", policy %u nice %d\n", at.policy, at.nice);
    errno = 0;
    printf("getpriority: %d\n", getpriority(PRIO_PROCESS, 0));
    at.size = 4;
    printf("setattr short size: %s\n", err(syscall(SYS_sched_setattr, 0, &at, 0)));
    at.size = sizeof at;
    at.policy = SCHED_OTHER;
    at.nice = 0;
    printf("setattr bad flags: %s\n", err(syscall(SYS_sched_setattr, 0, &at, 1)));
    at.flags = 0x100000;
    printf("setattr bad attr flags: %s\n", err(syscall(SYS_sched_setattr, 0, &at, 0)));
    at.flags = 0;
    printf("setattr OTHER: %s\n", err(syscall(SYS_sched_setattr, 0, &at, 0)));
    printf("getscheduler: %d\n", sched_getscheduler(0));
}

static void file_hints(void)
{
    int fd = open("hints.dat", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "0123456789abcdef", 16);
    printf("sync_file_range: %s\n", err(syscall(SYS_sync_file_range, fd, 0L, 0L, 0U)));
    printf("sync_file_range all flags: %s\n", err(syscall(SYS_sync_file_range, fd, 0L, 16L, 7U)));
    printf("sync_file_range bad flags: %s\n", err(syscall(SYS_sync_file_range, fd, 0L, 0L, 8U)));
    printf("sync_file_range negative: %s\n", err(syscall(SYS_sync_file_range, fd, -1L, 0L, 0U)));
    printf("sync_file_range bad fd: %s\n", err(syscall(SYS_sync_file_range, 99, 0L, 0L, 0U)));
    printf("syncfs: %s\n", err(syscall(SYS_syncfs, fd)));
    printf("syncfs bad fd: %s\n", err(syscall(SYS_syncfs, 99)));
    printf("readahead: %s\n", err(syscall(SYS_readahead, fd, 0L, 4096L)));
    printf("readahead bad fd: %s\n", err(syscall(SYS_readahead, 99, 0L, 4096L)));
    int p[2];
    pipe(p);
    printf("readahead on a pipe: %s\n", err(syscall(SYS_readahead, p[0], 0L, 4096L)));
    printf("sync_file_range on a pipe: %s\n", err(syscall(SYS_sync_file_range, p[0], 0L, 0L, 0U)));
    close(p[0]);
    close(p[1]);
    close(fd);
    unlink("hints.dat");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    locking();
    persona();
    caps();
    scheduling();
    file_hints();
    return 0;
}
