#!/usr/bin/env bash
# The project's test command (README): installs what the tests need when it can,
# builds the guest programs, fetches busybox, then runs the whole Rust test suite.
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

shift_args=()
if [ "${1:-}" = "--" ]; then shift; shift_args=("$@"); fi
cargo test --release "${shift_args[@]}"
