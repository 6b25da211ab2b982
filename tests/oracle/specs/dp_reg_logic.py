"""Data processing (register): AND/BIC/ORR/ORN/EOR/EON/ANDS/BICS (shifted register,
LSL/LSR/ASR/ROR). Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_REG_LOGIC, SHIFTS, inst, r, random_cases  # noqa: E402

OPS = ["and", "bic", "orr", "orn", "eor", "eon", "ands", "bics"]
A = 0xF0F0_0FF0_8000_0001
B = 0x8765_4321_FEDC_BA98


def enc_logical_shreg(sf, opc, sh, n, rm, imm6, rn, rd):
    return ((sf << 31) | (opc << 29) | (0b01010 << 24) | (sh << 22) | (n << 21) | (rm << 16)
            | (imm6 << 10) | (rn << 5) | rd)


def cases():
    out = []
    for sf in (False, True):
        t = "x" if sf else "w"
        w = 64 if sf else 32
        for op in OPS:
            for sh in SHIFTS:
                for amt in (0, 1, w // 2, w - 1):
                    out.append(case(f"{op}_{t}_{sh}{amt}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}, {sh} #{amt}",
                                    x2=A, x3=B, nzcv=0x30000000))
            # Register 31 is zr in every position.
            out.append(case(f"{op}_{t}_zr_src", f"{op} {r(1, sf)}, {r(31, sf)}, {r(3, sf)}", x3=B, sp=0x5555))
            out.append(case(f"{op}_{t}_zr_dst", f"{op} {r(31, sf)}, {r(2, sf)}, {r(3, sf)}", x2=A, x3=B,
                            sp=0x5555))
            out.append(case(f"{op}_{t}_same", f"{op} {r(4, sf)}, {r(4, sf)}, {r(4, sf)}, ror #3", x4=A))
        # Flags of ANDS / BICS: zero, negative; C and V cleared.
        for op in ("ands", "bics"):
            for k, (a, b) in enumerate([(0, B), (A, 0), (A, A), (0x8000_0000, 0x8000_0000),
                                        (1 << 63, 1 << 63), (0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF)]):
                out.append(case(f"{op}_{t}_flags{k}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}",
                                x2=a, x3=b, nzcv=0xF0000000))
        out += [
            case(f"tst_{t}", f"tst {r(2, sf)}, {r(3, sf)}, lsl #1", x2=A, x3=B, nzcv=0x30000000),
            case(f"mov_reg_{t}", f"mov {r(1, sf)}, {r(2, sf)}", x2=A),
            case(f"mvn_{t}", f"mvn {r(1, sf)}, {r(2, sf)}, asr #7", x2=A),
        ]
        # sf=0 with imm6 >= 32 is reserved.
        if not sf:
            for opc in range(4):
                for n in (0, 1):
                    out.append(case(f"logical_shreg_w_opc{opc}_n{n}_imm32_undef",
                                    inst(enc_logical_shreg(0, opc, opc, n, 3, 32 + 7 * opc, 2, 1))))
            out.append(case("logical_shreg_w_imm63_undef", inst(enc_logical_shreg(0, 0, 3, 0, 3, 63, 2, 1))))
    return out + random_cases(FORMS_REG_LOGIC, seed=0x10C, per_form=45)
