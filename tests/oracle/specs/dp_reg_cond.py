"""Data processing (register): CCMN/CCMP (register and immediate), CSEL/CSINC/CSINV/CSNEG
(and their aliases).
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_REG_COND, CONDS, r, random_cases  # noqa: E402

# Flag settings that make each condition true for some and false for others.
FLAGS = [0x00000000, 0x40000000, 0x80000000, 0x20000000, 0x10000000, 0x90000000, 0x60000000, 0xF0000000]


def ccmp_cases():
    out = []
    pairs = [(0, 0), (1, 2), (0x7FFFFFFF, 0xFFFFFFFF), (0x8000000000000000, 1), (0xFFFFFFFFFFFFFFFF, 1),
             (0x80000000, 0x80000000)]
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in ("ccmn", "ccmp"):
            for ci, cond in enumerate(CONDS):
                for fi, fl in enumerate(FLAGS[::2] if ci % 2 else FLAGS[1::2]):
                    a, b = pairs[(ci + fi) % len(pairs)]
                    out.append(case(f"{op}_reg_{t}_{cond}_f{fi}", f"{op} {r(2, sf)}, {r(3, sf)}, #{(ci * 5) & 15}, {cond}",
                                    x2=a, x3=b, nzcv=fl))
                    out.append(case(f"{op}_imm_{t}_{cond}_f{fi}", f"{op} {r(2, sf)}, #{(ci * 7) % 32}, #{(ci * 3) & 15}, {cond}",
                                    x2=a, nzcv=fl))
            for k, (a, b) in enumerate(pairs):
                out.append(case(f"{op}_reg_{t}_pair{k}", f"{op} {r(2, sf)}, {r(3, sf)}, #0, al", x2=a, x3=b,
                                nzcv=0x50000000))
                out.append(case(f"{op}_imm_{t}_pair{k}_31", f"{op} {r(2, sf)}, #31, #15, eq", x2=a, nzcv=0x40000000))
            out.append(case(f"{op}_reg_{t}_zr", f"{op} {r(31, sf)}, {r(31, sf)}, #6, eq", nzcv=0x40000000))
    return out


def csel_cases():
    out = []
    vals = [(0x1111_2222_3333_4444, 0xFFFF_FFFF_FFFF_FFFF), (5, 0x8000_0000_0000_0000), (5, 0x8000_0000),
            (0, 0x7FFF_FFFF)]
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in ("csel", "csinc", "csinv", "csneg"):
            for ci, cond in enumerate(CONDS):
                for fi, fl in enumerate(FLAGS[::2] if ci % 2 else FLAGS[1::2]):
                    a, b = vals[(ci + fi) % len(vals)]
                    out.append(case(f"{op}_{t}_{cond}_f{fi}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}, {cond}",
                                    x2=a, x3=b, nzcv=fl))
            out.append(case(f"{op}_{t}_zr", f"{op} {r(1, sf)}, {r(31, sf)}, {r(31, sf)}, ne", nzcv=0x40000000))
            out.append(case(f"{op}_{t}_zr_dst", f"{op} {r(31, sf)}, {r(2, sf)}, {r(3, sf)}, eq", nzcv=0, sp=0x3))
        for alias in ("cset", "csetm"):
            for ci, cond in enumerate(CONDS[:14]):
                out.append(case(f"{alias}_{t}_{cond}", f"{alias} {r(1, sf)}, {cond}", nzcv=FLAGS[ci % 8]))
        for alias in ("cinc", "cinv", "cneg"):
            for ci, cond in enumerate(CONDS[:14]):
                out.append(case(f"{alias}_{t}_{cond}", f"{alias} {r(1, sf)}, {r(2, sf)}, {cond}",
                                x2=vals[ci % 4][1], nzcv=FLAGS[(ci + 3) % 8]))
    return out


def cases():
    return ccmp_cases() + csel_cases() + random_cases(FORMS_REG_COND[:8], seed=0xC0D, per_form=40)
