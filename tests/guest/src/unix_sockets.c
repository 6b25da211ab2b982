/* AF_UNIX sockets: a pathname stream server (relative name, getsockname/getpeername report it)
 * and a forked client; datagrams between two bound pathname sockets (recvfrom names the
 * sender); socketpair stream and seqpacket (message boundaries, MSG_PEEK, MSG_TRUNC);
 * SCM_RIGHTS passing a pipe's read end to a child; an abstract name; a blocking recv
 * interrupted by a signal (EINTR without SA_RESTART); SO_RCVTIMEO (EAGAIN when it passes);
 * sendmmsg/recvmmsg on a datagram pair; epoll over a listening socket and a connection.
 * stdout is flushed before each fork and by the child before it exits. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static socklen_t un_addr(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
    return offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1;
}

static void show_name(const char *who, struct sockaddr_un *a, socklen_t len)
{
    int plen = (int)len - (int)offsetof(struct sockaddr_un, sun_path);
    if (plen <= 0) printf("%s: unnamed (len %d)\n", who, (int)len);
    else if (a->sun_path[0] == 0) printf("%s: abstract \"%.*s\" (len %d)\n", who, plen - 1, a->sun_path + 1, (int)len);
    else printf("%s: \"%s\" (len %d)\n", who, a->sun_path, (int)len);
}

static void wait_child(pid_t pid, const char *what)
{
    int st;
    waitpid(pid, &st, 0);
    printf("%s: child exited %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static void stream_test(void)
{
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a;
    socklen_t len = un_addr(&a, "stream.sock");
    if (bind(ls, (struct sockaddr *)&a, len) != 0) { perror("bind"); exit(1); }
    printf("bind again: %s\n", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a, len) == 0 ? "ok" : strerror(errno));
    listen(ls, 2);
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    getsockname(ls, (struct sockaddr *)&got, &gl);
    show_name("stream getsockname", &got, gl);
    printf("stream: socket file exists %d\n", access("stream.sock", F_OK) == 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        struct sockaddr_un b;
        socklen_t bl = un_addr(&b, "./stream.sock");
        if (connect(s, (struct sockaddr *)&b, bl) != 0) { perror("connect"); _exit(1); }
        gl = sizeof got;
        getpeername(s, (struct sockaddr *)&got, &gl);
        show_name("client getpeername", &got, gl);
        gl = sizeof got;
        getsockname(s, (struct sockaddr *)&got, &gl);
        show_name("client getsockname", &got, gl);
        for (int i = 0; i < 3; i++) {
            char msg[32];
            int n = snprintf(msg, sizeof msg, "line %d\n", i);
            write(s, msg, n);
        }
        close(s);
        fflush(stdout);
        _exit(0);
    }
    struct sockaddr_un peer;
    socklen_t pl = sizeof peer;
    int c = accept4(ls, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
    show_name("accepted peer", &peer, pl);
    char buf[256];
    size_t total = 0;
    ssize_t n;
    while ((n = read(c, buf + total, sizeof buf - 1 - total)) > 0) total += n;
    buf[total] = 0;
    wait_child(pid, "stream");
    printf("stream: received %zu bytes:\n%s", total, buf);
    close(c);
    close(ls);
    unlink("stream.sock");
}

static void dgram_test(void)
{
    int srv = socket(AF_UNIX, SOCK_DGRAM, 0), cli = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un a, b, from;
    socklen_t al = un_addr(&a, "server.dgram"), bl = un_addr(&b, "client.dgram"), fl;
    bind(srv, (struct sockaddr *)&a, al);
    bind(cli, (struct sockaddr *)&b, bl);
    for (int i = 0; i < 3; i++) {
        char msg[16];
        int n = snprintf(msg, sizeof msg, "dgram %d", i);
        sendto(cli, msg, n, 0, (struct sockaddr *)&a, al);
    }
    char buf[64];
    for (int i = 0; i < 3; i++) {
        fl = sizeof from;
        ssize_t n = recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        printf("dgram: %zd \"%.*s\" ", n, (int)n, buf);
        show_name("from", &from, fl);
    }
    ssize_t r = recv(cli, buf, sizeof buf, 0);
    printf("dgram: empty non-blocking recv %zd %s\n", r, r < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    connect(cli, (struct sockaddr *)&a, al);
    send(cli, "connected", 9, 0);
    r = recv(srv, buf, 4, MSG_TRUNC);
    printf("dgram: MSG_TRUNC recv %zd \"%.4s\"\n", r, buf);
    close(srv);
    close(cli);
    unlink("server.dgram");
    unlink("client.dgram");
}

static void pair_test(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    send(sv[0], "first", 5, 0);
    send(sv[0], "second!", 7, 0);
    char buf[64];
    ssize_t n = recv(sv[1], buf, sizeof buf, MSG_PEEK);
    printf("seqpacket: peek %zd \"%.*s\"\n", n, (int)n, buf);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("seqpacket: %zd \"%.*s\"\n", n, (int)n, buf);
    struct iovec iov[2] = {{buf, 3}, {buf + 10, 10}};
    struct msghdr m = {0};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    n = recvmsg(sv[1], &m, 0);
    printf("seqpacket: recvmsg %zd \"%.3s\"+\"%.*s\" flags %#x\n", n, buf, (int)n - 3, buf + 10, m.msg_flags);
    int type = 0;
    socklen_t tl = sizeof type;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &tl);
    printf("seqpacket: SO_TYPE %d\n", type);
    close(sv[0]);
    n = recv(sv[1], buf, sizeof buf, 0);
    printf("seqpacket: after close %zd\n", n);
    close(sv[1]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct iovec out[3] = {{"scatter ", 8}, {"gather ", 7}, {"stream", 6}};
    struct msghdr om = {0};
    om.msg_iov = out;
    om.msg_iovlen = 3;
    printf("stream pair: sendmsg %zd\n", sendmsg(sv[0], &om, 0));
    n = read(sv[1], buf, sizeof buf);
    printf("stream pair: read %zd \"%.*s\"\n", n, (int)n, buf);
    close(sv[0]);
    close(sv[1]);
}

static void rights_test(void)
{
    int sv[2], p[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        char data[1];
        struct iovec iov = {data, 1};
        union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
        struct msghdr m = {0};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = u.b;
        m.msg_controllen = sizeof u.b;
        ssize_t n = recvmsg(sv[1], &m, 0);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        if (n != 1 || !c || c->cmsg_type != SCM_RIGHTS) { printf("rights: no descriptor\n"); fflush(stdout); _exit(1); }
        int fd;
        memcpy(&fd, CMSG_DATA(c), sizeof fd);
        printf("rights: got a descriptor (len %d, byte '%c')\n", (int)c->cmsg_len, data[0]);
        char buf[64];
        size_t total = 0;
        ssize_t r;
        while ((r = read(fd, buf + total, sizeof buf - 1 - total)) > 0) total += r;
        buf[total] = 0;
        printf("rights: read through it \"%s\"\n", buf);
        fflush(stdout);
        _exit(0);
    }
    close(sv[1]);
    pipe(p);
    char byte = 'R';
    struct iovec iov = {&byte, 1};
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr m = {0};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = u.b;
    m.msg_controllen = sizeof u.b;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    if (sendmsg(sv[0], &m, 0) != 1) perror("sendmsg");
    close(p[0]);
    write(p[1], "via SCM_RIGHTS", 14);
    close(p[1]);
    wait_child(pid, "rights");
    close(sv[0]);
}

static void abstract_test(void)
{
    /* The abstract namespace is shared with the host: a unique-enough name, not printed. */
    struct sockaddr_un a;
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "kvrm-abstract-%d", (int)getpid());
    socklen_t len = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(a.sun_path + 1);
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (bind(s, (struct sockaddr *)&a, len) != 0) { perror("abstract bind"); return; }
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    getsockname(s, (struct sockaddr *)&got, &gl);
    printf("abstract: name round trip %d\n", gl == len && memcmp(&got, &a, len) == 0);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(c, "hi", 2, 0, (struct sockaddr *)&a, len);
    char buf[8];
    printf("abstract: recv %zd\n", recv(s, buf, sizeof buf, 0));
    close(c);
    close(s);
}

