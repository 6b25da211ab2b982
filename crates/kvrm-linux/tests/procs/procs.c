/* Processes: fork, vfork, posix_spawn, execve (of /proc/self/exe, a copy, a #! script, and
 * failures), wait4 / waitid statuses, signals to children, pipes between processes,
 * pending signals, process groups. Output names no pid, so that the same program built
 * for the host (x86_64, musl) and run natively gives the reference output.
 * Built by build.sh; run in an empty scratch directory (it creates files there). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void say(const char *fmt, ...)
{
    char b[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b, sizeof b, fmt, ap);
    va_end(ap);
    if (write(1, b, n) != n)
        _exit(99);
}

static void report(const char *what, int st)
{
    if (WIFEXITED(st))
        say("%s: exited %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        say("%s: killed by signal %d\n", what, WTERMSIG(st));
    else
        say("%s: status %#x\n", what, st);
}

static const char *ename(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ECHILD: return "ECHILD";
    case ENOTDIR: return "ENOTDIR";
    case 0: return "0";
    default: return "other";
    }
}

static void wait_report(pid_t pid, const char *what)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, 0);
    if (r != pid)
        say("%s: waitpid returned %s\n", what, r < 0 ? ename(errno) : "another pid");
    else
        report(what, st);
}

static void on_usr2(int sig) { (void)sig; }

static const char *disposition(int sig)
{
    struct sigaction sa;
    sigaction(sig, NULL, &sa);
    return sa.sa_handler == SIG_IGN ? "ignored" : sa.sa_handler == SIG_DFL ? "default" : "handler";
}

/* The program after an execve. */
static int exec_child(int argc, char **argv)
{
    say("exec-child: argc %d:", argc);
    for (int i = 1; i < argc; i++)
        say(" [%s]", argv[i]);
    const char *v = getenv("PROCS_VAR");
    say("\nexec-child: PROCS_VAR=%s HOME=%s\n", v ? v : "(unset)", getenv("HOME") ? "set" : "unset");
    if (argc >= 4) {
        int a = atoi(argv[2]), b = atoi(argv[3]);
        say("exec-child: cloexec fd %s, plain fd %s\n", fcntl(a, F_GETFD) < 0 ? "closed" : "open",
            fcntl(b, F_GETFD) < 0 ? "closed" : "open");
    }
    say("exec-child: SIGUSR1 %s, SIGUSR2 %s\n", disposition(SIGUSR1), disposition(SIGUSR2));
    say("exec-child: cwd kept %s, umask %03o\n", access("marker", F_OK) == 0 ? "yes" : "no", umask(0));
    return 3;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, mode);
    if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        say("cannot write %s\n", name);
    close(fd);
    chmod(name, mode);
}

