"""Scalar FP arithmetic: FADD FSUB FMUL FNMUL FDIV FMAX FMIN FMAXNM FMINNM,
FABS FNEG FSQRT, FMADD FMSUB FNMADD FNMSUB (half, single, double), random
operands biased to specials in random rounding modes / FZ / DN, plus
hand-picked cases for the known emulator bugs."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fp_common import WIDTH, fpcase, from_float, rand_fp, specials, vfill  # noqa: E402
from oracle import case  # noqa: E402

OPS2 = ["fadd", "fsub", "fmul", "fnmul", "fdiv", "fmax", "fmin", "fmaxnm", "fminnm"]
OPS1 = ["fabs", "fneg", "fsqrt"]
OPS3 = ["fmadd", "fmsub", "fnmadd", "fnmsub"]
N_RANDOM = {"s": 40, "d": 40, "h": 14}


def cases():
    rng = random.Random(0xF0A1)
    out = []
    for fmt in "sdh":
        w = WIDTH[fmt]
        n = N_RANDOM[fmt]
        for op in OPS2:
            for i in range(n):
                a, b = rand_fp(rng, fmt), rand_fp(rng, fmt)
                out.append(fpcase(f"{op}_{fmt}_{i}", f"{op} {fmt}0, {fmt}1, {fmt}2", rng,
                                  v={1: vfill(rng, a, w), 2: vfill(rng, b, w)}))
        for op in OPS1:
            for i in range(n):
                a = rand_fp(rng, fmt)
                out.append(fpcase(f"{op}_{fmt}_{i}", f"{op} {fmt}0, {fmt}1", rng,
                                  v={1: vfill(rng, a, w)}))
        for op in OPS3:
            for i in range(n):
                a, b, c = rand_fp(rng, fmt), rand_fp(rng, fmt), rand_fp(rng, fmt)
                out.append(fpcase(f"{op}_{fmt}_{i}", f"{op} {fmt}0, {fmt}1, {fmt}2, {fmt}3", rng,
                                  v={1: vfill(rng, a, w), 2: vfill(rng, b, w), 3: vfill(rng, c, w)}))

    # FDIV and FSQRT in every rounding mode, on inexact quotients / roots.
    for fmt in "sd":
        w = WIDTH[fmt]
        for rmode in range(4):
            for i, (x, y) in enumerate([(1.0, 3.0), (-1.0, 3.0), (2.0, 7.0), (-10.0, 9.0),
                                        (1e-30, 3e10), (5.0, 1.1), (1.0, 1e-40)]):
                a, b = from_float(fmt, x), from_float(fmt, y)
                out.append(case(f"fdiv_rm{rmode}_{fmt}_{i}", f"fdiv {fmt}0, {fmt}1, {fmt}2",
                                fpcr=rmode << 22, v={1: vfill(rng, a, w), 2: vfill(rng, b, w)}))
            for i, x in enumerate([2.0, 3.0, 5.0, 1e-3, 7e30, 0.1]):
                out.append(case(f"fsqrt_rm{rmode}_{fmt}_{i}", f"fsqrt {fmt}0, {fmt}1",
                                fpcr=rmode << 22, v={1: vfill(rng, from_float(fmt, x), w)}))
            # Overflow and underflow per rounding mode.
            big, tiny = specials(fmt)[10], specials(fmt)[9]
            out.append(case(f"fmul_ovf_rm{rmode}_{fmt}", f"fmul {fmt}0, {fmt}1, {fmt}1",
                            fpcr=rmode << 22, v={1: big}))
            out.append(case(f"fmul_ovf_neg_rm{rmode}_{fmt}", f"fmul {fmt}0, {fmt}1, {fmt}2",
                            fpcr=rmode << 22, v={1: big, 2: big | (1 << (w - 1))}))
            out.append(case(f"fmul_unf_rm{rmode}_{fmt}", f"fmul {fmt}0, {fmt}1, {fmt}2",
                            fpcr=rmode << 22, v={1: tiny, 2: from_float(fmt, 0.75)}))
            out.append(case(f"fmul_unf_fz_rm{rmode}_{fmt}", f"fmul {fmt}0, {fmt}1, {fmt}2",
                            fpcr=rmode << 22 | 1 << 24, v={1: tiny, 2: from_float(fmt, 0.75)}))
            # Exact cancellation gives -0 only when rounding to minus infinity.
            out.append(case(f"fsub_zero_rm{rmode}_{fmt}", f"fsub {fmt}0, {fmt}1, {fmt}1",
                            fpcr=rmode << 22, v={1: from_float(fmt, 1.5)}))
            out.append(case(f"fmadd_zero_rm{rmode}_{fmt}", f"fmadd {fmt}0, {fmt}1, {fmt}2, {fmt}3",
                            fpcr=rmode << 22, v={1: from_float(fmt, 2.0), 2: from_float(fmt, 3.0),
                                                 3: from_float(fmt, -6.0)}))

        sp = specials(fmt)
        zero, nzero = sp[0], sp[15]
        qnan, snan, nqnan = sp[3], sp[5], sp[18]
        one, denorm = sp[11], sp[7]
        # FMAX/FMIN of signed zeros (both orders).
        for op in ("fmax", "fmin", "fmaxnm", "fminnm"):
            for i, (a, b) in enumerate([(zero, nzero), (nzero, zero), (one, qnan), (qnan, one),
                                        (one, snan), (snan, one), (qnan, snan), (nqnan, qnan),
                                        (denorm, zero), (qnan, nqnan)]):
                for fpcr in (0, 1 << 24, 1 << 25):
                    out.append(case(f"{op}_edge_{fmt}_{i}_{fpcr >> 24}", f"{op} {fmt}0, {fmt}1, {fmt}2",
                                    fpcr=fpcr, v={1: a, 2: b}))
        # NaN propagation order: signalling before quiet, first operand first.
        nans = [qnan, snan, nqnan, sp[4], one]
        for i, a in enumerate(nans):
            for j, b in enumerate(nans):
                out.append(case(f"fadd_nan_{fmt}_{i}{j}", f"fadd {fmt}0, {fmt}1, {fmt}2",
                                v={1: a, 2: b}))
                out.append(case(f"fmadd_nan_{fmt}_{i}{j}", f"fmadd {fmt}0, {fmt}1, {fmt}2, {fmt}3",
                                v={1: a, 2: b, 3: nans[(i + j) % 5]}))
        # inf * 0 + qNaN gives the default NaN and IOC.
        inf = sp[1]
        for a, b in ((inf, zero), (zero, inf)):
            out.append(case(f"fmadd_inf0_qnan_{fmt}_{a:x}", f"fmadd {fmt}0, {fmt}1, {fmt}2, {fmt}3",
                            v={1: a, 2: b, 3: qnan}))
        # FZ on inputs and outputs; DN; sticky flags.
        for i, fpcr in enumerate([1 << 24, 1 << 25, 3 << 24]):
            out.append(case(f"fadd_fz_in_{fmt}_{i}", f"fadd {fmt}0, {fmt}1, {fmt}2", fpcr=fpcr,
                            fpsr=0x9f, v={1: denorm, 2: one}))
            out.append(case(f"fsqrt_fz_{fmt}_{i}", f"fsqrt {fmt}0, {fmt}1", fpcr=fpcr,
                            v={1: denorm | (1 << (w - 1))}))
            out.append(case(f"fdiv_dn_{fmt}_{i}", f"fdiv {fmt}0, {fmt}1, {fmt}2", fpcr=fpcr,
                            v={1: snan, 2: one}))
    # Undefined: ftype == 10.
    for word in (0x1EA02820, 0x1EA1C020, 0x1F800000):
        out.append(case(f"fp_undef_{word:08x}", f".inst {word:#x}"))
    return out
