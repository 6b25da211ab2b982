#!/usr/bin/env bash
# The CUDA backend's check on the GPU machine (see /work/shared/GPU.md, "The loop").
#
#   scripts/gpu-check.sh [DIR]      here: build the GPU tests and the benchmark into
#                                   DIR (default .gpu/ of this checkout)
#   bash .gpu/gpu-check.sh --run    there (the `run` tool, carry [".gpu"]): run them,
#                                   logs to $OUT (tests.log, bench.log, conformance.log,
#                                   lanes.log, device.txt); one PASS/FAIL line per check
#                                   and a last line `gpu-check: N passed, N failed`;
#                                   exit status 0 only if everything passed
#
# Besides the kvrm-cuda tests and benchmark it checks the `kvrm` command there:
# guest conformance programs (tests/guest, scripts/build-guests.sh must have built
# them here) with `kvrm run --backend cuda` against tests/guest/expected (qemu's
# output), in the four launch modes, and `kvrm run --lanes 1024 --backend cuda --out`
# lane by lane against a CPU run of the same program; then the conformance suites,
# tests/guest (the -O2 builds: static, musl, dynamic) and tests/busybox, through their
# own test executables with KVRM_TEST_BACKEND=cuda (suites.log).
#
# The `run` tool sends the checkout its session started in: from another
# worktree, pass DIR inside that checkout's ignored .gpu/ (e.g.
# /work/main/.gpu/cuda) and carry that path.
# Environment there: KVRM_ORACLE_FILTER narrows the oracle replay; BENCH_LANES
# overrides the benchmark's lane counts; GPU_GUESTS (names, e.g. "divide sorting")
# the conformance programs; GPU_LANES (default 1024) the lane count; GPU_SKIP_TESTS=1
# skips the kvrm-cuda tests and benchmark (only the `kvrm` checks run); GPU_BACKEND=cpu
# runs the `kvrm` checks on the CPU backend (tries the script on a machine with no GPU;
# GPU_BACKEND=auto there runs the launch-mode checks too, on the CPU in standard mode).
# GPU_SUITES_ONLY=1 runs only the suites, GPU_SUITES=0 skips them; KVRM_GUEST_FILTER
# (comma-separated substrings of case names) narrows them and KVRM_GUEST_SHARD=I/N takes
# the I-th of N slices of them.
# Here: GPU_GUESTS chooses which guest programs are copied (default: the list below).
set -euo pipefail

# Guest conformance programs run with --backend cuda: the cases of tests/guest/cases.txt
# with no arguments, stdin, environment or files (under ~5 M instructions each: one GPU
# lane runs about 1.5 M instructions/s); threads_* are multi-threaded.
DEFAULT_GUESTS="divide sorting printf_int scanf_parse mathlib floatops jumps varargs vectorize crypto
atomics atomics_llsc atomics_lse asm_ops threads_mutex threads_barrier threads_tls
threads_atomics threads_atomics_pair threads_many proc_killed file_locks"
# The --lanes checks: one program compared with a single CPU run, one with `{lane}`
# in its arguments and environment compared with a CPU --lanes run.
LANE_GUESTS="atomics args_env"
# The kernel's launch modes (--mode continuous, mega, async) on ELF programs: threads,
# processes, pipes between them, file locks.
MODE_GUESTS="printf_int threads_mutex threads_barrier proc_killed file_locks proc_pipeline"
# Guest programs the suites leave out on the GPU: runs of over 40 M instructions, minutes
# for one GPU lane's interpreter.
SUITE_LONG="printf_float strings pipe_large rusage_times"

