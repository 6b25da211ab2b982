#!/usr/bin/env bash
# Whole-process wall time of guest programs: kvrm's interpreter, kvrm's JIT and qemu-aarch64,
# run alternately (interp, jit, qemu, interp, ...) so that load on the machine falls on all
# three alike; prints the median of each and the ratios.
#
#   benches/compare-qemu.sh [RUNS]        (default 5 runs each, after one warm-up round)
#
# Programs: benches/guest/build/{tight_loop,store_loop} (benches/guest/build.sh), the -O2
# builds of tests/guest sha256, interp, mathlib, vectorize (scripts/build-guests.sh), the six
# workloads of benches/workloads (benches/workloads/build.sh), and
# CoreMark when its source is in benches/coremark/ (EEMBC's repository, not shipped with
# kvrm: it is built here with aarch64-linux-gnu-gcc -O2 -static; otherwise skipped).
# KVRM (default target/release/kvrm) and QEMU (default qemu-aarch64) choose the binaries.
# CPU=1 measures CPU time (user + system, /usr/bin/time) instead of wall time: on a machine
# loaded by other jobs it is the figure the load disturbs least. NO_INTERP=1 skips the
# interpreter (its column shows ~0). ONLY="sha256 qsort" keeps the programs whose file name
# is listed.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-5}
KVRM=${KVRM:-target/release/kvrm}
QEMU=${QEMU:-qemu-aarch64}
CC=${CC:-aarch64-linux-gnu-gcc}

[ -x "$KVRM" ] || { echo "no $KVRM: cargo build --release -p kvrm" >&2; exit 1; }
command -v "$QEMU" >/dev/null || { echo "no $QEMU (apt-get install qemu-user)" >&2; exit 1; }

programs=()
[ -x benches/guest/build/tight_loop ] || benches/guest/build.sh
programs+=(benches/guest/build/tight_loop benches/guest/build/store_loop)
for p in sha256 interp mathlib vectorize; do
  if [ -x "tests/guest/build/$p-O2" ]; then
    programs+=("tests/guest/build/$p-O2")
  else
    echo "skip $p-O2: run scripts/build-guests.sh" >&2
  fi
done
# The six workloads of the "faster than qemu" issue (benches/workloads/build.sh).
[ -x benches/workloads/build/sha256 ] || benches/workloads/build.sh
for p in sha256 qsort matmul strconv memops bytecode; do
  programs+=("benches/workloads/build/$p")
done
COREMARK_ITERATIONS=${COREMARK_ITERATIONS:-20000}
if [ -f benches/coremark/core_main.c ]; then
  out=benches/guest/build/coremark
  mkdir -p benches/guest/build
  if [ ! -x "$out" ] || [ benches/coremark/core_main.c -nt "$out" ]; then
    c=benches/coremark
    "$CC" -O2 -static -I"$c" -I"$c/posix" -DPERFORMANCE_RUN=1 -DITERATIONS="$COREMARK_ITERATIONS" \
      -DFLAGS_STR="\"-O2 -static\"" -o "$out" \
      "$c"/core_list_join.c "$c"/core_main.c "$c"/core_matrix.c "$c"/core_state.c \
      "$c"/core_util.c "$c"/posix/core_portme.c
  fi
  # The same fixed work under every emulator: without arguments CoreMark sizes its
  # iteration count to the speed it measures, so the runs would not be comparable.
  programs+=("$out 0x0 0x0 0x66 $COREMARK_ITERATIONS 7 1 2000")
else
  echo "skip CoreMark: no source in benches/coremark/ (git clone https://github.com/eembc/coremark benches/coremark)" >&2
fi

# Seconds of wall time (CPU time with CPU=1) of one run (stdout and stderr discarded).
wall() {
  local t0 t1
  if [ "${CPU:-0}" = 1 ]; then
    local f
    f=$(mktemp)
    /usr/bin/time -f "%U + %S" -o "$f" "$@" >/dev/null 2>&1 || true
    tail -1 "$f" | bc -l
    rm -f "$f"
    return
  fi
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || true
  t1=$(date +%s.%N)
  echo "$t1 - $t0" | bc -l
}

median() { sort -g | awk '{v[NR]=$1} END {m=int((NR+1)/2); if (NR%2) print v[m]; else print (v[m]+v[m+1])/2}'; }

printf '%-32s %12s %12s %12s %10s %10s\n' program interp jit qemu jit/qemu interp/qemu
for p in "${programs[@]}"; do
  name=$(basename "${p%% *}")
  if [ -n "${ONLY:-}" ] && ! [[ " $ONLY " == *" $name "* ]]; then
    continue
  fi
  cmds=("$KVRM run --engine interp $p" "$KVRM run --engine jit $p" "$QEMU $p")
  [ "${NO_INTERP:-0}" = 1 ] && cmds[0]=true
  declare -a samples=("" "" "")
  for round in $(seq 0 "$RUNS"); do
    for i in 0 1 2; do
      # shellcheck disable=SC2086
      t=$(wall ${cmds[$i]})
      [ "$round" -gt 0 ] && samples[$i]+="$t"$'\n'
    done
  done
  mi=$(printf '%s' "${samples[0]}" | median)
  mj=$(printf '%s' "${samples[1]}" | median)
  mq=$(printf '%s' "${samples[2]}" | median)
  printf '%-32s %11.3fs %11.3fs %11.3fs %10.2f %10.2f\n' "$name" "$mi" "$mj" "$mq" \
    "$(echo "$mj / $mq" | bc -l)" "$(echo "$mi / $mq" | bc -l)"
done
