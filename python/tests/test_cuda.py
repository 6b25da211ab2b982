"""The CUDA backend from Python: the machine API on a GPU lane, Linux
programs and lanes on the GPU, and zero-copy device views (CUDA array
interface, DLPack) seen by PyTorch and CuPy. Skipped, with the reason,
where there is no usable GPU."""
import struct

import pytest

import kvrm
from conftest import (
    CAT_ELF, FAULT, LOOP, LOOP_INSNS, LOOP_SUM, MOVZ_X0_7, SMALL, SYSCALLS, UDF, loaded,
)

if "cuda" not in kvrm.available_backends():
    try:
        kvrm.Machine(backend="cuda")
        reason = "no CUDA backend"
    except kvrm.BackendUnavailable as e:
        reason = str(e)
    pytest.skip(f"CUDA tests need a GPU: {reason}", allow_module_level=True)


def gpu(program, addr=0):
    m = loaded(program, addr, backend="cuda")
    assert m.backend == "cuda"
    return m


def test_loop_on_the_gpu_matches_the_cpu():
    g, c = gpu(LOOP), loaded(LOOP, backend="cpu")
    rg, rc = g.execute(100_000_000), c.execute(100_000_000)
    assert rg.cycles_executed == rc.cycles_executed == LOOP_INSNS
    assert g.registers == c.registers
    assert struct.unpack("<Q", g.read_memory(0x10000, 8))[0] == LOOP_SUM


def test_modes_on_the_gpu():
    m = gpu(LOOP)
    r = m.execute_continuous(max_batches=1000, cycles_per_batch=1_000_000)
    assert r.cycles_executed == LOOP_INSNS
    m = gpu(LOOP)
    assert m.execute_mega(total_cycles=100_000_000).cycles_executed == LOOP_INSNS
    m = gpu(LOOP)
    m.start(max_cycles=100_000_000)
    st = m.poll()
    assert st.cycles_executed <= LOOP_INSNS
    r = m.wait()
    assert r.cycles_executed == LOOP_INSNS and not m.is_running()


def test_syscall_hook_on_the_gpu():
    m = gpu(SYSCALLS)
    m.write_memory(0x2000, b"hello")
    seen = []

    def hook(nr, args):
        seen.append((nr, args[:3]))
        if nr == 64:
            assert m.read_memory(args[1], args[2]) == b"hello"
            return args[2]
        return None  # exit: the run stops

    m.on_syscall(hook)
    r = m.execute(1000)
    assert seen[0] == (64, (1, 0x2000, 5))
    assert m.get_register(3) == 5
    assert (r.stop_reason, r.syscall_number) == ("syscall", 93)


def test_faults_and_undefined_on_the_gpu():
    with pytest.raises(kvrm.GuestFault) as e:
        gpu(FAULT).execute(100)
    assert e.value.pc == 4
    with pytest.raises(kvrm.UndefinedInstruction) as e:
        gpu(UDF).execute(100)
    assert e.value.pc == 0


def test_linux_program_and_lanes_on_the_gpu(tmp_path):
    exe = tmp_path / "cat"
    exe.write_bytes(CAT_ELF)
    exe.chmod(0o755)
    r = kvrm.run(exe, stdin=b"abc", fs_root=tmp_path, backend="cuda")
    assert (r.exit_code, r.stdout, r.stderr) == (7, b"abc", b"err\n")
    lanes = kvrm.run_lanes(exe, 64, stdin=lambda i: f"lane {i}\n", fs_root=tmp_path,
                           backend="cuda")
    assert [x.stdout for x in lanes] == [f"lane {i}\n".encode() for i in range(64)]
    assert {x.exit_code for x in lanes} == {7}


# ----- device views -----------------------------------------------------------

def test_device_view_describes_device_memory():
    m = gpu(LOOP)
    v = m.memory_view(0x10000, 64)
    assert isinstance(v, kvrm.DeviceArray) and len(v) == 64
    cai = v.__cuda_array_interface__
    assert cai["shape"] == (64,) and cai["typestr"] == "|u1" and cai["version"] == 3
    assert cai["data"][0] == v.ptr != 0
    assert v.__dlpack_device__()[0] == 2  # kDLCUDA


def test_torch_sees_guest_stores_without_a_copy():
    torch = pytest.importorskip("torch")
    m = gpu(LOOP)
    t = torch.from_dlpack(m.memory_view(0x10000, 8))
    assert t.is_cuda and t.dtype == torch.uint8 and t.numel() == 8
    ptr = t.data_ptr()
    m.execute(100_000_000)
    assert t.data_ptr() == ptr
    assert int.from_bytes(bytes(t.cpu().tolist()), "little") == LOOP_SUM


def test_guest_sees_torch_writes():
    torch = pytest.importorskip("torch")
    m = gpu(SMALL)
    whole = torch.from_dlpack(m.memory_view())
    assert whole.numel() == kvrm.DEFAULT_MEMORY_SIZE
    whole[0x5000:0x5004] = torch.tensor([1, 2, 3, 4], dtype=torch.uint8, device=whole.device)
    torch.cuda.synchronize()
    assert m.read_memory(0x5000, 4) == b"\x01\x02\x03\x04"
    # Host writes show in the tensor after the next run or view refresh.
    m.write_memory(0x6000, b"\x09")
    m.execute(10)
    assert int(whole[0x6000]) == 9


def test_code_written_through_torch_runs():
    torch = pytest.importorskip("torch")
    m = gpu(SMALL)
    m.execute(10)
    assert m.get_register(0) == 6
    code = torch.from_dlpack(m.memory_view(0, 4))
    code[:] = torch.tensor(list(struct.pack("<I", MOVZ_X0_7)), dtype=torch.uint8,
                           device=code.device)
    torch.cuda.synchronize()
    m.set_pc(0)
    m.execute(10)
    assert m.get_register(0) == 8


def test_cupy_sees_the_same_memory():
    cupy = pytest.importorskip("cupy")
    m = gpu(LOOP)
    a = cupy.asarray(m.memory_view(0x10000, 8))
    m.execute(100_000_000)
    assert int(a.view(cupy.uint64)[0]) == LOOP_SUM
    a[:] = 0
    cupy.cuda.Device().synchronize()
    assert m.read_memory(0x10000, 8) == bytes(8)


def test_view_outside_memory_is_an_error():
    m = gpu(SMALL)
    with pytest.raises(ValueError, match="not fully mapped"):
        m.memory_view(kvrm.DEFAULT_MEMORY_SIZE - 4, 64)
