"""Advanced SIMD two-register miscellaneous (integer), scalar two-register
miscellaneous, across lanes and scalar pairwise ADDP."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _simd_int_lib import ARR, SCAL, edge_vec, mk, n_rand, rand_vec, undef  # noqa: E402

ALL3 = [0, 1, 2]
# name: (Q=1 sizes, Q=0 sizes, asm template kind)
SAME = {
    "rev64": (ALL3, ALL3), "rev32": ([0, 1], [0, 1]), "rev16": ([0], [0]),
    "suqadd": ([0, 1, 2, 3], ALL3), "usqadd": ([0, 1, 2, 3], ALL3),
    "cls": (ALL3, ALL3), "clz": (ALL3, ALL3), "cnt": ([0], [0]), "not": ([0], [0]), "rbit": ([0], [0]),
    "sqabs": ([0, 1, 2, 3], ALL3), "sqneg": ([0, 1, 2, 3], ALL3),
    "abs": ([0, 1, 2, 3], ALL3), "neg": ([0, 1, 2, 3], ALL3),
    "cmgt": ([0, 1, 2, 3], ALL3), "cmge": ([0, 1, 2, 3], ALL3), "cmeq": ([0, 1, 2, 3], ALL3),
    "cmle": ([0, 1, 2, 3], ALL3), "cmlt": ([0, 1, 2, 3], ALL3),
}
ZERO_CMP = {"cmgt", "cmge", "cmeq", "cmle", "cmlt"}
PAIRL = ["saddlp", "uaddlp", "sadalp", "uadalp"]
NARROW = ["xtn", "sqxtn", "uqxtn", "sqxtun"]
SCALAR = {"suqadd": [0, 1, 2, 3], "usqadd": [0, 1, 2, 3], "sqabs": [0, 1, 2, 3], "sqneg": [0, 1, 2, 3],
          "abs": [3], "neg": [3], "cmgt": [3], "cmge": [3], "cmeq": [3], "cmle": [3], "cmlt": [3]}
ACROSS = ["addv", "smaxv", "sminv", "umaxv", "uminv", "saddlv", "uaddlv"]


def misc(q, u, size, opc, scalar=False, across=False):
    base = (1 << 30 | 0b11110 << 24) if scalar else (q << 30 | 0b01110 << 24)
    mid = 0b11000 if across else 0b10000
    return base | (u << 29) | (size << 22) | (mid << 17) | (opc << 12) | (0b10 << 10) | (1 << 5)


def ops(rng, e, k=None):
    if k is None:
        return {0: rand_vec(rng, e), 1: rand_vec(rng, e)}
    return {0: edge_vec(rng, e, k + 2), 1: edge_vec(rng, e, k)}


def cases():
    rng = random.Random(0x5117_0003)
    out = []
    for mn, (q1, q0) in SAME.items():
        arrs = [(s, 1) for s in q1] + [(s, 0) for s in q0]
        nr = n_rand(len(arrs))
        for (s, q) in arrs:
            a = ARR[(s, q)]
            e = 8 << s
            asm = f"{mn} v0.{a}, v1.{a}" + (", #0" if mn in ZERO_CMP else "")
            for k in range(3):
                out.append(mk(f"{mn}_{a}_edge{k}", asm, rng, ops(rng, e, k)))
            for i in range(nr):
                out.append(mk(f"{mn}_{a}_r{i}", asm, rng, ops(rng, e)))
    out.append(mk("mvn_alias", "mvn v0.16b, v1.16b", rng, ops(rng, 8)))
    for mn in PAIRL:
        arrs = [(s, q) for s in ALL3 for q in (0, 1)]
        for (s, q) in arrs:
            a = ARR[(s, q)]
            w = ARR[(s + 1, q)] if (s + 1, q) != (3, 0) else "1d"
            e = 8 << s
            asm = f"{mn} v0.{w}, v1.{a}"
            for k in range(2):
                out.append(mk(f"{mn}_{a}_edge{k}", asm, rng, ops(rng, e, k)))
            for i in range(5):
                out.append(mk(f"{mn}_{a}_r{i}", asm, rng, ops(rng, e)))
    for mn in NARROW + ["shll"]:
        for s in ALL3:
            e = 8 << s
            for two in (0, 1):
                n = ARR[(s, two)]
                w = ARR[(s + 1, 1)]
                m2 = mn + ("2" if two else "")
                if mn == "shll":
                    asm = f"{m2} v0.{w}, v1.{n}, #{e}"
                else:
                    asm = f"{m2} v0.{n}, v1.{w}"
                for k in range(3):
                    out.append(mk(f"{m2}_{n}_edge{k}", asm, rng, ops(rng, 2 * e, k)))
                for i in range(8):
                    out.append(mk(f"{m2}_{n}_r{i}", asm, rng, ops(rng, 2 * e if mn != "shll" else e)))
    for mn, sizes in SCALAR.items():
        nr = n_rand(len(sizes))
        for s in sizes:
            r = SCAL[s]
            e = 8 << s
            asm = f"{mn} {r}0, {r}1" + (", #0" if mn in ZERO_CMP else "")
            for k in range(3):
                out.append(mk(f"{mn}_s{r}_edge{k}", asm, rng, ops(rng, e, k)))
            for i in range(nr):
                out.append(mk(f"{mn}_s{r}_r{i}", asm, rng, ops(rng, e)))
    for mn in ["sqxtn", "uqxtn", "sqxtun"]:
        for s in ALL3:
            asm = f"{mn} {SCAL[s]}0, {SCAL[s + 1]}1"
            e = 16 << s
            for k in range(3):
                out.append(mk(f"{mn}_s{SCAL[s]}_edge{k}", asm, rng, ops(rng, e, k)))
            for i in range(10):
                out.append(mk(f"{mn}_s{SCAL[s]}_r{i}", asm, rng, ops(rng, e)))
    for mn in ACROSS:
        for (s, q) in [(0, 0), (0, 1), (1, 0), (1, 1), (2, 1)]:
            a = ARR[(s, q)]
            e = 8 << s
            r = SCAL[s + 1] if mn.endswith("lv") else SCAL[s]
            asm = f"{mn} {r}0, v1.{a}"
            for k in range(3):
                out.append(mk(f"{mn}_{a}_edge{k}", asm, rng, ops(rng, e, k)))
            for i in range(6):
                out.append(mk(f"{mn}_{a}_r{i}", asm, rng, ops(rng, e)))
    for i in range(20):
        out.append(mk(f"addp_sd_r{i}", "addp d0, v1.2d", rng, ops(rng, 64, i % 3) if i < 3 else ops(rng, 64)))
    # reserved encodings
    U = [
        ("rev64_size3", misc(1, 0, 3, 0)), ("rev32_size2", misc(1, 1, 2, 0)), ("rev16_size1", misc(1, 0, 1, 1)),
        ("rev16_u1", misc(1, 1, 0, 1)), ("saddlp_size3", misc(1, 0, 3, 2)), ("cls_size3", misc(1, 0, 3, 4)),
        ("cnt_size1", misc(1, 0, 1, 5)), ("not_size2", misc(1, 1, 2, 5)), ("sqabs_1d", misc(0, 0, 3, 7)),
        ("abs_1d", misc(0, 0, 3, 11)), ("cmgt_1d", misc(0, 0, 3, 8)), ("xtn_size3", misc(1, 0, 3, 18)),
        ("shll_size3", misc(0, 1, 3, 19)), ("sqxtn_size3", misc(0, 0, 3, 20)), ("cmle_u0_opc10", misc(1, 1, 0, 10)),
        ("s_abs_b", misc(0, 0, 0, 11, True)), ("s_cmeq_s", misc(0, 0, 2, 9, True)),
        ("s_sqxtn_size3", misc(0, 0, 3, 20, True)), ("s_rev64", misc(0, 0, 0, 0, True)),
        ("addv_size3", misc(1, 0, 3, 27, across=True)), ("addv_2s", misc(0, 0, 2, 27, across=True)),
        ("saddlv_2s", misc(0, 0, 2, 3, across=True)), ("uaddv", misc(1, 1, 0, 27, across=True)),
        ("addp_s_size2", misc(0, 0, 2, 27, True, True)),
    ]
    for name, w in U:
        out.append(undef("undef_" + name, w))
    return out
