"""SQRDMLAH / SQRDMLSH (ARMv8.1 RDM): vector, scalar, by element (vector and scalar)."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _simd_int_lib import ARR, SCAL, edge_vec, mk, rand_vec, undef  # noqa: E402


def ops(rng, e, k=None):
    if k is None:
        return {0: rand_vec(rng, e), 1: rand_vec(rng, e), 2: rand_vec(rng, e)}
    return {0: edge_vec(rng, e, k + 2), 1: edge_vec(rng, e, k), 2: edge_vec(rng, e, k + 5)}


def extra(q, size, opc, scalar=False):
    base = (1 << 30 | 0b11110 << 24) if scalar else (q << 30 | 0b01110 << 24)
    return base | (1 << 29) | (size << 22) | (2 << 16) | (1 << 15) | (opc << 11) | (1 << 10) | (1 << 5)


def cases():
    rng = random.Random(0x5117_0005)
    out = []
    for mn in ("sqrdmlah", "sqrdmlsh"):
        for s in (1, 2):
            e = 8 << s
            t = SCAL[s]
            nidx = 8 if s == 1 else 4
            for q in (0, 1):
                a = ARR[(s, q)]
                for i in range(24):
                    v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                    out.append(mk(f"{mn}_{a}_r{i}", f"{mn} v0.{a}, v1.{a}, v2.{a}", rng, v))
                for i in range(12):
                    m = 2 if s == 1 else rng.choice([2, 18])
                    v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                    v[m] = v.pop(2)
                    out.append(mk(f"{mn}_{a}_elem{i}", f"{mn} v0.{a}, v1.{a}, v{m}.{t}[{i % nidx}]", rng, v))
            for i in range(24):
                v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                out.append(mk(f"{mn}_s{t}_r{i}", f"{mn} {t}0, {t}1, {t}2", rng, v))
            for i in range(12):
                v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                out.append(mk(f"{mn}_s{t}_elem{i}", f"{mn} {t}0, {t}1, v2.{t}[{i % nidx}]", rng, v))
        opc = 0 if mn == "sqrdmlah" else 1
        for s in (0, 3):
            out.append(undef(f"undef_{mn}_v_size{s}", extra(1, s, opc)))
            out.append(undef(f"undef_{mn}_s_size{s}", extra(0, s, opc, True)))
    return out
