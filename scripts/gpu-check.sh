#!/usr/bin/env bash
# The CUDA backend's check on the GPU machine (see /work/shared/GPU.md, "The loop").
#
#   scripts/gpu-check.sh [DIR]      here: build the GPU tests and the benchmark into
#                                   DIR (default .gpu/ of this checkout)
#   bash .gpu/gpu-check.sh --run    there (the `run` tool, carry [".gpu"]): run them,
#                                   logs to $OUT (tests.log, bench.log, device.txt)
#
# The `run` tool sends the checkout its session started in: from another
# worktree, pass DIR inside that checkout's ignored .gpu/ (e.g.
# /work/main/.gpu/cuda) and carry that path.
# Environment there: KVRM_ORACLE_FILTER narrows the oracle replay; BENCH_LANES
# overrides the benchmark's lane counts.
set -euo pipefail

if [ "${1:-}" != "--run" ]; then
    cd "$(dirname "$0")/.."
    exclude=$(git rev-parse --git-path info/exclude)
    grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"
    dest=${1:-.gpu}
    rm -rf "$dest" && mkdir -p "$dest"
    cargo build --release -p kvrm-cuda --examples
    cp target/release/examples/cuda_bench "$dest/"
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
    cp scripts/gpu-check.sh "$dest/"
    du -sh "$dest"
    echo "now run there: bash $dest/gpu-check.sh --run   (run tool, carry [\"$dest\"])"
    exit 0
fi

bin=$(cd "$(dirname "$0")" && pwd)
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
run tests "$bin/kvrm-cuda-unit" --test-threads=1
run tests echo "== GPU tests"
run tests "$bin/kvrm-cuda-gpu" --test-threads=1 --nocapture
# shellcheck disable=SC2086
run bench timeout 240 "$bin/cuda_bench" ${BENCH_LANES:-}
rm -rf "$OUT/ptx-cache"
exit $status
