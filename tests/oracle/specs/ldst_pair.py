"""LDP/STP/LDPSW/LDNP/STNP of general and SIMD&FP registers: signed offset, pre-index,
post-index, non-temporal."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ldst_forms import pair_cases  # noqa: E402


def cases():
    return pair_cases(seed=0x1d5d)
