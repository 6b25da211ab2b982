// write(1, msg, 12); exit(0)
    .global _start
    .text
_start:
    movz x0, #1
    movz x1, #:abs_g1:msg
    movk x1, #:abs_g0_nc:msg
    movz x2, #12
    movz x8, #64            // write
    svc #0
    movz x0, #0
    movz x8, #93            // exit
    svc #0
    .data
msg: .ascii "hello, kvrm\n"
