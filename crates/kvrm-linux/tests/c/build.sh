#!/bin/sh
# Build the C test programs as static glibc AArch64 executables into $1
# (default: ./build). Needs gcc-aarch64-linux-gnu. Used by tests/c_programs.rs.
set -e
src="$(cd "$(dirname "$0")" && pwd)"
out="${1:-$src/build}"
mkdir -p "$out"
for c in "$src"/*.c; do
    b="$(basename "${c%.c}")"
    aarch64-linux-gnu-gcc -static -O2 -o "$out/$b" "$c"
done
