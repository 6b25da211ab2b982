// Process information: environment, uname, auxv, time, limits.
#include <stdio.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    printf("KVRM_E=%s\n", getenv("KVRM_E") ? getenv("KVRM_E") : "(unset)");
    struct utsname u;
    uname(&u);
    printf("sysname %s machine %s\n", u.sysname, u.machine);
    printf("pagesize %ld\n", sysconf(_SC_PAGESIZE));
    printf("hwcap fp %d asimd %d\n", (int)(getauxval(AT_HWCAP) & 1), (int)((getauxval(AT_HWCAP) >> 1) & 1));
    printf("platform %s\n", (char *)getauxval(AT_PLATFORM));
    struct timespec t1, t2;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    struct timespec d = {0, 1000000};
    nanosleep(&d, 0);
    clock_gettime(CLOCK_MONOTONIC, &t2);
    printf("time moves: %d\n", (t2.tv_sec - t1.tv_sec) * 1000000000L + (t2.tv_nsec - t1.tv_nsec) >= 1000000);
    printf("realtime sane: %d\n", time(0) > 1600000000);
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    printf("stack limit %ld\n", (long)rl.rlim_cur);
    printf("pid positive: %d\n", getpid() > 0);
    return 0;
}
