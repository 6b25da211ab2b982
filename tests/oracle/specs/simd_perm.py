"""Advanced SIMD copy (DUP, INS, UMOV, SMOV, scalar DUP/MOV), permute (ZIP, UZP,
TRN), extract (EXT) and table lookup (TBL, TBX): every arrangement, hand-picked
and random cases, and the reserved / unallocated encodings of these groups."""

import random

from oracle import case, rand_u64

VEC = {  # arrangement -> (size, q)
    "8b": (0, 0), "16b": (0, 1), "4h": (1, 0), "8h": (1, 1),
    "2s": (2, 0), "4s": (2, 1), "1d": (3, 0), "2d": (3, 1),
}
ELEM = "bhsd"
EDGE_BYTES = [0x00, 0x01, 0x7F, 0x80, 0xFF, 0xFE]


def rand_v(rng):
    r = rng.random()
    if r < 0.6:
        return rng.getrandbits(128)
    if r < 0.8:
        return int.from_bytes(bytes(rng.choice(EDGE_BYTES) for _ in range(16)), "little")
    return rng.getrandbits(64) << rng.choice([0, 64])


def rand_regs(rng, k):
    return [rng.randrange(32) for _ in range(k)]


def vinit(rng, regs):
    return {r: rand_v(rng) for r in regs}


