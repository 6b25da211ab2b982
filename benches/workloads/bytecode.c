/* A switch-dispatch bytecode interpreter. */
#include <stdio.h>
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, JNZ, DEC, POP, LOADA, STOREA, HALT };
static long run(const int *code) {
  long st[64]; int sp = 0; long a = 0; int pc = 0;
  for (;;) {
    switch (code[pc++]) {
      case PUSH: st[sp++] = code[pc++]; break;
      case ADD: sp--; st[sp-1] += st[sp]; break;
      case SUB: sp--; st[sp-1] -= st[sp]; break;
      case MUL: sp--; st[sp-1] = (st[sp-1] * st[sp]) & 0xffffff; break;
      case DUP: st[sp] = st[sp-1]; sp++; break;
      case SWAP: { long t = st[sp-1]; st[sp-1] = st[sp-2]; st[sp-2] = t; } break;
      case JNZ: { int t = code[pc++]; if (st[--sp]) pc = t; } break;
      case DEC: st[sp-1]--; break;
      case POP: sp--; break;
      case LOADA: st[sp++] = a; break;
      case STOREA: a = st[--sp]; break;
      case HALT: return a;
    }
  }
}
int main(void) {
  /* counter on stack; a = (a*3 + counter) & mask, loop 2M times */
  const int code[] = { PUSH, 2000000, /*2*/ DUP, LOADA, PUSH, 3, MUL, ADD, STOREA, DEC, DUP, JNZ, 2, POP, HALT };
  printf("%ld\n", run(code)); return 0;
}
