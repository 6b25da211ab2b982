"""Advanced SIMD shift by immediate (vector and scalar) and modified immediate."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _simd_int_lib import ARR, SCAL, edge_vec, mk, rand_vec, undef  # noqa: E402

RIGHT = ["sshr", "ushr", "ssra", "usra", "srshr", "urshr", "srsra", "ursra", "sri"]
LEFT = ["shl", "sli", "sqshl", "uqshl", "sqshlu"]
NARROW = ["shrn", "rshrn", "sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"]
LONG = ["sshll", "ushll"]
SCALAR_NARROW = ["sqshrn", "sqrshrn", "uqshrn", "uqrshrn", "sqshrun", "sqrshrun"]


def shifts(rng, lo, hi, n):
    """Both ends, the middle, then random amounts in [lo, hi]."""
    base = [lo, hi, (lo + hi) // 2, lo + 1, hi - 1]
    out = [x for x in base if lo <= x <= hi]
    while len(out) < n:
        out.append(rng.randint(lo, hi))
    return out


def ops(rng, e, k=None):
    if k is None:
        return {0: rand_vec(rng, e), 1: rand_vec(rng, e)}
    return {0: edge_vec(rng, e, k + 2), 1: edge_vec(rng, e, k)}


def shift_imm(q, u, immh, immb, opc, scalar=False):
    base = (1 << 30 | 0b111110 << 23) if scalar else (q << 30 | 0b011110 << 23)
    return base | (u << 29) | (immh << 19) | (immb << 16) | (opc << 11) | (1 << 10) | (1 << 5)


def mod_imm(q, op, cmode, imm8, o2=0, rd=0):
    return (q << 30) | (op << 29) | (0b0111100000 << 19) | ((imm8 >> 5) << 16) | (cmode << 12) | (o2 << 11) | (1 << 10) | ((imm8 & 31) << 5) | rd


def cases():
    rng = random.Random(0x5117_0004)
    out = []
    arrs = [(0, 0), (0, 1), (1, 0), (1, 1), (2, 0), (2, 1), (3, 1)]
    for mn in RIGHT + LEFT:
        for (s, q) in arrs:
            a = ARR[(s, q)]
            e = 8 << s
            lo, hi = (1, e) if mn in RIGHT else (0, e - 1)
            for i, sh in enumerate(shifts(rng, lo, hi, 8)):
                v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                out.append(mk(f"{mn}_{a}_{i}", f"{mn} v0.{a}, v1.{a}, #{sh}", rng, v))
    for mn in NARROW:
        for s in (0, 1, 2):
            e = 8 << s
            for two in (0, 1):
                n = ARR[(s, two)]
                w = ARR[(s + 1, 1)]
                m2 = mn + ("2" if two else "")
                for i, sh in enumerate(shifts(rng, 1, e, 9)):
                    v = ops(rng, 2 * e, i % 3) if i < 3 else ops(rng, 2 * e)
                    out.append(mk(f"{m2}_{n}_{i}", f"{m2} v0.{n}, v1.{w}, #{sh}", rng, v))
    for mn in LONG:
        for s in (0, 1, 2):
            e = 8 << s
            for two in (0, 1):
                n = ARR[(s, two)]
                w = ARR[(s + 1, 1)]
                m2 = mn + ("2" if two else "")
                for i, sh in enumerate(shifts(rng, 0, e - 1, 7)):
                    v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                    out.append(mk(f"{m2}_{n}_{i}", f"{m2} v0.{w}, v1.{n}, #{sh}", rng, v))
        for two in (0, 1):
            m2 = ("sxtl" if mn == "sshll" else "uxtl") + ("2" if two else "")
            out.append(mk(f"{m2}_alias", f"{m2} v0.8h, v1.{'16b' if two else '8b'}", rng, ops(rng, 8)))
    # scalar
    for mn in RIGHT + ["shl", "sli"]:
        lo, hi = (1, 64) if mn in RIGHT else (0, 63)
        for i, sh in enumerate(shifts(rng, lo, hi, 24)):
            v = ops(rng, 64, i % 3) if i < 3 else ops(rng, 64)
            out.append(mk(f"{mn}_sd_{i}", f"{mn} d0, d1, #{sh}", rng, v))
    for mn in ["sqshl", "uqshl", "sqshlu"]:
        for s in range(4):
            e = 8 << s
            r = SCAL[s]
            for i, sh in enumerate(shifts(rng, 0, e - 1, 10)):
                v = ops(rng, e, i % 3) if i < 3 else ops(rng, e)
                out.append(mk(f"{mn}_s{r}_{i}", f"{mn} {r}0, {r}1, #{sh}", rng, v))
    for mn in SCALAR_NARROW:
        for s in range(3):
            e = 8 << s
            for i, sh in enumerate(shifts(rng, 1, e, 12)):
                v = ops(rng, 2 * e, i % 3) if i < 3 else ops(rng, 2 * e)
                out.append(mk(f"{mn}_s{SCAL[s]}_{i}", f"{mn} {SCAL[s]}0, {SCAL[s + 1]}1, #{sh}", rng, v))
    # modified immediate: every op/cmode (except FMOV's cmode 1111), both Q
    for op in (0, 1):
        for cmode in range(15):
            for q in (0, 1):
                imms = [0, 0xFF, 0x80, 0x01] + [rng.randrange(256) for _ in range(6)]
                for i, imm8 in enumerate(imms):
                    v = {0: rand_vec(rng, 64)}
                    out.append(mk(f"modimm_op{op}_c{cmode}_q{q}_{i}", f".inst {mod_imm(q, op, cmode, imm8):#010x}", rng, v))
    out.append(mk("movi_asm_2d", "movi v0.2d, #0xff00ff0000ffff00", rng, {}))
    out.append(mk("movi_asm_d", "movi d0, #0x00ff00ff00ff00ff", rng, {0: rand_vec(rng, 64)}))
    out.append(mk("movi_asm_msl", "movi v0.4s, #0x5a, msl #16", rng, {}))
    out.append(mk("mvni_asm_msl", "mvni v0.2s, #0x5a, msl #8", rng, {0: rand_vec(rng, 64)}))
    out.append(mk("orr_asm_imm", "orr v0.8h, #0x5a, lsl #8", rng, {0: rand_vec(rng, 64)}))
    out.append(mk("bic_asm_imm", "bic v0.2s, #0xa5, lsl #24", rng, {0: rand_vec(rng, 64)}))
    # reserved encodings
    U = [
        ("sshr_1d", shift_imm(0, 0, 8, 0, 0)), ("shl_1d", shift_imm(0, 0, 9, 3, 10)),
        ("shrn_immh1xxx", shift_imm(0, 0, 8, 1, 16)), ("sshll_immh1xxx", shift_imm(1, 0, 8, 0, 20)),
        ("sqshrn_immh1xxx", shift_imm(1, 0, 12, 0, 18)), ("s_sshr_immh0xxx", shift_imm(0, 0, 4, 0, 0, True)),
        ("s_shl_immh0001", shift_imm(0, 0, 1, 0, 10, True)), ("s_sri_immh01xx", shift_imm(0, 1, 5, 0, 8, True)),
        ("s_sqshrn_immh1xxx", shift_imm(0, 0, 8, 0, 18, True)), ("s_sqshl_immh0", shift_imm(0, 0, 0, 3, 14, True)),
        ("s_uqshrn_immh0", shift_imm(0, 1, 0, 3, 18, True)), ("s_shrn", shift_imm(0, 0, 2, 0, 16, True)),
        ("sri_u0", shift_imm(1, 0, 2, 0, 8)), ("sqshlu_u0", shift_imm(1, 0, 2, 0, 12)),
        ("modimm_o2_c8", mod_imm(1, 0, 8, 0x5A, 1)), ("modimm_o2_c9", mod_imm(1, 0, 9, 0x5A, 1)),
        ("modimm_o2_c0", mod_imm(0, 0, 0, 0x5A, 1)), ("modimm_o2_op1", mod_imm(1, 1, 0, 0x5A, 1)),
    ]
    for name, w in U:
        out.append(undef("undef_" + name, w))
    return out
