#!/usr/bin/env bash
# The project's test command (README): installs what the tests need when it can,
# builds the guest programs, fetches busybox, then runs the whole Rust test suite.
# It ends with one line per suite and, last, the total, each as
# `NAME: N passed, N failed, N skipped`; the exit status is non-zero if anything failed.
#
#   scripts/test.sh            everything
#   scripts/test.sh -- ARGS    extra arguments for `cargo test`
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v aarch64-linux-gnu-gcc >/dev/null || need_apt+=(gcc-aarch64-linux-gnu)
command -v qemu-aarch64 >/dev/null || need_apt+=(qemu-user)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test.sh: installing ${need_apt[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
  else
    echo "test.sh: missing ${need_apt[*]} (install them as root); guest-program tests will be skipped"
  fi
fi

if command -v aarch64-linux-gnu-gcc >/dev/null; then
  if [ -x scripts/build-guests.sh ]; then scripts/build-guests.sh; fi
  if [ -x scripts/fetch-busybox.sh ]; then scripts/fetch-busybox.sh || echo "test.sh: busybox not fetched; its tests will be skipped"; fi
  export KVRM_REQUIRE_GUESTS="${KVRM_REQUIRE_GUESTS:-1}"
fi
# The Go programs (installs golang-go when root); without go their test skips.
if [ -x scripts/build-go.sh ]; then
  scripts/build-go.sh || echo "test.sh: Go programs not built; their test will be skipped"
fi

shift_args=()
if [ "${1:-}" = "--" ]; then shift; shift_args=("$@"); fi

# Suite tests append `SUITE PASSED FAILED SKIPPED` lines here (kvrm_testkit::counts);
# cargo's own `test result:` lines give the Rust test count.
mkdir -p target
export KVRM_COUNTS_FILE="$PWD/target/test-counts.txt"
: >"$KVRM_COUNTS_FILE"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# --no-fail-fast: every test binary runs, so every count is there.
set +e
# The `ci` profile (Cargo.toml): release optimisation without LTO, so it builds fast.
cargo test --profile "${KVRM_TEST_PROFILE:-ci}" --no-fail-fast "${shift_args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

suite_line() { # SUITE LABEL
  awk -v s="$1" -v label="$2" '$1 == s { p += $2; f += $3; k += $4 }
    END { printf "%s: %d passed, %d failed, %d skipped\n", label, p, f, k }' "$KVRM_COUNTS_FILE"
}
# A test binary that dies without its `test result:` line (a crash) counts as one failure.
rust_line() {
  awk '/^ *(Running|Doc-tests) / { started++ }
    /^test result: / { results++
      for (i = 1; i < NF; i++) {
        if ($(i + 1) ~ /^passed/) p += $i
        if ($(i + 1) ~ /^failed/) f += $i
        if ($(i + 1) ~ /^ignored/) k += $i
      } }
    END { if (started > results) f += started - results
      printf "rust tests: %d passed, %d failed, %d skipped\n", p, f, k }' "$log"
}
# The Python package: build the wheel, install it in a fresh virtualenv, pytest
# (KVRM_SKIP_PYTHON=1 skips it). pytest's last line gives its counts.
pylog=$(mktemp)
trap 'rm -f "$log" "$pylog"' EXIT
py_status=0
if [ "${KVRM_SKIP_PYTHON:-0}" != 1 ] && command -v python3 >/dev/null; then
  set +e
  KVRM_PY_PROFILE="${KVRM_PY_PROFILE:-${KVRM_TEST_PROFILE:-ci}}" scripts/test-python.sh 2>&1 | tee "$pylog"
  py_status=${PIPESTATUS[0]}
  set -e
fi
python_line() {
  awk 'BEGIN { p = 0; f = 0; k = 0 }
    / (passed|failed|error|errors|skipped)( |,|$)/ {
      p = 0; f = 0; k = 0
      for (i = 1; i < NF; i++) {
        if ($(i + 1) ~ /^passed/) p = $i
        if ($(i + 1) ~ /^(failed|error|errors)/) f += $i
        if ($(i + 1) ~ /^skipped/) k = $i
      } }
    END { printf "python tests: %d passed, %d failed, %d skipped\n", p, f, k }' "$pylog"
}
# Labels hold no ':' or ',' (the total below splits on them).
summary=$(
  suite_line oracle "oracle cases"
  suite_line guest "guest runs"
  suite_line busybox "busybox runs"
  suite_line guest-interp "guest runs on the interpreter"
  suite_line busybox-interp "busybox runs on the interpreter"
  suite_line guest-jit "guest runs on the JIT compiling at 2 runs"
  suite_line busybox-jit "busybox runs on the JIT compiling at 2 runs"
  suite_line go "go runs"
  suite_line debian "debian runs"
  rust_line
  python_line
)
echo
[ "$status" = 0 ] || echo "test.sh: cargo test exited with status $status"
[ "$py_status" = 0 ] || echo "test.sh: the Python tests exited with status $py_status"
echo "$summary"
echo "$summary" | awk -F'[:,] *' '{ for (i = 2; i <= 4; i++) { split($i, w, " "); t[i] += w[1] } }
  END { printf "total: %d passed, %d failed, %d skipped\n", t[2], t[3], t[4] }'
failed=$(echo "$summary" | awk -F'[:,] *' '{ split($3, w, " "); f += w[1] } END { print f }')
[ "$status" = 0 ] && [ "$py_status" = 0 ] && [ "$failed" = 0 ]
