"""Data processing (register): ADC/ADCS/SBC/SBCS (and NGC/NGCS) with carry in 0 and 1.
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_REG_ARITH, r, random_cases, edge_pairs  # noqa: E402


def carry_cases():
    out = []
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in ("adc", "adcs", "sbc", "sbcs"):
            for k, (a, b) in enumerate(edge_pairs()):
                if op in ("adc", "sbc") and k % 3:
                    continue
                for c in (0, 1):
                    out.append(case(f"{op}_{t}_edge{k}_c{c}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}",
                                    x2=a, x3=b, nzcv=(c << 29) | (0xD0000000 if k % 2 else 0)))
            out.append(case(f"{op}_{t}_zr", f"{op} {r(1, sf)}, {r(31, sf)}, {r(31, sf)}", nzcv=0x20000000,
                            sp=0x9999))
        out.append(case(f"ngc_{t}", f"ngc {r(1, sf)}, {r(2, sf)}", x2=5, nzcv=0))
        out.append(case(f"ngcs_{t}", f"ngcs {r(1, sf)}, {r(2, sf)}", x2=0, nzcv=0x20000000))
    return out


def cases():
    return carry_cases() + random_cases(FORMS_REG_ARITH[8:], seed=0xCA7, per_form=40)
