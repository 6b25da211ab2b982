// kvrm-cflags: -march=armv8.1-a
#include "atomics.c"
