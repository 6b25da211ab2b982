/* MAP_SHARED mappings between processes: a file mapping and an anonymous one shared by a parent
 * and its forked child (stores seen both ways, pipes only to take turns); write()/pwrite() seen
 * through the mapping and stores through it seen by read(); mprotect and munmap of part of a
 * mapping; mremap growing and moving a shared mapping; msync; the file's contents after munmap;
 * a second, independent mapping of the same file sees the first one's stores; MAP_PRIVATE
 * stores stay private; an access past the end of a shrunk file is SIGBUS; a shared mapping of a
 * read-only descriptor cannot be made writable; shared anonymous memory (and /dev/zero mapped
 * MAP_SHARED) stays shared across fork. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static unsigned long sum(const unsigned char *p, size_t n)
{
    unsigned long s = 0;
    for (size_t i = 0; i < n; i++)
        s = s * 31 + p[i];
    return s;
}

static void wait_byte(int fd)
{
    char c;
    if (read(fd, &c, 1) != 1) {
        perror("read pipe");
        exit(2);
    }
}

static void send_byte(int fd)
{
    if (write(fd, "x", 1) != 1) {
        perror("write pipe");
        exit(2);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    int fd = open("data.bin", O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    unsigned char buf[3 * PG];
    for (int i = 0; i < 3 * PG; i++)
        buf[i] = (unsigned char)(i * 7);
    if (write(fd, buf, sizeof buf) != sizeof buf) {
        perror("write");
        return 1;
    }
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    volatile long *a = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || (void *)a == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    printf("mapped: p[1]=%d p[5000]=%d anon=%ld\n", p[1], (unsigned char)p[5000], a[0]);

    /* write() -> mapping, mapping -> read() */
    pwrite(fd, "hello", 5, 100);
    printf("pwrite seen in map: %.5s\n", p + 100);
    memcpy(p + 200, "world", 5);
    char r[6] = {0};
    pread(fd, r, 5, 200);
    printf("map store seen by pread: %s\n", r);

    /* fork: both mappings stay shared */
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) {
        perror("pipe");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        wait_byte(to_child[0]);
        printf("child sees: %.6s anon=%ld\n", p + 300, a[1]);
        fflush(stdout);
        memcpy(p + 400, "child!", 6);
        a[2] = 4242;
        pwrite(fd, "by-child-pwrite", 15, PG + 10);
        send_byte(to_parent[1]);
        wait_byte(to_child[0]);
        printf("child sees parent's second store: %ld\n", a[3]);
        fflush(stdout);
        _exit(0);
    }
    memcpy(p + 300, "parent", 6);
    a[1] = 1717;
    send_byte(to_child[1]);
    wait_byte(to_parent[0]);
    printf("parent sees: %.6s anon=%ld file=%.15s\n", p + 400, a[2], p + PG + 10);
    a[3] = 99;
    send_byte(to_child[1]);
    int st;
    waitpid(pid, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));

    /* a second mapping of the same file in the same process */
    char *q = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
    p[PG + 50] = 'Q';
    printf("second mapping: %c %.15s\n", q[50], q + 10);

    /* MAP_PRIVATE stores stay private */
    char *v = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    v[100] = 'J';
    pread(fd, r, 5, 100);
    printf("private store: map %.5s file %s shared %.5s\n", v + 100, r, p + 100);
    munmap(v, PG);

    /* mprotect part, munmap part */
    if (mprotect(p + PG, PG, PROT_READ))
        perror("mprotect");
    printf("read-only half still reads: %c\n", p[PG + 50]);
    if (munmap(p, PG))
        perror("munmap");
    pwrite(fd, "after-unmap", 11, PG + 60);
    printf("remaining half: %.11s\n", p + PG + 60);

    /* mremap: grow (the new page is the file's next page) and move */
    char *g = mremap(p + PG, PG, 2 * PG, MREMAP_MAYMOVE);
    if (g == MAP_FAILED) {
        perror("mremap");
        return 1;
    }
    if (mprotect(g, 2 * PG, PROT_READ | PROT_WRITE))
        perror("mprotect rw");
    printf("grown: %.11s page3[0]=%d\n", g + 60, (unsigned char)g[PG]);
    memcpy(g + PG + 8, "grown-store", 11);
    pread(fd, r, 5, 2 * PG + 8);
    printf("store in grown part seen by pread: %s\n", r);
    if (msync(g, 2 * PG, MS_SYNC))
        perror("msync");
    printf("msync bad flags: %d %s\n", msync(g, PG, MS_SYNC | MS_ASYNC), strerror(errno));
    munmap(g, 2 * PG);
    munmap(q, PG);

    /* the file after munmap */
    unsigned char back[3 * PG];
    pread(fd, back, sizeof back, 0);
    printf("file: %.5s %.5s %.6s %.6s %.15s %.11s %.11s sum %lu\n", back + 100, back + 200,
           back + 300, back + 400, back + PG + 10, back + PG + 60, back + 2 * PG + 8,
           sum(back, sizeof back));

    /* shrinking the file: an access past its end is SIGBUS */
    char *t = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ftruncate(fd, PG))
        perror("ftruncate");
    pid = fork();
    if (pid == 0) {
        printf("first page after truncate: %c\n", t[100]);
        fflush(stdout);
        t[PG + 1] = 1;
        printf("no SIGBUS\n");
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("past the end: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    /* growing it again makes the page accessible (zeros) */
    if (ftruncate(fd, 2 * PG))
        perror("ftruncate");
    printf("after growing: %d\n", t[PG + 1]);
    t[PG + 2] = 'G';
    pread(fd, r, 1, PG + 2);
    printf("store after growing: %c\n", r[0]);
    munmap(t, 2 * PG);

    /* read-only descriptor: shared mapping may not become writable */
    int ro = open("data.bin", O_RDONLY);
    char *w = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
    printf("rw map of read-only fd: %s\n", w == MAP_FAILED ? strerror(errno) : "mapped");
    char *ro_map = mmap(NULL, PG, PROT_READ, MAP_SHARED, ro, 0);
    int rc = mprotect(ro_map, PG, PROT_READ | PROT_WRITE);
    printf("mprotect rw: %d %s\n", rc, rc ? strerror(errno) : "");
    pwrite(fd, "fresh", 5, 100);
    printf("read-only map sees pwrite: %.5s\n", ro_map + 100);

    /* shared anonymous memory across two forks */
    volatile long *cnt = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    for (int k = 0; k < 2; k++) {
        pid = fork();
        if (pid == 0) {
            for (int i = 0; i < 1000; i++)
                __atomic_fetch_add(cnt, 1, __ATOMIC_SEQ_CST);
            _exit(0);
        }
        waitpid(pid, &st, 0);
    }
    printf("shared counter: %ld\n", *cnt);

    /* MAP_SHARED of /dev/zero is shared anonymous memory */
    int z = open("/dev/zero", O_RDWR);
    volatile int *zm = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
    if ((void *)zm == MAP_FAILED) {
        perror("mmap /dev/zero");
        return 1;
    }
    pid = fork();
    if (pid == 0) {
        zm[5] = 555;
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("/dev/zero mapping: %d %d\n", zm[0], zm[5]);
    close(z);
    close(fd);
    close(ro);
    unlink("data.bin");
    return 0;
}
