"""The run modes: standard, continuous, mega, step, and the async
start/poll/is_running/wait, with the GIL released while the guest runs."""
import os
import signal
import threading
import time

import pytest

import kvrm
from conftest import FAULT, LONG_LOOP, LONG_LOOP_INSNS, LOOP, LOOP_INSNS, LOOP_SUM, UDF, loaded, words


def test_execute_runs_to_brk():
    m = loaded(LOOP)
    r = m.execute(100_000_000)
    assert r.stop_reason == "halted"
    assert r.cycles_executed == LOOP_INSNS
    assert r.final_pc == 0x1C == m.pc
    assert r.ips > 0 and r.elapsed > 0
    assert m.get_register(0) == LOOP_SUM
    assert "halted" in repr(r)


def test_execute_stops_at_the_cycle_limit_and_resumes():
    m = loaded(LOOP)
    r = m.execute(1001)
    assert (r.stop_reason, r.cycles_executed) == ("cycle_limit", 1001)
    r = m.execute(100_000_000)
    assert r.cycles_executed == LOOP_INSNS - 1001
    assert m.get_register(0) == LOOP_SUM


def test_execute_continuous_counts_batches():
    m = loaded(LOOP, cycles_per_batch=1_000_000)
    r = m.execute_continuous(max_batches=5)
    assert (r.stop_reason, r.cycles_executed, r.batches) == ("cycle_limit", 5_000_000, 5)
    r = m.execute_continuous(max_batches=10, cycles_per_batch=2_000_000)
    assert r.stop_reason == "halted"
    assert r.cycles_executed == LOOP_INSNS - 5_000_000
    assert r.batches == 4


def test_execute_mega_is_one_dispatch():
    m = loaded(LOOP)
    r = m.execute_mega(total_cycles=100_000_000)
    assert (r.stop_reason, r.batches, r.cycles_executed) == ("halted", 1, LOOP_INSNS)


def test_step():
    m = loaded(LOOP)
    r = m.step()
    assert (r.cycles_executed, m.pc) == (1, 4)
    m.step(2)
    assert m.pc == 0xC and m.get_register(2) == 0x10000


def test_async_start_poll_wait():
    m = loaded(LONG_LOOP, cycles_per_batch=200_000)
    m.start(max_cycles=LONG_LOOP_INSNS + 10)
    seen = []
    while m.is_running():
        s = m.poll()
        assert isinstance(s.cycles_executed, int)
        seen.append(s.cycles_executed)
        time.sleep(0.005)
    r = m.wait()
    assert r.stop_reason == "halted"
    assert r.cycles_executed == LONG_LOOP_INSNS
    assert r.ips > 0
    assert seen == sorted(seen), "progress only grows"
    assert len(set(seen)) > 1, "progress was seen while running"
    final = m.poll()
    assert (final.is_running, final.cycles_executed) == (False, LONG_LOOP_INSNS)


def test_start_returns_at_once_and_poll_never_blocks():
    m = loaded(LONG_LOOP)
    m.start(max_cycles=LONG_LOOP_INSNS + 10)
    statuses = [m.poll() for _ in range(200)]
    # Had start() or poll() waited for the run, the guest would be done here.
    assert statuses[0].is_running and statuses[-1].is_running
    assert statuses[-1].cycles_executed < LONG_LOOP_INSNS
    r = m.wait()
    assert r.cycles_executed == LONG_LOOP_INSNS


def test_busy_machine_raises_instead_of_blocking():
    m = loaded(LONG_LOOP)
    m.start(max_cycles=LONG_LOOP_INSNS + 10)
    with pytest.raises(kvrm.MachineBusy):
        m.execute(10)
    with pytest.raises(kvrm.MachineBusy):
        m.start()
    with pytest.raises(kvrm.MachineBusy):
        m.get_register(0)
    assert "running" in repr(m)
    m.wait()
    assert m.get_register(0) > 0


def test_cancel_stops_a_background_run():
    m = loaded(LONG_LOOP, cycles_per_batch=100_000)
    m.start(max_cycles=10**12)
    deadline = time.monotonic() + 30
    while m.poll().cycles_executed == 0 and time.monotonic() < deadline:
        time.sleep(0.001)
    m.cancel()
    r = m.wait()
    assert r.stop_reason == "cancelled"
    assert 0 < r.cycles_executed < LONG_LOOP_INSNS


