/* A pipe used from the wrong end: a write to the read end and a read from the write end
 * fail with EBADF at once, blocking or not (they never wait for the pipe to be ready). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void show(const char *what, ssize_t r)
{
    printf("%s: %zd %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
    int p[2];
    char c;
    if (pipe(p) != 0)
        return 1;
    show("write to the read end", write(p[0], "x", 1));
    show("read from the write end", read(p[1], &c, 1));
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    fcntl(p[1], F_SETFL, O_NONBLOCK);
    show("non-blocking write to the read end", write(p[0], "x", 1));
    show("non-blocking read from the write end", read(p[1], &c, 1));
    show("write to the write end", write(p[1], "y", 1));
    show("read from the read end", read(p[0], &c, 1));
    printf("read %c\n", c);
    return 0;
}
