// Count down from 2,000,000 (about 4 million instructions, no system call), then write
// "spun\n" and exit 0.
    .global _start
    .text
_start:
    movz x9, #0x1e, lsl #16
    movk x9, #0x8480        // 2,000,000
1:  subs x9, x9, #1
    b.ne 1b
    movz x0, #1
    movz x1, #:abs_g1:msg
    movk x1, #:abs_g0_nc:msg
    movz x2, #5
    movz x8, #64            // write
    svc #0
    movz x0, #0
    movz x8, #93            // exit
    svc #0
    .data
msg: .ascii "spun\n"
