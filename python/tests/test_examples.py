"""The examples under examples/python run as programs."""
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "python"
SUM = 2_949_120 * 2_949_121 // 2


def run(name):
    p = subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True, text=True, timeout=300,
    )
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_seed_standard():
    out = run("seed_standard.py")
    assert "Total: 11,796,483 @" in out and "(halted)" in out
    assert f"x0 = {SUM}, regs[0] = {SUM}, memory[0x10000] = {SUM}" in out


def test_seed_continuous():
    out = run("seed_continuous.py")
    assert "continuous: 11,796,483 in 2 batches (halted)" in out
    assert "mega: 11,796,483 @" in out


def test_seed_async():
    out = run("seed_async.py").splitlines()
    progress = [int(l.split()[1].replace(",", "")) for l in out if l.startswith("Progress: ")]
    assert progress and progress == sorted(progress)
    assert out[-1].startswith("Total: 11,796,483 @") and out[-1].endswith(" IPS")


def test_progress_bar():
    pytest.importorskip("tqdm")
    out = run("progress.py")
    assert "halted: 67,108,867 instructions @" in out


def test_linux_example():
    out = run("linux.py").splitlines()
    assert out[0].startswith("exit 0: Hello, Python! (6 letters; H(10) = 2.928968)")
    assert out[1:] == [
        f"lane {i}: exit 0: Hello, lane {i}! (6 letters; H(10) = 2.928968)" for i in range(4)
    ]
