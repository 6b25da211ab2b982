/* A tiny interpreter: a recursive-descent parser compiles arithmetic expressions and a small
 * loop language into stack bytecode; a switch-dispatched VM runs it (sieve, collatz, gcd,
 * exponentiation). Exercises jump tables, indirect branches, and many small functions. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, DIV, MOD, LT, EQ, JMP, JZ, PRINT, HALT, NEG, LOADI, STOREI, AND, SHL };
static long code[4096];
static int ncode;
static const char *src;
static int vars[26];

static void emit(long op) { code[ncode++] = op; }
static void ws(void) { while (isspace((unsigned char)*src)) src++; }
static int accept(const char *t)
{
    ws();
    size_t n = strlen(t);
    if (strncmp(src, t, n) == 0) { src += n; return 1; }
    return 0;
}
static void expr(void);
static void primary(void)
{
    ws();
    if (isdigit((unsigned char)*src)) { emit(PUSH); emit(strtol(src, (char **)&src, 10)); }
    else if (accept("(")) { expr(); accept(")"); }
    else if (accept("-")) { primary(); emit(NEG); }
    else if (accept("@")) { primary(); emit(LOADI); } /* memory read: @addr */
    else if (isalpha((unsigned char)*src)) { emit(LOAD); emit(*src++ - 'a'); }
}
static void term(void)
{
    primary();
    for (;;) {
        if (accept("*")) { primary(); emit(MUL); }
        else if (accept("/")) { primary(); emit(DIV); }
        else if (accept("%")) { primary(); emit(MOD); }
        else if (accept("&")) { primary(); emit(AND); }
        else if (accept("<<")) { primary(); emit(SHL); }
        else return;
    }
}
static void sum(void)
{
    term();
    for (;;) {
        if (accept("+")) { term(); emit(ADD); }
        else if (accept("-")) { term(); emit(SUB); }
        else return;
    }
}
static void expr(void)
{
    sum();
    if (accept("<")) { sum(); emit(LT); }
    else if (accept("==")) { sum(); emit(EQ); }
}
/* statements: x = e; | !addr = e; | while e { ... } | if e { ... } | print e; */
static void block(void);
static void stmt(void)
{
    ws();
    if (accept("while")) {
        int top = ncode;
        expr();
        emit(JZ); int patch = ncode; emit(0);
        block();
        emit(JMP); emit(top);
        code[patch] = ncode;
    } else if (accept("if")) {
        expr();
        emit(JZ); int patch = ncode; emit(0);
        block();
        code[patch] = ncode;
    } else if (accept("print")) {
        expr(); accept(";"); emit(PRINT);
    } else if (accept("!")) {
        primary(); accept("="); expr(); accept(";"); emit(STOREI);
    } else {
        int v = *src++ - 'a';
        accept("="); expr(); accept(";");
        emit(STORE); emit(v);
    }
}
static void block(void)
{
    accept("{");
    while (ws(), *src && *src != '}') stmt();
    accept("}");
}

static long mem[8192];
static long run(int pc, long *steps)
{
    long stack[64];
    int sp = 0;
    long out = 0;
    for (;;) {
        (*steps)++;
        switch (code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case LOAD: stack[sp++] = vars[code[pc++]]; break;
        case STORE: vars[code[pc++]] = (int)stack[--sp]; break;
        case LOADI: stack[sp - 1] = mem[stack[sp - 1] & 8191]; break;
        case STOREI: sp -= 2; mem[stack[sp] & 8191] = stack[sp + 1]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case DIV: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] / stack[sp] : 0; break;
        case MOD: sp--; stack[sp - 1] = stack[sp] ? stack[sp - 1] % stack[sp] : 0; break;
        case AND: sp--; stack[sp - 1] &= stack[sp]; break;
        case SHL: sp--; stack[sp - 1] <<= (stack[sp] & 63); break;
        case LT: sp--; stack[sp - 1] = stack[sp - 1] < stack[sp]; break;
        case EQ: sp--; stack[sp - 1] = stack[sp - 1] == stack[sp]; break;
        case NEG: stack[sp - 1] = -stack[sp - 1]; break;
        case JMP: pc = (int)code[pc]; break;
        case JZ: pc = stack[--sp] ? pc + 1 : (int)code[pc]; break;
        case PRINT: out = stack[--sp]; printf(" %ld", out); break;
        case HALT: return out;
        default: printf("bad opcode\n"); exit(1);
        }
    }
}

static void program(const char *name, const char *text)
{
    memset(vars, 0, sizeof vars);
    ncode = 0;
    src = text;
    while (ws(), *src) stmt();
    emit(HALT);
    long steps = 0;
    printf("%s:", name);
    run(0, &steps);
    printf(" [%d ops, %ld steps]\n", ncode, steps);
}

int main(void)
{
    program("arith", "print 1+2*3; print (1+2)*3; print 100/7; print -100/7; print -100%7; print 1<<40; "
                     "print 2*3*4*5*6*7*8*9*10*11*12*13 - 1; print (5 < 3) + (3 < 5) * 10 + (4 == 4) * 100;");
    program("sieve", "n = 2000; i = 2; while i < n { !i = 1; i = i + 1; } i = 2; "
                     "while i * i < n { if @i { j = i * i; while j < n { !j = 0; j = j + i; } } i = i + 1; } "
                     "c = 0; s = 0; i = 2; while i < n { if @i { c = c + 1; s = s + i; } i = i + 1; } print c; print s;");
    program("collatz", "m = 0; b = 0; k = 1; while k < 300 { x = k; l = 0; while 1 < x { if x % 2 == 0 { x = x / 2; } "
                       "if x % 2 == 1 { if 1 < x { x = 3 * x + 1; } } l = l + 1; } if m < l { m = l; b = k; } k = k + 1; } "
                       "print b; print m;");
    program("gcd", "a = 1071; b = 462; while 0 < b { t = a % b; a = b; b = t; } print a; "
                   "a = 832040; b = 514229; while 0 < b { t = a % b; a = b; b = t; } print a;");
    program("powmod", "r = 1; b = 7; e = 1000; m = 1000003; while 0 < e { if e % 2 == 1 { r = r * b % m; } "
                      "b = b * b % m; e = e / 2; } print r;");
    program("fib", "a = 0; b = 1; i = 0; while i < 40 { t = a + b; a = b; b = t; i = i + 1; if i % 10 == 0 { print a; } }");
    return 0;
}
