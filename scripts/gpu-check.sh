#!/usr/bin/env bash
# The CUDA backend's check on the GPU machine (see /work/shared/GPU.md, "The loop").
#
#   scripts/gpu-check.sh            here: build the GPU tests and the benchmark into .gpu/
#   bash .gpu/gpu-check.sh --run    there (the `run` tool, carry [".gpu"]): run them,
#                                   logs to $OUT (tests.log, bench.log, device.txt)
#
# Environment there: KVRM_ORACLE_FILTER narrows the oracle replay; BENCH_LANES
# overrides the benchmark's lane counts.
set -euo pipefail

if [ "${1:-}" != "--run" ]; then
    cd "$(dirname "$0")/.."
    grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> "$(git rev-parse --git-path info/exclude)"
    rm -rf .gpu && mkdir -p .gpu
    cargo build --release -p kvrm-cuda --examples
    cp target/release/examples/cuda_bench .gpu/
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
            shutil.copy(m["executable"], ".gpu/" + name)
            print("copied", name)
'
    cp scripts/gpu-check.sh .gpu/
    du -sh .gpu
    echo 'now run there: bash .gpu/gpu-check.sh --run   (run tool, carry [".gpu"])'
    exit 0
fi

OUT=${OUT:-/tmp/kvrm-gpu-out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
export KVRM_ORACLE_CASES=$PWD/tests/oracle/cases
export KVRM_CUDA_CACHE=$OUT/ptx-cache
{ nvidia-smi || true; uname -a; } > "$OUT/device.txt" 2>&1
status=0
run() { # NAME COMMAND...: run it, log to $OUT/NAME.log, remember a failure
    local name=$1; shift
    "$@" > >(tee -a "$OUT/$name.log") 2>&1 || status=1
}
run tests echo "== unit tests"
run tests .gpu/kvrm-cuda-unit --test-threads=1
run tests echo "== GPU tests"
run tests .gpu/kvrm-cuda-gpu --test-threads=1 --nocapture
# shellcheck disable=SC2086
run bench timeout 240 .gpu/cuda_bench ${BENCH_LANES:-}
rm -rf "$OUT/ptx-cache"
exit $status
