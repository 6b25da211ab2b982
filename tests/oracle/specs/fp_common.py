"""Shared helpers of the fp*/simd_fp* specs (random FP operands biased to
specials, FPCR/FPSR values), plus the FMOV cases of the scalar class."""

import random
import struct

from oracle import case

# (exponent bits, fraction bits, register prefix)
FMTS = {"h": (5, 10), "s": (8, 23), "d": (11, 52)}
WIDTH = {"h": 16, "s": 32, "d": 64}

FPSR_FLAGS = [1, 2, 4, 8, 16, 128]


def pack(fmt, sign, exp, frac):
    e, f = FMTS[fmt]
    return (sign << (e + f)) | (exp << f) | frac


def from_float(fmt, x):
    """Bits of a Python float rounded (nearest) to `fmt`."""
    x = float(x)
    if fmt == "h":
        try:
            return struct.unpack("<H", struct.pack("<e", x))[0]
        except (OverflowError, struct.error):
            return 0x7C00 if x > 0 else 0xFC00
    if fmt == "s":
        try:
            return struct.unpack("<I", struct.pack("<f", x))[0]
        except (OverflowError, struct.error):
            return 0x7F800000 if x > 0 else 0xFF800000
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def specials(fmt):
    """Hand-picked edge values of a format."""
    e, f = FMTS[fmt]
    emax = (1 << e) - 1
    out = []
    for s in (0, 1):
        out += [
            pack(fmt, s, 0, 0),                      # zero
            pack(fmt, s, emax, 0),                   # infinity
            pack(fmt, s, emax, 1 << (f - 1)),        # default-like qNaN
            pack(fmt, s, emax, (1 << (f - 1)) | 5),  # qNaN with payload
            pack(fmt, s, emax, 1),                   # sNaN
            pack(fmt, s, emax, (1 << (f - 1)) - 3),  # sNaN with payload
            pack(fmt, s, 0, 1),                      # min denormal
            pack(fmt, s, 0, (1 << f) - 1),           # max denormal
            pack(fmt, s, 0, 1 << (f - 1)),           # mid denormal
            pack(fmt, s, 1, 0),                      # min normal
            pack(fmt, s, emax - 1, (1 << f) - 1),    # max normal
            pack(fmt, s, (1 << (e - 1)) - 1, 0),     # 1.0
            pack(fmt, s, (1 << (e - 1)), 0),         # 2.0
            pack(fmt, s, (1 << (e - 1)) - 1, 1),     # 1 + ulp
            pack(fmt, s, (1 << (e - 1)) - 2, (1 << f) - 1),  # 1 - ulp/2
        ]
    for x in (0.5, 1.5, 2.5, -2.5, 3.5, -0.5, 0.49999, 1e-3, 7.0, 100.25, -3.75, 65504.0, 2.0**31,
              -2.0**31, 2.0**32, 2.0**63, -2.0**63, 2.0**64, 4294967295.5, -4294967296.0):
        out.append(from_float(fmt, x))
    return out


def rand_fp(rng: random.Random, fmt):
    """Random bits of `fmt`, biased to specials, denormals, extremes and values
    near integers and halves."""
    e, f = FMTS[fmt]
    emax = (1 << e) - 1
    bias = (1 << (e - 1)) - 1
    s = rng.getrandbits(1)
    r = rng.random()
    if r < 0.15:
        return rng.choice(specials(fmt))
    if r < 0.25:  # denormal
        return pack(fmt, s, 0, rng.getrandbits(f) or 1)
    if r < 0.32:  # near the bottom of the normal range
        return pack(fmt, s, rng.randrange(1, 4), rng.getrandbits(f))
    if r < 0.39:  # near the top
        return pack(fmt, s, emax - rng.randrange(1, 4), rng.getrandbits(f))
    if r < 0.45:  # NaNs with random payloads
        frac = rng.getrandbits(f) or 1
        return pack(fmt, s, emax, frac)
    if r < 0.60:  # near integers / halves
        k = rng.choice([rng.randrange(-20, 20), rng.randrange(-70000, 70000), rng.getrandbits(40)])
        x = k + rng.choice([0, 0.5, 0.25, 0.75, 0.5000001, 0.4999999, 1e-9, -1e-9])
        return from_float(fmt, x)
    if r < 0.80:  # moderate exponents
        return pack(fmt, s, bias + rng.randrange(-(e * 3), e * 3 + 1), rng.getrandbits(f))
    return pack(fmt, s, rng.randrange(0, emax + 1), rng.getrandbits(f))


