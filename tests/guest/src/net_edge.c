/* Socket error paths and edge cases on loopback TCP, compared with qemu: a refused blocking
 * connect, bad address lengths and pointers, recv/send on an unconnected socket (EPIPE with
 * SIGPIPE ignored), select on a connection, EOF and EPIPE after the peer closes, a short
 * getsockopt buffer, SO_LINGER, bad shutdown and listen arguments. Needs --net. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/select.h>
#include <unistd.h>
int main(void) {
    int l = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET; a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    bind(l, (struct sockaddr *)&a, sizeof a);
    getsockname(l, (struct sockaddr *)&a, &al);
    close(l); /* port now closed */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    printf("connect refused: %d %s\n", r, strerror(errno));
    r = connect(s, (struct sockaddr *)&a, 3);
    printf("short addr: %d %s\n", r, strerror(errno));
    r = bind(s, (struct sockaddr *)0x10, 16);
    printf("bad ptr: %d %s\n", r, strerror(errno));
    r = connect(s, (struct sockaddr *)&a, 1000);
    printf("long addr: %d %s\n", r, strerror(errno));
    char buf[4];
    r = recv(s, buf, 4, 0);
    printf("recv unconnected: %d %s\n", r, strerror(errno));
    signal(SIGPIPE, SIG_IGN);
    r = send(s, "x", 1, 0);
    printf("send unconnected: %d %s\n", r, strerror(errno));
    int l2 = socket(AF_INET, SOCK_STREAM, 0);
    a.sin_port = 0;
    bind(l2, (struct sockaddr *)&a, sizeof a);
    listen(l2, 1);
    al = sizeof a;
    getsockname(l2, (struct sockaddr *)&a, &al);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    int d = accept(l2, NULL, NULL);
    fd_set rf; FD_ZERO(&rf); FD_SET(d, &rf);
    struct timeval tv = {0, 10000};
    printf("select nothing: %d\n", select(d + 1, &rf, NULL, NULL, &tv));
    write(c, "abc", 3);
    FD_ZERO(&rf); FD_SET(d, &rf);
    tv.tv_usec = 500000;
    printf("select data: %d %d\n", select(d + 1, &rf, NULL, NULL, &tv), FD_ISSET(d, &rf));
    close(c);
    r = read(d, buf, 4); printf("read %d\n", r);
    r = read(d, buf, 4); printf("read eof %d\n", r);
    r = write(d, "x", 1); printf("write after peer close %d\n", r);
    usleep(50000);
    r = write(d, "x", 1); printf("write again %d %s\n", r, strerror(errno));
    int v; socklen_t vl = 2;
    r = getsockopt(d, SOL_SOCKET, SO_RCVBUF, &v, &vl);
    printf("short optlen: %d len %d\n", r, (int)vl);
    struct linger lg = {1, 0};
    printf("linger %d\n", setsockopt(d, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
    vl = sizeof lg; memset(&lg, 0, sizeof lg);
    getsockopt(d, SOL_SOCKET, SO_LINGER, &lg, &vl);
    printf("linger back %d %d len %d\n", lg.l_onoff, lg.l_linger, (int)vl);
    printf("shutdown bad how: %d %s\n", shutdown(d, 7), strerror(errno));
    printf("listen on unix dgram: %d %s\n", listen(socket(AF_UNIX, SOCK_DGRAM, 0), 1), strerror(errno));
    return 0;
}
