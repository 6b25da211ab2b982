"""The syscall hook."""
import pytest

import kvrm
from conftest import SYSCALLS, loaded


def test_hook_result_goes_to_x0_and_execution_continues():
    m = loaded(SYSCALLS)
    m.write_memory(0x2000, b"hello")
    calls = []

    def hook(number, args):
        calls.append((number, args))
        if number == 64:  # write(fd, buf, len): the hook can read guest memory
            fd, buf, n = args[:3]
            assert m.read_memory(buf, n) == b"hello"
            return n
        return None

    assert m.on_syscall(hook) is hook
    r = m.execute(100)
    assert calls[0] == (64, (1, 0x2000, 5, 0, 0, 0))
    assert m.get_register(3) == 5, "x0 from the hook, moved to x3 by the guest"
    assert (r.stop_reason, r.syscall_number) == ("syscall", 93), "None hands exit to the caller"
    assert r.final_pc == 0x20, "pc is after the SVC"


def test_without_a_hook_svc_stops_the_run():
    m = loaded(SYSCALLS)
    r = m.execute(100)
    assert (r.stop_reason, r.syscall_number, r.final_pc) == ("syscall", 64, 0x14)
    m.on_syscall(lambda n, a: 0)
    m.on_syscall(None)
    assert m.execute(100).syscall_number == 93


def test_negative_return_is_twos_complement():
    m = loaded(SYSCALLS)
    m.on_syscall(lambda n, a: -14 if n == 64 else None)
    m.execute(100)
    assert m.get_register(3) == 2**64 - 14


def test_hook_exception_propagates():
    m = loaded(SYSCALLS)

    def hook(number, args):
        raise RuntimeError("no such syscall")

    m.on_syscall(hook)
    with pytest.raises(RuntimeError, match="no such syscall"):
        m.execute(100)
    assert m.pc == 0x14


def test_bad_hook_return_is_a_type_error():
    m = loaded(SYSCALLS)
    m.on_syscall(lambda n, a: "five")
    with pytest.raises(TypeError, match="int"):
        m.execute(100)
    with pytest.raises(TypeError):
        m.on_syscall(42)


def test_hook_in_a_background_run():
    m = loaded(SYSCALLS)
    seen = []
    m.on_syscall(lambda n, a: seen.append(n) or (7 if n == 64 else None))
    m.start(max_cycles=100)
    r = m.wait()
    assert seen == [64, 93]
    assert (r.stop_reason, m.get_register(3)) == ("syscall", 7)


def test_a_hook_that_closes_over_its_machine_is_collected():
    import gc
    import weakref

    m = loaded(SYSCALLS)
    m.on_syscall(lambda n, a: m.get_register(0))
    ref = weakref.ref(m)
    del m
    gc.collect()
    assert ref() is None
