"""Shared generators for the integer data-processing specs (dp_imm*, dp_reg*, dp_random_seq).

Each form generator `g(rng, sf)` returns the asm text of one random instance of
the form (random registers, including register 31 as sp or zr where the
encoding allows it, and random immediates). Encodings that need no assembler
syntax checks (logical immediates, ADR/ADRP) are written as `.inst`.
Expected values always come from the oracle.
"""

import random

from oracle import case, rand_u64, rand_nzcv, EDGE_U64, M64

CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"]
SHIFTS = ["lsl", "lsr", "asr", "ror"]
EXTENDS = ["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"]


def r(i, sf, sp=False):
    """Register name: 31 is sp/wsp when `sp`, else xzr/wzr."""
    if i == 31:
        if sp:
            return "sp" if sf else "wsp"
        return "xzr" if sf else "wzr"
    return ("x" if sf else "w") + str(i)


def pick(rng, allow31=True):
    if allow31 and rng.random() < 0.12:
        return 31
    return rng.randrange(31)


def inst(word):
    return f".inst {word & 0xFFFFFFFF:#010x}"


def rand_regs(rng):
    """Random values for x0..x30 and sp."""
    regs = {f"x{k}": rand_u64(rng) for k in range(31)}
    return regs


def rand_sp(rng):
    c = rng.random()
    if c < 0.3:
        return 0x80000
    if c < 0.5:
        return rng.choice(EDGE_U64)
    return rand_u64(rng)


def random_case(rng, name, asm):
    return case(name, asm, nzcv=rand_nzcv(rng), sp=rand_sp(rng), **rand_regs(rng))


# ---------------------------------------------------------------- encoders

def enc_adr(page, immlo_hi, rd):
    imm = immlo_hi & ((1 << 21) - 1)
    return (page << 31) | ((imm & 3) << 29) | (0b10000 << 24) | ((imm >> 2) << 5) | rd


def enc_logical_imm(sf, opc, n, immr, imms, rn, rd):
    return (sf << 31) | (opc << 29) | (0b100100 << 23) | (n << 22) | (immr << 16) | (imms << 10) | (rn << 5) | rd


def rand_bitmask_fields(rng, sf):
    """A valid (N, immr, imms) for a logical immediate of width 32/64."""
    esizes = [2, 4, 8, 16, 32, 64] if sf else [2, 4, 8, 16, 32]
    e = rng.choice(esizes)
    s = rng.randrange(e - 1)  # ones - 1, never all ones
    rot = rng.randrange(e)
    if e == 64:
        return 1, rot, s
    # imms = NOT(esize-1 bits pattern): high bits 1..10, then s
    prefix = {2: 0b111100, 4: 0b111000, 8: 0b110000, 16: 0b100000, 32: 0b000000}[e]
    return 0, rot, prefix | s


# ---------------------------------------------------------------- dp_imm forms

def g_adr(rng, sf):
    imm = rng.randrange(1 << 21)
    return inst(enc_adr(0, imm, pick(rng)))


def g_adrp(rng, sf):
    imm = rng.randrange(1 << 21)
    return inst(enc_adr(1, imm, pick(rng)))


def _g_addsub_imm(op, flags):
    def g(rng, sf):
        rd = r(pick(rng), sf, sp=not flags)
        rn = r(pick(rng), sf, sp=True)
        imm = rng.choice([0, 1, 0xFFF, rng.randrange(4096), rng.randrange(4096)])
        sh = ", lsl #12" if rng.random() < 0.35 else ""
        return f"{op} {rd}, {rn}, #{imm}{sh}"
    return g


def _g_logical_imm(opc):
    def g(rng, sf):
        n, immr, imms = rand_bitmask_fields(rng, sf)
        return inst(enc_logical_imm(int(sf), opc, n, immr, imms, pick(rng), pick(rng)))
    return g


def _g_movewide(op):
    def g(rng, sf):
        hw = rng.randrange(4 if sf else 2)
        imm = rng.choice([0, 0xFFFF, 1, 0x8000, rng.randrange(1 << 16)])
        return f"{op} {r(pick(rng), sf)}, #{imm}, lsl #{16 * hw}"
    return g


