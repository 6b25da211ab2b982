/* The directories of /proc and the files ps, top and uptime read: /proc lists the caller's
 * pid and "self", /proc/self is a link to the pid and a directory, /proc/PID of a child exists
 * until it is reaped, /proc/self/task lists the threads (task/TID/stat is readable),
 * /proc/self/fd lists the open descriptors (the listing one included), chdir into /proc
 * directories, access, opening a /proc directory for writing (EISDIR), rewinddir;
 * /proc/uptime and /proc/stat's btime agree with CLOCK_BOOTTIME and CLOCK_REALTIME, and
 * /proc/self/stat's starttime is not after now. Prints facts only (no pids or times). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];

static int slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    int n = 0, r;
    while ((r = read(fd, buf + n, sizeof buf - 1 - n)) > 0) n += r;
    close(fd);
    buf[n] = 0;
    return n;
}

/* Does directory `path` list `name`? -1: it cannot be opened. Counts the entries in *count. */
static int lists(const char *path, const char *name, int *count)
{
    DIR *d = opendir(path);
    if (!d) return -1;
    int found = 0, n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        n++;
        if (strcmp(e->d_name, name) == 0) found = 1;
    }
    if (count) *count = n;
    closedir(d);
    return found;
}

static const char *kind(const char *path, int follow)
{
    struct stat st;
    if ((follow ? stat(path, &st) : lstat(path, &st)) != 0) return strerror(errno);
    return S_ISDIR(st.st_mode) ? "dir" : S_ISLNK(st.st_mode) ? "link" : S_ISREG(st.st_mode) ? "file" : "other";
}

static double secs(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int thread_tid, done;

static void *thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&mu);
    thread_tid = syscall(SYS_gettid);
    pthread_cond_broadcast(&cv);
    while (!done) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

