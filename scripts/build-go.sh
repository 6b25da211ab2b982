#!/usr/bin/env bash
# Build the Go test programs (tests/go/NAME/main.go, standard library only) as static
# AArch64 Linux executables tests/go/build/NAME with the newest Go toolchain installed ($GO
# overrides), and the C programs tests/go/c/NAME.c as
# tests/go/build/NAME-c (GOOS=linux GOARCH=arm64 CGO_ENABLED=0:
# Go cross-compiles with no other tools). Run as root (or with passwordless sudo) on Debian
# it installs the toolchain when there is none (the newest golang-1.NN-go, from
# bookworm-backports on Debian 12, else golang-go); otherwise it exits 1 with the
# reason, and the Go tests skip. Go's build cache makes a rebuild of unchanged programs quick.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=tests/go
OUT=tests/go/build

SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
as_root() { command -v apt-get >/dev/null && { [ -z "$SUDO" ] || sudo -n true 2>/dev/null; }; }

# The newest Go there is: Debian's versioned toolchains (/usr/lib/go-1.NN), else `go` on PATH.
find_go() {
    local best
    best=$(ls -d /usr/lib/go-1.*/bin/go 2>/dev/null | sort -t. -k2,2n | tail -n 1 || true)
    if [ -n "$best" ]; then echo "$best"; else command -v go || true; fi
}
GO=${GO:-$(find_go)}
if [ -z "$GO" ]; then
    if as_root; then
        # bookworm's golang-go is Go 1.19; bookworm-backports has newer ones (1.21+ changed
        # the runtime's use of the kernel: eventfd wake-ups, pidfd for os/exec).
        if grep -qs 'VERSION_CODENAME=bookworm' /etc/os-release \
            && ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d; then
            echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm-backports main" \
                | $SUDO tee /etc/apt/sources.list.d/bookworm-backports.list >/dev/null
        fi
        $SUDO apt-get update -qq
        newest=$(apt-cache pkgnames golang-1. | grep -E '^golang-1\.[0-9]+-go$' | sort -t. -k2,2n | tail -n 1)
        echo "build-go: installing ${newest:-golang-go}" >&2
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${newest:-golang-go}" >/dev/null \
            || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq golang-go >/dev/null
        GO=$(find_go)
    fi
    if [ -z "$GO" ]; then
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
    GOOS=linux GOARCH=arm64 CGO_ENABLED=0 "$GO" build -trimpath -o "build/$name" "./$name"
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
echo "build-go: ${#names[@]} programs in $OUT ($("$GO" version | awk '{print $3}'))"
