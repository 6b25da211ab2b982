#!/usr/bin/env bash
# Regenerate tests/busybox/expected/ by running every busybox case under qemu-aarch64 (each
# twice: nondeterministic output is an error). Fetches busybox first.
#   scripts/record-busybox-expected.sh            rewrite all expected files
#   scripts/record-busybox-expected.sh --check    compare with the committed files only
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 not found (apt-get install qemu-user)" >&2; exit 1; }
scripts/fetch-busybox.sh
exec python3 tests/guest/record.py busybox "$@"
