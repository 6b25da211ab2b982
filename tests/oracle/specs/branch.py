"""Branches and exception generation: B, BL, B.cond (all 16 conditions), CBZ/CBNZ,
TBZ/TBNZ, BR/BLR/RET, SVC, HVC, BRK, and unallocated branch encodings.

The snippet starts at 0x1000, so register targets are absolute addresses there."""

import random

from oracle import case, rand_u64, rand_nzcv, CODE_ADDR

CONDS = ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc",
         "hi", "ls", "ge", "lt", "gt", "le", "al", "nv"]


def cases():
    rng = random.Random(0xB4A9C4)
    out = []
    # B.cond: every condition with every flag combination, forward and backward.
    for ci, c in enumerate(CONDS):
        for f in range(16):
            out.append(case(f"bcond_{c}_{f:x}", f"b.{c} 1f; mov x0, #1; 1: mov x1, #2", nzcv=f << 28))
        for i in range(4):
            out.append(case(f"bcond_back_{c}_{i}",
                            f"mov x2, #3; b 2f; 1: add x2, x2, #1; b 3f; 2: b.{c} 1b; mov x3, #7; 3: nop",
                            nzcv=rand_nzcv(rng)))
    # Conditions after a flag-setting compare (random operands and flags).
    for i in range(40):
        c = rng.choice(CONDS)
        out.append(case(f"bcond_subs_{i}", f"subs x4, x5, #{rng.randrange(4096)}; b.{c} 1f; mov x0, #1; 1: nop",
                        x5=rand_u64(rng), nzcv=rand_nzcv(rng)))
    # B / BL with several offsets; BL links the next instruction.
    out.append(case("b_fwd", "b 1f; mov x0, #1; mov x1, #1; 1: mov x2, #2"))
    out.append(case("b_back_loop", "mov x0, #0; mov x1, #5; 1: add x0, x0, #2; subs x1, x1, #1; b.ne 1b; b 2f; 2: nop"))
    out.append(case("bl_link", "bl 1f; mov x0, #1; b 2f; 1: mov x1, #2; ret; 2: nop"))
    out.append(case("bl_back", "b 2f; 1: mov x1, #9; ret; 2: bl 1b; mov x2, #3"))
    out.append(case("b_far", "b 1f; " + "mov x0, #1; " * 300 + "1: mov x3, #3"))
    # CBZ / CBNZ, W and X: W tests only the low 32 bits.
    edge = [0, 1, 0x100000000, 0xFFFFFFFF00000000, 0x80000000, 0xFFFFFFFFFFFFFFFF]
    for op in ["cbz", "cbnz"]:
        for reg in ["w", "x"]:
            vals = edge + [rand_u64(rng) if rng.random() < 0.7 else rng.choice(edge) for _ in range(34)]
            for i, v in enumerate(vals):
                r = rng.randrange(0, 30)
                out.append(case(f"{op}_{reg}_{i}", f"{op} {reg}{r}, 1f; mov x30, #1; 1: nop", **{f"x{r}": v},
                                nzcv=rand_nzcv(rng)))
        out.append(case(f"{op}_zr", f"{op} xzr, 1f; mov x0, #1; 1: nop"))
        out.append(case(f"{op}_back", f"b 2f; 1: mov x1, #1; b 3f; 2: {op} x5, 1b; mov x2, #2; 3: nop",
                        x5=rng.choice([0, 7])))
    # TBZ / TBNZ on every bit number (W form for bits 0..31).
    for op in ["tbz", "tbnz"]:
        for b in range(64):
            reg = "w" if b < 32 and rng.random() < 0.5 else "x"
            r = rng.randrange(0, 30)
            v = rand_u64(rng) ^ (rng.randrange(2) << b)
            out.append(case(f"{op}_{b}", f"{op} {reg}{r}, #{b}, 1f; mov x30, #1; 1: nop", **{f"x{r}": v}))
        for i in range(30):
            b = rng.randrange(64)
            r = rng.randrange(0, 30)
            out.append(case(f"{op}_rand_{i}", f"{op} x{r}, #{b}, 1f; mov x30, #1; 1: nop",
                            **{f"x{r}": rand_u64(rng)}))
        out.append(case(f"{op}_back", f"b 2f; 1: mov x1, #1; b 3f; 2: {op} x5, #63, 1b; mov x2, #2; 3: nop",
                        x5=rng.choice([0, 1 << 63])))
    # BR / BLR / RET to absolute targets in the snippet.
    #   0x1000: <op>; 0x1004: b 2f; 0x1008: mov x3,#5; 0x100c: ret; 0x1010: 2: mov x4,#6
    for i in range(36):
        r = rng.randrange(0, 31)
        op = ["br", "blr", "ret"][i % 3]
        tgt = CODE_ADDR + 8
        regs = {f"x{r}": tgt}
        if op != "blr":
            # No link: a ret at 0x100c would go to a random x30; land before the end instead.
            out.append(case(f"{op}_{i}", f"{op} x{r}; mov x0, #1; mov x3, #5; mov x4, #6", **regs))
        else:
            out.append(case(f"{op}_{i}", f"{op} x{r}; b 2f; mov x3, #5; ret; 2: mov x4, #6", **regs))
    out.append(case("blr_x30", "blr x30; b 2f; mov x3, #5; ret; 2: mov x4, #6", x30=CODE_ADDR + 8))
    out.append(case("ret_default", "ret; mov x0, #1; mov x1, #1", x30=CODE_ADDR + 8))
    out.append(case("ret_xzr", "ret xzr"))
    out.append(case("br_xzr", "br xzr"))
    # Exception generation.
    for imm in [0, 1, 0x80, 0xFFFF]:
        out.append(case(f"svc_{imm:x}", f"mov x8, #93; svc #{imm}; mov x0, #1"))
        out.append(case(f"brk_{imm:x}", f"mov x0, #1; brk #{imm}; mov x1, #1"))
        out.append(case(f"hvc_{imm:x}", f"hvc #{imm}"))
    out.append(case("dcps1", "dcps1"))
    out.append(case("dcps2", "dcps2"))
    out.append(case("dcps3", "dcps3"))
    # Unallocated branch-register / exception encodings.
    for w in [0xD6BF03E0, 0xD65F03C1, 0xD63F0001, 0xD61F0021, 0xD6FF03E0, 0xD4000004, 0xD4200001,
              0xD4400008, 0xD4A00004]:
        out.append(case(f"unalloc_{w:08x}", f".inst {w:#x}"))
    return out
