/* Credentials of a root process that drops to another user, as servers do (nginx's workers,
 * memcached -u, lighttpd): setgroups/getgroups, set*gid and set*uid for root and after the
 * switch, the saved id that lets seteuid(0) come back, and file access as the new user (a file
 * only root may read, the owner of a new file). Runs as root, as the suite does in CI; the ids
 * change in a child, the parent stays root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    if (r < 0)
        printf("%-28s -1 %s\n", what, strerror(errno));
    else
        printf("%-28s %ld\n", what, r);
}

static void ids(void)
{
    uid_t r, e, s;
    gid_t rg, eg, sg;
    getresuid(&r, &e, &s);
    getresgid(&rg, &eg, &sg);
    printf("  uids %u %u %u gids %u %u %u (getuid %u geteuid %u getgid %u getegid %u)\n", r, e, s,
           rg, eg, sg, getuid(), geteuid(), getgid(), getegid());
}

static void try_open(const char *what, const char *path)
{
    int fd = open(path, O_RDONLY);
    show(what, fd < 0 ? -1 : 0);
    if (fd >= 0)
        close(fd);
}

static void child(void)
{
    gid_t gs[] = {300, 100, 200, 100};
    show("setgroups 4", setgroups(4, gs));
    gid_t got[8];
    int n = getgroups(8, got);
    printf("getgroups %d:", n);
    for (int i = 0; i < n; i++)
        printf(" %u", got[i]);
    printf("\n");
    show("getgroups(0)", getgroups(0, NULL));
    show("getgroups too small", getgroups(2, got));
    show("setresgid 1000 1001 1002", setresgid(1000, 1001, 1002));
    ids();
    show("setregid -1 1005", setregid(-1, 1005));
    ids();
    show("setgid 1000", setgid(1000));
    ids();
    show("seteuid 1234", seteuid(1234));
    ids();
    try_open("open root-only as 1234", "shared/rootonly");
    int fd = open("shared/made", O_CREAT | O_WRONLY, 0644);
    struct stat st;
    fstat(fd, &st);
    printf("new file owner %u group %u\n", st.st_uid, st.st_gid);
    close(fd);
    show("setgroups as 1234", setgroups(0, NULL));
    show("seteuid 0 (saved 0)", seteuid(0));
    ids();
    try_open("open root-only as root", "shared/rootonly");
    show("setuid 1234", setuid(1234));
    ids();
    show("setuid 0", setuid(0));
    show("seteuid 0", seteuid(0));
    show("setresuid -1 1234 -1", setresuid(-1, 1234, -1));
    show("setreuid 1234 1234", setreuid(1234, 1234));
    show("setreuid 1234 77", setreuid(1234, 77));
    show("setgid 1002", setgid(1002));
    show("setgid 1000", setgid(1000));
    show("setfsuid 0 (old)", setfsuid(0));
    show("setfsuid -1 (now)", setfsuid(-1));
    try_open("open root-only after", "shared/rootonly");
    show("setuid -1", setuid(-1));
}

int main(void)
{
    if (getuid() != 0) {
        printf("not root: nothing to compare\n");
        return 0;
    }
    umask(022);
    /* The scratch directory may be private to root (mkdtemp): the other user must get in. */
    chmod(".", 0755);
    mkdir("shared", 0777);
    chmod("shared", 0777);
    int fd = open("shared/rootonly", O_CREAT | O_WRONLY | O_TRUNC, 0600);
    write(fd, "secret\n", 7);
    close(fd);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        child();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("child status %d\n", WEXITSTATUS(st));
    struct stat s;
    stat("shared/made", &s);
    printf("seen by root: owner %u group %u mode %o\n", s.st_uid, s.st_gid, s.st_mode & 0777);
    ids();
    unlink("shared/made");
    unlink("shared/rootonly");
    rmdir("shared");
    return 0;
}
