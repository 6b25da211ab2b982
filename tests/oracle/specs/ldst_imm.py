"""LDR/STR (all general-register sizes, signed loads, PRFM): unsigned scaled offset,
unscaled (LDUR/STUR/PRFUM) and unprivileged (LDTR/STTR) forms."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from _ldst_forms import single_cases, GPR_STEMS  # noqa: E402


def cases():
    return single_cases(GPR_STEMS + ["PRFM"], ["uimm", "simm", "unpriv"], seed=0x1d57)
