// Copy standard input to standard output, 64 bytes at a time, until end of file; exit 0.
    .global _start
    .text
_start:
    sub sp, sp, #64
1:  movz x0, #0
    add x1, sp, #0
    movz x2, #64
    movz x8, #63            // read
    svc #0
    cmp x0, #0
    b.le 2f
    add x2, x0, #0
    movz x0, #1
    add x1, sp, #0
    movz x8, #64            // write
    svc #0
    b 1b
2:  movz x0, #0
    movz x8, #93            // exit
    svc #0
