// kvrm-cflags: -pthread
/* Signal delivery as Linux does it on arm64: SA_SIGINFO handlers and their siginfo, SIGSEGV
 * recovered with siglongjmp, a handler that edits the saved context (pc += 4, x0) and returns,
 * sigaltstack + SA_ONSTACK, SA_RESETHAND, SA_NODEFER and nested signals, pending standard vs
 * queued real-time signals, SIGCHLD with waitpid, pthread_kill between threads, sigtimedwait,
 * sigqueue, setitimer / alarm / timer_create, a pipe read interrupted by SIGALRM with and without
 * SA_RESTART, every signal 1-64 installable. Output is deterministic (compared with qemu). */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static volatile sig_atomic_t got, depth, max_depth, order[8], norder;
static volatile int last_signo, last_code;
static volatile uintptr_t last_addr;
static sigjmp_buf jump;
static volatile int segv_mode;

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    if (sigaction(sig, &sa, NULL) != 0)
        printf("sigaction(%d) failed: %s\n", sig, strerror(errno));
}

/* ----- SIGSEGV: siginfo, siglongjmp, skipping the faulting instruction ----- */

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    last_signo = si->si_signo;
    last_code = si->si_code;
    last_addr = (uintptr_t)si->si_addr;
    if (segv_mode == 0)
        siglongjmp(jump, 1);
    /* Skip the faulting load and make it "return" 77. */
    uc->uc_mcontext.pc += 4;
    uc->uc_mcontext.regs[0] = 77;
}

