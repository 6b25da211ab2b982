"""Advanced SIMD three same (integer), vector and scalar forms."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _simd_int_lib import (ARR, SCAL, edge_vec, mk, n_rand, rand_vec, shift_vec, undef)

# name: (U, opcode, sizes allowed for Q=1, Q=0 sizes, scalar sizes)
ALL3 = [0, 1, 2]
ALL4 = [0, 1, 2, 3]
HS = [1, 2]
VEC = {
    "shadd": (ALL3, ALL3), "uhadd": (ALL3, ALL3), "srhadd": (ALL3, ALL3), "urhadd": (ALL3, ALL3),
    "shsub": (ALL3, ALL3), "uhsub": (ALL3, ALL3),
    "sqadd": (ALL4, ALL3), "uqadd": (ALL4, ALL3), "sqsub": (ALL4, ALL3), "uqsub": (ALL4, ALL3),
    "cmgt": (ALL4, ALL3), "cmhi": (ALL4, ALL3), "cmge": (ALL4, ALL3), "cmhs": (ALL4, ALL3),
    "sshl": (ALL4, ALL3), "ushl": (ALL4, ALL3), "sqshl": (ALL4, ALL3), "uqshl": (ALL4, ALL3),
    "srshl": (ALL4, ALL3), "urshl": (ALL4, ALL3), "sqrshl": (ALL4, ALL3), "uqrshl": (ALL4, ALL3),
    "smax": (ALL3, ALL3), "umax": (ALL3, ALL3), "smin": (ALL3, ALL3), "umin": (ALL3, ALL3),
    "sabd": (ALL3, ALL3), "uabd": (ALL3, ALL3), "saba": (ALL3, ALL3), "uaba": (ALL3, ALL3),
    "add": (ALL4, ALL3), "sub": (ALL4, ALL3), "cmtst": (ALL4, ALL3), "cmeq": (ALL4, ALL3),
    "mla": (ALL3, ALL3), "mls": (ALL3, ALL3), "mul": (ALL3, ALL3), "pmul": ([0], [0]),
    "smaxp": (ALL3, ALL3), "umaxp": (ALL3, ALL3), "sminp": (ALL3, ALL3), "uminp": (ALL3, ALL3),
    "sqdmulh": (HS, HS), "sqrdmulh": (HS, HS), "addp": (ALL4, ALL3),
}
SCALAR = {
    "sqadd": ALL4, "uqadd": ALL4, "sqsub": ALL4, "uqsub": ALL4,
    "sqshl": ALL4, "uqshl": ALL4, "sqrshl": ALL4, "uqrshl": ALL4,
    "cmgt": [3], "cmhi": [3], "cmge": [3], "cmhs": [3], "sshl": [3], "ushl": [3],
    "srshl": [3], "urshl": [3], "add": [3], "sub": [3], "cmtst": [3], "cmeq": [3],
    "sqdmulh": HS, "sqrdmulh": HS,
}
LOGIC = ["and", "bic", "orr", "orn", "eor", "bsl", "bit", "bif"]
SHIFTS = {"sshl", "ushl", "sqshl", "uqshl", "srshl", "urshl", "sqrshl", "uqrshl"}

OPC = {  # (U, opcode) for undefined-encoding cases
    "shadd": (0, 0), "sqadd": (0, 1), "cmgt": (0, 6), "smax": (0, 12), "mla": (0, 18),
    "pmul": (1, 19), "sqdmulh": (0, 22), "add": (0, 16), "addp": (0, 23), "sqshl": (0, 9),
}


def three_same(q, u, size, opc, rm=2, rn=1, rd=0):
    return (q << 30) | (u << 29) | (0b01110 << 24) | (size << 22) | (1 << 21) | (rm << 16) | (opc << 11) | (1 << 10) | (rn << 5) | rd


def scalar_same(u, size, opc, rm=2, rn=1, rd=0):
    return (1 << 30) | (u << 29) | (0b11110 << 24) | (size << 22) | (1 << 21) | (rm << 16) | (opc << 11) | (1 << 10) | (rn << 5) | rd


def operands(rng, mn, e, k=None):
    a = rand_vec(rng, e) if k is None else edge_vec(rng, e, k)
    if mn in SHIFTS:
        b = shift_vec(rng, e)
    elif k is not None:
        b = edge_vec(rng, e, k + 3)
    else:
        b = rand_vec(rng, e) if rng.random() < 0.8 else a  # equal operands sometimes
    return {1: a, 2: b, 0: rand_vec(rng, e)}


def cases():
    rng = random.Random(0x5117_0001)
    out = []
    for mn, (q1, q0) in VEC.items():
        arrs = [(s, 1) for s in q1] + [(s, 0) for s in q0]
        nr = n_rand(len(arrs))
        for (s, q) in arrs:
            a = ARR[(s, q)]
            e = 8 << s
            asm = f"{mn} v0.{a}, v1.{a}, v2.{a}"
            for k in range(3):
                out.append(mk(f"{mn}_{a}_edge{k}", asm, rng, operands(rng, mn, e, k)))
            for i in range(nr):
                out.append(mk(f"{mn}_{a}_r{i}", asm, rng, operands(rng, mn, e)))
        # aliasing: destination is also a source
        s, q = arrs[-1]
        a = ARR[(s, q)]
        out.append(mk(f"{mn}_{a}_alias", f"{mn} v1.{a}, v1.{a}, v2.{a}", rng, operands(rng, mn, 8 << s)))
    for mn, sizes in SCALAR.items():
        nr = n_rand(len(sizes))
        for s in sizes:
            r = SCAL[s]
            e = 8 << s
            asm = f"{mn} {r}0, {r}1, {r}2"
            for k in range(3):
                out.append(mk(f"{mn}_s{r}_edge{k}", asm, rng, operands(rng, mn, e, k)))
            for i in range(nr):
                out.append(mk(f"{mn}_s{r}_r{i}", asm, rng, operands(rng, mn, e)))
    for mn in LOGIC:
        for q in (0, 1):
            a = "16b" if q else "8b"
            asm = f"{mn} v0.{a}, v1.{a}, v2.{a}"
            for i in range(12):
                out.append(mk(f"{mn}_{a}_r{i}", asm, rng, {0: rand_vec(rng, 64), 1: rand_vec(rng, 8), 2: rand_vec(rng, 32)}))
    for q in (0, 1):
        a = "16b" if q else "8b"
        out.append(mk(f"mov_alias_{a}", f"mov v0.{a}, v1.{a}", rng, {1: rand_vec(rng, 8)}))
    # reserved encodings
    for mn, (u, opc) in OPC.items():
        if mn == "pmul":
            for s in (1, 2, 3):
                out.append(undef(f"undef_pmul_size{s}", three_same(1, u, s, opc)))
            continue
        if mn == "sqdmulh":
            out.append(undef("undef_sqdmulh_b", three_same(1, u, 0, opc)))
            out.append(undef("undef_sqdmulh_d", three_same(1, u, 3, opc)))
            out.append(undef("undef_sqdmulh_sb", scalar_same(u, 0, opc)))
            out.append(undef("undef_sqdmulh_sd", scalar_same(u, 3, opc)))
            continue
        if mn in ("sqadd", "cmgt", "add", "addp", "sqshl"):
            out.append(undef(f"undef_{mn}_1d", three_same(0, u, 3, opc)))
        else:
            out.append(undef(f"undef_{mn}_2d", three_same(1, u, 3, opc)))
    for mn, (u, opc) in [("cmgt", (0, 6)), ("add", (0, 16)), ("sub", (1, 16)), ("sshl", (0, 8)), ("cmeq", (1, 17))]:
        for s in (0, 1, 2):
            out.append(undef(f"undef_{mn}_scalar_size{s}", scalar_same(u, s, opc)))
    out.append(undef("undef_uaddp", three_same(1, 1, 0, 23)))
    out.append(undef("undef_scalar_shadd", scalar_same(0, 0, 0)))
    return out
