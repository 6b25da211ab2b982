#!/usr/bin/env bash
# Builds the six workloads of the "faster than qemu" issue: aarch64-linux-gnu-gcc -O2 -static.
set -euo pipefail
cd "$(dirname "$0")"
CC=${CC:-aarch64-linux-gnu-gcc}
mkdir -p build
for p in sha256 qsort matmul strconv memops bytecode; do
  "$CC" -O2 -static -o "build/$p" "$p.c"
done
