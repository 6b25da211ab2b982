"""Advanced SIMD three different (vector, scalar), vector/scalar x indexed element
(integer) and the dot products."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _simd_int_lib import ARR, SCAL, edge_vec, mk, rand_vec, undef  # noqa: E402

NARROW = {0: "8b", 1: "4h", 2: "2s"}
NARROW2 = {0: "16b", 1: "8h", 2: "4s"}
WIDE = {0: "8h", 1: "4s", 2: "2d"}

LONG = ["saddl", "uaddl", "ssubl", "usubl", "sabal", "uabal", "sabdl", "uabdl",
        "smlal", "umlal", "smlsl", "umlsl", "smull", "umull"]
WIDEN = ["saddw", "uaddw", "ssubw", "usubw"]
HN = ["addhn", "raddhn", "subhn", "rsubhn"]
SQD = ["sqdmlal", "sqdmlsl", "sqdmull"]


def three_diff(q, u, size, opc, rm=2, rn=1, rd=0):
    return (q << 30) | (u << 29) | (0b01110 << 24) | (size << 22) | (1 << 21) | (rm << 16) | (opc << 12) | (rn << 5) | rd


def by_elem(q, u, size, opc, scalar=False):
    base = (0b01 << 30 | 0b11111 << 24) if scalar else (q << 30 | 0b01111 << 24)
    return base | (u << 29) | (size << 22) | (2 << 16) | (opc << 12) | (1 << 5)


def ops(rng, e, k=None):
    if k is None:
        return {0: rand_vec(rng, 2 * e), 1: rand_vec(rng, e), 2: rand_vec(rng, e)}
    return {0: edge_vec(rng, 2 * e, k), 1: edge_vec(rng, e, k), 2: edge_vec(rng, e, k + 4)}


def add_forms(out, rng, base, asm, e, nr=6):
    for k in range(2):
        out.append(mk(f"{base}_edge{k}", asm, rng, ops(rng, e, k)))
    for i in range(nr):
        out.append(mk(f"{base}_r{i}", asm, rng, ops(rng, e)))


def cases():
    rng = random.Random(0x5117_0002)
    out = []
    for mn in LONG + SQD + WIDEN + HN:
        sizes = [1, 2] if mn in SQD else [0, 1, 2]
        for s in sizes:
            e = 8 << s
            for two in (0, 1):
                n = (NARROW2 if two else NARROW)[s]
                w = WIDE[s]
                m2 = mn + ("2" if two else "")
                if mn in WIDEN:
                    asm = f"{m2} v0.{w}, v1.{w}, v2.{n}"
                elif mn in HN:
                    asm = f"{m2} v0.{n}, v1.{w}, v2.{w}"
                else:
                    asm = f"{m2} v0.{w}, v1.{n}, v2.{n}"
                add_forms(out, rng, f"{m2}_{n}", asm, e)
    for two in (0, 1):
        m2 = "pmull" + ("2" if two else "")
        add_forms(out, rng, f"{m2}_8b", f"{m2} v0.8h, v1.{'16b' if two else '8b'}, v2.{'16b' if two else '8b'}", 8, 10)
        add_forms(out, rng, f"{m2}_1q", f"{m2} v0.1q, v1.{'2d' if two else '1d'}, v2.{'2d' if two else '1d'}", 64, 10)
    out.append(mk("smlal_alias", "smlal v1.4s, v1.4h, v2.4h", rng, ops(rng, 16)))
    out.append(mk("addhn2_alias", "addhn2 v1.16b, v1.8h, v2.8h", rng, ops(rng, 8)))
    # scalar three different
    for mn in SQD:
        for s in (1, 2):
            e = 8 << s
            asm = f"{mn} {SCAL[s + 1]}0, {SCAL[s]}1, {SCAL[s]}2"
            add_forms(out, rng, f"{mn}_s{SCAL[s]}", asm, e, 24)
    # by element
    same_ops = ["mul", "mla", "mls", "sqdmulh", "sqrdmulh"]
    long_ops = ["smull", "umull", "smlal", "umlal", "smlsl", "umlsl", "sqdmull", "sqdmlal", "sqdmlsl"]
    for mn in same_ops + long_ops:
        for s in (1, 2):
            e = 8 << s
            t = "h" if s == 1 else "s"
            nidx = 8 if s == 1 else 4
            forms = [0, 1]
            for q in forms:
                if mn in same_ops:
                    a = ARR[(s, q)]
                    m2 = mn
                    asm0 = f"{mn} v0.{a}, v1.{a}, v%d.{t}[%d]"
                else:
                    a = ARR[(s, q)]
                    m2 = mn + ("2" if q else "")
                    asm0 = f"{m2} v0.{WIDE[s - 0] if False else WIDE[s]}, v1.{a}, v%d.{t}[%d]"
                for i in range(nidx + 4):
                    idx = i % nidx if i < nidx else rng.randrange(nidx)
                    m = 2 if s == 1 else rng.choice([2, 17, 31])
                    v = ops(rng, e, i % 3) if i % 4 == 3 else ops(rng, e)
                    v[m] = v.pop(2)
                    out.append(mk(f"{m2}_{a}_elem{i}", asm0 % (m, idx), rng, v))
    for mn in ["sqdmulh", "sqrdmulh", "sqdmull", "sqdmlal", "sqdmlsl"]:
        for s in (1, 2):
            e = 8 << s
            t = SCAL[s]
            nidx = 8 if s == 1 else 4
            dst = SCAL[s + 1] if mn in ("sqdmull", "sqdmlal", "sqdmlsl") else t
            for i in range(nidx + 8):
                idx = i % nidx
                m = 3 if s == 1 else rng.choice([3, 19])
                v = ops(rng, e, i % 3) if i % 4 == 3 else ops(rng, e)
                v[m] = v.pop(2)
                out.append(mk(f"{mn}_s{t}_elem{i}", f"{mn} {dst}0, {t}1, v{m}.{t}[{idx}]", rng, v))
    # dot products
    for mn in ("sdot", "udot"):
        for q in (0, 1):
            a = "4s" if q else "2s"
            b = "16b" if q else "8b"
            for i in range(24):
                v = ops(rng, 8, i % 3) if i % 6 == 5 else {0: rand_vec(rng, 32), 1: rand_vec(rng, 8), 2: rand_vec(rng, 8)}
                out.append(mk(f"{mn}_{a}_r{i}", f"{mn} v0.{a}, v1.{b}, v2.{b}", rng, v))
            for i in range(12):
                m = rng.choice([2, 20])
                v = {0: rand_vec(rng, 32), 1: rand_vec(rng, 8), m: rand_vec(rng, 8)}
                out.append(mk(f"{mn}_{a}_elem{i}", f"{mn} v0.{a}, v1.{b}, v{m}.4b[{i % 4}]", rng, v))
    # reserved encodings
    for opc, u in [(0, 0), (1, 1), (4, 0), (6, 1), (8, 0), (12, 1)]:
        out.append(undef(f"undef_diff_{opc}_{u}_size3", three_diff(1, u, 3, opc)))
    for opc in (9, 11, 13):
        out.append(undef(f"undef_sqd_{opc}_size0", three_diff(0, 0, 0, opc)))
        out.append(undef(f"undef_sqd_{opc}_size3", three_diff(0, 0, 3, opc)))
        out.append(undef(f"undef_sqd_s{opc}_size0", three_diff(0, 0, 0, opc) | (1 << 30) | (1 << 28)))
    out.append(undef("undef_pmull_size1", three_diff(0, 0, 1, 14)))
    out.append(undef("undef_pmull_size2", three_diff(1, 0, 2, 14)))
    out.append(undef("undef_diff_opc15", three_diff(0, 0, 0, 15)))
    out.append(undef("undef_uqdmlal", three_diff(0, 1, 1, 9)))
    for opc, u in [(8, 0), (0, 1), (10, 1), (12, 0)]:
        out.append(undef(f"undef_elem_{opc}_{u}_size0", by_elem(1, u, 0, opc)))
        out.append(undef(f"undef_elem_{opc}_{u}_size3", by_elem(1, u, 3, opc)))
    out.append(undef("undef_elem_s_size0", by_elem(0, 0, 0, 12, True)))
    out.append(undef("undef_elem_s_size3", by_elem(0, 0, 3, 11, True)))
    return out
