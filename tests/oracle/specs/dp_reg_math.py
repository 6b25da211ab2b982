"""Data processing (register): 2-source UDIV/SDIV, LSLV/LSRV/ASRV/RORV, CRC32{B,H,W,X},
CRC32C{B,H,W,X}; 3-source MADD/MSUB, SMADDL/SMSUBL/UMADDL/UMSUBL, SMULH/UMULH.
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_REG_MATH, inst, r, random_cases  # noqa: E402

V = [0, 1, 2, 3, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 0x1_0000_0000, 0x7FFF_FFFF_FFFF_FFFF,
     0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFD, 0xFFFF_FFFF_8000_0000,
     0x0123_4567_89AB_CDEF]


def enc_2src(sf, s, rm, opcode, rn, rd):
    return (sf << 31) | (s << 29) | (0b11010110 << 21) | (rm << 16) | (opcode << 10) | (rn << 5) | rd


def enc_3src(sf, op54, op31, rm, o0, ra, rn, rd):
    return ((sf << 31) | (op54 << 29) | (0b11011 << 24) | (op31 << 21) | (rm << 16) | (o0 << 15) | (ra << 10)
            | (rn << 5) | rd)


def div_cases():
    out = []
    divs = [(7, 2), (7, 0), (0, 0), (0x8000_0000, 0xFFFF_FFFF), (0x8000_0000_0000_0000, 0xFFFF_FFFF_FFFF_FFFF),
            (0xFFFF_FFFF_FFFF_FFF9, 2), (7, 0xFFFF_FFFF_FFFF_FFFE), (0xFFFF_FFF9, 0xFFFF_FFFE),
            (0xFFFF_FFFF_FFFF_FFFF, 1), (0x1_0000_0007, 0x1_0000_0000), (0x1234_5678_9ABC_DEF0, 0x1_0000_0001),
            (0x7FFF_FFFF_FFFF_FFFF, 0x8000_0000_0000_0000), (3, 0x1_0000_0003)]
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in ("udiv", "sdiv"):
            for k, (a, b) in enumerate(divs):
                out.append(case(f"{op}_{t}_{k}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}", x2=a, x3=b))
            out.append(case(f"{op}_{t}_zr", f"{op} {r(1, sf)}, {r(2, sf)}, {r(31, sf)}", x2=9, sp=3))
    return out


def shift_cases():
    out = []
    amts = [0, 1, 31, 32, 33, 63, 64, 65, 127, 0xFFFF_FFFF_FFFF_FFFF, 0x1_0000_0020, 0x8000_0000_0000_0001]
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in ("lslv", "lsrv", "asrv", "rorv"):
            for k, a in enumerate(amts):
                for j, v in enumerate((0x8765_4321_8765_4321, 0x0FED_CBA9_7654_3210)):
                    out.append(case(f"{op}_{t}_{k}_{j}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}", x2=v, x3=a))
        for alias in ("lsl", "lsr", "asr", "ror"):
            out.append(case(f"{alias}_reg_{t}", f"{alias} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}",
                            x2=0x8765_4321_8765_4321, x3=37))
    return out


def crc_cases():
    out = []
    accs = [0, 0xFFFF_FFFF, 0xFFFF_FFFF_1234_5678]
    vals = [0, 0xFF, 0xFFFF_FFFF_FFFF_FFFF, 0x0123_4567_89AB_CDEF, 0x8000_0000_0000_0001]
    for op in ("crc32b", "crc32h", "crc32w", "crc32x", "crc32cb", "crc32ch", "crc32cw", "crc32cx"):
        x = op.endswith("x")
        for i, a in enumerate(accs):
            for j, v in enumerate(vals):
                out.append(case(f"{op}_{i}_{j}", f"{op} w1, w2, {r(3, x)}", x2=a, x3=v))
        out.append(case(f"{op}_zr", f"{op} w1, wzr, {r(31, x)}", sp=0x44))
        out.append(case(f"{op}_zr_dst", f"{op} wzr, w2, {r(3, x)}", x2=1, x3=2))
    # A string through CRC32CB, byte by byte (standard check value with the inversions).
    s = b"123456789"
    asm = "mvn w0, wzr; " + "; ".join(f"mov w4, #{b}; crc32cb w0, w0, w4" for b in s) + "; mvn w0, w0"
    out.append(case("crc32cb_check_value", asm))
    # Size/width mismatches are unallocated: CRC32X with sf=0, CRC32B/H/W with sf=1.
    for c in (0, 1):
        for sz in range(4):
            sf = 0 if sz == 3 else 1
            out.append(case(f"crc32{'c' if c else ''}_sz{sz}_sf{sf}_undef",
                            inst(enc_2src(sf, 0, 3, 0b010000 | (c << 2) | sz, 2, 1))))
    # Other unallocated 2-source encodings: S=1, opcode 000001 with sf=0.
    out.append(case("two_source_s1_undef", inst(enc_2src(0, 1, 3, 0b000010, 2, 1))))
    out.append(case("two_source_opc1_undef", inst(enc_2src(0, 0, 3, 0b000001, 2, 1))))
    return out


def mul_cases():
    out = []
    trip = [(0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF, 0), (0x8000_0000_0000_0000, 0x8000_0000_0000_0000, 5),
            (0x7FFF_FFFF_FFFF_FFFF, 0x7FFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF), (0xFFFF_FFFF, 0xFFFF_FFFF, 1),
            (0x8000_0000, 0xFFFF_FFFF, 0x8000_0000_0000_0000), (0x1_8000_0000, 0x2_7FFF_FFFF, 3),
            (0x0123_4567_89AB_CDEF, 0xFEDC_BA98_7654_3210, 0x1111_1111_1111_1111), (0, 0x1234, 0xFFFF),
            (0xFFFF_FFFF_8000_0000, 2, 0x7FFF_FFFF)]
    for k, (a, b, c) in enumerate(trip):
        for sf in (False, True):
            t = "x" if sf else "w"
            for op in ("madd", "msub"):
                out.append(case(f"{op}_{t}_{k}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}, {r(4, sf)}",
                                x2=a, x3=b, x4=c))
        for op in ("smaddl", "smsubl", "umaddl", "umsubl"):
            out.append(case(f"{op}_{k}", f"{op} x1, w2, w3, x4", x2=a, x3=b, x4=c))
        for op in ("smulh", "umulh"):
            out.append(case(f"{op}_{k}", f"{op} x1, x2, x3", x2=a, x3=b))
    for sf in (False, True):
        t = "x" if sf else "w"
        out.append(case(f"mul_{t}", f"mul {r(1, sf)}, {r(2, sf)}, {r(3, sf)}", x2=V[13], x3=V[12]))
        out.append(case(f"mneg_{t}", f"mneg {r(1, sf)}, {r(2, sf)}, {r(3, sf)}", x2=V[13], x3=V[12]))
        out.append(case(f"madd_{t}_zr", f"madd {r(1, sf)}, {r(31, sf)}, {r(3, sf)}, {r(31, sf)}", x3=5, sp=7))
    out += [
        case("smull", "smull x1, w2, w3", x2=0xFFFF_FFFF, x3=0x8000_0000),
        case("umull", "umull x1, w2, w3", x2=0xFFFF_FFFF, x3=0x8000_0000),
        case("smnegl", "smnegl x1, w2, w3", x2=0x1_8000_0000, x3=3),
        case("umnegl", "umnegl x1, w2, w3", x2=0x1_8000_0000, x3=3),
    ]
    # Unallocated 3-source encodings: long forms with sf=0, op54 != 00, op31 = 011/100/111.
    for op31, o0 in ((1, 0), (1, 1), (2, 0), (5, 0), (5, 1), (6, 0)):
        out.append(case(f"three_source_w_op31_{op31}_{o0}_undef", inst(enc_3src(0, 0, op31, 3, o0, 4 if o0 or op31 not in (2, 6) else 31, 2, 1))))
    for op54 in (1, 2, 3):
        out.append(case(f"three_source_op54_{op54}_undef", inst(enc_3src(1, op54, 0, 3, 0, 4, 2, 1))))
    for op31 in (3, 4, 7):
        out.append(case(f"three_source_op31_{op31}_undef", inst(enc_3src(1, 0, op31, 3, 0, 4, 2, 1))))
    out.append(case("smulh_o0_undef", inst(enc_3src(1, 0, 2, 3, 1, 31, 2, 1))))
    out.append(case("umulh_o0_undef", inst(enc_3src(1, 0, 6, 3, 1, 31, 2, 1))))
    return out


def cases():
    return div_cases() + shift_cases() + crc_cases() + mul_cases() + random_cases(FORMS_REG_MATH, seed=0x3A7,
                                                                                     per_form=40)
