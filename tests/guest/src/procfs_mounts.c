/* The mount table as df, findmnt and libmount read it, and the other /proc files procps
 * reads: /proc/mounts, /proc/self/mounts and /proc/PID/mounts (one table, six fields a line,
 * "0 0" last), /proc/self/mountinfo (the same mount points in the same order, " - " before
 * the file system type, the device of / and /proc as stat reports it), statfs of / agreeing
 * with the type of the / entry, proc at /proc and sysfs at /sys; /proc/vmstat ("name value"
 * lines with the counters vmstat reads) and /proc/loadavg (its format). Only properties are
 * printed: under qemu-user these files are the host's. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static char *slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        ssize_t n = read(fd, buf + len, cap - len);
        if (n <= 0)
            break;
        len += (size_t)n;
        if (len == cap) {
            cap *= 2;
            buf = realloc(buf, cap + 1);
        }
    }
    close(fd);
    buf[len] = 0;
    return buf;
}

/* Split `text` into at most `max` lines (modifies it). */
static int lines(char *text, char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < max; l = strtok_r(NULL, "\n", &save))
        out[n++] = l;
    return n;
}

static int fields(char *line, char **out, int max)
{
    int n = 0;
    for (char *save = NULL, *f = strtok_r(line, " ", &save); f && n < max; f = strtok_r(NULL, " ", &save))
        out[n++] = f;
    return n;
}

static const char *yes(int ok)
{
    return ok ? "yes" : "no";
}

/* statfs magic numbers of common file systems, by the name mount tables use. */
static const struct {
    const char *name;
    unsigned long magic;
} magics[] = {
    {"ext2", 0xEF53}, {"ext3", 0xEF53}, {"ext4", 0xEF53}, {"tmpfs", 0x01021994}, {"xfs", 0x58465342},
    {"btrfs", 0x9123683E}, {"overlay", 0x794c7630}, {"proc", 0x9fa0}, {"sysfs", 0x62656572},
    {"zfs", 0x2fc12fc1}, {"f2fs", 0xF2F52010}, {"9p", 0x01021997}, {"virtiofs", 0x65735546},
    {"fuse", 0x65735546}, {"nfs", 0x6969}, {"nfs4", 0x6969},
};

