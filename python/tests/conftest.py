"""Shared guest programs. Every encoding comes from aarch64-linux-gnu-as; the
assembly is in the comment beside it."""
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


@pytest.fixture
def cpu():
    return kvrm.Machine(backend="cpu")


def loaded(program, addr=0, **kw):
    m = kvrm.Machine(**kw)
    m.load_program(program, addr)
    m.set_pc(addr)
    return m
