"""Linux programs: kvrm.run, kvrm.run_lanes, Machine.load_elf / run_elf."""
from pathlib import Path

import pytest

import kvrm
from conftest import CAT_ELF, CRASH_ELF, ENV_ELF, SPIN_ELF

HELLO = Path(__file__).resolve().parents[2] / "examples" / "hello" / "hello-glibc"


@pytest.fixture
def elf(tmp_path):
    def write(name, data):
        p = tmp_path / name
        p.write_bytes(data)
        p.chmod(0o755)
        return p
    return write


def test_run_captures_stdout_stderr_and_exit_code(elf):
    r = kvrm.run(elf("cat", CAT_ELF), stdin=b"hello, guest\n")
    assert (r.exit_code, r.end, r.signal) == (7, "exited", None)
    assert r.stdout == b"hello, guest\n"
    assert r.stderr == b"err\n"
    assert r.instructions > 10 and r.ips > 0 and r.elapsed > 0
    assert "exit_code=7" in repr(r)


def test_run_feeds_large_stdin_without_deadlock(elf):
    data = bytes(range(256)) * 4096  # 1 MiB: more than any pipe holds
    r = kvrm.run(elf("cat", CAT_ELF), stdin=data)
    assert r.exit_code == 7 and r.stdout == data


def test_run_glibc_program_with_args():
    r = kvrm.run(HELLO, ["kvrm"])
    assert r.exit_code == 0
    assert r.stdout == b"Hello, kvrm! (4 letters; H(10) = 2.928968)\n"


def test_run_env(elf):
    r = kvrm.run(elf("env", ENV_ELF), env={"GREETING": "hi"})
    assert r.stdout == b"GREETING=hi"
    r = kvrm.run(elf("env", ENV_ELF), env={})
    assert (r.stdout, r.exit_code) == (b"", 0)


def test_killed_by_a_signal_is_a_negative_exit_code(elf):
    r = kvrm.run(elf("crash", CRASH_ELF))
    assert (r.exit_code, r.end, r.signal) == (-11, "signaled", 11)
    assert "fault" in r.detail


def test_cycle_limit(elf):
    r = kvrm.run(elf("spin", SPIN_ELF), max_cycles=100_000)
    assert (r.exit_code, r.end, r.instructions) == (None, "cycle_limit", 100_000)


def test_run_errors(elf, tmp_path):
    with pytest.raises(FileNotFoundError):
        kvrm.run(tmp_path / "missing")
    with pytest.raises(kvrm.BadElf):
        kvrm.run(elf("text", b"#!/bin/sh\necho hi\n"))
    if "cuda" not in kvrm.available_backends():
        with pytest.raises(kvrm.BackendUnavailable, match="cuda"):
            kvrm.run(HELLO, backend="cuda")


def test_run_lanes_with_per_lane_args_and_stdin(elf):
    rs = kvrm.run_lanes(HELLO, 3, args=lambda i: [f"lane{i}"])
    assert [r.stdout for r in rs] == [
        f"Hello, lane{i}! (5 letters; H(10) = 2.928968)\n".encode() for i in range(3)
    ]
    rs = kvrm.run_lanes(HELLO, 2, args=[["a"], ["bb"]])
    assert [r.stdout.split(b"!")[0] for r in rs] == [b"Hello, a", b"Hello, bb"]
    rs = kvrm.run_lanes(elf("cat", CAT_ELF), 4, stdin=lambda i: b"x" * i)
    assert [r.stdout for r in rs] == [b"", b"x", b"xx", b"xxx"]
    assert all(r.exit_code == 7 for r in rs)
    rs = kvrm.run_lanes(elf("cat", CAT_ELF), 2, stdin=[b"p", "q"])
    assert [r.stdout for r in rs] == [b"p", b"q"]
    rs = kvrm.run_lanes(HELLO, 2, args=["same"])
    assert {r.stdout for r in rs} == {b"Hello, same! (4 letters; H(10) = 2.928968)\n"}
    assert kvrm.run_lanes(HELLO, 0) == []
    with pytest.raises(ValueError):
        kvrm.run_lanes(HELLO, 3, args=[["a"], ["b"]])


