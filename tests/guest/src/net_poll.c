/* A poll-driven server multiplexing several children: two write through pipes, two through
 * AF_UNIX socketpairs, one connects to a listening AF_UNIX socket the parent accepts while
 * polling. Each child sends numbered records with short sleeps between them; the parent polls
 * every descriptor, reads what is ready, counts records and bytes per source until every one
 * has hung up, and prints the totals in a fixed order. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SOURCES 5
#define RECORDS 20

static void nap(int us)
{
    struct timespec ts = {0, us * 1000L};
    nanosleep(&ts, NULL);
}

static void produce(int fd, int id)
{
    for (int i = 0; i < RECORDS; i++) {
        char rec[32];
        int n = snprintf(rec, sizeof rec, "<%d:%02d>", id, i);
        if (write(fd, rec, n) != n) _exit(2);
        nap(200 + 300 * id);
    }
    close(fd);
    _exit(0);
}

int main(void)
{
    int fds[SOURCES + 1];
    pid_t pids[SOURCES];
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un a = {0};
    a.sun_family = AF_UNIX;
    strcpy(a.sun_path, "poll.sock");
    if (bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0) { perror("listen"); return 1; }
    for (int id = 0; id < SOURCES; id++) {
        int p[2];
        if (id < 2) pipe(p);
        else if (id < 4) socketpair(AF_UNIX, SOCK_STREAM, 0, p);
        pids[id] = fork();
        if (pids[id] == 0) {
            if (id < 4) {
                close(p[0]);
                produce(p[1], id);
            }
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            nap(5000);
            if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) _exit(3);
            produce(s, id);
        }
        if (id < 4) {
            close(p[1]);
            fds[id] = p[0];
        } else {
            fds[id] = -1;
        }
    }
    fds[SOURCES] = ls;
    int records[SOURCES] = {0}, bytes[SOURCES] = {0}, open_n = SOURCES, rounds = 0;
    while (open_n > 0) {
        struct pollfd p[SOURCES + 1];
        for (int i = 0; i <= SOURCES; i++) p[i] = (struct pollfd){fds[i], POLLIN, 0};
        int n = poll(p, SOURCES + 1, 10000);
        if (n <= 0) { printf("poll: %d %s\n", n, strerror(errno)); return 1; }
        rounds++;
        if (p[SOURCES].revents & POLLIN) {
            fds[SOURCES - 1] = accept(ls, NULL, NULL);
            printf("accepted the connecting child\n");
        }
        for (int i = 0; i < SOURCES; i++) {
            if (fds[i] < 0 || !(p[i].revents & (POLLIN | POLLHUP))) continue;
            char buf[256];
            ssize_t r = read(fds[i], buf, sizeof buf);
            if (r <= 0) {
                close(fds[i]);
                fds[i] = -1;
                open_n--;
                continue;
            }
            bytes[i] += r;
            for (ssize_t k = 0; k < r; k++) records[i] += buf[k] == '>';
        }
    }
    for (int i = 0; i < SOURCES; i++) {
        int st;
        waitpid(pids[i], &st, 0);
        printf("source %d (%s): %d records, %d bytes, exit %d\n", i, i < 2 ? "pipe" : i < 4 ? "socketpair" : "connected",
               records[i], bytes[i], WEXITSTATUS(st));
    }
    printf("several poll rounds %d\n", rounds > SOURCES);
    unlink("poll.sock");
    return 0;
}
