"""Shared case builders for the ldst_* specs (loads/stores of single registers and pairs).

Each form is one entry of crates/kvrm-isa/src/table/ldst.rs. For every form the
builders produce hand-picked edge cases and `N_RANDOM` random cases with random
offsets, registers and index values, the base register set so the address lands
in the data area 0x10000..0x20000 (or just around it).
"""

import random

from oracle import case, rand_u64, rand_nzcv, M64

N_RANDOM = 30
DATA_LO = 0x10000
DATA_HI = 0x20000

# stem -> (mnemonic, register class, size in bytes, kind)
SINGLE = {
    "STRB": ("strb", "w", 1, "st"),
    "LDRB": ("ldrb", "w", 1, "ld"),
    "LDRSB_x": ("ldrsb", "x", 1, "ld"),
    "LDRSB_w": ("ldrsb", "w", 1, "ld"),
    "STRH": ("strh", "w", 2, "st"),
    "LDRH": ("ldrh", "w", 2, "ld"),
    "LDRSH_x": ("ldrsh", "x", 2, "ld"),
    "LDRSH_w": ("ldrsh", "w", 2, "ld"),
    "STR_w": ("str", "w", 4, "st"),
    "LDR_w": ("ldr", "w", 4, "ld"),
    "LDRSW": ("ldrsw", "x", 4, "ld"),
    "STR_x": ("str", "x", 8, "st"),
    "LDR_x": ("ldr", "x", 8, "ld"),
    "PRFM": ("prfm", "prf", 8, "prf"),
    "STR_b": ("str", "b", 1, "st"),
    "LDR_b": ("ldr", "b", 1, "ld"),
    "STR_h": ("str", "h", 2, "st"),
    "LDR_h": ("ldr", "h", 2, "ld"),
    "STR_s": ("str", "s", 4, "st"),
    "LDR_s": ("ldr", "s", 4, "ld"),
    "STR_d": ("str", "d", 8, "st"),
    "LDR_d": ("ldr", "d", 8, "ld"),
    "STR_q": ("str", "q", 16, "st"),
    "LDR_q": ("ldr", "q", 16, "ld"),
}
GPR_STEMS = [s for s, v in SINGLE.items() if v[1] in ("w", "x")]
FP_STEMS = [s for s, v in SINGLE.items() if v[1] in ("b", "h", "s", "d", "q")]

# pair stem -> (mnemonic, register class, size of one register)
PAIR = {
    "STP_w": ("stp", "w", 4, "st"),
    "LDP_w": ("ldp", "w", 4, "ld"),
    "LDPSW": ("ldpsw", "x", 4, "ld"),
    "STP_x": ("stp", "x", 8, "st"),
    "LDP_x": ("ldp", "x", 8, "ld"),
    "STP_s": ("stp", "s", 4, "st"),
    "LDP_s": ("ldp", "s", 4, "ld"),
    "STP_d": ("stp", "d", 8, "st"),
    "LDP_d": ("ldp", "d", 8, "ld"),
    "STP_q": ("stp", "q", 16, "st"),
    "LDP_q": ("ldp", "q", 16, "ld"),
}


def is_fp(rc):
    return rc in ("b", "h", "s", "d", "q")


def reg(rc, t):
    if is_fp(rc):
        return f"{rc}{t}"
    return f"{rc}zr" if t == 31 else f"{rc}{t}"


def xbase(n):
    return "sp" if n == 31 else f"x{n}"


def mnemonic(stem, mode):
    mn = SINGLE[stem][0]
    if mode == "simm":
        return "prfum" if mn == "prfm" else mn[:2] + "u" + mn[2:]
    if mode == "unpriv":
        return mn[:2] + "t" + mn[2:]
    return mn


class State:
    """Registers for one case: x regs, sp, v regs, memory overrides."""

    def __init__(self):
        self.x = {}
        self.sp = None
        self.v = {}
        self.mem = {}

    def set_x(self, n, val, sp_ok=True):
        """Set register n (31 = sp if sp_ok, else xzr: ignored)."""
        if n == 31:
            if sp_ok:
                self.sp = val & M64
            return
        self.x[f"x{n}"] = val & M64

    def has_x(self, n):
        return (n == 31 and self.sp is not None) or f"x{n}" in self.x

    def build(self, name, asm, rng):
        kw = dict(self.x)
        if self.sp is not None:
            kw["sp"] = self.sp
        return case(name, asm, nzcv=rand_nzcv(rng), v=dict(self.v), mem=dict(self.mem), **kw)