if [ "${1:-}" != "--run" ]; then
    cd "$(dirname "$0")/.."
    exclude=$(git rev-parse --git-path info/exclude)
    grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"
    dest=${1:-.gpu}
    rm -rf "$dest" && mkdir -p "$dest"
    cargo build --release -p kvrm-cuda --examples
    strip -o "$dest/cuda_bench" target/release/examples/cuda_bench
    strip -o "$dest/cuda_modes" target/release/examples/cuda_modes
    # The kernel cache for sm_90 (the H200), filled here when libnvrtc loads (pip's
    # nvidia-cuda-nvrtc on LD_LIBRARY_PATH): the GPU machine then skips those compiles.
    # PTX from an NVRTC newer than the driver there does not load (2026-12-07: NVRTC 13.5
    # here, driver 580 = CUDA 13.0 there): the engine then compiles it there again. Use an
    # NVRTC of the driver's version here (pip install --target DIR "nvidia-cuda-nvrtc==13.0.*")
    # and the cache loads there. The relocatable cubins (the JIT) are cached per NVRTC
    # version: another NVRTC there ignores them.
    if ! KVRM_CUDA_CACHE="$dest/kernel-cache" target/release/examples/cuda_precompile sm_90; then
        echo "gpu-check: kernels not precompiled here; the GPU machine compiles them" >&2
    fi
    # Test executables: cargo prints them as JSON artifacts.
    cargo test --release -p kvrm-cuda --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, sys, shutil
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        name = {"lib": "kvrm-cuda-unit", "test": "kvrm-cuda-" + m["target"]["name"]}.get(m["target"]["kind"][0])
        if name:
            shutil.copy(m["executable"], sys.argv[1] + "/" + name)
            print("copied", name)
' "$dest"
    strip "$dest"/kvrm-cuda-*
    # The Python package (abi3 wheel; Python there is 3.12 with PyTorch and CuPy).
    mkdir -p "$dest/py"
    if python3 -m pip --version >/dev/null 2>&1; then
        python3 -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" >/dev/null
        wheel_dir=$(cd "$dest/py" && pwd) # DIR may be relative or absolute
        (cd python && python3 -m maturin build --release --quiet --out "$wheel_dir") ||
            echo "gpu-check: the wheel did not build; the Python checks will fail" >&2
    fi
    # The kvrm command (stripped: the carry limit is 64 MiB) and guest programs
    # with their expected outputs.
    cargo build --release -p kvrm
    strip -o "$dest/kvrm" target/release/kvrm
    mkdir -p "$dest/guest/expected"
    copied=0
    for name in $(echo ${GPU_GUESTS:-$DEFAULT_GUESTS} $LANE_GUESTS $MODE_GUESTS | tr ' ' '\n' | sort -u); do
        bin=tests/guest/build/$name-O2
        if [ ! -f "$bin" ]; then
            echo "gpu-check: $bin missing (scripts/build-guests.sh); not copied" >&2
            continue
        fi
        cp "$bin" "$dest/guest/"
        cp tests/guest/expected/"$name"-O2.* "$dest/guest/expected/" 2>/dev/null || true
        copied=$((copied + 1))
    done
    [ "$copied" -gt 0 ] || { echo "gpu-check: no guest programs built: run scripts/build-guests.sh" >&2; exit 1; }
    echo "copied kvrm and $copied guest programs"
    # The conformance suites (tests/guest, tests/busybox) on the GPU: their test executables,
    # and the binaries they run (the -O2 variants, static, musl and dynamic, but the few
    # longest, which one GPU lane would take minutes over; busybox; the libraries the dynamic
    # variants load). The cases and expected files are the checkout's own.
    suite=$dest/suite
    mkdir -p "$suite/guest-build" "$suite/sysroot/lib"
    cargo test --release -p kvrm --test guest_programs --test busybox --no-run --message-format=json 2>/dev/null |
        python3 -c '
import json, sys, shutil
for line in sys.stdin:
    try: m = json.loads(line)
    except ValueError: continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        shutil.copy(m["executable"], sys.argv[1] + "/suite-" + m["target"]["name"])
        print("copied suite-" + m["target"]["name"])