int main(void)
{
    char *m = slurp("/proc/mounts");
    char *self = slurp("/proc/self/mounts");
    char pidpath[64];
    snprintf(pidpath, sizeof pidpath, "/proc/%d/mounts", (int)getpid());
    char *bypid = slurp(pidpath);
    char *info = slurp("/proc/self/mountinfo");
    if (!m || !self || !bypid || !info) {
        printf("unreadable: mounts %s, self/mounts %s, PID/mounts %s, mountinfo %s\n", yes(!m), yes(!self),
               yes(!bypid), yes(!info));
        return 1;
    }
    printf("mounts, self/mounts and PID/mounts identical: %s\n",
           yes(strcmp(m, self) == 0 && strcmp(m, bypid) == 0));

    static char *ml[4096], *il[4096];
    int nm = lines(m, ml, 4096), ni = lines(info, il, 4096);
    printf("mounts has lines: %s; mountinfo as many: %s\n", yes(nm > 0), yes(nm == ni));

    int six = 1, same_points = 1, dash = 1, root_seen = 0, proc_ok = 0, sys_ok = 0;
    char root_type[64] = "", root_dev[64] = "", proc_dev[64] = "", root_root[256] = "";
    for (int i = 0; i < nm && i < ni; i++) {
        char *f[16], *g[32];
        int nf = fields(ml[i], f, 16);
        if (nf != 6 || strcmp(f[4], "0") || strcmp(f[5], "0"))
            six = 0;
        char *sep = strstr(il[i], " - ");
        if (!sep)
            dash = 0;
        int ng = fields(il[i], g, 32);
        if (ng < 10 || nf < 3 || strcmp(g[4], f[1]))
            same_points = 0;
        if (nf >= 3 && strcmp(f[1], "/") == 0) {
            root_seen = 1;
            snprintf(root_type, sizeof root_type, "%s", f[2]);
            if (ng >= 5) {
                snprintf(root_dev, sizeof root_dev, "%s", g[2]);
                snprintf(root_root, sizeof root_root, "%s", g[3]);
            }
        }
        if (nf >= 3 && strcmp(f[1], "/proc") == 0 && strcmp(f[2], "proc") == 0) {
            proc_ok = 1;
            if (ng >= 3)
                snprintf(proc_dev, sizeof proc_dev, "%s", g[2]);
        }
        if (nf >= 3 && strcmp(f[1], "/sys") == 0 && strcmp(f[2], "sysfs") == 0)
            sys_ok = 1;
    }
    printf("six fields, \"0 0\" last: %s\n", yes(six));
    printf("mountinfo has \" - \" on every line: %s; same mount points, same order: %s\n", yes(dash),
           yes(same_points));
    printf("an entry for /: %s; its root field: %s\n", yes(root_seen), root_root);
    printf("proc at /proc: %s; sysfs at /sys: %s\n", yes(proc_ok), yes(sys_ok));

    struct stat st;
    char dev[64];
    if (stat("/", &st) == 0) {
        snprintf(dev, sizeof dev, "%u:%u", major(st.st_dev), minor(st.st_dev));
        printf("device of / as mountinfo says: %s\n", yes(strcmp(dev, root_dev) == 0));
    }
    if (stat("/proc", &st) == 0) {
        snprintf(dev, sizeof dev, "%u:%u", major(st.st_dev), minor(st.st_dev));
        printf("device of /proc as mountinfo says: %s\n", yes(strcmp(dev, proc_dev) == 0));
    }
    struct statfs sf;
    if (statfs("/", &sf) == 0) {
        int known = 0, match = 0;
        for (unsigned i = 0; i < sizeof magics / sizeof *magics; i++)
            if (strcmp(magics[i].name, root_type) == 0) {
                known = 1;
                match |= (unsigned long)sf.f_type == magics[i].magic;
            }
        printf("statfs of / agrees with the type of the / entry: %s\n", yes(!known || match));
    }
    if (statfs("/proc", &sf) == 0)
        printf("statfs of /proc: proc: %s\n", yes(sf.f_type == 0x9fa0));
    int fd = open("/proc/self/mounts", O_RDONLY);
    if (fd >= 0 && fstatfs(fd, &sf) == 0)
        printf("fstatfs of /proc/self/mounts: proc: %s\n", yes(sf.f_type == 0x9fa0));
    if (fd >= 0)
        close(fd);

    char *vm = slurp("/proc/vmstat");
    if (!vm) {
        printf("/proc/vmstat: unreadable\n");
    } else {
        static char *vl[1024];
        int nv = lines(vm, vl, 1024), well = 1;
        int free_pages = 0, pgpgin = 0, pswpin = 0, pgfault = 0;
        for (int i = 0; i < nv; i++) {
            char name[128];
            unsigned long long v;
            char extra;
            if (sscanf(vl[i], "%127s %llu %c", name, &v, &extra) != 2)
                well = 0;
            free_pages |= strcmp(name, "nr_free_pages") == 0;
            pgpgin |= strcmp(name, "pgpgin") == 0;
            pswpin |= strcmp(name, "pswpin") == 0;
            pgfault |= strcmp(name, "pgfault") == 0;
        }
        printf("/proc/vmstat: \"name value\" lines: %s; nr_free_pages %s, pgpgin %s, pswpin %s, pgfault %s\n",
               yes(well && nv > 0), yes(free_pages), yes(pgpgin), yes(pswpin), yes(pgfault));
    }
    char *la = slurp("/proc/loadavg");
    if (la) {
        double a, b, c;
        int run, total, last;
        int n = sscanf(la, "%lf %lf %lf %d/%d %d", &a, &b, &c, &run, &total, &last);
        printf("/proc/loadavg parses: %s; runnable <= tasks: %s\n", yes(n == 6),
               yes(n == 6 && run >= 1 && run <= total));
    }
    return 0;
}
