# `go build` starts the compiler and the linker (AArch64 programs of the toolchain). Under
# qemu-aarch64 (no binfmt_misc here) they, go itself and the program built start through the
# harness's `qemu-run` wrapper (go's -toolexec); under kvrm they start as they would on an
# AArch64 machine. gofmt -d prints a diff of the unformatted source.
te=
run=
if command -v qemu-run >/dev/null 2>&1; then te="-toolexec qemu-run"; run=qemu-run; fi
export HOME=/tmp GOCACHE=$PWD/cache CGO_ENABLED=0 GOFLAGS=-buildvcs=false
$run /usr/lib/go-1.19/bin/go build $te -o hello . || exit 1
$run ./hello
$run /usr/lib/go-1.19/bin/go list -deps . | wc -l
$run /usr/lib/go-1.19/bin/gofmt -d main.go
