"""LDR/STR/LDUR/STUR of SIMD&FP registers b/h/s/d/q: unsigned offset, unscaled, register offset."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ldst_forms import single_cases, FP_STEMS  # noqa: E402


def cases():
    return single_cases(FP_STEMS, ["uimm", "simm", "reg"], seed=0x1d5b)
