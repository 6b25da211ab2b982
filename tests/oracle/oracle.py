"""Instruction-level oracle for kvrm: assemble cases, run them on Unicorn, record results.

A *case* is a short A64 snippet with an initial state. `gen_cases.py` assembles every
case of a spec module with `aarch64-linux-gnu-as`, runs it on Unicorn (CPU model
`max`: ARMv8.x with LSE, CRC, FP16, ...), and writes the initial state, the code
words and the final state as one JSON line. The Rust test runner replays the same
line on each kvrm backend and compares. Expected values therefore come only from
Unicorn, never from kvrm.

Guest memory for every case: 1 MiB flat RWX at address 0.
  0x1000    code (the snippet; kvrm appends a BRK #0 at its end)
  0x10000   64 KiB data area, byte at a = data_byte(a)
  0x80000   default sp (stack grows down into zeroed memory)
"""

import random

MEM_SIZE = 0x100000
CODE_ADDR = 0x1000
DATA_ADDR = 0x10000
DATA_SIZE = 0x10000
DEFAULT_SP = 0x80000

M64 = (1 << 64) - 1


def data_byte(a):
    """Initial content of the data area (the Rust side computes the same)."""
    return ((a * 131) ^ (a >> 8)) & 0xFF


def default_x(i):
    return (0x9E3779B97F4A7C15 * (i + 1)) & M64


def default_v(i):
    lo = (0xD1B54A32D192ED03 * (i + 1)) & M64
    hi = (0xAEF17502108EF2D9 * (i + 1)) & M64
    return lo | (hi << 64)


def case(name, asm, nzcv=0, sp=DEFAULT_SP, fpcr=0, fpsr=0, tpidr=0, v=None, mem=None, **regs):
    """One case. `regs` are x0..x30 by name (x0=..., lr=..., fp=...); `v` maps a
    register number to a 128-bit int; `mem` maps an address to bytes written
    before the run. Unnamed registers get fixed pseudo-random values."""
    x = [default_x(i) for i in range(31)]
    for k, val in regs.items():
        if k == "lr":
            k = "x30"
        if k == "fp":
            k = "x29"
        if not (k.startswith("x") and k[1:].isdigit() and int(k[1:]) < 31):
            raise ValueError(f"case {name}: unknown register {k}")
        x[int(k[1:])] = val & M64
    vv = {}
    for n, val in (v or {}).items():
        val &= (1 << 128) - 1
        vv[str(n)] = [val & M64, val >> 64]
    return {
        "name": name,
        "asm": asm,
        "init": {
            "x": x,
            "sp": sp & M64,
            "nzcv": nzcv,
            "fpcr": fpcr,
            "fpsr": fpsr,
            "tpidr": tpidr,
            # Only registers the case sets; the others start at default_v(i).
            "v": vv,
            "mem": [[a, bytes(b).hex()] for a, b in sorted((mem or {}).items())],
        },
    }


# Values that exercise carries, signs and overflow.
EDGE_U64 = [
    0, 1, 2, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000,
    0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, 0x8000000000000000,
    0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFFFFE, 0x8000000000000001, 0x00000000FFFFFFFE,
    0xFFFFFFFF80000000, 0x0123456789ABCDEF,
]


def rand_u64(rng: random.Random):
    """Random 64-bit value biased towards edges and small numbers."""
    r = rng.random()
    if r < 0.25:
        return rng.choice(EDGE_U64)
    if r < 0.4:
        return rng.randrange(0, 256)
    if r < 0.5:
        return (rng.choice(EDGE_U64) + rng.randrange(-3, 4)) & M64
    if r < 0.6:
        return rng.getrandbits(32)
    return rng.getrandbits(64)


def rand_nzcv(rng):
    return rng.randrange(16) << 28
