// The Metal system's tight loop as a static Linux program: 300 M iterations of
// add; subs; b.ne (900 M instructions), then exit(0).
    .global _start
_start:
    movz x0, #0xa300
    movk x0, #0x11e1, lsl #16      // x0 = 300_000_000
    mov  x1, #0
1:  add  x1, x1, #1
    subs x0, x0, #1
    b.ne 1b
    mov  x0, #0
    mov  x8, #93                   // exit
    svc  #0
