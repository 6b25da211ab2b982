"""kvrm: run ARM64 (AArch64) programs from Python.

``kvrm.Machine`` is one ARM64 machine with the Metal system's API
(``CPU``, ``ContinuousCPU`` and ``AsyncCPU`` are the same class under that
system's names). See ``help(kvrm.Machine)``.
"""

from ._kvrm import (
    DEFAULT_MEMORY_SIZE,
    BackendUnavailable,
    BadElf,
    ExecutionResult,
    GuestFault,
    HostArray,
    KvrmError,
    Machine,
    MachineBusy,
    MappingError,
    MemoryAccessError,
    Status,
    TraceEntry,
    UndefinedInstruction,
    available_backends,
    disassemble,
)

# The Metal system's class roles: one class does all three.
CPU = Machine
ContinuousCPU = Machine
AsyncCPU = Machine

__all__ = [
    "AsyncCPU",
    "BackendUnavailable",
    "BadElf",
    "CPU",
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
    "Status",
    "TraceEntry",
    "UndefinedInstruction",
    "available_backends",
    "disassemble",
]
