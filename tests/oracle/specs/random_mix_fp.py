"""Random sequences (8-24 instructions) weighted to scalar FP (random FPCR rounding
modes, FZ, DN, AHP, FZ16; MSR/MRS FPCR/FPSR mid-sequence) with integer, memory and
branch instructions mixed in. Fixed seed. See _random_mix_lib.py."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _random_mix_lib import random_case  # noqa: E402

WEIGHTS = {"dp": 12, "ldst": 8, "atomic": 2, "branch": 6, "loop": 2, "sys": 5, "flags": 2, "fp": 35,
           "simd": 4, "simd_fp": 10, "simd_ldst": 3}


def cases():
    rng = random.Random(0x4A11_0002)
    return [random_case(rng, f"rmf_{i}", WEIGHTS) for i in range(900)]
