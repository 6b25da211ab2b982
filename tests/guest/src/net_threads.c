/* Blocking socket calls park only their thread: one thread blocks in accept() and then in recv()
 * on a loopback TCP connection while the main thread keeps computing and only then connects and
 * sends. If a blocked call stopped the other threads, the program would hang. Needs --net. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int ls;
static atomic_int stage;

static void *server(void *arg)
{
    (void)arg;
    atomic_store(&stage, 1);
    int c = accept(ls, NULL, NULL);
    atomic_store(&stage, 2);
    char buf[64];
    ssize_t n = recv(c, buf, 11, MSG_WAITALL);
    atomic_store(&stage, 3);
    printf("server thread: received %zd bytes \"%.*s\"\n", n, (int)n, buf);
    close(c);
    return NULL;
}

static unsigned long work(unsigned long rounds)
{
    unsigned long h = 1469598103934665603UL;
    for (unsigned long i = 0; i < rounds; i++) h = (h ^ i) * 1099511628211UL;
    return h;
}

int main(void)
{
    ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) { perror("socket"); return 1; }
    struct sockaddr_in a = {0};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t l = sizeof a;
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 1);
    getsockname(ls, (struct sockaddr *)&a, &l);
    pthread_t t;
    pthread_create(&t, NULL, server, NULL);
    while (atomic_load(&stage) < 1) sched_yield();
    unsigned long h = work(3000000);
    printf("main: computed %#lx while the server thread waited in accept (stage %d)\n", h, atomic_load(&stage));
    int s = socket(AF_INET, SOCK_STREAM, 0);
    connect(s, (struct sockaddr *)&a, sizeof a);
    while (atomic_load(&stage) < 2) sched_yield();
    h = work(2000000);
    printf("main: computed %#lx while the server thread waited in recv (stage %d)\n", h, atomic_load(&stage));
    send(s, "hello ", 6, 0);
    usleep(20000);
    printf("main: after a partial send the server still waits for all bytes (stage %d)\n", atomic_load(&stage));
    send(s, "world", 5, 0);
    pthread_join(t, NULL);
    printf("main: joined (stage %d)\n", atomic_load(&stage));
    close(s);
    close(ls);
    return 0;
}
