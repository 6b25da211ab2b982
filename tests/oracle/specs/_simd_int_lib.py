"""Shared helpers of the simd_int* specs (not a spec itself: gen_cases skips `_` files)."""

import math
import random

from oracle import case

QC = 1 << 27
M128 = (1 << 128) - 1

ARR = {(0, 0): "8b", (0, 1): "16b", (1, 0): "4h", (1, 1): "8h",
       (2, 0): "2s", (2, 1): "4s", (3, 0): "1d", (3, 1): "2d"}
SCAL = {0: "b", 1: "h", 2: "s", 3: "d"}


def lane_edges(e):
    m = (1 << e) - 1
    h = 1 << (e - 1)
    return [0, 1, 2, m, m - 1, h, h - 1, h + 1, h - 2, (h >> 1), m >> 2, 3, m ^ 1]


def rand_lane(rng, e):
    r = rng.random()
    if r < 0.4:
        return rng.choice(lane_edges(e))
    if r < 0.5:
        return rng.randrange(0, 16)
    return rng.getrandbits(e)


def vec_from(lanes, e):
    v = 0
    for i, x in enumerate(lanes):
        v |= (x & ((1 << e) - 1)) << (i * e)
    return v


def rand_vec(rng, e):
    """128-bit value with per-lane edge bias for element size e."""
    if rng.random() < 0.15:
        return rng.getrandbits(128)
    return vec_from([rand_lane(rng, e) for _ in range(128 // e)], e)


def edge_vec(rng, e, k):
    """A vector whose lanes walk through the edge list (k picks the rotation)."""
    ed = lane_edges(e)
    return vec_from([ed[(k + i * 5) % len(ed)] for i in range(128 // e)], e)


def shift_lane(rng, e):
    """A register-shift lane: the low byte is the signed shift amount."""
    s = rng.choice([0, 1, e - 1, e, e + 1, -1, -e + 1, -e, -e - 1, 127, -128, 64, -64, 63, -63, 65, -65,
                    rng.randrange(-e - 3, e + 4), rng.randrange(-128, 128)])
    hi = rng.getrandbits(e - 8) << 8 if e > 8 and rng.random() < 0.5 else 0
    return hi | (s & 0xFF)


def shift_vec(rng, e):
    return vec_from([shift_lane(rng, e) for _ in range(128 // e)], e)


def rand_fpsr(rng):
    return rng.choice([0, QC])


def mk(name, asm, rng, v, fpsr=None):
    return case(name, asm, v=v, fpsr=rand_fpsr(rng) if fpsr is None else fpsr)


def n_rand(n_arr, total=24, floor=4):
    return max(floor, math.ceil(total / max(1, n_arr)))


def undef(name, word):
    return case(name, f".inst {word:#010x}")
