"""Zero-copy NumPy views of guest memory and registers, both directions."""
import gc
import struct

import numpy as np
import pytest

import kvrm
from conftest import LOOP, LOOP_SUM, MOVZ_X0_7, SMALL, loaded


def test_memory_view_sees_guest_stores():
    m = loaded(LOOP)
    view = m.memory_view(0x10000, 8)
    assert view.dtype == np.uint8 and view.shape == (8,)
    assert not view.flags.owndata, "a view, not a copy"
    m.execute(100_000_000)
    assert view.view("<u8")[0] == LOOP_SUM


def test_guest_sees_writes_through_the_view():
    m = kvrm.Machine()
    view = m.memory_view()  # all 16 MiB
    assert view.size == kvrm.DEFAULT_MEMORY_SIZE
    view[0x5000:0x5008] = np.frombuffer(struct.pack("<Q", 0xDEADBEEF), np.uint8)
    assert m.read_memory(0x5000, 8) == struct.pack("<Q", 0xDEADBEEF)
    m.write_memory(0x6000, b"\x01\x02")
    assert list(view[0x6000:0x6002]) == [1, 2]


def test_code_written_through_the_view_runs():
    m = loaded(SMALL)
    m.execute(10)
    assert m.get_register(0) == 6
    code = m.memory_view(0, 12).view("<u4")
    code[0] = MOVZ_X0_7  # movz x0, #7 over movz x0, #5, after it was decoded
    m.set_pc(0)
    m.execute(10)
    assert m.get_register(0) == 8


def test_two_views_alias_one_memory():
    m = kvrm.Machine()
    a = m.memory_view(0x1000, 0x100)
    b = m.memory_view(0x1080, 0x10)
    a[0x80] = 42
    assert b[0] == 42
    assert np.shares_memory(a, b)


def test_registers_view_both_directions():
    m = loaded(SMALL)
    regs = m.registers_view()
    assert regs.dtype == np.uint64 and regs.shape == (31,)
    regs[9] = 1234
    assert m.get_register(9) == 1234
    m.execute(10)
    assert regs[0] == 6
    m.set_register(30, 77)
    assert regs[30] == 77


def test_views_keep_memory_alive_after_the_machine_goes():
    m = kvrm.Machine()
    m.write_memory(0x100, b"kept")
    view = m.memory_view(0x100, 4)
    regs = m.registers_view()
    m.set_register(1, 5)
    del m
    gc.collect()
    assert bytes(view) == b"kept"
    assert regs[1] == 5
    view[0] = ord("K")  # still valid memory, no longer any machine's
    assert bytes(view) == b"Kept"


def test_unmapped_range_reads_zero_and_cannot_be_viewed():
    m = kvrm.Machine()
    view = m.memory_view(0x3000, 0x10)
    view[:] = 7
    m.unmap(0x3000, 0x1000)
    assert not view.any(), "an unmapped page's contents are gone (zeroed), not freed"
    with pytest.raises(ValueError, match="not fully mapped"):
        m.memory_view(0x3000, 0x10)
    m.map(0x3000, 0x1000, "rw-")
    assert m.read_memory(0x3000, 4) == bytes(4)


def test_view_outside_contiguous_memory_is_refused():
    m = kvrm.Machine()
    with pytest.raises(ValueError, match="outside"):
        m.memory_view(0xFFFFF0, 0x20)
    with pytest.raises(ValueError):
        m.memory_view(0, 0)
    bare = kvrm.Machine(memory_size=0)
    bare.map(0, 0x1000)
    with pytest.raises(kvrm.KvrmError, match="not contiguous"):
        bare.memory_view(0, 0x10)
