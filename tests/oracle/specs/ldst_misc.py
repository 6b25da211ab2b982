"""Loads/stores: unallocated encodings of the class, multi-instruction round trips,
unaligned sp bases, and writeback sequences."""

import random

from oracle import case, rand_u64


def enc(fields):
    """Assemble an encoding from (value, width) fields, most significant first."""
    w = 0
    n = 0
    for v, bits in fields:
        assert 0 <= v < (1 << bits)
        w = (w << bits) | v
        n += bits
    assert n == 32
    return w


def single_imm9(size, v, opc, mode, imm9=0, rn=1, rt=0):
    return enc([(size, 2), (0b111, 3), (v, 1), (0, 2), (opc, 2), (0, 1), (imm9, 9), (mode, 2), (rn, 5), (rt, 5)])


def uimm(size, v, opc, imm12=0, rn=1, rt=0):
    return enc([(size, 2), (0b111, 3), (v, 1), (1, 2), (opc, 2), (imm12, 12), (rn, 5), (rt, 5)])


def regoff(size, v, opc, option, s=0, rm=2, rn=1, rt=0):
    return enc([(size, 2), (0b111, 3), (v, 1), (0, 2), (opc, 2), (1, 1), (rm, 5), (option, 3), (s, 1),
                (0b10, 2), (rn, 5), (rt, 5)])


def literal(opc, v, imm19=0x100, rt=0):
    return enc([(opc, 2), (0b011, 3), (v, 1), (0, 2), (imm19, 19), (rt, 5)])


def pair(opc, v, mode, l, imm7=0, rt2=2, rn=1, rt=0):
    return enc([(opc, 2), (0b101, 3), (v, 1), (0, 1), (mode, 2), (l, 1), (imm7, 7), (rt2, 5), (rn, 5), (rt, 5)])


UNALLOCATED = []
# unscaled/post/unpriv/pre: size=10 opc=11 and size=11 opc=11 (general registers)
for mode in range(4):
    UNALLOCATED.append((f"w_opc11_m{mode}", single_imm9(0b10, 0, 0b11, mode)))
    UNALLOCATED.append((f"x_opc11_m{mode}", single_imm9(0b11, 0, 0b11, mode)))
# size=11 opc=10 (PRFM) has no pre/post/unprivileged form
for mode in (0b01, 0b10, 0b11):
    UNALLOCATED.append((f"prfm_m{mode}", single_imm9(0b11, 0, 0b10, mode)))
# SIMD&FP: no unprivileged forms; opc=1x only for size=00 (q)
for size in range(4):
    for opc in range(4):
        UNALLOCATED.append((f"fp_unpriv_s{size}o{opc}", single_imm9(size, 1, opc, 0b10)))
for size in (1, 2, 3):
    for opc in (2, 3):
        UNALLOCATED.append((f"fp_uimm_s{size}o{opc}", uimm(size, 1, opc)))
        UNALLOCATED.append((f"fp_pre_s{size}o{opc}", single_imm9(size, 1, opc, 0b11)))
        UNALLOCATED.append((f"fp_reg_s{size}o{opc}", regoff(size, 1, opc, 0b011)))
UNALLOCATED.append(("w_uimm_opc11", uimm(0b10, 0, 0b11)))
UNALLOCATED.append(("x_uimm_opc11", uimm(0b11, 0, 0b11)))
UNALLOCATED.append(("x_reg_opc11", regoff(0b11, 0, 0b11, 0b011)))
# register offset with option<1> = 0 (UXTB, UXTH, SXTB, SXTH)
for option in (0b000, 0b001, 0b100, 0b101):
    UNALLOCATED.append((f"reg_x_opt{option}", regoff(0b11, 0, 0b01, option)))
    UNALLOCATED.append((f"reg_b_opt{option}", regoff(0b00, 0, 0b01, option, s=1)))
    UNALLOCATED.append((f"reg_q_opt{option}", regoff(0b00, 1, 0b11, option)))
    UNALLOCATED.append((f"reg_prfm_opt{option}", regoff(0b11, 0, 0b10, option)))
# literal: opc=11 V=1
UNALLOCATED.append(("lit_v_opc11", literal(0b11, 1)))
# pairs: opc=11 (both banks), LDNP/STNP with opc=01 V=0 (LDPSW has no
# non-temporal form)
for mode in range(4):
    for l in (0, 1):
        UNALLOCATED.append((f"pair_opc11_m{mode}_l{l}", pair(0b11, 0, mode, l)))
        UNALLOCATED.append((f"pair_v_opc11_m{mode}_l{l}", pair(0b11, 1, mode, l)))
UNALLOCATED.append(("ldnp_opc01", pair(0b01, 0, 0b00, 1)))
UNALLOCATED.append(("stnp_opc01", pair(0b01, 0, 0b00, 0)))


def cases():
    rng = random.Random(0x1d5e)
    out = []
    for name, word in UNALLOCATED:
        out.append(case(f"undef_{name}", f".inst {word:#010x}", x1=0x10000, x2=8))
    # push / pop round trips through sp
    for i in range(8):
        a, b, c = rand_u64(rng), rand_u64(rng), rand_u64(rng)
        out.append(case(f"push_pop_{i}",
                        "stp x1, x2, [sp, #-16]!; str x3, [sp, #-8]!; ldr x6, [sp], #8; ldp x4, x5, [sp], #16",
                        x1=a, x2=b, x3=c))
        out.append(case(f"store_load_mixed_{i}",
                        "strh w1, [x9, #1]; strb w2, [x9, #3]; str w3, [x9, #5]!; ldur x4, [x9, #-5];"
                        " ldrsw x5, [x9], #-3; ldrsh w6, [x9, #-1]",
                        x1=a, x2=b, x3=c, x9=0x11000 + rng.randrange(0, 0x1000)))
        q1, q2 = rng.getrandbits(128), rng.getrandbits(128)
        out.append(case(f"fp_round_trip_{i}",
                        "stp q1, q2, [x9, #-32]!; ldr d3, [x9, #8]; ldur s4, [x9, #3]; ldr h5, [x9, #30];"
                        " ldr b6, [x9, #31]; ldp d7, d8, [x9, #16]; ldr q9, [x9, #1]",
                        v={1: q1, 2: q2}, x9=0x12000 + rng.randrange(0, 0x1000)))
    # unaligned sp as the base (SP alignment checking: the oracle does none)
    for off in (1, 2, 4, 8, 12):
        out.append(case(f"sp_unaligned_ldr_{off}", "ldr x0, [sp]; ldp w1, w2, [sp, #8]",
                        sp=0x18000 + off))
        out.append(case(f"sp_unaligned_str_{off}", "str x3, [sp, #-16]!; stp w4, w5, [sp, #4]",
                        sp=0x18000 + off, x3=rand_u64(rng), x4=rand_u64(rng), x5=rand_u64(rng)))
    # a chain of post-indexed loads walking a table
    out.append(case("walk_post", "ldrb w1, [x0], #1; ldrh w2, [x0], #2; ldr w3, [x0], #4; ldr x4, [x0], #8;"
                    " ldr q5, [x0], #16; ldrsb x6, [x0], #-31; ldrsh x7, [x0, #-1]!", x0=0x1FFE0))
    return out
