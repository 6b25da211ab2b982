// fork (clone(SIGCHLD, 0, 0, 0, 0)); the child writes "child: hello\n" and exits
// with 3; the parent waits for it (wait4(pid, &status, 0, 0) must return pid),
// writes "status 0x" and the low 16 bits of the status word in hex, exits 0.
// A failed fork or wait exits 1.
    .global _start
    .text
_start:
    movz x0, #17            // SIGCHLD
    movz x1, #0
    movz x2, #0
    movz x3, #0
    movz x4, #0
    movz x8, #220           // clone
    svc #0
    cmp x0, #0
    b.lt fail
    b.eq child
    mov x19, x0             // the child's pid
    movz x1, #:abs_g1:status
    movk x1, #:abs_g0_nc:status
    movz x2, #0
    movz x3, #0
    movz x8, #260           // wait4
    svc #0
    cmp x0, x19
    b.ne fail
    movz x9, #:abs_g1:status
    movk x9, #:abs_g0_nc:status
    ldr w2, [x9]
    movz x3, #:abs_g1:digits
    movk x3, #:abs_g0_nc:digits
    movz x4, #4
1:  sub x5, x4, #1
    lsl x5, x5, #2
    lsr w6, w2, w5
    and w6, w6, #0xf
    add w7, w6, #'0'
    add w10, w6, #('a' - 10)
    cmp w6, #10
    csel w6, w7, w10, lt
    strb w6, [x3], #1
    subs x4, x4, #1
    b.ne 1b
    movz x0, #1
    movz x1, #:abs_g1:smsg
    movk x1, #:abs_g0_nc:smsg
    movz x2, #14
    movz x8, #64            // write
    svc #0
    movz x0, #0
    movz x8, #94            // exit_group
    svc #0
child:
    movz x0, #1
    movz x1, #:abs_g1:cmsg
    movk x1, #:abs_g0_nc:cmsg
    movz x2, #13
    movz x8, #64            // write
    svc #0
    movz x0, #3
    movz x8, #93            // exit
    svc #0
fail:
    movz x0, #1
    movz x8, #94            // exit_group
    svc #0
    .data
cmsg: .ascii "child: hello\n"
smsg: .ascii "status 0x"
digits: .ascii "????\n"
    .balign 4
status: .word 0
