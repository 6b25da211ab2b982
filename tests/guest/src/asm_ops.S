// kvrm-build: nolibc
// No libc: computes a list of instruction results and prints each as 16 hex digits, one per
// line: flag-setting arithmetic with carries, conditional selects, bitfields, multiply-high,
// load/store pair with writeback, exclusives, a few SIMD operations, then exits 0.
    .text
    .globl _start

// print x0 as 16 hex digits and a newline; preserves x19-x28
print_hex:
    sub     sp, sp, #32
    mov     x2, #15
    add     x3, sp, #0
1:  and     x4, x0, #0xf
    cmp     x4, #10
    add     x5, x4, #'0'
    add     x6, x4, #('a' - 10)
    csel    x5, x5, x6, lo
    strb    w5, [x3, x2]
    lsr     x0, x0, #4
    subs    x2, x2, #1
    b.pl    1b
    mov     w5, #'\n'
    strb    w5, [sp, #16]
    mov     x0, #1
    mov     x1, sp
    mov     x2, #17
    mov     x8, #64
    svc     #0
    add     sp, sp, #32
    ret

// read NZCV into x0 (as the top 4 bits moved down)
.macro P reg
    mov     x0, \reg
    bl      print_hex
.endm
.macro FLAGS
    mrs     x0, nzcv
    lsr     x0, x0, #28
    bl      print_hex
.endm

_start:
    movz    x19, #0xffff, lsl #48
    movk    x19, #0xffff, lsl #32
    movk    x19, #0xffff, lsl #16
    movk    x19, #0xffff            // x19 = -1
    mov     x20, #1
    adds    x21, x19, x20           // carry out, zero
    P       x21
    FLAGS
    adcs    x21, x20, x20           // 1 + 1 + C
    P       x21
    FLAGS
    mov     x22, #0x7fffffffffffffff
    adds    x21, x22, x20           // signed overflow
    FLAGS
    subs    w21, w20, #2            // 32-bit negative
    P       x21
    FLAGS
    sbcs    x21, xzr, xzr           // 0 - 0 - !C
    P       x21
    FLAGS
    cmp     x20, x19
    cset    x21, hi
    P       x21
    csinc   x21, x22, x20, lt
    P       x21
    csinv   x21, x22, x20, ge
    P       x21
    csneg   x21, x22, x20, eq
    P       x21
    ccmp    x20, #1, #0b0110, ne
    FLAGS
    // bitfields
    mov     x23, #0x1234
    movk    x23, #0xdead, lsl #32
    ubfx    x21, x23, #4, #8
    P       x21
    sbfx    x21, x23, #32, #16
    P       x21
    bfi     x23, x19, #8, #4
    P       x23
    extr    x21, x23, x22, #12
    P       x21
    rbit    x21, x23
    P       x21
    rev     w21, w23
    P       x21
    rev16   x21, x23
    P       x21
    clz     x21, x23
    P       x21
    cls     w21, w19
    P       x21
    // multiply
    umulh   x21, x19, x22
    P       x21
    smulh   x21, x19, x22
    P       x21
    madd    x21, x22, x23, x20
    P       x21
    umaddl  x21, w19, w19, x20
    P       x21
    smsubl  x21, w19, w23, x23
    P       x21
    udiv    x21, x19, x23
    P       x21
    sdiv    x21, x22, xzr
    P       x21
    // memory: push pairs with pre-index, pop with post-index, loads of each size
    mov     x24, sp
    stp     x22, x23, [sp, #-16]!
    stp     x19, x20, [sp, #-16]!
    ldr     w21, [sp, #4]
    P       x21
    ldrsb   x21, [sp, #16]
    P       x21
    ldrsh   w21, [sp, #22]
    P       x21
    ldp     x25, x26, [sp], #16
    ldp     x27, x28, [sp], #16
    mov     x21, sp
    sub     x21, x24, x21           // must be 0 again
    P       x21
    add     x21, x25, x28
    P       x21
    // exclusive increment loop
    sub     sp, sp, #16
    str     x22, [sp]
1:  ldaxr   x21, [sp]
    add     x21, x21, #5
    stlxr   w9, x21, [sp]
    cbnz    w9, 1b
    ldr     x21, [sp]
    P       x21
    add     sp, sp, #16
    // SIMD: byte add, across-lanes add, popcount, table lookup
    dup     v0.16b, w23
    movi    v1.16b, #3
    add     v2.16b, v0.16b, v1.16b
    umov    x21, v2.d[1]
    P       x21
    addv    b3, v2.16b
    umov    w21, v3.b[0]
    P       x21
    fmov    d4, x23
    cnt     v4.8b, v4.8b
    uaddlv  h5, v4.8b
    umov    w21, v5.h[0]
    P       x21
    ldr     x9, =0x0706050403020100
    mov     v6.d[0], x9
    mov     v6.d[1], x23
    movi    v7.16b, #0
    ldr     x10, =0x0f0e000102030405
    mov     v7.d[0], x10
    tbl     v8.16b, {v6.16b}, v7.16b
    umov    x21, v8.d[0]
    P       x21
    // floating point via integer moves
    scvtf   d9, x23
    fmov    x21, d9
    P       x21
    fsqrt   d10, d9
    fcvtzs  x21, d10
    P       x21
    mov     x0, #0
    mov     x8, #94
    svc     #0
    .ltorg