static long load_through(long addr)
{
    register long x0 __asm__("x0") = 5;
    register long x1 __asm__("x1") = addr;
    __asm__ volatile("ldr x0, [x1]" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

static void test_segv(void)
{
    install(SIGSEGV, on_segv, 0);
    segv_mode = 0;
    if (sigsetjmp(jump, 1) == 0) {
        *(volatile int *)0x10 = 1;
        printf("segv: no fault?\n");
    } else {
        printf("segv: recovered, signo=%d code=%d addr=%#lx\n", last_signo, last_code,
               (unsigned long)last_addr);
    }
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (sigsetjmp(jump, 1) == 0) {
        ro[8] = 1;
        printf("segv: no fault on a read-only page?\n");
    } else {
        printf("segv: read-only page, signo=%d code=%d addr=page+%ld\n", last_signo, last_code,
               (long)(last_addr - (uintptr_t)ro));
    }
    munmap(ro, 4096);
    /* SIGSEGV is unblocked again after siglongjmp: a second fault is caught too. */
    segv_mode = 1;
    long v = load_through(0x20);
    printf("segv: skipped load returned %ld, code=%d addr=%#lx\n", v, last_code,
           (unsigned long)last_addr);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("segv: SIGSEGV blocked after return: %d\n", sigismember(&cur, SIGSEGV));
    signal(SIGSEGV, SIG_DFL);
}

/* ----- the frame a handler receives ----- */

extern long frame_probe(void);
extern char frame_probe_brk[];
uint64_t probe_sp;
__asm__(".pushsection .text\n"
        ".global frame_probe\n"
        ".type frame_probe, %function\n"
        "frame_probe:\n"
        "  stp x29, x30, [sp, #-16]!\n"
        "  sub sp, sp, #160\n"
        "  stp x19, x20, [sp, #0]\n"
        "  stp x21, x22, [sp, #16]\n"
        "  stp x23, x24, [sp, #32]\n"
        "  stp x25, x26, [sp, #48]\n"
        "  stp x27, x28, [sp, #64]\n"
        "  stp d8, d9, [sp, #80]\n"
        "  stp d10, d11, [sp, #96]\n"
        "  stp d12, d13, [sp, #112]\n"
        "  stp d14, d15, [sp, #128]\n"
        "  mov x9, sp\n"
        "  adrp x10, probe_sp\n"
        "  str x9, [x10, :lo12:probe_sp]\n"
        /* FP/SIMD: byte i of v<n> is n*8+1 (low half), the high half holds x<n>'s pattern. */
        ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n"
        "  movi v\\n\\().16b, #(\\n * 8 + 1)\n"
        "  movz x9, #(0x1111 * (\\n % 15 + 1))\n"
        "  movk x9, #(\\n), lsl #48\n"
        "  mov v\\n\\().d[1], x9\n"
        ".endr\n"
        "  movz x9, #0x0300, lsl #16\n" /* FPCR: DN | FZ */
        "  msr fpcr, x9\n"
        "  mov x9, #0x11\n" /* FPSR: IXC | IOC */
        "  msr fpsr, x9\n"
        "  movz x9, #0x9000, lsl #16\n" /* NZCV: N and V */
        "  msr nzcv, x9\n"
        ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30\n"
        "  movz x\\n, #(0x100 + \\n)\n"
        "  movk x\\n, #0xa5a5, lsl #32\n"
        "  movk x\\n, #(\\n), lsl #48\n"
        ".endr\n"
        ".global frame_probe_brk\n"
        "frame_probe_brk:\n"
        "  brk #0\n"
        "  mrs x9, nzcv\n"
        "  adrp x10, probe_nzcv\n"
        "  str x9, [x10, :lo12:probe_nzcv]\n"
        "  mrs x9, fpsr\n"
        "  adrp x10, probe_fpsr\n"
        "  str x9, [x10, :lo12:probe_fpsr]\n"
        "  adrp x10, probe_v\n"
        "  add x10, x10, :lo12:probe_v\n"
        "  st1 {v0.16b, v1.16b, v2.16b, v3.16b}, [x10], #64\n"
        "  st1 {v28.16b, v29.16b, v30.16b, v31.16b}, [x10]\n"
        "  adrp x10, probe_x\n"
        "  add x10, x10, :lo12:probe_x\n"
        "  stp x19, x28, [x10]\n"
        "  msr fpcr, xzr\n"
        "  msr fpsr, xzr\n"
        "  ldp x19, x20, [sp, #0]\n"
        "  ldp x21, x22, [sp, #16]\n"
        "  ldp x23, x24, [sp, #32]\n"
        "  ldp x25, x26, [sp, #48]\n"
        "  ldp x27, x28, [sp, #64]\n"
        "  ldp d8, d9, [sp, #80]\n"
        "  ldp d10, d11, [sp, #96]\n"
        "  ldp d12, d13, [sp, #112]\n"
        "  ldp d14, d15, [sp, #128]\n"
        "  add sp, sp, #160\n"
        "  ldp x29, x30, [sp], #16\n"
        "  ret\n"
        ".size frame_probe, . - frame_probe\n"
        ".popsection\n");
uint64_t probe_nzcv, probe_fpsr, probe_x[2];
unsigned char probe_v[128];

struct ctx_head {
    uint32_t magic, size;
};

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    mcontext_t *mc = &uc->uc_mcontext;
    printf("frame: signo=%d code=%d si_addr=brk:%d pc=brk:%d\n", si->si_signo, si->si_code,
           si->si_addr == (void *)frame_probe_brk, mc->pc == (uintptr_t)frame_probe_brk);
    printf("frame: sp=probe_sp:%d pstate.nzcv=%#llx\n", mc->sp == probe_sp,
           (unsigned long long)(mc->pstate & 0xf0000000));
    for (int i = 0; i < 31; i++)
        printf("frame: x%d=%#llx\n", i, (unsigned long long)mc->regs[i]);
    unsigned char *p = mc->__reserved;
    int found = 0;
    for (unsigned off = 0; off + 8 <= sizeof mc->__reserved;) {
        struct ctx_head *h = (struct ctx_head *)(p + off);
        if (h->magic == 0 || h->size == 0)
            break;
        if (h->magic == 0x46508001) {
            struct fpsimd_context *fp = (struct fpsimd_context *)h;
            found = 1;
            printf("frame: fpsimd size=%u fpsr=%#x fpcr=%#x\n", h->size, fp->fpsr, fp->fpcr);
            for (int i = 0; i < 32; i++) {
                uint64_t lo, hi;
                memcpy(&lo, (char *)&fp->vregs[i], 8);
                memcpy(&hi, (char *)&fp->vregs[i] + 8, 8);
                printf("frame: v%d=%016llx:%016llx\n", i, (unsigned long long)hi, (unsigned long long)lo);
            }
        }
        off += h->size;
    }
    printf("frame: fpsimd record found=%d\n", found);
    /* Edit the context: skip the BRK, change x0 and x19, and the flags. */
    mc->pc += 4;
    mc->regs[0] = 0x5eed;
    mc->regs[19] = 0x1919;
    mc->pstate = (mc->pstate & ~0xf0000000ULL) | 0x60000000;
}

static void test_frame(void)
{
    install(SIGTRAP, on_trap, 0);
    long r = frame_probe();
    printf("frame: after return x0=%#lx x19=%#llx x28=%#llx nzcv=%#llx fpsr=%#llx\n", r,
           (unsigned long long)probe_x[0], (unsigned long long)probe_x[1],
           (unsigned long long)probe_nzcv, (unsigned long long)probe_fpsr);
    for (int i = 0; i < 8; i++) {
        uint64_t lo, hi;
        memcpy(&lo, probe_v + 16 * i, 8);
        memcpy(&hi, probe_v + 16 * i + 8, 8);
        printf("frame: after return v%d=%016llx:%016llx\n", i < 4 ? i : 24 + i, (unsigned long long)hi,
               (unsigned long long)lo);
    }
    signal(SIGTRAP, SIG_DFL);
}

/* ----- sigaltstack, SA_ONSTACK ----- */

static char altstack[65536] __attribute__((aligned(16)));
static volatile int on_alt, alt_flags;

static void on_usr1_alt(int sig, siginfo_t *si, void *ctx)
{
    char here;
    on_alt = &here > altstack && &here < altstack + sizeof altstack;
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flags = cur.ss_flags;
}

static void test_altstack(void)
{
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    printf("altstack: sigaltstack=%d\n", sigaltstack(&ss, NULL));
    install(SIGUSR1, on_usr1_alt, SA_ONSTACK);
    raise(SIGUSR1);
    printf("altstack: handler on alt stack=%d ss_flags in handler=%d\n", on_alt, alt_flags);
    install(SIGUSR1, on_usr1_alt, 0);
    raise(SIGUSR1);
    printf("altstack: without SA_ONSTACK on alt stack=%d\n", on_alt);
    stack_t old;
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, &old);
    printf("altstack: old flags=%d size ok=%d\n", old.ss_flags, old.ss_size == sizeof altstack);
    stack_t tiny = {.ss_sp = altstack, .ss_size = 100, .ss_flags = 0};
    errno = 0;
    int r = sigaltstack(&tiny, NULL);
    printf("altstack: tiny stack=%d errno=%s\n", r, errno == ENOMEM ? "ENOMEM" : strerror(errno));
}

