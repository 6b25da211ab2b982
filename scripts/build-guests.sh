#!/usr/bin/env bash
# Build the guest conformance programs (tests/guest/src) as AArch64 Linux executables:
#   tests/guest/build/NAME-O0, -O2, -O3   with glibc   (aarch64-linux-gnu-gcc -static)
#   tests/guest/build/NAME-musl-O2        with musl    (Debian musl-dev:arm64 specs file)
#   tests/guest/build/NAME-dyn-O2         with glibc, dynamically linked (run with
#                                         -L /usr/aarch64-linux-gnu, the cross sysroot)
# Sources may say "// kvrm-cflags: FLAGS" (extra flags) or "// kvrm-build: nolibc" (assembly
# with its own _start: built once, as NAME-O2, with -nostdlib).
# Incremental: a binary is rebuilt when it is older than any file its .d dependency list names
# or than this script. Run as root (or with passwordless sudo) on Debian it installs what is
# missing (gcc-aarch64-linux-gnu, musl-dev:arm64); KVRM_NO_MUSL=1 skips the musl variants.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/guest/src
OUT=tests/guest/build
CC=${CC:-aarch64-linux-gnu-gcc}
MUSL_SPECS=/usr/lib/aarch64-linux-musl/musl-gcc.specs
SELF="$PWD/scripts/build-guests.sh"

# Installing needs root: directly, or through passwordless sudo.
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
as_root() { command -v apt-get >/dev/null && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; }

if ! command -v "$CC" >/dev/null; then
    if as_root; then
        $SUDO apt-get update -qq && $SUDO apt-get install -y -qq gcc-aarch64-linux-gnu >/dev/null
    else
        echo "build-guests: $CC not found (apt-get install gcc-aarch64-linux-gnu)" >&2
        exit 1
    fi
fi
MUSL=1
if [ "${KVRM_NO_MUSL:-0}" = 1 ]; then
    MUSL=0
elif [ ! -f "$MUSL_SPECS" ]; then
    if as_root; then
        echo "build-guests: installing musl-dev:arm64" >&2
        $SUDO dpkg --add-architecture arm64
        { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq musl-dev:arm64 >/dev/null; } || true
    fi
    if [ ! -f "$MUSL_SPECS" ]; then
        echo "build-guests: musl-dev:arm64 not installed ($MUSL_SPECS missing): skipping musl variants" >&2
        MUSL=0
    fi
fi

mkdir -p "$OUT"

# is_stale OUTPUT: true when OUTPUT must be rebuilt
is_stale() {
    local out=$1 dep
    [ -f "$out" ] && [ -f "$out.d" ] || return 0
    [ "$SELF" -nt "$out" ] && return 0
    for dep in $(sed -e 's/^[^:]*://' -e 's/\\$//' "$out.d"); do
        [ "$dep" -nt "$out" ] && return 0
    done
    return 1
}

jobs_list=()
for src in "$SRC"/*.c "$SRC"/*.S; do
    [ -f "$src" ] || continue
    name=$(basename "$src"); name=${name%.*}
    # atomics.c is both a program and included by atomics_lse.c / atomics_llsc.c
    extra=$(sed -n 's|^// kvrm-cflags: ||p' "$src" | head -n 1)
    if grep -q '^// kvrm-build: nolibc' "$src"; then
        jobs_list+=("$OUT/$name-O2|$src|-static -O2 -nostdlib $extra")
        continue
    fi
    for o in 0 2 3; do
        jobs_list+=("$OUT/$name-O$o|$src|-static -O$o $extra")
    done
    if [ "$MUSL" = 1 ]; then
        jobs_list+=("$OUT/$name-musl-O2|$src|-static -O2 -specs $MUSL_SPECS $extra")
    fi
    jobs_list+=("$OUT/$name-dyn-O2|$src|-O2 $extra")
done

build_one() {
    local out=$1 src=$2 flags=$3
    # shellcheck disable=SC2086
    if ! $CC -w -MD -MF "$out.d" $flags -o "$out.tmp" "$src" -lm; then
        echo "build-guests: FAILED $out" >&2
        return 1
    fi
    mv "$out.tmp" "$out"
}

max=$(nproc 2>/dev/null || echo 2)
built=0 failed=0 running=0
for job in "${jobs_list[@]}"; do
    IFS='|' read -r out src flags <<<"$job"
    is_stale "$out" || continue
    build_one "$out" "$src" "$flags" &
    built=$((built + 1)) running=$((running + 1))
    if [ "$running" -ge "$max" ]; then
        wait -n || failed=$((failed + 1))
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || failed=$((failed + 1))
    running=$((running - 1))
done
echo "build-guests: ${#jobs_list[@]} binaries, $built rebuilt, $failed failed (musl: $([ $MUSL = 1 ] && echo yes || echo no))"
[ "$failed" = 0 ]
