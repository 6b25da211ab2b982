"""Data processing (immediate): ADR/ADRP, ADD/ADDS/SUB/SUBS (immediate),
AND/ORR/EOR/ANDS (immediate, every DecodeBitMasks element size), MOVN/MOVZ/MOVK.
Edge cases plus random cases per form (fixed seed)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import case  # noqa: E402
from _dp_common import (  # noqa: E402
    FORMS_IMM, enc_adr, enc_logical_imm, inst, r, random_cases, edge_pairs,
)

OPS_LOG = ["and", "orr", "eor", "ands"]


def enc_movewide(sf, opc, hw, imm16, rd):
    return (sf << 31) | (opc << 29) | (0b100101 << 23) | (hw << 21) | (imm16 << 5) | rd


def adr_cases():
    out = []
    for page in (0, 1):
        op = "adrp" if page else "adr"
        for imm in [0, 1, 2, 3, 4, 0xFFFFF, 0x100000, 0x1FFFFF, 0x1FFFFE, 0x155555, 0xAAAAA]:
            out.append(case(f"{op}_imm{imm:#x}", inst(enc_adr(page, imm, 5))))
        out.append(case(f"{op}_xzr", inst(enc_adr(page, 0x1234, 31))))
    # An ADRP not at the start of a page: the low 12 bits of pc are dropped.
    out.append(case("adrp_offset_pc", "nop; nop; " + inst(enc_adr(1, 3, 7))))
    out.append(case("adr_offset_pc", "nop; nop; nop; " + inst(enc_adr(0, 0x1FFFFD, 7))))
    return out


def addsub_imm_cases():
    out = []
    vals = [0, 1, 0xFFF, 0x1000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFF000,
            0x7FFFFFFFFFFFFFFF, 0x8000000000000000, 0xFFFFFFFFFFFFFFFF, 0xFFFFFFFFFFFFF001]
    imms = [(0, ""), (1, ""), (0xFFF, ""), (1, ", lsl #12"), (0xFFF, ", lsl #12")]
    for sf in (False, True):
        t = "x" if sf else "w"
        for op in ["add", "adds", "sub", "subs"]:
            for i, v in enumerate(vals):
                for j, (imm, sh) in enumerate(imms):
                    if (i + j) % 2 and not op.endswith("s"):
                        continue
                    out.append(case(f"{op}_imm_{t}_edge{i}_{j}", f"{op} {r(1, sf)}, {r(2, sf)}, #{imm}{sh}",
                                    x2=v, nzcv=0xF0000000 if (i + j) % 3 == 0 else 0))
        # sp forms: sp as source and destination; flag forms write zr.
        out += [
            case(f"add_imm_{t}_sp_dst", f"add {r(31, sf, True)}, {r(2, sf)}, #16", x2=0xFFFFFFFF_FFFFFFF8),
            case(f"add_imm_{t}_sp_src", f"add {r(3, sf)}, {r(31, sf, True)}, #0x10, lsl #12",
                 sp=0x1234_5678_9ABC_DEF0),
            case(f"sub_imm_{t}_sp_sp", f"sub {r(31, sf, True)}, {r(31, sf, True)}, #0x20",
                 sp=0xFFFF_FFFF_0000_0010),
            case(f"mov_sp_{t}", f"mov {r(4, sf)}, {r(31, sf, True)}", sp=0xDEAD_BEEF_CAFE_F00D),
            case(f"mov_to_sp_{t}", f"mov {r(31, sf, True)}, {r(4, sf)}", x4=0xDEAD_BEEF_CAFE_F00D),
            case(f"adds_imm_{t}_sp_src", f"adds {r(5, sf)}, {r(31, sf, True)}, #1",
                 sp=0xFFFF_FFFF_FFFF_FFFF),
            case(f"cmp_imm_{t}_sp", f"cmp {r(31, sf, True)}, #0x80", sp=0x80),
            case(f"cmn_imm_{t}", f"cmn {r(6, sf)}, #1", x6=0xFFFF_FFFF_FFFF_FFFF),
            case(f"subs_imm_{t}_zr_dst", f"subs {r(31, sf)}, {r(7, sf)}, #3", x7=2),
        ]
    return out


def esize_fields(e, s, rot):
    """(N, immr, imms) for element size e with s+1 ones rotated by rot."""
    if e == 64:
        return 1, rot, s
    prefix = {2: 0b111100, 4: 0b111000, 8: 0b110000, 16: 0b100000, 32: 0b000000}[e]
    return 0, rot, prefix | s


def logical_imm_cases():
    out = []
    src = 0xF0E1_D2C3_B4A5_9687
    for sf in (0, 1):
        t = "x" if sf else "w"
        for e in ([2, 4, 8, 16, 32, 64] if sf else [2, 4, 8, 16, 32]):
            for s in sorted({0, e // 2 - 1, e - 2}):
                for rot in sorted({0, 1, e - 1}):
                    n, immr, imms = esize_fields(e, s, rot)
                    for opc, op in enumerate(OPS_LOG):
                        out.append(case(f"{op}_imm_{t}_e{e}_s{s}_r{rot}",
                                        inst(enc_logical_imm(sf, opc, n, immr, imms, 2, 1)),
                                        x2=src, nzcv=0x30000000))
            # immr bits above the element size are ignored.
            n, immr, imms = esize_fields(e, 0, 0)
            out.append(case(f"orr_imm_{t}_e{e}_high_immr",
                            inst(enc_logical_imm(sf, 1, n, immr | (0x3F & ~(e - 1)), imms, 2, 1)), x2=0))
        # ANDS flags: zero, negative, C and V cleared.
        out += [
            case(f"ands_imm_{t}_zero", inst(enc_logical_imm(sf, 3, 0, 0, 0b111100, 2, 1)),
                 x2=0xAAAAAAAAAAAAAAAA, nzcv=0x30000000),
            case(f"ands_imm_{t}_neg", inst(enc_logical_imm(sf, 3, 0, 1, 0b000000, 2, 1)),
                 x2=0xFFFFFFFFFFFFFFFF, nzcv=0x30000000),
            case(f"tst_imm_{t}", inst(enc_logical_imm(sf, 3, 0, 0, 0b111000, 2, 31)), x2=0x11, nzcv=0xF0000000),
        ]
        # rd = 31 is sp for AND/ORR/EOR (32-bit forms zero-extend into sp).
        for opc, op in enumerate(OPS_LOG[:3]):
            out.append(case(f"{op}_imm_{t}_to_sp", inst(enc_logical_imm(sf, opc, 0, 4, 0b110011, 2, 31)),
                            x2=0x123456789ABCDEF0, sp=0xFFFFFFFF_FFFFFFFF))
        # rn = 31 reads as zero (mov alias).
        out.append(case(f"mov_bitmask_{t}", inst(enc_logical_imm(sf, 1, 0, 0, 0b111100, 31, 3)), sp=0x1234))
        # Reserved patterns: all ones of each element size, and no element size.
        for e in ([2, 4, 8, 16, 32, 64] if sf else [2, 4, 8, 16, 32]):
            n, immr, imms = esize_fields(e, e - 1, 0)
            for opc, op in enumerate(OPS_LOG):
                out.append(case(f"{op}_imm_{t}_e{e}_all_ones_undef",
                                inst(enc_logical_imm(sf, opc, n, immr, imms, 2, 1))))
        for imms in (0b111110, 0b111111):
            out.append(case(f"and_imm_{t}_noesize{imms:#b}_undef", inst(enc_logical_imm(sf, 0, 0, 0, imms, 2, 1))))
    # N=1 with sf=0 is reserved.
    for opc, op in enumerate(OPS_LOG):
        out.append(case(f"{op}_imm_w_n1_undef", inst(enc_logical_imm(0, opc, 1, 0, 0, 2, 1))))
        out.append(case(f"{op}_imm_w_n1b_undef", inst(enc_logical_imm(0, opc, 1, 5, 0b011110, 2, 1))))
    return out


def movewide_cases():
    out = []
    for sf in (0, 1):
        t = "x" if sf else "w"
        for hw in range(4 if sf else 2):
            for imm in (0, 1, 0x8000, 0xFFFF, 0x1234):
                for op in ("movn", "movz", "movk"):
                    out.append(case(f"{op}_{t}_hw{hw}_{imm:#x}", f"{op} {r(3, sf)}, #{imm}, lsl #{16 * hw}",
                                    x3=0xFEDC_BA98_7654_3210))
        for op in ("movn", "movz", "movk"):
            out.append(case(f"{op}_{t}_zr", f"{op} {r(31, sf)}, #7", sp=0x4444))
        if not sf:
            for hw in (2, 3):
                for opc, op in ((0, "movn"), (2, "movz"), (3, "movk")):
                    out.append(case(f"{op}_w_hw{hw}_undef", inst(enc_movewide(0, opc, hw, 0x1234, 3))))
        out.append(case(f"movwide_{t}_opc01_undef", inst(enc_movewide(sf, 1, 0, 0x1234, 3))))
    out.append(case("mov_w_neg", "mov w9, #-2", x9=0xFFFFFFFFFFFFFFFF))
    out.append(case("mov_x_neg", "mov x9, #-0x10000"))
    return out


def cases():
    return (adr_cases() + addsub_imm_cases() + logical_imm_cases() + movewide_cases()
            + random_cases(FORMS_IMM, seed=0x1D1, per_form=45))