/* ----- SA_RESETHAND, SA_NODEFER, nesting, pending ----- */

static void on_count(int sig, siginfo_t *si, void *ctx)
{
    got++;
    if (norder < 8)
        order[norder++] = sig;
}

static void on_nested(int sig, siginfo_t *si, void *ctx)
{
    got++;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    if (got < 3)
        raise(sig);
    depth--;
}

static void test_flags(void)
{
    struct sigaction sa;
    install(SIGUSR2, on_count, SA_RESETHAND);
    got = 0;
    raise(SIGUSR2);
    sigaction(SIGUSR2, NULL, &sa);
    printf("resethand: handled=%d now SIG_DFL=%d\n", got, sa.sa_handler == SIG_DFL);

    install(SIGUSR1, on_nested, SA_NODEFER);
    got = depth = max_depth = 0;
    raise(SIGUSR1);
    printf("nodefer: calls=%d max nesting=%d\n", got, max_depth);
    install(SIGUSR1, on_nested, 0);
    got = depth = max_depth = 0;
    raise(SIGUSR1);
    printf("defer: calls=%d max nesting=%d\n", got, max_depth);

    /* Blocked: a standard signal is pending once, real-time signals queue. */
    install(SIGUSR2, on_count, 0);
    install(SIGRTMIN + 3, on_count, 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &set, &old);
    got = 0;
    norder = 0;
    raise(SIGUSR2);
    raise(SIGUSR2);
    union sigval v = {.sival_int = 1};
    sigqueue(getpid(), SIGRTMIN + 3, v);
    sigqueue(getpid(), SIGRTMIN + 3, v);
    sigqueue(getpid(), SIGRTMIN + 3, v);
    sigset_t pend;
    sigpending(&pend);
    printf("pending: USR2=%d RTMIN+3=%d handled so far=%d\n", sigismember(&pend, SIGUSR2),
           sigismember(&pend, SIGRTMIN + 3), got);
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("pending: after unblock handled=%d first=%s\n", got,
           norder > 0 && order[0] == SIGUSR2 ? "SIGUSR2" : "other");
}

