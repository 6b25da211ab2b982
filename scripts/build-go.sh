#!/usr/bin/env bash
# Build the Go test programs (tests/go/NAME/main.go, standard library only) as static
# AArch64 Linux executables tests/go/build/NAME, and the C programs tests/go/c/NAME.c as
# tests/go/build/NAME-c (GOOS=linux GOARCH=arm64 CGO_ENABLED=0:
# Go cross-compiles with no other tools). Run as root (or with passwordless sudo) on Debian
# it installs the toolchain (golang-go) when `go` is missing; otherwise it exits 1 with the
# reason, and the Go tests skip. Go's build cache makes a rebuild of unchanged programs quick.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/go
OUT=tests/go/build

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
as_root() { command -v apt-get >/dev/null && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; }

if ! command -v go >/dev/null; then
    if as_root; then
        echo "build-go: installing golang-go" >&2
        $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go >/dev/null
    else
        echo "build-go: go not found (apt-get install golang-go as root)" >&2
        exit 1
    fi
fi

# No network: the programs use the standard library only.
export GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local GO111MODULE=on
export GOCACHE="${GOCACHE:-$PWD/target/go-cache}"
mkdir -p "$OUT"
names=()
for dir in "$SRC"/*/; do
    name=$(basename "$dir")
    [ -f "$dir/main.go" ] && names+=("$name")
done
# -trimpath: the paths in panic traces do not depend on where the repository is.
(cd "$SRC" && for name in "${names[@]}"; do
    GOOS=linux GOARCH=arm64 CGO_ENABLED=0 go build -trimpath -o "build/$name" "./$name"
done)
# C companions of the Go cases (tests/go/c/NAME.c -> build/NAME-c), when the cross gcc is
# there (scripts/test.sh installs it).
CC=${CC:-aarch64-linux-gnu-gcc}
if command -v "$CC" >/dev/null; then
    for src in "$SRC"/c/*.c; do
        out="$OUT/$(basename "$src" .c)-c"
        [ "$out" -nt "$src" ] || "$CC" -O2 -Wall -static -pthread -o "$out" "$src"
    done
else
    echo "build-go: $CC not found: the C cases are not built" >&2
fi
echo "build-go: ${#names[@]} programs in $OUT ($(go version | awk '{print $3}'))"
