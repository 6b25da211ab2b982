"""Breakpoints, watchpoints and the trace."""
import pytest

import kvrm
from conftest import LOADS, LOOP, LOOP_SUM, loaded


def test_breakpoint_stops_before_the_instruction_and_resumes():
    m = loaded(LOOP)
    m.set_breakpoint(0x10)  # str x0, [x2]
    r = m.execute(1000)
    assert (r.stop_reason, r.final_pc, r.cycles_executed) == ("breakpoint", 0x10, 4)
    assert m.read_memory(0x10000, 8) == bytes(8), "the str has not run"
    r = m.execute(1000)
    assert (r.stop_reason, r.cycles_executed) == ("breakpoint", 4), "one loop iteration later"
    assert m.breakpoints == [0x10]
    m.clear_breakpoint(0x10)
    assert m.breakpoints == []
    r = m.execute(100_000_000)
    assert r.stop_reason == "halted"
    assert m.get_register(0) == LOOP_SUM
    with pytest.raises(KeyError):
        m.clear_breakpoint(0x10)


def test_breakpoint_in_background_run():
    m = loaded(LOOP)
    m.set_breakpoint(0x18)  # b.ne
    m.start(max_cycles=100_000_000)
    r = m.wait()
    assert (r.stop_reason, r.final_pc, r.cycles_executed) == ("breakpoint", 0x18, 6)


def test_write_watchpoint():
    m = loaded(LOOP)
    m.set_watchpoint(0x10000, 8, "write")
    r = m.execute(1000)
    assert (r.stop_reason, r.watch_addr) == ("watchpoint", 0x10000)
    assert r.final_pc == 0x14, "stops after the store"
    assert m.read_memory(0x10000, 8) != bytes(8)
    assert m.watchpoints == [(0x10000, 8, "write")]
    assert m.regions() == [(0, 16 * 1024 * 1024, "rwx")], "real permissions are back"
    m.clear_watchpoint(0x10000)
    assert m.execute(100_000_000).stop_reason == "halted"
    with pytest.raises(KeyError):
        m.clear_watchpoint(0x10000)


def test_read_watchpoint_ignores_neighbours_on_the_page():
    m = loaded(LOADS)
    m.write_memory(0x10010, (99).to_bytes(8, "little"))
    m.set_watchpoint(0x10010, 8, "read")
    r = m.execute(100)
    # ldr [x2,#8] is 8 bytes before (counted: accesses are not decoded),
    # so the first stop is there; [x2,#64] is a neighbour on the page.
    assert (r.stop_reason, r.final_pc) == ("watchpoint", 0x8)
    r = m.execute(100)
    assert (r.stop_reason, r.final_pc) == ("watchpoint", 0x14)
    assert m.get_register(5) == 99 and m.get_register(4) == 0
    assert m.execute(100).stop_reason == "halted"


def test_access_watchpoint_and_kinds():
    m = loaded(LOADS)
    m.set_watchpoint(0x10040, 8, "access")
    r = m.execute(100)
    assert (r.stop_reason, r.final_pc) == ("watchpoint", 0x10)
    m2 = loaded(LOADS)
    m2.set_watchpoint(0x10040, 8, "write")
    assert m2.execute(100).stop_reason == "halted", "loads do not trip a write watchpoint"
    with pytest.raises(ValueError):
        m.set_watchpoint(0, 8, "exec")
    with pytest.raises(ValueError):
        m.set_watchpoint(0, 0)


def test_a_real_permission_fault_on_a_watched_page_still_faults():
    m = loaded(LOADS)
    m.protect(0x10000, 0x1000, "---")
    m.set_watchpoint(0x10010, 8, "read")
    with pytest.raises(kvrm.GuestFault) as e:
        m.execute(100)
    assert e.value.kind == "permission"


def test_trace_records_pc_encoding_disassembly_and_registers():
    m = loaded(LOOP)
    m.enable_trace(100)
    m.execute(6)
    t = m.read_trace()
    assert [e.pc for e in t] == [0x0, 0x4, 0x8, 0xC, 0x10, 0x14]
    assert t[1].encoding == 0xD2A005A1
    assert t[1].disassembly == "mov x1, #0x2d0000"
    assert t[1].registers == {"x1": 0x2D0000}
    assert t[3].disassembly == "add x0, x0, x1" and t[3].registers == {"x0": 0x2D0000}
    assert t[4].registers == {}, "a store writes no register"
    assert set(t[5].registers) == {"x1", "nzcv"}
    assert "TraceEntry(pc=0x14" in repr(t[5])
    assert m.read_trace() == [], "reading empties the record"


def test_trace_keeps_the_last_n():
    m = loaded(LOOP)
    m.enable_trace(3)
    r = m.execute(1000)
    assert r.cycles_executed == 1000
    t = m.read_trace()
    # Instruction i >= 3 is at 0xc + 4 * ((i - 3) % 4); the last is i = 999.
    assert [e.pc for e in t] == [0x14, 0x18, 0xC]
    m.enable_trace(0)
    m.set_pc(0)
    m.execute(5)
    assert m.read_trace() == []


def test_disassemble():
    assert kvrm.disassemble(0x91000421) == "add x1, x1, #0x1"
    assert kvrm.disassemble(0xD4200000).startswith("brk")


def test_trace_names_vector_and_flag_registers():
    from conftest import VECTORS

    m = loaded(VECTORS)
    m.set_register(0, 5)
    m.enable_trace(10)
    m.execute(10)
    t = m.read_trace()
    assert [e.disassembly.split()[0] for e in t] == ["movi", "fmov"]
    assert t[0].registers == {"v1": 0xFF00FF00FF00FF00FF00FF00FF00FF00}
    assert t[1].registers == {"v2": 5}


def test_watchpoint_in_a_background_run():
    m = loaded(LOOP)
    m.set_watchpoint(0x10000, 8, "write")
    m.start(max_cycles=100_000_000)
    r = m.wait()
    assert (r.stop_reason, r.final_pc, r.cycles_executed) == ("watchpoint", 0x14, 5)


def test_a_huge_watchpoint_costs_only_its_mapped_pages():
    m = loaded(LOOP)
    m.set_watchpoint(0x10000, 1 << 60, "write")
    r = m.execute(1000)
    assert (r.stop_reason, r.final_pc) == ("watchpoint", 0x14)
