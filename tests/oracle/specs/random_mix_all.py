"""Random sequences (8-24 instructions) drawn evenly from every class: integer data
processing, loads/stores, atomics and exclusives, branches and bounded loops, system
registers, scalar FP, SIMD integer/permute/FP and structure loads. Fixed seed. See
_random_mix_lib.py."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _random_mix_lib import random_case  # noqa: E402

WEIGHTS = {"smc": 1, "dp": 14, "ldst": 12, "atomic": 6, "branch": 7, "loop": 3, "sys": 4, "flags": 3, "fp": 14,
           "simd": 14, "simd_fp": 8, "simd_ldst": 6}


def cases():
    rng = random.Random(0x4A11_0004)
    return [random_case(rng, f"rma_{i}", WEIGHTS) for i in range(900)]
