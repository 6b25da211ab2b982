// Opens of a named pipe wait for the other end, whichever comes first: a writer that opens
// before its reader (and a reader before its writer) blocks until the other opens, then the
// data passes. Non-blocking opens: a writer without a reader gets ENXIO, a reader without a
// writer opens at once and reads end-of-file.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap(void) {
    struct timespec t = {0, 150 * 1000 * 1000};
    nanosleep(&t, NULL);
}

static void say(const char *who, const char *what, long n) {
    printf("%s: %s %ld\n", who, what, n);
    fflush(stdout);
}

// The side that opens first blocks in open until the other (a child that naps first) opens.
static int round_trip(const char *path, int writer_first) {
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        nap();
        int fd = open(path, writer_first ? O_RDONLY : O_WRONLY);
        if (fd < 0) {
            say("child", "open failed", errno);
            _exit(1);
        }
        if (writer_first) {
            char buf[64] = {0};
            ssize_t n = read(fd, buf, sizeof buf - 1);
            say("child read", buf, (long)n);
        } else {
            const char msg[] = "from the child";
            say("child wrote", msg, (long)write(fd, msg, strlen(msg)));
        }
        close(fd);
        _exit(0);
    }
    int fd = open(path, writer_first ? O_WRONLY : O_RDONLY);
    if (fd < 0) {
        say("parent", "open failed", errno);
        return 1;
    }
    int status = 0;
    if (writer_first) {
        const char msg[] = "from the parent";
        ssize_t n = write(fd, msg, strlen(msg));
        close(fd);
        waitpid(pid, &status, 0);
        say("parent wrote", msg, (long)n);
    } else {
        char buf[64] = {0};
        ssize_t n = read(fd, buf, sizeof buf - 1);
        close(fd);
        waitpid(pid, &status, 0);
        say("parent read", buf, (long)n);
    }
    say("child status", "", (long)status);
    return 0;
}

int main(void) {
    const char *path = "fifo";
    unlink(path);
    if (mkfifo(path, 0600) != 0) {
        say("mkfifo", "failed", errno);
        return 1;
    }
    struct stat st;
    say("is a fifo", "", stat(path, &st) == 0 && S_ISFIFO(st.st_mode));

    int fd = open(path, O_WRONLY | O_NONBLOCK);
    say("nonblocking writer without a reader", fd < 0 ? strerror(errno) : "opened", fd < 0 ? -1 : 0);
    fd = open(path, O_RDONLY | O_NONBLOCK);
    char c;
    say("nonblocking reader opens", "", fd >= 0);
    say("and reads end-of-file", "", (long)read(fd, &c, 1));
    close(fd);

    if (round_trip(path, 1) || round_trip(path, 0))
        return 1;
    unlink(path);
    return 0;
}
