"""kvrm: run ARM64 (AArch64) programs from Python.

``Machine`` is one ARM64 machine with the Metal system's API; ``CPU``,
``ContinuousCPU`` and ``AsyncCPU`` are the same class under that system's
names. Every error kvrm raises is a ``KvrmError``.
"""

import os
from typing import Any, Callable, List, Literal, Mapping, Optional, Sequence, Tuple, Union, final

import numpy as np
import numpy.typing as npt

_BytesLike = Union[bytes, bytearray, memoryview]
_Register = Union[int, str]
_Perms = Union[str, int]
_WatchKind = Literal["read", "r", "write", "w", "access", "rw", "a"]
_StrPath = Union[str, bytes, os.PathLike]
_Arg = Union[str, bytes, os.PathLike]
_SyscallHook = Callable[[int, Tuple[int, int, int, int, int, int]], Optional[int]]

__all__ = [
    "AsyncCPU",
    "BackendUnavailable",
    "BadElf",
    "CPU",
    "CompletedRun",
    "ContinuousCPU",
    "DEFAULT_MEMORY_SIZE",
    "ExecutionResult",
    "GuestFault",
    "HostArray",
    "KvrmError",
    "Machine",
    "MachineBusy",
    "MappingError",
    "MemoryAccessError",
    "RunningProgram",
    "Status",
    "TraceEntry",
    "UndefinedInstruction",
    "available_backends",
    "disassemble",
    "run",
    "run_elf",
    "run_lanes",
    "start",
]

DEFAULT_MEMORY_SIZE: int
"""Size of a new machine's flat memory at address 0: 16 MiB."""

def available_backends() -> List[str]:
    """Backends that can run here: ``"cpu"``, and ``"cuda"`` when a CUDA
    driver, a GPU and NVRTC are present (the first call may compile the GPU
    kernels)."""

def disassemble(word: int) -> str:
    """Disassemble one A64 instruction word (``".inst 0x..."`` if unknown)."""

class KvrmError(Exception):
    """Base class of every error kvrm raises."""

class BackendUnavailable(KvrmError):
    """The requested backend cannot run here; the message says why."""

class GuestFault(KvrmError):
    """A guest memory access failed while running."""

    pc: int
    """Address of the faulting instruction."""
    addr: int
    """The address that could not be accessed."""
    access: Literal["read", "write", "execute"]
    kind: Literal["unmapped", "permission", "alignment"]
    result: ExecutionResult
    """The run up to the fault (``stop_reason == "fault"``)."""

class UndefinedInstruction(KvrmError):
    """The guest reached an encoding kvrm does not implement."""

    pc: int
    encoding: int
    result: ExecutionResult

class MemoryAccessError(KvrmError):
    """A host access (read_memory, write_memory, load_program) touched memory
    that is not mapped, or not readable for read_memory."""

    addr: int
    access: Literal["read", "write", "execute"]
    kind: Literal["unmapped", "permission", "alignment"]

class MappingError(KvrmError):
    """map/unmap/protect was refused (overlap, alignment, not mapped)."""

class MachineBusy(KvrmError):
    """The machine is running (a background run, or another thread's
    execute); wait() for it or cancel() it first."""

class BadElf(KvrmError):
    """The file is not a static AArch64 ELF executable kvrm can load."""

@final
class ExecutionResult:
    """How a run ended (``execute*``, ``step``, ``wait``)."""

    cycles_executed: int
    """Instructions retired during the call."""
    ips: float
    """Instructions per second of the call (wall time, hooks included)."""
    stop_reason: Literal[
        "halted", "syscall", "cycle_limit", "breakpoint", "watchpoint", "cancelled",
        "fault", "undefined",
    ]
    """Why the run stopped. ``"fault"`` and ``"undefined"`` are only seen on
    the ``result`` of the exception they raise."""
    final_pc: int
    """The pc after the run: at a BRK/HLT, after an SVC, at a breakpoint,
    after the instruction that hit a watchpoint."""
    elapsed: float
    """Wall seconds of the call."""
    batches: int
    """Batches the Rust run loop dispatched."""
    syscall_number: Optional[int]
    """x8 when the run stopped at a syscall, else None."""
    watch_addr: Optional[int]
    """The watchpoint that was hit (``"watchpoint"``), else None."""
    detail: str
    """The stop described in words."""

