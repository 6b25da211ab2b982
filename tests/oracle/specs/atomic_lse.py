"""LSE atomics: LDADD, LDCLR, LDEOR, LDSET, LDSMAX, LDSMIN, LDUMAX, LDUMIN, SWP (every
size B/H/W/X and ordering none/A/L/AL, ST* aliases with Rt = XZR), CAS* and CASP*,
with random memory values in the data area; the returned old value is checked at
every size. Alignment faults and odd CASP registers."""

import random

from oracle import case, rand_u64, rand_nzcv, DATA_ADDR

OPS = ["add", "clr", "eor", "set", "smax", "smin", "umax", "umin"]
ORDS = ["", "a", "l", "al"]
SIZES = [(1, "b", "w"), (2, "h", "w"), (4, "", "w"), (8, "", "x")]
EDGES = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
         0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF]


def rand_val(rng, size):
    v = rng.choice(EDGES) if rng.random() < 0.3 else rand_u64(rng)
    return v & ((1 << (8 * size)) - 1)


def place(rng, size):
    """A random naturally aligned address in the data area."""
    return DATA_ADDR + rng.randrange(0, 0x10000 // size) * size


def regs(rng, n):
    """n distinct general registers (x0..x30)."""
    return rng.sample(range(31), n)


def base(rng, addr, r):
    """Address register operand: sp when the address is 16-byte aligned (sometimes)."""
    if addr % 16 == 0 and rng.random() < 0.2:
        return "sp", {"sp": addr}
    return f"x{r}", {f"x{r}": addr}


def cases():
    rng = random.Random(0xA70317C)
    out = []
    for op in OPS + ["swp"]:
        for size, suf, wr in SIZES:
            for i in range(36):
                ordv = rng.choice(ORDS)
                s, t, n = regs(rng, 3)
                addr = place(rng, size)
                old = rand_val(rng, size)
                # Operand: sometimes the same as memory, sometimes only sign-flipped.
                r = rng.random()
                opnd = rand_u64(rng) if r < 0.7 else (old if r < 0.8 else old ^ (1 << (8 * size - 1)))
                if op in ("smax", "smin") and size < 8:
                    # Unicorn 2.1 compares B/H/W SMAX/SMIN unsigned (Arm ARM: SInt at the
                    # access size). Keep operands whose sign bit equals memory's, where both
                    # orders agree; the mixed-sign cases are unit tests in exec/atomics.rs.
                    sb = 1 << (8 * size - 1)
                    opnd = (opnd & ~sb) | (old & sb)
                tname = f"{wr}{t}"
                if rng.random() < 0.15:
                    tname = f"{wr}zr"  # ST<op> alias (or discarded result with A)
                bn, init = base(rng, addr, n)
                mn = f"swp{ordv}{suf}" if op == "swp" else f"ld{op}{ordv}{suf}"
                init[f"x{s}"] = opnd
                out.append(case(f"{mn}_{size}_{i}", f"{mn} {wr}{s}, {tname}, [{bn}]",
                                mem={addr: old.to_bytes(size, "little")}, nzcv=rand_nzcv(rng), **init))
        # The ST* alias spelling.
        if op != "swp":
            for size, suf, wr in SIZES:
                for ordv in ["", "l"]:
                    addr = place(rng, size)
                    mn = f"st{op}{ordv}{suf}"
                    old, opnd = rand_val(rng, size), rand_u64(rng)
                    if op in ("smax", "smin") and size < 8:
                        sb = 1 << (8 * size - 1)  # see above: same sign bit only
                        opnd = (opnd & ~sb) | (old & sb)
                    out.append(case(f"{mn}_alias_{size}", f"{mn} {wr}3, [x4]", x3=opnd, x4=addr,
                                    mem={addr: old.to_bytes(size, "little")}))
    # CAS: compare Rs, store Rt when equal; Rs gets the old value.
    for size, suf, wr in SIZES:
        for i in range(40):
            ordv = rng.choice(ORDS)
            s, t, n = regs(rng, 3)
            addr = place(rng, size)
            old = rand_val(rng, size)
            cmpv = rand_u64(rng)
            if rng.random() < 0.5:
                # Equal in the low bits; garbage above them must not matter.
                cmpv = (cmpv & ~((1 << (8 * size)) - 1)) | old
            bn, init = base(rng, addr, n)
            init[f"x{s}"] = cmpv
            init[f"x{t}"] = rand_u64(rng)
            mn = f"cas{ordv}{suf}"
            out.append(case(f"{mn}_{size}_{i}", f"{mn} {wr}{s}, {wr}{t}, [{bn}]",
                            mem={addr: old.to_bytes(size, "little")}, **init))
    # CASP: even register pairs; the first register of a pair is the lower address.
    for wr, esize in [("w", 4), ("x", 8)]:
        for i in range(40):
            ordv = rng.choice(ORDS)
            s, t = rng.sample(range(0, 30, 2), 2)
            n = rng.choice([r for r in range(31) if r not in (s, s + 1, t, t + 1)])
            addr = place(rng, 2 * esize)
            lo, hi = rand_val(rng, esize), rand_val(rng, esize)
            m = (1 << (8 * esize)) - 1
            c0, c1 = rand_u64(rng), rand_u64(rng)
            k = rng.random()
            if k < 0.5:
                c0, c1 = (c0 & ~m) | lo, (c1 & ~m) | hi
            elif k < 0.65:
                c0 = (c0 & ~m) | lo  # one half equal only
            bn, init = base(rng, addr, n)
            init.update({f"x{s}": c0, f"x{s + 1}": c1, f"x{t}": rand_u64(rng), f"x{t + 1}": rand_u64(rng)})
            mn = f"casp{ordv}"
            mem = lo.to_bytes(esize, "little") + hi.to_bytes(esize, "little")
            out.append(case(f"{mn}_{wr}_{i}", f"{mn} {wr}{s}, {wr}{s + 1}, {wr}{t}, {wr}{t + 1}, [{bn}]",
                            mem={addr: mem}, **init))
    out.append(case("casp_x_t30", "casp x4, x5, x30, xzr, [x1]", x1=DATA_ADDR + 0x20,
                    x4=0x1716151413121110 ^ 0, x5=0))
    # Odd CASP registers are unallocated.
    for w, nm in [(0x48217C82, "x_rs_odd"), (0x48207C83, "x_rt_odd"), (0x08217C82, "w_rs_odd")]:
        out.append(case(f"casp_{nm}", f".inst {w:#x}", x4=DATA_ADDR))
    # CAS / CASP with Rt2 != 11111 are unallocated.
    out.append(case("cas_rt2_not31", ".inst 0x88a07820", x1=DATA_ADDR))
    out.append(case("casp_rt2_not31", ".inst 0x48207882", x4=DATA_ADDR))
    # Unaligned atomics: alignment fault, memory untouched.
    for size, suf, wr in SIZES[1:]:
        for k in range(1, size, max(1, size // 4)):
            a = DATA_ADDR + 0x100 + k
            out.append(case(f"ldadd{suf}_unaligned_{size}_{k}", f"ldadd{suf} {wr}1, {wr}2, [x3]", x3=a))
            out.append(case(f"swp{suf}_unaligned_{size}_{k}", f"swpal{suf} {wr}1, {wr}2, [x3]", x3=a))
            out.append(case(f"cas{suf}_unaligned_{size}_{k}", f"cas{suf} {wr}1, {wr}2, [x3]", x3=a))
            out.append(case(f"stumax{suf}_unaligned_{size}_{k}", f"stumax{suf} {wr}1, [x3]", x3=a))
    out.append(case("casp_w_unaligned", "casp w0, w1, w4, w5, [x3]", x3=DATA_ADDR + 4))
    out.append(case("casp_x_unaligned", "caspal x0, x1, x4, x5, [x3]", x3=DATA_ADDR + 8))
    # Unmapped: a fault.
    out.append(case("ldadd_unmapped", "ldadd x1, x2, [x3]", x3=0x200000))
    return out
