/* select, pselect and ppoll that find nothing ready (at once and after a timeout) leave the
 * descriptor sets empty and every revents 0, as Linux writes them back; when something is
 * ready only the ready bits stay set. */
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

static void sel(const char *what, int rfd, int wfd, long usec)
{
    fd_set r, w, e;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(rfd, &r);
    FD_SET(rfd, &e);
    if (wfd >= 0) FD_SET(wfd, &w);
    struct timeval tv = {0, usec};
    int n = select((rfd > wfd ? rfd : wfd) + 1, &r, wfd >= 0 ? &w : NULL, &e, &tv);
    printf("%s: %d, read %d, write %d, except %d\n", what, n, FD_ISSET(rfd, &r),
           wfd >= 0 ? FD_ISSET(wfd, &w) : -1, FD_ISSET(rfd, &e));
}

static void psel(const char *what, int rfd, long nsec)
{
    fd_set r;
    FD_ZERO(&r);
    FD_SET(rfd, &r);
    struct timespec ts = {0, nsec};
    int n = pselect(rfd + 1, &r, NULL, NULL, &ts, NULL);
    printf("%s: %d, read %d\n", what, n, FD_ISSET(rfd, &r));
}

static void pol(const char *what, int rfd, int wfd, int ms)
{
    struct pollfd p[3] = {{rfd, POLLIN, 0x7f7f}, {wfd, POLLOUT, 0x7f7f}, {-1, POLLIN, 0x7f7f}};
    int n = poll(p, 3, ms);
    printf("%s: %d, revents %x %x %x\n", what, n, p[0].revents, p[1].revents, p[2].revents);
    struct pollfd q[2] = {{rfd, POLLIN, 0x7f7f}, {-1, POLLIN, 0x7f7f}};
    struct timespec ts = {0, ms * 1000000L};
    n = ppoll(q, 2, &ts, NULL);
    printf("%s (ppoll, read end only): %d, revents %x %x\n", what, n, q[0].revents, q[1].revents);
}

int main(void)
{
    int p[2];
    pipe(p);
    sel("select, empty pipe, no wait", p[0], -1, 0);
    sel("select, empty pipe, 20 ms", p[0], -1, 20000);
    sel("select, empty pipe and its write end", p[0], p[1], 20000);
    psel("pselect, empty pipe, no wait", p[0], 0);
    psel("pselect, empty pipe, 20 ms", p[0], 20000000);
    pol("poll, empty pipe, no wait", p[0], p[1], 0);
    pol("poll, empty pipe, 20 ms", p[0], p[1], 20);
    write(p[1], "x", 1);
    sel("select, a byte in the pipe", p[0], p[1], 0);
    pol("poll, a byte in the pipe", p[0], p[1], 0);
    return 0;
}
