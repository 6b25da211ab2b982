#!/usr/bin/env bash
# Build Lua and the sqlite3 shell from Debian's source packages (lua5.4, sqlite3) as static
# AArch64 executables with aarch64-linux-gnu-gcc -O2, and install them as lua and sqlite3 in
# the Debian sysroot's /usr/local/bin (tests/debian/build/sysroot, made by
# scripts/fetch-debian-arm64.sh), where crates/kvrm-cli/tests/lua_sqlite.rs runs them under
# kvrm and qemu-aarch64.
# The sources come through apt with a private deb-src list (the system's apt configuration is
# left alone): apt-get source --download-only. sqlite's amalgamation (sqlite3.c, shell.c) is
# generated from the source tree by its configure and make, which need tclsh.
# Idempotent: builds once, then only copies into the sysroot when it was fetched anew.
# Exit status: 0 done, 1 failed (the reason on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tests/debian/build/src
ROOT=tests/debian/build/sysroot
LUA=lua5.4
SQLITE=sqlite3
CC=aarch64-linux-gnu-gcc
die() { echo "build-lua-sqlite: $*" >&2; exit 1; }

scripts/fetch-debian-arm64.sh >/dev/null
command -v $CC >/dev/null || die "no $CC (apt-get install gcc-aarch64-linux-gnu)"

if [ ! -x "$OUT/bin/lua" ] || [ ! -x "$OUT/bin/sqlite3" ]; then
    if ! command -v tclsh >/dev/null; then
        [ "$(id -u)" = 0 ] || die "tclsh missing (apt-get install tcl as root)"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcl >/dev/null ||
            die "apt-get install tcl failed"
    fi
    apt=$PWD/$OUT/apt
    mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$OUT/dl"
    suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
    echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg]" \
        "http://deb.debian.org/debian $suite main" >"$apt/sources.list"
    opts=(-q -o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/none"
        -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache")
    apt-get "${opts[@]}" update >/dev/null || die "apt-get update of the deb-src list failed (network?)"
    (cd "$OUT/dl" && apt-get "${opts[@]}" source --download-only "$LUA" "$SQLITE" >/dev/null 2>&1) ||
        die "apt-get source --download-only $LUA $SQLITE failed"
    rm -rf "$OUT/lua" "$OUT/sqlite" "$OUT/bin"
    mkdir -p "$OUT/lua" "$OUT/sqlite" "$OUT/bin"
    tar -xzf "$OUT"/dl/${LUA}_*.orig.tar.gz -C "$OUT/lua" --strip-components=1
    tar -xJf "$(ls "$OUT"/dl/${SQLITE}_*.orig.tar.xz | grep -v orig-www)" -C "$OUT/sqlite" \
        --strip-components=1

    # Lua: the interpreter and the library, every .c but the compiler (luac.c); POSIX, no dlopen.
    (cd "$OUT/lua/src" &&
        $CC -O2 -static -DLUA_USE_POSIX -o ../../bin/lua $(ls *.c | grep -v '^luac\.c$') -lm \
            >build.log 2>&1) ||
        die "building lua failed (see $OUT/lua/src/build.log)"

    # sqlite: configure for the target, generate the amalgamation, compile it with the shell.
    (cd "$OUT/sqlite" &&
        ./configure --host=aarch64-linux-gnu CC=$CC --disable-tcl --disable-readline \
            >configure.log 2>&1 &&
        make sqlite3.c shell.c >make.log 2>&1 &&
        $CC -O2 -static -D_HAVE_SQLITE_CONFIG_H -I. -DSQLITE_OMIT_LOAD_EXTENSION \
            -DSQLITE_THREADSAFE=1 -DSQLITE_ENABLE_MATH_FUNCTIONS -o ../bin/sqlite3 shell.c sqlite3.c \
            -lpthread -lm >build.log 2>&1) ||
        die "building sqlite3 failed (see $OUT/sqlite/configure.log, make.log, build.log)"
fi
mkdir -p "$ROOT/usr/local/bin"
for p in lua sqlite3; do
    cmp -s "$OUT/bin/$p" "$ROOT/usr/local/bin/$p" || cp "$OUT/bin/$p" "$ROOT/usr/local/bin/$p"
done
echo "build-lua-sqlite: $ROOT/usr/local/bin/lua, sqlite3"