def rand_rt_value(rng, st, rc, t):
    """Give the transfer register t of class rc a random value (stores)."""
    if is_fp(rc):
        st.v[t] = rng.getrandbits(128)
    elif t != 31 and not st.has_x(t):
        st.set_x(t, rand_u64(rng))


def rand_addr(rng, size):
    """A random address for an access of `size` bytes, mostly in the data area,
    sometimes unaligned across a page boundary."""
    r = rng.random()
    if r < 0.15:
        page = rng.randrange(DATA_LO, DATA_HI, 0x1000) + 0x1000
        return page - rng.randrange(1, size + 1) if size > 1 else page - 1
    return rng.randrange(DATA_LO, DATA_HI - size)


def imm_range(mode, size):
    """(lo, hi, step) of the byte offset of a single-register mode."""
    if mode == "uimm":
        return 0, 4095 * size, size
    return -256, 255, 1


def single_asm(stem, mode, t, n, off):
    rc = SINGLE[stem][1]
    mn = mnemonic(stem, mode)
    rt = f"#{t}" if rc == "prf" else reg(rc, t)
    if mode in ("uimm", "simm", "unpriv"):
        return f"{mn} {rt}, [{xbase(n)}, #{off}]"
    if mode == "pre":
        return f"{mn} {rt}, [{xbase(n)}, #{off}]!"
    if mode == "post":
        return f"{mn} {rt}, [{xbase(n)}], #{off}"
    raise ValueError(mode)


# register-offset extends: (text for Rm, extend name)
EXTENDS = ["uxtw", "lsl", "sxtw", "sxtx"]


def ext_value(ext, m):
    if ext == "uxtw":
        return m & 0xFFFFFFFF
    if ext == "sxtw":
        m &= 0xFFFFFFFF
        return m - (1 << 32) if m >> 31 else m
    return m


def reg_asm(stem, t, n, m, ext, s):
    rc = SINGLE[stem][1]
    size = SINGLE[stem][2]
    mn = SINGLE[stem][0]
    rt = "pldl1keep" if rc == "prf" else reg(rc, t)
    wide = ext in ("lsl", "sxtx")
    rm = reg("x" if wide else "w", m)
    amount = (size.bit_length() - 1) if s else 0
    if ext == "lsl":
        shift = f", lsl #{amount}" if s else ""
    else:
        shift = f", {ext} #{amount}" if s else f", {ext}"
    return f"{mn} {rt}, [{xbase(n)}, {rm}{shift}]"


def single_random(stem, mode, rng):
    """One random case of a single-register form in mode uimm/simm/unpriv/pre/post/reg."""
    mn, rc, size, kind = SINGLE[stem]
    st = State()
    wback = mode in ("pre", "post")
    n = rng.randrange(32)
    # rt: any register; with writeback keep rt != rn (the overlap has its own cases)
    while True:
        t = rng.randrange(32)
        if not (wback and not is_fp(rc) and t == n and n != 31):
            break
    if rc == "prf":
        # Prefetches never fault: any base, any prfop.
        addr = rand_u64(rng) if rng.random() < 0.3 else rand_addr(rng, 8)
    else:
        addr = rand_addr(rng, size)
    if mode == "reg":
        m = rng.randrange(32)
        while m == n and n != 31:
            m = rng.randrange(32)
        ext = rng.choice(EXTENDS)
        s = rng.randrange(2)
        mv = rand_u64(rng) if m != 31 else 0
        st.set_x(m, mv, sp_ok=False)
        amount = (size.bit_length() - 1) if s else 0
        base = addr - (ext_value(ext, mv) << amount)
        st.set_x(n, base)
        if kind == "st":
            rand_rt_value(rng, st, rc, t)
        asm = reg_asm(stem, t, n, m, ext, s)
        if rc == "prf":
            asm = asm.replace("pldl1keep", f"#{t}")
        return st, asm
    lo, hi, step = imm_range(mode, size if rc != "prf" else 8)
    off = rng.randrange(lo, hi + 1, step) if step > 1 else rng.randint(lo, hi)
    base = addr if mode == "post" else addr - off
    st.set_x(n, base)
    if kind == "st":
        rand_rt_value(rng, st, rc, t)
    return st, single_asm(stem, mode, t, n, off)