def copy_cases(rng):
    out = []
    # DUP (element), vector.
    for arr, (size, q) in VEC.items():
        if arr == "1d":
            continue
        n_idx = 16 >> size
        e = ELEM[size]
        for idx in (0, n_idx - 1):
            out.append(case(f"dup_elem_{arr}_{idx}", f"dup v0.{arr}, v1.{e}[{idx}]", v={1: rand_v(rng), 0: rand_v(rng)}))
        for k in range(6):
            d, n = rand_regs(rng, 2)
            idx = rng.randrange(n_idx)
            out.append(case(f"dup_elem_{arr}_r{k}", f"dup v{d}.{arr}, v{n}.{e}[{idx}]", v=vinit(rng, [d, n])))
    # DUP (element, scalar) and its MOV alias.
    for size in range(4):
        e = ELEM[size]
        n_idx = 16 >> size
        out.append(case(f"dup_scalar_{e}_max", f"mov {e}0, v1.{e}[{n_idx - 1}]", v={0: rand_v(rng), 1: rand_v(rng)}))
        for k in range(6):
            d, n = rand_regs(rng, 2)
            idx = rng.randrange(n_idx)
            out.append(case(f"dup_scalar_{e}_r{k}", f"dup {e}{d}, v{n}.{e}[{idx}]", v=vinit(rng, [d, n])))
    # DUP (general), including the zero register.
    for arr, (size, q) in VEC.items():
        if arr == "1d":
            continue
        r = "x" if size == 3 else "w"
        out.append(case(f"dup_gen_{arr}_zr", f"dup v0.{arr}, {r}zr", v={0: rand_v(rng)}))
        for k in range(6):
            d = rng.randrange(32)
            n = rng.randrange(31)
            out.append(case(f"dup_gen_{arr}_r{k}", f"dup v{d}.{arr}, {r}{n}", v=vinit(rng, [d]), **{f"x{n}": rand_u64(rng)}))
    # INS (general) / MOV v.T[i], Wn/Xn.
    for size in range(4):
        e = ELEM[size]
        r = "x" if size == 3 else "w"
        n_idx = 16 >> size
        out.append(case(f"ins_gen_{e}_zr", f"mov v3.{e}[{n_idx - 1}], {r}zr", v={3: rand_v(rng)}))
        for k in range(8):
            d = rng.randrange(32)
            n = rng.randrange(31)
            idx = rng.randrange(n_idx)
            out.append(case(f"ins_gen_{e}_r{k}", f"ins v{d}.{e}[{idx}], {r}{n}", v=vinit(rng, [d]), **{f"x{n}": rand_u64(rng)}))
    # INS (element) / MOV v.T[i], v.T[j].
    for size in range(4):
        e = ELEM[size]
        n_idx = 16 >> size
        out.append(case(f"ins_elem_{e}_ends", f"mov v2.{e}[0], v5.{e}[{n_idx - 1}]", v={2: rand_v(rng), 5: rand_v(rng)}))
        for k in range(8):
            d, n = rand_regs(rng, 2)
            i1, i2 = rng.randrange(n_idx), rng.randrange(n_idx)
            out.append(case(f"ins_elem_{e}_r{k}", f"mov v{d}.{e}[{i1}], v{n}.{e}[{i2}]", v=vinit(rng, [d, n])))
    # UMOV / MOV (to general).
    for dst, size in (("w", 0), ("w", 1), ("w", 2), ("x", 3)):
        e = ELEM[size]
        n_idx = 16 >> size
        mn = "mov" if size >= 2 else "umov"
        out.append(case(f"umov_{dst}_{e}_max", f"{mn} {dst}4, v7.{e}[{n_idx - 1}]", v={7: (1 << 128) - 1 - rng.getrandbits(8)}))
        for k in range(8):
            d = rng.randrange(31)
            n = rng.randrange(32)
            idx = rng.randrange(n_idx)
            out.append(case(f"umov_{dst}_{e}_r{k}", f"umov {dst}{d}, v{n}.{e}[{idx}]", v=vinit(rng, [n])))
    # SMOV to W (B, H) and X (B, H, S).
    for dst, size in (("w", 0), ("w", 1), ("x", 0), ("x", 1), ("x", 2)):
        e = ELEM[size]
        n_idx = 16 >> size
        neg = int.from_bytes(bytes([0x80 | rng.randrange(128)] * 16), "little")
        out.append(case(f"smov_{dst}_{e}_neg", f"smov {dst}1, v9.{e}[{n_idx - 1}]", v={9: neg}))
        for k in range(8):
            d = rng.randrange(31)
            n = rng.randrange(32)
            idx = rng.randrange(n_idx)
            out.append(case(f"smov_{dst}_{e}_r{k}", f"smov {dst}{d}, v{n}.{e}[{idx}]", v=vinit(rng, [n])))
    # Writes to the zero register (rd = 31) discard the value.
    out.append(case("umov_wzr", ".inst 0x0e073c3f"))   # umov wzr, v1.b[3]
    out.append(case("smov_xzr", ".inst 0x4e1c2c3f"))   # smov xzr, v1.s[3]
    # Reserved / unallocated encodings of the copy group.
    for name, word in [
        ("dup_elem_1d", 0x0E080420), ("dup_elem_imm5_0", 0x4E000420), ("dup_gen_1d", 0x0E080C20),
        ("dup_gen_imm5_0", 0x4E000C20), ("smov_w_s", 0x0E042C20), ("smov_x_d", 0x4E082C20),
        ("umov_x_b", 0x4E013C20), ("umov_w_d", 0x0E083C20), ("ins_gen_imm5_0", 0x4E001C20),
        ("ins_gen_q0", 0x0E011C20), ("ins_elem_imm5_0", 0x6E000420), ("ins_elem_q0", 0x2E010420),
        ("copy_imm4_0010", 0x0E011420), ("copy_imm4_0100", 0x0E012420), ("copy_imm4_1000", 0x0E014420),
        ("dup_scalar_imm5_0", 0x5E000420), ("scalar_copy_imm4_0001", 0x5E010C20),
        ("scalar_copy_op1", 0x7E010420),
    ]:
        out.append(case(f"undef_{name}", f".inst {word:#010x}"))
    return out


def permute_cases(rng):
    out = []
    for op in ("uzp1", "uzp2", "trn1", "trn2", "zip1", "zip2"):
        for arr in VEC:
            if arr == "1d":
                continue
            out.append(case(f"{op}_{arr}_fixed", f"{op} v0.{arr}, v1.{arr}, v2.{arr}",
                            v={0: rand_v(rng), 1: 0x0F0E0D0C0B0A09080706050403020100,
                               2: 0x1F1E1D1C1B1A19181716151413121110}))
            for k in range(4):
                d, n, m = rand_regs(rng, 3)
                out.append(case(f"{op}_{arr}_r{k}", f"{op} v{d}.{arr}, v{n}.{arr}, v{m}.{arr}", v=vinit(rng, [d, n, m])))
    for name, word in [
        ("uzp1_1d", 0x0EC21820), ("trn2_1d", 0x0EC26820), ("zip1_1d", 0x0EC23820),
        ("perm_opc_000", 0x0E020820), ("perm_opc_100", 0x4E024820),
    ]:
        out.append(case(f"undef_{name}", f".inst {word:#010x}"))
    return out