static void copy_self(const char *name)
{
    int in = open("/proc/self/exe", O_RDONLY);
    int out = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            break;
    close(in);
    close(out);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "exec-child"))
        return exec_child(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "script-arg")) {
        say("interpreter: argc %d: [%s] [%s] [%s]\n", argc, argv[1], argv[2], argc > 3 ? argv[3] : "");
        return 4;
    }
    if (argc > 1 && !strcmp(argv[1], "spawned")) {
        say("spawned: hello\n");
        return 6;
    }
    pid_t me = getpid(), pid;
    int st, fds[2];

    /* fork and exit statuses */
    if ((pid = fork()) == 0)
        _exit(7);
    wait_report(pid, "fork/_exit(7)");
    if ((pid = fork()) == 0) {
        say("child: ppid %s, pid %s\n", getppid() == me ? "is the parent" : "wrong",
            getpid() != me ? "new" : "same");
        exit(300);
    }
    wait_report(pid, "fork/exit(300)");
    if ((pid = fork()) == 0) {
        kill(getpid(), SIGTERM);
        _exit(1);
    }
    wait_report(pid, "kill(self, SIGTERM)");
    if ((pid = fork()) == 0)
        abort();
    wait_report(pid, "abort");
    if ((pid = fork()) == 0) {
        raise(SIGUSR1);
        _exit(1);
    }
    wait_report(pid, "raise(SIGUSR1)");
    if ((pid = fork()) == 0) {
        *(volatile int *)8 = 1;
        _exit(1);
    }
    wait_report(pid, "segfault");
    if ((pid = fork()) == 0) {
        sigset_t set, pend;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_BLOCK, &set, NULL);
        raise(SIGUSR2);
        sigpending(&pend);
        say("blocked SIGUSR2: %s\n", sigismember(&pend, SIGUSR2) ? "pending" : "not pending");
        sigprocmask(SIG_UNBLOCK, &set, NULL);
        _exit(1);
    }
    wait_report(pid, "unblocked SIGUSR2");

    /* pipes between processes */
    pipe(fds);
    if ((pid = fork()) == 0) {
        char buf[64] = {0};
        close(fds[1]);
        ssize_t n = 0, r;
        while ((r = read(fds[0], buf + n, sizeof buf - 1 - n)) > 0)
            n += r;
        say("child read %d bytes: %s", (int)n, buf);
        _exit(0);
    }
    close(fds[0]);
    write(fds[1], "parent to child\n", 16);
    close(fds[1]);
    wait_report(pid, "pipe reader");
    pipe(fds);
    if ((pid = fork()) == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        close(fds[1]);
        say("child to parent\n");
        _exit(2);
    }
    close(fds[1]);
    {
        char buf[64] = {0};
        ssize_t n = read(fds[0], buf, sizeof buf - 1);
        say("parent read %d bytes: %s", (int)n, buf);
        close(fds[0]);
    }
    wait_report(pid, "pipe writer");
    pipe(fds);
    if ((pid = fork()) == 0) {
        close(fds[0]);
        write(fds[1], "x", 1);
        _exit(1);
    }
    close(fds[0]);
    close(fds[1]);
    wait_report(pid, "write to a closed pipe");

    /* signals from the parent, WNOHANG, waitid */
    pipe(fds);
    if ((pid = fork()) == 0) {
        char c;
        close(fds[1]);
        read(fds[0], &c, 1);
        _exit(5);
    }
    close(fds[0]);
    say("WNOHANG while running: %d\n", (int)waitpid(pid, &st, WNOHANG));
    close(fds[1]);
    wait_report(pid, "child after EOF");
    pipe(fds);
    if ((pid = fork()) == 0) {
        char c;
        close(fds[1]);
        read(fds[0], &c, 1);
        _exit(1);
    }
    close(fds[0]);
    kill(pid, SIGKILL);
    wait_report(pid, "kill(child, SIGKILL)");
    close(fds[1]);
    pipe(fds);
    if ((pid = fork()) == 0) {
        char c;
        close(fds[1]);
        read(fds[0], &c, 1);
        _exit(1);
    }
    close(fds[0]);
    kill(pid, SIGTERM);
    wait_report(pid, "kill(child, SIGTERM)");
    close(fds[1]);
    if ((pid = fork()) == 0)
        _exit(9);
    {
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r = waitid(P_PID, pid, &si, WEXITED);
        say("waitid: %d, signo %d, code %s, status %d, pid %s\n", r, si.si_signo,
            si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status,
            si.si_pid == pid ? "ok" : "wrong");
    }
    errno = 0;
    {
        int r = (int)wait(&st);
        say("wait with no children: %d %s\n", r, ename(errno));
    }

    /* vfork, process groups */
    if ((pid = vfork()) == 0)
        _exit(12);
    wait_report(pid, "vfork");
    if ((pid = fork()) == 0) {
        int a = setpgid(0, 0) == 0 && getpgrp() == getpid();
        int b = getsid(0) != getpid();
        int c = setsid() < 0; /* a group leader cannot setsid */
        say("setpgid %s, not a session leader %s, setsid refused %s\n", a ? "ok" : "no", b ? "yes" : "no",
            c ? "yes" : "no");
        _exit(0);
    }
    wait_report(pid, "pgrp child");

    /* execve failures return to the caller */
    write_file("plain.txt", "text\n", 0644);
    write_file("noexec.sh", "echo hi\n", 0755);
    char *noargs[] = {"x", NULL};
    const char *bad[] = {"missing", ".", "plain.txt", "noexec.sh", "plain.txt/x", ""};
    for (int i = 0; i < 6; i++) {
        errno = 0;
        execve(bad[i], noargs, environ);
        say("execve(\"%s\"): %s\n", bad[i], ename(errno));
    }

    /* execve of /proc/self/exe: fds, dispositions, cwd, umask, environment */
    if ((pid = fork()) == 0) {
        mkdir("sub", 0755);
        write_file("sub/marker", "", 0644);
        if (chdir("sub") != 0)
            say("chdir failed\n");
        umask(027);
        int a = open("/dev/null", O_RDONLY | O_CLOEXEC);
        int b = dup(a);
        signal(SIGUSR1, SIG_IGN);
        signal(SIGUSR2, on_usr2);
        char sa[16], sb[16];
        snprintf(sa, sizeof sa, "%d", a);
        snprintf(sb, sizeof sb, "%d", b);
        char *args[] = {"procs", "exec-child", sa, sb, "two words", "", NULL};
        char *env[] = {"PROCS_VAR=42", NULL};
        execve("/proc/self/exe", args, env);
        say("execve failed: %s\n", ename(errno));
        _exit(127);
    }
    wait_report(pid, "execve(/proc/self/exe)");

    /* a copy of this program, a #! script using it, posix_spawn */
    copy_self("procs-copy");
    write_file("script", "#!./procs-copy script-arg\nignored\n", 0755);
    if ((pid = fork()) == 0) {
        char *args[] = {"procs-copy", "exec-child", NULL};
        execv("./procs-copy", args);
        _exit(127);
    }
    wait_report(pid, "execv(./procs-copy)");
    if ((pid = fork()) == 0) {
        char *args[] = {"script", "a1", NULL};
        execv("./script", args);
        say("script: %s\n", ename(errno));
        _exit(127);
    }
    wait_report(pid, "execv(./script)");
    {
        char *args[] = {"procs-copy", "spawned", NULL};
        int r = posix_spawn(&pid, "./procs-copy", NULL, NULL, args, environ);
        /* Wait before printing, so the child's line always comes first. */
        if (r == 0)
            wait_report(pid, "spawned child");
        say("posix_spawn: %s\n", ename(r));
        r = posix_spawn(&pid, "./missing", NULL, NULL, args, environ);
        say("posix_spawn(missing): %s\n", ename(r));
        if (r == 0)
            wait_report(pid, "missing child");
    }
    say("done\n");
    return 0;
}
