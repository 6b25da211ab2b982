#!/bin/sh
# Build the assembly test programs (static AArch64 ELF executables).
# Needs binutils-aarch64-linux-gnu. The binaries are committed; rerun after editing a .S file.
set -e
cd "$(dirname "$0")"
for s in *.S; do
    b="${s%.S}"
    aarch64-linux-gnu-as -o "/tmp/kvrm-$b.o" "$s"
    aarch64-linux-gnu-ld -static -z max-page-size=4096 -z noseparate-code --build-id=none -o "$b" "/tmp/kvrm-$b.o"
    aarch64-linux-gnu-strip "$b"
    rm -f "/tmp/kvrm-$b.o"
done
# A static-pie (ET_DYN without PT_INTERP) version of exit42.
aarch64-linux-gnu-as -o /tmp/kvrm-pie.o exit42.S
aarch64-linux-gnu-ld -static -pie --no-dynamic-linker -z max-page-size=4096 --build-id=none -o exit42_pie /tmp/kvrm-pie.o
aarch64-linux-gnu-strip exit42_pie
rm -f /tmp/kvrm-pie.o
