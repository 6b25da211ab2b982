/* argv, envp (sorted) and getenv. argv[0] is the path the runner was given, so only its last
 * component is printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv, char **envp)
{
    printf("argc %d\n", argc);
    const char *slash = strrchr(argv[0], '/');
    printf("argv[0] basename %s\n", slash ? slash + 1 : argv[0]);
    for (int i = 1; i < argc; i++) printf("argv[%d] = [%s] (%zu bytes)\n", i, argv[i], strlen(argv[i]));
    printf("argv[argc] is %s\n", argv[argc] ? "not NULL" : "NULL");
    int n = 0;
    while (envp[n]) n++;
    char **copy = malloc(sizeof(char *) * (size_t)(n + 1));
    memcpy(copy, envp, sizeof(char *) * (size_t)n);
    qsort(copy, (size_t)n, sizeof(char *), cmp);
    printf("envc %d\n", n);
    for (int i = 0; i < n; i++) printf("env: %s\n", copy[i]);
    const char *names[] = {"HOME", "PATH", "KVRM_TEST_A", "KVRM_TEST_EMPTY", "KVRM_TEST_UNSET", "NOPE"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const char *v = getenv(names[i]);
        printf("getenv(%s) = %s%s%s\n", names[i], v ? "[" : "", v ? v : "(null)", v ? "]" : "");
    }
    setenv("KVRM_NEW", "set-by-guest", 1);
    unsetenv("HOME");
    printf("after setenv/unsetenv: %s %s\n", getenv("KVRM_NEW"), getenv("HOME") ? "HOME still set" : "HOME gone");
    printf("AT_PAGESZ %lu\n", getauxval(AT_PAGESZ));
    printf("AT_SECURE %lu\n", getauxval(AT_SECURE));
    return argc;
}