static void on_alarm(int sig) { (void)sig; }

static void interrupt_test(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50000}};
    setitimer(ITIMER_REAL, &it, NULL);
    char buf[4];
    ssize_t n = recv(sv[0], buf, sizeof buf, 0);
    printf("interrupt: recv %zd %s\n", n, n < 0 && errno == EINTR ? "EINTR" : "?");
    struct timeval tv = {0, 100000};
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    struct timeval back;
    socklen_t bl = sizeof back;
    getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &back, &bl);
    printf("timeout: SO_RCVTIMEO %ld.%06ld\n", (long)back.tv_sec, (long)back.tv_usec);
    n = read(sv[0], buf, sizeof buf);
    printf("timeout: read %zd %s\n", n, n < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    close(sv[0]);
    close(sv[1]);
}

static void mmsg_test(void)
{
    int sv[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct mmsghdr out[3];
    struct iovec oiov[3];
    const char *words[3] = {"alpha", "beta", "gamma!"};
    memset(out, 0, sizeof out);
    for (int i = 0; i < 3; i++) {
        oiov[i].iov_base = (void *)words[i];
        oiov[i].iov_len = strlen(words[i]);
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
    }
    int n = sendmmsg(sv[0], out, 3, 0);
    printf("sendmmsg %d: %u %u %u\n", n, out[0].msg_len, out[1].msg_len, out[2].msg_len);
    struct mmsghdr in[8];
    struct iovec iiov[8];
    char bufs[8][16];
    memset(in, 0, sizeof in);
    for (int i = 0; i < 8; i++) {
        iiov[i].iov_base = bufs[i];
        iiov[i].iov_len = sizeof bufs[i];
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
    }
    n = recvmmsg(sv[1], in, 8, MSG_WAITFORONE, NULL);
    printf("recvmmsg %d:", n);
    for (int i = 0; i < n; i++) printf(" \"%.*s\"", (int)in[i].msg_len, bufs[i]);
    printf("\n");
    close(sv[0]);
    close(sv[1]);
}

static void epoll_test(void)
{
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_un a;
    socklen_t al = un_addr(&a, "epoll.sock");
    bind(ls, (struct sockaddr *)&a, al);
    listen(ls, 1);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {EPOLLIN, {.u64 = 1000}};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        connect(s, (struct sockaddr *)&a, al);
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
        write(s, "over epoll", 10);
        close(s);
        _exit(0);
    }
    int c = -1, done = 0;
    while (!done) {
        struct epoll_event got[4];
        int n = epoll_wait(ep, got, 4, 5000);
        if (n <= 0) { printf("epoll_wait %d\n", n); break; }
        for (int i = 0; i < n; i++) {
            if (got[i].data.u64 == 1000) {
                c = accept(ls, NULL, NULL);
                struct epoll_event cev = {EPOLLIN | EPOLLRDHUP, {.u64 = 2000}};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                printf("epoll: listening socket ready, accepted\n");
            } else if (got[i].data.u64 == 2000) {
                char buf[32];
                ssize_t r = read(c, buf, sizeof buf);
                if (r > 0) printf("epoll: connection ready, read \"%.*s\"\n", (int)r, buf);
                else { printf("epoll: connection closed (%zd)\n", r); done = 1; }
            }
        }
    }
    wait_child(pid, "epoll");
    close(c);
    close(ep);
    close(ls);
    unlink("epoll.sock");
}

int main(void)
{
    stream_test();
    dgram_test();
    pair_test();
    rights_test();
    abstract_test();
    interrupt_test();
    mmsg_test();
    epoll_test();
    printf("recv on a pipe: %s\n", recv(0, NULL, 0, 0) < 0 ? strerror(errno) : "ok");
    return 0;
}
