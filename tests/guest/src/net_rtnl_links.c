/* rtnetlink dumps (RTM_GETLINK, RTM_GETADDR) and glibc's if_nameindex /
 * if_nametoindex, which use them: the loopback interface must be found. */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The netlink ABI (linux/netlink.h, linux/rtnetlink.h), spelled out here
 * because the musl build has no kernel headers. */
#define NETLINK_ROUTE 0
#define NLM_F_REQUEST 1
#define NLM_F_DUMP 0x300
#define NLMSG_DONE 3
#define RTM_NEWLINK 16
#define RTM_GETLINK 18
#define RTM_NEWADDR 20
#define RTM_GETADDR 22
#define IFLA_IFNAME 3
#define IFA_LOCAL 2
struct sockaddr_nl {
    unsigned short nl_family, nl_pad;
    unsigned nl_pid, nl_groups;
};
struct nlmsghdr {
    unsigned nlmsg_len;
    unsigned short nlmsg_type, nlmsg_flags;
    unsigned nlmsg_seq, nlmsg_pid;
};
struct ifinfomsg {
    unsigned char ifi_family, pad;
    unsigned short ifi_type;
    int ifi_index;
    unsigned ifi_flags, ifi_change;
};
struct ifaddrmsg {
    unsigned char ifa_family, ifa_prefixlen, ifa_flags, ifa_scope;
    unsigned ifa_index;
};
struct rtattr {
    unsigned short rta_len, rta_type;
};
#define ALIGN4(n) (((n) + 3) & ~3)
#define NLMSG_OK(h, n) ((n) >= (int)sizeof(struct nlmsghdr) && (h)->nlmsg_len >= sizeof(struct nlmsghdr) && (h)->nlmsg_len <= (unsigned)(n))
#define NLMSG_NEXT(h, n) ((n) -= ALIGN4((h)->nlmsg_len), (struct nlmsghdr *)((char *)(h) + ALIGN4((h)->nlmsg_len)))
#define NLMSG_DATA(h) ((void *)((char *)(h) + sizeof(struct nlmsghdr)))
/* The attributes after a fixed message of type T; their total length. */
#define FIRST_RTA(p, T) ((struct rtattr *)((char *)(p) + ALIGN4(sizeof(T))))
#define RTA_LEN_AFTER(h, T) ((int)(h)->nlmsg_len - (int)sizeof(struct nlmsghdr) - ALIGN4((int)sizeof(T)))
#define RTA_OK(a, len) ((len) >= (int)sizeof(struct rtattr) && (a)->rta_len >= sizeof(struct rtattr) && (a)->rta_len <= (len))
#define RTA_NEXT(a, len) ((len) -= ALIGN4((a)->rta_len), (struct rtattr *)((char *)(a) + ALIGN4((a)->rta_len)))
#define RTA_DATA(a) ((void *)((char *)(a) + sizeof(struct rtattr)))

static char buf[65536];

/* Sends a dump request of `type` (family `fam`) and returns the socket. */
static int dump(int type, int fam) {
    int s = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (s < 0) {
        printf("socket: %s\n", strerror(errno));
        return -1;
    }
    struct {
        struct nlmsghdr h;
        struct ifaddrmsg m;
    } req;
    memset(&req, 0, sizeof req);
    req.h.nlmsg_len = sizeof req;
    req.h.nlmsg_type = type;
    req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.h.nlmsg_seq = 42;
    req.m.ifa_family = fam;
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    ssize_t n = sendto(s, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to);
    printf("sendto type %d: %zd\n", type, n);
    return s;
}

int main(void) {
    /* bind and getsockname: the kernel assigns a port id. */
    int s = socket(AF_NETLINK, SOCK_RAW, NETLINK_ROUTE);
    struct sockaddr_nl me = {.nl_family = AF_NETLINK};
    printf("bind: %d\n", bind(s, (struct sockaddr *)&me, sizeof me));
    socklen_t ml = sizeof me;
    memset(&me, 0, sizeof me);
    printf("getsockname: %d len %u family %d pid set %d\n",
           getsockname(s, (struct sockaddr *)&me, &ml), ml, me.nl_family, me.nl_pid != 0);
    close(s);
    printf("unknown protocol: %d\n", socket(AF_NETLINK, SOCK_RAW, 31) < 0);

    s = dump(RTM_GETLINK, AF_UNSPEC);
    int lo_index = -1, done = 0, seq_ok = 1;
    while (!done) {
        struct sockaddr_nl from;
        struct iovec iov = {buf, sizeof buf};
        struct msghdr mh = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
        int n = recvmsg(s, &mh, 0);
        if (n <= 0) {
            printf("recvmsg: %d %s\n", n, strerror(errno));
            break;
        }
        if (from.nl_family != AF_NETLINK || from.nl_pid != 0)
            printf("odd sender %d %u\n", from.nl_family, from.nl_pid);
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_seq != 42)
                seq_ok = 0;
            if (h->nlmsg_type == NLMSG_DONE) {
                done = 1;
                break;
            }
            if (h->nlmsg_type != RTM_NEWLINK)
                continue;
            struct ifinfomsg *ifi = NLMSG_DATA(h);
            int len = RTA_LEN_AFTER(h, struct ifinfomsg);
            for (struct rtattr *a = FIRST_RTA(ifi, struct ifinfomsg); RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type == IFLA_IFNAME && strcmp(RTA_DATA(a), "lo") == 0) {
                    lo_index = ifi->ifi_index;
                    printf("lo: loopback %d up %d\n", !!(ifi->ifi_flags & IFF_LOOPBACK),
                           !!(ifi->ifi_flags & IFF_UP));
                }
        }
    }
    printf("link dump done %d seq ok %d lo found %d\n", done, seq_ok, lo_index > 0);
    close(s);

    s = dump(RTM_GETADDR, AF_INET);
    int lo_addr = 0;
    done = 0;
    while (!done) {
        int n = recv(s, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
            if (h->nlmsg_type == NLMSG_DONE) {
                done = 1;
                break;
            }
            if (h->nlmsg_type != RTM_NEWADDR)
                continue;
            struct ifaddrmsg *ifa = NLMSG_DATA(h);
            int len = RTA_LEN_AFTER(h, struct ifaddrmsg);
            for (struct rtattr *a = FIRST_RTA(ifa, struct ifaddrmsg); RTA_OK(a, len); a = RTA_NEXT(a, len))
                if (a->rta_type == IFA_LOCAL && (int)ifa->ifa_index == lo_index &&
                    *(in_addr_t *)RTA_DATA(a) == htonl(INADDR_LOOPBACK))
                    lo_addr = 1;
        }
    }
    printf("addr dump done %d 127.0.0.1 on lo %d\n", done, lo_addr);
    close(s);

    struct if_nameindex *ni = if_nameindex();
    int in_list = 0;
    for (struct if_nameindex *p = ni; p && p->if_index; p++)
        if (strcmp(p->if_name, "lo") == 0 && (int)p->if_index == lo_index)
            in_list = 1;
    printf("if_nameindex: %d lo listed %d\n", ni != NULL, in_list);
    if_freenameindex(ni);
    printf("if_nametoindex(lo) matches %d\n", (int)if_nametoindex("lo") == lo_index);
    return 0;
}
