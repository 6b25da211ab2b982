// Grows the heap with brk, stores and loads through it; exit 0 on success.
    .global _start
    .text
_start:
    movz x0, #0
    movz x8, #214           // brk(0)
    svc #0
    add x19, x0, #0         // old break
    add x0, x0, #0x2, lsl #12
    movz x8, #214           // brk(old + 0x2000)
    svc #0
    sub x1, x0, #0x2, lsl #12   // == old break if brk succeeded
    movz x2, #0x123
    str x2, [x1, #0x1ff8]   // last word of the new heap (faults if brk failed)
    ldr x3, [x19, #0x1ff8]
    subs x3, x3, #0x123
    b.ne fail
    movz x0, #1
    movz x1, #:abs_g1:ok
    movk x1, #:abs_g0_nc:ok
    movz x2, #8
    movz x8, #64
    svc #0
    movz x0, #0
    b done
fail:
    movz x0, #1
done:
    movz x8, #94
    svc #0
    .data
ok: .ascii "brk ok!\n"
