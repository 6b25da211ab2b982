#!/usr/bin/env bash
# Regenerates every oracle fixture from its spec with Unicorn and fails if any
# differs from the committed one: the expected values in tests/oracle/cases come
# from the oracle, and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import unicorn' 2>/dev/null || python3 -m pip install -q unicorn==2.1.4
command -v aarch64-linux-gnu-as >/dev/null || { echo "check-oracle-fixtures: aarch64-linux-gnu-as missing"; exit 1; }
python3 tests/oracle/gen_cases.py -j "$(nproc)"
if ! git diff --quiet -- tests/oracle/cases; then
  echo "check-oracle-fixtures: fixtures differ from what the oracle produces:"
  git diff --stat -- tests/oracle/cases
  exit 1
fi
echo "check-oracle-fixtures: all fixtures reproduced from the oracle"
