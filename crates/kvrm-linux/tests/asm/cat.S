// openat(AT_FDCWD, "data.txt", O_RDONLY); read up to 64 bytes to the stack; write them; close; exit 0.
    .global _start
    .text
_start:
    movn x0, #99            // AT_FDCWD (-100)
    movz x1, #:abs_g1:path
    movk x1, #:abs_g0_nc:path
    movz x2, #0
    movz x3, #0
    movz x8, #56            // openat
    svc #0
    add x19, x0, #0
    sub sp, sp, #64
    add x1, sp, #0
    movz x2, #64
    movz x8, #63            // read
    svc #0
    add x2, x0, #0
    movz x0, #1
    add x1, sp, #0
    movz x8, #64            // write
    svc #0
    add x0, x19, #0
    movz x8, #57            // close
    svc #0
    movz x0, #0
    movz x8, #93
    svc #0
    .data
path: .asciz "data.txt"
