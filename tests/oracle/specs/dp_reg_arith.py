"""Data processing (register): ADD/ADDS/SUB/SUBS (shifted register and extended register).
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import FORMS_REG_ARITH, EXTENDS, inst, r, random_cases, edge_pairs  # noqa: E402

OPS = ["add", "adds", "sub", "subs"]
A = 0xF0F0_0FF0_8000_0001
B = 0x8765_4321_FEDC_BA98


def enc_addsub_shreg(sf, op, s, sh, rm, imm6, rn, rd):
    return ((sf << 31) | (op << 30) | (s << 29) | (0b01011 << 24) | (sh << 22) | (rm << 16)
            | (imm6 << 10) | (rn << 5) | rd)


def enc_addsub_ext(sf, op, s, opt, rm, option, imm3, rn, rd):
    return ((sf << 31) | (op << 30) | (s << 29) | (0b01011 << 24) | (opt << 22) | (1 << 21) | (rm << 16)
            | (option << 13) | (imm3 << 10) | (rn << 5) | rd)


def shreg_cases():
    out = []
    for sf in (False, True):
        t = "x" if sf else "w"
        w = 64 if sf else 32
        for op in OPS:
            for sh in ("lsl", "lsr", "asr"):
                for amt in (0, 1, w // 2, w - 1):
                    out.append(case(f"{op}_shreg_{t}_{sh}{amt}",
                                    f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}, {sh} #{amt}", x2=A, x3=B))
        for op in ("adds", "subs"):
            for k, (a, b) in enumerate(edge_pairs()):
                out.append(case(f"{op}_shreg_{t}_edge{k}", f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, sf)}",
                                x2=a, x3=b, nzcv=0xF0000000 if k % 2 else 0))
        out += [
            case(f"neg_{t}", f"neg {r(1, sf)}, {r(2, sf)}", x2=0x8000_0000_8000_0000),
            case(f"negs_{t}", f"negs {r(1, sf)}, {r(2, sf)}, lsl #1", x2=0x8000_0000_8000_0000),
            case(f"negs_{t}_zero", f"negs {r(1, sf)}, {r(2, sf)}", x2=0),
            case(f"cmp_shreg_{t}", f"cmp {r(2, sf)}, {r(3, sf)}, asr #2", x2=A, x3=B),
            case(f"cmn_shreg_{t}", f"cmn {r(2, sf)}, {r(3, sf)}", x2=A, x3=B),
            case(f"add_shreg_{t}_zr_dst", f"add {r(31, sf)}, {r(2, sf)}, {r(3, sf)}", x2=A, x3=B, sp=0x7777),
            case(f"adds_shreg_{t}_zr_src", inst(enc_addsub_shreg(int(sf), 0, 1, 0, 3, 0, 31, 1)), x3=B,
                 sp=0x7777),
        ]
        # ROR is reserved for add/sub; sf=0 with imm6 >= 32 too.
        for opi, op in enumerate(OPS):
            out.append(case(f"{op}_shreg_{t}_ror_undef", inst(enc_addsub_shreg(int(sf), opi >> 1, opi & 1, 3, 3, 1, 2, 1))))
            if not sf:
                out.append(case(f"{op}_shreg_w_imm32_undef",
                                inst(enc_addsub_shreg(0, opi >> 1, opi & 1, opi % 3, 3, 32 + opi, 2, 1))))
    return out


def ext_cases():
    out = []
    vals = [0x8000_0000_8000_8080, 0x7FFF_FFFF_7FFF_7F7F, 0xFFFF_FFFF_FFFF_FFFF]
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in OPS:
            for ext in EXTENDS:
                rm_sf = sf and ext in ("uxtx", "sxtx")
                for amt in range(5):
                    for k, v in enumerate(vals[:2] if amt % 2 else vals[1:]):
                        out.append(case(f"{op}_ext_{t}_{ext}{amt}_{k}",
                                        f"{op} {r(1, sf)}, {r(2, sf)}, {r(3, rm_sf)}, {ext} #{amt}",
                                        x2=A, x3=v, nzcv=0x20000000))
        # sp forms: rn is sp, rd is sp unless flags are set.
        out += [
            case(f"add_ext_{t}_sp_sp", f"add {r(31, sf, True)}, {r(31, sf, True)}, w3, uxtw #2",
                 x3=0xFFFF_FFFF_8000_0000, sp=0xFFFF_FFFF_0000_0010),
            case(f"sub_ext_{t}_sp_sp", f"sub {r(31, sf, True)}, {r(31, sf, True)}, w3, sxtb #4", x3=0x80,
                 sp=0x1_0000_0000),
            case(f"adds_ext_{t}_sp_src", f"adds {r(1, sf)}, {r(31, sf, True)}, w3, sxth", x3=0x8000, sp=0x8000),
            case(f"subs_ext_{t}_sp_src", f"subs {r(1, sf)}, {r(31, sf, True)}, w3, uxtb #1", x3=0x40, sp=0x80),
            case(f"cmp_ext_{t}_sp", f"cmp {r(31, sf, True)}, {r(3, sf)}", x3=0x80000, sp=0x80000),
            case(f"cmn_ext_{t}_sp", f"cmn {r(31, sf, True)}, w3, sxtw", x3=0xFFFF_FFFF, sp=1),
            case(f"add_ext_{t}_zr_rm", f"add {r(1, sf)}, {r(31, sf, True)}, {r(31, False)}, uxtw #4", sp=0x1230),
            case(f"add_ext_{t}_to_sp", f"add {r(31, sf, True)}, {r(2, sf)}, w3, uxth #3", x2=A, x3=B),
        ]
        # Shift amounts 5..7 and opt != 00 are reserved.
        for opi, op in enumerate(OPS):
            for imm3 in (5, 6, 7):
                out.append(case(f"{op}_ext_{t}_imm3_{imm3}_undef",
                                inst(enc_addsub_ext(int(sf), opi >> 1, opi & 1, 0, 3, 2, imm3, 2, 1))))
            for opt in (1, 2, 3):
                out.append(case(f"{op}_ext_{t}_opt{opt}_undef",
                                inst(enc_addsub_ext(int(sf), opi >> 1, opi & 1, opt, 3, 2, 1, 2, 1))))
    return out


def cases():
    return shreg_cases() + ext_cases() + random_cases(FORMS_REG_ARITH[:8], seed=0xA21, per_form=40)