' "$dest"
    strip "$dest"/suite-*
    for f in tests/guest/build/*-O2; do
        prog=${f##*/} && prog=${prog%-O2} && prog=${prog%-musl} && prog=${prog%-dyn}
        case " $SUITE_LONG " in *" $prog "*) continue ;; esac
        cp "$f" "$suite/guest-build/"
    done
    cp tests/busybox/build/busybox "$suite/" 2>/dev/null ||
        echo "gpu-check: no busybox (scripts/fetch-busybox.sh); its suite will skip" >&2
    for lib in ld-linux-aarch64.so.1 libc.so.6 libm.so.6 libgcc_s.so.1; do
        cp -L "${KVRM_DYN_SYSROOT:-/usr/aarch64-linux-gnu}/lib/$lib" "$suite/sysroot/lib/" ||
            echo "gpu-check: no $lib for the dynamic guests" >&2
    done
    echo "copied the suites: $(ls "$suite/guest-build" | wc -l) guest binaries"
    cp scripts/gpu-check.sh "$dest/"
    du -sh "$dest"
    size=$(du -sm "$dest" | cut -f1)
    [ "$size" -lt 64 ] ||
        echo "gpu-check: $dest is $size MiB, over the run tool's 64 MiB carry limit: carry it compressed (tar -cf - -C $(dirname "$dest") $(basename "$dest") | xz -T0 > $dest.txz; about 18 MiB) and unpack it there first" >&2
    echo "now run there: bash $dest/gpu-check.sh --run   (run tool, carry [\"$dest\"])"
    exit 0
fi

