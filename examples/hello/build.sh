#!/usr/bin/env bash
# Rebuilds the committed example binary (Debian gcc-aarch64-linux-gnu).
set -euo pipefail
cd "$(dirname "$0")"
aarch64-linux-gnu-gcc -static -O2 -s -o hello-glibc hello.c
