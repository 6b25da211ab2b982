/* System V message queues: msgget keys, msgsnd/msgrcv with the msgtyp rules (0, >0, <0,
 * MSG_EXCEPT, MSG_COPY), MSG_NOERROR and E2BIG, IPC_NOWAIT (EAGAIN, ENOMSG), the queue's
 * byte limit (IPC_SET of msg_qbytes) with a sender that waits for room, a receiver that
 * waits for a message, a child echoing messages back, a signal ending a wait, IPC_RMID
 * ending one, msgctl IPC_STAT / MSG_STAT / IPC_INFO / MSG_INFO, and /proc/sysvipc/msg.
 * Prints no ids, pids, keys or times, only how they compare. */
#include "sysv_ipc.h"
#include <ctype.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>

#ifndef MSG_COPY
#define MSG_COPY 040000 /* musl's headers lack it */
#endif

struct message {
    long mtype;
    char mtext[64];
};

static int send(int id, long type, const char *text, int flags)
{
    struct message m;
    m.mtype = type;
    size_t n = strlen(text);
    memcpy(m.mtext, text, n);
    return msgsnd(id, &m, n, flags);
}

/* msgrcv into a buffer of SIZE bytes; prints what came. */
static void receive(const char *label, int id, size_t size, long type, int flags)
{
    struct message m;
    memset(&m, 0, sizeof m);
    errno = 0;
    ssize_t n = msgrcv(id, &m, size, type, flags);
    if (n < 0)
        printf("%s: %s\n", label, ename(errno));
    else
        printf("%s: type %ld, %zd bytes \"%.*s\"\n", label, m.mtype, n, (int)n, m.mtext);
}

static struct msqid_ds stat_of(int id)
{
    struct msqid_ds ds;
    memset(&ds, 0, sizeof ds);
    if (msgctl(id, IPC_STAT, &ds) != 0) printf("IPC_STAT failed: %s\n", ename(errno));
    return ds;
}

