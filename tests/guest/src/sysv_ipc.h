/* Helpers shared by the System V IPC guest programs (sysv_shm.c, sysv_sem.c, sysv_msg.c):
 * errno names, and a list of the objects a program made so that they are all removed when it
 * ends (the host's IPC namespace is shared with other runs under qemu). */
#ifndef KVRM_GUEST_SYSV_IPC_H
#define KVRM_GUEST_SYSV_IPC_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

static const char *ename(int e)
{
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case EACCES: return "EACCES";
    case EIDRM: return "EIDRM";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    case ENOMSG: return "ENOMSG";
    case EINTR: return "EINTR";
    case ERANGE: return "ERANGE";
    case EFBIG: return "EFBIG";
    case ENOSYS: return "ENOSYS";
    default: return "other";
    }
}

/* Run a call that returns -1 on failure; print LABEL: ok or the errno name. */
#define CHECK(label, expr)                                                                    \
    do {                                                                                      \
        errno = 0;                                                                            \
        long check_r_ = (long)(expr);                                                         \
        printf("%s: %s\n", label, check_r_ == -1 ? ename(errno) : "ok");                      \
    } while (0)

/* Objects to remove at exit, by kind. */
static int made_shm[64], made_sem[64], made_msg[64];
static int n_shm, n_sem, n_msg;
static pid_t owner_pid;

static void remove_made(void)
{
    if (getpid() != owner_pid)
        return;
    for (int i = 0; i < n_shm; i++) shmctl(made_shm[i], IPC_RMID, NULL);
    for (int i = 0; i < n_sem; i++) semctl(made_sem[i], 0, IPC_RMID);
    for (int i = 0; i < n_msg; i++) msgctl(made_msg[i], IPC_RMID, NULL);
}

static void cleanup_at_exit(void)
{
    owner_pid = getpid();
    atexit(remove_made);
}

static int track_shm(int id) { if (id >= 0 && n_shm < 64) made_shm[n_shm++] = id; return id; }
static int track_sem(int id) { if (id >= 0 && n_sem < 64) made_sem[n_sem++] = id; return id; }
static int track_msg(int id) { if (id >= 0 && n_msg < 64) made_msg[n_msg++] = id; return id; }

/* A key from a file in the current directory (a fresh scratch directory per run). */
static key_t file_key(const char *name, int proj)
{
    int fd = open(name, O_CREAT | O_WRONLY, 0600);
    if (fd >= 0) close(fd);
    return ftok(name, proj);
}

/* The line of /proc/sysvipc/KIND whose id is ID, split after the key and id: the rest of
 * the line in REST (empty when none). */
static int proc_line(const char *kind, int id, char *rest, size_t n)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/sysvipc/%s", kind);
    FILE *f = fopen(path, "r");
    rest[0] = 0;
    if (!f) return -1;
    int found = 0;
    while (fgets(line, sizeof line, f)) {
        int key, lid, off = 0;
        if (sscanf(line, "%d %d %n", &key, &lid, &off) == 2 && lid == id) {
            snprintf(rest, n, "%s", line + off);
            found = 1;
            break;
        }
    }
    fclose(f);
    return found;
}
#endif
