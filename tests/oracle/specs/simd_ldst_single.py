"""Advanced SIMD load/store single structure: LD1-LD4 / ST1-ST4 of one lane
(B, H, S, D, every index) and LD1R-LD4R (replicate, every arrangement), no
offset and post-index (immediate and register Rm), register lists wrapping at
v31, sp as base, faults near the end of memory, unallocated encodings."""

import random

from oracle import case, rand_u64, DATA_ADDR, DATA_SIZE, MEM_SIZE

ARRS = ["8b", "16b", "4h", "8h", "2s", "4s", "1d", "2d"]
ESIZE = {"b": 1, "h": 2, "s": 4, "d": 8}
EDGE_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE]


def rand_v(rng):
    r = rng.random()
    if r < 0.7:
        return rng.getrandbits(128)
    return int.from_bytes(bytes(rng.choice(EDGE_BYTES) for _ in range(16)), "little")


def arr_ebytes(arr):
    return ESIZE[arr[-1]]


def one(rng, name, op, sel, form, mode, t=None, base=None, addr=None, rm=None, index=None):
    """form: an element letter (lane form) or an arrangement (replicate form)."""
    rep = len(form) > 1
    eb = arr_ebytes(form) if rep else ESIZE[form]
    total = sel * eb
    if t is None:
        t = rng.randrange(32)
    if base is None:
        base = rng.choice(list(range(31)) * 3 + ["sp"])
    if addr is None:
        addr = DATA_ADDR + rng.randrange(0, DATA_SIZE - 64)
        if base == "sp" or rng.random() < 0.4:
            addr &= ~15
    bname = "sp" if base == "sp" else f"x{base}"
    regs = {}
    sp = 0x80000
    if base == "sp":
        sp = addr
    else:
        regs[f"x{base}"] = addr
    suffix = ""
    if mode == "imm":
        suffix = f", #{total}"
    elif mode == "reg":
        if rm is None:
            rm = rng.randrange(31)
        if f"x{rm}" not in regs:
            regs[f"x{rm}"] = rng.choice([total, -total, rng.randrange(-256, 256), rand_u64(rng)])
        suffix = f", x{rm}"
    v = {(t + i) % 32: rand_v(rng) for i in range(sel)}
    v[(t + sel) % 32] = rand_v(rng)
    if rep:
        lst = "{" + ", ".join(f"v{(t + i) % 32}.{form}" for i in range(sel)) + "}"
        asm = f"{op}{sel}r {lst}, [{bname}]{suffix}"
    else:
        if index is None:
            index = rng.randrange(16 // eb)
        lst = "{" + ", ".join(f"v{(t + i) % 32}.{form}" for i in range(sel)) + "}"
        asm = f"{op}{sel} {lst}[{index}], [{bname}]{suffix}"
    return case(name, asm, sp=sp, v=v, **regs)


def cases():
    rng = random.Random(0x5_1A_6E_77)
    out = []
    for sel in (1, 2, 3, 4):
        for op in ("ld", "st"):
            for e in "bhsd":
                top = 16 // ESIZE[e] - 1
                for mode in ("noff", "imm", "reg"):
                    out.append(one(rng, f"{op}{sel}_{e}_{mode}", op, sel, e, mode))
                out.append(one(rng, f"{op}{sel}_{e}_top", op, sel, e, "noff", index=top))
                out.append(one(rng, f"{op}{sel}_{e}_idx0_wrap", op, sel, e, "imm", index=0, t=31, base=9))
            for k in range(25):
                e = rng.choice("bhsd")
                mode = rng.choice(["noff", "imm", "reg"])
                out.append(one(rng, f"{op}{sel}_lane_rand{k}", op, sel, e, mode))
            out.append(one(rng, f"{op}{sel}_lane_sp_imm", op, sel, "s", "imm", base="sp", addr=0x18000, t=30))
            out.append(one(rng, f"{op}{sel}_lane_sp_reg", op, sel, "h", "reg", base="sp", addr=0x18040, rm=4))
            out.append(one(rng, f"{op}{sel}_lane_rm_eq_rn", op, sel, "d", "reg", base=6, addr=0x1A000, rm=6))
        # Replicate.
        for arr in ARRS:
            for mode in ("noff", "imm", "reg"):
                out.append(one(rng, f"ld{sel}r_{arr}_{mode}", "ld", sel, arr, mode))
        for k in range(25):
            out.append(one(rng, f"ld{sel}r_rand{k}", "ld", sel, rng.choice(ARRS), rng.choice(["noff", "imm", "reg"])))
        out.append(one(rng, f"ld{sel}r_wrap_sp", "ld", sel, "8h", "imm", base="sp", addr=0x1C000, t=31))
        out.append(one(rng, f"ld{sel}r_sp_reg", "ld", sel, "1d", "reg", base="sp", addr=0x1C010, t=29, rm=0))
    # Faults: loads whose first access faults (a load faulting part-way leaves
    # its registers UNKNOWN; kvrm changes none: see the unit tests), stores
    # faulting first or part-way (the elements before the fault are written).
    for sel in (1, 2, 3, 4):
        for e in "bhsd":
            eb = ESIZE[e]
            for mode in ("noff", "imm", "reg"):
                out.append(one(rng, f"fault_ld{sel}_{e}_{mode}", "ld", sel, e, mode, addr=MEM_SIZE,
                               base=rng.randrange(31)))
                out.append(one(rng, f"fault_st{sel}_{e}_{mode}", "st", sel, e, mode, addr=MEM_SIZE - (sel - 1) * eb,
                               base=rng.randrange(31)))
            out.append(one(rng, f"fault_ld{sel}r_{e}", "ld", sel, "2" + e if e == "d" else "4" + e if e == "s" else "8" + e,
                           "imm", addr=MEM_SIZE, base=rng.randrange(31)))
    # Page-crossing and unaligned-sp accesses (a store element straddling the
    # end of memory: see the unit tests of exec/simd_ldst.rs).
    out.append(one(rng, "ld1_d_cross_page", "ld", 1, "d", "noff", base=0, addr=0x13FFC, index=1))
    out.append(one(rng, "st4_s_cross_page", "st", 4, "s", "imm", base=0, addr=0x14FF6, index=2))
    out.append(one(rng, "ld4r_cross_page", "ld", 4, "4s", "imm", base=0, addr=0x15FF2))
    out.append(one(rng, "ld2_h_sp_unaligned", "ld", 2, "h", "imm", base="sp", addr=0x18003, index=5))
    out.append(one(rng, "st3_d_sp_unaligned", "st", 3, "d", "reg", base="sp", addr=0x1800B, index=0, rm=5))
    # Unallocated encodings.
    for name, word in [
        ("st_opc_110", 0x0D00C020), ("st_opc_111_post", 0x0D9FE020), ("h_size_odd", 0x0D404420),
        ("s_size_10", 0x0D408820), ("d_s1", 0x4D409420), ("ld1r_s1", 0x0D40D020), ("ld4r_s1", 0x4D60F020),
        ("noff_rm_nonzero", 0x0D410020), ("st3_h_size_odd", 0x0D006420), ("ld2_sd_size_11", 0x4D608C20),
    ]:
        out.append(case(f"undef_{name}", f".inst {word:#010x}", x1=0x14000))
    return out