def rand_fpcr(rng: random.Random, ahp=False):
    """fpcr = rmode<<22 | fz<<24 | dn<<25 (| ahp<<26)."""
    v = rng.randrange(4) << 22
    if rng.random() < 0.3:
        v |= 1 << 24
    if rng.random() < 0.3:
        v |= 1 << 25
    if ahp and rng.random() < 0.3:
        v |= 1 << 26
    return v


def rand_fpsr(rng: random.Random):
    """Mostly clean, sometimes with sticky flags already set."""
    if rng.random() < 0.6:
        return 0
    v = 0
    for b in FPSR_FLAGS:
        if rng.random() < 0.3:
            v |= b
    return v


def vfill(rng: random.Random, val, bits):
    """A 128-bit register whose low `bits` are `val`, the rest random."""
    return (rng.getrandbits(128) & ~((1 << bits) - 1)) | val


def rand_vec(rng: random.Random, fmt):
    """A 128-bit register of random lanes of `fmt`."""
    w = WIDTH[fmt]
    v = 0
    for i in range(128 // w):
        v |= rand_fp(rng, fmt) << (i * w)
    return v


def fpcase(name, asm, rng, fpcr=None, fpsr=None, **kw):
    if fpcr is None:
        fpcr = rand_fpcr(rng)
    if fpsr is None:
        fpsr = rand_fpsr(rng)
    return case(name, asm, fpcr=fpcr, fpsr=fpsr, **kw)


def cases():
    """FMOV (register, immediate, general <-> FP incl. the upper half of a vector)."""
    rng = random.Random(0xF0C0)
    out = []
    for fmt in "hsd":
        w = WIDTH[fmt]
        for i in range(12):
            val = rand_fp(rng, fmt)
            out.append(fpcase(f"fmov_reg_{fmt}_{i}", f"fmov {fmt}0, {fmt}1", rng,
                              v={1: vfill(rng, val, w)}))
        for imm in ("1.0", "-2.0", "0.125", "31.0", "-1.9375", "0.5", "3.0", "-0.1875"):
            out.append(fpcase(f"fmov_imm_{fmt}_{imm}", f"fmov {fmt}3, #{imm}", rng))
    for i in range(16):
        x = rng.getrandbits(64)
        q = rng.getrandbits(128)
        out += [
            case(f"fmov_w_s_{i}", "fmov w0, s1", v={1: q}),
            case(f"fmov_s_w_{i}", "fmov s2, w1", x1=x),
            case(f"fmov_x_d_{i}", "fmov x0, d1", v={1: q}),
            case(f"fmov_d_x_{i}", "fmov d2, x1", x1=x),
            case(f"fmov_x_v1_{i}", "fmov x0, v1.d[1]", v={1: q}),
            case(f"fmov_v1_x_{i}", "fmov v2.d[1], x1", x1=x, v={2: q}),
            case(f"fmov_w_h_{i}", "fmov w0, h1", v={1: q}),
            case(f"fmov_x_h_{i}", "fmov x0, h1", v={1: q}),
            case(f"fmov_h_w_{i}", "fmov h2, w1", x1=x),
            case(f"fmov_h_x_{i}", "fmov h2, x1", x1=x),
            case(f"fmov_zr_{i}", "fmov s3, wzr; fmov d4, xzr; fmov v5.d[1], xzr", v={5: q}),
        ]
    # Unallocated: FMOV W<->D (sf=0, ftype=01), X<->S top half (ftype=00 rmode=01).
    for word in (0x1E670020, 0x1E660020, 0x9E2F0020, 0x9E270020):
        out.append(case(f"fmov_undef_{word:08x}", f".inst {word:#x}"))
    return out
