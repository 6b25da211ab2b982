// write(1, 0x10, 5) must return -EFAULT (-14): exit 14 if so, else 1.
    .global _start
    .text
_start:
    movz x0, #1
    movz x1, #0x10
    movz x2, #5
    movz x8, #64
    svc #0
    cmn x0, #14
    b.ne bad
    movz x0, #14
    movz x8, #93
    svc #0
bad:
    movz x0, #1
    movz x8, #93
    svc #0
