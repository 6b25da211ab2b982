#!/usr/bin/env bash
# Fetch stock Debian arm64 programs (dynamically linked) and the libraries they need, and
# unpack them into one sysroot: tests/debian/build/sysroot (git-ignored). The Debian suite
# (crates/kvrm-cli/tests/debian.rs) runs them with `kvrm run --fs-root SYSROOT` and compares
# with `qemu-aarch64 -L SYSROOT`.
# Idempotent: does nothing when the sysroot holds this package list already. Needs apt and
# network; adds the arm64 architecture to dpkg when it is missing (as root, or through sudo).
# Exit status: 0 done, 1 failed (the reason on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tests/debian/build
ROOT=$OUT/sysroot
PACKAGES=(
    libc6 libgcc-s1
    coreutils libacl1 libattr1 libselinux1 libpcre2-8-0 libgmp10
    grep sed dash findutils diffutils
    gawk libmpfr6 libsigsegv2 libreadline8 libtinfo6
    sqlite3 libsqlite3-0 zlib1g
    bash-static zsh-static mksh sash
    zstd libzstd1 liblz4-1 xz-utils liblzma5 libstdc++6
    bc dc lz4 datamash gettext-base
    python3.11-minimal libpython3.11-minimal libpython3.11-stdlib libexpat1 libffi8 libbz2-1.0
    libpython3.11-testsuite:all
    libssl3 libuuid1 libcrypt1 libncursesw6 perl-base openssl
    nodejs libnode108 libuv1 libicu72 libc-ares2 libnghttp2-14 libbrotli1
    node-acorn:all node-cjs-module-lexer:all node-undici:all node-busboy:all
    ruby3.1 libruby3.1 libyaml-0-2
    php8.2-cli php8.2-common libargon2-1 libsodium23 libxml2 libedit2 libbsd0 libmd0 tzdata:all
    gcc-12 cpp-12 gcc-12-base libgcc-12-dev libisl23 libmpc3 libc6-dev linux-libc-dev
    libcrypt-dev libnsl-dev libnsl2 libtirpc-dev libtirpc3 libgssapi-krb5-2 libkrb5-3
    libk5crypto3 libkrb5support0 libcom-err2 libkeyutils1
    binutils binutils-aarch64-linux-gnu binutils-common libbinutils libctf0 libctf-nobfd0
    libgprofng0 libjansson4 golang-1.19-go golang-1.19-src:all
    openjdk-17-jre-headless
)
STAMP="$ROOT/.kvrm-packages"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "${PACKAGES[*]}" ]; then
    echo "fetch-debian-arm64: $ROOT present"
    exit 0
fi
SUDO=
[ "$(id -u)" = 0 ] || SUDO="sudo -n"
command -v apt-get >/dev/null || { echo "fetch-debian-arm64: no apt-get" >&2; exit 1; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
names=()
# Architecture-independent packages are named with their ":all".
for p in "${PACKAGES[@]}"; do
    case "$p" in *:*) names+=("$p") ;; *) names+=("$p:arm64") ;; esac
done
if ! (cd "$tmp" && apt-get download -qq "${names[@]}" 2>/dev/null); then
    $SUDO apt-get update -qq || true
    (cd "$tmp" && apt-get download -qq "${names[@]}") || {
        echo "fetch-debian-arm64: apt-get download failed (network? arm64 architecture?)" >&2
        exit 1
    }
fi
rm -rf "$ROOT.tmp"
mkdir -p "$ROOT.tmp"
for deb in "$tmp"/*.deb; do
    dpkg-deb -x "$deb" "$ROOT.tmp"
done
mkdir -p "$ROOT.tmp/tmp" "$ROOT.tmp/etc"
chmod 1777 "$ROOT.tmp/tmp"
# Merged /usr as on a Debian system: /bin/sh and the programs named by /usr/bin or /bin.
for d in bin sbin; do
    if [ -d "$ROOT.tmp/$d" ] && [ ! -L "$ROOT.tmp/$d" ]; then
        mkdir -p "$ROOT.tmp/usr/$d"
        cp -a "$ROOT.tmp/$d/." "$ROOT.tmp/usr/$d/"
        rm -rf "${ROOT:?}.tmp/$d"
    fi
    ln -s "usr/$d" "$ROOT.tmp/$d"
done
ln -sf dash "$ROOT.tmp/usr/bin/sh"
[ -e "$ROOT.tmp/usr/bin/awk" ] || ln -s gawk "$ROOT.tmp/usr/bin/awk"
echo "${PACKAGES[*]}" >"$ROOT.tmp/.kvrm-packages"
rm -rf "$ROOT"
mv "$ROOT.tmp" "$ROOT"
echo "fetch-debian-arm64: ${#PACKAGES[@]} packages -> $ROOT"
