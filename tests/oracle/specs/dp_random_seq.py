"""Random sequences of 4-8 integer data-processing instructions (immediate and register
classes, 32- and 64-bit, random registers including sp/zr, random operands and flags),
so that flags and results flow from one instruction to the next. Fixed seed."""

import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _dp_common import ALL_FORMS, random_case  # noqa: E402


def cases():
    rng = random.Random(0x5E9)
    out = []
    for i in range(500):
        asm = []
        for _ in range(rng.randrange(4, 9)):
            _name, g, sizes = rng.choice(ALL_FORMS)
            asm.append(g(rng, rng.choice(sizes)))
        out.append(random_case(rng, f"dp_seq{i}", "; ".join(asm)))
    return out
