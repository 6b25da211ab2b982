// 20,000 one-byte write(1, "x", 1) calls, then exit(0). Under
// `kvrm run --stats --backend cuda` each call is a lane stopping at its SVC,
// the host servicing it and the lane launched again: the wall time per call
// is the GPU syscall round trip (scripts/gpu-check.sh measures it).
    .global _start
_start:
    movz x19, #20000
1:  mov  x0, #1
    adr  x1, msg
    mov  x2, #1
    mov  x8, #64                   // write
    svc  #0
    subs x19, x19, #1
    b.ne 1b
    mov  x0, #0
    mov  x8, #93                   // exit
    svc  #0
msg:
    .ascii "x"
