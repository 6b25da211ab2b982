/* POSIX shared memory and named semaphores (shm_open, sem_open: files in /dev/shm) shared by
 * a parent and a forked child, as Python's multiprocessing uses them. Names carry the pid, so
 * runs beside each other do not meet; nothing printed depends on it. */
#define _GNU_SOURCE
#include "common.h"
#include <dirent.h>
#include <fcntl.h>
#include <semaphore.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    char shm_name[64], sem_name[64];
    snprintf(shm_name, sizeof shm_name, "/kvrm-shm-test-%d", (int)getpid());
    snprintf(sem_name, sizeof sem_name, "/kvrm-sem-test-%d", (int)getpid());

    int fd = shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600);
    printf("shm_open create: %s\n", fd >= 0 ? "ok" : "failed");
    if (fd < 0) return 1;
    printf("ftruncate: %d\n", ftruncate(fd, 8192));
    struct stat st;
    fstat(fd, &st);
    printf("size %ld\n", (long)st.st_size);
    unsigned *words = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    printf("second exclusive create: %s\n",
           shm_open(shm_name, O_RDWR | O_CREAT | O_EXCL, 0600) < 0 ? "refused" : "allowed");

    sem_t *sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);
    printf("sem_open create: %s\n", sem != SEM_FAILED ? "ok" : "failed");
    if (sem == SEM_FAILED) return 1;

    /* The names are files in /dev/shm. */
    int seen = 0;
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, shm_name + 1) == 0 || strcmp(e->d_name, "sem.") == 0 ||
            (strncmp(e->d_name, "sem.", 4) == 0 && strcmp(e->d_name + 4, sem_name + 1) == 0))
            seen++;
    if (d) closedir(d);
    printf("names listed in /dev/shm: %d\n", seen);

    pid_t pid = fork();
    if (pid == 0) {
        /* The child opens both by name again, as an unrelated process would. */
        int cfd = shm_open(shm_name, O_RDWR, 0);
        unsigned *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        sem_t *s = sem_open(sem_name, 0);
        if (cfd < 0 || w == MAP_FAILED || s == SEM_FAILED) _exit(2);
        for (int i = 0; i < 2048; i++) w[i] = i * 3u;
        sem_post(s);
        _exit(0);
    }
    sem_wait(sem);
    unsigned long sum = 0;
    for (int i = 0; i < 2048; i++) sum += words[i];
    int status;
    waitpid(pid, &status, 0);
    printf("child: exit %d, parent reads sum %lu\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1, sum);

    printf("sem_unlink: %d, shm_unlink: %d\n", sem_unlink(sem_name), shm_unlink(shm_name));
    printf("open after unlink: %s\n", shm_open(shm_name, O_RDWR, 0) < 0 ? "gone" : "still there");
    return 0;
}
