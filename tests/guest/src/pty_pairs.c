/* Pseudo-terminals: posix_openpt/grantpt/unlockpt/ptsname, the line
 * discipline between master and terminal (canonical input, echo, output
 * newline translation, raw mode), window sizes, a locked terminal, openpty,
 * forkpty with a child on the terminal, end of file on the master, and a
 * /dev/pts name that is no terminal. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>
#include <utmp.h>

/* Everything `fd` gives until it stays quiet (or ends; the first
 * byte is waited for up to `first_ms`, the others `quiet_ms`), printed with control characters
 * escaped; then how the last read ended. */
static void slurp_after(const char *what, int fd, int first_ms, int quiet_ms)
{
    char buf[512];
    size_t n = 0;
    int end = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, n == 0 && !end ? first_ms : quiet_ms) <= 0)
            break;
        ssize_t r = read(fd, buf + n, sizeof buf - 1 - n);
        if (r <= 0) {
            end = r < 0 ? errno : -1;
            break;
        }
        n += (size_t)r;
        if (n == sizeof buf - 1)
            break;
    }
    printf("%s: \"", what);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n')
            printf("\\n");
        else if (c == '\r')
            printf("\\r");
        else if (c < 32 || c > 126)
            printf("\\x%02x", c);
        else
            putchar(c);
    }
    printf("\"%s%s\n", end > 0 ? " then " : end < 0 ? " then end" : "",
           end > 0 ? strerror(end) : "");
}

/* Output that is there at once (or nothing). */
static void slurp(const char *what, int fd) { slurp_after(what, fd, 300, 300); }

/* A line another process writes: waited for. */
static void slurp_child(const char *what, int fd) { slurp_after(what, fd, 10000, 300); }

/* Everything until the other side closes. */
static void slurp_end(const char *what, int fd) { slurp_after(what, fd, 10000, 10000); }

