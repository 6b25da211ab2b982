"""Data processing (register): 1-source RBIT, REV16, REV (32 and 64), REV32, CLZ, CLS.
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_REG_COND, inst, r, random_cases  # noqa: E402


def enc_1src(sf, s, opcode2, opcode, rn, rd):
    return (sf << 31) | (1 << 30) | (s << 29) | (0b11010110 << 21) | (opcode2 << 16) | (opcode << 10) | (rn << 5) | rd


def one_source_cases():
    out = []
    vals = [0, 1, 0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0x0123_4567_89AB_CDEF, 0x0000_0000_8000_0000,
            0xFFFF_FFFF_7FFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0x0000_0001_0000_0000, 0xC000_0000_4000_0000,
            0x0000_0000_FFFF_FFFF, 0x0000_FFFF_0000_0001]
    for sf in (False, True):
        t = "x" if sf else "w"
        ops = ["rbit", "rev16", "rev", "clz", "cls"] + (["rev32"] if sf else [])
        for op in ops:
            for k, v in enumerate(vals):
                out.append(case(f"{op}_{t}_{k}", f"{op} {r(1, sf)}, {r(2, sf)}", x2=v))
            out.append(case(f"{op}_{t}_zr", f"{op} {r(1, sf)}, {r(31, sf)}", sp=0x1234))
            out.append(case(f"{op}_{t}_same", f"{op} {r(5, sf)}, {r(5, sf)}", x5=vals[4]))
    # REV with opc=11 needs sf=1; S=1 and opcode2 != 0 (non-PAC values) are unallocated.
    out.append(case("rev64_w_undef", inst(enc_1src(0, 0, 0, 3, 2, 1))))
    out.append(case("one_source_x_s1_undef", inst(enc_1src(1, 1, 0, 0, 2, 1))))
    out.append(case("one_source_w_s1_undef", inst(enc_1src(0, 1, 0, 4, 2, 1))))
    out.append(case("one_source_w_opc2_2_undef", inst(enc_1src(0, 0, 2, 0, 2, 1))))
    return out


def cases():
    return one_source_cases() + random_cases(FORMS_REG_COND[8:], seed=0x15C, per_form=40)