def single_edges(stem, mode, rng):
    """Edge cases of a single-register form: (suffix, State, asm) tuples."""
    mn, rc, size, kind = SINGLE[stem]
    out = []
    ps = 8 if rc == "prf" else size
    if mode == "reg":
        # Every extend with and without shift, index registers with junk in the
        # upper half, negative 32-bit indexes, and a wrapping 64-bit index.
        for ext in EXTENDS:
            for s in (0, 1):
                amount = (ps.bit_length() - 1) if s else 0
                for k, mv in enumerate([0xFFFFFFFF_00000010, 0x00000000_FFFFFFF0, 0xFFFFFFFF_FFFFFFFF,
                                        0x7FFFFFFF, 0x80000000]):
                    st = State()
                    st.set_x(4, mv)
                    base = 0x18000 - (ext_value(ext, mv) << amount)
                    st.set_x(3, base)
                    if kind == "st":
                        rand_rt_value(rng, st, rc, 1)
                    asm = reg_asm(stem, 1, 3, 4, ext, s)
                    out.append((f"{ext}{s}_{k}", st, asm))
        # sp base, xzr index
        st = State()
        st.set_x(31, 0x10100)
        if kind == "st":
            rand_rt_value(rng, st, rc, 2)
        out.append(("sp_xzr", st, reg_asm(stem, 2, 31, 31, "lsl", 1)))
        # rt == rn and rt == rm (no writeback: plain)
        if not is_fp(rc) and rc != "prf":
            st = State()
            st.set_x(5, 0x12345)
            st.set_x(6, 0x10)
            out.append(("rt_eq_rn", st, reg_asm(stem, 5, 5, 6, "lsl", 0)))
            st = State()
            st.set_x(5, 0x12345)
            st.set_x(6, 0x10)
            out.append(("rt_eq_rm", st, reg_asm(stem, 6, 5, 6, "sxtx", 0)))
            st = State()
            st.set_x(7, 0x10)
            st.set_x(8, 0x12000)
            out.append(("rt_zr", st, reg_asm(stem, 31, 8, 7, "uxtw", 1)))
        # fault (prefetch: no fault)
        st = State()
        st.set_x(3, 0x200000)
        st.set_x(4, 8)
        if kind == "st":
            rand_rt_value(rng, st, rc, 1)
        out.append(("fault", st, reg_asm(stem, 1, 3, 4, "lsl", 0)))
        return out

    lo, hi, step = imm_range(mode, ps)
    offs = sorted({lo, hi, 0, step, -step if lo < 0 else 2 * step})
    for off in offs:
        st = State()
        base = 0x14000 if mode == "post" else 0x14000 - off
        st.set_x(9, base)
        if kind == "st":
            rand_rt_value(rng, st, rc, 0)
        out.append((f"off{off}", st, single_asm(stem, mode, 0, 9, off)))
    # sp as base, with the smallest and largest offset
    for off in (lo, hi):
        st = State()
        st.set_x(31, (0x18000 if mode == "post" else 0x18000 - off))
        if kind == "st":
            rand_rt_value(rng, st, rc, 3)
        out.append((f"sp{off}", st, single_asm(stem, mode, 3, 31, off)))
    if rc == "prf":
        # prefetch of unmapped memory and with wrapping addresses: no fault
        for k, b in enumerate([0x200000, M64, 0x8000000000000000]):
            st = State()
            st.set_x(1, b)
            out.append((f"unmapped{k}", st, single_asm(stem, mode, k, 1, 0)))
        return out
    # unaligned across a page boundary
    st = State()
    st.set_x(2, 0x10FFF if mode == "post" else 0x10FFF - step)
    if kind == "st":
        rand_rt_value(rng, st, rc, 4)
    out.append(("cross_page", st, single_asm(stem, mode, 4, 2, 0 if mode == "post" else step)))
    # loads: sign / zero extension of each size
    if kind == "ld":
        for k, pat in enumerate([0x80, 0x7F, 0xFF, 0x01]):
            st = State()
            st.mem[0x15000] = bytes([0x00] * (size - 1) + [pat]) if size > 1 else bytes([pat])
            st.set_x(6, 0x15000 if mode == "post" else 0x15000 - step)
            out.append((f"ext{k}", st, single_asm(stem, mode, 7, 6, 0 if mode == "post" else step)))
    # rt = zr
    if not is_fp(rc):
        st = State()
        st.set_x(10, 0x13000)
        out.append(("rt_zr", st, single_asm(stem, mode, 31, 10, 0 if mode == "uimm" else -step)))
    # rt == rn: plain forms (fine) and writeback forms (constrained unpredictable)
    if not is_fp(rc):
        st = State()
        st.set_x(11, 0x13008)
        out.append(("rt_eq_rn", st, single_asm(stem, mode, 11, 11, step if mode != "simm" else -step)))
    # fault: unmapped base; the base must not be written back. A load that
    # runs past the end of memory faults too; such a store is left out: Unicorn
    # writes the bytes below the end before faulting, kvrm writes nothing (both
    # permitted: the memory a faulting store writes is UNKNOWN; see the unit
    # tests in exec/ldst.rs).
    for k, b in enumerate([0x200000] if kind == "st" else [0x200000, 0xFFFFF]):
        st = State()
        st.set_x(12, b)
        if kind == "st":
            rand_rt_value(rng, st, rc, 13)
        out.append((f"fault{k}", st, single_asm(stem, mode, 13, 12, 0 if mode == "uimm" else 1)))
    return out