static void put(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        printf("write failed: %s\n", strerror(errno));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);

    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m < 0) {
        printf("posix_openpt: %s\n", strerror(errno));
        return 1;
    }
    printf("grantpt %d unlockpt %d\n", grantpt(m), unlockpt(m));
    char name[64];
    if (ptsname_r(m, name, sizeof name) != 0) {
        printf("ptsname_r: %s\n", strerror(errno));
        return 1;
    }
    printf("name under /dev/pts: %d\n", strncmp(name, "/dev/pts/", 9) == 0);
    struct stat st;
    printf("stat: char device %d\n", stat(name, &st) == 0 && S_ISCHR(st.st_mode));
    int s = open(name, O_RDWR | O_NOCTTY);
    if (s < 0) {
        printf("open terminal: %s\n", strerror(errno));
        return 1;
    }
    printf("isatty master %d terminal %d\n", isatty(m), isatty(s));
    const char *tn = ttyname(s);
    printf("ttyname is the name: %d\n", tn && strcmp(tn, name) == 0);
    struct stat a, b;
    printf("fstat and stat agree: %d\n",
           fstat(s, &a) == 0 && stat(name, &b) == 0 && a.st_rdev == b.st_rdev);

    /* Canonical input with echo; output with \n -> \r\n. */
    put(m, "abc\n");
    slurp("terminal reads", s);
    slurp("master reads the echo", m);
    put(s, "out\n");
    slurp("master reads", m);
    /* Erase and kill characters edit the line before it is read. */
    put(m, "xy\x7fz\n");
    slurp("terminal reads the edited line", s);
    slurp("master reads the echo", m);

    /* Raw mode: no echo, no line buffering, no translation. */
    struct termios t;
    tcgetattr(s, &t);
    printf("canonical %d echo %d onlcr %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO),
           !!(t.c_oflag & ONLCR));
    cfmakeraw(&t);
    printf("tcsetattr raw %d\n", tcsetattr(s, TCSANOW, &t));
    tcgetattr(s, &t);
    printf("canonical %d echo %d onlcr %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO),
           !!(t.c_oflag & ONLCR));
    put(m, "q\r");
    slurp("raw terminal reads", s);
    slurp("master reads (no echo)", m);
    put(s, "r\n");
    slurp("master reads raw output", m);

    /* Window size set on the master, seen on the terminal. */
    struct winsize ws = {.ws_row = 24, .ws_col = 80, .ws_xpixel = 640, .ws_ypixel = 480};
    printf("TIOCSWINSZ %d\n", ioctl(m, TIOCSWINSZ, &ws));
    struct winsize got = {0};
    printf("TIOCGWINSZ %d: %dx%d\n", ioctl(s, TIOCGWINSZ, &got), got.ws_col, got.ws_row);

    /* A terminal not unlocked cannot be opened. */
    int m2 = posix_openpt(O_RDWR | O_NOCTTY);
    char name2[64];
    ptsname_r(m2, name2, sizeof name2);
    int s2 = open(name2, O_RDWR | O_NOCTTY);
    printf("open locked terminal: %d %s\n", s2, s2 < 0 ? strerror(errno) : "");
    unlockpt(m2);
    s2 = open(name2, O_RDWR | O_NOCTTY);
    printf("after unlockpt: %s\n", s2 >= 0 ? "opened" : strerror(errno));
    close(s2);
    close(m2);

    /* A master made non-blocking with FIONBIO (as Python's os.set_blocking
     * does) has nothing to read: EAGAIN, not a wait. */
    int on = 1;
    printf("FIONBIO %d\n", ioctl(m, FIONBIO, &on));
    char nb;
    errno = 0;
    printf("non-blocking read of an empty master: %zd %s\n", read(m, &nb, 1), strerror(errno));
    on = 0;
    ioctl(m, FIONBIO, &on);

    /* End of file: the master reads EIO once every terminal descriptor closed. */
    close(s);
    char c;
    errno = 0;
    ssize_t r = read(m, &c, 1);
    printf("master read after the terminal closed: %zd %s\n", r, strerror(errno));
    close(m);

    /* openpty (glibc: TIOCGPTPEER) with termios and a window size. */
    int om, os_;
    char oname[64];
    struct termios ot;
    memset(&ot, 0, sizeof ot);
    cfmakeraw(&ot);
    ot.c_cflag |= CS8 | CREAD;
    struct winsize ow = {.ws_row = 50, .ws_col = 132};
    if (openpty(&om, &os_, oname, &ot, &ow) != 0) {
        printf("openpty: %s\n", strerror(errno));
        return 1;
    }
    struct winsize og = {0};
    ioctl(os_, TIOCGWINSZ, &og);
    printf("openpty: name under /dev/pts %d, %dx%d, echo %d\n", strncmp(oname, "/dev/pts/", 9) == 0,
           og.ws_col, og.ws_row, tcgetattr(os_, &ot) == 0 && (ot.c_lflag & ECHO) != 0);
    put(os_, "raw\n");
    slurp("openpty master reads", om);
    int flags = fcntl(os_, F_GETFD);
    printf("openpty terminal close-on-exec %d\n", flags >= 0 && (flags & FD_CLOEXEC) != 0);
    close(os_);
    close(om);

    /* forkpty: the child's standard streams are the terminal. */
    int fm;
    pid_t pid = forkpty(&fm, NULL, NULL, NULL);
    if (pid < 0) {
        printf("forkpty: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        printf("child: stdin %d stdout %d stderr %d are terminals; session leader %d\n",
               isatty(0), isatty(1), isatty(2), getsid(0) == getpid());
        char line[64];
        if (fgets(line, sizeof line, stdin))
            printf("child read: %s", line);
        fflush(stdout);
        _exit(7);
    }
    slurp_child("parent reads", fm);
    put(fm, "from parent\n");
    slurp_end("parent reads", fm);
    int status = 0;
    waitpid(pid, &status, 0);
    printf("child exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    close(fm);

    /* A /dev/pts name no terminal has. */
    errno = 0;
    int bad = open("/dev/pts/999999", O_RDWR | O_NOCTTY);
    printf("open /dev/pts/999999: %d %s\n", bad, strerror(errno));
    return 0;
}
