// kvrm-cflags: -pthread -march=armv8.1-a
#include "threads_atomics.c"
