/* /sys/devices/system/cpu as glibc's get_nprocs, libgomp and lscpu read it: online,
 * possible, present and offline in the list format ("0-3,5"), online within present within
 * possible, offline the possible CPUs not online, kernel_max at least the highest possible
 * CPU, a cpuN directory for each possible CPU (listed, and stat says a directory) and none
 * past them, each online CPU's topology (thread and core siblings as masks and lists, as
 * lscpu reads them); the counts agree with sysconf(_SC_NPROCESSORS_ONLN), the processor lines of
 * /proc/cpuinfo and sched_getaffinity (a subset of the online CPUs); statfs and fstatfs say
 * sysfs; "/sys/.." is the directory "/proc/.." is. Only properties are printed: under qemu-user /sys is the
 * host's. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define MAXCPU 4096
#define SYSFS_MAGIC 0x62656572

static const char *yes(int ok)
{
    return ok ? "yes" : "no";
}

/* Read a CPU list file into `set` (a byte per CPU); the count, or -1 if it is unreadable or
 * not in the list format. */
static int read_list(const char *path, unsigned char *set)
{
    char buf[4096];
    memset(set, 0, MAXCPU);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || buf[n - 1] != '\n')
        return -1;
    buf[n - 1] = 0;
    int count = 0;
    char *p = buf;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p || a < 0 || a >= MAXCPU)
            return -1;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b >= MAXCPU)
                return -1;
            p = end;
        }
        for (long c = a; c <= b; c++)
            if (!set[c]++)
                count++;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return count;
}

/* Read a CPU mask file ("3", "00000001,00000000") into `set`; the count, or -1. */
static int read_mask(const char *path, unsigned char *set)
{
    char buf[4096];
    memset(set, 0, MAXCPU);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0 || buf[n - 1] != '\n')
        return -1;
    int count = 0, bit = 0;
    for (ssize_t i = n - 2; i >= 0; i--) {
        char c = buf[i];
        if (c == ',')
            continue;
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            return -1;
        for (int b = 0; b < 4; b++, bit++)
            if (v >> b & 1) {
                if (bit >= MAXCPU)
                    return -1;
                set[bit] = 1;
                count++;
            }
    }
    return count;
}

/* The topology of each online CPU: thread_siblings and core_siblings as masks and as lists
 * naming the same CPUs, the CPU among its thread siblings, thread siblings among its core
 * siblings, core siblings online. */
static int topology_ok(const unsigned char *online)
{
    static unsigned char a[MAXCPU], b[MAXCPU], threads[MAXCPU], cores[MAXCPU];
    char path[256];
    for (int c = 0; c < MAXCPU; c++) {
        if (!online[c])
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings", c);
        int na = read_mask(path, a);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", c);
        int nb = read_list(path, threads);
        if (na <= 0 || na != nb || memcmp(a, threads, MAXCPU) || !threads[c])
            return 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_siblings", c);
        na = read_mask(path, b);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/core_siblings_list", c);
        nb = read_list(path, cores);
        if (na <= 0 || na != nb || memcmp(b, cores, MAXCPU))
            return 0;
        for (int d = 0; d < MAXCPU; d++)
            if ((threads[d] && !cores[d]) || (cores[d] && !online[d]))
                return 0;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/physical_package_id", c);
        FILE *f = fopen(path, "r");
        int id = -1;
        if (!f || fscanf(f, "%d", &id) != 1 || id < 0)
            id = -1;
        if (f)
            fclose(f);
        if (id < 0)
            return 0;
    }
    return 1;
}