@final
class Status:
    """Progress of a background run (``poll()``)."""

    cycles_executed: int
    """Instructions retired so far (updated after every batch)."""
    is_running: bool

@final
class TraceEntry:
    """One traced instruction (``read_trace()``)."""

    pc: int
    encoding: int
    disassembly: str
    registers: dict[str, int]
    """The registers the instruction changed, with their new values
    (``"x0"``..``"x30"``, ``"sp"``, ``"nzcv"``, ``"fpcr"``, ``"fpsr"``,
    ``"tpidr_el0"``, ``"v0"``..``"v31"``)."""

@final
class CompletedRun:
    """What a Linux program did (``run``, ``run_lanes``), like
    ``subprocess.CompletedProcess``."""

    exit_code: Optional[int]
    """Exit status (0..255); minus the signal number when a signal killed
    the program (``-11``: SIGSEGV), as subprocess reports it; None when it
    did not end (``end`` is ``"cycle_limit"`` or ``"deadlock"``)."""
    stdout: bytes
    stderr: bytes
    instructions: int
    """Instructions retired, all guest threads and processes together."""
    ips: float
    elapsed: float
    """Wall seconds."""
    end: Literal["exited", "signaled", "cycle_limit", "deadlock"]
    signal: Optional[int]
    """The signal that killed the program, else None."""
    detail: str
    """The stop that crashed it (fault, undefined instruction), else ''."""

def run(
    path: _StrPath,
    args: Sequence[_Arg] = (),
    env: Optional[Mapping[str, str]] = None,
    stdin: Union[bytes, str, None] = b"",
    fs_root: _StrPath = ".",
    backend: Literal["auto", "cpu", "cuda"] = "auto",
    *,
    max_cycles: Optional[int] = None,
    deterministic: bool = False,
    seed: int = 0,
    memory_limit: Optional[int] = None,
    engine: Literal["interp", "jit"] = "jit",
) -> CompletedRun:
    """Run the static Linux AArch64 executable ``path`` under kvrm's Linux
    kernel, like ``subprocess.run`` with captured output.

    ``args`` are argv[1:]; ``env`` a mapping (None: this process's
    environment); ``stdin`` is fed to the guest; ``fs_root`` is the host
    folder the guest sees as ``/`` (the guest starts in ``/``). ``max_cycles``
    stops it after that many instructions; ``deterministic`` gives fixed
    thread interleaving, a virtual clock and randomness from ``seed``;
    ``memory_limit`` caps its mappings (bytes); ``engine`` is how the CPU
    backend runs guest code (``"jit"``, the default: hot blocks compiled; or
    ``"interp"``; the same results and instruction counts). Processes it leaves running
    end with it. Raises ``FileNotFoundError``, ``BadElf``,
    ``BackendUnavailable``. Releases the GIL.
    """

run_elf = run
"""The Metal system's later name of ``run``."""

@final
class RunningProgram:
    """A Linux program running in the background (``start``)."""

    def poll(self) -> int:
        """Instructions retired so far, all guest threads and processes
        together; never blocks."""
    def is_running(self) -> bool:
        """Is the program still running? Never blocks."""
    def wait(self) -> CompletedRun:
        """Wait for the program (without the GIL) and return what ``run``
        would have; raises what ``run`` raises. Later calls return the same."""

def start(
    path: _StrPath,
    args: Sequence[_Arg] = (),
    env: Optional[Mapping[str, str]] = None,
    stdin: Union[bytes, str, None] = b"",
    fs_root: _StrPath = ".",
    backend: Literal["auto", "cpu", "cuda"] = "auto",
    *,
    max_cycles: Optional[int] = None,
    deterministic: bool = False,
    seed: int = 0,
    memory_limit: Optional[int] = None,
    engine: Literal["interp", "jit"] = "jit",
) -> RunningProgram:
    """``run`` in the background: returns at once; ``poll()`` and
    ``is_running()`` never wait for the guest, ``wait()`` returns the
    ``CompletedRun``. Python keeps its signal handlers meanwhile.
    ``BackendUnavailable`` (``backend="cuda"`` without a GPU) is raised at
    once; a missing or bad program by ``wait()``."""

