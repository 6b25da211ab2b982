// An undefined instruction (UDF #0): killed by SIGILL.
    .global _start
    .text
_start:
    .inst 0x00000000
    movz x8, #93
    svc #0
