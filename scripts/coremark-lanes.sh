#!/usr/bin/env bash
# CoreMark on many machines at once, three ways on one host (issue "The CUDA backend",
# "Aggregate on a real program"): N lanes on the GPU (`kvrm run --backend cuda --lanes`),
# the CPU backend's --lanes on all host cores, and one qemu-aarch64 process per host core.
# Every lane and process gets its own seed (`coremark {lane} 0x0 0x66 ITERS 7 1 2000`).
#
#   scripts/coremark-lanes.sh DIR      here: put CoreMark (benches/guest/build/coremark) and
#                                      Debian's qemu-aarch64-static into DIR (the folder
#                                      scripts/gpu-check.sh filled, which has kvrm)
#   bash DIR/coremark-lanes.sh --run   there: run the three, print iterations/s for each
#
# Environment there: LANES (GPU lanes, default 16896), GPU_ITERS (iterations per GPU lane,
# default 200), CPU_LANES (default 4 per host core), CPU_ITERS (default 200), PROCS (qemu
# processes, default one per host core), QEMU_ITERS (default 2000), ENGINE (the GPU's
# --engine, default jit:1000), LIMIT (seconds per run, default 300), CHECK (GPU lanes whose
# CRC lines are compared with qemu's for the same seed, default 16), CHECK_ITERS (their
# iterations, default 100: enough for blocks to be translated and run) and GPU (0: skip the
# GPU runs, for the CPU backend and qemu alone); GPU_MODE (the GPU run's --mode, default
# standard: how the kernel issues its launches); HOST_THREADS (the GPU run's --host-threads,
# a list: one run for each, default 1; host times in the stats lines are summed over them).
# Wall times are whole processes (start-up and the GPU's kernel load included); kvrm's own
# summary line (lanes run, without start-up) is printed beside it.
set -euo pipefail

if [ "${1:-}" != "--run" ]; then
    cd "$(dirname "$0")/.."
    dest=${1:?usage: scripts/coremark-lanes.sh DIR}
    [ -x benches/guest/build/coremark ] || benches/guest/build.sh
    cp benches/guest/build/coremark "$dest/coremark"
    if [ ! -x "$dest/qemu-aarch64-static" ]; then
        tmp=$(mktemp -d)
        (cd "$tmp" && apt-get download qemu-user-static >/dev/null && dpkg -x qemu-user-static_*.deb x)
        cp "$tmp/x/usr/bin/qemu-aarch64-static" "$dest/"
        rm -rf "$tmp"
    fi
    cp scripts/coremark-lanes.sh "$dest/"
    echo "now run there: bash $dest/coremark-lanes.sh --run"
    exit 0
fi

