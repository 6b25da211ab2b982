"""Construction, backends, registers, memory and mappings."""
import pytest

import kvrm
from conftest import SMALL, VECTORS, loaded


def test_auto_backend_is_the_cpu_and_says_so():
    m = kvrm.Machine()
    assert m.backend == "cpu"
    assert kvrm.CPU(backend="auto").backend == "cpu"
    assert kvrm.available_backends()[0] == "cpu"


def test_cuda_backend_without_a_gpu_is_unavailable_with_a_reason():
    assert issubclass(kvrm.BackendUnavailable, kvrm.KvrmError)
    if "cuda" in kvrm.available_backends():
        pytest.skip("this machine has a usable GPU")
    with pytest.raises(kvrm.BackendUnavailable, match="backend 'cuda' is unavailable: no CUDA"):
        kvrm.Machine(backend="cuda")


def test_unknown_backend_is_a_value_error():
    with pytest.raises(ValueError, match="unknown backend"):
        kvrm.Machine(backend="metal")


def test_default_memory_is_16_mib_flat_rwx_at_zero(cpu):
    assert kvrm.DEFAULT_MEMORY_SIZE == 16 * 1024 * 1024
    assert cpu.regions() == [(0, 16 * 1024 * 1024, "rwx")]
    assert cpu.read_memory(0xFFFFF0, 16) == bytes(16)
    with pytest.raises(kvrm.MemoryAccessError) as e:
        cpu.read_memory(0xFFFFF8, 16)
    assert (e.value.addr, e.value.access, e.value.kind) == (0x1000000, "read", "unmapped")


def test_memory_size_zero_has_no_memory_until_mapped():
    m = kvrm.Machine(memory_size=0)
    assert m.regions() == []
    m.map(0x400000, 0x2000, "r-x")
    m.map(0x500000, 0x1000)
    assert m.regions() == [(0x400000, 0x402000, "r-x"), (0x500000, 0x501000, "rwx")]


def test_registers_by_number_and_name(cpu):
    cpu.set_register(3, 0x1234)
    assert cpu.get_register(3) == 0x1234
    assert cpu.get_register("x3") == 0x1234
    cpu.set_register("lr", 99)
    assert cpu.get_register(30) == 99
    cpu.set_register(31, 0x8000)
    assert cpu.sp == 0x8000 and cpu.get_register("sp") == 0x8000
    cpu.set_register(4, -1)
    assert cpu.get_register(4) == 2**64 - 1
    cpu.pc = 0x40
    assert cpu.get_register("pc") == 0x40
    cpu.set_pc(0x44)
    assert cpu.pc == 0x44
    cpu.nzcv = 0x6000_0000
    assert cpu.nzcv == 0x6000_0000
    cpu.fpcr = 1 << 24
    cpu.fpsr = 1
    assert (cpu.fpcr, cpu.fpsr) == (1 << 24, 1)
    assert cpu.registers[3] == 0x1234 and len(cpu.registers) == 31
    with pytest.raises(IndexError):
        cpu.get_register(32)
    with pytest.raises(ValueError):
        cpu.get_register("y1")
    with pytest.raises(TypeError):
        cpu.get_register(1.5)


def test_vector_registers():
    m = loaded(VECTORS)
    m.set_register(0, 0x1122334455667788)
    assert m.execute(10).stop_reason == "halted"
    assert m.get_vector(1) == 0xFF00FF00FF00FF00FF00FF00FF00FF00
    assert m.get_vector(2) == 0x1122334455667788
    m.set_vector(5, 2**128 - 1)
    assert m.get_vector(5) == 2**128 - 1
    with pytest.raises(IndexError):
        m.get_vector(32)


def test_read_write_memory_and_load_program(cpu):
    cpu.write_memory(0x1000, b"hello")
    assert cpu.read_memory(0x1000, 5) == b"hello"
    cpu.write_memory(0x1003, bytearray(b"LO"))
    cpu.write_memory(0x1005, memoryview(b"!"))
    assert cpu.read_memory(0x1000, 6) == b"helLO!"
    cpu.load_program(SMALL, 0x2000)
    assert cpu.read_memory(0x2000, len(SMALL)) == SMALL
    with pytest.raises(kvrm.MemoryAccessError):
        cpu.load_program(SMALL, 0xFFFFFC)
    with pytest.raises(kvrm.MemoryAccessError):
        cpu.write_memory(2**40, b"x")


def test_map_unmap_protect():
    m = kvrm.Machine(memory_size=0)
    m.map(0x10000, 0x3000, "rw-")
    m.write_memory(0x10000, b"abc")
    m.protect(0x11000, 0x1000, "r--")
    assert [r[2] for r in m.regions()] == ["rw-", "r--", "rw-"]
    m.unmap(0x11000, 0x1000)
    with pytest.raises(kvrm.MemoryAccessError):
        m.read_memory(0x11000, 1)
    m.protect(0x10000, 0x1000, 0)  # bits: no access
    with pytest.raises(kvrm.MemoryAccessError) as e:
        m.read_memory(0x10000, 1)
    assert e.value.kind == "permission"
    with pytest.raises(kvrm.MappingError, match="overlaps"):
        m.map(0x12000, 0x1000)
    with pytest.raises(kvrm.MappingError, match="aligned"):
        m.map(0x20001, 0x1000)
    with pytest.raises(ValueError):
        m.map(0x30000, 0x1000, "rwz")
    assert issubclass(kvrm.MappingError, kvrm.KvrmError)


def test_cycles_per_batch_is_configurable():
    m = kvrm.ContinuousCPU(cycles_per_batch=1234)
    assert m.cycles_per_batch == 1234
    m.cycles_per_batch = 99
    assert m.cycles_per_batch == 99
    assert "backend=cpu" in repr(m)


def test_memory_the_host_cannot_give_is_an_error_not_a_crash():
    with pytest.raises(kvrm.MappingError, match="cannot allocate"):
        kvrm.Machine(memory_size=1 << 62)


def test_huge_reads_fail_before_allocating():
    m = kvrm.Machine()
    with pytest.raises(kvrm.MemoryAccessError) as e:
        m.read_memory(0, 1 << 50)
    assert (e.value.addr, e.value.kind) == (16 * 1024 * 1024, "unmapped")
    assert m.read_memory(0, 0) == b""
