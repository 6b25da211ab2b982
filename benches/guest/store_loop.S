// The Metal system's loop with a store: 300 M iterations of add; str; subs; b.ne
// (1.2 G instructions), then exit(0).
    .global _start
_start:
    movz x0, #0xa300
    movk x0, #0x11e1, lsl #16      // x0 = 300_000_000
    mov  x1, #0
    mov  x2, sp
    sub  x2, x2, #64
1:  add  x1, x1, #1
    str  x1, [x2]
    subs x0, x0, #1
    b.ne 1b
    mov  x0, #0
    mov  x8, #93                   // exit
    svc  #0
