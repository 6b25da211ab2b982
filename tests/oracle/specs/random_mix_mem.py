"""Random sequences (8-24 instructions) weighted to memory: loads/stores in every
addressing mode (writeback, register offsets, pairs, SIMD&FP registers, literals),
structure loads/stores, LSE atomics, CAS/CASP, exclusives (with retry loops), ordered
accesses, bounded loops and self-modifying code (store, DC CVAU, IC IVAU, ISB), over
base registers that alias each other. Fixed seed. See _random_mix_lib.py."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _random_mix_lib import random_case  # noqa: E402

WEIGHTS = {"dp": 12, "ldst": 30, "atomic": 14, "branch": 5, "loop": 5, "simd_ldst": 14, "smc": 3, "fp": 3,
           "simd": 3, "sys": 2}


def cases():
    rng = random.Random(0x4A11_0005)
    return [random_case(rng, f"rmm_{i}", WEIGHTS) for i in range(900)]
