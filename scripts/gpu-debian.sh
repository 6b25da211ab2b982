#!/usr/bin/env bash
# Stock Debian arm64 programs (dynamically linked: perl, xz, python3.11) with
# `kvrm run --backend cuda`, one at a time, against qemu-aarch64's output for the same
# command (issue "The CUDA backend": every program that runs on the CPU backend runs on
# the GPU with identical output). Inputs are small: one GPU lane's interpreter runs about
# 1 M instructions/s, and these take 24 M to 64 M.
#
#   scripts/gpu-debian.sh DIR       here: put a root with the three programs, their
#                                   libraries, python's standard library and the inputs
#                                   (from scripts/fetch-debian-arm64.sh's sysroot) into
#                                   DIR/debian, with qemu-aarch64's outputs; DIR is the
#                                   folder scripts/gpu-check.sh filled (it has kvrm)
#   bash DIR/debian/gpu-debian.sh --run
#                                   there: run them, logs to $OUT; one PASS/FAIL line each
#                                   and `gpu-debian: N passed, N failed`; status 0 only if
#                                   all passed
# Environment there: ENGINES (default "interp jit": each program on each), LIMIT (seconds
# per run, default 280), BACKEND (default cuda; cpu tries the script on a machine with no GPU).
set -euo pipefail

# name, then the command (a path under the root for the program).
CASES=(
    "perl|usr/bin/perl|-e|my %h; for my \$i (1..5000) { \$h{\"k\" . (\$i * 7919 % 100003)} = \$i } my @k = sort keys %h; print scalar(@k), \" \$k[0] \$k[-1] \", \$h{\$k[100]}, \"\\n\""
    "xz|usr/bin/xz|-c|-T1|/tmp/small.txt"
    "python|usr/bin/python3.11|-S|-B|/tmp/work.py"
)

# Split case $1 into NAME and ARGS (the program under ROOT).
split_case() {
    IFS='|' read -r -a parts <<< "$1"
    NAME=${parts[0]}
    ARGS=("$2/${parts[1]}" "${parts[@]:2}")
}

if [ "${1:-}" != "--run" ]; then
    cd "$(dirname "$0")/.."
    dest=${1:?usage: scripts/gpu-debian.sh DIR}/debian
    bash scripts/fetch-debian-arm64.sh
    sys=tests/debian/build/sysroot
    rm -rf "$dest" && mkdir -p "$dest/expected"
    root=$(mktemp -d)
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/usr/bin" "$root/usr/lib/aarch64-linux-gnu" "$root/etc" "$root/tmp"
    cp -a "$sys/lib" "$root/"
    cp -a "$sys/usr/lib/python3.11" "$root/usr/lib/"
    rm -rf "$root"/usr/lib/python3.11/{test,pydoc_data,idlelib,tkinter}
    cp -a "$sys/usr/lib/aarch64-linux-gnu/perl-base" "$root/usr/lib/aarch64-linux-gnu/"
    cp -a "$sys/etc/python3.11" "$root/etc/"
    cp -a "$sys/usr/bin/python3.11" "$sys/usr/bin/perl" "$sys/usr/bin/xz" "$root/usr/bin/"
    # Inputs: python's script, and 30 KB of text for xz.
    cat > "$root/tmp/work.py" <<'PY'
import json, hashlib, re, collections, random
rng = random.Random(7)
words = ["".join(rng.choice("abcdefghij") for _ in range(rng.randint(2, 7))) for _ in range(300)]
counts = collections.Counter(words)
text = " ".join(words)
nums = [int(m) for m in re.findall(r"\d+", "a1b22c333" * 20)]
print(json.dumps({"top": counts.most_common(5), "n": len(words), "sum": sum(nums)}, sort_keys=True))
print(hashlib.sha256(text.encode()).hexdigest())
print(sorted(set(len(w) for w in words)))
PY
    python3 - "$root/tmp/small.txt" <<'PY'
import random, sys
r = random.Random(3)
w = "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor".split()
text = "\n".join(" ".join(r.choice(w) for _ in range(12)) for _ in range(2500))
open(sys.argv[1], "w").write(text[:30000])
PY
    # Expected outputs: qemu-aarch64 on the same root.
    for c in "${CASES[@]}"; do
        split_case "$c" "$root"
        qemu-aarch64 -L "$root" "${ARGS[@]}" > "$dest/expected/$NAME"
    done
    tar -cf - -C "$root" . | xz -T0 > "$dest/root.txz"
    cp scripts/gpu-debian.sh "$dest/"
    echo "now run there: bash $dest/gpu-debian.sh --run"
    exit 0
fi

dir=$(cd "$(dirname "$0")" && pwd)
cd "$dir"
KVRM=$dir/../kvrm
OUT=${OUT:-/tmp/gpu-debian-out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
if [ -z "${KVRM_CUDA_CACHE:-}" ]; then
    export KVRM_CUDA_CACHE=/tmp/kvrm-kernel-cache
    mkdir -p "$KVRM_CUDA_CACHE"
    cp "$dir"/../kernel-cache/* "$KVRM_CUDA_CACHE"/ 2>/dev/null || true
fi
root=$(mktemp -d)
tar -xJf root.txz -C "$root"
passed=0
failed=0
for engine in ${ENGINES:-interp jit}; do
    for c in "${CASES[@]}"; do
        split_case "$c" "$root"
        log=$OUT/debian-$NAME-$engine
        t0=$(date +%s%N)
        rc=0
        timeout "${LIMIT:-280}" "$KVRM" run --backend "${BACKEND:-cuda}" --engine "$engine" --stats --quiet \
            -U LD_LIBRARY_PATH -U KVRM_CUDA_CACHE --fs-root "$root" "${ARGS[@]}" \
            > "$log.out" 2> "$log.err" || rc=$?
        secs=$((($(date +%s%N) - t0) / 1000000))
        summary=$(grep -h 'instructions in' "$log.err" || true)
        if [ "$rc" = 0 ] && cmp -s "$log.out" "expected/$NAME"; then
            echo "PASS $NAME --engine $engine: ${summary#kvrm: }, whole process $secs ms"
            passed=$((passed + 1))
        else
            echo "FAIL $NAME --engine $engine: status $rc, ${summary#kvrm: }, output in $log.out"
            failed=$((failed + 1))
        fi
    done
done
rm -rf "$root"
echo "gpu-debian: $passed passed, $failed failed"
[ "$failed" = 0 ]