def single_cases(stems, modes, seed):
    rng = random.Random(seed)
    out = []
    for mode in modes:
        for stem in stems:
            if SINGLE[stem][1] == "prf" and mode not in ("uimm", "simm", "reg"):
                continue
            tag = f"{stem}_{mode}"
            for suffix, st, asm in single_edges(stem, mode, rng):
                out.append(st.build(f"{tag}_{suffix}", asm, rng))
            for i in range(N_RANDOM):
                st, asm = single_random(stem, mode, rng)
                out.append(st.build(f"{tag}_rand{i}", asm, rng))
    return out


# ----- literal ---------------------------------------------------------------

LITERAL = [("LDR_w", "ldr", "w"), ("LDR_x", "ldr", "x"), ("LDRSW", "ldrsw", "x"),
           ("PRFM", "prfm", "prf"), ("LDR_s", "ldr", "s"), ("LDR_d", "ldr", "d"), ("LDR_q", "ldr", "q")]


def literal_cases(seed):
    """The literal is placed after a few padding instructions so the pc is not
    always the code start; offsets are multiples of 4 within +-1 MiB."""
    rng = random.Random(seed)
    out = []
    code = 0x1000
    for stem, mn, rc in LITERAL:
        def lit(t, off, pad=0):
            rt = f"#{t}" if rc == "prf" else reg(rc, t)
            return "; ".join(["nop"] * pad + [f"{mn} {rt}, .{off:+d}"])

        edges = [
            ("data", 0, 0x10000 - code),
            ("data_end", 3, 0x1FFF0 - code - 12),
            ("back_zero", 1, -0x800),
            ("self", 3, -12),              # reads the code itself (not past its end)
            ("max", 0, (1 << 20) - 4),     # 0x100FFC: unmapped -> fault
            ("min", 0, -(1 << 20)),        # wraps below 0 -> fault
            ("cross_page", 0, 0x10FFC - code),
            ("zr", 0, 0x12000 - code),
        ]
        for name, pad, off in edges:
            t = 31 if name == "zr" and rc in ("w", "x") else 5
            st = State()
            st.mem[0x800] = bytes(range(0x80, 0x90))
            out.append(st.build(f"{stem}_lit_{name}", lit(t, off, pad), rng))
        for i in range(N_RANDOM):
            pad = rng.randrange(4)
            pc = code + 4 * pad
            target = rng.randrange(DATA_LO, DATA_HI - 16, 4)
            if rc == "prf" and rng.random() < 0.3:
                target = pc + rng.randrange(-(1 << 20), 1 << 20, 4)
            t = rng.randrange(32 if rc != "prf" else 32)
            st = State()
            out.append(st.build(f"{stem}_lit_rand{i}", lit(t, target - pc, pad), rng))
    return out


# ----- pairs -----------------------------------------------------------------

PAIR_MODES = ["off", "pre", "post", "np"]


def pair_asm(stem, mode, t, t2, n, off):
    mn, rc, size, kind = PAIR[stem]
    if mode == "np":
        mn = mn[:2] + "np"
    r = f"{reg(rc, t)}, {reg(rc, t2)}"
    if mode in ("off", "np"):
        return f"{mn} {r}, [{xbase(n)}, #{off}]"
    if mode == "pre":
        return f"{mn} {r}, [{xbase(n)}, #{off}]!"
    return f"{mn} {r}, [{xbase(n)}], #{off}"


def pair_forms():
    for mode in PAIR_MODES:
        for stem in PAIR:
            if mode == "np" and stem == "LDPSW":
                continue
            yield stem, mode