int main(void)
{
    static unsigned char online[MAXCPU], possible[MAXCPU], present[MAXCPU], offline[MAXCPU];
    const char *dir = "/sys/devices/system/cpu";
    int non = read_list("/sys/devices/system/cpu/online", online);
    int npos = read_list("/sys/devices/system/cpu/possible", possible);
    int npre = read_list("/sys/devices/system/cpu/present", present);
    int noff = read_list("/sys/devices/system/cpu/offline", offline);
    printf("online, possible, present, offline in the list format: %s %s %s %s\n", yes(non > 0),
           yes(npos > 0), yes(npre > 0), yes(noff >= 0));

    int within = 1, off_ok = 1, highest = -1;
    for (int c = 0; c < MAXCPU; c++) {
        if ((online[c] && !present[c]) || (present[c] && !possible[c]))
            within = 0;
        if (offline[c] != (possible[c] && !online[c]))
            off_ok = 0;
        if (possible[c])
            highest = c;
    }
    printf("online within present within possible: %s\n", yes(within));
    printf("offline is possible less online: %s\n", yes(off_ok));

    FILE *f = fopen("/sys/devices/system/cpu/kernel_max", "r");
    int kmax = -1;
    if (f) {
        if (fscanf(f, "%d", &kmax) != 1)
            kmax = -1;
        fclose(f);
    }
    printf("kernel_max at least the highest possible CPU: %s\n", yes(kmax >= highest));

    printf("sysconf(_SC_NPROCESSORS_ONLN) counts online: %s\n", yes(sysconf(_SC_NPROCESSORS_ONLN) == non));

    f = fopen("/proc/cpuinfo", "r");
    int procs = 0;
    if (f) {
        char line[1024];
        while (fgets(line, sizeof line, f))
            procs += strncmp(line, "processor", 9) == 0;
        fclose(f);
    }
    printf("/proc/cpuinfo lists the online CPUs: %s\n", yes(procs == non));

    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (sched_getaffinity(0, sizeof mask, &mask) == 0) {
        int sub = 1;
        for (int c = 0; c < CPU_SETSIZE && c < MAXCPU; c++)
            if (CPU_ISSET(c, &mask) && !online[c])
                sub = 0;
        printf("affinity within online: %s; not empty: %s\n", yes(sub), yes(CPU_COUNT(&mask) > 0));
    }

    int all_dirs = 1;
    char path[256];
    struct stat st;
    for (int c = 0; c < MAXCPU; c++) {
        if (!possible[c])
            continue;
        snprintf(path, sizeof path, "%s/cpu%d", dir, c);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            all_dirs = 0;
    }
    snprintf(path, sizeof path, "%s/cpu%d", dir, highest + 1);
    printf("a directory per possible CPU: %s; none after: %s\n", yes(all_dirs), yes(stat(path, &st) != 0));

    DIR *d = opendir(dir);
    int listed = 0, files = 0;
    if (d) {
        struct dirent *e;
        while ((e = readdir(d))) {
            int n;
            char rest;
            if (sscanf(e->d_name, "cpu%d%c", &n, &rest) == 1 && n >= 0 && n < MAXCPU && possible[n])
                listed++;
            if (!strcmp(e->d_name, "online") || !strcmp(e->d_name, "possible") || !strcmp(e->d_name, "present"))
                files++;
        }
        closedir(d);
    }
    printf("listed: every cpuN %s, online/possible/present %s\n", yes(listed == npos), yes(files == 3));

    printf("topology of each online CPU consistent: %s\n", yes(topology_ok(online)));

    if (stat("/sys/devices/system/cpu/online", &st) == 0)
        printf("online: regular file %s, mode %03o\n", yes(S_ISREG(st.st_mode)), (unsigned)(st.st_mode & 0777));
    struct statfs sf;
    printf("statfs /sys: sysfs %s\n", yes(statfs("/sys", &sf) == 0 && sf.f_type == SYSFS_MAGIC));
    int fd = open("/sys/devices/system/cpu/possible", O_RDONLY);
    printf("fstatfs of an open /sys file: sysfs %s\n", yes(fd >= 0 && fstatfs(fd, &sf) == 0 && sf.f_type == SYSFS_MAGIC));
    if (fd >= 0)
        close(fd);
    errno = 0;
    printf("missing /sys file: %s\n", open("/sys/devices/system/cpu/no-such-file", O_RDONLY) < 0 ? strerror(errno) : "opened");

    /* (Not compared with "/" itself: qemu-user's -L shows its prefix there.) */
    struct stat up, procup;
    printf("/sys/.. and /proc/.. are one directory: %s\n",
           yes(stat("/sys/..", &up) == 0 && stat("/proc/..", &procup) == 0 && S_ISDIR(up.st_mode) &&
               up.st_ino == procup.st_ino && up.st_dev == procup.st_dev));
    return 0;
}