def _g_bitfield(op):
    def g(rng, sf):
        w = 64 if sf else 32
        immr = rng.choice([0, w - 1, rng.randrange(w), rng.randrange(w)])
        imms = rng.choice([0, w - 1, rng.randrange(w), rng.randrange(w)])
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, #{immr}, #{imms}"
    return g


def g_extr(rng, sf):
    w = 64 if sf else 32
    lsb = rng.choice([0, w - 1, rng.randrange(w), rng.randrange(w)])
    return f"extr {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}, #{lsb}"


# Aliases of the bitfield/extract encodings, each a generator too.
def g_bitfield_alias(rng, sf):
    w = 64 if sf else 32
    d, n = r(pick(rng), sf), r(pick(rng), sf)
    k = rng.randrange(14)
    sh = rng.randrange(w)
    lsb = rng.randrange(w)
    width = rng.randrange(1, w - lsb + 1)
    if k == 0:
        return f"asr {d}, {n}, #{sh}"
    if k == 1:
        return f"lsl {d}, {n}, #{sh}"
    if k == 2:
        return f"lsr {d}, {n}, #{sh}"
    if k == 3:
        return f"sxtb {d}, {r(pick(rng), False)}"
    if k == 4:
        return f"sxth {d}, {r(pick(rng), False)}"
    if k == 5:
        return f"sxtw {r(pick(rng), True)}, {r(pick(rng), False)}"
    if k == 6:
        return f"uxtb {r(pick(rng), False)}, {r(pick(rng), False)}"
    if k == 7:
        return f"uxth {r(pick(rng), False)}, {r(pick(rng), False)}"
    if k == 8:
        return f"sbfiz {d}, {n}, #{lsb}, #{width}"
    if k == 9:
        return f"sbfx {d}, {n}, #{lsb}, #{width}"
    if k == 10:
        return f"ubfiz {d}, {n}, #{lsb}, #{width}"
    if k == 11:
        return f"ubfx {d}, {n}, #{lsb}, #{width}"
    if k == 12:
        return f"bfi {d}, {n}, #{lsb}, #{width}"
    return f"bfxil {d}, {n}, #{lsb}, #{width}"


def g_ror_imm(rng, sf):
    w = 64 if sf else 32
    return f"ror {r(pick(rng), sf)}, {r(pick(rng), sf)}, #{rng.randrange(w)}"


# ---------------------------------------------------------------- dp_reg forms

def _g_logical_shreg(op):
    def g(rng, sf):
        w = 64 if sf else 32
        amt = rng.choice([0, 1, w - 1, rng.randrange(w), rng.randrange(w)])
        sh = rng.choice(SHIFTS)
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}, {sh} #{amt}"
    return g


def _g_addsub_shreg(op):
    def g(rng, sf):
        w = 64 if sf else 32
        amt = rng.choice([0, 1, w - 1, rng.randrange(w), rng.randrange(w)])
        sh = rng.choice(SHIFTS[:3])
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}, {sh} #{amt}"
    return g


def _g_addsub_ext(op, flags):
    def g(rng, sf):
        ext = rng.choice(EXTENDS)
        msf = sf and ext in ("uxtx", "sxtx")
        amt = rng.randrange(5)
        rd = r(pick(rng), sf, sp=not flags)
        rn = r(pick(rng), sf, sp=True)
        return f"{op} {rd}, {rn}, {r(pick(rng), msf)}, {ext} #{amt}"
    return g


def _g_rrr(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}"
    return g


def _g_ccmp_reg(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, #{rng.randrange(16)}, {rng.choice(CONDS)}"
    return g


def _g_ccmp_imm(op):
    def g(rng, sf):
        imm = rng.choice([0, 31, rng.randrange(32)])
        return f"{op} {r(pick(rng), sf)}, #{imm}, #{rng.randrange(16)}, {rng.choice(CONDS)}"
    return g


def _g_csel(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}, {rng.choice(CONDS)}"
    return g


def _g_rr(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}"
    return g


def _g_crc(op, x):
    def g(rng, sf):
        return f"{op} {r(pick(rng), False)}, {r(pick(rng), False)}, {r(pick(rng), x)}"
    return g


def _g_rrrr(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}, {r(pick(rng), sf)}"
    return g


def _g_long(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), True)}, {r(pick(rng), False)}, {r(pick(rng), False)}, {r(pick(rng), True)}"
    return g


