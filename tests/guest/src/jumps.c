/* setjmp/longjmp and sigsetjmp/siglongjmp: values, nesting, unwinding through recursion,
 * callee-saved integer and FP registers, signal mask restore. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>

static jmp_buf env, env2;
static sigjmp_buf senv;
static int depth_reached;

static void dive(int depth, int target)
{
    volatile char pad[64];
    pad[depth % 64] = (char)depth;
    depth_reached = depth + pad[depth % 64] - (char)depth;
    if (depth == target || depth > 100000) longjmp(env, depth * 10 + (depth == 0 ? 0 : 1));
    if (depth < target) dive(depth + 1, target);
}

static int inner(int v)
{
    if (setjmp(env2) == 0) {
        if (v > 2) longjmp(env2, v);
        return -v;
    }
    return v * 100;
}

/* Uses many callee-saved registers (x19-x28, d8-d15) across the setjmp. */
static double keep_regs(int n)
{
    volatile int count = 0;
    double a = n * 1.5, b = n * 2.25, c = n - 0.75, d = n / 8.0;
    long p = n * 3, q = n * 5, r = n * 7, s = n * 11;
    int rc = setjmp(env);
    count++;
    a += 1; b += 2; c += 3; d += 4;
    p += 1; q += 2; r += 3; s += 4;
    if (rc < 3) longjmp(env, rc + 1);
    return a + b + c + d + (double)(p + q + r + s) + count;
}

int main(void)
{
    for (volatile int t = 0; t < 5; t++) {
        int rc = setjmp(env);
        if (rc == 0) {
            dive(0, t * 50);
        } else {
            printf("longjmp from depth %d returned %d (reached %d)\n", t * 50, rc, depth_reached);
        }
    }
    volatile int zero_rc = -1;
    if ((zero_rc = setjmp(env)) == 0) longjmp(env, 0);
    printf("longjmp(env, 0) makes setjmp return %d\n", zero_rc);
    for (int v = 0; v < 5; v++) printf("inner(%d) = %d\n", v, inner(v));
    printf("keep_regs(4) = %.4f\n", keep_regs(4));

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_SETMASK, &set, NULL);
    volatile int round = 0;
    if (sigsetjmp(senv, 1) == 0) {
        sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_SETMASK, &set, NULL);
        round = 1;
        siglongjmp(senv, 5);
    }
    sigprocmask(SIG_SETMASK, NULL, &old);
    printf("after siglongjmp(savemask=1): round %d usr1 %d usr2 %d\n", round, sigismember(&old, SIGUSR1),
           sigismember(&old, SIGUSR2));
    if (sigsetjmp(senv, 0) == 0) {
        sigaddset(&set, SIGUSR2);
        sigprocmask(SIG_SETMASK, &set, NULL);
        siglongjmp(senv, 1);
    }
    sigprocmask(SIG_SETMASK, NULL, &old);
    printf("after siglongjmp(savemask=0): usr1 %d usr2 %d\n", sigismember(&old, SIGUSR1), sigismember(&old, SIGUSR2));
    return 0;
}