def pair_random(stem, mode, rng):
    mn, rc, size, kind = PAIR[stem]
    st = State()
    wback = mode in ("pre", "post")
    n = rng.randrange(32)
    while True:
        t = rng.randrange(32)
        t2 = rng.randrange(32)
        if is_fp(rc):
            ok = t != t2 or kind == "st"
        else:
            ok = (t != t2 or kind == "st" or t == 31) and not (wback and n != 31 and n in (t, t2))
        if ok:
            break
    addr = rand_addr(rng, 2 * size)
    off = rng.randrange(-64, 64) * size
    st.set_x(n, addr if mode == "post" else addr - off)
    if kind == "st":
        rand_rt_value(rng, st, rc, t)
        rand_rt_value(rng, st, rc, t2)
    return st, pair_asm(stem, mode, t, t2, n, off)


def pair_edges(stem, mode, rng):
    mn, rc, size, kind = PAIR[stem]
    out = []
    wb0 = mode == "post"
    for off in (-64 * size, 63 * size, 0, size):
        st = State()
        st.set_x(9, 0x14000 if wb0 else 0x14000 - off)
        if kind == "st":
            rand_rt_value(rng, st, rc, 0)
            rand_rt_value(rng, st, rc, 1)
        out.append((f"off{off}", st, pair_asm(stem, mode, 0, 1, 9, off)))
    for off in (-64 * size, 63 * size):
        st = State()
        st.set_x(31, 0x18000 if wb0 else 0x18000 - off)
        if kind == "st":
            rand_rt_value(rng, st, rc, 2)
            rand_rt_value(rng, st, rc, 3)
        out.append((f"sp{off}", st, pair_asm(stem, mode, 2, 3, 31, off)))
    # unaligned across a page boundary
    st = State()
    st.set_x(2, 0x10FFD if wb0 else 0x10FFD - size)
    if kind == "st":
        rand_rt_value(rng, st, rc, 4)
        rand_rt_value(rng, st, rc, 5)
    out.append(("cross_page", st, pair_asm(stem, mode, 4, 5, 2, 0 if wb0 else size)))
    if kind == "ld":
        for k, pat in enumerate([0x80, 0x7F, 0xFF]):
            st = State()
            st.mem[0x15000] = (bytes([0] * (size - 1) + [pat]) + bytes([pat] + [0] * (size - 1)))
            st.set_x(6, 0x15000)
            out.append((f"ext{k}", st, pair_asm(stem, mode, 7, 8, 6, 0)))
        # rt == rt2 (constrained unpredictable)
        st = State()
        st.set_x(6, 0x15008)
        out.append(("rt_eq_rt2", st, pair_asm(stem, mode, 7, 7, 6, 0)))
    if not is_fp(rc):
        # zr as one or both registers
        st = State()
        st.set_x(10, 0x13000)
        if kind == "st":
            rand_rt_value(rng, st, rc, 12)
        out.append(("rt_zr", st, pair_asm(stem, mode, 31, 12, 10, 0)))
        st = State()
        st.set_x(10, 0x13000)
        out.append(("rt2_zr", st, pair_asm(stem, mode, 12, 31, 10, size)))
        # rt == rn / rt2 == rn (with writeback: constrained unpredictable)
        st = State()
        st.set_x(11, 0x13010)
        if kind == "st":
            rand_rt_value(rng, st, rc, 12)
        out.append(("rt_eq_rn", st, pair_asm(stem, mode, 11, 12, 11, size)))
        st = State()
        st.set_x(11, 0x13010)
        if kind == "st":
            rand_rt_value(rng, st, rc, 12)
        out.append(("rt2_eq_rn", st, pair_asm(stem, mode, 12, 11, 11, -size)))
    # faults: unmapped, and (general-register loads only) the second register
    # past the end of memory. Unicorn performs the first half of a SIMD&FP pair
    # load or of any pair store before faulting on the second; kvrm performs
    # the pair as one access (see single_edges and the unit tests).
    ends = [0x200000] if kind == "st" or is_fp(rc) else [0x200000, 0x100000 - size]
    for k, b in enumerate(ends):
        st = State()
        st.set_x(12, b)
        if kind == "st":
            rand_rt_value(rng, st, rc, 13)
            rand_rt_value(rng, st, rc, 14)
        out.append((f"fault{k}", st, pair_asm(stem, mode, 13, 14, 12, 0)))
    return out


def pair_cases(seed):
    rng = random.Random(seed)
    out = []
    for stem, mode in pair_forms():
        tag = f"{stem}_{mode}"
        for suffix, st, asm in pair_edges(stem, mode, rng):
            out.append(st.build(f"{tag}_{suffix}", asm, rng))
        for i in range(N_RANDOM):
            st, asm = pair_random(stem, mode, rng)
            out.append(st.build(f"{tag}_rand{i}", asm, rng))
    return out