/* ----- sigqueue value, sigtimedwait ----- */

static volatile int queued_value, queued_code;

static void on_queued(int sig, siginfo_t *si, void *ctx)
{
    queued_value = si->si_value.sival_int;
    queued_code = si->si_code;
}

static void test_sigwait(void)
{
    install(SIGRTMIN + 2, on_queued, 0);
    union sigval v = {.sival_int = 4242};
    sigqueue(getpid(), SIGRTMIN + 2, v);
    printf("sigqueue: value=%d code=%s\n", queued_value, queued_code == SI_QUEUE ? "SI_QUEUE" : "other");

    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    raise(SIGUSR1);
    siginfo_t si;
    struct timespec ts = {1, 0};
    int s = sigtimedwait(&set, &si, &ts);
    /* (si_code: SI_TKILL from raise; qemu-user 7.2 reports another code, so it is not printed.) */
    printf("sigtimedwait: got=%d signo=%d pid ok=%d\n", s, si.si_signo, si.si_pid == getpid());
    ts.tv_sec = 0;
    ts.tv_nsec = 20 * 1000 * 1000;
    errno = 0;
    s = sigtimedwait(&set, &si, &ts);
    printf("sigtimedwait: timeout=%d errno=%s\n", s, errno == EAGAIN ? "EAGAIN" : strerror(errno));
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* ----- SIGCHLD ----- */

static volatile int chld_pid, chld_code, chld_status, chld_count;

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
    chld_pid = si->si_pid;
    chld_code = si->si_code;
    chld_status = si->si_status;
    chld_count++;
}

static void test_sigchld(void)
{
    install(SIGCHLD, on_chld, SA_RESTART);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, &old);
    pid_t pid = fork();
    if (pid == 0)
        _exit(3);
    while (chld_count == 0)
        sigsuspend(&old);
    int st = 0;
    pid_t w = waitpid(pid, &st, 0);
    printf("sigchld: handler pid ok=%d code=%s status=%d waitpid ok=%d exit=%d\n", chld_pid == pid,
           chld_code == CLD_EXITED ? "CLD_EXITED" : "other", chld_status, w == pid, WEXITSTATUS(st));
    chld_count = 0;
    pid = fork();
    if (pid == 0) {
        raise(SIGTERM);
        _exit(0);
    }
    while (chld_count == 0)
        sigsuspend(&old);
    waitpid(pid, &st, 0);
    printf("sigchld: killed child code=%s status=%d signaled=%d\n",
           chld_code == CLD_KILLED ? "CLD_KILLED" : "other", chld_status,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    sigprocmask(SIG_SETMASK, &old, NULL);
    signal(SIGCHLD, SIG_DFL);
}

/* ----- pthread_kill ----- */

static pthread_t target;
static volatile int thread_hit, thread_ready;

static void on_thread_sig(int sig, siginfo_t *si, void *ctx)
{
    thread_hit = pthread_equal(pthread_self(), target) ? 1 : 2;
}

static void *waiter(void *arg)
{
    sigset_t none;
    sigemptyset(&none);
    thread_ready = 1;
    while (!thread_hit)
        sigsuspend(&none);
    return NULL;
}

