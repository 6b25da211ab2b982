"""Random sequences (8-24 instructions) weighted to integer data processing, loads/stores,
atomics, exclusives and branches, with some FP/SIMD and self-modifying code mixed in; random registers, flags
and FPCR. Fixed seed. See _random_mix_lib.py."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _random_mix_lib import random_case  # noqa: E402

WEIGHTS = {"smc": 1, "dp": 30, "ldst": 18, "atomic": 8, "branch": 8, "loop": 3, "sys": 3, "flags": 3, "fp": 4,
           "simd": 4, "simd_fp": 1, "simd_ldst": 3}


def cases():
    rng = random.Random(0x4A11_0001)
    return [random_case(rng, f"rmi_{i}", WEIGHTS) for i in range(900)]
