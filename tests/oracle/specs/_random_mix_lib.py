"""Generator of random instruction sequences over every implemented class (not a spec
itself: gen_cases skips `_` files). Used by the random_mix* specs.

A sequence is built from *units*: one instruction, or a few that must run together
to stay safe (an index register set right before a register-offset load, an aligned
address computed right before an atomic, an LDXR ... STXR pair, a bounded loop).
Branch targets fall only between units, so a skipped instruction can never leave an
address register unbounded.

Address registers ("bases", x19..x28 and sometimes sp) point into the data area
0x10000..0x20000 and are only changed by writeback of bounded size; the generator
tracks the worst-case drift of each (loop bodies count once per iteration), so every
access stays inside the data area. Other general registers form a small "hot" pool
with random values: results feed later instructions. Loops count down a register
reserved for the loop.

Unit kinds (weights chosen per spec): dp, flags, sys (MRS/MSR FPCR/FPSR/NZCV/TPIDR_EL0,
DC ZVA), ldst, simd_ldst, atomic (LSE, CAS/CASP, exclusives with optional retry loop,
ordered and RCpc accesses), branch (conditional/CBZ/TBZ/B/BL/BR/BLR/RET forward,
if/else, BL to a subroutine that returns, SVC ending the snippet), loop (bounded
countdown, backward branch), smc (patch a later or, in a loop, an earlier instruction,
then DC CVAU/DSB/IC IVAU/DSB/ISB), fp, simd, simd_fp.

Not generated, because the oracle (Unicorn 2.1) deviates or the runner differs:
LDSMAX/LDSMIN below 64 bits, unaligned ordered/exclusive accesses, STXR narrower than
its LDXR, stores between LDXR and STXR (Unicorn's monitor compares values), FJCVTZS
with FPCR.FZ, accesses that fault part-way, BC.cond (no FEAT_HBC in Unicorn), half-
precision vector arithmetic (not implemented by kvrm), literal loads reaching the word
past the snippet (kvrm's runner appends a BRK there).
"""

import random

from oracle import case, rand_u64, DATA_ADDR, DATA_SIZE

CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"]
BASE_CANDIDATES = list(range(19, 29))
DRIFT_LIMIT = 0x3000
BASE_LO = DATA_ADDR + 0x4000
BASE_HI = DATA_ADDR + DATA_SIZE - 0x4000
M64 = (1 << 64) - 1

ARR_ALL = ["8b", "16b", "4h", "8h", "2s", "4s", "2d"]
ARR_NO2D = ["8b", "16b", "4h", "8h", "2s", "4s"]
ARR_HS = ["4h", "8h", "2s", "4s"]
ARR_B = ["8b", "16b"]
EBITS = {"b": 8, "h": 16, "s": 32, "d": 64}
ESZ = {"b": 1, "h": 2, "s": 4, "d": 8, "q": 16}
WIDE = {"8b": "8h", "16b": "8h", "4h": "4s", "8h": "4s", "2s": "2d", "4s": "2d"}
FP_FMT = {"h": (5, 10), "s": (8, 23), "d": (11, 52)}


def elt(arr):
    return arr[-1]


def nlanes(arr):
    return int(arr[:-1])


def is_q(arr):
    return nlanes(arr) * EBITS[elt(arr)] == 128


# ---------------------------------------------------------------- values

def fp_bits(rng, fmt):
    """Random bits of an FP format: specials, denormals, extremes, small integers."""
    e, f = FP_FMT[fmt]
    emax = (1 << e) - 1
    bias = emax >> 1
    s = rng.getrandbits(1) << (e + f)
    r = rng.random()
    if r < 0.08:
        return s  # zero
    if r < 0.13:
        return s | (emax << f)  # infinity
    if r < 0.2:
        return s | (emax << f) | (rng.getrandbits(f) or 1)  # NaN (quiet or signalling)
    if r < 0.3:
        return s | (rng.getrandbits(f) or 1)  # denormal
    if r < 0.38:
        return s | (rng.randrange(1, 3) << f) | rng.getrandbits(f)  # tiny normal
    if r < 0.44:
        return s | ((emax - rng.randrange(1, 3)) << f) | rng.getrandbits(f)  # huge
    if r < 0.6:  # small integers and halves
        k = rng.randrange(1, 200)
        sh = rng.randrange(-1, 8)
        # value k * 2**sh with k < 256: exponent bias + bitlen-1 + sh
        bl = k.bit_length()
        frac = (k << (f - bl + 1)) & ((1 << f) - 1) if bl - 1 <= f else 0
        exp = bias + bl - 1 + sh
        if 0 < exp < emax:
            return s | (exp << f) | frac
    return s | ((bias + rng.randrange(-2 * e, 2 * e + 1)) << f) | rng.getrandbits(f)


