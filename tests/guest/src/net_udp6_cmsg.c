/* IPv6 ancillary data (RFC 3542) on UDP over ::1: IPV6_RECVHOPLIMIT and IPV6_RECVTCLASS set
 * and read back, a datagram sent with IPV6_HOPLIMIT and IPV6_TCLASS control messages, and the
 * receiver's control messages (level, type, value); IPV6_UNICAST_HOPS. (Not IPV6_DONTFRAG, which
 * qemu-aarch64 7.2 refuses, nor a control buffer too small for the messages: qemu does not set
 * MSG_CTRUNC there.) Needs `kvrm run --net`; prints no port. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int bound(struct sockaddr_in6 *a)
{
    int s = socket(AF_INET6, SOCK_DGRAM, 0);
    memset(a, 0, sizeof *a);
    a->sin6_family = AF_INET6;
    a->sin6_addr = in6addr_loopback;
    if (bind(s, (struct sockaddr *)a, sizeof *a) != 0) perror("bind");
    socklen_t l = sizeof *a;
    getsockname(s, (struct sockaddr *)a, &l);
    return s;
}

static void opt(int s, int name, const char *what, int value)
{
    int r = setsockopt(s, IPPROTO_IPV6, name, &value, sizeof value);
    int got = -1;
    socklen_t l = sizeof got;
    int g = getsockopt(s, IPPROTO_IPV6, name, &got, &l);
    printf("%s: set %s, get %s %d\n", what, r ? strerror(errno) : "ok", g ? strerror(errno) : "ok",
           g ? -1 : got);
}

static void send_with(int s, struct sockaddr_in6 *to, int hops, int tclass)
{
    char msg[] = "hello6";
    struct iovec iov = {msg, sizeof msg};
    union { char buf[CMSG_SPACE(sizeof(int)) * 2]; struct cmsghdr align; } c;
    memset(&c, 0, sizeof c);
    struct msghdr m = {.msg_name = to, .msg_namelen = sizeof *to, .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = c.buf, .msg_controllen = sizeof c.buf};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = IPPROTO_IPV6; h->cmsg_type = IPV6_HOPLIMIT; h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &hops, sizeof hops);
    h = CMSG_NXTHDR(&m, h);
    h->cmsg_level = IPPROTO_IPV6; h->cmsg_type = IPV6_TCLASS; h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &tclass, sizeof tclass);
    printf("sendmsg: %zd\n", sendmsg(s, &m, 0));
}

static void receive(int s, size_t room)
{
    char buf[64];
    struct iovec iov = {buf, sizeof buf};
    union { char buf[256]; struct cmsghdr align; } c;
    memset(&c, 0, sizeof c);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.buf, .msg_controllen = room};
    ssize_t n = recvmsg(s, &m, 0);
    printf("recvmsg: %zd bytes '%s', controllen %zu, ctrunc %d\n", n, n > 0 ? buf : "",
           (size_t)m.msg_controllen, !!(m.msg_flags & MSG_CTRUNC));
    for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
        int v = -1;
        if (h->cmsg_len >= CMSG_LEN(sizeof v)) memcpy(&v, CMSG_DATA(h), sizeof v);
        printf("  cmsg level %d type %d len %zu value %d\n", h->cmsg_level, h->cmsg_type,
               (size_t)h->cmsg_len, v);
    }
}

int main(void)
{
    struct sockaddr_in6 a, b;
    int sa = bound(&a), sb = bound(&b);
    if (sa < 0 || sb < 0) { printf("socket: %s\n", strerror(errno)); return 1; }
    opt(sb, IPV6_RECVHOPLIMIT, "IPV6_RECVHOPLIMIT", 1);
    opt(sb, IPV6_RECVTCLASS, "IPV6_RECVTCLASS", 1);
    opt(sa, IPV6_UNICAST_HOPS, "IPV6_UNICAST_HOPS", 9);
    opt(sa, IPV6_HOPLIMIT, "IPV6_HOPLIMIT (not a socket option)", 3);
    send_with(sa, &b, 7, 0x20);
    receive(sb, 256);
    send_with(sa, &b, 11, 0);
    receive(sb, 256);
    /* Without a control message the socket's unicast hop limit applies. */
    printf("sendto: %zd\n", sendto(sa, "x", 2, 0, (struct sockaddr *)&b, sizeof b));
    receive(sb, 256);
    return 0;
}
