"""Hints, barriers, CLREX, PSTATE flag instructions (CFINV, XAFLAG, AXFLAG, RMIF,
SETF8/16), MRS/MSR of the EL0 registers the oracle can agree on, DC ZVA and
the EL0 cache maintenance instructions.

Left out (the oracle runs at EL1 or models them differently; see unit tests in
crates/kvrm-cpu/src/exec/branch_sys/tests.rs): WFI (Unicorn stops), HLT
(Unicorn: undefined), SMC, MSR DAIF*/SPSel, EL1 system registers, CNTFRQ_EL0,
CTR_EL0, counters and ID registers."""

import random

from oracle import case, rand_u64, rand_nzcv, DATA_ADDR

WFI = (0b0000, 0b011)


def cases():
    rng = random.Random(0x5157E4)
    out = []
    # Every hint-space encoding except WFI executes as NOP.
    for crm in range(16):
        for op2 in range(8):
            if (crm, op2) == WFI:
                continue
            w = 0xD503201F | (crm << 8) | (op2 << 5)
            out.append(case(f"hint_{crm:x}_{op2}", f".inst {w:#x}; mov x0, #1", nzcv=rand_nzcv(rng)))
    for name in ["nop", "yield", "wfe", "sev", "sevl", "esb", "psb csync", "csdb", "bti", "bti c", "bti j",
                 "bti jc", "paciasp", "autiasp", "pacibsp", "autibsp", "xpaclri"]:
        out.append(case(f"hint_{name.replace(' ', '_')}", f"{name}; mov x1, #2", x30=0x1234))
    # Hint space with Rt != 31 is unallocated.
    for rt in [0, 1, 30]:
        out.append(case(f"hint_rt{rt}", f".inst {0xD5032000 | rt:#x}"))
    # Barriers with every CRm, CLREX with every CRm, SB.
    for crm in range(16):
        for op2, nm in [(2, "clrex"), (4, "dsb"), (5, "dmb"), (6, "isb")]:
            w = 0xD503301F | (crm << 8) | (op2 << 5)
            out.append(case(f"{nm}_{crm:x}", f".inst {w:#x}; mov x0, #1"))
    out.append(case("sb", "sb; mov x0, #1"))
    for name in ["dmb ish", "dmb ishld", "dsb sy", "dsb ishst", "isb", "ssbb", "pssbb", "clrex", "clrex #3"]:
        out.append(case(f"barrier_{name.replace(' ', '_').replace('#', '')}", f"{name}; mov x0, #1"))
    # Unallocated barrier-space encodings (op2 000, 001 (incl. DSB nXS), 011, SB with CRm != 0).
    for crm in [0, 2, 5, 15]:
        for op2 in [0, 1, 3]:
            w = 0xD503301F | (crm << 8) | (op2 << 5)
            out.append(case(f"barrier_unalloc_{crm:x}_{op2}", f".inst {w:#x}"))
    out.append(case("sb_crm1", ".inst 0xd50331ff"))
    # PSTATE flag manipulation on every flag combination.
    for f in range(16):
        for nm in ["cfinv", "xaflag", "axflag"]:
            out.append(case(f"{nm}_{f:x}", nm, nzcv=f << 28))
    for i in range(48):
        r = rng.randrange(31)
        sh, mask = rng.randrange(64), rng.randrange(16)
        out.append(case(f"rmif_{i}", f"rmif x{r}, #{sh}, #{mask}", nzcv=rand_nzcv(rng), **{f"x{r}": rand_u64(rng)}))
    for nm in ["setf8", "setf16"]:
        for i, v in enumerate([0, 0x80, 0x7F, 0x100, 0x180, 0x8000, 0x17FFF, 0x18000, 0xFFFF]):
            out.append(case(f"{nm}_edge_{i}", f"{nm} w3", x3=v | (rng.getrandbits(40) << 24), nzcv=rand_nzcv(rng)))
        for i in range(40):
            r = rng.randrange(31)
            out.append(case(f"{nm}_{i}", f"{nm} w{r}", nzcv=rand_nzcv(rng), **{f"x{r}": rand_u64(rng)}))
    # MRS / MSR.
    for i in range(40):
        a, b = rng.sample(range(31), 2)
        out.append(case(f"mrs_nzcv_{i}", f"mrs x{a}, nzcv", nzcv=rand_nzcv(rng)))
        out.append(case(f"msr_nzcv_{i}", f"msr nzcv, x{a}; mrs x{b}, nzcv", nzcv=rand_nzcv(rng),
                        **{f"x{a}": rand_u64(rng)}))
        # FPCR: Len/Stride (RES0 without AArch32) are kept by Unicorn: leave them clear.
        out.append(case(f"msr_fpcr_{i}", f"msr fpcr, x{a}; mrs x{b}, fpcr",
                        **{f"x{a}": rand_u64(rng) & ~0x00370000}))
        out.append(case(f"mrs_fpcr_{i}", f"mrs x{a}, fpcr", fpcr=rng.getrandbits(32) & 0x07C80000))
        # FPSR: bits 31:28 (RES0 without AArch32) are kept by Unicorn: leave them clear.
        out.append(case(f"msr_fpsr_{i}", f"msr fpsr, x{a}; mrs x{b}, fpsr",
                        **{f"x{a}": rand_u64(rng) & ~0xF0000000}))
        out.append(case(f"mrs_fpsr_{i}", f"mrs x{a}, fpsr", fpsr=rng.getrandbits(32) & 0x0800009F))
        out.append(case(f"msr_tpidr_{i}", f"msr tpidr_el0, x{a}; mrs x{b}, tpidr_el0",
                        **{f"x{a}": rand_u64(rng)}))
        out.append(case(f"mrs_tpidr_{i}", f"mrs x{a}, tpidr_el0", tpidr=rand_u64(rng)))
    out.append(case("mrs_tpidrro", "mrs x3, tpidrro_el0"))
    out.append(case("mrs_dczid", "mrs x4, dczid_el0"))
    out.append(case("mrs_xzr_nzcv", "mrs xzr, nzcv", nzcv=0xF0000000))
    out.append(case("msr_nzcv_xzr", "msr nzcv, xzr", nzcv=0xF0000000))
    out.append(case("msr_tpidr_xzr", "msr tpidr_el0, xzr", tpidr=0x1234))
    # DC ZVA zeroes the aligned 64-byte block holding the address.
    for i in range(40):
        r = rng.randrange(31)
        addr = DATA_ADDR + rng.randrange(0x10000)
        out.append(case(f"dc_zva_{i}", f"dc zva, x{r}", **{f"x{r}": addr}))
    out.append(case("dc_zva_stack", "dc zva, x5", x5=0x7FFC1))
    out.append(case("dc_zva_code", "dc zva, x5; mov x0, #1", x5=0x1040))
    # Cache maintenance on mapped memory: no effect.
    for nm in ["dc cvac", "dc cvau", "dc cvap", "dc cvadp", "dc civac", "ic ivau"]:
        for i in range(4):
            addr = DATA_ADDR + rng.randrange(0x10000)
            out.append(case(f"{nm.replace(' ', '_')}_{i}", f"{nm}, x7; mov x0, #1", x7=addr))
    # Self-modifying code: the patched instructions ran before; the new ones must run.
    movz_x0 = 0xD2800000 | (0x77 << 5)
    movz_x3 = 0xD2800000 | (0x55 << 5) | 3
    out.append(case("smc_ic_ivau",
                    "mov x9, #2; 1: mov x0, #1; mov x3, #1; subs x9, x9, #1; b.eq 2f; str x1, [x2]; "
                    "dc cvau, x2; dsb ish; ic ivau, x2; dsb ish; isb; b 1b; 2: nop",
                    x1=(movz_x3 << 32) | movz_x0, x2=0x1004))
    return out