def rand_vreg(rng):
    r = rng.random()
    if r < 0.2:
        return rng.getrandbits(128)
    if r < 0.45:
        lanes = [rng.choice([0, 1, 0x7F, 0x80, 0xFF, rng.getrandbits(8)]) for _ in range(16)]
        return int.from_bytes(bytes(lanes), "little")
    fmt = rng.choice("hssdd")
    w = EBITS[fmt]
    v = 0
    for i in range(128 // w):
        v |= fp_bits(rng, fmt) << (i * w)
    return v


def rand_gpr(rng):
    r = rng.random()
    if r < 0.2:
        return rng.randrange(0, 64)
    if r < 0.3:
        return (-rng.randrange(1, 64)) & M64
    return rand_u64(rng)


def rand_fpcr(rng):
    v = rng.randrange(4) << 22
    if rng.random() < 0.3:
        v |= 1 << 24  # FZ
    if rng.random() < 0.3:
        v |= 1 << 25  # DN
    if rng.random() < 0.15:
        v |= 1 << 26  # AHP
    if rng.random() < 0.15:
        v |= 1 << 19  # FZ16
    return v


def rand_fpsr(rng):
    if rng.random() < 0.6:
        return 0
    v = 0
    for b in (0, 1, 2, 3, 4, 7, 27):
        if rng.random() < 0.3:
            v |= 1 << b
    return v


def bitmask_imm(rng, width):
    """A random valid logical immediate for a register of `width` bits."""
    e = rng.choice([x for x in (2, 4, 8, 16, 32, 64) if x <= width])
    ones = rng.randrange(1, e)
    rot = rng.randrange(e)
    pat = (1 << ones) - 1
    pat = ((pat >> rot) | (pat << (e - rot))) & ((1 << e) - 1)
    v = 0
    for i in range(width // e):
        v |= pat << (i * e)
    return v


class Gen:
    def __init__(self, rng, weights, fpcr):
        self.rng = rng
        self.weights = weights
        self.fpcr = fpcr
        # FJCVTZS only where FZ stays clear (Unicorn sets Z wrongly for flushed input).
        self.fz_free = not (fpcr >> 24 & 1) and rng.random() < 0.5
        nb = rng.randrange(2, 5)
        self.bases = rng.sample(BASE_CANDIDATES, nb)
        self.sp_base = rng.random() < 0.35
        free = [i for i in range(31) if i not in self.bases]
        self.hot = rng.sample(free, rng.randrange(6, 10))
        self.free = free
        self.vhot = rng.sample(range(32), rng.randrange(6, 11))
        self.reserved = set()
        self.drift = {b: 0 for b in self.bases + ["sp"]}
        self.mult = 1
        self.label = 10
        self.lines = []
        self.count = 0
        self.in_loop = False

    # ------------------------------------------------------------ registers
    def x(self, i, w=False):
        if i == 31:
            return "wzr" if w else "xzr"
        return ("w" if w else "x") + str(i)

    def dst(self):
        c = [r for r in self.hot if r not in self.reserved]
        if self.rng.random() < 0.1:
            c = [r for r in self.free if r not in self.reserved]
        return self.rng.choice(c)

    def src(self, zr=True):
        r = self.rng.random()
        if zr and r < 0.06:
            return 31
        if r < 0.12:
            return self.rng.choice(self.free)
        if r < 0.15:
            return self.rng.choice(self.bases)
        return self.rng.choice(self.hot)

    def temp(self, avoid=()):
        c = [r for r in self.free if r not in self.reserved and r not in avoid]
        return self.rng.choice(c)

    def v(self):
        if self.rng.random() < 0.08:
            return self.rng.randrange(32)
        return self.rng.choice(self.vhot)

    def label_new(self):
        self.label += 1
        return self.label

    # ------------------------------------------------------------ emit
    def emit(self, *ins):
        self.lines.extend(ins)
        self.count += len([i for i in ins if not i.endswith(":")])

    def unit(self, depth=0):
        kinds = list(self.weights)
        k = self.rng.choices(kinds, [self.weights[x] for x in kinds])[0]
        if k == "branch" and depth >= 2:
            k = "dp"
        if k == "loop" and (self.in_loop or depth >= 1):
            k = "dp"
        getattr(self, "u_" + k)(depth)

    def build(self, n):
        while self.count < n:
            self.unit()
        return "; ".join(self.lines)

    # ------------------------------------------------------------ integer dp
    def u_dp(self, depth):
        rng = self.rng
        sf = rng.random() < 0.6
        w = not sf
        W = 64 if sf else 32
        d, n, m = self.x(self.dst(), w), self.x(self.src(), w), self.x(self.src(), w)
        k = rng.randrange(30)
        if k == 0:
            op = rng.choice(["add", "adds", "sub", "subs"])
            rn = n if rng.random() < 0.9 else ("sp" if sf else "wsp")
            if rn.endswith("zr"):
                rn = self.x(self.src(zr=False), w)
            sh = ", lsl #12" if rng.random() < 0.3 else ""
            self.emit(f"{op} {d}, {rn}, #{rng.randrange(4096)}{sh}")
        elif k == 1:
            op = rng.choice(["cmp", "cmn"])
            self.emit(f"{op} {self.x(self.src(zr=False), w)}, #{rng.randrange(4096)}")
        elif k == 2:
            op = rng.choice(["and", "orr", "eor", "ands"])
            if op == "ands" and rng.random() < 0.3:
                self.emit(f"tst {n}, #{bitmask_imm(rng, W):#x}")
            else:
                self.emit(f"{op} {d}, {n}, #{bitmask_imm(rng, W):#x}")
        elif k == 3:
            op = rng.choice(["movz", "movn", "movk", "movk"])
            hw = rng.randrange(4 if sf else 2)
            self.emit(f"{op} {d}, #{rng.randrange(1 << 16):#x}, lsl #{16 * hw}")
        elif k == 4:
            op = rng.choice(["sbfm", "bfm", "ubfm"])
            self.emit(f"{op} {d}, {n}, #{rng.randrange(W)}, #{rng.randrange(W)}")
        elif k == 5:
            lsb = rng.randrange(W)
            wd = rng.randrange(1, W - lsb + 1)
            op = rng.choice(["sbfx", "ubfx", "sbfiz", "ubfiz", "bfi", "bfxil"])
            self.emit(f"{op} {d}, {n}, #{lsb}, #{wd}")
        elif k == 6:
            op = rng.choice(["lsl", "lsr", "asr", "ror"])
            self.emit(f"{op} {d}, {n}, #{rng.randrange(W)}")
        elif k == 7:
            self.emit(f"extr {d}, {n}, {m}, #{rng.randrange(W)}")
        elif k == 8:
            op = rng.choice(["sxtb", "sxth", "uxtb", "uxth", "sxtw"])
            if op == "sxtw":
                self.emit(f"sxtw {self.x(self.dst())}, {self.x(self.src(), True)}")
            elif op.startswith("u"):
                self.emit(f"{op} {self.x(self.dst(), True)}, {self.x(self.src(), True)}")
            else:
                self.emit(f"{op} {d}, {self.x(self.src(), True)}")
        elif k in (9, 10):
            op = rng.choice(["and", "bic", "orr", "orn", "eor", "eon", "ands", "bics"])
            sh = rng.choice(["lsl", "lsr", "asr", "ror"])
            self.emit(f"{op} {d}, {n}, {m}, {sh} #{rng.randrange(W)}")
        elif k in (11, 12):
            op = rng.choice(["add", "adds", "sub", "subs"])
            sh = rng.choice(["lsl", "lsr", "asr"])
            self.emit(f"{op} {d}, {n}, {m}, {sh} #{rng.randrange(W)}")
        elif k == 13:
            op = rng.choice(["add", "adds", "sub", "subs", "cmp", "cmn"])
            ext = rng.choice(["uxtb", "uxth", "uxtw", "uxtx", "sxtb", "sxth", "sxtw", "sxtx"])
            mw = not (sf and ext in ("uxtx", "sxtx"))
            rm = self.x(self.src(), mw)
            rn = n if rng.random() < 0.8 else ("sp" if sf else "wsp")
            if rn.endswith("zr"):
                rn = self.x(self.src(zr=False), w)
            amt = rng.randrange(5)
            if op in ("cmp", "cmn"):
                self.emit(f"{op} {rn}, {rm}, {ext} #{amt}")
            else:
                self.emit(f"{op} {d}, {rn}, {rm}, {ext} #{amt}")
        elif k == 14:
            op = rng.choice(["adc", "adcs", "sbc", "sbcs", "ngc", "ngcs"])
            if op.startswith("ngc"):
                self.emit(f"{op} {d}, {m}")
            else:
                self.emit(f"{op} {d}, {n}, {m}")
        elif k == 15:
            op = rng.choice(["ccmp", "ccmn"])
            c = rng.choice(CONDS)
            if rng.random() < 0.5:
                self.emit(f"{op} {n}, #{rng.randrange(32)}, #{rng.randrange(16)}, {c}")
            else:
                self.emit(f"{op} {n}, {m}, #{rng.randrange(16)}, {c}")
        elif k in (16, 17):
            op = rng.choice(["csel", "csinc", "csinv", "csneg", "cset", "csetm", "cinc", "cinv", "cneg"])
            c = rng.choice(CONDS)
            if op in ("cset", "csetm"):
                self.emit(f"{op} {d}, {rng.choice(CONDS[:14])}")
            elif op in ("cinc", "cinv", "cneg"):
                self.emit(f"{op} {d}, {n}, {rng.choice(CONDS[:14])}")
            else:
                self.emit(f"{op} {d}, {n}, {m}, {c}")
        elif k == 18:
            ops = ["rbit", "rev16", "rev", "clz", "cls"] + (["rev32"] if sf else [])
            self.emit(f"{rng.choice(ops)} {d}, {n}")
        elif k == 19:
            op = rng.choice(["udiv", "sdiv", "lslv", "lsrv", "asrv", "rorv", "lsl", "asr"])
            self.emit(f"{op} {d}, {n}, {m}")
        elif k == 20:
            sz = rng.choice("bhwx")
            c = rng.choice(["crc32", "crc32c"])
            rm = self.x(self.src(), sz != "x")
            self.emit(f"{c}{sz} {self.x(self.dst(), True)}, {self.x(self.src(), True)}, {rm}")
        elif k in (21, 22):
            op = rng.choice(["madd", "msub", "mul", "mneg"])
            if op in ("mul", "mneg"):
                self.emit(f"{op} {d}, {n}, {m}")
            else:
                self.emit(f"{op} {d}, {n}, {m}, {self.x(self.src(), w)}")
        elif k == 23:
            op = rng.choice(["smaddl", "smsubl", "umaddl", "umsubl", "smulh", "umulh", "smull", "umull"])
            xd = self.x(self.dst())
            if op in ("smulh", "umulh"):
                self.emit(f"{op} {xd}, {self.x(self.src())}, {self.x(self.src())}")
            elif op in ("smull", "umull"):
                self.emit(f"{op} {xd}, {self.x(self.src(), True)}, {self.x(self.src(), True)}")
            else:
                self.emit(f"{op} {xd}, {self.x(self.src(), True)}, {self.x(self.src(), True)}, "
                          f"{self.x(self.src())}")
        elif k == 24:
            op = rng.choice(["cmp", "cmn", "tst", "neg", "negs", "mvn"])
            sh = rng.choice(["lsl", "lsr", "asr"])
            amt = rng.randrange(W)
            if op in ("cmp", "cmn"):
                self.emit(f"{op} {n}, {m}, {sh} #{amt}")
            elif op == "tst":
                self.emit(f"tst {n}, {m}, {rng.choice(['lsl', 'lsr', 'asr', 'ror'])} #{amt}")
            else:
                self.emit(f"{op} {d}, {m}, {sh} #{amt}")
        elif k == 25:
            self.emit(f"mov {d}, #{rng.choice([rng.randrange(65536), -rng.randrange(1, 65536)])}")
        elif k == 26:
            self.emit(f"mov {d}, {n}")
        elif k == 27:
            # ADR/ADRP: a pc-relative value (encoded: no relocation).
            page = rng.random() < 0.4
            imm = rng.randrange(1 << 21)
            rd = self.dst()
            word = (int(page) << 31) | ((imm & 3) << 29) | (0b10000 << 24) | ((imm >> 2) << 5) | rd
            self.emit(f".inst {word:#010x}")
        elif k == 28:
            self.u_flags(depth)
        else:
            # controlled sp arithmetic
            if self.sp_base and self.try_drift("sp", 16 * 8):
                amt = 16 * rng.randrange(1, 8)
                self.emit(f"{rng.choice(['add', 'sub'])} sp, sp, #{amt}")
            else:
                self.emit(f"add {d}, {'sp' if sf else 'wsp'}, #{rng.randrange(4096)}")

    def u_flags(self, depth):
        rng = self.rng
        k = rng.randrange(8)
        if k == 0:
            self.emit("cfinv")
        elif k == 1:
            self.emit(f"rmif {self.x(self.src())}, #{rng.randrange(64)}, #{rng.randrange(16)}")
        elif k == 2:
            self.emit(f"{rng.choice(['setf8', 'setf16'])} {self.x(self.src(), True)}")
        elif k == 3:
            self.emit(f"mrs {self.x(self.dst())}, nzcv")
        elif k == 4:
            self.emit(f"msr nzcv, {self.x(self.src())}")
        elif k == 5:
            self.emit(rng.choice(["nop", "dmb ish", "dsb sy", "isb", "yield", "clrex", "csdb"]))
        elif k == 6:
            a = self.src()
            self.emit(f"msr tpidr_el0, {self.x(a)}", f"mrs {self.x(self.dst())}, tpidr_el0")
        else:
            self.emit(rng.choice(["xaflag", "axflag"]))

    def u_sys(self, depth):
        rng = self.rng
        k = rng.randrange(6)
        t = self.temp()
        if k == 0:
            self.emit(f"mrs {self.x(self.dst())}, fpsr")
        elif k == 1:
            self.emit(f"mrs {self.x(self.dst())}, fpcr")
        elif k == 2:
            val = rand_fpcr(rng)
            if self.fz_free:
                val &= ~(1 << 24)
            self.emit(f"movz {self.x(t, True)}, #{val >> 16:#x}, lsl #16", f"msr fpcr, {self.x(t)}")
        elif k == 3:
            val = rand_fpsr(rng)
            ins = [f"movz {self.x(t, True)}, #{val & 0xFFFF:#x}"]
            if val >> 16:
                ins.append(f"movk {self.x(t, True)}, #{val >> 16:#x}, lsl #16")
            self.emit(*ins, f"msr fpsr, {self.x(t)}")
        elif k == 4:
            self.emit(f"dc zva, {self.x(rng.choice(self.bases))}")
        else:
            self.u_flags(depth)

    # ------------------------------------------------------------ addresses
    def try_drift(self, b, amt):
        if self.drift[b] + abs(amt) * self.mult > DRIFT_LIMIT:
            return False
        self.drift[b] += abs(amt) * self.mult
        return True

    def base(self, allow_sp=True):
        c = list(self.bases)
        if self.sp_base and allow_sp:
            c += ["sp", "sp"]
        b = self.rng.choice(c)
        return b, ("sp" if b == "sp" else f"x{b}")

    def addr_mode(self, size, modes, pair=False):
        """(setup instructions, operand text) of a safe address for an access of
        `size` bytes (per register for pairs)."""
        rng = self.rng
        mode = rng.choice(modes)
        b, bn = self.base()
        if mode == "off":
            if pair:
                return [], f"[{bn}, #{size * rng.randrange(-64, 64)}]", mode
            if rng.random() < 0.7:
                return [], f"[{bn}, #{size * rng.randrange(0, min(4096, 0x800 // size))}]", mode
            return [], f"[{bn}]", mode
        if mode == "unscaled":
            return [], f"[{bn}, #{rng.randrange(-256, 256)}]", mode
        if mode in ("pre", "post"):
            if pair:
                d = size * rng.randrange(-64, 64)
            else:
                d = rng.randrange(-256, 256)
            if b == "sp":
                d = d & ~15 if pair or rng.random() < 0.8 else d
            if not self.try_drift(b, d):
                d = 0
            if mode == "pre":
                return [], f"[{bn}, #{d}]!", mode
            return [], f"[{bn}], #{d}", mode
        # register offset
        ir = self.temp()
        sh = rng.choice([0, {1: 0, 2: 1, 4: 2, 8: 3, 16: 4}[size]])
        kind = rng.choice(["lsl", "uxtw", "sxtw", "sxtx"])
        lim = 0x400 >> sh
        if kind == "uxtw":
            k = rng.randrange(0, lim)
        else:
            k = rng.randrange(-lim, lim)
        setup = [f"mov {self.x(ir)}, #{k}"]
        if kind in ("uxtw", "sxtw") and rng.random() < 0.6:
            setup.append(f"movk {self.x(ir)}, #{rng.randrange(1 << 16):#x}, lsl #{rng.choice([32, 48])}")
        if kind == "sxtw" and k < 0:
            setup = [f"mov {self.x(ir, True)}, #{k}"] + setup[1:]
        shs = f" #{sh}" if (sh or rng.random() < 0.5) else ""
        if kind == "lsl":
            if sh == 0 and rng.random() < 0.5:
                return setup, f"[{bn}, {self.x(ir)}]", mode
            return setup, f"[{bn}, {self.x(ir)}, lsl #{sh}]", mode
        if kind == "sxtx":
            return setup, f"[{bn}, {self.x(ir)}, sxtx{shs}]", mode
        return setup, f"[{bn}, {self.x(ir, True)}, {kind}{shs}]", mode

    # ------------------------------------------------------------ loads/stores
    def u_ldst(self, depth):
        rng = self.rng
        k = rng.randrange(10)
        if k <= 4:
            # single general register
            forms = [("strb", 1, "w"), ("ldrb", 1, "w"), ("ldrsb", 1, "w"), ("ldrsb", 1, "x"),
                     ("strh", 2, "w"), ("ldrh", 2, "w"), ("ldrsh", 2, "w"), ("ldrsh", 2, "x"),
                     ("str", 4, "w"), ("ldr", 4, "w"), ("ldrsw", 4, "x"), ("str", 8, "x"), ("ldr", 8, "x")]
            mn, size, r = rng.choice(forms)
            setup, op, mode = self.addr_mode(size, ["off", "off", "unscaled", "pre", "post", "reg", "reg"])
            if mode == "unscaled":
                mn = mn.replace("ldr", "ldur").replace("str", "stur")
            t = self.dst() if mn.startswith("ld") else self.src()
            self.emit(*setup, f"{mn} {self.x(t, r == 'w')}, {op}")
        elif k == 5:
            # pairs
            forms = [("stp", 4, "w"), ("ldp", 4, "w"), ("ldpsw", 4, "x"), ("stp", 8, "x"), ("ldp", 8, "x"),
                     ("stnp", 8, "x"), ("ldnp", 4, "w")]
            mn, size, r = rng.choice(forms)
            modes = ["off"] if "np" in mn else ["off", "pre", "post"]
            setup, op, mode = self.addr_mode(size, modes, pair=True)
            if mn.startswith("ld"):
                t1 = self.dst()
                t2 = self.temp(avoid=(t1,)) if rng.random() < 0.3 else self.dst()
                if t2 == t1:
                    t2 = self.temp(avoid=(t1,))
            else:
                t1, t2 = self.src(), self.src()
            self.emit(*setup, f"{mn} {self.x(t1, r == 'w')}, {self.x(t2, r == 'w')}, {op}")
        elif k == 6:
            # SIMD&FP register loads/stores
            fmt = rng.choice("bhsdq")
            size = ESZ[fmt]
            mn = rng.choice(["ldr", "str"])
            if rng.random() < 0.3 and fmt != "b" and fmt != "h":
                mn2 = rng.choice(["ldp", "stp", "ldnp", "stnp"])
                modes = ["off"] if "np" in mn2 else ["off", "pre", "post"]
                setup, op, mode = self.addr_mode(size, modes, pair=True)
                a = self.v()
                b = self.v()
                if b == a and mn2.startswith("ld"):
                    b = (a + 1) % 32
                self.emit(*setup, f"{mn2} {fmt}{a}, {fmt}{b}, {op}")
                return
            setup, op, mode = self.addr_mode(size, ["off", "unscaled", "pre", "post", "reg"])
            if mode == "unscaled":
                mn = mn.replace("ldr", "ldur").replace("str", "stur")
            self.emit(*setup, f"{mn} {fmt}{self.v()}, {op}")
        elif k == 7:
            # literal loads (pc-relative)
            t = self.dst()
            kind = rng.randrange(4)
            # Below the snippet (code, zeroed page) or into the data area; never just
            # past the end, where the runner appends its BRK.
            imm = rng.randrange(-0x3F0, -3) if rng.random() < 0.4 else rng.randrange(0x3D00, 0x7A00)
            opc = [0x18000000, 0x58000000, 0x98000000, 0x1C000000][kind]
            if kind == 3:
                opc = rng.choice([0x1C000000, 0x5C000000, 0x9C000000])
                t = self.v()
            word = opc | ((imm & 0x7FFFF) << 5) | t
            self.emit(f".inst {word:#010x}")
        elif k == 8:
            # unprivileged and prefetch
            if rng.random() < 0.3:
                setup, op, _ = self.addr_mode(8, ["off", "reg"])
                self.emit(*setup, f"prfm {rng.choice(['pldl1keep', 'pstl2strm', 'plil3keep'])}, {op}")
            else:
                mn, r = rng.choice([("ldtrb", "w"), ("ldtrsb", "x"), ("ldtrh", "w"), ("ldtrsh", "w"),
                                    ("ldtr", "w"), ("ldtrsw", "x"), ("ldtr", "x"), ("sttrb", "w"),
                                    ("sttrh", "w"), ("sttr", "x"), ("sttr", "w")])
                b, bn = self.base()
                t = self.dst() if mn.startswith("ld") else self.src()
                self.emit(f"{mn} {self.x(t, r == 'w')}, [{bn}, #{rng.randrange(-256, 256)}]")
        else:
            self.u_simd_ldst(depth)

    def u_simd_ldst(self, depth):
        rng = self.rng
        k = rng.randrange(3)
        op = rng.choice(["ld", "st"])
        if k == 0:
            # multiple structures
            sel = rng.choice([1, 1, 2, 3, 4])
            nregs = rng.randrange(1, 5) if sel == 1 else sel
            arr = rng.choice(ARR_ALL + (["1d"] if sel == 1 else []))
            total = nregs * (16 if is_q(arr) else 8)
            t = self.v()
            lst = "{" + ", ".join(f"v{(t + i) % 32}.{arr}" for i in range(nregs)) + "}"
            mn = f"{op}{sel}"
        elif k == 1:
            sel = rng.randrange(1, 5)
            e = rng.choice("bhsd")
            t = self.v()
            idx = rng.randrange(16 // ESZ[e])
            total = sel * ESZ[e]
            lst = "{" + ", ".join(f"v{(t + i) % 32}.{e}" for i in range(sel)) + "}" + f"[{idx}]"
            mn = f"{op}{sel}"
        else:
            sel = rng.randrange(1, 5)
            arr = rng.choice(ARR_ALL + ["1d"])
            t = self.v()
            total = sel * ESZ[elt(arr)]
            lst = "{" + ", ".join(f"v{(t + i) % 32}.{arr}" for i in range(sel)) + "}"
            mn = f"ld{sel}r"
        b, bn = self.base()
        r = rng.random()
        if r < 0.4:
            self.emit(f"{mn} {lst}, [{bn}]")
        elif r < 0.75 and self.try_drift(b, total):
            self.emit(f"{mn} {lst}, [{bn}], #{total}")
        else:
            amt = rng.randrange(-128, 128)
            if self.try_drift(b, amt):
                ir = self.temp()
                self.emit(f"mov {self.x(ir)}, #{amt}", f"{mn} {lst}, [{bn}], {self.x(ir)}")
            else:
                self.emit(f"{mn} {lst}, [{bn}]")

    # ------------------------------------------------------------ atomics
    def aligned(self, size, avoid=()):
        """Setup computing a naturally aligned address in a fresh temp register."""
        rng = self.rng
        b = rng.choice(self.bases)
        t = self.temp(avoid=avoid)
        ins = [f"and {self.x(t)}, x{b}, #0xfffffffffffffff0"]
        off = size * rng.randrange(0, max(1, 64 // size)) if size < 16 else 16 * rng.randrange(4)
        if off:
            ins.append(f"add {self.x(t)}, {self.x(t)}, #{off}")
        return t, ins

    def u_atomic(self, depth):
        rng = self.rng
        k = rng.randrange(10)
        size, suf, r = rng.choice([(1, "b", "w"), (2, "h", "w"), (4, "", "w"), (8, "", "x")])
        w = r == "w"
        if k <= 3:
            op = rng.choice(["add", "clr", "eor", "set", "umax", "umin", "swp"] + (["smax", "smin"] if size == 8
                                                                                 else []))
            ordv = rng.choice(["", "a", "l", "al"])
            t, ins = self.aligned(size)
            s = self.src()
            if op != "swp" and rng.random() < 0.2:
                mn = f"st{op}{ordv.replace('a', '')}{suf}"
                self.emit(*ins, f"{mn} {self.x(s, w)}, [{self.x(t)}]")
                return
            d = self.temp(avoid=(t,)) if rng.random() < 0.3 else self.dst()
            if d == t:
                d = 31
            mn = f"swp{ordv}{suf}" if op == "swp" else f"ld{op}{ordv}{suf}"
            self.emit(*ins, f"{mn} {self.x(s, w)}, {self.x(d, w)}, [{self.x(t)}]")
        elif k <= 5:
            ordv = rng.choice(["", "a", "l", "al"])
            if rng.random() < 0.25:
                # CASP on even register pairs
                psize = rng.choice([4, 8])
                pw = psize == 4
                t, ins = self.aligned(2 * psize)
                evens = [e for e in range(0, 30, 2) if e in self.free and e + 1 in self.free
                         and not {e, e + 1} & (self.reserved | {t})]
                s, n2 = rng.sample(evens, 2)
                if rng.random() < 0.6:
                    ins.append(f"ldp {self.x(s, pw)}, {self.x(s + 1, pw)}, [{self.x(t)}]")
                self.emit(*ins, f"casp{ordv} {self.x(s, pw)}, {self.x(s + 1, pw)}, {self.x(n2, pw)}, "
                          f"{self.x(n2 + 1, pw)}, [{self.x(t)}]")
                return
            t, ins = self.aligned(size)
            s = self.temp(avoid=(t,))
            v = self.src()
            if rng.random() < 0.6:
                ldm = {1: "ldrb", 2: "ldrh", 4: "ldr", 8: "ldr"}[size]
                ins.append(f"{ldm} {self.x(s, w)}, [{self.x(t)}]")
            self.emit(*ins, f"cas{ordv}{suf} {self.x(s, w)}, {self.x(v, w)}, [{self.x(t)}]")
        elif k <= 7:
            # exclusive pair of accesses, dp in between, optionally a retry loop
            pair = rng.random() < 0.25 and size >= 4
            t, ins = self.aligned(2 * size if pair else size)
            ld = rng.choice(["ldxr", "ldaxr"]) + ("p" if pair else "")
            st = rng.choice(["stxr", "stlxr"]) + ("p" if pair else "")
            if pair:
                ld, st = ld.replace("rp", "p"), st.replace("rp", "p")
            avoid = {t}
            a = self.temp(avoid=avoid)
            avoid.add(a)
            a2 = self.temp(avoid=avoid) if pair else None
            if pair:
                avoid.add(a2)
            status = self.temp(avoid=avoid)
            mid = []
            # a few register-only ops on the loaded value
            for _ in range(rng.randrange(0, 3)):
                op = rng.choice(["add", "eor", "sub", "orr"])
                mid.append(f"{op} {self.x(a, w)}, {self.x(a, w)}, {self.x(self.src(), w)}")
            vals = f"{self.x(a, w)}, {self.x(a2, w)}" if pair else self.x(a, w)
            if rng.random() < 0.15:
                mid.append("clrex")
            if pair:
                ld_s = f"{ld}{suf} {self.x(a, w)}, {self.x(a2, w)}, [{self.x(t)}]"
                st_s = f"{st}{suf} {self.x(status, True)}, {vals}, [{self.x(t)}]"
            else:
                ld_s = f"{ld}{suf} {vals}, [{self.x(t)}]"
                st_s = f"{st}{suf} {self.x(status, True)}, {vals}, [{self.x(t)}]"
            if rng.random() < 0.3 and "clrex" not in mid:
                lab = self.label_new()
                self.emit(*ins, f"{lab}:", ld_s, *mid, st_s, f"cbnz {self.x(status, True)}, {lab}b")
            else:
                self.emit(*ins, ld_s, *mid, st_s)
        else:
            # ordered accesses
            t, ins = self.aligned(size)
            mn = rng.choice(["ldar", "ldapr", "ldlar", "stlr", "stllr", "ldapur", "stlur", "ldapurs"])
            if mn == "ldapurs":
                if size == 8:
                    mn = "ldapur"
                else:
                    mn = "ldapurs" + (suf or "w")
                    w = size < 4 and rng.random() < 0.5
            else:
                mn += suf
            reg = self.dst() if mn.startswith("ld") else self.src()
            if reg == t:
                reg = 31 if mn.startswith("ld") else t
            if "ur" in mn:
                off = size * rng.randrange(-256 // size, 256 // size)
                self.emit(*ins, f"{mn} {self.x(reg, w)}, [{self.x(t)}, #{off}]")
            else:
                self.emit(*ins, f"{mn} {self.x(reg, w)}, [{self.x(t)}]")

    # ------------------------------------------------------------ branches
    def u_branch(self, depth):
        rng = self.rng
        lab = self.label_new()
        k = rng.randrange(10, 13) if rng.random() < 0.2 else rng.randrange(10)
        # (BC.cond is left out: Unicorn 2.1 has no FEAT_HBC.)
        if k in (10, 11) and 30 not in self.reserved:
            # A subroutine call: BL to a body that returns with RET.
            lab2 = self.label_new()
            self.emit(f"bl {lab}f", f"b {lab2}f", f"{lab}:")
            self.reserved.add(30)
            for _ in range(rng.randrange(1, 4)):
                self.unit(depth + 1)
            self.reserved.discard(30)
            self.emit("ret", f"{lab2}:")
            return
        if k == 12 and not self.in_loop and rng.random() < 0.4:
            # A system call ends the snippet early (stop "syscall", pc compared).
            self.emit(f"mov x8, #{rng.randrange(400)}", "svc #0")
            return
        if k <= 3:
            br = f"b.{rng.choice(CONDS)} {lab}f"
        elif k == 4:
            br = f"{rng.choice(['cbz', 'cbnz'])} {self.x(self.src(), rng.random() < 0.4)}, {lab}f"
        elif k == 5:
            br = f"{rng.choice(['tbz', 'tbnz'])} {self.x(self.src())}, #{rng.randrange(64)}, {lab}f"
        elif k == 6:
            # if / else
            lab2 = self.label_new()
            self.emit(f"b.{rng.choice(CONDS[:14])} {lab}f")
            for _ in range(rng.randrange(1, 3)):
                self.unit(depth + 1)
            self.emit(f"b {lab2}f", f"{lab}:")
            for _ in range(rng.randrange(1, 3)):
                self.unit(depth + 1)
            self.emit(f"{lab2}:")
            return
        elif k == 7:
            br = rng.choice([f"b {lab}f", f"bl {lab}f"])
            if "bl" in br and 30 in self.reserved:
                br = f"b {lab}f"
        elif k == 8:
            t = self.temp()
            br2 = rng.choice(["br", "blr", "ret"])
            if br2 == "blr" and 30 in self.reserved:
                br2 = "br"
            if br2 == "ret" and rng.random() < 0.5 and 30 not in self.reserved:
                self.emit(f"adr x30, {lab}f")
                br = "ret"
            else:
                self.emit(f"adr {self.x(t)}, {lab}f")
                br = f"{br2} {self.x(t)}"
        else:
            br = f"{rng.choice(['tbz', 'tbnz'])} {self.x(self.src(), True)}, #{rng.randrange(32)}, {lab}f"
        self.emit(br)
        for _ in range(rng.randrange(1, 4)):
            self.unit(depth + 1)
        self.emit(f"{lab}:")

    def u_loop(self, depth):
        rng = self.rng
        n = rng.randrange(1, 5)
        c = self.temp()
        lab = self.label_new()
        self.reserved.add(c)
        self.in_loop = True
        old = self.mult
        self.mult = n + 1
        kind = rng.randrange(4)
        if kind == 2:
            self.emit(f"mov {self.x(c)}, #{n}", f"{lab}:")
        else:
            self.emit(f"mov {self.x(c, True)}, #{n}", f"{lab}:")
        for _ in range(rng.randrange(1, 4)):
            self.unit(depth + 1)
        if kind == 0:
            self.emit(f"subs {self.x(c, True)}, {self.x(c, True)}, #1", f"b.ne {lab}b")
        elif kind == 1:
            self.emit(f"sub {self.x(c, True)}, {self.x(c, True)}, #1", f"cbnz {self.x(c, True)}, {lab}b")
        elif kind == 2:
            self.emit(f"subs {self.x(c)}, {self.x(c)}, #1", f"b.gt {lab}b")
        else:
            self.emit(f"sub {self.x(c, True)}, {self.x(c, True)}, #1", f"tbz {self.x(c, True)}, #31, {lab}b")
        self.mult = old
        self.in_loop = False
        self.reserved.discard(c)

    # ------------------------------------------------------------ self-modifying code
    def smc_word(self):
        """A random instruction encoding that writes only a hot register."""
        rng = self.rng
        rd = self.dst()
        rn, rm = self.src(), self.src()
        k = rng.randrange(5)
        if k == 0:
            return 0xD2800000 | (rng.randrange(4) << 21) | (rng.randrange(1 << 16) << 5) | rd  # MOVZ X
        if k == 1:
            return 0x91000000 | (rng.randrange(4096) << 10) | ((rn if rn != 31 else 0) << 5) | rd  # ADD X imm
        if k == 2:
            return 0xCA000000 | (rm << 16) | (rng.randrange(64) << 10) | (rn << 5) | rd  # EOR X shifted
        if k == 3:
            return 0xF1000000 | (rng.randrange(4096) << 10) | ((rn if rn != 31 else 0) << 5) | rd  # SUBS X imm
        return 0xD503201F  # NOP

    def u_smc(self, depth):
        """Patch an instruction of the snippet, then synchronise (DC CVAU, DSB, IC IVAU, DSB,
        ISB). In a loop the target comes first: the old instruction runs, then the new one."""
        rng = self.rng
        lab = self.label_new()
        t = self.temp()
        val = self.temp(avoid=(t,))
        two = rng.random() < 0.25
        new = self.smc_word() | (self.smc_word() << 32 if two else 0)
        old = [f".inst {self.smc_word():#010x}" for _ in range(2 if two else 1)]
        ins = [f"movz {self.x(val, not two)}, #{new & 0xFFFF:#x}",
               f"movk {self.x(val, not two)}, #{new >> 16 & 0xFFFF:#x}, lsl #16"]
        if two:
            ins += [f"movk {self.x(val)}, #{new >> 32 & 0xFFFF:#x}, lsl #32",
                    f"movk {self.x(val)}, #{new >> 48 & 0xFFFF:#x}, lsl #48"]
            store = f"str {self.x(val)}, [{self.x(t)}]"
        else:
            k = rng.randrange(4)
            if k == 0:
                store = f"str {self.x(val, True)}, [{self.x(t)}]"
            elif k == 1:
                store = f"stlr {self.x(val, True)}, [{self.x(t)}]"
            elif k == 2:
                o = self.temp(avoid=(t, val))
                store = f"swp {self.x(val, True)}, {self.x(o, True)}, [{self.x(t)}]"
            else:
                store = f"stur {self.x(val, True)}, [{self.x(t)}, #0]"
        sync = [f"dc cvau, {self.x(t)}", "dsb ish", f"ic ivau, {self.x(t)}", "dsb ish", "isb"]
        if self.in_loop:
            self.emit(f"{lab}:", *old, f"adr {self.x(t)}, {lab}b", *ins, store, *sync)
        else:
            self.emit(f"adr {self.x(t)}, {lab}f", *ins, store, *sync, f"{lab}:", *old)

    # ------------------------------------------------------------ scalar FP
    def u_fp(self, depth):
        rng = self.rng
        f = rng.choice("hsdsd")
        a, b, c, d = self.v(), self.v(), self.v(), self.v()
        k = rng.randrange(16)
        if k <= 2:
            op = rng.choice(["fadd", "fsub", "fmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm", "fnmul"])
            self.emit(f"{op} {f}{d}, {f}{a}, {f}{b}")
        elif k == 3:
            op = rng.choice(["fmadd", "fmsub", "fnmadd", "fnmsub"])
            self.emit(f"{op} {f}{d}, {f}{a}, {f}{b}, {f}{c}")
        elif k == 4:
            op = rng.choice(["fabs", "fneg", "fsqrt", "fmov", "frintn", "frintp", "frintm", "frintz", "frinta",
                             "frintx", "frinti"] + (["frint32z", "frint32x", "frint64z", "frint64x"] if f != "h"
                                                    else []))
            self.emit(f"{op} {f}{d}, {f}{a}")
        elif k == 5:
            g = rng.choice([x for x in "hsd" if x != f])
            self.emit(f"fcvt {g}{d}, {f}{a}")
        elif k in (6, 7):
            rm = rng.choice("npmza")
            su = rng.choice("su")
            r = rng.choice("wx")
            t = self.dst()
            if rng.random() < 0.25:
                fb = rng.randrange(1, 33 if r == "w" else 65)
                self.emit(f"fcvtz{su} {r}{t}, {f}{a}, #{fb}")
            else:
                self.emit(f"fcvt{rm}{su} {r}{t}, {f}{a}")
        elif k == 8:
            su = rng.choice("su")
            r = rng.choice("wx")
            s = self.src()
            if rng.random() < 0.25:
                fb = rng.randrange(1, 33 if r == "w" else 65)
                self.emit(f"{su}cvtf {f}{d}, {self.x(s, r == 'w')}, #{fb}")
            else:
                self.emit(f"{su}cvtf {f}{d}, {self.x(s, r == 'w')}")
        elif k == 9:
            op = rng.choice(["fcmp", "fcmpe"])
            if rng.random() < 0.25:
                self.emit(f"{op} {f}{a}, #0.0")
            else:
                self.emit(f"{op} {f}{a}, {f}{b}")
        elif k == 10:
            op = rng.choice(["fccmp", "fccmpe"])
            self.emit(f"{op} {f}{a}, {f}{b}, #{rng.randrange(16)}, {rng.choice(CONDS)}")
        elif k == 11:
            self.emit(f"fcsel {f}{d}, {f}{a}, {f}{b}, {rng.choice(CONDS)}")
        elif k == 12:
            m = rng.randrange(8)
            if m == 0:
                self.emit(f"fmov {self.x(self.dst(), True)}, s{a}")
            elif m == 1:
                self.emit(f"fmov {self.x(self.dst())}, d{a}")
            elif m == 2:
                self.emit(f"fmov s{d}, {self.x(self.src(), True)}")
            elif m == 3:
                self.emit(f"fmov d{d}, {self.x(self.src())}")
            elif m == 4:
                self.emit(f"fmov {self.x(self.dst())}, v{a}.d[1]")
            elif m == 5:
                self.emit(f"fmov v{d}.d[1], {self.x(self.src())}")
            elif m == 6:
                self.emit(f"fmov h{d}, {self.x(self.src(), rng.random() < 0.5)}")
            else:
                self.emit(f"fmov {self.x(self.dst(), rng.random() < 0.5)}, h{a}")
        elif k == 13:
            imm = rng.choice(["1.0", "-2.0", "0.125", "31.0", "-1.9375", "0.5", "3.0", "-0.1875", "10.0", "0.25"])
            self.emit(f"fmov {f}{d}, #{imm}")
        elif k == 14 and self.fz_free:
            self.emit(f"fjcvtzs {self.x(self.dst(), True)}, d{a}")
        else:
            self.u_sys(depth)

    # ------------------------------------------------------------ SIMD integer
    def u_simd(self, depth):
        rng = self.rng
        d, a, b = self.v(), self.v(), self.v()
        k = rng.randrange(22)
        if k <= 3:
            g = rng.randrange(7)
            if g == 0:
                op = rng.choice(["add", "sub", "cmeq", "cmgt", "cmge", "cmhi", "cmhs", "cmtst", "addp", "sqadd",
                                 "uqadd", "sqsub", "uqsub", "sshl", "ushl", "sqshl", "uqshl", "srshl", "urshl",
                                 "sqrshl", "uqrshl"])
                arr = rng.choice(ARR_ALL)
            elif g in (1, 2):
                op = rng.choice(["shadd", "uhadd", "srhadd", "urhadd", "shsub", "uhsub", "smax", "umax", "smin",
                                 "umin", "sabd", "uabd", "saba", "uaba", "mul", "mla", "mls", "smaxp", "umaxp",
                                 "sminp", "uminp"])
                arr = rng.choice(ARR_NO2D)
            elif g == 3:
                op = rng.choice(["sqdmulh", "sqrdmulh", "sqrdmlah", "sqrdmlsh"])
                arr = rng.choice(ARR_HS)
            elif g == 4:
                op = rng.choice(["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif", "pmul"])
                arr = rng.choice(ARR_B)
            elif g == 5:
                op = rng.choice(["sdot", "udot"])
                q = rng.random() < 0.5
                self.emit(f"{op} v{d}.{'4s' if q else '2s'}, v{a}.{'16b' if q else '8b'}, v{b}.{'16b' if q else '8b'}")
                return
            else:
                op = rng.choice(["zip1", "zip2", "uzp1", "uzp2", "trn1", "trn2"])
                arr = rng.choice(ARR_ALL)
            self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, v{b}.{arr}")
        elif k == 4:
            # scalar three-same
            g = rng.randrange(3)
            if g == 0:
                op = rng.choice(["add", "sub", "cmeq", "cmgt", "cmge", "cmhi", "cmhs", "cmtst", "sshl", "ushl",
                                 "srshl", "urshl"])
                e = "d"
            elif g == 1:
                op = rng.choice(["sqadd", "uqadd", "sqsub", "uqsub", "sqshl", "uqshl", "sqrshl", "uqrshl"])
                e = rng.choice("bhsd")
            else:
                op = rng.choice(["sqdmulh", "sqrdmulh", "sqrdmlah", "sqrdmlsh"])
                e = rng.choice("hs")
            self.emit(f"{op} {e}{d}, {e}{a}, {e}{b}")
        elif k in (5, 6):
            # three different
            g = rng.randrange(4)
            two = rng.random() < 0.4
            if g == 3:
                nar = rng.choice(["4h", "2s"])
            else:
                nar = rng.choice(["8b", "4h", "2s"])
            wid = WIDE[nar]
            src = {"8b": "16b", "4h": "8h", "2s": "4s"}[nar] if two else nar
            s2 = "2" if two else ""
            if g == 0:
                op = rng.choice(["saddl", "uaddl", "ssubl", "usubl", "sabal", "uabal", "sabdl", "uabdl", "smlal",
                                 "umlal", "smlsl", "umlsl", "smull", "umull"])
                self.emit(f"{op}{s2} v{d}.{wid}, v{a}.{src}, v{b}.{src}")
            elif g == 1:
                op = rng.choice(["saddw", "uaddw", "ssubw", "usubw"])
                self.emit(f"{op}{s2} v{d}.{wid}, v{a}.{wid}, v{b}.{src}")
            elif g == 2:
                op = rng.choice(["addhn", "raddhn", "subhn", "rsubhn"])
                self.emit(f"{op}{s2} v{d}.{src}, v{a}.{wid}, v{b}.{wid}")
            else:
                op = rng.choice(["sqdmlal", "sqdmlsl", "sqdmull"])
                if rng.random() < 0.3:
                    e, we = ("h", "s") if nar == "4h" else ("s", "d")
                    self.emit(f"{op} {we}{d}, {e}{a}, {e}{b}")
                else:
                    self.emit(f"{op}{s2} v{d}.{wid}, v{a}.{src}, v{b}.{src}")
        elif k == 7:
            if rng.random() < 0.5:
                two = rng.random() < 0.5
                self.emit(f"pmull{'2' if two else ''} v{d}.8h, v{a}.{'16b' if two else '8b'}, "
                          f"v{b}.{'16b' if two else '8b'}")
            else:
                two = rng.random() < 0.5
                self.emit(f"pmull{'2' if two else ''} v{d}.1q, v{a}.{'2d' if two else '1d'}, "
                          f"v{b}.{'2d' if two else '1d'}")
        elif k in (8, 9):
            # two-register misc
            g = rng.randrange(8)
            if g == 0:
                op = rng.choice(["rev64", "cls", "clz"])
                arr = rng.choice(ARR_NO2D)
                if op == "rev64" and rng.random() < 0.3:
                    op, arr = rng.choice([("rev32", rng.choice(["8b", "16b", "4h", "8h"])),
                                          ("rev16", rng.choice(ARR_B))])
            elif g == 1:
                op = rng.choice(["suqadd", "usqadd", "sqabs", "sqneg", "abs", "neg"])
                arr = rng.choice(ARR_ALL)
            elif g == 2:
                op = rng.choice(["cnt", "not", "rbit"])
                arr = rng.choice(ARR_B)
            elif g == 3:
                op = rng.choice(["cmgt", "cmge", "cmeq", "cmle", "cmlt"])
                arr = rng.choice(ARR_ALL)
                self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, #0")
                return
            elif g == 4:
                op = rng.choice(["saddlp", "uaddlp", "sadalp", "uadalp"])
                src = rng.choice(ARR_NO2D)
                dst = {"8b": "4h", "16b": "8h", "4h": "2s", "8h": "4s", "2s": "1d", "4s": "2d"}[src]
                self.emit(f"{op} v{d}.{dst}, v{a}.{src}")
                return
            elif g == 5:
                op = rng.choice(["xtn", "sqxtn", "uqxtn", "sqxtun"])
                nar = rng.choice(["8b", "4h", "2s"])
                two = rng.random() < 0.4
                src = {"8b": "8h", "4h": "4s", "2s": "2d"}[nar]
                dn = {"8b": "16b", "4h": "8h", "2s": "4s"}[nar] if two else nar
                self.emit(f"{op}{'2' if two else ''} v{d}.{dn}, v{a}.{src}")
                return
            elif g == 6:
                nar = rng.choice(["8b", "16b", "4h", "8h", "2s", "4s"])
                two = is_q(nar)
                self.emit(f"shll{'2' if two else ''} v{d}.{WIDE[nar]}, v{a}.{nar}, #{EBITS[elt(nar)]}")
                return
            else:
                # scalar misc
                m = rng.randrange(3)
                if m == 0:
                    op = rng.choice(["sqabs", "sqneg", "suqadd", "usqadd"])
                    e = rng.choice("bhsd")
                    self.emit(f"{op} {e}{d}, {e}{a}")
                elif m == 1:
                    op = rng.choice(["abs", "neg", "cmgt", "cmge", "cmeq", "cmle", "cmlt"])
                    self.emit(f"{op} d{d}, d{a}" + (", #0" if op.startswith("cm") else ""))
                else:
                    op = rng.choice(["sqxtn", "uqxtn", "sqxtun"])
                    e, we = rng.choice([("b", "h"), ("h", "s"), ("s", "d")])
                    self.emit(f"{op} {e}{d}, {we}{a}")
                return
            self.emit(f"{op} v{d}.{arr}, v{a}.{arr}")
        elif k == 10:
            # across lanes
            op = rng.choice(["addv", "smaxv", "umaxv", "sminv", "uminv", "saddlv", "uaddlv", "addp"])
            if op == "addp":
                self.emit(f"addp d{d}, v{a}.2d")
                return
            arr = rng.choice(["8b", "16b", "4h", "8h", "4s"])
            e = elt(arr)
            if op.endswith("lv"):
                e = {"b": "h", "h": "s", "s": "d"}[e]
            self.emit(f"{op} {e}{d}, v{a}.{arr}")
        elif k in (11, 12):
            # shift by immediate
            g = rng.randrange(5)
            if g <= 1:
                arr = rng.choice(ARR_ALL)
                eb = EBITS[elt(arr)]
                op = rng.choice(["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri",
                                 "shl", "sli", "sqshlu", "sqshl", "uqshl"])
                sh = rng.randrange(1, eb + 1) if op in ("sshr", "ushr", "ssra", "usra", "srshr", "urshr",
                                                        "srsra", "ursra", "sri") else rng.randrange(eb)
                self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, #{sh}")
            elif g == 2:
                op = rng.choice(["shrn", "rshrn", "sqshrn", "sqshrun", "sqrshrn", "sqrshrun", "uqshrn", "uqrshrn"])
                nar = rng.choice(["8b", "4h", "2s"])
                two = rng.random() < 0.4
                src = {"8b": "8h", "4h": "4s", "2s": "2d"}[nar]
                dn = {"8b": "16b", "4h": "8h", "2s": "4s"}[nar] if two else nar
                sh = rng.randrange(1, EBITS[elt(nar)] + 1)
                self.emit(f"{op}{'2' if two else ''} v{d}.{dn}, v{a}.{src}, #{sh}")
            elif g == 3:
                op = rng.choice(["sshll", "ushll", "sxtl", "uxtl"])
                nar = rng.choice(ARR_NO2D)
                two = is_q(nar)
                if op.endswith("xtl"):
                    self.emit(f"{op}{'2' if two else ''} v{d}.{WIDE[nar]}, v{a}.{nar}")
                else:
                    sh = rng.randrange(EBITS[elt(nar)])
                    self.emit(f"{op}{'2' if two else ''} v{d}.{WIDE[nar]}, v{a}.{nar}, #{sh}")
            else:
                m = rng.randrange(3)
                if m == 0:
                    op = rng.choice(["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"])
                    self.emit(f"{op} d{d}, d{a}, #{rng.randrange(1, 65)}")
                elif m == 1:
                    op = rng.choice(["shl", "sli", "sqshl", "uqshl", "sqshlu"])
                    e = "d" if op in ("shl", "sli") else rng.choice("bhsd")
                    self.emit(f"{op} {e}{d}, {e}{a}, #{rng.randrange(EBITS[e])}")
                else:
                    op = rng.choice(["sqshrn", "sqshrun", "sqrshrn", "sqrshrun", "uqshrn", "uqrshrn"])
                    e, we = rng.choice([("b", "h"), ("h", "s"), ("s", "d")])
                    self.emit(f"{op} {e}{d}, {we}{a}, #{rng.randrange(1, EBITS[e] + 1)}")
        elif k == 13:
            # modified immediate
            g = rng.randrange(7)
            imm = rng.randrange(256)
            if g == 0:
                self.emit(f"movi v{d}.{rng.choice(ARR_B)}, #{imm:#x}")
            elif g == 1:
                op = rng.choice(["movi", "mvni", "orr", "bic"])
                self.emit(f"{op} v{d}.{rng.choice(['4h', '8h'])}, #{imm:#x}, lsl #{rng.choice([0, 8])}")
            elif g == 2:
                op = rng.choice(["movi", "mvni", "orr", "bic"])
                self.emit(f"{op} v{d}.{rng.choice(['2s', '4s'])}, #{imm:#x}, lsl #{rng.choice([0, 8, 16, 24])}")
            elif g == 3:
                op = rng.choice(["movi", "mvni"])
                self.emit(f"{op} v{d}.{rng.choice(['2s', '4s'])}, #{imm:#x}, msl #{rng.choice([8, 16])}")
            elif g == 4:
                bits = rng.getrandbits(8)
                val = 0
                for i in range(8):
                    if bits >> i & 1:
                        val |= 0xFF << (8 * i)
                if rng.random() < 0.5:
                    self.emit(f"movi d{d}, #{val:#x}")
                else:
                    self.emit(f"movi v{d}.2d, #{val:#x}")
            else:
                imm = rng.choice(["1.0", "-2.0", "0.125", "31.0", "-1.9375", "0.5", "3.0", "-0.1875"])
                self.emit(f"fmov v{d}.{rng.choice(['2s', '4s', '2d'])}, #{imm}")
        elif k in (14, 15):
            # by element
            g = rng.randrange(4)
            if g <= 1:
                op = rng.choice(["mul", "mla", "mls", "sqdmulh", "sqrdmulh", "sqrdmlah", "sqrdmlsh"])
                arr = rng.choice(ARR_HS)
                e = elt(arr)
                m = rng.randrange(16) if e == "h" else b
                i = rng.randrange(8 if e == "h" else 4)
                if rng.random() < 0.2 and op.startswith("sq"):
                    self.emit(f"{op} {e}{d}, {e}{a}, v{m}.{e}[{i}]")
                else:
                    self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, v{m}.{e}[{i}]")
            elif g == 2:
                op = rng.choice(["smull", "umull", "smlal", "umlal", "smlsl", "umlsl", "sqdmull", "sqdmlal",
                                 "sqdmlsl"])
                nar = rng.choice(ARR_HS)
                e = elt(nar)
                m = rng.randrange(16) if e == "h" else b
                i = rng.randrange(8 if e == "h" else 4)
                two = "2" if is_q(nar) else ""
                if op.startswith("sq") and rng.random() < 0.25:
                    we = {"h": "s", "s": "d"}[e]
                    self.emit(f"{op} {we}{d}, {e}{a}, v{m}.{e}[{i}]")
                else:
                    self.emit(f"{op}{two} v{d}.{WIDE[nar]}, v{a}.{nar}, v{m}.{e}[{i}]")
            else:
                op = rng.choice(["sdot", "udot"])
                q = rng.random() < 0.5
                self.emit(f"{op} v{d}.{'4s' if q else '2s'}, v{a}.{'16b' if q else '8b'}, "
                          f"v{b}.4b[{rng.randrange(4)}]")
        elif k in (16, 17, 18):
            # moves and permutes
            g = rng.randrange(9)
            e = rng.choice("bhsd")
            i = rng.randrange(16 // ESZ[e])
            if g == 0:
                arr = rng.choice([x for x in ARR_ALL if elt(x) == e] or ["2d"])
                self.emit(f"dup v{d}.{arr}, v{a}.{e}[{i}]")
            elif g == 1:
                arr = rng.choice([x for x in ARR_ALL if elt(x) == e])
                self.emit(f"dup v{d}.{arr}, {self.x(self.src(), e != 'd')}")
            elif g == 2:
                self.emit(f"ins v{d}.{e}[{i}], {self.x(self.src(), e != 'd')}")
            elif g == 3:
                self.emit(f"ins v{d}.{e}[{i}], v{a}.{e}[{rng.randrange(16 // ESZ[e])}]")
            elif g == 4:
                self.emit(f"umov {self.x(self.dst(), e != 'd')}, v{a}.{e}[{i}]")
            elif g == 5:
                if e == "d":
                    e = "s"
                    i %= 4
                wreg = e != "s" and rng.random() < 0.5
                self.emit(f"smov {self.x(self.dst(), wreg)}, v{a}.{e}[{i}]")
            elif g == 6:
                arr = rng.choice(ARR_B)
                n = 16 if arr == "16b" else 8
                self.emit(f"ext v{d}.{arr}, v{a}.{arr}, v{b}.{arr}, #{rng.randrange(n)}")
            elif g == 7:
                arr = rng.choice(ARR_B)
                n = rng.randrange(1, 5)
                lst = "{" + ", ".join(f"v{(a + j) % 32}.16b" for j in range(n)) + "}"
                self.emit(f"{rng.choice(['tbl', 'tbx'])} v{d}.{arr}, {lst}, v{b}.{arr}")
            else:
                self.emit(f"dup {e}{d}, v{a}.{e}[{i}]")
        else:
            self.u_simd_fp(depth)

    # ------------------------------------------------------------ SIMD FP
    def u_simd_fp(self, depth):
        rng = self.rng
        d, a, b = self.v(), self.v(), self.v()
        arr = rng.choice(["2s", "4s", "2d"])
        e = elt(arr)
        k = rng.randrange(12)
        if k <= 2:
            op = rng.choice(["fadd", "fsub", "fmul", "fdiv", "fmulx", "fabd", "fmax", "fmin", "fmaxnm", "fminnm",
                             "fmla", "fmls", "frecps", "frsqrts", "fcmeq", "fcmge", "fcmgt", "facge", "facgt",
                             "faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"])
            self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, v{b}.{arr}")
        elif k <= 4:
            op = rng.choice(["fabs", "fneg", "fsqrt", "frintn", "frintp", "frintm", "frintz", "frinta", "frintx",
                             "frinti", "frint32z", "frint32x", "frint64z", "frint64x", "fcvtns", "fcvtnu", "fcvtms",
                             "fcvtmu", "fcvtps", "fcvtpu", "fcvtzs", "fcvtzu", "fcvtas", "fcvtau", "scvtf", "ucvtf",
                             "frecpe", "frsqrte"])
            self.emit(f"{op} v{d}.{arr}, v{a}.{arr}")
        elif k == 5:
            op = rng.choice(["fcmgt", "fcmge", "fcmeq", "fcmle", "fcmlt"])
            if rng.random() < 0.3:
                self.emit(f"{op} {e}{d}, {e}{a}, #0.0")
            else:
                self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, #0.0")
        elif k == 6:
            g = rng.randrange(4)
            two = rng.random() < 0.5
            s2 = "2" if two else ""
            if g == 0:
                self.emit(f"fcvtn{s2} v{d}.{'8h' if two else '4h'}, v{a}.4s")
            elif g == 1:
                self.emit(f"fcvtn{s2} v{d}.{'4s' if two else '2s'}, v{a}.2d")
            elif g == 2:
                if rng.random() < 0.5:
                    self.emit(f"fcvtl{s2} v{d}.4s, v{a}.{'8h' if two else '4h'}")
                else:
                    self.emit(f"fcvtl{s2} v{d}.2d, v{a}.{'4s' if two else '2s'}")
            else:
                if rng.random() < 0.3:
                    self.emit(f"fcvtxn s{d}, d{a}")
                else:
                    self.emit(f"fcvtxn{s2} v{d}.{'4s' if two else '2s'}, v{a}.2d")
        elif k == 7:
            op = rng.choice(["scvtf", "ucvtf", "fcvtzs", "fcvtzu"])
            fb = rng.randrange(1, EBITS[e] + 1)
            if rng.random() < 0.3:
                self.emit(f"{op} {e}{d}, {e}{a}, #{fb}")
            else:
                self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, #{fb}")
        elif k == 8:
            op = rng.choice(["fmla", "fmls", "fmul", "fmulx"])
            i = rng.randrange(4 if e == "s" else 2)
            if rng.random() < 0.3:
                self.emit(f"{op} {e}{d}, {e}{a}, v{b}.{e}[{i}]")
            else:
                self.emit(f"{op} v{d}.{arr}, v{a}.{arr}, v{b}.{e}[{i}]")
        elif k == 9:
            if rng.random() < 0.5:
                op = rng.choice(["fmaxv", "fminv", "fmaxnmv", "fminnmv"])
                self.emit(f"{op} s{d}, v{a}.4s")
            else:
                op = rng.choice(["faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"])
                self.emit(f"{op} {e}{d}, v{a}.{'2s' if e == 's' else '2d'}")
        elif k == 10:
            op = rng.choice(["fmulx", "fabd", "frecps", "frsqrts", "fcmeq", "fcmge", "fcmgt", "facge", "facgt"])
            self.emit(f"{op} {e}{d}, {e}{a}, {e}{b}")
        else:
            op = rng.choice(["fcvtns", "fcvtms", "fcvtas", "fcvtps", "fcvtzs", "fcvtnu", "fcvtmu", "fcvtau",
                             "fcvtpu", "fcvtzu", "scvtf", "ucvtf", "frecpe", "frecpx", "frsqrte"])
            self.emit(f"{op} {e}{d}, {e}{a}")


def random_case(rng, name, weights, nmin=8, nmax=24):
    fpcr = rand_fpcr(rng)
    g = Gen(rng, weights, fpcr)
    asm = g.build(rng.randrange(nmin, nmax + 1))
    regs = {f"x{i}": rand_gpr(rng) for i in range(31)}
    base0 = rng.randrange(BASE_LO, BASE_HI)
    for b in g.bases:
        r = rng.random()
        if r < 0.5:
            a = base0 + rng.randrange(-0x100, 0x100)
        elif r < 0.7:
            a = (base0 & ~15) + 16 * rng.randrange(-8, 8)
        else:
            a = rng.randrange(BASE_LO, BASE_HI)
        regs[f"x{b}"] = a
    sp = 0x80000
    if g.sp_base:
        sp = (base0 + rng.randrange(-0x200, 0x200)) & ~15
    v = {i: rand_vreg(rng) for i in range(32) if i in g.vhot or rng.random() < 0.3}
    return case(name, asm, nzcv=rng.randrange(16) << 28, sp=sp, fpcr=fpcr, fpsr=rand_fpsr(rng), v=v, **regs)