int main(void)
{
    char me[32], path[128], link[64];
    snprintf(me, sizeof me, "%d", getpid());
    printf("/proc: %s, /proc/self: %s (lstat %s)\n", kind("/proc", 1), kind("/proc/self", 1),
           kind("/proc/self", 0));
    printf("/proc/self/: %s, /proc/self/.: %s\n", kind("/proc/self/", 0), kind("/proc/self/.", 0));
    ssize_t n = readlink("/proc/self", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink /proc/self: %s\n", strcmp(link, me) == 0 ? "the pid" : link);
    printf("/proc lists the pid: %d, self: %d\n", lists("/proc", me, NULL), lists("/proc", "self", NULL));
    snprintf(path, sizeof path, "/proc/%s", me);
    printf("/proc/PID: %s, exe %s, cwd %s, stat %s\n", kind(path, 1), kind("/proc/self/exe", 0),
           kind("/proc/self/cwd", 0), kind("/proc/self/stat", 0));

    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d", c);
    printf("child dir: %s", kind(path, 1));
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    printf(", reaped: %s\n", kind(path, 1));

    pthread_t t;
    pthread_mutex_lock(&mu);
    pthread_create(&t, NULL, thread, NULL);
    while (!thread_tid) pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    char tid[32];
    snprintf(tid, sizeof tid, "%d", thread_tid);
    printf("task lists the pid: %d, the thread: %d\n", lists("/proc/self/task", me, NULL),
           lists("/proc/self/task", tid, NULL));
    snprintf(path, sizeof path, "/proc/self/task/%s", tid);
    printf("task/TID: %s", kind(path, 1));
    snprintf(path, sizeof path, "/proc/self/task/%s/stat", tid);
    int pid = 0;
    printf(", its stat: %s\n", slurp(path) > 0 && sscanf(buf, "%d", &pid) == 1 ? "readable" : "MISSING");
    pthread_mutex_lock(&mu);
    done = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(t, NULL);
    printf("missing task: %s\n", kind("/proc/self/task/999999999", 1));

    int fd = open("/proc/self/status", O_RDONLY);
    char fdname[16];
    snprintf(fdname, sizeof fdname, "%d", fd);
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        printf("opendir /proc/self/fd: %s\n", strerror(errno));
        return 1;
    }
    char dname[16];
    snprintf(dname, sizeof dname, "%d", dirfd(d));
    int in[3] = {0, 0, 0}, has_fd = 0, has_dir = 0, count = 0, count2 = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        count++;
        for (int i = 0; i < 3; i++)
            if (e->d_name[0] == '0' + i && e->d_name[1] == 0) in[i] = 1;
        if (strcmp(e->d_name, fdname) == 0) has_fd = e->d_type == DT_LNK ? 1 : 2;
        if (strcmp(e->d_name, dname) == 0) has_dir = 1;
    }
    rewinddir(d);
    while (readdir(d)) count2++;
    closedir(d);
    printf("fd lists 0 1 2: %d %d %d, an open file: %d, itself: %d, rewound: %s\n", in[0], in[1],
           in[2], has_fd, has_dir, count == count2 ? "same" : "DIFFERS");
    close(fd);

    printf("access: status r %d, task x %d, missing %s\n", access("/proc/self/status", R_OK),
           access("/proc/self/task", X_OK),
           access("/proc/999999999/stat", F_OK) == 0 ? "exists" : strerror(errno));
    int w = open("/proc/self/task", O_WRONLY);
    printf("open dir for writing: %s\n", w < 0 ? strerror(errno) : "opened");
    int dfd = open("/proc/self", O_RDONLY | O_DIRECTORY);
    struct stat st;
    printf("O_DIRECTORY: %s, fstat dir %d\n", dfd >= 0 ? "ok" : strerror(errno),
           fstat(dfd, &st) == 0 && S_ISDIR(st.st_mode));
    int sfd = openat(dfd, "comm", O_RDONLY);
    n = sfd >= 0 ? read(sfd, buf, 100) : -1;
    printf("openat(dir, comm): %s\n", n > 0 ? "read" : strerror(errno));
    if (chdir("/proc/self/task") == 0) {
        printf("chdir task: ok, lists the pid %d, ../status %d\n", lists(".", me, NULL),
               slurp("../status") > 0);
    } else {
        printf("chdir task: %s\n", strerror(errno));
    }
    printf("chdir into a file: %s\n", chdir("/proc/self/status") == 0 ? "ok" : strerror(errno));
    fchdir(dfd);
    printf("fchdir: comm %s\n", slurp("comm") > 0 ? "read" : "MISSING");
    chdir("/");

    double up = 0, idle = 0, boot = secs(CLOCK_BOOTTIME);
    int fields = slurp("/proc/uptime") > 0 ? sscanf(buf, "%lf %lf", &up, &idle) : 0;
    printf("uptime: %d fields, %s CLOCK_BOOTTIME\n", fields,
           up >= boot - 2 && up <= boot + 2 ? "near" : "FAR FROM");
    slurp("/proc/stat");
    char *b = strstr(buf, "\nbtime ");
    long btime = b ? atol(b + 7) : 0;
    double real = secs(CLOCK_REALTIME);
    boot = secs(CLOCK_BOOTTIME);
    printf("stat: cpu line %s, btime %s realtime - boottime\n", strncmp(buf, "cpu ", 4) == 0 ? "first" : "MISSING",
           btime > real - boot - 2 && btime < real - boot + 2 ? "near" : "FAR FROM");
    slurp("/proc/self/stat");
    char *f = strrchr(buf, ')');
    unsigned long long start = 0;
    /* Field 22 (starttime) is the 20th after the ')'. */
    for (int i = 0; f && i < 19; i++) f = strchr(f + 1, ' ');
    if (f) start = strtoull(f + 1, NULL, 10);
    printf("starttime: %s\n", start / 100.0 <= secs(CLOCK_BOOTTIME) + 1 ? "not after now" : "IN THE FUTURE");
    return 0;
}