def test_wait_without_start_raises():
    with pytest.raises(kvrm.KvrmError, match="start"):
        kvrm.Machine().wait()


def test_wait_releases_the_gil():
    m = loaded(LONG_LOOP, cycles_per_batch=100_000)
    ticks = []
    stop = threading.Event()

    def ticker():
        while not stop.is_set():
            ticks.append(m.poll().cycles_executed)
            time.sleep(0.001)

    m.start(max_cycles=LONG_LOOP_INSNS + 10)
    t = threading.Thread(target=ticker)
    t.start()
    try:
        r = m.wait()
    finally:
        stop.set()
        t.join()
    during = [c for c in ticks if 0 < c < LONG_LOOP_INSNS]
    assert r.cycles_executed == LONG_LOOP_INSNS
    assert len(during) >= 3, f"the other thread ran only {len(ticks)} times during wait()"


def test_execute_releases_the_gil():
    m = loaded(LONG_LOOP)
    count = [0]
    stop = threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=counter)
    t.start()
    time.sleep(0.01)
    before = count[0]
    r = m.execute(LONG_LOOP_INSNS + 10)
    during = count[0] - before
    stop.set()
    t.join()
    assert r.elapsed > 0.05
    assert during > 10_000, f"only {during} Python iterations ran during execute()"


def test_fault_raises_guest_fault_with_details():
    m = loaded(FAULT)
    with pytest.raises(kvrm.GuestFault) as e:
        m.execute(10)
    err = e.value
    assert (err.pc, err.addr, err.access, err.kind) == (4, 0x40000000, "read", "unmapped")
    assert err.result.stop_reason == "fault" and err.result.cycles_executed == 1
    assert isinstance(err, kvrm.KvrmError)


def test_fault_in_background_run_raises_from_wait():
    m = loaded(FAULT)
    m.start(max_cycles=10)
    with pytest.raises(kvrm.GuestFault) as e:
        m.wait()
    assert e.value.addr == 0x40000000


def test_execute_fault_of_unmapped_pc():
    m = kvrm.Machine()
    m.set_pc(0x2000000)
    with pytest.raises(kvrm.GuestFault) as e:
        m.execute(1)
    assert (e.value.access, e.value.pc) == ("execute", 0x2000000)


def test_undefined_instruction():
    m = loaded(UDF, 0x100)
    with pytest.raises(kvrm.UndefinedInstruction) as e:
        m.execute(10)
    assert (e.value.pc, e.value.encoding) == (0x100, 0)
    assert e.value.result.stop_reason == "undefined"


# b .
SPIN = words(0x14000000)


def _interrupt_soon():
    t = threading.Timer(0.1, lambda: os.kill(os.getpid(), signal.SIGINT))
    t.start()
    return t


def test_ctrl_c_stops_execute():
    m = loaded(SPIN, cycles_per_batch=100_000)
    t = _interrupt_soon()
    with pytest.raises(KeyboardInterrupt):
        m.execute(10**15)
    t.join()
    assert m.poll().cycles_executed > 0 and m.pc == 0
    assert m.execute(10).cycles_executed == 10, "the machine is usable after"


def test_ctrl_c_interrupts_wait_not_the_run():
    m = loaded(SPIN, cycles_per_batch=100_000)
    m.start(max_cycles=10**15)
    t = _interrupt_soon()
    with pytest.raises(KeyboardInterrupt):
        m.wait()
    t.join()
    assert m.is_running()
    m.cancel()
    assert m.wait().stop_reason == "cancelled"


def test_engine_jit_gives_the_interpreters_results():
    results = []
    for engine in ("interp", "jit"):
        m = loaded(LONG_LOOP, engine=engine)
        assert m.engine == engine
        r = m.execute(LONG_LOOP_INSNS - 3)  # a budget that ends inside the loop
        results.append((r.stop_reason, r.cycles_executed, m.pc,
                        [m.get_register(i) for i in range(31)]))
    assert results[0] == results[1]
    with pytest.raises(ValueError):
        kvrm.Machine(engine="fast")
