/* UDP on loopback: two sockets bound to 127.0.0.1 port 0, sendto/recvfrom (the sender's address
 * reported), a connected UDP socket with send/recv and sendmsg/recvmsg, MSG_PEEK, MSG_TRUNC,
 * MSG_DONTWAIT on an empty socket, SO_RCVTIMEO. Needs `kvrm run --net`; prints no port. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static int bound(struct sockaddr_in *a)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    memset(a, 0, sizeof *a);
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(s, (struct sockaddr *)a, sizeof *a) != 0) perror("bind");
    socklen_t l = sizeof *a;
    getsockname(s, (struct sockaddr *)a, &l);
    return s;
}

int main(void)
{
    struct sockaddr_in a, b, from;
    int sa = bound(&a), sb = bound(&b);
    if (sa < 0 || sb < 0) { printf("socket: %s\n", strerror(errno)); return 1; }
    printf("ports differ %d\n", a.sin_port != b.sin_port);
    for (int i = 0; i < 3; i++) {
        char msg[32];
        int n = snprintf(msg, sizeof msg, "datagram %d", i);
        printf("sendto %zd\n", sendto(sa, msg, n, 0, (struct sockaddr *)&b, sizeof b));
    }
    char buf[64];
    for (int i = 0; i < 3; i++) {
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(sb, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        printf("recvfrom %zd \"%.*s\" from %s, sender's port %d, len %d\n", n, (int)n, buf, inet_ntoa(from.sin_addr),
               from.sin_port == a.sin_port, (int)fl);
    }
    ssize_t r = recv(sb, buf, sizeof buf, MSG_DONTWAIT);
    printf("empty MSG_DONTWAIT recv %zd %s\n", r, r < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    connect(sa, (struct sockaddr *)&b, sizeof b);
    send(sa, "connected datagram", 18, 0);
    r = recv(sb, buf, 5, MSG_PEEK);
    printf("peek %zd \"%.5s\"\n", r, buf);
    r = recv(sb, buf, 9, MSG_TRUNC);
    printf("truncated recv %zd \"%.9s\"\n", r, buf);
    struct iovec iov[2] = {{"two ", 4}, {"parts", 5}};
    struct msghdr m = {0};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    printf("sendmsg %zd\n", sendmsg(sa, &m, 0));
    struct iovec in = {buf, sizeof buf};
    struct msghdr mi = {0};
    mi.msg_name = &from;
    mi.msg_namelen = sizeof from;
    mi.msg_iov = &in;
    mi.msg_iovlen = 1;
    r = recvmsg(sb, &mi, 0);
    printf("recvmsg %zd \"%.*s\" namelen %d family inet %d flags %d\n", r, (int)r, buf, (int)mi.msg_namelen,
           from.sin_family == AF_INET, mi.msg_flags);
    struct timeval tv = {0, 50000};
    setsockopt(sb, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    r = recvfrom(sb, buf, sizeof buf, 0, NULL, NULL);
    printf("recv with SO_RCVTIMEO %zd %s\n", r, r < 0 && errno == EAGAIN ? "EAGAIN" : "?");
    int sz = 0;
    socklen_t sl = sizeof sz;
    printf("SO_RCVBUF get %d positive %d\n", getsockopt(sb, SOL_SOCKET, SO_RCVBUF, &sz, &sl), sz > 0);
    printf("unknown option: %s\n", setsockopt(sb, SOL_SOCKET, 9999, &sz, sizeof sz) < 0 ? strerror(errno) : "ok");
    close(sa);
    close(sb);
    return 0;
}
