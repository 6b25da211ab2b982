// mmap an anonymous page, store "mmap ok\n" there, write it, munmap, exit 0.
    .global _start
    .text
_start:
    movz x0, #0
    movz x1, #4096
    movz x2, #3             // PROT_READ|PROT_WRITE
    movz x3, #0x22          // MAP_PRIVATE|MAP_ANONYMOUS
    movn x4, #0             // fd -1
    movz x5, #0
    movz x8, #222           // mmap
    svc #0
    add x19, x0, #0
    // "mmap ok\n" little-endian: 6d 6d 61 70 20 6f 6b 0a
    movz x2, #0x6d6d
    movk x2, #0x7061, lsl #16
    movk x2, #0x6f20, lsl #32
    movk x2, #0x0a6b, lsl #48
    str x2, [x19]
    movz x0, #1
    add x1, x19, #0
    movz x2, #8
    movz x8, #64
    svc #0
    add x0, x19, #0
    movz x1, #4096
    movz x8, #215           // munmap
    svc #0
    // mmap with length 0 must fail with -EINVAL (-22): exit with 22 if so.
    movz x0, #0
    movz x1, #0
    movz x2, #3
    movz x3, #0x22
    movn x4, #0
    movz x5, #0
    movz x8, #222
    svc #0
    cmn x0, #22
    b.ne bad
    movz x0, #0
    movz x8, #93
    svc #0
bad:
    movz x0, #3
    movz x8, #93
    svc #0
