"""kvrm: run ARM64 (AArch64) programs from Python.

``kvrm.Machine`` is one ARM64 machine with the Metal system's API
(``CPU``, ``ContinuousCPU`` and ``AsyncCPU`` are the same class under that
system's names). See ``help(kvrm.Machine)``.
"""

import os as _os

from ._kvrm import (
    DEFAULT_MEMORY_SIZE,
    CompletedRun,
    BackendUnavailable,
    DeviceArray,
    BadElf,
    ExecutionResult,
    GuestFault,
    HostArray,
    KvrmError,
    Machine,
    MachineBusy,
    MappingError,
    MemoryAccessError,
    RunningProgram,
    Status,
    TraceEntry,
    UndefinedInstruction,
    _run_lanes,
    _start,
    available_backends,
    disassemble,
)

# The Metal system's class roles: one class does all three.
CPU = Machine
ContinuousCPU = Machine
AsyncCPU = Machine



def _env_list(env):
    """subprocess's rule: None inherits this process's environment."""
    if env is None:
        env = _os.environb if _os.supports_bytes_environ else _os.environ
    return [_os.fsencode(k) + b"=" + _os.fsencode(v) for k, v in env.items()]


def _stdin_bytes(data):
    if data is None:
        return b""
    if isinstance(data, str):
        return data.encode()
    return bytes(data)


def _is_per_lane_list(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(
        isinstance(v, (list, tuple)) for v in value
    )


def run(path, args=(), env=None, stdin=b"", fs_root=".", backend="auto", *,
        max_cycles=None, deterministic=False, seed=0, memory_limit=None,
        engine="jit"):
    """Run the static Linux AArch64 executable ``path`` under kvrm's Linux
    kernel and return a ``CompletedRun`` (``exit_code``, ``stdout``,
    ``stderr``, ``instructions``, ``ips``, ...), like ``subprocess.run``.

    ``args`` are argv[1:]; ``env`` a mapping (None: this process's
    environment); ``stdin`` bytes or str fed to the guest; ``fs_root`` the
    host folder the guest sees as ``/`` (its working directory is ``/``).
    ``exit_code`` is negative when a signal killed the program (``-11`` for
    SIGSEGV), None at the ``max_cycles`` limit or a deadlock (see ``end``).
    ``engine`` is how the CPU backend runs guest code: ``"jit"`` (the
    default: hot blocks compiled, cold code interpreted) or ``"interp"``; the
    same results and instruction counts either way.
    Raises ``FileNotFoundError``, ``BadElf`` or ``BackendUnavailable``.
    Releases the GIL.
    """
    argv = [path, *args]
    return _run_lanes(path, [(argv, _stdin_bytes(stdin))], _env_list(env), fs_root,
                      backend, max_cycles, deterministic, seed, memory_limit,
                      engine)[0]


def start(path, args=(), env=None, stdin=b"", fs_root=".", backend="auto", *,
          max_cycles=None, deterministic=False, seed=0, memory_limit=None,
          engine="jit"):
    """Start ``kvrm.run``'s run in the background and return at once a
    ``RunningProgram``: ``poll()`` reads the instructions retired so far and
    ``is_running()`` asks whether it is still going, neither of them waiting
    for the guest; ``wait()`` returns the ``CompletedRun`` (without the GIL).
    The arguments are ``kvrm.run``'s. Python keeps its signal handlers
    meanwhile (Ctrl-C raises KeyboardInterrupt here; the program goes on).
    Raises ``ValueError`` for a bad argument and ``BackendUnavailable`` for
    ``backend="cuda"`` without a GPU at once; a missing or bad program is
    raised by ``wait()``.
    """
    argv = [path, *args]
    return _start(path, [(argv, _stdin_bytes(stdin))], _env_list(env), fs_root,
                  backend, max_cycles, deterministic, seed, memory_limit, engine)


def run_lanes(path, n, args=(), stdin=b"", env=None, fs_root=".", backend="auto", *,
              max_cycles=None, deterministic=False, seed=0, memory_limit=None,
              engine="jit"):
    """Run ``n`` independent copies ("lanes") of the program at ``path`` and
    return one ``CompletedRun`` per lane, in lane order. ``args`` and
    ``stdin`` are the same for every lane, or per lane: a function of the
    lane index, or a list of ``n`` values (for ``args``, a list of ``n``
    lists). The CPU backend runs lanes on one host thread per core.
    """
    if n < 0:
        raise ValueError("n must be >= 0")

    def lane_args(i):
        if callable(args):
            return list(args(i))
        if _is_per_lane_list(args):
            if len(args) != n:
                raise ValueError(f"args has {len(args)} lanes, expected {n}")
            return list(args[i])
        return list(args)

    def lane_stdin(i):
        if callable(stdin):
            return _stdin_bytes(stdin(i))
        if isinstance(stdin, (list, tuple)):
            if len(stdin) != n:
                raise ValueError(f"stdin has {len(stdin)} lanes, expected {n}")
            return _stdin_bytes(stdin[i])
        return _stdin_bytes(stdin)

    lanes = [([path, *lane_args(i)], lane_stdin(i)) for i in range(n)]
    return _run_lanes(path, lanes, _env_list(env), fs_root, backend, max_cycles,
                      deterministic, seed, memory_limit, engine)


def _run_elf(self, path, args=(), env=None, stdin=b"", fs_root=".", **kw):
    """Run a Linux program on this machine's backend (``kvrm.run``)."""
    kw.setdefault("engine", self.engine)
    return run(path, args, env, stdin, fs_root, backend=self.backend, **kw)


Machine.run_elf = _run_elf
run_elf = run

__all__ = [
    "AsyncCPU",
    "CompletedRun",
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
