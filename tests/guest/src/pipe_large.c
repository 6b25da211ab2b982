/* Large transfers through pipes between two processes, both sides blocking: 8 MiB from a child
 * writer to the parent reader, then 8 MiB from the parent to a child reader (which reports its
 * checksum through a second pipe and its exit status), with writes and reads of varied sizes
 * that do not line up with each other or with the pipe's capacity; then 10000 ping-pong round
 * trips of small messages through two pipes. Checksums are verified against a local recompute. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "common.h"

#define TOTAL (8u << 20)
#define ROUNDS 10000

static unsigned char data[TOTAL];

static void fill(uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < TOTAL; i += 8) {
        uint64_t v = rng_next(&s);
        memcpy(data + i, &v, 8);
    }
}

/* An order-sensitive checksum over 8-byte words (cheaper than FNV per byte). */
static uint64_t sum_words(uint64_t h, const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i += 8) {
        uint64_t v;
        memcpy(&v, p + i, 8);
        h = (h ^ v) * 0x100000001b3ULL + (h >> 29);
    }
    return h;
}

static void write_all(int fd, const unsigned char *p, size_t n)
{
    static const size_t sizes[] = {1, 4096, 65536, 65537, 100000, 7, 200000, 12345};
    size_t k = 0;
    while (n) {
        size_t want = sizes[k++ % 8];
        ssize_t w = write(fd, p, want < n ? want : n);
        if (w <= 0) _exit(9);
        p += w;
        n -= (size_t)w;
    }
}

/* Reads exactly TOTAL bytes in reads of varied sizes into buf; returns the number of bytes. */
static size_t read_all(int fd, unsigned char *buf)
{
    static const size_t sizes[] = {3, 65536, 4096, 131072, 1000, 8};
    size_t got = 0, k = 0;
    for (;;) {
        size_t want = sizes[k++ % 6];
        if (want > TOTAL - got) want = TOTAL - got;
        if (want == 0) want = 1; /* one more read must see end of file */
        unsigned char extra;
        ssize_t r = read(fd, got < TOTAL ? buf + got : &extra, want);
        if (r <= 0) return got;
        got += (size_t)r;
    }
}

int main(void)
{
    int p[2], back[2];
    static unsigned char buf[TOTAL];

    /* child writes, parent reads */
    fill(1);
    uint64_t want1 = sum_words(FNV_INIT, data, TOTAL);
    if (pipe(p)) return 1;
    fflush(stdout);
    pid_t w = fork();
    if (w == 0) {
        close(p[0]);
        write_all(p[1], data, TOTAL);
        _exit(0);
    }
    close(p[1]);
    memset(data, 0, TOTAL); /* the parent's copy is gone: only the pipe has it */
    size_t got = read_all(p[0], buf);
    close(p[0]);
    int st;
    waitpid(w, &st, 0);
    printf("child -> parent: %zu bytes, checksum matches %d, writer status %d\n", got,
           sum_words(FNV_INIT, buf, TOTAL) == want1, WEXITSTATUS(st));

    /* parent writes, child reads and reports its checksum */
    fill(2);
    uint64_t want2 = sum_words(FNV_INIT, data, TOTAL);
    if (pipe(p) || pipe(back)) return 1;
    fflush(stdout);
    pid_t r = fork();
    if (r == 0) {
        close(p[1]);
        close(back[0]);
        memset(data, 0, TOTAL);
        size_t n = read_all(p[0], buf);
        uint64_t h = sum_words(FNV_INIT, buf, TOTAL);
        write(back[1], &h, 8);
        _exit(n == TOTAL && h == want2 ? 0 : 3);
    }
    close(p[0]);
    close(back[1]);
    write_all(p[1], data, TOTAL);
    close(p[1]);
    uint64_t h = 0;
    ssize_t hn = read(back[0], &h, 8);
    close(back[0]);
    waitpid(r, &st, 0);
    printf("parent -> child: checksum reported %d matches %d, reader status %d\n", hn == 8, h == want2,
           WEXITSTATUS(st));

    /* ping-pong: the parent sends i, the child answers 3*i+1 */
    int to[2], from[2];
    if (pipe(to) || pipe(from)) return 1;
    fflush(stdout);
    pid_t pp = fork();
    if (pp == 0) {
        close(to[1]);
        close(from[0]);
        uint32_t v;
        int n = 0;
        while (read(to[0], &v, 4) == 4) {
            v = 3 * v + 1;
            if (write(from[1], &v, 4) != 4) _exit(4);
            n++;
        }
        _exit(n == ROUNDS ? 0 : 5);
    }
    close(to[0]);
    close(from[1]);
    int ok = 0;
    uint64_t acc = 0;
    for (uint32_t i = 0; i < ROUNDS; i++) {
        uint32_t v = i;
        if (write(to[1], &v, 4) != 4 || read(from[0], &v, 4) != 4) break;
        ok += v == 3 * i + 1;
        acc += v;
    }
    close(to[1]);
    uint32_t extra;
    ssize_t eof = read(from[0], &extra, 4);
    waitpid(pp, &st, 0);
    printf("ping-pong: %d of %d answers right, sum %llu, end of file %d, child status %d\n", ok, ROUNDS,
           (unsigned long long)acc, eof == 0, WEXITSTATUS(st));
    return 0;
}
