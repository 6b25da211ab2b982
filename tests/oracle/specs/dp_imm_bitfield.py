"""Data processing (immediate): SBFM/BFM/UBFM with all their aliases, EXTR and ROR (immediate).
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_BITFIELD, inst, r, random_cases  # noqa: E402

SRC = [0x8000_0000_0000_0001, 0x7FFF_FFFF_FFFF_FFFE, 0xF0E1_D2C3_B4A5_9687, 0x0000_0000_8000_0000]
DST = 0x5A5A_5A5A_A5A5_A5A5


def enc_bitfield(sf, opc, n, immr, imms, rn, rd):
    return (sf << 31) | (opc << 29) | (0b100110 << 23) | (n << 22) | (immr << 16) | (imms << 10) | (rn << 5) | rd


def enc_extr(sf, op21, n, o0, rm, imms, rn, rd):
    return ((sf << 31) | (op21 << 29) | (0b100111 << 23) | (n << 22) | (o0 << 21) | (rm << 16)
            | (imms << 10) | (rn << 5) | rd)


def bitfield_cases():
    out = []
    for sf in (False, True):
        t = "x" if sf else "w"
        w = 64 if sf else 32
        pts = [0, 1, w // 2, w - 2, w - 1]
        for op in ("sbfm", "bfm", "ubfm"):
            for immr in pts:
                for imms in pts:
                    for k, s in enumerate(SRC[:2]):
                        out.append(case(f"{op}_{t}_r{immr}_s{imms}_{k}",
                                        f"{op} {r(1, sf)}, {r(2, sf)}, #{immr}, #{imms}", x1=DST, x2=s))
            out.append(case(f"{op}_{t}_same_reg", f"{op} {r(3, sf)}, {r(3, sf)}, #3, #9", x3=SRC[2]))
            out.append(case(f"{op}_{t}_zr_src", f"{op} {r(3, sf)}, {r(31, sf)}, #1, #5", x3=DST, sp=0xFFFF))
            out.append(case(f"{op}_{t}_zr_dst", f"{op} {r(31, sf)}, {r(2, sf)}, #1, #5", x2=DST, sp=0xFFFF))
        # Aliases at their extremes.
        for sh in (0, 1, w // 2, w - 1):
            for k, s in enumerate(SRC):
                out.append(case(f"asr_{t}_{sh}_{k}", f"asr {r(1, sf)}, {r(2, sf)}, #{sh}", x2=s))
                out.append(case(f"lsr_{t}_{sh}_{k}", f"lsr {r(1, sf)}, {r(2, sf)}, #{sh}", x2=s))
                out.append(case(f"lsl_{t}_{sh}_{k}", f"lsl {r(1, sf)}, {r(2, sf)}, #{sh}", x2=s))
        for k, s in enumerate(SRC + [0x80, 0x7F, 0x8000, 0xFF7F]):
            out.append(case(f"sxtb_{t}_{k}", f"sxtb {r(1, sf)}, w2", x2=s))
            out.append(case(f"sxth_{t}_{k}", f"sxth {r(1, sf)}, w2", x2=s))
            if sf:
                out.append(case(f"sxtw_{k}", "sxtw x1, w2", x2=s))
            else:
                out.append(case(f"uxtb_{k}", "uxtb w1, w2", x2=s, x1=DST))
                out.append(case(f"uxth_{k}", "uxth w1, w2", x2=s, x1=DST))
        for lsb, width in [(0, 1), (0, w), (w - 1, 1), (1, w - 1), (w // 2, w // 2), (3, 7)]:
            for op in ("sbfiz", "sbfx", "ubfiz", "ubfx", "bfi", "bfxil"):
                out.append(case(f"{op}_{t}_{lsb}_{width}", f"{op} {r(1, sf)}, {r(2, sf)}, #{lsb}, #{width}",
                                x1=DST, x2=SRC[0] ^ SRC[2]))
            out.append(case(f"bfc_{t}_{lsb}_{width}", f"bfc {r(1, sf)}, #{lsb}, #{width}", x1=DST))
        # Reserved: N != sf, sf=0 with immr or imms >= 32, opc = 11.
        for opc, op in enumerate(("sbfm", "bfm", "ubfm")):
            out.append(case(f"{op}_{t}_n_mismatch_undef", inst(enc_bitfield(int(sf), opc, int(not sf), 1, 2, 2, 1))))
            if not sf:
                out.append(case(f"{op}_w_immr32_undef", inst(enc_bitfield(0, opc, 0, 32, 2, 2, 1))))
                out.append(case(f"{op}_w_imms32_undef", inst(enc_bitfield(0, opc, 0, 1, 33, 2, 1))))
                out.append(case(f"{op}_w_imms63_undef", inst(enc_bitfield(0, opc, 0, 63, 63, 2, 1))))
        out.append(case(f"bitfield_{t}_opc11_undef", inst(enc_bitfield(int(sf), 3, int(sf), 1, 2, 2, 1))))
    return out


def extr_cases():
    out = []
    for sf in (False, True):
        t = "x" if sf else "w"
        w = 64 if sf else 32
        for lsb in (0, 1, w // 2 - 1, w // 2, w - 1):
            out.append(case(f"extr_{t}_{lsb}", f"extr {r(1, sf)}, {r(2, sf)}, {r(3, sf)}, #{lsb}",
                            x2=SRC[0], x3=SRC[2]))
            out.append(case(f"ror_{t}_{lsb}", f"ror {r(1, sf)}, {r(2, sf)}, #{lsb}", x2=SRC[2]))
            out.append(case(f"extr_{t}_{lsb}_zr", f"extr {r(1, sf)}, {r(31, sf)}, {r(3, sf)}, #{lsb}",
                            x3=SRC[3]))
        out.append(case(f"extr_{t}_n_mismatch_undef", inst(enc_extr(int(sf), 0, int(not sf), 0, 3, 1, 2, 1))))
        out.append(case(f"extr_{t}_o0_undef", inst(enc_extr(int(sf), 0, int(sf), 1, 3, 1, 2, 1))))
        out.append(case(f"extr_{t}_op21_undef", inst(enc_extr(int(sf), 1, int(sf), 0, 3, 1, 2, 1))))
    out.append(case("extr_w_lsb32_undef", inst(enc_extr(0, 0, 0, 0, 3, 32, 2, 1))))
    out.append(case("extr_w_lsb63_undef", inst(enc_extr(0, 0, 0, 0, 3, 63, 2, 1))))
    return out


def cases():
    return bitfield_cases() + extr_cases() + random_cases(FORMS_BITFIELD, seed=0xB1F, per_form=45)