static void show_queue(const char *label, int id)
{
    struct msqid_ds ds = stat_of(id);
    printf("%s: qnum %lu, cbytes %lu, qbytes %lu\n", label, (unsigned long)ds.msg_qnum,
           (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes);
}

static void on_alarm(int sig) { (void)sig; }

static const char *child_result(pid_t c)
{
    int status;
    waitpid(c, &status, 0);
    if (WIFSIGNALED(status)) return "killed";
    return ename(WEXITSTATUS(status));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    cleanup_at_exit();
    pid_t me = getpid();
    printf("sizeof(struct msqid_ds) %zu, sizeof(struct msginfo) %zu\n", sizeof(struct msqid_ds),
           sizeof(struct msginfo));

    int id = track_msg(msgget(IPC_PRIVATE, IPC_CREAT | 0600));
    printf("msgget private: %s\n", id >= 0 ? "ok" : ename(errno));
    struct msqid_ds ds = stat_of(id);
    /* (qemu-user copies mode as 16 bits: only those are printed.) */
    printf("mode %o, key %d, stime %ld, rtime %ld, ctime set %d, lspid %d, lrpid %d\n",
           ds.msg_perm.mode & 0xffff, (int)ds.msg_perm.__key, (long)ds.msg_stime,
           (long)ds.msg_rtime, ds.msg_ctime != 0, (int)ds.msg_lspid, (int)ds.msg_lrpid);
    show_queue("new queue", id);

    /* Messages of several types, received by the msgtyp rules. */
    const char *texts[] = {"three", "one-a", "two", "one-b", "five"};
    long types[] = {3, 1, 2, 1, 5};
    for (int i = 0; i < 5; i++) send(id, types[i], texts[i], 0);
    ds = stat_of(id);
    printf("sent 5: lspid is me %d, stime set %d\n", ds.msg_lspid == me, ds.msg_stime != 0);
    show_queue("queue", id);
    receive("msgtyp 0", id, 64, 0, 0);
    receive("msgtyp 1", id, 64, 1, 0);
    receive("MSG_COPY 1", id, 64, 1, MSG_COPY | IPC_NOWAIT);
    show_queue("copy leaves it", id);
    receive("msgtyp -2", id, 64, -2, 0);
    receive("msgtyp 2 MSG_EXCEPT", id, 64, 2, MSG_EXCEPT);
    receive("MSG_COPY 5", id, 64, 5, MSG_COPY | IPC_NOWAIT);
    receive("MSG_COPY without IPC_NOWAIT", id, 64, 0, MSG_COPY);
    receive("MSG_COPY with MSG_EXCEPT", id, 64, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT);
    receive("size 2", id, 2, 0, 0);
    show_queue("E2BIG leaves it", id);
    receive("size 2 MSG_NOERROR", id, 2, 0, MSG_NOERROR);
    ds = stat_of(id);
    /* (qemu-user puts msg_lrpid at the wrong offset: it reads 0 there; not printed.) */
    printf("rtime set %d\n", ds.msg_rtime != 0);
    receive("empty, IPC_NOWAIT", id, 64, 0, IPC_NOWAIT);
    send(id, 4, "four", 0);
    receive("type 7, IPC_NOWAIT", id, 64, 7, IPC_NOWAIT);
    receive("type -3, IPC_NOWAIT", id, 64, -3, IPC_NOWAIT);
    receive("type -4", id, 64, -4, 0);

    /* Sizes and types msgsnd refuses; an empty message. */
    CHECK("msgsnd type 0", send(id, 0, "x", 0));
    CHECK("msgsnd type -1", send(id, -1, "x", 0));
    static char big[8300];
    CHECK("msgsnd 8193 bytes", msgsnd(id, big, 8193, 0));
    CHECK("msgsnd bad pointer", msgsnd(id, (void *)16, 4, 0));
    CHECK("msgsnd empty", send(id, 9, "", 0));
    receive("empty message", id, 64, 9, 0);
    CHECK("msgrcv negative size", msgrcv(id, big, (size_t)-1, 0, IPC_NOWAIT));
    *(long *)big = 3;
    CHECK("msgsnd 8192 bytes", msgsnd(id, big, 8192, 0));
    show_queue("one long message", id);
    CHECK("msgrcv 8192 bytes", msgrcv(id, big, 8192, 0, 0));

    /* A small byte limit: a full queue says EAGAIN, or makes the sender wait for room. */
    ds = stat_of(id);
    ds.msg_qbytes = 10;
    ds.msg_perm.mode = 0640;
    CHECK("IPC_SET qbytes 10", msgctl(id, IPC_SET, &ds));
    ds = stat_of(id);
    printf("mode %o\n", ds.msg_perm.mode & 0xffff);
    show_queue("limited", id);
    CHECK("msgsnd 6 bytes", send(id, 1, "abcdef", 0));
    CHECK("msgsnd 6 more, IPC_NOWAIT", send(id, 1, "ghijkl", IPC_NOWAIT));
    CHECK("msgsnd 4 more", send(id, 1, "ghij", 0));
    pid_t c = fork();
    if (c == 0) _exit(send(id, 2, "waited", 0) == 0 ? 0 : errno);
    usleep(100 * 1000);
    receive("make room", id, 64, 1, 0);
    printf("sender: %s\n", child_result(c));
    receive("msgtyp 1", id, 64, 1, 0);
    receive("msgtyp 2", id, 64, 2, 0);

    /* A receiver that waits: a child waits for type 7, the parent sends it. */
    c = fork();
    if (c == 0) {
        struct message m;
        ssize_t n = msgrcv(id, &m, sizeof m.mtext, 7, 0);
        _exit(n == 5 && memcmp(m.mtext, "seven", 5) == 0 ? 0 : 1);
    }
    usleep(100 * 1000);
    CHECK("msgsnd 8 (nobody waits for it)", send(id, 8, "eight", 0));
    CHECK("msgsnd 7", send(id, 7, "seven", 0));
    printf("receiver: %s\n", child_result(c));
    receive("type 8 still there", id, 64, 8, IPC_NOWAIT);

    /* A child echoes each message back in capitals, as type 2. */
    ds = stat_of(id);
    ds.msg_qbytes = 16384;
    msgctl(id, IPC_SET, &ds);
    c = fork();
    if (c == 0) {
        struct message m;
        for (;;) {
            ssize_t n = msgrcv(id, &m, sizeof m.mtext, 1, 0);
            if (n <= 0) _exit(n == 0 ? 0 : 1);
            for (ssize_t i = 0; i < n; i++) m.mtext[i] = (char)toupper((unsigned char)m.mtext[i]);
            m.mtype = 2;
            msgsnd(id, &m, n, 0);
        }
    }
    unsigned long sum = 0;
    for (int i = 0; i < 100; i++) {
        char text[32];
        snprintf(text, sizeof text, "round %d abc", i);
        send(id, 1, text, 0);
        struct message m;
        ssize_t n = msgrcv(id, &m, sizeof m.mtext, 2, 0);
        for (ssize_t j = 0; j < n; j++) sum = sum * 31 + (unsigned char)m.mtext[j];
    }
    send(id, 1, "", 0);
    printf("echo child: %s, checksum %lu\n", child_result(c), sum);

    /* A signal ends a wait with EINTR (never restarted, even with SA_RESTART). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 50 * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    receive("msgrcv interrupted", id, 64, 0, 0);

    /* IPC_INFO, MSG_INFO, MSG_STAT by index, /proc/sysvipc/msg. */
    send(id, 1, "left", 0);
    struct msginfo info;
    int maxidx = msgctl(0, IPC_INFO, (struct msqid_ds *)&info);
    printf("IPC_INFO: %s, msgmax %d, msgmnb %d, msgseg %d, highest index covers ours: %d\n",
           maxidx >= 0 ? "ok" : ename(errno), info.msgmax, info.msgmnb, info.msgseg,
           maxidx >= id % 32768);
    maxidx = msgctl(0, MSG_INFO, (struct msqid_ds *)&info);
    printf("MSG_INFO: %s, queues >= 1: %d, messages >= 1: %d, bytes >= 4: %d\n",
           maxidx >= 0 ? "ok" : ename(errno), info.msgpool >= 1, info.msgmap >= 1,
           info.msgtql >= 4);
    struct msqid_ds by_index;
    printf("MSG_STAT by index returns the id: %d\n", msgctl(id % 32768, MSG_STAT, &by_index) == id);
    char rest[400];
    if (proc_line("msg", id, rest, sizeof rest) == 1) {
        unsigned mode;
        unsigned long cbytes, qnum;
        int lspid;
        sscanf(rest, "%o %lu %lu %d", &mode, &cbytes, &qnum, &lspid);
        printf("/proc/sysvipc/msg: perms %o, cbytes %lu, qnum %lu, lspid is me %d\n", mode,
               cbytes, qnum, lspid == me);
    } else {
        printf("/proc/sysvipc/msg: not listed\n");
    }
    CHECK("msgctl unknown command", msgctl(id, 99, &ds));
    CHECK("msgctl negative id", msgctl(-1, IPC_STAT, &ds));
    CHECK("IPC_STAT to NULL", msgctl(id, IPC_STAT, NULL));

    /* IPC_RMID ends a wait with EIDRM; the id is stale afterwards. */
    int ready = track_sem(semget(IPC_PRIVATE, 1, 0600));
    c = fork();
    if (c == 0) {
        struct sembuf up = {0, 1, 0};
        semop(ready, &up, 1);
        struct message m;
        _exit(msgrcv(id, &m, sizeof m.mtext, 99, 0) < 0 ? errno : 0);
    }
    struct sembuf down = {0, -1, 0};
    semop(ready, &down, 1);
    usleep(100 * 1000);
    CHECK("IPC_RMID", msgctl(id, IPC_RMID, NULL));
    printf("waiting receiver: %s\n", child_result(c));
    CHECK("msgsnd to a removed queue", send(id, 1, "x", 0));
    CHECK("IPC_STAT of a removed queue", msgctl(id, IPC_STAT, &ds));

    /* Keys. */
    key_t key = file_key("msgkey", 'Q');
    CHECK("msgget missing key", msgget(key, 0600));
    int kid = track_msg(msgget(key, IPC_CREAT | IPC_EXCL | 0600));
    printf("msgget IPC_CREAT|IPC_EXCL: %s\n", kid >= 0 ? "ok" : ename(errno));
    CHECK("msgget IPC_EXCL again", msgget(key, IPC_CREAT | IPC_EXCL | 0600));
    printf("msgget finds it: %d, key matches: %d\n", msgget(key, 0) == kid,
           stat_of(kid).msg_perm.__key == key);
    CHECK("IPC_RMID key", msgctl(kid, IPC_RMID, NULL));
    CHECK("msgget removed key", msgget(key, 0));
    unlink("msgkey");
    return 0;
}
