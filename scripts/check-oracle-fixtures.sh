#!/usr/bin/env bash
# Regenerates every oracle fixture from its spec with Unicorn and fails if any
# differs from the committed one: the expected values in tests/oracle/cases come
# from the oracle, and nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -c 'import unicorn' 2>/dev/null || python3 -m pip install -q unicorn==2.1.4
command -v aarch64-linux-gnu-as >/dev/null || { echo "check-oracle-fixtures: aarch64-linux-gnu-as missing"; exit 1; }
python3 tests/oracle/gen_cases.py -j "$(nproc)"
# Compare content (decompressed), so a different zlib build cannot cause a false alarm.
python3 - <<'PY'
import gzip, subprocess, sys
changed = subprocess.run(["git", "diff", "--name-only", "--", "tests/oracle/cases"],
                         capture_output=True, text=True, check=True).stdout.split()
bad = []
for path in changed:
    old = subprocess.run(["git", "show", f"HEAD:{path}"], capture_output=True, check=True).stdout
    if gzip.decompress(old) != gzip.decompress(open(path, "rb").read()):
        bad.append(path)
    else:
        subprocess.run(["git", "checkout", "--", path], check=True)
untracked = subprocess.run(["git", "ls-files", "--others", "--exclude-standard", "--", "tests/oracle/cases"],
                           capture_output=True, text=True, check=True).stdout.split()
if bad or untracked:
    print("check-oracle-fixtures: fixtures differ from what the oracle produces:", *(bad + untracked))
    sys.exit(1)
print("check-oracle-fixtures: all fixtures reproduced from the oracle")
PY
