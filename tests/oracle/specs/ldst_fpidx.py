"""LDR/STR of SIMD&FP registers b/h/s/d/q: pre-index and post-index."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ldst_forms import single_cases, FP_STEMS  # noqa: E402


def cases():
    return single_cases(FP_STEMS, ["pre", "post"], seed=0x1d5c)
