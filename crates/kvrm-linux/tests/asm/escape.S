// openat(AT_FDCWD, "../../../../../../../../../../../../etc/passwd") inside a sandbox must fail: exit with -errno.
    .global _start
    .text
_start:
    movn x0, #99
    movz x1, #:abs_g1:path
    movk x1, #:abs_g0_nc:path
    movz x2, #0
    movz x3, #0
    movz x8, #56            // openat
    svc #0
    cmn x0, #2              // -ENOENT
    b.ne bad
    movz x0, #2
    movz x8, #93
    svc #0
bad:
    movz x0, #1
    movz x8, #93
    svc #0
    .data
path: .asciz "../../../../../../../../../../../../etc/passwd"