def run_lanes(
    path: _StrPath,
    n: int,
    args: Union[Sequence[_Arg], Sequence[Sequence[_Arg]], Callable[[int], Sequence[_Arg]]] = (),
    stdin: Union[bytes, str, Sequence[Union[bytes, str]], Callable[[int], Union[bytes, str]]] = b"",
    env: Optional[Mapping[str, str]] = None,
    fs_root: _StrPath = ".",
    backend: Literal["auto", "cpu", "cuda"] = "auto",
    *,
    max_cycles: Optional[int] = None,
    deterministic: bool = False,
    seed: int = 0,
    memory_limit: Optional[int] = None,
    engine: Literal["interp", "jit"] = "jit",
) -> List[CompletedRun]:
    """Run ``n`` independent copies ("lanes") of ``path``; one result per
    lane, in lane order. ``args`` / ``stdin`` are the same for every lane, a
    function of the lane index, or a list of ``n`` values (``args``: a list
    of ``n`` lists). The CPU backend runs lanes on one host thread per
    core."""

@final
class HostArray:
    """Host memory described by ``__array_interface__`` (``numpy.asarray``
    of it is the zero-copy view; it keeps the memory alive)."""

    @property
    def __array_interface__(self) -> dict: ...

@final
class DeviceArray:
    """Guest memory on the GPU (CUDA backend), without copying:
    ``__cuda_array_interface__`` (``cupy.asarray``, ``torch.as_tensor``) and
    DLPack (``torch.from_dlpack``). Writes through a tensor are the guest's
    memory at its next run or host access; guest stores show after a run. It
    keeps the machine alive, and stays valid until the machine maps or unmaps
    memory."""

    def __len__(self) -> int: ...
    @property
    def ptr(self) -> int:
        """Device address of the first byte."""
    @property
    def __cuda_array_interface__(self) -> dict: ...
    def __dlpack_device__(self) -> Tuple[int, int]:
        """``(2, ordinal)``: kDLCUDA and the device."""
    def __dlpack__(
        self,
        *,
        stream: Any = None,
        max_version: Optional[Tuple[int, int]] = None,
        dl_device: Optional[Tuple[int, int]] = None,
        copy: Optional[bool] = None,
    ) -> Any:
        """A DLPack capsule over the view (``uint8``, one dimension)."""

