/* Exit paths: exit(3), return 42, abort() (SIGABRT, status 134), _exit without flushing
 * stdio, stderr output, raise(SIGTERM) (status 143), atexit handlers. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void bye(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "none";
    atexit(bye);
    printf("mode %s\n", mode);
    if (!strcmp(mode, "exit3")) exit(3);
    if (!strcmp(mode, "ret42")) return 42;
    if (!strcmp(mode, "abort")) { fflush(stdout); abort(); }
    if (!strcmp(mode, "_exit")) _exit(5); /* stdout is a pipe: the buffered line is lost */
    if (!strcmp(mode, "stderr")) {
        fprintf(stderr, "to stderr 1\n");
        fflush(stdout);
        write(2, "raw stderr\n", 11);
        fprintf(stderr, "to stderr %d\n", 2);
        exit(255);
    }
    if (!strcmp(mode, "sigterm")) { fflush(stdout); raise(SIGTERM); }
    if (!strcmp(mode, "exit256")) exit(256 + 7);
    return 0;
}
