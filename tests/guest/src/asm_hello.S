// kvrm-build: nolibc
// No libc: raw write and exit_group system calls from _start; reads argc/argv from the stack.
    .text
    .globl _start
_start:
    mov     x8, #64                 // write(1, msg, len)
    mov     x0, #1
    adr     x1, msg
    mov     x2, #(msg_end - msg)
    svc     #0
    ldr     x19, [sp]               // argc
    add     x20, sp, #16            // argv + 1
    sub     x19, x19, #1            // argv[0] is runner-specific: skip it
1:  cbz     x19, 2f                 // print each argv[i] on its own line
    ldr     x1, [x20], #8
    mov     x2, #0
3:  ldrb    w3, [x1, x2]
    cbz     w3, 4f
    add     x2, x2, #1
    b       3b
4:  mov     x0, #1
    mov     x8, #64
    svc     #0
    mov     x0, #1
    adr     x1, nl
    mov     x2, #1
    mov     x8, #64
    svc     #0
    sub     x19, x19, #1
    b       1b
2:  mov     x0, #7                  // exit_group(7)
    mov     x8, #94
    svc     #0
    .section .rodata
msg:    .ascii "hello from asm\n"
msg_end:
nl:     .ascii "\n"