class Machine:
    """An ARM64 machine: registers, memory, and ways to run it.

    ``Machine(backend="auto", *, memory_size=16 MiB, cycles_per_batch=1_000_000, engine="jit")``

    A new machine has flat read/write/execute memory of ``memory_size`` bytes
    at address 0 (``memory_size=0``: none; ``map()`` some) and all registers
    zero. ``backend`` is ``"auto"`` (the CPU: one machine is one GPU lane,
    which the CPU outruns), ``"cpu"``, or ``"cuda"`` (kvrm's CUDA engine;
    ``BackendUnavailable``, with the reason, where there is no driver, GPU
    or NVRTC); ``machine.backend`` says which one runs. ``memory_view`` is a
    NumPy array on the CPU backend and a ``DeviceArray`` (CUDA array
    interface, DLPack) on the CUDA backend.
    ``engine`` is how the CPU backend runs guest code: ``"jit"`` (the
    default: hot blocks compiled) or ``"interp"``; the same results.

    Runs (``execute``, ``execute_continuous``, ``execute_mega``, ``step``,
    ``wait``) release the GIL. While a run holds the machine, other methods
    raise ``MachineBusy`` instead of blocking; ``poll()`` and
    ``is_running()`` always answer at once.
    """

    def __new__(
        cls,
        backend: Literal["auto", "cpu", "cuda"] = "auto",
        *,
        memory_size: int = 16777216,
        cycles_per_batch: int = 1000000,
        engine: Literal["interp", "jit"] = "jit",
    ) -> Machine: ...
    @property
    def backend(self) -> str:
        """The backend that runs this machine (``"cpu"``)."""
    @property
    def engine(self) -> str:
        """How the CPU backend runs guest code: ``"interp"`` or ``"jit"``."""
    cycles_per_batch: int
    """Instructions per batch of ``execute_continuous`` and ``start``."""

    # program and registers
    def load_program(self, program: _BytesLike, addr: int = 0) -> None:
        """Copy ``program`` into guest memory at ``addr`` (mapped memory;
        write permission is not needed). Raises ``MemoryAccessError``."""
    def set_pc(self, addr: int) -> None:
        """Set the program counter."""
    def get_register(self, n: _Register) -> int:
        """Read a register: 0..30 are x0..x30, 31 is sp; or a name: ``"x5"``,
        ``"sp"``, ``"pc"``, ``"lr"``, ``"fp"``, ``"nzcv"``, ``"fpcr"``,
        ``"fpsr"``, ``"tpidr_el0"``."""
    def set_register(self, n: _Register, value: int) -> None:
        """Write a register (as ``get_register``); negative values are stored
        as two's complement."""
    def get_vector(self, n: int) -> int:
        """The 128-bit SIMD&FP register v<n> as an int."""
    def set_vector(self, n: int, value: int) -> None:
        """Write the 128-bit SIMD&FP register v<n>."""
    @property
    def registers(self) -> List[int]:
        """x0..x30 as a list (a copy; ``registers_view()`` is live)."""
    pc: int
    sp: int
    nzcv: int
    """Flags in architectural position (N = bit 31, Z = 30, C = 29, V = 28)."""
    fpcr: int
    fpsr: int

    # memory
    def read_memory(self, addr: int, size: int) -> bytes:
        """``size`` bytes at ``addr`` (needs read permission)."""
    def write_memory(self, addr: int, data: _BytesLike) -> None:
        """Write ``data`` at ``addr`` (mapped memory; write permission is not
        needed, as for a debugger). All or nothing."""
    def map(self, addr: int, size: int, perms: Optional[_Perms] = None) -> None:
        """Map page-aligned ``[addr, addr+size)`` with ``perms`` (``"rwx"``,
        ``"r-x"``, ... or bits 1=r 2=w 4=x; default ``"rwx"``). Raises
        ``MappingError``."""
    def unmap(self, addr: int, size: int) -> None:
        """Unmap page-aligned ``[addr, addr+size)`` (holes are fine)."""
    def protect(self, addr: int, size: int, perms: _Perms) -> None:
        """Change the permissions of mapped ``[addr, addr+size)``."""
    def regions(self) -> List[Tuple[int, int, str]]:
        """The mappings as ``(start, end, "rwx")``, in address order."""

    # Linux programs
    def load_elf(
        self, path: _StrPath, args: Optional[Sequence[_Arg]] = None, env: Optional[Sequence[_Arg]] = None
    ) -> int:
        """Load a static AArch64 ELF executable as Linux starts it (segments,
        stack with argv/envp/auxv, sp, pc), replacing this machine's memory
        and registers; returns the entry point. Syscalls are the caller's
        (``on_syscall``, or the ``"syscall"`` stops). ``args`` are argv[1:],
        ``env`` ``"NAME=VALUE"`` strings (default none). Refused
        (``KvrmError``) while zero-copy views of the machine exist; the new
        memory is not contiguous, so ``memory_view`` is not available on
        it."""
    def run_elf(
        self,
        path: _StrPath,
        args: Sequence[_Arg] = (),
        env: Optional[Mapping[str, str]] = None,
        stdin: Union[bytes, str, None] = b"",
        fs_root: _StrPath = ".",
        **kw,
    ) -> CompletedRun:
        """``kvrm.run`` on this machine's backend."""

    # zero-copy views
    def memory_view(
        self, addr: int = 0, size: Optional[int] = None
    ) -> Union[npt.NDArray[np.uint8], DeviceArray]:
        """Guest memory ``[addr, addr+size)`` without copying; on the CUDA
        backend a ``DeviceArray`` of device memory (see there), on the CPU
        backend a NumPy ``uint8`` array
        (default: to the end of the flat memory): writes
        through it are the guest's memory (code included), guest stores show
        in it. Needs the contiguous flat memory of a machine made with
        ``memory_size > 0``; the range must be mapped. The array keeps the
        memory alive after the machine is gone. Do not write through it while
        a background run is going. Use ``.view("<u4")`` etc. for wider
        types."""
    def registers_view(self) -> npt.NDArray[np.uint64]:
        """A NumPy ``uint64`` array of x0..x30 over the machine's register
        file, without copying (both directions). Coherent while the machine
        is stopped; it keeps the machine's state alive."""

    # running
    def execute(self, max_cycles: int = 100_000_000) -> ExecutionResult:
        """Run until the guest stops (BRK/HLT, SVC, breakpoint, watchpoint)
        or ``max_cycles`` instructions have retired. Raises ``GuestFault``
        or ``UndefinedInstruction``. Releases the GIL; Ctrl-C stops the run
        between batches (``KeyboardInterrupt``)."""
    def execute_continuous(
        self, max_batches: int = 10, cycles_per_batch: Optional[int] = None
    ) -> ExecutionResult:
        """Up to ``max_batches`` batches of ``cycles_per_batch`` instructions
        in Rust's batch loop (stops early like ``execute``)."""
    def execute_mega(self, total_cycles: int = 100_000_000) -> ExecutionResult:
        """One dispatch of ``total_cycles`` instructions."""
    def step(self, n: int = 1) -> ExecutionResult:
        """Execute ``n`` instructions (stops early like ``execute``)."""
    def start(self, max_cycles: int = 100_000_000, cycles_per_batch: Optional[int] = None) -> None:
        """Start running on a background thread and return at once; then
        ``poll()`` / ``is_running()`` and ``wait()``."""
    def poll(self) -> Status:
        """Progress of the background run; never blocks."""
    def is_running(self) -> bool:
        """Whether the background run is still going; never blocks."""
    def cancel(self) -> None:
        """Ask the background run to stop after its current batch
        (``stop_reason == "cancelled"``)."""
    def wait(self) -> ExecutionResult:
        """Wait for the background run (releasing the GIL) and return its
        result, or raise its ``GuestFault`` / ``UndefinedInstruction`` / hook
        exception. Ctrl-C interrupts the wait (``KeyboardInterrupt``), not the
        run: wait again, or ``cancel()`` it."""

    # syscalls
    def on_syscall(self, hook: Optional[_SyscallHook]) -> Optional[_SyscallHook]:
        """Call ``hook(number, args)`` on SVC: ``number`` is x8, ``args`` is
        ``(x0, ..., x5)``. Return an int to write x0 and continue, or None to
        stop the run with ``stop_reason == "syscall"``. The hook may use the
        machine (read memory, set registers). An exception in it stops the
        run and is raised by ``execute*`` / ``wait``. ``None`` removes the
        hook. Returns ``hook`` (usable as a decorator)."""

    # debugging
    def set_breakpoint(self, addr: int) -> None:
        """Stop before executing the instruction at ``addr``
        (``stop_reason == "breakpoint"``); the next run starts by executing
        it. While any breakpoint is set, runs single-step (slower)."""
    def clear_breakpoint(self, addr: int) -> None:
        """Remove the breakpoint at ``addr`` (``KeyError`` if none)."""
    @property
    def breakpoints(self) -> List[int]:
        """Breakpoint addresses, sorted."""
    def set_watchpoint(self, addr: int, size: int = 8, kind: _WatchKind = "write") -> None:
        """Stop after an instruction that reads/writes/accesses
        ``[addr, addr+size)`` (``stop_reason == "watchpoint"``). Full speed
        (page protection). Accesses are not decoded: one that starts up to 15
        bytes before the range counts as touching it."""
    def clear_watchpoint(self, addr: int) -> None:
        """Remove the watchpoint at ``addr`` (``KeyError`` if none)."""
    @property
    def watchpoints(self) -> List[Tuple[int, int, str]]:
        """Watchpoints as ``(addr, size, kind)``."""
    def enable_trace(self, n: int = 1000) -> None:
        """Record the last ``n`` executed instructions (0 turns it off);
        runs single-step while on. Clears the record."""
    def read_trace(self) -> List[TraceEntry]:
        """The recorded instructions, oldest first; empties the record."""

CPU = Machine
"""The Metal system's ``MetalCPU`` role (standard mode)."""
ContinuousCPU = Machine
"""The Metal system's ``ContinuousMetalCPU`` role."""
AsyncCPU = Machine
"""The Metal system's ``AsyncMetalCPU`` role."""
