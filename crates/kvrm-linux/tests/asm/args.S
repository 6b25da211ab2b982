// Writes the first 4 bytes of argv[1] and of envp[0]'s name check, exits with argc.
    .global _start
    .text
_start:
    ldr x9, [sp]            // argc
    ldr x1, [sp, #16]       // argv[1]
    movz x0, #1
    movz x2, #4
    movz x8, #64            // write
    svc #0
    movz x0, #1
    movz x1, #:abs_g1:nl
    movk x1, #:abs_g0_nc:nl
    movz x2, #1
    movz x8, #64
    svc #0
    add x0, x9, #0
    movz x8, #93            // exit
    svc #0
    .data
nl: .ascii "\n"
