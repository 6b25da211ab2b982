// kvrm-cflags: -mno-outline-atomics
#include "atomics.c"
