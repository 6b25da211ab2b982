"""Advanced SIMD FP, two- and three-operand forms: three same (vector 2S/4S/2D
and scalar), FMLA/FMLS, pairwise (vector and scalar), across lanes, and
FMLA/FMLS/FMUL/FMULX by element (vector and scalar)."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fp_common import WIDTH, fpcase, rand_fp, rand_vec, specials, vfill  # noqa: E402
from oracle import case  # noqa: E402

VEC3 = ["fadd", "fsub", "fmul", "fdiv", "fmulx", "fabd", "fmax", "fmin", "fmaxnm", "fminnm",
        "fmla", "fmls", "frecps", "frsqrts", "fcmeq", "fcmge", "fcmgt", "facge", "facgt",
        "faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"]
SCALAR3 = ["fmulx", "fabd", "frecps", "frsqrts", "fcmeq", "fcmge", "fcmgt", "facge", "facgt"]
ARR = [("2s", "s"), ("4s", "s"), ("2d", "d")]
N = 10


def cases():
    rng = random.Random(0xF0D1)
    out = []
    for op in VEC3:
        for arr, fmt in ARR:
            for i in range(N):
                v = {1: rand_vec(rng, fmt), 2: rand_vec(rng, fmt), 0: rand_vec(rng, fmt)}
                if rng.random() < 0.2:
                    v[2] = v[1]
                out.append(fpcase(f"{op}_{arr}_{i}", f"{op} v0.{arr}, v1.{arr}, v2.{arr}", rng, v=v))
    for op in SCALAR3:
        for fmt in "sd":
            w = WIDTH[fmt]
            for i in range(12):
                a, b = rand_fp(rng, fmt), rand_fp(rng, fmt)
                out.append(fpcase(f"{op}_sc_{fmt}_{i}", f"{op} {fmt}0, {fmt}1, {fmt}2", rng,
                                  v={1: vfill(rng, a, w), 2: vfill(rng, b, w)}))
    # FRECPS/FRSQRTS/FMULX with infinity times zero, under FZ with denormals.
    for fmt in "sd":
        sp = specials(fmt)
        for op in ("frecps", "frsqrts", "fmulx"):
            for i, (a, b) in enumerate([(sp[1], sp[0]), (sp[15], sp[16]), (sp[7], sp[1]), (sp[7], sp[11]),
                                        (sp[22], sp[12]), (sp[2], sp[4])]):
                for fpcr in (0, 1 << 24, 1 << 25):
                    out.append(case(f"{op}_edge_{fmt}_{i}_{fpcr >> 24}", f"{op} {fmt}0, {fmt}1, {fmt}2",
                                    fpcr=fpcr, v={1: a, 2: b}))
    # Scalar pairwise and across lanes.
    for op in ("faddp", "fmaxp", "fminp", "fmaxnmp", "fminnmp"):
        for fmt, arr in (("s", "2s"), ("d", "2d")):
            for i in range(10):
                out.append(fpcase(f"{op}_sc_{fmt}_{i}", f"{op} {fmt}0, v1.{arr}", rng, v={1: rand_vec(rng, fmt)}))
    for op in ("fmaxv", "fminv", "fmaxnmv", "fminnmv"):
        for i in range(14):
            out.append(fpcase(f"{op}_{i}", f"{op} s0, v1.4s", rng, v={1: rand_vec(rng, "s")}))
    # By element.
    for op in ("fmla", "fmls", "fmul", "fmulx"):
        for arr, fmt, nidx in (("2s", "s", 4), ("4s", "s", 4), ("2d", "d", 2)):
            for i in range(N):
                m = rng.randrange(32) if fmt == "d" else rng.randrange(32)
                m = m if m not in (0, 1) else 17
                idx = rng.randrange(nidx)
                v = {0: rand_vec(rng, fmt), 1: rand_vec(rng, fmt), m: rand_vec(rng, fmt)}
                out.append(fpcase(f"{op}_elem_{arr}_{i}", f"{op} v0.{arr}, v1.{arr}, v{m}.{fmt}[{idx}]", rng, v=v))
        for fmt, nidx in (("s", 4), ("d", 2)):
            for i in range(N):
                m = rng.choice([2, 5, 16, 31])
                idx = rng.randrange(nidx)
                v = {0: rand_vec(rng, fmt), 1: rand_vec(rng, fmt), m: rand_vec(rng, fmt)}
                out.append(fpcase(f"{op}_elem_sc_{fmt}_{i}", f"{op} {fmt}0, {fmt}1, v{m}.{fmt}[{idx}]", rng, v=v))
    # Unallocated: 2D forms with Q=0 (FADD .1D), FMAXV .2S, by-element double with L=1.
    for word in (0x0E60D420, 0x2E30F820, 0x4FE09020):
        out.append(case(f"simd_fp_undef_{word:08x}", f".inst {word:#x}"))
    return out
