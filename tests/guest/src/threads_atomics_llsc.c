// kvrm-cflags: -pthread -march=armv8-a -mno-outline-atomics
#include "threads_atomics.c"
