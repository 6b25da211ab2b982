#!/usr/bin/env bash
# Builds the microbenchmarks as static AArch64 ELF files into benches/guest/build/.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
for s in tight_loop store_loop syscall_loop; do
  aarch64-linux-gnu-gcc -nostdlib -static -o "build/$s" "$s.S"
done
