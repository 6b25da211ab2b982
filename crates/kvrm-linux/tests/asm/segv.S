// Load from address 0: killed by SIGSEGV.
    .global _start
    .text
_start:
    movz x1, #0
    ldr x0, [x1]
    movz x8, #93
    svc #0
