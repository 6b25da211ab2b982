"""Advanced SIMD FP, one-operand forms: two-register misc (vector 2S/4S/2D and
scalar), fixed-point conversions by immediate (vector and scalar), FCVTL/FCVTL2,
FCVTN/FCVTN2, FCVTXN/FCVTXN2, FRECPE/FRSQRTE/FRECPX, FMOV (vector, immediate)."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fp_common import WIDTH, fpcase, rand_fp, rand_fpcr, rand_vec, specials, vfill  # noqa: E402
from oracle import case, rand_u64  # noqa: E402

VEC1 = ["fabs", "fneg", "fsqrt", "frintn", "frintm", "frintp", "frintz", "frinta", "frintx", "frinti",
        "frint32z", "frint32x", "frint64z", "frint64x",
        "fcvtns", "fcvtms", "fcvtas", "fcvtps", "fcvtzs", "fcvtnu", "fcvtmu", "fcvtau", "fcvtpu", "fcvtzu",
        "scvtf", "ucvtf", "frecpe", "frsqrte"]
ZERO_CMP = ["fcmgt", "fcmeq", "fcmlt", "fcmge", "fcmle"]
SCALAR1 = ["fcvtns", "fcvtms", "fcvtas", "fcvtps", "fcvtzs", "fcvtnu", "fcvtmu", "fcvtau", "fcvtpu", "fcvtzu",
           "scvtf", "ucvtf", "frecpe", "frsqrte", "frecpx"]
ARR = [("2s", "s"), ("4s", "s"), ("2d", "d")]
N = 8


def int_vec(rng, fmt):
    w = WIDTH[fmt]
    v = 0
    for i in range(128 // w):
        v |= (rand_u64(rng) & ((1 << w) - 1)) << (i * w)
    return v


def cases():
    rng = random.Random(0xF0E1)
    out = []
    for op in VEC1 + ZERO_CMP:
        for arr, fmt in ARR:
            for i in range(N):
                src = int_vec(rng, fmt) if op in ("scvtf", "ucvtf") and rng.random() < 0.7 else rand_vec(rng, fmt)
                zero = ", #0.0" if op in ZERO_CMP else ""
                out.append(fpcase(f"{op}_v_{arr}_{i}", f"{op} v0.{arr}, v1.{arr}{zero}", rng, v={1: src}))
    for op in SCALAR1 + ZERO_CMP:
        for fmt in "sd":
            w = WIDTH[fmt]
            for i in range(N):
                a = rand_u64(rng) & ((1 << w) - 1) if op in ("scvtf", "ucvtf") else rand_fp(rng, fmt)
                zero = ", #0.0" if op in ZERO_CMP else ""
                out.append(fpcase(f"{op}_sc_{fmt}_{i}", f"{op} {fmt}0, {fmt}1{zero}", rng, v={1: vfill(rng, a, w)}))
    # FRECPE / FRSQRTE / FRECPX on the specials, with FZ and every rounding mode.
    for fmt in "sd":
        for i, a in enumerate(specials(fmt)):
            for op in ("frecpe", "frsqrte", "frecpx"):
                fpcr = rng.choice([0, 1 << 24, 1 << 25]) | rng.randrange(4) << 22
                out.append(case(f"{op}_sp_{fmt}_{i}", f"{op} {fmt}0, {fmt}1", fpcr=fpcr, v={1: a}))
    # Fixed point by immediate.
    for op in ("scvtf", "ucvtf", "fcvtzs", "fcvtzu"):
        for arr, fmt in ARR:
            for i in range(N):
                fb = rng.randrange(1, WIDTH[fmt] + 1)
                src = int_vec(rng, fmt) if op.endswith("cvtf") else rand_vec(rng, fmt)
                out.append(fpcase(f"{op}_vfix_{arr}_{i}", f"{op} v0.{arr}, v1.{arr}, #{fb}", rng, v={1: src}))
        for fmt in "sd":
            w = WIDTH[fmt]
            for i in range(N):
                fb = rng.randrange(1, w + 1)
                a = rand_u64(rng) & ((1 << w) - 1) if op.endswith("cvtf") else rand_fp(rng, fmt)
                out.append(fpcase(f"{op}_sfix_{fmt}_{i}", f"{op} {fmt}0, {fmt}1, #{fb}", rng, v={1: vfill(rng, a, w)}))
    # Widening / narrowing.
    for i in range(12):
        ahp = rand_fpcr(rng, ahp=True)
        out += [
            fpcase(f"fcvtl_4s_{i}", "fcvtl v0.4s, v1.4h", rng, fpcr=ahp, v={1: rand_vec(rng, "h")}),
            fpcase(f"fcvtl2_4s_{i}", "fcvtl2 v0.4s, v1.8h", rng, fpcr=ahp, v={1: rand_vec(rng, "h")}),
            fpcase(f"fcvtl_2d_{i}", "fcvtl v0.2d, v1.2s", rng, v={1: rand_vec(rng, "s")}),
            fpcase(f"fcvtl2_2d_{i}", "fcvtl2 v0.2d, v1.4s", rng, v={1: rand_vec(rng, "s")}),
            fpcase(f"fcvtn_4h_{i}", "fcvtn v0.4h, v1.4s", rng, fpcr=ahp, v={1: rand_vec(rng, "s")}),
            fpcase(f"fcvtn2_8h_{i}", "fcvtn2 v0.8h, v1.4s", rng, fpcr=ahp, v={1: rand_vec(rng, "s")}),
            fpcase(f"fcvtn_2s_{i}", "fcvtn v0.2s, v1.2d", rng, v={1: rand_vec(rng, "d")}),
            fpcase(f"fcvtn2_4s_{i}", "fcvtn2 v0.4s, v1.2d", rng, v={1: rand_vec(rng, "d")}),
            fpcase(f"fcvtxn_2s_{i}", "fcvtxn v0.2s, v1.2d", rng, v={1: rand_vec(rng, "d")}),
            fpcase(f"fcvtxn2_4s_{i}", "fcvtxn2 v0.4s, v1.2d", rng, v={1: rand_vec(rng, "d")}),
            fpcase(f"fcvtxn_sc_{i}", "fcvtxn s0, d1", rng, v={1: rand_vec(rng, "d")}),
        ]
    # FMOV (vector, immediate).
    for i, imm in enumerate(("1.0", "-2.0", "0.125", "31.0", "-1.9375", "0.5")):
        out += [
            case(f"fmov_v2s_{i}", f"fmov v0.2s, #{imm}"),
            case(f"fmov_v4s_{i}", f"fmov v0.4s, #{imm}"),
            case(f"fmov_v2d_{i}", f"fmov v0.2d, #{imm}"),
        ]
    # Unallocated: FSQRT .1D (Q=0 sz=1), FCVTXN with sz=0, SCVTF fixed .1D.
    for word in (0x2EE1F820, 0x2E216820, 0x0F40E420):
        out.append(case(f"simd_fp_misc_undef_{word:08x}", f".inst {word:#x}"))
    return out