def _g_mulh(op):
    def g(rng, sf):
        return f"{op} {r(pick(rng), True)}, {r(pick(rng), True)}, {r(pick(rng), True)}"
    return g


# (form name, generator, sizes) — sizes: the sf values the form exists for.
BOTH = (False, True)
X64 = (True,)
W32 = (False,)

FORMS_IMM = [
    ("adr", g_adr, X64),
    ("adrp", g_adrp, X64),
    ("add_imm", _g_addsub_imm("add", False), BOTH),
    ("adds_imm", _g_addsub_imm("adds", True), BOTH),
    ("sub_imm", _g_addsub_imm("sub", False), BOTH),
    ("subs_imm", _g_addsub_imm("subs", True), BOTH),
    ("and_imm", _g_logical_imm(0), BOTH),
    ("orr_imm", _g_logical_imm(1), BOTH),
    ("eor_imm", _g_logical_imm(2), BOTH),
    ("ands_imm", _g_logical_imm(3), BOTH),
    ("movn", _g_movewide("movn"), BOTH),
    ("movz", _g_movewide("movz"), BOTH),
    ("movk", _g_movewide("movk"), BOTH),
]

FORMS_BITFIELD = [
    ("sbfm", _g_bitfield("sbfm"), BOTH),
    ("bfm", _g_bitfield("bfm"), BOTH),
    ("ubfm", _g_bitfield("ubfm"), BOTH),
    ("bitfield_alias", g_bitfield_alias, BOTH),
    ("extr", g_extr, BOTH),
    ("ror_imm", g_ror_imm, BOTH),
]

FORMS_REG_LOGIC = [(op + "_shreg", _g_logical_shreg(op), BOTH)
                   for op in ["and", "bic", "orr", "orn", "eor", "eon", "ands", "bics"]]

FORMS_REG_ARITH = (
    [(op + "_shreg", _g_addsub_shreg(op), BOTH) for op in ["add", "adds", "sub", "subs"]]
    + [(op + "_ext", _g_addsub_ext(op, op.endswith("s")), BOTH) for op in ["add", "adds", "sub", "subs"]]
    + [(op, _g_rrr(op), BOTH) for op in ["adc", "adcs", "sbc", "sbcs"]]
)

FORMS_REG_COND = (
    [(op + "_reg", _g_ccmp_reg(op), BOTH) for op in ["ccmn", "ccmp"]]
    + [(op + "_imm", _g_ccmp_imm(op), BOTH) for op in ["ccmn", "ccmp"]]
    + [(op, _g_csel(op), BOTH) for op in ["csel", "csinc", "csinv", "csneg"]]
    + [(op, _g_rr(op), BOTH) for op in ["rbit", "rev16", "rev", "clz", "cls"]]
    + [("rev32", _g_rr("rev32"), X64)]
)

FORMS_REG_MATH = (
    [(op, _g_rrr(op), BOTH) for op in ["udiv", "sdiv", "lslv", "lsrv", "asrv", "rorv"]]
    + [(op, _g_crc(op, False), W32) for op in ["crc32b", "crc32h", "crc32w", "crc32cb", "crc32ch", "crc32cw"]]
    + [(op, _g_crc(op, True), W32) for op in ["crc32x", "crc32cx"]]
    + [(op, _g_rrrr(op), BOTH) for op in ["madd", "msub"]]
    + [(op, _g_long(op), X64) for op in ["smaddl", "smsubl", "umaddl", "umsubl"]]
    + [(op, _g_mulh(op), X64) for op in ["smulh", "umulh"]]
)

ALL_FORMS = FORMS_IMM + FORMS_BITFIELD + FORMS_REG_LOGIC + FORMS_REG_ARITH + FORMS_REG_COND + FORMS_REG_MATH


def random_cases(forms, seed, per_form=40):
    rng = random.Random(seed)
    out = []
    for name, g, sizes in forms:
        for sf in sizes:
            tag = "x" if sf else "w"
            for i in range(per_form):
                out.append(random_case(rng, f"{name}_{tag}_rand{i}", g(rng, sf)))
    return out


def edge_pairs():
    """Operand pairs that hit carries, overflow and sign boundaries."""
    vals = [0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x7FFFFFFFFFFFFFFF,
            0x8000000000000000, M64, 0xFFFFFFFF80000000, 0x100000000]
    return [(a, b) for a in vals for b in vals]
