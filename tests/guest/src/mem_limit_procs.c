// The memory limit counts the mappings of live processes only: run with
// `kvrm run --memory-limit 256M` (crates/kvrm-linux/tests/limits.rs). Twenty
// children, one after another, each map 160 MiB and exit: each must get it,
// as an exited child's memory no longer counts. Then three children at once
// try to hold 100 MiB each: two get it, the third is refused (ENOMEM), as
// 300 MiB with the parent's own memory passes the limit. Not a qemu case:
// qemu has no such limit.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024UL * 1024UL)

// Map `mib` MiB and write a byte of each MiB; 0 if the mapping was refused.
static int hold(unsigned long mib) {
    char *p = mmap(0, mib * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 0;
    for (unsigned long i = 0; i < mib; i++) p[i * MIB] = 1;
    return 1;
}

int main(void) {
    int ok = 0;
    for (int i = 0; i < 20; i++) {
        pid_t c = fork();
        if (c == 0) _exit(hold(160) ? 0 : 1);
        int st;
        waitpid(c, &st, 0);
        ok += WIFEXITED(st) && WEXITSTATUS(st) == 0;
    }
    printf("one at a time: %d of 20 children mapped 160 MiB\n", ok);

    // Three at once: each maps, reports through its pipe, then waits for
    // the parent to read all three before it exits.
    int report[3][2], go[2];
    pipe(go);
    pid_t kids[3];
    for (int i = 0; i < 3; i++) {
        pipe(report[i]);
        kids[i] = fork();
        if (kids[i] == 0) {
            char r = hold(100) ? 'y' : 'n';
            write(report[i][1], &r, 1);
            close(go[1]);
            char x;
            read(go[0], &x, 1);
            _exit(0);
        }
        // The next child starts only once this one has its memory.
        char r;
        read(report[i][0], &r, 1);
        printf("at once, child %d: %s\n", i + 1, r == 'y' ? "mapped 100 MiB" : "refused");
    }
    close(go[1]);
    for (int i = 0; i < 3; i++) waitpid(kids[i], 0, 0);
    printf("after they exit, the parent maps 200 MiB: %s\n", hold(200) ? "yes" : "no");
    return 0;
}