def test_lanes_are_independent_when_one_crashes(elf, tmp_path):
    crash = elf("crash", CRASH_ELF)
    rs = kvrm.run_lanes(crash, 2)
    assert [r.exit_code for r in rs] == [-11, -11]


def test_load_elf_into_a_machine_and_drive_it(elf):
    m = kvrm.Machine(memory_size=0)
    entry = m.load_elf(elf("cat", CAT_ELF), args=["x"])
    assert entry == 0x400078 == m.pc
    assert m.sp != 0 and m.read_memory(m.sp, 8) == (2).to_bytes(8, "little"), "argc"
    written = []

    def syscalls(number, args):
        if number == 63:  # read: end of file
            return 0
        if number == 64:  # write
            written.append((args[0], m.read_memory(args[1], args[2])))
            return args[2]
        return None  # exit_group: hand back

    m.on_syscall(syscalls)
    r = m.execute(10_000)
    assert (r.stop_reason, r.syscall_number, m.get_register(0)) == ("syscall", 94, 7)
    assert written == [(2, b"err\n")]


def test_load_elf_is_refused_while_views_exist(elf):
    m = kvrm.Machine()
    view = m.memory_view(0, 16)
    with pytest.raises(kvrm.KvrmError, match="views"):
        m.load_elf(elf("cat", CAT_ELF))
    del view
    regs = m.registers_view()
    with pytest.raises(kvrm.KvrmError, match="views"):
        m.load_elf(elf("cat", CAT_ELF))
    del regs
    m.load_elf(elf("cat", CAT_ELF))
    with pytest.raises(kvrm.BadElf):
        m.load_elf(elf("text", b"not an elf"))


def test_run_elf_names():
    assert kvrm.run_elf is kvrm.run
    r = kvrm.Machine().run_elf(HELLO, ["m"])
    assert r.stdout.startswith(b"Hello, m!")


def test_python_keeps_its_ctrl_c_after_a_run(elf):
    import os
    import signal
    import time

    kvrm.run(elf("cat", CAT_ELF))
    with pytest.raises(KeyboardInterrupt):
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(2)


def test_run_releases_the_gil(elf):
    import threading

    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=counter)
    t.start()
    try:
        r = kvrm.run(elf("spin", SPIN_ELF), max_cycles=30_000_000)
    finally:
        stop.set()
        t.join()
    assert r.end == "cycle_limit"
    assert count[0] > 10_000, f"only {count[0]} Python iterations ran during run()"


def test_run_on_the_jit():
    r = kvrm.run(HELLO, ["kvrm"], engine="jit")
    assert r.exit_code == 0 and r.stdout == kvrm.run(HELLO, ["kvrm"]).stdout


def test_start_runs_in_the_background(elf):
    import signal
    import time

    python_handler = signal.getsignal(signal.SIGINT)
    budget = 1_000_000_000
    p = kvrm.start(elf("spin", SPIN_ELF), max_cycles=budget)
    # Returned before the guest's billion instructions could be done.
    assert p.is_running()
    seen = [p.poll()]
    while p.is_running():
        seen.append(p.poll())
        time.sleep(0.001)
    assert seen == sorted(seen), "progress went backwards"
    assert max(seen) <= budget
    # Python's own Ctrl-C handler was put back while the guest ran.
    assert signal.getsignal(signal.SIGINT) is python_handler
    r = p.wait()
    assert (r.end, r.instructions) == ("cycle_limit", budget)
    assert p.poll() == budget and not p.is_running()
    assert p.wait() is r  # later calls return the same result
    assert "done" in repr(p)


def test_start_feeds_stdin_and_collects_output(elf):
    p = kvrm.start(elf("cat", CAT_ELF), stdin=b"in the background\n")
    r = p.wait()
    assert (r.exit_code, r.stdout, r.stderr) == (7, b"in the background\n", b"err\n")


def test_start_reports_a_missing_program_at_wait(tmp_path):
    p = kvrm.start(tmp_path / "missing")
    for _ in range(2):
        with pytest.raises(FileNotFoundError):
            p.wait()