static void test_pthread_kill(void)
{
    install(SIGUSR1, on_thread_sig, 0);
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    /* The main thread blocks SIGUSR1: only the target may take it. */
    pthread_sigmask(SIG_BLOCK, &set, &old);
    pthread_create(&target, NULL, waiter, NULL);
    while (!thread_ready)
        sched_yield();
    pthread_kill(target, SIGUSR1);
    pthread_join(target, NULL);
    printf("pthread_kill: handled in target thread=%d\n", thread_hit == 1);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* ----- timers and interrupted calls ----- */

static int pipefd[2];
static volatile int alarms, fill_pipe;

static void on_alarm(int sig, siginfo_t *si, void *ctx)
{
    alarms++;
    if (fill_pipe)
        write(pipefd[1], "x", 1);
}

static void arm_ms(int ms, int interval_ms)
{
    struct itimerval it = {{0, interval_ms * 1000}, {0, ms * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static volatile int timer_value, timer_code;

static void on_timer(int sig, siginfo_t *si, void *ctx)
{
    timer_value = si->si_value.sival_int;
    timer_code = si->si_code;
}

static void test_timers(void)
{
    install(SIGALRM, on_alarm, 0);
    alarms = 0;
    arm_ms(10, 0);
    int r = pause();
    printf("setitimer: pause=%d errno=%s alarms=%d\n", r, errno == EINTR ? "EINTR" : "other", alarms);
    alarm(5);
    printf("alarm: remaining=%u\n", alarm(0));
    alarms = 0;
    arm_ms(5, 5);
    sigset_t none;
    sigemptyset(&none);
    while (alarms < 3)
        sigsuspend(&none);
    arm_ms(0, 0);
    struct itimerval cur;
    getitimer(ITIMER_REAL, &cur);
    printf("setitimer: periodic alarms>=3: %d, disarmed=%d\n", alarms >= 3,
           cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0);

    pipe(pipefd);
    char c = 0;
    fill_pipe = 0;
    arm_ms(10, 0);
    errno = 0;
    ssize_t n = read(pipefd[0], &c, 1);
    printf("pipe read, no SA_RESTART: %zd errno=%s\n", n, errno == EINTR ? "EINTR" : strerror(errno));
    install(SIGALRM, on_alarm, SA_RESTART);
    fill_pipe = 1;
    arm_ms(10, 0);
    errno = 0;
    n = read(pipefd[0], &c, 1);
    printf("pipe read, SA_RESTART: %zd '%c' errno=%d\n", n, c, errno);
    fill_pipe = 0;
    struct timespec req = {5, 0}, rem = {0, 0};
    arm_ms(10, 0);
    r = nanosleep(&req, &rem);
    printf("nanosleep with SA_RESTART: %d errno=%s rem<5s: %d\n", r, errno == EINTR ? "EINTR" : "other",
           rem.tv_sec < 5 && rem.tv_sec >= 3);
    signal(SIGALRM, SIG_DFL);

    install(SIGRTMIN + 1, on_timer, 0);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_SIGNAL;
    sev.sigev_signo = SIGRTMIN + 1;
    sev.sigev_value.sival_int = 42;
    timer_t tm;
    printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &tm));
    struct itimerspec its = {{0, 0}, {0, 10 * 1000 * 1000}};
    timer_settime(tm, 0, &its, NULL);
    while (timer_code == 0)
        sigsuspend(&none);
    printf("timer: value=%d code=%s\n", timer_value, timer_code == SI_TIMER ? "SI_TIMER" : "other");
    printf("timer_delete: %d\n", timer_delete(tm));
}

/* ----- every signal is installable ----- */

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
};

static void test_install_all(void)
{
    int ok = 0, refused = 0;
    for (int sig = 1; sig <= 64; sig++) {
        struct k_sigaction ksa = {(void *)SIG_IGN, 0, 0, 0}, old;
        if (syscall(SYS_rt_sigaction, sig, &ksa, &old, 8) == 0) {
            ok++;
            syscall(SYS_rt_sigaction, sig, &old, NULL, 8);
        } else {
            refused++;
        }
    }
    printf("install all: ok=%d refused=%d (SIGKILL, SIGSTOP)\n", ok, refused);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    test_segv();
    test_frame();
    test_altstack();
    test_flags();
    test_sigwait();
    test_sigchld();
    test_pthread_kill();
    test_timers();
    test_install_all();
    printf("done\n");
    return 0;
}
