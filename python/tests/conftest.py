"""Shared guest programs. Every encoding comes from aarch64-linux-gnu-as; the
assembly is in the comment beside it."""
import signal
import struct

import pytest

import kvrm


def words(*ws):
    return struct.pack(f"<{len(ws)}I", *ws)


# mov x0, #0 ; movz x1, #0x2d, lsl #16 ; mov x2, #0x10000
# 1: add x0, x0, x1 ; str x0, [x2] ; subs x1, x1, #1 ; b.ne 1b ; brk #0
LOOP = words(0xD2800000, 0xD2A005A1, 0xD2A00022, 0x8B010000,
             0xF9000040, 0xF1000421, 0x54FFFFA1, 0xD4200000)
LOOP_N = 0x2D0000
LOOP_INSNS = 3 + 4 * LOOP_N
LOOP_SUM = LOOP_N * (LOOP_N + 1) // 2

# Same loop with movz x1, #0x100, lsl #16 (16,777,216 iterations).
LONG_LOOP = words(0xD2800000, 0xD2A02001, 0xD2A00022, 0x8B010000,
                  0xF9000040, 0xF1000421, 0x54FFFFA1, 0xD4200000)
LONG_LOOP_INSNS = 3 + 4 * (0x100 << 16)

# mov x8, #64 ; mov x0, #1 ; mov x1, #0x2000 ; mov x2, #5 ; svc #0
# mov x3, x0 ; mov x8, #93 ; svc #0 ; brk #0
SYSCALLS = words(0xD2800808, 0xD2800020, 0xD2840001, 0xD28000A2, 0xD4000001,
                 0xAA0003E3, 0xD2800BA8, 0xD4000001, 0xD4200000)

# movz x1, #0x4000, lsl #16 ; ldr x0, [x1]
FAULT = words(0xD2A80001, 0xF9400020)

# udf #0
UDF = words(0x00000000)

# mov x2, #0x10000 ; ldr x3, [x2, #8] ; add x3, x3, #1 ; ldr x4, [x2, #64]
# ldr x5, [x2, #16] ; brk #1
LOADS = words(0xD2A00022, 0xF9400443, 0x91000463, 0xF9402044, 0xF9400845, 0xD4200020)

# movi v1.2d, #0xff00ff00ff00ff00 ; fmov d2, x0 ; brk #0
VECTORS = words(0x6F05E541, 0x9E670002, 0xD4200000)

# movz x0, #5 ; add x0, x0, #1 ; brk #0
SMALL = words(0xD28000A0, 0x91000400, 0xD4200000)
# movz x0, #7
MOVZ_X0_7 = 0xD28000E0


@pytest.fixture(autouse=True)
def _python_ctrl_c():
    """Python's own Ctrl-C handler for every test. A shell that starts a
    command in the background (`cmd &`) hands it SIGINT ignored, and Python
    then keeps it ignored: the tests of Ctrl-C need the handler a terminal
    user has."""
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    yield


@pytest.fixture
def cpu():
    return kvrm.Machine(backend="cpu")


def loaded(program, addr=0, **kw):
    m = kvrm.Machine(**kw)
    m.load_program(program, addr)
    m.set_pc(addr)
    return m


def make_elf(code: bytes, base=0x400000) -> bytes:
    """A minimal static AArch64 ELF executable: one R+X PT_LOAD segment of
    the headers and `code`, entry at the code."""
    ehsize, phsize = 64, 56
    entry = base + ehsize + phsize
    total = ehsize + phsize + len(code)
    ident = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header = ident + struct.pack(
        "<HHIQQQIHHHHHH", 2, 183, 1, entry, ehsize, 0, 0, ehsize, phsize, 1, 64, 0, 0
    )
    phdr = struct.pack("<IIQQQQQQ", 1, 5, 0, base, base, total, total, 0x1000)
    return header + phdr + code


# Copies stdin to stdout, writes "err\n" to stderr, exits with status 7:
#     sub  sp, sp, #0x1000
# 1:  mov  x0, #0 ; mov x1, sp ; mov x2, #0x1000 ; mov x8, #63 ; svc #0   // read
#     cmp  x0, #0 ; b.le 2f
#     mov  x2, x0 ; mov x0, #1 ; mov x1, sp ; mov x8, #64 ; svc #0         // write
#     b    1b
# 2:  mov  x0, #2 ; adr x1, msg ; mov x2, #4 ; mov x8, #64 ; svc #0        // write
#     mov  x0, #7 ; mov x8, #94 ; svc #0                                   // exit_group
# msg: .ascii "err\n"
CAT_ELF = make_elf(words(
    0xD14007FF, 0xD2800000, 0x910003E1, 0xD2820002, 0xD28007E8, 0xD4000001,
    0xF100001F, 0x540000ED, 0xAA0003E2, 0xD2800020, 0x910003E1, 0xD2800808,
    0xD4000001, 0x17FFFFF4, 0xD2800040, 0x100000E1, 0xD2800082, 0xD2800808,
    0xD4000001, 0xD28000E0, 0xD2800BC8, 0xD4000001, 0x0A727265,
))

# mov x0, #0 ; ldr x1, [x0]     (SIGSEGV)
CRASH_ELF = make_elf(words(0xD2800000, 0xF9400001))

# Writes envp[0] to stdout, exits 0:
#     ldr x9, [sp] ; add x10, sp, #8 ; add x10, x10, x9, lsl #3 ; ldr x1, [x10, #8]
#     cbz x1, 3f ; mov x2, #0
# 1:  ldrb w3, [x1, x2] ; cbz w3, 2f ; add x2, x2, #1 ; b 1b
# 2:  mov x0, #1 ; mov x8, #64 ; svc #0
# 3:  mov x0, #0 ; mov x8, #94 ; svc #0
ENV_ELF = make_elf(words(
    0xF94003E9, 0x910023EA, 0x8B090D4A, 0xF9400541, 0xB4000121, 0xD2800002,
    0x38626823, 0x34000063, 0x91000442, 0x17FFFFFD, 0xD2800020, 0xD2800808,
    0xD4000001, 0xD2800000, 0xD2800BC8, 0xD4000001,
))

# b .   (spins forever)
SPIN_ELF = make_elf(words(0x14000000))
