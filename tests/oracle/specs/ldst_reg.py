"""LDR/STR/PRFM (general registers): register offset with every extend; literal loads
(LDR w/x, LDRSW, PRFM, LDR s/d/q)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ldst_forms import single_cases, literal_cases, GPR_STEMS  # noqa: E402


def cases():
    return single_cases(GPR_STEMS + ["PRFM"], ["reg"], seed=0x1d59) + literal_cases(seed=0x1d5a)
