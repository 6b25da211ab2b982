#!/usr/bin/env bash
# The Python package's tests, as a user gets the package: build the wheel
# (maturin build --release), install it into a fresh virtualenv, run pytest
# (python/tests) against the installed copy. Prints pytest's summary line and
# exits non-zero when a test fails or none ran.
#   KVRM_PY_VENV=DIR   where to make the virtualenv (default target/py-venv)
#   KVRM_PY_PROFILE=P  the Cargo profile of the wheel (default release; test.sh uses ci)
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=$(realpath -m "${KVRM_PY_VENV:-target/py-venv}")
WHEELS=$PWD/target/py-wheels

rm -rf "$VENV" "$WHEELS"
if ! python3 -m venv "$VENV" 2>/dev/null; then
    # Debian splits venv (ensurepip) out of python3.
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get update -qq && apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$VENV"
        python3 -m venv "$VENV"
    else
        echo "test-python: python3 -m venv failed (apt-get install python3-venv)" >&2
        exit 1
    fi
fi
PY="$VENV/bin/python"
"$PY" -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" numpy pytest tqdm mypy

echo "test-python: building the wheel" >&2
(cd python && "$VENV/bin/maturin" build --profile "${KVRM_PY_PROFILE:-release}" --quiet --interpreter "$PY" --out "$WHEELS")
"$PY" -m pip install -q --disable-pip-version-check "$WHEELS"/kvrm-*.whl

# Run from a folder where python/kvrm (the source tree) cannot shadow the
# installed package.
cd python/tests
"$PY" -c 'import kvrm, sys; print("test-python: kvrm from", kvrm.__file__, "on", sys.version.split()[0], file=sys.stderr)'
"$PY" -m pytest -p no:cacheprovider -q .
