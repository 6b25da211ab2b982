#!/usr/bin/env bash
# Regenerate tests/guest/expected/ by running every guest case under qemu-aarch64 (each twice:
# nondeterministic output is an error). Builds the programs first.
#   scripts/record-guest-expected.sh            rewrite all expected files
#   scripts/record-guest-expected.sh --check    compare with the committed files only
set -euo pipefail
cd "$(dirname "$0")/.."
command -v qemu-aarch64 >/dev/null || { echo "qemu-aarch64 not found (apt-get install qemu-user)" >&2; exit 1; }
scripts/build-guests.sh
exec python3 tests/guest/record.py guest "$@"
