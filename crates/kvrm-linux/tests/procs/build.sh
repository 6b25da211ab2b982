#!/bin/sh
# Build procs.c as a static AArch64 musl executable (committed as ./procs) and, with
# --record, record procs.expected: the stdout and exit status of the same source built for
# the host (x86_64 musl) and run natively in an empty directory, i.e. the host Linux
# kernel's answers. (qemu-aarch64 7.2 without binfmt_misc cannot execve an AArch64
# program, so it records only the part before the execve tests; that part agrees.)
# Needs gcc-aarch64-linux-gnu, musl-dev:arm64 and, for --record, musl-tools.
set -e
cd "$(dirname "$0")"
aarch64-linux-gnu-gcc -static -O2 -w -specs /usr/lib/aarch64-linux-musl/musl-gcc.specs -o procs procs.c
aarch64-linux-gnu-strip procs
if [ "${1:-}" = --record ]; then
    tmp=$(mktemp -d)
    musl-gcc -static -O2 -w -o "$tmp/procs-host" procs.c
    mkdir "$tmp/run"
    (cd "$tmp/run" && umask 022 && env -i HOME=/home/kvrm ../procs-host >../out 2>/dev/null; echo "status $?" >>../out)
    cp "$tmp/out" procs.expected
    rm -rf "$tmp"
fi
