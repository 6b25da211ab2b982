"""Exclusives (LDXR/STXR, LDAXR/STLXR, LDXP/STXP, LDAXP/STLXP at every size), the
monitor's failure cases (CLREX, no reservation, other address, size mismatch,
second STXR), ordered accesses (LDAR/STLR, LDLAR/STLLR, LDAPR) and the RCpc
unscaled forms (LDAPUR*, LDAPURS*, STLUR*), alignment faults.

Every LDXR and its STXR stay in one snippet. Unicorn's monitor compares values,
kvrm's compares (address, size): only cases where both must agree are here
(mismatched sizes use memory whose extra bytes are non-zero). Left to unit tests
in exec/atomics/tests.rs: a STXR narrower than its LDXR/LDXP (Unicorn stores the
data but reports failure; kvrm fails and stores nothing), an unaligned STXR
without a reservation (Unicorn does not fault) and unaligned LDAR/STLR/LDAPR/
LDAPUR (Unicorn does not fault; without FEAT_LSE2 they must)."""

import random

from oracle import case, rand_u64, rand_nzcv, DATA_ADDR

SIZES = [(1, "b", "w"), (2, "h", "w"), (4, "", "w"), (8, "", "x")]


def place(rng, size):
    return DATA_ADDR + rng.randrange(0, 0x10000 // size) * size


def nonzero_bytes(rng, n):
    return bytes(rng.randrange(1, 256) for _ in range(n))


def cases():
    rng = random.Random(0xE8C1)
    out = []
    for size, suf, wr in SIZES:
        for i in range(36):
            t, s, n = rng.sample(range(31), 3)
            addr = place(rng, size)
            ld = rng.choice(["ldxr", "ldaxr"]) + suf
            st = rng.choice(["stxr", "stlxr"]) + suf
            imm = rng.randrange(4096)
            out.append(case(f"excl_ok_{size}_{i}",
                            f"{ld} {wr}{t}, [x{n}]; add {wr}{t}, {wr}{t}, #{imm}; {st} w{s}, {wr}{t}, [x{n}]",
                            mem={addr: nonzero_bytes(rng, 8)}, **{f"x{n}": addr, f"x{s}": rand_u64(rng)},
                            nzcv=rand_nzcv(rng)))
        for i in range(8):
            t, s, n, u = rng.sample(range(31), 4)
            addr = place(rng, size)
            regs = {f"x{n}": addr, f"x{s}": rand_u64(rng), f"x{t}": rand_u64(rng)}
            mem = {addr: nonzero_bytes(rng, 16)}
            # CLREX between: the store fails, status 1, memory unchanged.
            out.append(case(f"excl_clrex_{size}_{i}",
                            f"ldxr{suf} {wr}{u}, [x{n}]; clrex; stxr{suf} w{s}, {wr}{t}, [x{n}]", mem=mem, **regs))
            # No reservation at all.
            out.append(case(f"excl_none_{size}_{i}", f"stlxr{suf} w{s}, {wr}{t}, [x{n}]", mem=mem, **regs))
            # Reservation on another address.
            out.append(case(f"excl_other_{size}_{i}",
                            f"ldaxr{suf} {wr}{u}, [x{n}]; add x{n}, x{n}, #{size * rng.randrange(1, 8)}; "
                            f"stxr{suf} w{s}, {wr}{t}, [x{n}]", mem=mem, **regs))
            # A second store after a successful one fails.
            out.append(case(f"excl_twice_{size}_{i}",
                            f"ldxr{suf} {wr}{u}, [x{n}]; stxr{suf} w{s}, {wr}{t}, [x{n}]; "
                            f"stxr{suf} w{u}, {wr}{u}, [x{n}]", mem=mem, **regs))
            # A later LDXR moves the reservation.
            out.append(case(f"excl_moved_{size}_{i}",
                            f"ldxr{suf} {wr}{u}, [x{n}]; add x{t}, x{n}, #{size * 4}; ldxr{suf} {wr}{u}, [x{t}]; "
                            f"stxr{suf} w{s}, {wr}{u}, [x{n}]", mem=mem, **regs))
        # Size mismatch between LDXR and STXR on one address (extra bytes non-zero).
        for size2, suf2, wr2 in SIZES:
            if size2 <= size:
                # A narrower STXR than the reservation: Unicorn stores the data yet reports
                # failure (status 1); kvrm fails without storing. Unit tests cover it.
                continue
            big = max(size, size2)
            for i in range(2):
                addr = place(rng, big)
                out.append(case(f"excl_size_{size}_{size2}_{i}",
                                f"ldxr{suf} {wr}2, [x1]; stxr{suf2} w3, {wr2}4, [x1]",
                                mem={addr: nonzero_bytes(rng, 16)}, x1=addr, x3=rand_u64(rng), x4=rand_u64(rng)))
    # Retry loop.
    out.append(case("excl_loop", "1: ldaxr x0, [x1]; add x0, x0, #1; stlxr w2, x0, [x1]; cbnz w2, 1b",
                    x1=DATA_ADDR + 0x40))
    out.append(case("excl_sp", "ldxr x0, [sp]; add x0, x0, #1; stxr w2, x0, [sp]", sp=DATA_ADDR + 0x80))
    # Pairs.
    for wr, esize in [("w", 4), ("x", 8)]:
        for i in range(36):
            t, t2, s, n = rng.sample(range(31), 4)
            addr = place(rng, 2 * esize)
            ld = rng.choice(["ldxp", "ldaxp"])
            st = rng.choice(["stxp", "stlxp"])
            out.append(case(f"exclp_ok_{wr}_{i}",
                            f"{ld} {wr}{t}, {wr}{t2}, [x{n}]; add {wr}{t}, {wr}{t}, #1; "
                            f"{st} w{s}, {wr}{t2}, {wr}{t}, [x{n}]",
                            mem={addr: nonzero_bytes(rng, 16)}, **{f"x{n}": addr, f"x{s}": rand_u64(rng)}))
        for i in range(6):
            t, t2, s, n = rng.sample(range(31), 4)
            addr = place(rng, 2 * esize)
            regs = {f"x{n}": addr, f"x{s}": rand_u64(rng), f"x{t}": rand_u64(rng), f"x{t2}": rand_u64(rng)}
            mem = {addr: nonzero_bytes(rng, 16)}
            out.append(case(f"exclp_clrex_{wr}_{i}",
                            f"ldxp {wr}{t}, {wr}{t2}, [x{n}]; clrex; stxp w{s}, {wr}{t}, {wr}{t2}, [x{n}]",
                            mem=mem, **regs))
            out.append(case(f"exclp_none_{wr}_{i}", f"stxp w{s}, {wr}{t}, {wr}{t2}, [x{n}]", mem=mem, **regs))
            out.append(case(f"exclp_other_{wr}_{i}",
                            f"ldxp {wr}{t}, {wr}{t2}, [x{n}]; add x{n}, x{n}, #{2 * esize}; "
                            f"stxp w{s}, {wr}{t}, {wr}{t2}, [x{n}]", mem=mem, **regs))
    # LDXP/STXP size mismatch (FIDELITY): LDXR W (4 bytes) then STXP W (8 bytes) fails.
    # LDXP W then STXR X: same address and size (8): succeeds. (LDXP W then STXR W: see
    # the unit tests, Unicorn stores and reports failure.)
    for i in range(4):
        addr = place(rng, 8)
        mem = {addr: nonzero_bytes(rng, 16)}
        out.append(case(f"exclp_mismatch_ldxr_stxp_{i}", "ldxr w2, [x1]; stxp w3, w4, w5, [x1]",
                        mem=mem, x1=addr, x3=7))
        out.append(case(f"exclp_ldxpw_stxrx_{i}", "ldxp w2, w6, [x1]; stxr w3, x4, [x1]",
                        mem=mem, x1=addr, x3=7))
    # Unaligned exclusives: alignment fault.
    for size, suf, wr in SIZES[1:]:
        out.append(case(f"ldxr_unaligned_{size}", f"ldxr{suf} {wr}0, [x1]", x1=DATA_ADDR + size // 2))
        out.append(case(f"ldaxr_unaligned_{size}", f"ldaxr{suf} {wr}0, [x1]", x1=DATA_ADDR + 1))
    out.append(case("ldxp_w_unaligned", "ldxp w0, w2, [x1]", x1=DATA_ADDR + 4))
    out.append(case("ldxp_x_unaligned", "ldaxp x0, x2, [x1]", x1=DATA_ADDR + 8))
    out.append(case("ldxr_unmapped", "ldxr x0, [x1]", x1=0x100000))
    # Ordered loads and stores.
    for size, suf, wr in SIZES:
        for mn in ["ldar", "ldlar", "ldapr", "stlr", "stllr"]:
            for i in range(30):
                t, n = rng.sample(range(31), 2)
                addr = place(rng, size)
                out.append(case(f"{mn}{suf}_{size}_{i}", f"{mn}{suf} {wr}{t}, [x{n}]",
                                mem={addr: rng.randbytes(8)}, **{f"x{n}": addr, f"x{t}": rand_u64(rng)}))
        out.append(case(f"ldar{suf}_sp_{size}", f"ldar{suf} {wr}3, [sp]", sp=DATA_ADDR + 0x310))
        out.append(case(f"stlr{suf}_sp_{size}", f"stlr{suf} {wr}3, [sp]", sp=DATA_ADDR + 0x310))
        out.append(case(f"stlr{suf}_zr_{size}", f"stlr{suf} {wr}zr, [x1]", x1=DATA_ADDR + 0x318))
    # RCpc unscaled: STLUR*, LDAPUR*, LDAPURS* (aligned effective addresses).
    forms = []
    for size, suf, wr in SIZES:
        forms.append((f"stlur{suf}", wr, size))
        forms.append((f"ldapur{suf}", wr, size))
    forms += [("ldapursb", "w", 1), ("ldapursb", "x", 1), ("ldapursh", "w", 2), ("ldapursh", "x", 2),
              ("ldapursw", "x", 4)]
    for mn, wr, size in forms:
        for i in range(30):
            t, n = rng.sample(range(31), 2)
            off = rng.randrange(-256 // size, 256 // size) * size
            addr = place(rng, size)
            if addr - off < DATA_ADDR or addr - off >= DATA_ADDR + 0x10000:
                off = 0
            out.append(case(f"{mn}_{wr}_{i}", f"{mn} {wr}{t}, [x{n}, #{off}]",
                            mem={addr: rng.randbytes(8)}, **{f"x{n}": addr - off, f"x{t}": rand_u64(rng)}))
    # Unallocated RCpc unscaled opc/size combinations (LDAPURS* to a too-narrow register).
    for w in [0xD9800020, 0xD9C00020, 0x99C00020]:
        out.append(case(f"rcpc_unalloc_{w:08x}", f".inst {w:#x}", x1=DATA_ADDR))
    return out
