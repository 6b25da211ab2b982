# The gcc driver starts cc1, as, collect2 and ld, which pass their work on in files.
# Under qemu-aarch64 (no binfmt_misc here) those AArch64 programs are started through
# the harness's `qemu-run` wrapper (gcc's -wrapper, and -B with the host's path of its
# directories, which gcc under qemu -L does not find), as is the program built; under kvrm
# they start as they would on an AArch64 machine.
wrap=
run=
if command -v qemu-run >/dev/null 2>&1; then
    run=qemu-run
    root=$(qemu-run --sysroot)
    wrap="-wrapper qemu-run -B$root/usr/lib/gcc/aarch64-linux-gnu/12/ -B$root/usr/lib/aarch64-linux-gnu/"
fi
gcc-12 $wrap -O2 -Wall -o prog prog.c -lm || exit 1
$run ./prog 12
echo "exit $?"
gcc-12 $wrap -O1 -c -o prog.o prog.c && readelf -h prog.o | grep -E 'Class|Machine|Type'
objdump -d --no-show-raw-insn prog.o | sed -n '/<main>:/,+12p'
