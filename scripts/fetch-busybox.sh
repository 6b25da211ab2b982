#!/usr/bin/env bash
# Fetch Debian's busybox-static for arm64 and extract the binary to tests/busybox/build/busybox.
# Idempotent: does nothing when the binary is already there. Needs apt; adds the arm64
# architecture to dpkg when it is missing (as root, or through sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=tests/busybox/build
[ -x "$OUT/busybox" ] && { echo "fetch-busybox: $OUT/busybox present"; exit 0; }
mkdir -p "$OUT"
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    $SUDO dpkg --add-architecture arm64
    $SUDO apt-get update -qq
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if ! (cd "$tmp" && apt-get download -qq busybox-static:arm64 2>/dev/null); then
    $SUDO apt-get update -qq
    (cd "$tmp" && apt-get download -qq busybox-static:arm64)
fi
dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x"
install -m 0755 "$tmp/x/bin/busybox" "$OUT/busybox.tmp"
mv "$OUT/busybox.tmp" "$OUT/busybox"
echo "fetch-busybox: $(dpkg-deb -f "$tmp"/busybox-static_*_arm64.deb Package Version | tr '\n' ' ')-> $OUT/busybox"