bin=$(cd "$(dirname "$0")" && pwd)
# The tests read the checkout's fixtures (tests/oracle/cases, python/tests): run from the
# checkout that holds DIR, wherever the script was started from.
root=$bin
while [ "$root" != / ] && [ ! -d "$root/tests/oracle" ]; do root=$(dirname "$root"); done
[ -d "$root/tests/oracle" ] || { echo "gpu-check: no checkout (tests/oracle) above $bin" >&2; exit 1; }
cd "$root"
OUT=${OUT:-/tmp/kvrm-gpu-out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export KVRM_ORACLE_CASES=$PWD/tests/oracle/cases
export KVRM_CUDA_CACHE=/tmp/kvrm-kernel-cache
mkdir -p "$KVRM_CUDA_CACHE"
cp "$bin"/kernel-cache/* "$KVRM_CUDA_CACHE"/ 2>/dev/null || true
{ nvidia-smi || true; uname -a; } > "$OUT/device.txt" 2>&1
status=0
passed=0
failed=0
run() { # NAME COMMAND...: run it, log to $OUT/NAME.log, remember a failure
    local name=$1; shift
    if "$@" > >(tee -a "$OUT/$name.log") 2>&1; then
        return 0
    fi
    status=1
    return 1
}
verdict() { # LOG OK NAME [WHY]: one PASS/FAIL line, counted
    if [ "$2" = 1 ]; then
        passed=$((passed + 1)); echo "PASS $3" | tee -a "$OUT/$1.log"
    else
        failed=$((failed + 1)); status=1; echo "FAIL $3${4:+: $4}" | tee -a "$OUT/$1.log"
    fi
}
if [ "${GPU_SKIP_TESTS:-0}" != 1 ]; then
    run tests echo "== unit tests"
    if run tests "$bin/kvrm-cuda-unit" --test-threads=1; then verdict tests 1 kvrm-cuda-unit; else verdict tests 0 kvrm-cuda-unit; fi
    run tests echo "== GPU tests"
    if run tests "$bin/kvrm-cuda-gpu" --test-threads=1 --nocapture; then verdict tests 1 kvrm-cuda-gpu; else verdict tests 0 kvrm-cuda-gpu; fi
    # shellcheck disable=SC2086
    if run bench timeout 240 "$bin/cuda_bench" ${BENCH_LANES:-}; then verdict bench 1 cuda_bench; else verdict bench 0 cuda_bench; fi
    run bench timeout 120 "$bin/kvrm" bench --backend cuda --repeat 1 || true
    run bench timeout 120 "$bin/kvrm" bench --backend cuda --lanes 1024 --repeat 1 || true
    # The four execution modes on one lane, and the async mode's latencies.
    if run bench timeout 240 "$bin/cuda_modes"; then verdict bench 1 cuda_modes; else verdict bench 0 cuda_modes; fi
    # The same with hot blocks translated to CUDA C (--engine jit on cuda; each
    # round compiles its blocks alone, about a second here, cached on disk).
    if run bench timeout 240 "$bin/cuda_modes" --jit; then verdict bench 1 "cuda_modes --jit"; else verdict bench 0 "cuda_modes --jit"; fi
    if run bench timeout 240 "$bin/cuda_bench" --jit 1 1024 16896 135168; then verdict bench 1 "cuda_bench --jit"; else verdict bench 0 "cuda_bench --jit"; fi
    # The Python package on the CUDA backend (device views with PyTorch and CuPy).
    if run python pip install -q --no-deps --target "$OUT/site" "$bin"/py/kvrm-*.whl &&
        run python env PYTHONPATH="$OUT/site" python3 -m pytest -q -p no:cacheprovider -rs \
            --rootdir python/tests python/tests/test_cuda.py python/tests/test_views.py \
            python/tests/test_machine.py python/tests/test_linux.py; then
        verdict python 1 "python tests on the GPU machine"
    else
        verdict python 0 "python tests on the GPU machine" "python.log"
    fi
    rm -rf "$OUT/site"
fi

# --- the kvrm command on the GPU ---------------------------------------------------
KVRM=$bin/kvrm
BACKEND=${GPU_BACKEND:-cuda}
G=$bin/guest
work=$(mktemp -d /tmp/kvrm-gpu-check.XXXXXX)
# As the guest suite runs them: a scratch cwd, PATH and HOME only, no stdin.
# kvrm itself needs the CUDA libraries and the kernel cache; the guest does not see them.
kvrm_run() { # kvrm run OPTIONS... PROGRAM ARGS..., at most 300 s
    env -i PATH=/usr/bin:/bin HOME=/home/kvrm LD_LIBRARY_PATH="$LD_LIBRARY_PATH" \
        KVRM_CUDA_CACHE="$KVRM_CUDA_CACHE" timeout 300 "$KVRM" run \
        -U LD_LIBRARY_PATH -U KVRM_CUDA_CACHE "$@"
}

# conform NAME LABEL KVRM_OPTIONS...: run guest NAME-O2 with the options and --backend,
# compare with qemu's output (stdout, stderr, status); one verdict in conformance.log.
conform() {
    local name=$1 label=$2; shift 2
    prog=$G/$name-O2
    exp=$G/expected/$name-O2
    [ -f "$prog" ] || { verdict conformance 0 "$name-O2$label" "not copied (build-guests.sh here)"; return; }
    d=$work/conf-$name && rm -rf "$d" && mkdir -p "$d"
    set +e
    (cd "$d" && kvrm_run --quiet --backend "$BACKEND" "$@" "$prog" \
        < /dev/null > "$work/$name.stdout" 2> "$work/$name.stderr")
    code=$?
    set -e
    why=
    # (`|| true`: a diff that finds differences must not end the script under set -e)
    if [ ! -f "$exp.status" ]; then why="no expected files (tests/guest/expected)"
    elif [ "$code" = 124 ]; then why="timed out after 300 s"
    elif grep -q '^kvrm: ' "$work/$name.stderr"; then why="$(grep -m1 '^kvrm: ' "$work/$name.stderr")"
    elif ! cmp -s "$work/$name.stdout" "$exp.stdout"; then
        why="stdout differs: $({ diff "$exp.stdout" "$work/$name.stdout" || true; } | head -5 | tr '\n' '|')"
    elif ! cmp -s "$work/$name.stderr" "$exp.stderr"; then
        why="stderr differs: $({ head -c 300 "$work/$name.stderr" || true; } | tr '\n' '|')"
    elif [ "$code" != "$(cat "$exp.status")" ]; then why="status $code, expected $(cat "$exp.status")"
    fi
    if [ -z "$why" ]; then verdict conformance 1 "$name-O2 ($BACKEND$label)"; else verdict conformance 0 "$name-O2 ($BACKEND$label)" "$why"; fi
}

# GPU_SUITES_ONLY=1: only the suites below (the conformance, mode and lane checks are skipped).
if [ "${GPU_SUITES_ONLY:-0}" = 1 ]; then
    DEFAULT_GUESTS= GPU_GUESTS= MODE_GUESTS= LANE_GUESTS=
fi
echo "== conformance programs, kvrm run --backend $BACKEND" >> "$OUT/conformance.log"
for name in ${GPU_GUESTS-$DEFAULT_GUESTS}; do
    conform "$name" ""
done
echo "== the launch modes on ELF programs" >> "$OUT/conformance.log"
# (The CPU backend has standard only: with GPU_BACKEND=cpu these are not run.)
[ "$BACKEND" = cpu ] && MODE_GUESTS=
for name in $MODE_GUESTS; do
    conform "$name" ", --mode continuous --batch 20000" --mode continuous --batch 20000
    conform "$name" ", --mode mega" --mode mega
    conform "$name" ", --mode async" --mode async
done
# What the async mode did (its --stats line) on the pipeline of processes.
if [ -n "$MODE_GUESTS" ] && [ -f "$G/proc_pipeline-O2" ]; then
    d=$work/async-stats && mkdir -p "$d"
    (cd "$d" && kvrm_run --stats --backend "$BACKEND" --mode async "$G/proc_pipeline-O2" \
        < /dev/null 2>&1 >/dev/null | grep -E "instructions in|mode async|time in" >> "$OUT/conformance.log") || true
fi

LANES=${GPU_LANES:-1024}
# compare_lanes NAME DIR REF_DIR SAME: every lane of DIR against REF_DIR's lane-0 files
# (SAME=1) or against its lane of the same index (SAME=0).
compare_lanes() {
    local name=$1 dir=$2 ref=$3 same=$4 bad=0 first= i r
    if [ ! -f "$dir/lane-0.status" ]; then
        verdict lanes 0 "$name: $LANES lanes on $BACKEND" "no lane files; kvrm said: $(grep -m1 '^kvrm: ' "$OUT/lanes.log" || true)"
        return
    fi
    for ((i = 0; i < LANES; i++)); do
        r=$i; [ "$same" = 1 ] && r=0
        for ext in stdout stderr status; do
            if ! cmp -s "$dir/lane-$i.$ext" "$ref/lane-$r.$ext"; then
                bad=$((bad + 1))
                [ -n "$first" ] ||
                    first="lane $i .$ext: $({ head -c 200 "$dir/lane-$i.$ext" 2>&1 || true; } | tr '\n' '|')"
            fi
        done
    done
    if [ "$bad" = 0 ]; then verdict lanes 1 "$name: $LANES lanes on $BACKEND = CPU, lane by lane"
    else verdict lanes 0 "$name: $LANES lanes on $BACKEND" "$bad files differ from the CPU run; first: $first"; fi
}
# lanes_run NAME OUTDIR BACKEND LANES ARGS...: a --lanes run in a scratch cwd
lanes_run() {
    local name=$1 out=$2 backend=$3 n=$4; shift 4
    mkdir -p "$work/cwd-$name"
    (cd "$work/cwd-$name" && kvrm_run --backend "$backend" --lanes "$n" --out "$out" "$@" < /dev/null)
}

echo "== kvrm run --lanes $LANES --backend $BACKEND" >> "$OUT/lanes.log"
if [ -z "$LANE_GUESTS" ]; then
    : # (GPU_SUITES_ONLY)
elif [ -f "$G/atomics-O2" ]; then
    set +e
    lanes_run atomics "$work/atomics-cpu" cpu 1 "$G/atomics-O2" >> "$OUT/lanes.log" 2>&1
    lanes_run atomics "$work/atomics-cuda" "$BACKEND" "$LANES" "$G/atomics-O2" >> "$OUT/lanes.log" 2>&1
    code=$?
    set -e
    if [ "$code" != 0 ]; then verdict lanes 0 "atomics-O2: $LANES lanes on cuda" "kvrm exited $code (lanes.log)"
    else compare_lanes atomics-O2 "$work/atomics-cuda" "$work/atomics-cpu" 1; fi
else
    verdict lanes 0 "atomics-O2 lanes" "not copied"
fi
if [ -z "$LANE_GUESTS" ]; then
    : # (GPU_SUITES_ONLY)
elif [ -f "$G/args_env-O2" ]; then
    set +e
    lanes_run args_env "$work/args-cpu" cpu "$LANES" -E "KVRM_TEST_A=lane-{lane}" "$G/args_env-O2" "a{lane}" "{lane}b" >> "$OUT/lanes.log" 2>&1
    set -e
    # One host thread, then the lanes split over 4 (each a kernel and GPU stream of its own).
    for threads in 1 4; do
        label="args_env-O2 {lane}, $threads host thread(s)"
        set +e
        lanes_run "args_env$threads" "$work/args-cuda$threads" "$BACKEND" "$LANES" --host-threads "$threads" \
            -E "KVRM_TEST_A=lane-{lane}" "$G/args_env-O2" "a{lane}" "{lane}b" >> "$OUT/lanes.log" 2>&1
        code=$?
        set -e
        # args_env exits with its argc (3), so kvrm's own status is 1 on both.
        if [ "$code" != 1 ]; then verdict lanes 0 "$label: $LANES lanes on $BACKEND" "kvrm exited $code (lanes.log)"
        else compare_lanes "$label" "$work/args-cuda$threads" "$work/args-cpu" 0; fi
    done
else
    verdict lanes 0 "args_env-O2 lanes" "not copied"
fi

# --- the conformance suites with --backend $BACKEND ------------------------------------
# tests/guest and tests/busybox as `scripts/test.sh` runs them (every case: arguments, stdin,
# environment, files, --fs-root), through their own test executables, against the expected
# files recorded under qemu-aarch64. The binaries carried in $bin/suite go where the
# executables look for them in this checkout. GPU_SUITES=0 skips them; SUITE_JOBS (default 8)
# kvrm processes at once, SUITE_TIMEOUT (default 300) seconds each: the processes share the
# GPU, and programs of 10-25 M instructions (intmath, mallocs, net_threads) took over 150 s
# with 12-16 at once. Each item's verdict goes to suites.log as it ends; the guest suite (245
# items) takes longer than one 10-minute call, so run it in parts: KVRM_GUEST_SHARD=1/3, 2/3,
# 3/3 (with KVRM_GUEST_FILTER, of the items kept; busybox is sliced alike), about 150-200 s
# each with SUITE_JOBS=12.
if [ "${GPU_SUITES:-1}" = 1 ] && [ -d "$bin/suite" ]; then
    mkdir -p tests/guest/build tests/busybox/build
    cp -n "$bin"/suite/guest-build/* tests/guest/build/
    if [ -f "$bin/suite/busybox" ]; then cp "$bin/suite/busybox" tests/busybox/build/; fi
    # The executables run kvrm with a clean environment: this wrapper gives kvrm what it
    # needs (the CUDA libraries, the kernel cache) and keeps them, and the PWD the shell
    # exports, from the guest.
    cat > "$work/kvrm-suite" <<EOF
#!/bin/sh
sub=\$1; shift
exec env -u PWD LD_LIBRARY_PATH="$LD_LIBRARY_PATH" KVRM_CUDA_CACHE="$KVRM_CUDA_CACHE" "$KVRM" "\$sub" -U LD_LIBRARY_PATH -U KVRM_CUDA_CACHE "\$@"
EOF
    chmod +x "$work/kvrm-suite"
    for t in "busybox busybox_applets" "guest_programs guest_programs"; do
        set -- $t
        exe=$bin/suite-$1
        [ -x "$exe" ] || { verdict suites 0 "suite $1" "its test executable was not copied"; continue; }
        echo "== $1 with --backend $BACKEND" >> "$OUT/suites.log"
        if env KVRM_REPO_ROOT="$root" KVRM_TEST_RUNNER="$work/kvrm-suite" KVRM_TEST_BACKEND="$BACKEND" \
            KVRM_GUEST_PROGRESS=1 \
            KVRM_DYN_SYSROOT="$bin/suite/sysroot" KVRM_TEST_JOBS="${SUITE_JOBS:-8}" \
            KVRM_GUEST_TIMEOUT="${SUITE_TIMEOUT:-300}" KVRM_COUNTS_FILE="$work/counts.txt" \
            "$exe" --exact "$2" --nocapture >> "$OUT/suites.log" 2>&1; then
            verdict suites 1 "suite $1 ($BACKEND): $(tail -1 "$work/counts.txt" 2>/dev/null)"
        else
            verdict suites 0 "suite $1 ($BACKEND)" "$(tail -1 "$work/counts.txt" 2>/dev/null); suites.log"
        fi
    done
fi
rm -rf "$work" "$OUT/ptx-cache"
echo "gpu-check: $passed passed, $failed failed" | tee -a "$OUT/lanes.log"
exit $status
