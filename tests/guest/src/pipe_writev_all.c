/* A blocking writev() or sendmsg() of more than a pipe or socket buffer
 * holds returns only when every byte of every buffer is written, in order
 * (the reader checks each byte's value); a small writev to a pipe stays one
 * atomic write. */
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PART (300 * 1000)
static char bufs[3][PART];

/* A child that reads `fd` to EOF and exits 0 if it read, in order, the
 * three buffers `rounds` times over. */
static pid_t drain(int fd, int other, int rounds) {
    pid_t pid = fork();
    if (pid == 0) {
        close(other);
        static char in[5000];
        long got = 0, want = 3L * PART * rounds;
        int bad = 0;
        ssize_t n;
        while ((n = read(fd, in, sizeof in)) > 0) {
            for (ssize_t i = 0; i < n; i++) {
                long at = (got + i) % (3L * PART);
                bad |= in[i] != bufs[at / PART][at % PART];
            }
            got += n;
        }
        _exit(got == want && !bad ? 0 : 1);
    }
    close(fd);
    return pid;
}

static void reap(const char *what, pid_t pid) {
    int st;
    waitpid(pid, &st, 0);
    printf("%s: reader got every byte in order %d\n", what, WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void) {
    for (int b = 0; b < 3; b++)
        for (int i = 0; i < PART; i++)
            bufs[b][i] = (char)(b * 7 + i % 251);
    struct iovec iov[4] = {
        {bufs[0], PART}, {bufs[1], 0}, {bufs[1], PART}, {bufs[2], PART},
    };

    int p[2];
    pipe(p);
    pid_t r = drain(p[0], p[1], 1);
    printf("pipe writev: %zd\n", writev(p[1], iov, 4));
    close(p[1]);
    reap("pipe", r);

    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    r = drain(sv[0], sv[1], 2);
    struct msghdr m;
    memset(&m, 0, sizeof m);
    m.msg_iov = iov;
    m.msg_iovlen = 4;
    printf("socket sendmsg: %zd\n", sendmsg(sv[1], &m, 0));
    printf("socket writev: %zd\n", writev(sv[1], iov, 4));
    close(sv[1]);
    reap("socket", r);

    /* Two 100-byte buffers to a pipe with room for less than 200 bytes:
     * an atomic write waits for room for all of it, then writes it whole. */
    pipe(p);
    static char fill[65536 - 150];
    memset(fill, 'x', sizeof fill);
    write(p[1], fill, sizeof fill);
    pid_t w = fork();
    if (w == 0) {
        struct iovec small[2] = {{bufs[0], 100}, {bufs[1], 100}};
        _exit(writev(p[1], small, 2) == 200 ? 0 : 1);
    }
    usleep(100000);
    static char in[65536];
    long n = read(p[0], in, sizeof fill);
    int st;
    waitpid(w, &st, 0);
    long rest = read(p[0], in, sizeof in);
    printf("atomic writev: drained %ld, writer ok %d, then read %ld\n", n,
           WIFEXITED(st) && WEXITSTATUS(st) == 0, rest);
    return 0;
}