def ext_cases(rng):
    out = []
    for arr, nb in (("8b", 8), ("16b", 16)):
        for imm in range(nb):
            out.append(case(f"ext_{arr}_{imm}", f"ext v0.{arr}, v1.{arr}, v2.{arr}, #{imm}",
                            v={0: rand_v(rng), 1: 0x0F0E0D0C0B0A09080706050403020100,
                               2: 0x1F1E1D1C1B1A19181716151413121110}))
        for k in range(12):
            d, n, m = rand_regs(rng, 3)
            imm = rng.randrange(nb)
            out.append(case(f"ext_{arr}_r{k}", f"ext v{d}.{arr}, v{n}.{arr}, v{m}.{arr}, #{imm}", v=vinit(rng, [d, n, m])))
    for imm in (8, 15):
        out.append(case(f"undef_ext_8b_imm{imm}", f".inst {0x2E020020 | (imm << 11):#010x}"))
    out.append(case("undef_ext_op2_01", ".inst 0x6E420020"))
    return out


def tbl_indices(rng, nregs, nbytes):
    lim = 16 * nregs
    b = []
    for _ in range(16):
        r = rng.random()
        if r < 0.7:
            b.append(rng.randrange(lim))
        elif r < 0.85:
            b.append(rng.randrange(lim, min(256, lim + 16)))
        else:
            b.append(rng.choice([0xFF, 0x80, 0x40, lim, lim - 1]))
    return int.from_bytes(bytes(b), "little")


def tbl_cases(rng):
    out = []
    for op in ("tbl", "tbx"):
        for arr in ("8b", "16b"):
            for nregs in (1, 2, 3, 4):
                # Hand-picked: table v1.., every index in range and a few out.
                lst = ", ".join(f"v{1 + i}.16b" for i in range(nregs))
                idx = bytes([0, 15, 16 * nregs - 1, 16 * nregs, 0xFF, 17 % (16 * nregs), 33 % (16 * nregs), 49 % (16 * nregs),
                             5, 0x80, 16 * nregs + 1, 3, 63 % (16 * nregs), 31 % (16 * nregs), 1, 0x10])
                v = {0: rand_v(rng), 9: int.from_bytes(idx, "little")}
                for i in range(nregs):
                    v[1 + i] = rand_v(rng)
                out.append(case(f"{op}_{arr}_{nregs}_fixed", f"{op} v0.{arr}, {{{lst}}}, v9.{arr}", v=v))
                # Register list wrapping past v31.
                first = 32 - rng.randrange(1, nregs + 1) if nregs > 1 else 31
                regs = [(first + i) % 32 for i in range(nregs)]
                lst = ", ".join(f"v{r}.16b" for r in regs)
                v = {r: rand_v(rng) for r in regs}
                v[5] = tbl_indices(rng, nregs, 16)
                v[4] = rand_v(rng)
                out.append(case(f"{op}_{arr}_{nregs}_wrap", f"{op} v4.{arr}, {{{lst}}}, v5.{arr}", v=v))
                for k in range(6):
                    d, n, m = rand_regs(rng, 3)
                    regs = [(n + i) % 32 for i in range(nregs)]
                    lst = ", ".join(f"v{r}.16b" for r in regs)
                    v = {r: rand_v(rng) for r in regs + [d]}
                    v[m] = tbl_indices(rng, nregs, 16)
                    out.append(case(f"{op}_{arr}_{nregs}_r{k}", f"{op} v{d}.{arr}, {{{lst}}}, v{m}.{arr}", v=v))
    out.append(case("undef_tbl_op2_01", ".inst 0x4E420020"))
    return out


def cases():
    rng = random.Random(0x51_3D_9E_12)
    return copy_cases(rng) + permute_cases(rng) + ext_cases(rng) + tbl_cases(rng)
