"""Random sequences (8-24 instructions) weighted to Advanced SIMD integer, permute and
FP operations with random arrangements, SIMD&FP loads/stores and structure loads,
mixed with integer, branch and system instructions. Fixed seed. See _random_mix_lib.py."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _random_mix_lib import random_case  # noqa: E402

WEIGHTS = {"dp": 10, "ldst": 8, "atomic": 2, "branch": 5, "loop": 2, "sys": 3, "flags": 1, "fp": 6,
           "simd": 35, "simd_fp": 12, "simd_ldst": 10}


def cases():
    rng = random.Random(0x4A11_0003)
    return [random_case(rng, f"rms_{i}", WEIGHTS) for i in range(900)]
