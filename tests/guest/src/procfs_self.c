/* /proc of the process itself and of a child: stat (pid, comm, ppid), status (Pid), cmdline,
 * maps (the stack, the code of main and the heap lie in mappings; main's is named as
 * readlink("/proc/self/exe")), readlink of /proc/self/fd/N and /proc/self/cwd, and a child's
 * /proc/PID/stat. (qemu-user 7.2 shows its own /proc/self/comm and other processes' cmdline:
 * those are checked against the host kernel in crates/kvrm-cli/tests/debian.rs.) Prints facts only (no addresses or pids), so the output is the
 * same under any kernel. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

/* Is `addr` inside a mapping of /proc/self/maps? Copies that line's name to `name`. */
static int mapped(unsigned long addr, char *name, const char *want_perms)
{
    if (slurp("/proc/self/maps") <= 0) return 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        unsigned long s, e;
        char perms[8] = "", path[512] = "";
        sscanf(line, "%lx-%lx %7s %*s %*s %*s %511s", &s, &e, perms, path);
        if (s <= addr && addr < e) {
            strcpy(name, path);
            return want_perms == NULL || strncmp(perms, want_perms, strlen(want_perms)) == 0;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char name[512], exe[512] = "", link[512];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;

    slurp("/proc/self/stat");
    int pid, ppid;
    char comm[64], state;
    sscanf(buf, "%d (%63[^)]) %c %d", &pid, comm, &state, &ppid);
    printf("stat: pid %s, ppid %s, comm %s\n", pid == getpid() ? "ok" : "WRONG",
           ppid == getppid() ? "ok" : "WRONG", comm);
    slurp("/proc/self/status");
    char want[32];
    snprintf(want, sizeof want, "\nPid:\t%d\n", getpid());
    printf("status: Name %s, Pid %s\n", strncmp(buf, "Name:\t", 6) == 0 ? "first" : "missing",
           strstr(buf, want) ? "ok" : "WRONG");
    int len = slurp("/proc/self/cmdline");
    int expect = 0;
    for (int i = 0; i < argc; i++) expect += strlen(argv[i]) + 1;
    printf("cmdline: %d args, %s\n", argc,
           len == expect && strcmp(buf + strlen(argv[0]) + 1, argc > 1 ? argv[1] : "") == 0
               ? "matches argv" : "DIFFERS");

    int local = 0;
    printf("maps: stack %s", mapped((unsigned long)&local, name, "rw") ? "rw" : "MISSING");
    printf(" named %s\n", strcmp(name, "[stack]") == 0 ? "[stack]" : name);
    printf("maps: main %s", mapped((unsigned long)&main, name, "r-x") ? "r-x" : "MISSING");
    printf(" named %s\n", strcmp(name, exe) == 0 ? "as /proc/self/exe" : name);
    void *heap = malloc(100);
    printf("maps: malloc'd memory %s\n", mapped((unsigned long)heap, name, "rw") ? "rw" : "MISSING");

    int fd = open("data.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
    char path[64], cwd[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    n = readlink(path, link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    getcwd(cwd, sizeof cwd);
    strcat(cwd, strcmp(cwd, "/") ? "/data.txt" : "data.txt");
    printf("fd link: %s\n", strcmp(link, cwd) == 0 ? "cwd/data.txt" : link);
    n = readlink("/proc/self/cwd", link, sizeof link - 1);
    link[n > 0 ? n : 0] = 0;
    getcwd(cwd, sizeof cwd);
    printf("cwd link: %s\n", strcmp(link, cwd) == 0 ? "getcwd" : link);
    unlink("data.txt");

    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char x;
        read(p[0], &x, 1);
        _exit(0);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", c);
    slurp(path);
    sscanf(buf, "%d (%63[^)]) %c %d", &pid, comm, &state, &ppid);
    printf("child stat: pid %s, ppid %s\n", pid == c ? "ok" : "WRONG", ppid == getpid() ? "ok" : "WRONG");
    write(p[1], "x", 1);
    waitpid(c, NULL, 0);
    printf("missing pid: %s\n", slurp("/proc/999999999/stat") < 0 ? "ENOENT" : "exists");
    return 0;
}
