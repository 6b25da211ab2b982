/* TCP echo over loopback between two guest processes: the server binds 127.0.0.1 (or ::1 with
 * argument "6") port 0, reads its port with getsockname, forks a client that connects, sends
 * several messages and reads each echo, shuts down its sending side and reads the server's
 * goodbye until EOF. Also a non-blocking connect (EINPROGRESS, poll, SO_ERROR) and socket options.
 * Needs `kvrm run --net`. Prints no port or pid; stdout is flushed before the fork and by the
 * child before it exits (the parent waits for it), so the two outputs never interleave. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int v6;

static socklen_t loopback(struct sockaddr_storage *ss, int port)
{
    memset(ss, 0, sizeof *ss);
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(port);
        a->sin6_addr = in6addr_loopback;
        return sizeof *a;
    }
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons(port);
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return sizeof *a;
}

static int port_of(struct sockaddr_storage *ss)
{
    return ntohs(v6 ? ((struct sockaddr_in6 *)ss)->sin6_port : ((struct sockaddr_in *)ss)->sin_port);
}

static const char *describe(struct sockaddr_storage *ss, socklen_t len)
{
    static char buf[96];
    char host[INET6_ADDRSTRLEN];
    const void *a = v6 ? (void *)&((struct sockaddr_in6 *)ss)->sin6_addr : (void *)&((struct sockaddr_in *)ss)->sin_addr;
    inet_ntop(ss->ss_family, a, host, sizeof host);
    snprintf(buf, sizeof buf, "family %s len %d addr %s", ss->ss_family == AF_INET6 ? "inet6" : ss->ss_family == AF_INET ? "inet" : "?", (int)len, host);
    return buf;
}

static int read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, buf + got, n - got, 0);
        if (r <= 0) return -1;
        got += r;
    }
    return 0;
}

static int client(int port)
{
    int fam = v6 ? AF_INET6 : AF_INET;
    int s = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_storage ss;
    socklen_t len = loopback(&ss, port);
    if (connect(s, (struct sockaddr *)&ss, len) != 0) { perror("client connect"); return 1; }
    struct sockaddr_storage peer;
    socklen_t plen = sizeof peer;
    getpeername(s, (struct sockaddr *)&peer, &plen);
    printf("client: connected, peer %s, same port %d\n", describe(&peer, plen), port_of(&peer) == port);
    for (int i = 0; i < 5; i++) {
        char msg[64], back[64];
        int n = snprintf(msg, sizeof msg, "message %d: %.*s", i, i * 7, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz");
        if (i % 2) { if (write(s, msg, n) != n) return 1; }
        else if (send(s, msg, n, 0) != n) return 1;
        if (read_all(s, back, n) != 0) { printf("client: short echo\n"); return 1; }
        printf("client: echo %d %s\n", i, memcmp(msg, back, n) == 0 ? "matches" : "differs");
    }
    shutdown(s, SHUT_WR);
    char buf[128];
    size_t got = 0;
    ssize_t r;
    while ((r = read(s, buf + got, sizeof buf - 1 - got)) > 0) got += r;
    buf[got] = 0;
    printf("client: server said \"%s\", then EOF (%zd)\n", buf, r);
    close(s);

    /* Non-blocking connect: EINPROGRESS (or at once), then poll for POLLOUT and SO_ERROR. */
    s = socket(fam, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int rc = connect(s, (struct sockaddr *)&ss, len);
    printf("client: non-blocking connect %s\n", rc == 0 || errno == EINPROGRESS ? "started" : strerror(errno));
    struct pollfd p = {s, POLLOUT, 0};
    poll(&p, 1, 5000);
    int err = -1;
    socklen_t el = sizeof err;
    getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
    printf("client: writable %d, SO_ERROR %d\n", !!(p.revents & POLLOUT), err);
    send(s, "x", 1, 0);
    close(s);
    return 0;
}

int main(int argc, char **argv)
{
    v6 = argc > 1 && !strcmp(argv[1], "6");
    int fam = v6 ? AF_INET6 : AF_INET;
    int ls = socket(fam, SOCK_STREAM, 0);
    if (ls < 0) { printf("socket: %s\n", strerror(errno)); return 1; }
    int one = 1, v = 0;
    socklen_t vl = sizeof v;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    getsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &v, &vl);
    printf("SO_REUSEADDR %d (len %d)\n", v != 0, (int)vl);
    vl = sizeof v;
    getsockopt(ls, SOL_SOCKET, SO_TYPE, &v, &vl);
    printf("SO_TYPE stream %d\n", v == SOCK_STREAM);
    if (v6) {
        setsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
        vl = sizeof v;
        getsockopt(ls, IPPROTO_IPV6, IPV6_V6ONLY, &v, &vl);
        printf("IPV6_V6ONLY %d\n", v);
    }
    struct sockaddr_storage ss;
    socklen_t len = loopback(&ss, 0);
    if (bind(ls, (struct sockaddr *)&ss, len) != 0) { perror("bind"); return 1; }
    if (listen(ls, 4) != 0) { perror("listen"); return 1; }
    struct sockaddr_storage me;
    socklen_t ml = sizeof me;
    getsockname(ls, (struct sockaddr *)&me, &ml);
    int port = port_of(&me);
    printf("server: bound %s, port nonzero %d\n", describe(&me, ml), port != 0);
    vl = sizeof v;
    getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
    printf("server: SO_ACCEPTCONN %d\n", v);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = client(port);
        fflush(stdout);
        _exit(rc);
    }

    struct sockaddr_storage peer;
    socklen_t pl = sizeof peer;
    int c = accept(ls, (struct sockaddr *)&peer, &pl);
    if (c < 0) { perror("accept"); return 1; }
    printf("server: accepted %s\n", describe(&peer, pl));
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    vl = sizeof v;
    getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &vl);
    printf("server: TCP_NODELAY %d\n", v != 0);
    char buf[256];
    ssize_t n;
    size_t total = 0;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) {
        total += n;
        if (send(c, buf, n, 0) != n) { perror("send"); return 1; }
    }
    printf("server: client finished (recv %zd), echoed %zu bytes\n", n, total);
    const char *bye = "goodbye";
    send(c, bye, strlen(bye), MSG_NOSIGNAL);
    shutdown(c, SHUT_RDWR);
    close(c);
    /* the non-blocking client's connection */
    c = accept(ls, NULL, NULL);
    n = recv(c, buf, sizeof buf, 0);
    printf("server: second connection sent %zd byte(s)\n", n);
    close(c);
    int st;
    waitpid(pid, &st, 0);
    printf("server: client exited %d\n", WEXITSTATUS(st));
    close(ls);
    return 0;
}
