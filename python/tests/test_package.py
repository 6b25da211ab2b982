"""The package: class roles, exceptions, typing files, help text."""
from pathlib import Path

import kvrm


def test_class_roles_are_one_class():
    assert kvrm.CPU is kvrm.ContinuousCPU is kvrm.AsyncCPU is kvrm.Machine
    assert isinstance(kvrm.AsyncCPU(), kvrm.Machine)


def test_exception_hierarchy():
    for name in ["BackendUnavailable", "GuestFault", "UndefinedInstruction",
                 "MemoryAccessError", "MappingError", "MachineBusy", "BadElf"]:
        cls = getattr(kvrm, name)
        assert issubclass(cls, kvrm.KvrmError), name
    assert issubclass(kvrm.KvrmError, Exception)


def test_typing_files_ship_with_the_package():
    pkg = Path(kvrm.__file__).parent
    assert (pkg / "py.typed").exists()
    stub = (pkg / "__init__.pyi").read_text()
    for name in kvrm.__all__:
        assert name in stub, name


def test_help_is_useful():
    doc = kvrm.CPU.__doc__
    assert "backend" in doc and "memory_size" in doc
    for method in ["execute", "execute_continuous", "execute_mega", "start", "poll", "wait",
                   "memory_view", "registers_view", "on_syscall", "set_watchpoint"]:
        assert getattr(kvrm.Machine, method).__doc__, method


def test_stub_matches_the_module():
    import subprocess
    import sys

    import pytest

    pytest.importorskip("mypy")
    allow = Path(__file__).with_name("stubtest-allowlist.txt")
    p = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "kvrm", "--allowlist", str(allow)],
        capture_output=True, text=True, timeout=600,
    )
    assert p.returncode == 0, p.stdout + p.stderr