dir=$(cd "$(dirname "$0")" && pwd)
cd "$dir"
cores=$(nproc)
LANES=${LANES:-16896}
GPU_ITERS=${GPU_ITERS:-200}
CPU_LANES=${CPU_LANES:-$((4 * cores))}
CPU_ITERS=${CPU_ITERS:-200}
PROCS=${PROCS:-$cores}
QEMU_ITERS=${QEMU_ITERS:-2000}
ENGINE=${ENGINE:-jit:1000}
LIMIT=${LIMIT:-300}
CHECK=${CHECK:-16}
CHECK_ITERS=${CHECK_ITERS:-100}
GPU=${GPU:-1}
GPU_MODE=${GPU_MODE:-standard}
HOST_THREADS=${HOST_THREADS:-1}
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
if [ -z "${KVRM_CUDA_CACHE:-}" ]; then
    export KVRM_CUDA_CACHE=/tmp/kvrm-kernel-cache
    mkdir -p "$KVRM_CUDA_CACHE"
    cp kernel-cache/* "$KVRM_CUDA_CACHE"/ 2>/dev/null || true
fi
args() { echo 0x0 0x66 "$1" 7 1 2000; }
now() { date +%s.%N; }
rate() { # ITERATIONS START END: iterations per second
    python3 -c "import sys; n,a,b=map(float,sys.argv[1:]); print(f'{n/(b-a):,.0f} iterations/s in {b-a:.1f} s')" "$@"
}

echo "host: $cores cores; $(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1)"
echo "CoreMark, seed1 = lane index: coremark {lane} $(args ITERATIONS)"

# qemu: PROCS processes at once, seeds 0..PROCS-1.
t0=$(now)
for ((i = 0; i < PROCS; i++)); do
    timeout "$LIMIT" ./qemu-aarch64-static ./coremark "$i" $(args "$QEMU_ITERS") > /dev/null 2>&1 &
done
wait
t1=$(now)
echo "qemu-aarch64 x $PROCS processes x $QEMU_ITERS: $(rate $((PROCS * QEMU_ITERS)) "$t0" "$t1")"

# The GPU: LANES lanes in one kvrm process, once for each count of HOST_THREADS.
for threads in $HOST_THREADS; do
    t0=$(now)
    if [ "$GPU" = 0 ]; then
        echo "GPU: skipped (GPU=0)"
        break
    elif timeout "$LIMIT" ./kvrm run --stats --backend cuda --engine "$ENGINE" --mode "$GPU_MODE" \
        --lanes "$LANES" --host-threads "$threads" --memory-limit 32M \
        ./coremark '{lane}' $(args "$GPU_ITERS") > gpu.summary 2> gpu.stats; then
        t1=$(now)
        echo "GPU x $LANES lanes x $GPU_ITERS ($ENGINE, --mode $GPU_MODE, $threads host threads): $(rate $((LANES * GPU_ITERS)) "$t0" "$t1")"
        grep -E '^kvrm: (mode|time in|cuda wait for kernels|cuda host time (before|after) launches)' gpu.stats |
            sed 's/^/    /' || true
        echo "    kvrm: $(grep '^wall' gpu.summary); $(grep 'translated blocks' gpu.stats)"
    else
        echo "GPU x $LANES lanes ($ENGINE, $threads host threads): failed or over ${LIMIT}s (status $?)"
    fi
done

# The CPU backend: CPU_LANES lanes over all host cores.
t0=$(now)
if timeout "$LIMIT" ./kvrm run --stats --backend cpu --lanes "$CPU_LANES" --memory-limit 32M \
    ./coremark '{lane}' $(args "$CPU_ITERS") > cpu.summary 2> cpu.stats; then
    t1=$(now)
    echo "CPU backend x $CPU_LANES lanes x $CPU_ITERS: $(rate $((CPU_LANES * CPU_ITERS)) "$t0" "$t1")"
    echo "    kvrm: $(grep '^wall' cpu.summary)"
    grep -E 'blocks compiled|reused|compile time' cpu.stats | sed 's/^/    /' || true
else
    echo "CPU backend x $CPU_LANES lanes: failed or over ${LIMIT}s (status $?)"
fi

# Results: CHECK lanes on the GPU, each lane's CRC lines equal to qemu's for its seed.
[ "$GPU" = 0 ] && exit 0
qout=$(mktemp -d)
for ((i = 0; i < CHECK; i++)); do
    timeout "$LIMIT" ./qemu-aarch64-static ./coremark "$i" $(args "$CHECK_ITERS") > "$qout/$i" 2>&1 &
done
wait
rm -rf check && mkdir check
status=0
if timeout "$LIMIT" ./kvrm run --stats --backend cuda --engine "$ENGINE" --lanes "$CHECK" --out check \
    ./coremark '{lane}' $(args "$CHECK_ITERS") > /dev/null 2> check.stats; then
    bad=0
    for ((i = 0; i < CHECK; i++)); do
        grep -qi crc "$qout/$i" || bad=$((bad + 1))
        if ! diff <(grep -i crc "$qout/$i") <(grep -i crc "check/lane-$i.stdout") > /dev/null; then
            bad=$((bad + 1))
        fi
    done
    echo "GPU lanes 0..$((CHECK - 1)) x $CHECK_ITERS: $((CHECK - bad)) of $CHECK with qemu's CRC lines ($(grep 'translated blocks' check.stats))"
    [ "$bad" -eq 0 ] || status=1
else
    echo "GPU check run of $CHECK lanes failed or over ${LIMIT}s"
    status=1
fi
rm -rf "$qout"
exit $status
