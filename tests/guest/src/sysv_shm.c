/* System V shared memory: shmget keys and sizes, shmat (kernel-chosen address, a given
 * address, SHM_RND, SHM_RDONLY, SHM_REMAP), shmdt, attach counts through fork, munmap and
 * exit, shmctl IPC_STAT / IPC_SET / IPC_RMID / SHM_STAT / IPC_INFO / SHM_INFO, and
 * /proc/sysvipc/shm. Prints no ids, pids, keys or times, only how they compare. */
#include "sysv_ipc.h"
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>

static sigjmp_buf fault_jump;

static void on_segv(int sig)
{
    (void)sig;
    siglongjmp(fault_jump, 1);
}

static struct shmid_ds stat_of(int id)
{
    struct shmid_ds ds;
    memset(&ds, 0, sizeof ds);
    if (shmctl(id, IPC_STAT, &ds) != 0) printf("IPC_STAT failed: %s\n", ename(errno));
    return ds;
}

static unsigned long nattch(int id) { return stat_of(id).shm_nattch; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    cleanup_at_exit();
    pid_t me = getpid();
    printf("sizeof(struct shmid_ds) %zu, sizeof(struct shminfo) %zu, sizeof(struct shm_info) %zu\n",
           sizeof(struct shmid_ds), sizeof(struct shminfo), sizeof(struct shm_info));

    /* A new private segment and what IPC_STAT says of it. */
    int id = track_shm(shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0640));
    printf("shmget private: %s\n", id >= 0 ? "ok" : ename(errno));
    struct shmid_ds ds = stat_of(id);
    /* (qemu-user copies mode as 16 bits: only those are printed.) */
    printf("key %d, mode %o, segsz %zu, nattch %lu\n", (int)ds.shm_perm.__key,
           ds.shm_perm.mode & 0xffff, ds.shm_segsz, (unsigned long)ds.shm_nattch);
    printf("uid/gid/cuid/cgid mine: %d %d %d %d\n", ds.shm_perm.uid == getuid(),
           ds.shm_perm.gid == getgid(), ds.shm_perm.cuid == getuid(), ds.shm_perm.cgid == getgid());
    printf("cpid is me: %d, lpid %d, atime %ld, dtime %ld, ctime set: %d\n", ds.shm_cpid == me,
           (int)ds.shm_lpid, (long)ds.shm_atime, (long)ds.shm_dtime, ds.shm_ctime != 0);

    /* Attach where the kernel likes; a second, read-only attachment sees the same bytes. */
    unsigned char *p = shmat(id, NULL, 0);
    printf("shmat: %s, page aligned: %d\n", p != (void *)-1 ? "ok" : ename(errno),
           ((uintptr_t)p & 4095) == 0);
    printf("fresh segment is zero: %d\n", p[0] == 0 && p[9999] == 0 && p[12287] == 0);
    ds = stat_of(id);
    printf("after shmat: nattch %lu, lpid is me: %d, atime set: %d\n",
           (unsigned long)ds.shm_nattch, ds.shm_lpid == me, ds.shm_atime != 0);
    unsigned char *q = shmat(id, NULL, SHM_RDONLY);
    printf("shmat SHM_RDONLY: %s, other address: %d\n", q != (void *)-1 ? "ok" : ename(errno),
           q != p);
    for (int i = 0; i < 10000; i++) p[i] = (unsigned char)(i * 7);
    printf("read-only view sees writes: %d, nattch %lu\n", q[9999] == (unsigned char)(9999 * 7),
           nattch(id));
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(fault_jump, 1) == 0) {
        *(volatile unsigned char *)q = 1;
        printf("store to the read-only attachment: allowed\n");
    } else {
        printf("store to the read-only attachment: SIGSEGV\n");
    }
    CHECK("mprotect read-only attachment writable", mprotect(q, 4096, PROT_READ | PROT_WRITE));
    CHECK("shmdt read-only", shmdt(q));
    CHECK("shmdt again", shmdt(q));
    CHECK("shmdt unaligned", shmdt(p + 1));
    CHECK("shmdt not a segment", shmdt(&ds));
    printf("nattch %lu\n", nattch(id));

    /* A forked child shares the attachment (and the segment's bytes). */
    pid_t child = fork();
    if (child == 0) {
        unsigned long n = nattch(id);
        for (int i = 0; i < 100; i++) p[i] = (unsigned char)(200 - i);
        _exit(n == 2 ? 0 : 10 + (int)n);
    }
    int status;
    waitpid(child, &status, 0);
    ds = stat_of(id);
    printf("child: exit %d, its store seen: %d, nattch %lu, lpid is child: %d, dtime set: %d\n",
           WEXITSTATUS(status), p[5] == 195, (unsigned long)ds.shm_nattch, ds.shm_lpid == child,
           ds.shm_dtime != 0);

    /* Attach at a given address: the one just used, again; rounding with SHM_RND. */
    CHECK("shmdt", shmdt(p));
    printf("nattch after shmdt %lu\n", nattch(id));
    unsigned char *at = shmat(id, p, 0);
    printf("shmat at an address: %s, there: %d, bytes kept: %d\n",
           at != (void *)-1 ? "ok" : ename(errno), at == p, at[5] == 195);
    /* A free range to attach in: reserved, then given back. */
    unsigned char *area = mmap(NULL, 16 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(area, 16 * 4096);
    CHECK("shmat unaligned", shmat(id, area + 8 * 4096 + 100, 0));
    unsigned char *rounded = shmat(id, area + 8 * 4096 + 100, SHM_RND);
    printf("shmat SHM_RND: %s, rounded down: %d\n",
           rounded != (void *)-1 ? "ok" : ename(errno), rounded == area + 8 * 4096);
    CHECK("shmat over an attachment", shmat(id, p, 0));
    printf("nattch %lu\n", nattch(id));
    /* munmap of an attachment detaches it too. */
    CHECK("munmap attachment", munmap(rounded, 12288));
    printf("nattch after munmap %lu\n", nattch(id));

    /* Over an ordinary mapping: refused, unless SHM_REMAP. */
    unsigned char *anon = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE,
                               MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    anon[0] = 9;
    CHECK("shmat over a mapping", shmat(id, anon, 0));
    unsigned char *re = shmat(id, anon, SHM_REMAP);
    printf("shmat SHM_REMAP: %s, there: %d, shows the segment: %d\n",
           re != (void *)-1 ? "ok" : ename(errno), re == anon, re[5] == 195);
    printf("nattch %lu\n", nattch(id));
    CHECK("shmdt remapped", shmdt(re));

    /* IPC_SET: the mode (and owner) change, the creator stays. */
    struct shmid_ds set = stat_of(id);
    set.shm_perm.mode = 0600 | 01000; /* only the permission bits are taken */
    CHECK("IPC_SET", shmctl(id, IPC_SET, &set));
    ds = stat_of(id);
    printf("mode after IPC_SET %o, segsz %zu\n", ds.shm_perm.mode & 0xffff, ds.shm_segsz);

    /* STAT by table index; the *_INFO calls. */
    struct shmid_ds by_index;
    int stat_id = shmctl(id % 32768, SHM_STAT, &by_index);
    printf("SHM_STAT by index returns the id: %d, same size: %d\n", stat_id == id,
           by_index.shm_segsz == 10000);
    struct shminfo info;
    int maxidx = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    printf("IPC_INFO: %s, shmmin %lu, highest index covers ours: %d\n",
           maxidx >= 0 ? "ok" : ename(errno), info.shmmin, maxidx >= id % 32768);
    struct shm_info sinfo;
    maxidx = shmctl(0, SHM_INFO, (struct shmid_ds *)&sinfo);
    printf("SHM_INFO: %s, used_ids >= 1: %d, pages >= 3: %d\n",
           maxidx >= 0 ? "ok" : ename(errno), sinfo.used_ids >= 1, sinfo.shm_tot >= 3);

    /* /proc/sysvipc/shm lists it. */
    char rest[400];
    if (proc_line("shm", id, rest, sizeof rest) == 1) {
        unsigned mode;
        unsigned long size, natt;
        int cpid, lpid;
        sscanf(rest, "%o %lu %d %d %lu", &mode, &size, &cpid, &lpid, &natt);
        printf("/proc/sysvipc/shm: perms %o, size %lu, cpid is me %d, nattch %lu\n", mode, size,
               cpid == me, natt);
    } else {
        printf("/proc/sysvipc/shm: not listed\n");
    }

    /* Bad commands and arguments. */
    CHECK("shmctl unknown command", shmctl(id, 99, &ds));
    CHECK("shmctl negative id", shmctl(-1, IPC_STAT, &ds));
    CHECK("IPC_STAT to NULL", shmctl(id, IPC_STAT, NULL));
    CHECK("shmget size 0", shmget(IPC_PRIVATE, 0, 0600));

    /* IPC_RMID while attached: marked, key gone, still attachable; gone with the last
     * detach. */
    CHECK("IPC_RMID attached", shmctl(id, IPC_RMID, NULL));
    ds = stat_of(id);
    printf("marked: dest %d, key %d, nattch %lu\n", (ds.shm_perm.mode & SHM_DEST) != 0,
           (int)ds.shm_perm.__key, (unsigned long)ds.shm_nattch);
    unsigned char *late = shmat(id, NULL, 0);
    printf("shmat marked segment: %s, bytes kept: %d, nattch %lu\n",
           late != (void *)-1 ? "ok" : ename(errno), late[5] == 195, nattch(id));
    CHECK("shmdt", shmdt(late));
    CHECK("IPC_STAT still", shmctl(id, IPC_STAT, &ds));
    CHECK("shmdt last", shmdt(at));
    CHECK("IPC_STAT after last detach", shmctl(id, IPC_STAT, &ds));
    CHECK("shmat removed", shmat(id, NULL, 0));

    /* Keys: ENOENT, IPC_EXCL, a larger size than the segment's, the same id again. */
    key_t key = file_key("shmkey", 'S');
    CHECK("shmget missing key", shmget(key, 4096, 0600));
    int kid = track_shm(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
    printf("shmget IPC_CREAT|IPC_EXCL: %s\n", kid >= 0 ? "ok" : ename(errno));
    CHECK("shmget IPC_EXCL again", shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600));
    CHECK("shmget larger", shmget(key, 8192, 0600));
    printf("shmget smaller finds it: %d\n", shmget(key, 100, 0600) == kid);
    printf("shmget with IPC_CREAT finds it: %d\n", shmget(key, 0, IPC_CREAT | 0600) == kid);
    ds = stat_of(kid);
    printf("key matches ftok: %d, segsz %zu\n", ds.shm_perm.__key == key, ds.shm_segsz);
    /* Exit without detaching: the child's attachment goes with it. */
    child = fork();
    if (child == 0) {
        char *c = shmat(kid, NULL, 0);
        if (c == (void *)-1) _exit(1);
        strcpy(c, "written by the child");
        _exit(nattch(kid) == 1 ? 0 : 2);
    }
    waitpid(child, &status, 0);
    char *k = shmat(kid, NULL, SHM_RDONLY);
    printf("child: exit %d, nattch now %lu, text \"%s\"\n", WEXITSTATUS(status), nattch(kid), k);
    CHECK("IPC_RMID", shmctl(kid, IPC_RMID, NULL));
    CHECK("shmget removed key", shmget(key, 4096, 0600));
    CHECK("shmdt", shmdt(k));
    unlink("shmkey");
    return 0;
}
